/**
 * The batch part of `npm run bench`, measured as a user waits for it: whole processes
 * (`node dist/pipelines/wordcount.js ...`, start-up and module loading included) against the
 * hand-written word count (wordcount_baseline.ts), alternating runs, medians. Each figure is a
 * ratio to a baseline measured in the same run, so a loaded machine slows both; CPU time (all
 * threads) is printed beside wall time, as it is less sensitive to other load.
 *
 * - wordcount at each --sizes (MB): one worker, and --direct_num_workers 2 (beside the hand-written
 *   loop split over two threads: what two threads can gain on this machine);
 * - start-up: `wordcount.js --help` and a 1-line input, against a bare `node -e 0`;
 * - a shuffle that spills: each distinct line counted through a GroupByKey
 *   (shuffle_child.ts) with --direct_shuffle_memory_mb 64, against `sort | uniq -c`.
 *
 * Flags: --sizes 5,100,2048 --runs 3 (--runs_large 1 for sizes of 1 GB and more)
 * --startup_runs 7 --shuffle_mb 500 --shuffle_keys 10000000 (--shuffle_mb 0 skips it);
 * --compare DIST also runs another build's wordcount (e.g. main's dist/) in the same rotation,
 * and its shuffle (with a `sort | uniq -c` of its own) just before this build's, for before/after
 * figures.
 */
import { spawn, spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import * as readline from "node:readline";
import { performance } from "node:perf_hooks";

const ROOT = path.resolve(__dirname, "..", "..", "..");
const DIST = path.resolve(__dirname, "..", "..");
const DATA = path.join(ROOT, "bench-data");

export interface Usage {
  ms: number;
  cpuMs: number;
  maxRssMb: number;
}

/** One row of the printed table. */
export interface Row {
  figure: string;
  value: string;
  target: string;
  baseline: string;
  met: boolean | undefined;
}

export function median(xs: readonly number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const m = Math.floor(s.length / 2);
  return s.length % 2 === 1 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
}

/** Runs `node args...` to completion with the usage reporter preloaded; fails on a non-zero exit. */
function timeNode(args: readonly string[], env: NodeJS.ProcessEnv = process.env): Usage {
  const usageFile = path.join(os.tmpdir(), `beamline-bench-usage-${process.pid}.json`);
  fs.rmSync(usageFile, { force: true });
  const start = performance.now();
  const r = spawnSync(process.execPath, ["--require", path.join(__dirname, "report_usage.js"), ...args], {
    env: { ...env, BEAMLINE_BENCH_USAGE: usageFile },
    stdio: ["ignore", "ignore", "pipe"],
    maxBuffer: 1 << 26,
  });
  const ms = performance.now() - start;
  if (r.status !== 0) throw new Error(`node ${args.join(" ")} exited with ${r.status ?? r.signal}: ${r.stderr.toString()}`);
  const u = JSON.parse(fs.readFileSync(usageFile, "utf8")) as { maxRssMb: number; cpuMs: number };
  fs.rmSync(usageFile, { force: true });
  return { ms, ...u };
}

/** King Lear repeated to `sizeMb` MiB (kept in bench-data/ for later runs). */
export function corpus(sizeMb: number): string {
  fs.mkdirSync(DATA, { recursive: true });
  const file = path.join(DATA, `kinglear-${sizeMb}mb.txt`);
  if (fs.existsSync(file)) return file;
  const text = fs.readFileSync(path.join(ROOT, "pipelines", "data", "kinglear.txt"));
  const fd = fs.openSync(`${file}.tmp`, "w");
  for (let written = 0; written < sizeMb * 1024 * 1024; written += text.length) fs.writeSync(fd, text);
  fs.closeSync(fd);
  fs.renameSync(`${file}.tmp`, file);
  return file;
}

function sortedLines(files: readonly string[]): string {
  const lines: string[] = [];
  for (const f of files) for (const l of fs.readFileSync(f, "utf8").split("\n")) if (l !== "") lines.push(l);
  return lines.sort().join("\n");
}

function shards(prefix: string): string[] {
  const dir = path.dirname(prefix);
  const base = path.basename(prefix);
  return fs.readdirSync(dir).filter((f) => f.startsWith(`${base}-`)).map((f) => path.join(dir, f));
}

const sec = (ms: number): string => `${(ms / 1000).toFixed(2)} s`;
const ratio = (x: number): string => `${x.toFixed(2)}×`;

type WordcountMode = "hand-written" | "hand-written, 2 threads" | "1 worker" | "2 workers" | "compared, 1 worker" | "compared, 2 workers";

function runWordcount(mode: WordcountMode, input: string, out: string, compare: string | undefined): Usage {
  fs.rmSync(out, { recursive: true, force: true });
  fs.mkdirSync(out, { recursive: true });
  if (mode.startsWith("hand-written")) {
    const threads = mode === "hand-written" ? [] : ["--threads", "2"];
    return timeNode([path.join(__dirname, "wordcount_baseline.js"), input, path.join(out, "counts-00000-of-00001"), ...threads]);
  }
  const workers = mode.endsWith("2 workers") ? ["--direct_num_workers", "2"] : [];
  const dist = mode.startsWith("compared") ? compare! : DIST;
  return timeNode([path.join(dist, "pipelines", "wordcount.js"), "--input", input, "--output", path.join(out, "counts"), ...workers]);
}

function benchWordcountSize(sizeMb: number, runs: number, rows: Row[], compare: string | undefined): void {
  const input = corpus(sizeMb);
  const bytes = fs.statSync(input).size;
  const modes: WordcountMode[] = ["hand-written", "hand-written, 2 threads", "1 worker", "2 workers"];
  if (compare !== undefined) modes.push("compared, 1 worker", "compared, 2 workers");
  const samples = new Map<WordcountMode, Usage[]>(modes.map((m) => [m, []]));
  process.stdout.write(`\nwordcount, ${(bytes / 1e6).toFixed(1)} MB, whole processes, ${runs} run(s) each, alternating\n`);
  for (let i = 0; i < runs; i++) {
    const outputs = new Map<WordcountMode, string>();
    for (const mode of modes) {
      const out = path.join(DATA, "out", mode.replace(/[ ,]+/g, "-"));
      const u = runWordcount(mode, input, out, compare);
      samples.get(mode)!.push(u);
      if (i === 0) outputs.set(mode, sortedLines(shards(path.join(out, "counts"))));
      process.stdout.write(`  run ${i + 1} ${mode.padEnd(23)} ${sec(u.ms)}  CPU ${sec(u.cpuMs)}  peak RSS ${u.maxRssMb.toFixed(0)} MB\n`);
    }
    for (const mode of modes) {
      if (i === 0 && outputs.get(mode) !== outputs.get("hand-written")) throw new Error(`wordcount ${sizeMb} MB: ${mode}'s output differs from the hand-written loop's`);
    }
  }
  const wall = (m: WordcountMode): number => median(samples.get(m)!.map((u) => u.ms));
  const cpu = (m: WordcountMode): number => median(samples.get(m)!.map((u) => u.cpuMs));
  const rss = (m: WordcountMode): number => Math.max(...samples.get(m)!.map((u) => u.maxRssMb));
  const b = wall("hand-written");
  const one = wall("1 worker") / b;
  const two = wall("2 workers") / b;
  const base = `hand-written ${sec(b)} (CPU ${sec(cpu("hand-written"))}, ${rss("hand-written").toFixed(0)} MB)`;
  rows.push({
    figure: `wordcount ${sizeMb} MB, 1 worker: ${sec(wall("1 worker"))}, CPU ${sec(cpu("1 worker"))}, ${rss("1 worker").toFixed(0)} MB`,
    value: `${ratio(one)} (CPU ${ratio(cpu("1 worker") / cpu("hand-written"))})`,
    target: "≤ 1.20×",
    baseline: base,
    met: one <= 1.2,
  });
  rows.push({
    figure: `wordcount ${sizeMb} MB, 2 workers: ${sec(wall("2 workers"))}, CPU ${sec(cpu("2 workers"))}, ${rss("2 workers").toFixed(0)} MB`,
    value: `${ratio(two)} (${ratio(wall("2 workers") / wall("1 worker"))} of 1 worker)`,
    target: sizeMb >= 100 && sizeMb <= 200 ? "≤ 0.65×, ≤ 1 worker" : "≤ 1 worker",
    baseline: base,
    met: (sizeMb >= 100 && sizeMb <= 200 ? two <= 0.65 : true) && wall("2 workers") <= wall("1 worker"),
  });
  // What two threads can do on this machine: the same loop split over two worker threads.
  const handTwo = wall("hand-written, 2 threads");
  rows.push({
    figure: `  hand-written on 2 threads, ${sizeMb} MB: ${sec(handTwo)}, CPU ${sec(cpu("hand-written, 2 threads"))}`,
    value: `${ratio(handTwo / b)} (2 workers: ${ratio(wall("2 workers") / handTwo)} of it)`,
    target: "",
    baseline: base,
    met: undefined,
  });
  if (compare === undefined) return;
  for (const n of ["1 worker", "2 workers"] as const) {
    const c: WordcountMode = `compared, ${n}`;
    rows.push({
      figure: `  compared build, wordcount ${sizeMb} MB, ${n}: ${sec(wall(c))}, CPU ${sec(cpu(c))}, ${rss(c).toFixed(0)} MB`,
      value: `${ratio(wall(c) / b)} (CPU ${ratio(cpu(c) / cpu("hand-written"))})`,
      target: "",
      baseline: base,
      met: undefined,
    });
  }
}

function benchStartup(runs: number, rows: Row[]): void {
  const dir = path.join(DATA, "startup");
  fs.mkdirSync(dir, { recursive: true });
  const oneLine = path.join(dir, "one-line.txt");
  fs.writeFileSync(oneLine, "the quick brown fox\n");
  const wordcount = path.join(DIST, "pipelines", "wordcount.js");
  const cases: [string, string[]][] = [
    ["node -e 0", ["-e", "0"]],
    ["wordcount.js --help", [wordcount, "--help"]],
    ["wordcount.js, 1-line input", [wordcount, "--input", oneLine, "--output", path.join(dir, "out", "counts")]],
  ];
  const samples = new Map<string, Usage[]>(cases.map(([l]) => [l, []]));
  process.stdout.write(`\nstart-up, ${runs} runs each, alternating\n`);
  for (let i = 0; i < runs; i++) {
    for (const [label, args] of cases) {
      fs.rmSync(path.join(dir, "out"), { recursive: true, force: true });
      samples.get(label)!.push(timeNode(args));
    }
  }
  const bare = median(samples.get("node -e 0")!.map((u) => u.ms));
  const bareCpu = median(samples.get("node -e 0")!.map((u) => u.cpuMs));
  for (const [label] of cases.slice(1)) {
    const t = median(samples.get(label)!.map((u) => u.ms));
    const c = median(samples.get(label)!.map((u) => u.cpuMs));
    process.stdout.write(`  ${label.padEnd(28)} ${sec(t)}  CPU ${sec(c)}\n`);
    rows.push({ figure: `start-up: ${label}`, value: `${sec(t)} (CPU ${sec(c)})`, target: "< 0.30 s", baseline: `node -e 0: ${sec(bare)} (CPU ${sec(bareCpu)})`, met: t < 300 });
  }
}

/** Lines of `session-<id>-...` with `keys` distinct ids, about `sizeMb` MiB, ids in a scrambled order. */
function shuffleData(sizeMb: number, keys: number): string {
  fs.mkdirSync(DATA, { recursive: true });
  const file = path.join(DATA, `sessions-${sizeMb}mb-${keys}.txt`);
  if (fs.existsSync(file)) return file;
  const fd = fs.openSync(`${file}.tmp`, "w");
  const target = sizeMb * 1024 * 1024;
  let written = 0;
  let buf = "";
  // 2654435761 is odd and keys need not divide it: i → i·p mod keys visits ids in a scrambled order.
  for (let i = 0; written < target; i++) {
    const id = Number((BigInt(i) * 2654435761n) % BigInt(keys));
    const line = `session-${id.toString(36).padStart(8, "0")}-checkout-eu-west\n`;
    buf += line;
    written += line.length;
    if (buf.length > 1 << 20) {
      fs.writeSync(fd, buf);
      buf = "";
    }
  }
  fs.writeSync(fd, buf);
  fs.closeSync(fd);
  fs.renameSync(`${file}.tmp`, file);
  return file;
}

function directorySize(dir: string): number {
  let total = 0;
  let entries: fs.Dirent[];
  try {
    entries = fs.readdirSync(dir, { withFileTypes: true });
  } catch {
    return 0;
  }
  for (const e of entries) {
    const p = path.join(dir, e.name);
    try {
      total += e.isDirectory() ? directorySize(p) : fs.statSync(p).size;
    } catch {
      // Removed while we looked.
    }
  }
  return total;
}

/** Runs a command, sampling the size of `watch` every 100 ms; resolves with its wall time and the largest size seen. */
function runWatched(cmd: string, args: readonly string[], env: NodeJS.ProcessEnv, watch: string): Promise<{ ms: number; peakBytes: number }> {
  return new Promise((resolve, reject) => {
    const start = performance.now();
    let peak = 0;
    const timer = setInterval(() => (peak = Math.max(peak, directorySize(watch))), 100);
    const child = spawn(cmd, args, { env, stdio: ["ignore", "ignore", "inherit"] });
    child.on("error", reject);
    child.on("exit", (code, signal) => {
      clearInterval(timer);
      if (code !== 0) reject(new Error(`${cmd} ${args.join(" ")} exited with ${code ?? signal}`));
      else resolve({ ms: performance.now() - start, peakBytes: peak });
    });
  });
}

async function benchShuffle(sizeMb: number, keys: number, rows: Row[], compare: string | undefined): Promise<void> {
  const input = shuffleData(sizeMb, keys);
  const bytes = fs.statSync(input).size;
  const dir = path.join(DATA, "shuffle");
  const tmp = path.join(dir, "tmp");
  fs.rmSync(dir, { recursive: true, force: true });
  fs.mkdirSync(tmp, { recursive: true });
  process.stdout.write(`\nshuffle: ${(bytes / 1e6).toFixed(0)} MB, ${keys.toLocaleString("en-US")} distinct lines, counted through a GroupByKey\n`);
  const sortOut = path.join(dir, "sort-uniq.txt");
  const env = { ...process.env, LC_ALL: "C", TMPDIR: tmp };
  const sort = await runWatched("sh", ["-c", `sort -S 64M -T "${tmp}" "${input}" | uniq -c > "${sortOut}"`], env, tmp);
  process.stdout.write(`  sort -S 64M | uniq -c   ${sec(sort.ms)}  temporary files ${(sort.peakBytes / 1e6).toFixed(0)} MB\n`);
  const usageFile = path.join(dir, "usage.json");
  const out = path.join(dir, "beamline", "counts");
  const runBeamline = async (dist: string, label: string): Promise<{ ms: number; peakBytes: number; maxRssMb: number; cpuMs: number }> => {
    fs.rmSync(path.join(dir, "beamline"), { recursive: true, force: true });
    const child = path.join(dist, "test", "bench", "shuffle_child.js");
    const args = ["--require", path.join(__dirname, "report_usage.js"), child, "--input", input, "--output", out, "--direct_shuffle_memory_mb", "64"];
    const run = await runWatched(process.execPath, args, { ...env, BEAMLINE_BENCH_USAGE: usageFile }, tmp);
    const usage = JSON.parse(fs.readFileSync(usageFile, "utf8")) as { maxRssMb: number; cpuMs: number };
    const left = fs.readdirSync(tmp);
    if (left.length > 0) throw new Error(`shuffle: ${label} left ${left.join(", ")} in its spill directory ${tmp}`);
    process.stdout.write(`  ${label.padEnd(22)}  ${sec(run.ms)}  CPU ${sec(usage.cpuMs)}  peak RSS ${usage.maxRssMb.toFixed(0)} MB  spill files ${(run.peakBytes / 1e6).toFixed(0)} MB\n`);
    return { ...run, ...usage };
  };
  // With --compare DIST, that build's shuffle runs right after this one's (same data, same load).
  if (compare !== undefined) {
    const before = await runBeamline(compare, "compared build");
    const beforeSort = await runWatched("sh", ["-c", `sort -S 64M -T "${tmp}" "${input}" | uniq -c > "${sortOut}"`], env, tmp);
    process.stdout.write(`  sort -S 64M | uniq -c   ${sec(beforeSort.ms)}\n`);
    rows.push({
      figure: `  compared build, shuffle ${(bytes / 1e6).toFixed(0)} MB: ${sec(before.ms)}`,
      value: `${ratio(before.ms / beforeSort.ms)}, peak RSS ${before.maxRssMb.toFixed(0)} MB, disk ${(before.peakBytes / 1e6).toFixed(0)} MB`,
      target: "",
      baseline: `sort -S 64M | uniq -c ${sec(beforeSort.ms)}`,
      met: undefined,
    });
  }
  const beam = await runBeamline(DIST, "Beamline, 64 MB budget");
  const usage = beam;
  // Same groups and counts: as many output lines, and counts summing to the input's lines. Read
  // line by line: at 50 M keys an output is larger than the longest string V8 allows.
  const count = async (file: string, into: { groups: number; total: number }): Promise<void> => {
    for await (const l of readline.createInterface({ input: fs.createReadStream(file), crlfDelay: Infinity })) {
      const m = /^\s*(\d+) /.exec(l);
      if (m === null) continue;
      into.groups++;
      into.total += Number(m[1]);
    }
  };
  const expected = { groups: 0, total: 0 };
  await count(sortOut, expected);
  const got = { groups: 0, total: 0 };
  for (const f of shards(out)) await count(f, got);
  if (got.groups !== expected.groups || got.total !== expected.total) {
    throw new Error(`shuffle: Beamline counted ${got.groups} groups / ${got.total} lines, sort | uniq -c ${expected.groups} / ${expected.total}`);
  }
  rows.push({
    figure: `shuffle ${(bytes / 1e6).toFixed(0)} MB, ${expected.groups.toLocaleString("en-US")} keys, 64 MB budget: ${sec(beam.ms)}, ${(bytes / 1e6 / (beam.ms / 1000)).toFixed(1)} MB/s`,
    value: `${ratio(beam.ms / sort.ms)}, peak RSS ${usage.maxRssMb.toFixed(0)} MB, disk ${(beam.peakBytes / 1e6).toFixed(0)} MB`,
    target: "memory bounded",
    baseline: `sort -S 64M | uniq -c ${sec(sort.ms)}, ${(bytes / 1e6 / (sort.ms / 1000)).toFixed(1)} MB/s, disk ${(sort.peakBytes / 1e6).toFixed(0)} MB`,
    met: undefined,
  });
  fs.rmSync(dir, { recursive: true, force: true });
}

export function printTable(rows: readonly Row[]): void {
  const cols: (keyof Row)[] = ["figure", "value", "target", "baseline"];
  const cell = (r: Row, c: keyof Row): string => (c === "target" && r.met !== undefined ? `${r.target} ${r.met ? "met" : "MISSED"}` : String(r[c]));
  const widths = cols.map((c) => Math.max(c.length, ...rows.map((r) => cell(r, c).length)));
  const line = (cells: string[]): string => `${cells.map((s, i) => s.padEnd(widths[i]!)).join(" | ")}\n`;
  process.stdout.write(`\n${line(cols.map(String))}${line(widths.map((w) => "-".repeat(w)))}`);
  for (const r of rows) process.stdout.write(line(cols.map((c) => cell(r, c))));
}

export async function benchBatch(flag: (name: string, fallback: string) => string): Promise<void> {
  const rows: Row[] = [];
  const runs = Number(flag("runs", "3"));
  const runsLarge = Number(flag("runs_large", "1"));
  const compare = flag("compare", "") === "" ? undefined : path.resolve(flag("compare", ""));
  for (const size of flag("sizes", "5,100,2048").split(",").map(Number)) benchWordcountSize(size, size >= 1024 ? runsLarge : runs, rows, compare);
  benchStartup(Number(flag("startup_runs", "7")), rows);
  const shuffleMb = Number(flag("shuffle_mb", "500"));
  if (shuffleMb > 0) await benchShuffle(shuffleMb, Number(flag("shuffle_keys", "10000000")), rows, compare);
  printTable(rows);
}
