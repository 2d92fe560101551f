/**
 * Streaming on more than one core (`npm run bench --only streaming_parallel`, also part of
 * `--only streaming`): Pub/Sub → map → Pub/Sub through the Pub/Sub emulator with 4 KB JSON
 * messages, the pipeline in a fresh process (./streaming_parallel_child.ts) with
 * --direct_num_workers 1 (the one-thread driver) and 2 (parallel instances), alternating in the
 * same run; the emulator in a process of its own, as the service would be.
 *
 * 1. Throughput: a backlog of --par_backlog messages published before the job starts, drained as
 *    fast as it goes; the rate is taken between 25 % and 95 % of the backlog written, with the CPU
 *    per 1,000 messages of the pipeline process (split by thread: main, the instances' worker
 *    threads, V8's and libuv's helpers, mostly garbage collection) and of the emulator, and how
 *    busy the main thread was (with one worker, well under 100 % means the run waited for a core). Start-up and warm-up are
 *    excluded: each worker thread is a V8 isolate that compiles the hot code again, and on a
 *    backlog of 20,000 that warm-up alone made two instances cost 1.6x the CPU per message of one
 *    (at 60,000: 1.09x).
 *    The same for a keyed pipeline (--par_keyed, default on): Pub/Sub → key (1,000 keys) → 1 s
 *    windows → Count.perKey → Pub/Sub, whose count runs behind the keyed exchange with 2 workers;
 *    its rate is of messages read (acknowledged after their bundle), as it writes only the counts.
 *    It reads about 2.5x as fast as the map, so its backlog is --par_keyed_backlog (default
 *    150,000): on 50,000 the measured stretch lasted ~1 s, much of it the second isolate's warm-up.
 * 2. Latency at --par_rate msg/s for --par_seconds s after 3 s of warm-up: publish call → result
 *    received by a subscriber of the output topic; p50, p99, max.
 *
 * Flags: --par_backlog N (default 50000), --par_keyed_backlog N (default 150000), --par_runs N (default 2), --par_rate N (default 1000),
 * --par_seconds N (default 10), --par_keyed 0|1 (default 1), --par_keys N (default 1000; message i has key i mod N,
 * so with N above a bundle's size no key repeats within a bundle and a lifted combine has nothing to combine).
 */
import { ChildProcess, spawn } from "node:child_process";
import { once } from "node:events";
import { readFileSync } from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import type { Message } from "@google-cloud/pubsub";
import { pubsubClient, resetGcpClients } from "../../lib/io/gcp/clients";
import { percentile } from "../../setup/mnist/evaluate";

const CHILD = path.join(__dirname, "streaming_parallel_child.js");
const out = (line: string) => process.stdout.write(`${line}\n`);
/** The middle value (the mean of the two middle ones for an even count). */
const median = (xs: readonly number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  const m = Math.floor(s.length / 2);
  return s.length % 2 === 1 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
};
/** About 4 KB of JSON per message. */
const PAYLOAD = "x".repeat(4000);

async function startPubSubEmulator(): Promise<{ proc: ChildProcess; host: string }> {
  const main = path.resolve(__dirname, "..", "..", "setup", "emulators", "main.js");
  const proc = spawn(process.execPath, [main, "--services", "pubsub", "--pubsub_port", "0"], { stdio: ["ignore", "pipe", "ignore"] });
  let buffered = "";
  proc.stdout!.setEncoding("utf8");
  const host = await new Promise<string>((resolve, reject) => {
    proc.once("exit", (code) => reject(new Error(`the Pub/Sub emulator exited (${code})`)));
    proc.stdout!.on("data", (chunk: string) => {
      buffered += chunk;
      const m = /^export PUBSUB_EMULATOR_HOST=(\S+)$/m.exec(buffered);
      if (m !== null) resolve(m[1]!);
    });
  });
  return { proc, host };
}

type Pipeline = "map" | "keyed";

interface Sample {
  readonly t: number;
  readonly read: number;
  readonly written: number;
  readonly cpuMs: number;
  /** The pipeline's CPU (ms) on [its main thread, the instances' worker threads, V8's and libuv's helper threads] (Linux). */
  readonly threads?: readonly [number, number, number];
}

/** CPU time a process has used so far (ms; Linux /proc, NaN elsewhere). */
function processCpuMs(pid: number): number {
  try {
    const fields = readFileSync(`/proc/${pid}/stat`, "utf8").split(") ")[1]!.split(" ");
    // utime and stime: fields 14 and 15 of stat, in clock ticks (100 per second on Linux).
    return ((Number(fields[11]) + Number(fields[12])) * 1000) / 100;
  } catch {
    return Number.NaN;
  }
}

/**
 * The pipeline's CPU per 1,000 messages by thread between two samples, and how busy its main
 * thread was: with one worker that thread runs the whole pipeline, and a main thread well short of
 * 100 % means the run waited (on the emulator, or for a core) rather than computed.
 */
function threadSplit(from: Sample, to: Sample, n: number): string {
  if (from.threads === undefined || to.threads === undefined) return "";
  const [main, instances, helpers] = to.threads.map((ms, i) => ms - from.threads![i]!) as [number, number, number];
  const perK = (ms: number) => ((ms / n) * 1000).toFixed(0);
  const busy = Math.round((100 * main) / (to.t - from.t));
  return ` (main thread ${perK(main)}, ${busy} % busy; worker threads ${perK(instances)}; V8/libuv helper threads ${perK(helpers)})`;
}

async function waitFor(what: string, cond: () => boolean, ms: number): Promise<void> {
  const deadline = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

export async function benchStreamingParallel(flag: (name: string, fallback: string) => string): Promise<void> {
  const mapBacklog = Number(flag("par_backlog", "50000"));
  const keyedBacklog = Number(flag("par_keyed_backlog", "150000"));
  const runs = Number(flag("par_runs", "2"));
  const rate = Number(flag("par_rate", "1000"));
  const seconds = Number(flag("par_seconds", "10"));
  const keyed = flag("par_keyed", "1") !== "0";
  const keys = flag("par_keys", "1000");
  const emulator = await startPubSubEmulator();
  const restore = { ...process.env };
  Object.assign(process.env, { PUBSUB_EMULATOR_HOST: emulator.host, GOOGLE_CLOUD_PROJECT: "bench", METADATA_SERVER_DETECTION: "none" });
  await resetGcpClients();
  const pubsub = pubsubClient("bench");
  let round = 0;
  try {
    out(
      `\nstreaming on worker threads: Pub/Sub → map → Pub/Sub through the emulator, ${PAYLOAD.length / 1000} KB JSON messages, --direct_num_workers 1 vs 2 alternating, ` +
        `${runs} runs each; load average at start ${os.loadavg().map((l) => l.toFixed(1)).join(" ")} on ${os.cpus().length} cores`,
    );
    const launch = async (workers: number, name: string, samples: Sample[], pipeline: Pipeline = "map"): Promise<ChildProcess> => {
      const proc = spawn(process.execPath, [CHILD, "--input", `projects/bench/subscriptions/${name}-in-sub`, "--output", `projects/bench/topics/${name}-out`, "--workers", String(workers), "--pipeline", pipeline, "--keys", keys], {
        env: process.env,
        stdio: ["ignore", "pipe", "pipe"],
      });
      let buffered = "";
      proc.stdout!.setEncoding("utf8");
      proc.stdout!.on("data", (chunk: string) => {
        buffered += chunk;
        const lines = buffered.split("\n");
        buffered = lines.pop()!;
        for (const l of lines) if (l.startsWith('{"t"')) samples.push(JSON.parse(l) as Sample);
      });
      let stderr = "";
      await new Promise<void>((resolve, reject) => {
        proc.once("exit", (code) => reject(new Error(`the pipeline exited (${code}): ${stderr}`)));
        proc.stderr!.on("data", (c: Buffer) => {
          stderr += c.toString();
          if (stderr.includes("READY")) resolve();
        });
      });
      return proc;
    };
    const stop = async (proc: ChildProcess): Promise<void> => {
      proc.kill("SIGTERM");
      if (proc.exitCode === null) await once(proc, "exit");
    };
    const topics = async (name: string) => {
      const [input] = await pubsub.createTopic(`${name}-in`);
      await pubsub.createTopic(`${name}-out`);
      await input.createSubscription(`${name}-in-sub`, { ackDeadlineSeconds: 60 });
      return pubsub.topic(`${name}-in`, { batching: { maxMessages: 500, maxMilliseconds: 5 } });
    };
    const message = (ID: number) => Buffer.from(JSON.stringify({ ID, sentAt: Date.now(), payload: PAYLOAD }));

    const throughput = async (workers: number, pipeline: Pipeline = "map"): Promise<{ rate: number; cpuPerK: number; emulatorCpuPerK: number; threads: string }> => {
      const name = `tp-${pipeline}-${workers}-${round++}`;
      // The map writes a message per message; the keyed count only counts, so it is measured by what it read.
      const progress = (s: Sample): number => (pipeline === "map" ? s.written : s.read);
      const backlog = pipeline === "map" ? mapBacklog : keyedBacklog;
      const input = await topics(name);
      for (let i = 0; i < backlog; i += 1000) await Promise.all(Array.from({ length: Math.min(1000, backlog - i) }, (_, j) => input.publishMessage({ data: message(i + j) })));
      const samples: Sample[] = [];
      const proc = await launch(workers, name, samples, pipeline);
      // The emulator's CPU over time, to take what the measured interval cost it.
      const emulatorCpu: [number, number][] = [];
      const sampler = setInterval(() => emulatorCpu.push([Date.now(), processCpuMs(emulator.proc.pid!)]), 100);
      try {
        await waitFor(`${backlog} messages ${pipeline === "map" ? "written" : "read"}`, () => progress(samples.at(-1) ?? { t: 0, read: 0, written: 0, cpuMs: 0 }) >= backlog, 600_000);
      } finally {
        clearInterval(sampler);
        await stop(proc);
      }
      const emulatorAt = (t: number) => (emulatorCpu.find(([at]) => at >= t) ?? emulatorCpu.at(-1)!)[1];
      const at = (fraction: number) => samples.find((s) => progress(s) >= fraction * backlog)!;
      const from = at(0.25);
      const to = at(0.95);
      const n = progress(to) - progress(from);
      return { rate: n / ((to.t - from.t) / 1000), cpuPerK: ((to.cpuMs - from.cpuMs) / n) * 1000, emulatorCpuPerK: ((emulatorAt(to.t) - emulatorAt(from.t)) / n) * 1000, threads: threadSplit(from, to, n) };
    };

    const latency = async (workers: number): Promise<number[]> => {
      const name = `lat-${workers}-${round++}`;
      const input = await topics(name);
      await pubsub.topic(`${name}-out`).createSubscription(`${name}-out-sub`);
      const received = new Map<number, number>();
      const sub = pubsub.subscription(`${name}-out-sub`, { flowControl: { maxMessages: 10_000 } });
      sub.on("message", (m: Message) => {
        // The ID leads the JSON ({"ID":n,...}): read it without parsing 4 KB, so this process stays light.
        received.set(Number(/^\{"ID":(\d+)/.exec(m.data.toString("latin1", 0, 24))![1]), Date.now());
        m.ack();
      });
      const samples: Sample[] = [];
      const proc = await launch(workers, name, samples);
      const sentAt = new Map<number, number>();
      const send = async (count: number, offset: number) => {
        const started = performance.now();
        const pending: Promise<unknown>[] = [];
        for (let i = 0; i < count; i++) {
          const wait = started + (i * 1000) / rate - performance.now();
          if (wait > 1) await new Promise((r) => setTimeout(r, wait));
          sentAt.set(offset + i, Date.now());
          pending.push(input.publishMessage({ data: message(offset + i) }));
        }
        await Promise.all(pending);
      };
      try {
        await send(3 * rate, 1_000_000); // three seconds of warm-up
        await waitFor("the warm-up results", () => received.size >= 3 * rate, 60_000);
        await send(rate * seconds, 0);
        await waitFor("every result", () => [...sentAt.keys()].every((id) => received.has(id)), 120_000);
      } finally {
        await stop(proc);
        await sub.close();
      }
      return [...sentAt].filter(([id]) => id < 1_000_000).map(([id, t]) => received.get(id)! - t);
    };

    const rates: Record<1 | 2, number[]> = { 1: [], 2: [] };
    const cpus: Record<1 | 2, number[]> = { 1: [], 2: [] };
    const emulatorCpus: number[] = [];
    for (let i = 0; i < runs; i++) {
      for (const w of [1, 2] as const) {
        const r = await throughput(w);
        rates[w].push(r.rate);
        cpus[w].push(r.cpuPerK);
        emulatorCpus.push(r.emulatorCpuPerK);
        out(`  run ${i + 1} --direct_num_workers ${w}: ${Math.round(r.rate).toLocaleString("en-US")} msg/s, CPU per 1,000 messages: pipeline ${r.cpuPerK.toFixed(0)} ms${r.threads}, emulator ${r.emulatorCpuPerK.toFixed(0)} ms; load average ${os.loadavg()[0]!.toFixed(1)}`);
      }
    }
    // Each run's 2-worker rate over the 1-worker rate measured just before it.
    const ratios = rates[2].map((r, i) => r / rates[1][i]!);
    const keyedRates: Record<1 | 2, number[]> = { 1: [], 2: [] };
    const keyedCpus: Record<1 | 2, number[]> = { 1: [], 2: [] };
    for (let i = 0; keyed && i < runs; i++) {
      for (const w of [1, 2] as const) {
        const r = await throughput(w, "keyed");
        keyedRates[w].push(r.rate);
        keyedCpus[w].push(r.cpuPerK);
        out(`  keyed run ${i + 1} --direct_num_workers ${w}: ${Math.round(r.rate).toLocaleString("en-US")} msg/s read, CPU per 1,000 messages: pipeline ${r.cpuPerK.toFixed(0)} ms${r.threads}, emulator ${r.emulatorCpuPerK.toFixed(0)} ms; load average ${os.loadavg()[0]!.toFixed(1)}`);
      }
    }
    const keyedRatios = keyedRates[2].map((r, i) => r / keyedRates[1][i]!);
    const lat: Record<1 | 2, number[]> = { 1: [], 2: [] };
    for (const w of [1, 2] as const) lat[w] = await latency(w);
    const fmt = (l: number[]) => `p50 ${percentile(l, 50)} ms, p99 ${percentile(l, 99)} ms, max ${percentile(l, 100)} ms`;
    out(`  latency at ${rate.toLocaleString("en-US")} msg/s for ${seconds} s, publish → result received: 1 worker ${fmt(lat[1])}; 2 workers ${fmt(lat[2])}`);
    out(`\n  ${"figure".padEnd(52)} ${"measured".padEnd(24)} ${"target".padEnd(14)} baseline (same run)`);
    out(`  ${"throughput, 2 workers / 1 worker".padEnd(52)} ${`${median(ratios).toFixed(2)}x (runs: ${ratios.map((r) => r.toFixed(2)).join(", ")})`.padEnd(24)} ${">= 1.5x".padEnd(14)} 1 worker ${Math.round(median(rates[1])).toLocaleString("en-US")} msg/s`);
    out(`  ${"throughput, 2 workers".padEnd(52)} ${`${Math.round(median(rates[2])).toLocaleString("en-US")} msg/s`.padEnd(24)} ${"".padEnd(14)} CPU per 1,000: ${median(cpus[2]).toFixed(0)} ms (1 worker ${median(cpus[1]).toFixed(0)} ms)`);
    // What two cores could carry at most: the pipeline's and the emulator's CPU per message, if nothing else ran.
    const ceiling = 2_000_000 / (median(cpus[2]) + median(emulatorCpus));
    out(`  ${"2-core ceiling (pipeline + emulator CPU per msg)".padEnd(52)} ${`${Math.round(ceiling).toLocaleString("en-US")} msg/s`.padEnd(24)} ${"".padEnd(14)} = ${(ceiling / median(rates[1])).toFixed(2)}x the 1-worker rate`);
    if (keyed) {
      out(
        `  ${"keyed windowed count, 2 workers / 1 worker".padEnd(52)} ${`${median(keyedRatios).toFixed(2)}x (runs: ${keyedRatios.map((r) => r.toFixed(2)).join(", ")})`.padEnd(24)} ${">= 1.5x".padEnd(14)} 1 worker ${Math.round(median(keyedRates[1])).toLocaleString("en-US")} msg/s; CPU per 1,000: ${median(keyedCpus[2]).toFixed(0)} ms (1 worker ${median(keyedCpus[1]).toFixed(0)} ms)`,
      );
    }
    out(`  ${"latency p99 at 1,000 msg/s, 2 workers".padEnd(52)} ${`${percentile(lat[2], 99)} ms`.padEnd(24)} ${"<= 153 ms".padEnd(14)} 1 worker ${percentile(lat[1], 99)} ms`);
  } finally {
    await resetGcpClients();
    for (const k of Object.keys(process.env)) if (!(k in restore)) delete process.env[k];
    Object.assign(process.env, restore);
    emulator.proc.kill("SIGTERM");
    await once(emulator.proc, "exit");
  }
}
