/**
 * The hand-written word count `npm run bench` compares Beamline's wordcount with: the simplest
 * fast single-pass Node.js code a user would write (stream the file, split lines, the same word
 * regex, a Map, one buffered write). It imports nothing but Node's own modules, so its process
 * start-up is Node's alone.
 *
 * With `--threads N` (N > 1) it is the same loop split the way a user would split it over N worker
 * threads: the file cut into N byte ranges at line boundaries, each thread counting its range
 * into a Map of its own, the maps merged and written by the main thread. It is what this machine
 * allows for `--direct_num_workers N` (two threads on a shared 2-core VM do not run twice as fast).
 *
 *   node dist/test/bench/wordcount_baseline.js INPUT OUTPUT_FILE [--threads N]
 */
import * as fs from "node:fs";

const WORD = /[\p{L}\p{N}_']+/gu;

/** Counts the words of the lines of `input` in bytes [start, end) (the whole file by default). */
async function count(input: string, start = 0, end = Infinity): Promise<Map<string, number>> {
  const counts = new Map<string, number>();
  const countLine = (line: string): void => {
    const words = line.match(WORD);
    if (words === null) return;
    for (const w of words) counts.set(w, (counts.get(w) ?? 0) + 1);
  };
  let rest = "";
  const range = end === Infinity ? { start } : { start, end: end - 1 };
  if (end > start) {
    for await (const chunk of fs.createReadStream(input, { encoding: "utf8", highWaterMark: 1 << 20, ...range })) {
      const lines = (rest + (chunk as string)).split("\n");
      rest = lines.pop()!;
      for (const line of lines) countLine(line);
    }
  }
  countLine(rest);
  return counts;
}

async function write(counts: Map<string, number>, output: string): Promise<void> {
  const out = fs.createWriteStream(output);
  let buf = "";
  for (const [w, n] of counts) {
    buf += `${w}: ${n}\n`;
    if (buf.length > 1 << 16) {
      if (!out.write(buf)) await new Promise<void>((r) => out.once("drain", () => r()));
      buf = "";
    }
  }
  out.write(buf);
  await new Promise<void>((resolve, reject) => out.end((e?: Error | null) => (e ? reject(e) : resolve())));
}

/** The offset just after the first newline at or after `from` (the file's size if there is none). */
function lineStartFrom(fd: number, from: number, size: number): number {
  const buf = Buffer.allocUnsafe(1 << 16);
  for (let pos = from; pos < size; pos += buf.length) {
    const n = fs.readSync(fd, buf, 0, buf.length, pos);
    const i = buf.subarray(0, n).indexOf(10);
    if (i >= 0) return pos + i + 1;
  }
  return size;
}

/** The file cut into `threads` byte ranges that start and end at line boundaries. */
function lineRanges(input: string, threads: number): [number, number][] {
  const size = fs.statSync(input).size;
  const fd = fs.openSync(input, "r");
  try {
    const cuts = [0];
    for (let i = 1; i < threads; i++) cuts.push(Math.max(cuts[i - 1]!, lineStartFrom(fd, Math.floor((size * i) / threads) - 1, size)));
    cuts.push(size);
    return cuts.slice(0, -1).map((c, i) => [c, cuts[i + 1]!]);
  } finally {
    fs.closeSync(fd);
  }
}

async function main(input: string, output: string, threads: number): Promise<void> {
  if (threads <= 1) return write(await count(input), output);
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const { Worker } = require("node:worker_threads") as typeof import("node:worker_threads");
  const parts = await Promise.all(
    lineRanges(input, threads).map(
      ([start, end]) =>
        new Promise<Map<string, number>>((resolve, reject) => {
          const w = new Worker(__filename, { workerData: { input, start, end }, argv: ["--threads"] });
          w.once("message", resolve);
          w.once("error", reject);
        }),
    ),
  );
  const total = parts[0]!;
  for (const part of parts.slice(1)) for (const [w, n] of part) total.set(w, (total.get(w) ?? 0) + n);
  await write(total, output);
}

// Worker threads are started with --threads in their argv: the one-thread run loads node:worker_threads not at all.
// eslint-disable-next-line @typescript-eslint/no-require-imports
const thread = process.argv.includes("--threads") ? (require("node:worker_threads") as typeof import("node:worker_threads")) : undefined;
if (thread !== undefined && !thread.isMainThread) {
  const { input, start, end } = thread.workerData as { input: string; start: number; end: number };
  void count(input, start, end).then((counts) => thread.parentPort!.postMessage(counts));
} else {
  const args = process.argv.slice(2);
  const t = args.indexOf("--threads");
  const threads = t >= 0 ? Number(args.splice(t, 2)[1]) : 1;
  const [input, output] = args;
  if (input === undefined || output === undefined || !(threads >= 1)) {
    process.stderr.write("usage: wordcount_baseline INPUT OUTPUT_FILE [--threads N]\n");
    process.exitCode = 2;
  } else {
    main(input, output, threads).catch((e: unknown) => {
      process.stderr.write(`${String(e instanceof Error ? e.stack : e)}\n`);
      process.exitCode = 1;
    });
  }
}
