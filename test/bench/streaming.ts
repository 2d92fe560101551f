/**
 * The streaming part of `npm run bench`: a real-time ReadUnbounded source emitting timestamped
 * elements as fast as the streaming DirectRunner accepts them (emitAll() of a batch per
 * timestamp, with backpressure; and, for comparison, awaiting emit() per element), counted per
 * key in 1 s fixed windows, against a hand-written loop doing the same windowed count over the
 * same generated elements; plus a stateless Map run for per-element latency. Each run is a fresh
 * process (streaming_child.ts), alternating; medians are reported.
 *
 * Then the same windowed count with many keys (--stream_many_keys, default 100000; 0 skips it),
 * where per-key state dominates, and the heap kept per key-window state.
 *
 * Ends with a table: each figure, its target (issue 16) and the baseline of the same run.
 *
 * Flags: --stream_elements N (default 1000000), --stream_keys N (default 100), --stream_runs N (default 2),
 * --stream_many_keys N (default 100000).
 */
import { execFileSync } from "node:child_process";
import * as path from "node:path";
import type { StreamingSample } from "./streaming_child";

const MODES = ["baseline", "windowed", "windowed-nochecks", "windowed-emit", "map"] as const;
type Mode = (typeof MODES)[number];

const LABELS: Record<Mode, string> = {
  baseline: "hand-written loop",
  windowed: "Beamline windowed count",
  "windowed-nochecks": "same, --no_strict_checks",
  "windowed-emit": "same, emit() per element",
  map: "Beamline Map only",
};

function median(xs: readonly number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const m = Math.floor(s.length / 2);
  return s.length % 2 === 1 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
}

function runChild(mode: Mode | "state-bytes", elements: number, keys: number): StreamingSample {
  const stdout = execFileSync(process.execPath, ["--expose-gc", path.join(__dirname, "streaming_child.js"), mode, String(elements), String(keys)], { encoding: "utf8" });
  return JSON.parse(stdout.trim().split("\n").pop()!) as StreamingSample;
}

const rate = (s: StreamingSample): number => s.elements / (s.ms / 1000);
const fmtRate = (r: number): string => `${Math.round(r).toLocaleString("en-US")} el/s`;
const ms = (x: number): string => `${x.toFixed(2)} ms`;
/** CPU time of a run: on a loaded machine a steadier measure of the work than wall time. */
const cpu = (s: StreamingSample): number => s.cpuMs;
/** CPU time of the main thread alone (no JIT compiler or GC helper threads, no waits for a core). */
const mainCpu = (s: StreamingSample): number => s.mainCpuMs;

export function benchStreaming(flag: (name: string, fallback: string) => string): void {
  const elements = Number(flag("stream_elements", "1000000"));
  const keys = Number(flag("stream_keys", "100"));
  const runs = Number(flag("stream_runs", "2"));
  process.stdout.write(
    `\nstreaming benchmark: ${elements.toLocaleString("en-US")} elements (event time = wall clock at emission), ${keys} keys, ` +
      `1 s fixed windows, Count.perKey; ${runs} runs each, alternating, fresh processes\n`,
  );
  const samples = new Map<Mode, StreamingSample[]>(MODES.map((m) => [m, []]));
  for (let i = 0; i < runs; i++) {
    for (const mode of MODES) {
      const s = runChild(mode, elements, keys);
      if (s.total !== elements) throw new Error(`${mode}: counted ${s.total} elements, expected ${elements}`);
      samples.get(mode)!.push(s);
      process.stdout.write(
        `  run ${i + 1} ${mode.padEnd(17)} ${(s.ms / 1000).toFixed(2)} s (CPU ${(s.cpuMs / 1000).toFixed(2)} s, main thread ${(s.mainCpuMs / 1000).toFixed(2)} s)  ${fmtRate(rate(s)).padStart(16)}  ` +
          `latency p50 ${ms(s.p50Ms)} p99 ${ms(s.p99Ms)} (${s.measured} ${mode === "map" ? "elements" : "panes"})  peak RSS ${s.maxRssMb.toFixed(0)} MB\n`,
      );
    }
  }
  const med = (mode: Mode, f: (s: StreamingSample) => number): number => median(samples.get(mode)!.map(f));
  const peak = (mode: Mode): number => Math.max(...samples.get(mode)!.map((s) => s.maxRssMb));
  const base = med("baseline", rate);
  process.stdout.write(`\nsustained throughput (elements / wall time of the whole run, median):\n`);
  for (const mode of MODES) {
    const r = med(mode, rate);
    // The Map run does different work (no windows, no grouping): no ratio against the windowed loop.
    const ratio = mode === "baseline" || mode === "map" ? "" : `  = hand-written / ${(base / r).toFixed(1)}`;
    process.stdout.write(`  ${LABELS[mode].padEnd(26)} ${fmtRate(r).padStart(16)}${ratio}  peak RSS ${peak(mode).toFixed(0)} MB\n`);
  }
  process.stdout.write(
    `latency of a pane (wall time its count reaches the sink - wall time the last element of its window was emitted), median of runs:\n` +
      `  hand-written loop          p50 ${ms(med("baseline", (s) => s.p50Ms))}  p99 ${ms(med("baseline", (s) => s.p99Ms))}\n` +
      `  Beamline windowed count    p50 ${ms(med("windowed", (s) => s.p50Ms))}  p99 ${ms(med("windowed", (s) => s.p99Ms))}\n` +
      `  same, --no_strict_checks   p50 ${ms(med("windowed-nochecks", (s) => s.p50Ms))}  p99 ${ms(med("windowed-nochecks", (s) => s.p99Ms))}\n` +
      `  same, emit() per element   p50 ${ms(med("windowed-emit", (s) => s.p50Ms))}  p99 ${ms(med("windowed-emit", (s) => s.p99Ms))}\n` +
      `latency of an element through a stateless Map (wall time at the sink - wall time of emit()):\n` +
      `  Beamline Map only          p50 ${ms(med("map", (s) => s.p50Ms))}  p99 ${ms(med("map", (s) => s.p99Ms))}\n`,
  );
  const rows: TableRow[] = [
    {
      figure: `windowed count, ${keys} keys: time / hand-written`,
      value: `${(base / med("windowed", rate)).toFixed(2)}x (CPU ${(med("windowed", cpu) / med("baseline", cpu)).toFixed(2)}x, main thread ${(med("windowed", mainCpu) / med("baseline", mainCpu)).toFixed(2)}x)`,
      target: "<= 2.5x",
      baseline: `${fmtRate(base)} (CPU ${med("baseline", cpu).toFixed(0)} ms, main thread ${med("baseline", mainCpu).toFixed(0)} ms)`,
    },
    {
      figure: `  same, source awaiting emit() per element`,
      value: `${(base / med("windowed-emit", rate)).toFixed(2)}x (CPU ${(med("windowed-emit", cpu) / med("baseline", cpu)).toFixed(2)}x)`,
      target: "(no target)",
      baseline: "same",
    },
  ];
  rows.push(...benchManyKeys(elements, Number(flag("stream_many_keys", "100000")), runs));
  printTable("streaming figures (medians of this run)", rows);
}

interface TableRow {
  readonly figure: string;
  readonly value: string;
  readonly target: string;
  readonly baseline: string;
}

function printTable(title: string, rows: readonly TableRow[]): void {
  const head: TableRow = { figure: "figure", value: "value", target: "target", baseline: "baseline (same run)" };
  const cols = (["figure", "value", "target", "baseline"] as const).map((c) => Math.max(...[head, ...rows].map((r) => r[c].length)));
  const line = (r: TableRow): string => `  ${r.figure.padEnd(cols[0]!)}  ${r.value.padStart(cols[1]!)}  ${r.target.padEnd(cols[2]!)}  ${r.baseline}\n`;
  process.stdout.write(`\n${title}:\n${line(head)}${rows.map(line).join("")}`);
}

/** Windowed count with many keys: one state per key and window, most windows holding few elements. */
function benchManyKeys(elements: number, keys: number, runs: number): TableRow[] {
  if (keys <= 0) return [];
  process.stdout.write(`
many keys: ${elements.toLocaleString("en-US")} elements, ${keys.toLocaleString("en-US")} keys, 1 s fixed windows, Count.perKey
`);
  const modes = ["baseline", "windowed"] as const;
  const samples = new Map<Mode, StreamingSample[]>(modes.map((m) => [m, []]));
  for (let i = 0; i < runs; i++) {
    for (const mode of modes) {
      const s = runChild(mode, elements, keys);
      if (s.total !== elements) throw new Error(`${mode} (many keys): counted ${s.total} elements, expected ${elements}`);
      samples.get(mode)!.push(s);
      process.stdout.write(`  run ${i + 1} ${mode.padEnd(17)} ${(s.ms / 1000).toFixed(2)} s (CPU ${(s.cpuMs / 1000).toFixed(2)} s)  ${fmtRate(rate(s)).padStart(16)}  peak RSS ${s.maxRssMb.toFixed(0)} MB\n`);
    }
  }
  const med = (mode: Mode): number => median(samples.get(mode)!.map(rate));
  const medCpu = (mode: Mode): number => median(samples.get(mode)!.map(cpu));
  const medMain = (mode: Mode): number => median(samples.get(mode)!.map(mainCpu));
  const peak = (mode: Mode): number => Math.max(...samples.get(mode)!.map((s) => s.maxRssMb));
  process.stdout.write(
    `  hand-written loop ${fmtRate(med("baseline"))}, Beamline windowed count ${fmtRate(med("windowed"))} = hand-written / ${(med("baseline") / med("windowed")).toFixed(1)}\n`,
  );
  const bytes = runChild("state-bytes", 0, keys).stateBytes!;
  process.stdout.write(`  heap per key-window state (${keys.toLocaleString("en-US")} keys in one window): Beamline ${bytes.beamline.toFixed(0)} bytes, hand-written Map ${bytes.handWritten.toFixed(0)} bytes\n`);
  const n = keys.toLocaleString("en-US");
  return [
    {
      figure: `windowed count, ${n} keys: time / hand-written`,
      value: `${(med("baseline") / med("windowed")).toFixed(2)}x (CPU ${(medCpu("windowed") / medCpu("baseline")).toFixed(2)}x, main thread ${(medMain("windowed") / medMain("baseline")).toFixed(2)}x)`,
      target: "<= 3.5x",
      baseline: `${fmtRate(med("baseline"))} (CPU ${medCpu("baseline").toFixed(0)} ms, main thread ${medMain("baseline").toFixed(0)} ms)`,
    },
    { figure: `windowed count, ${n} keys: peak RSS`, value: `${peak("windowed").toFixed(0)} MB`, target: "<= 120 MB", baseline: `${peak("baseline").toFixed(0)} MB` },
    { figure: `heap per key-window state`, value: `${bytes.beamline.toFixed(0)} B`, target: "<= 200 B", baseline: `${bytes.handWritten.toFixed(0)} B (a Map of counts)` },
  ];
}
