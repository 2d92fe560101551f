/**
 * `npm run bench`: Beamline's wordcount on the DirectRunner against a hand-written single-pass
 * Node.js word count, on the same ~100 MB corpus (King Lear repeated), alternating runs in
 * fresh processes; prints median wall time, peak RSS and the ratio.
 *
 * Flags: --size_mb N (default 100), --runs N (default 5), --only wordcount|streaming|checkpoint|mnist|flipkart|worker|soak.
 */
import { execFileSync } from "node:child_process";
import * as fs from "node:fs";
import * as path from "node:path";
import { benchStreaming } from "./streaming";
import { benchMnist } from "./mnist";
import { benchFlipkart } from "./flipkart";
import { benchWorker } from "./worker";
import { benchCheckpointCost } from "./checkpoint_cost";
import { benchSoak } from "./soak";

const ROOT = path.resolve(__dirname, "..", "..", "..");
const DATA = path.join(ROOT, "bench-data");

function flag(name: string, fallback: string): string {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 && process.argv[i + 1] !== undefined ? process.argv[i + 1]! : fallback;
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const m = Math.floor(s.length / 2);
  return s.length % 2 === 1 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
}

function corpus(sizeMb: number): string {
  fs.mkdirSync(DATA, { recursive: true });
  const file = path.join(DATA, `kinglear-${sizeMb}mb.txt`);
  if (fs.existsSync(file)) return file;
  const text = fs.readFileSync(path.join(ROOT, "pipelines", "data", "kinglear.txt"));
  const fd = fs.openSync(file, "w");
  let written = 0;
  while (written < sizeMb * 1024 * 1024) {
    fs.writeSync(fd, text);
    written += text.length;
  }
  fs.closeSync(fd);
  return file;
}

interface Sample {
  mode: string;
  ms: number;
  maxRssMb: number;
  words: number;
}

function runChild(mode: string, input: string, workers = 1): Sample {
  const out = path.join(DATA, "out", mode, "counts");
  fs.rmSync(path.dirname(out), { recursive: true, force: true });
  fs.mkdirSync(path.dirname(out), { recursive: true });
  const stdout = execFileSync(process.execPath, [path.join(__dirname, "wordcount_child.js"), mode, input, out, String(workers)], { encoding: "utf8" });
  return JSON.parse(stdout.trim().split("\n").pop()!) as Sample;
}

function benchWordcount(): void {
  const sizeMb = Number(flag("size_mb", "100"));
  const runs = Number(flag("runs", "5"));
  const input = corpus(sizeMb);
  const bytes = fs.statSync(input).size;
  process.stdout.write(`wordcount benchmark: ${(bytes / 1e6).toFixed(1)} MB corpus, ${runs} runs each, alternating\n`);
  const samples: Record<string, Sample[]> = { baseline: [], beamline: [], beamline2: [] };
  for (let i = 0; i < runs; i++) {
    for (const [label, mode, workers] of [
      ["baseline", "baseline", 1],
      ["beamline", "beamline", 1],
      ["beamline2", "beamline", 2],
    ] as const) {
      const s = runChild(mode, input, workers);
      samples[label]!.push(s);
      process.stdout.write(`  run ${i + 1} ${label.padEnd(9)} ${(s.ms / 1000).toFixed(2)} s  peak RSS ${s.maxRssMb.toFixed(0)} MB  (${s.words} lines out)\n`);
    }
  }
  const b = samples["baseline"]!;
  const m = samples["beamline"]!;
  const m2 = samples["beamline2"]!;
  const mt2 = median(m2.map((s) => s.ms));
  if (b[0]!.words !== m[0]!.words) throw new Error(`outputs differ: baseline ${b[0]!.words} words, beamline ${m[0]!.words}`);
  const bt = median(b.map((s) => s.ms));
  const mt = median(m.map((s) => s.ms));
  const rss = (xs: Sample[]): number => Math.max(...xs.map((s) => s.maxRssMb));
  process.stdout.write(
    `\nmedian wall time: hand-written ${(bt / 1000).toFixed(2)} s, Beamline DirectRunner ${(mt / 1000).toFixed(2)} s\n` +
      `ratio Beamline / hand-written: ${(mt / bt).toFixed(2)}x (target <= 1.5x)\n` +
      `throughput: hand-written ${(bytes / 1e6 / (bt / 1000)).toFixed(1)} MB/s, Beamline ${(bytes / 1e6 / (mt / 1000)).toFixed(1)} MB/s\n` +
      `peak RSS: hand-written ${rss(b).toFixed(0)} MB, Beamline ${rss(m).toFixed(0)} MB (target < 400 MB)\n` +
      `Beamline --direct_num_workers 2 (worker threads): ${(mt2 / 1000).toFixed(2)} s, ${(mt2 / bt).toFixed(2)}x the hand-written loop, ` +
      `peak RSS ${rss(m2).toFixed(0)} MB (main thread and workers)\n`,
  );
}

const only = flag("only", "all");
if (only === "all" || only === "wordcount") benchWordcount();
if (only === "all" || only === "streaming") benchStreaming(flag);
if (only === "all" || only === "checkpoint") benchCheckpointCost(flag);
const mnist = only === "all" || only === "mnist" ? benchMnist(flag).catch((e: Error) => {
  process.stderr.write(`MNIST benchmark FAILED: ${e.stack ?? e.message}\n`);
  process.exitCode = 1;
}) : Promise.resolve();
// After the MNIST benchmark: the two must not compete for the cores.
const flipkartDone = only === "all" || only === "flipkart" ? mnist.then(() => benchFlipkart(flag)).catch((e: unknown) => ((process.exitCode = 1), console.error(e))) : mnist;
// Last: a worker process streaming a 2 GB bundle (runners/worker flow control).
const workerDone = only === "all" || only === "worker" ? flipkartDone.then(() => benchWorker(flag)).catch((e: unknown) => ((process.exitCode = 1), console.error(e))) : flipkartDone;
// Last, alone on the machine: the 10-minute soak (--soak_seconds for a shorter one).
if (only === "all" || only === "soak") void workerDone.then(() => benchSoak(flag)).catch((e: unknown) => ((process.exitCode = 1), console.error(e)));
