/**
 * The pipeline of the parallel streaming benchmark (./streaming_parallel.ts), in its own process:
 * Pub/Sub subscription → parse the JSON message, add a field, serialize → Pub/Sub topic, on the
 * DirectRunner with --direct_num_workers W; or (--pipeline keyed) Pub/Sub → parse → key (1,000
 * keys, or --keys N) → 1 s fixed windows → Count.perKey → Pub/Sub, whose count runs behind the keyed exchange
 * with 2 workers. Worker threads rebuild the program from this module.
 *
 *     node dist/test/bench/streaming_parallel_child.js --input SUB --output TOPIC --workers W [--pipeline map|keyed] [--keys N]
 *
 * stderr: READY once running. stdout: a JSON line per 100 ms, `{"t":epochMs,"read":R,"written":N,"cpuMs":C,"threads":[M,W,H]}`
 * (messages read and published so far, CPU of the whole process, and on Linux that CPU split into the
 * main thread, the threads the run started (the instances' worker threads) and the threads the
 * process had before it (V8's garbage collection and compiler helpers, libuv)), and
 * `{"state":...}` once drained (SIGTERM).
 */
import { readdirSync, readFileSync } from "node:fs";
import "../../runners/direct";
import { Count, definePipeline, FixedWindows, isStreamingResult, kv, KV, Window } from "../../lib";
import { ReadFromPubSub, WriteToPubSub } from "../../lib/io/pubsub";

interface BenchMessage {
  readonly ID: number;
  readonly sentAt: number;
  readonly payload: string;
}

const flags = {
  input: { type: "string", describe: "subscription to read", required: true },
  output: { type: "string", describe: "topic to write", required: true },
} as const;

export const parallelMapBench = definePipeline({
  name: "bench-streaming-parallel",
  description: "Pub/Sub → map → Pub/Sub",
  flags,
  build(root, flags) {
    root
      .apply("Read", ReadFromPubSub.from({ subscription: flags.input }))
      .map("Parse", (data: Uint8Array) => JSON.parse(Buffer.from(data).toString("utf8")) as BenchMessage)
      .map("Enrich", (m: BenchMessage) => Buffer.from(JSON.stringify({ ...m, length: m.payload.length, processedAt: Date.now() }), "utf8") as Uint8Array)
      .apply("Write", WriteToPubSub.to(flags.output));
  },
});

export const keyedCountBench = definePipeline({
  name: "bench-streaming-parallel-keyed",
  description: "Pub/Sub → key → windowed count → Pub/Sub",
  flags: { ...flags, keys: { type: "number", describe: "distinct keys (message ID mod keys)", default: 1000 } },
  build(root, flags) {
    root
      .apply("Read", ReadFromPubSub.from({ subscription: flags.input }))
      .map("Key", (data: Uint8Array) => {
        const m = JSON.parse(Buffer.from(data).toString("utf8")) as BenchMessage;
        return kv(`k${m.ID % flags.keys}`, m.payload.length);
      })
      .apply("Window", Window.into(new FixedWindows(1000)))
      .apply("Count", Count.perKey())
      .map("Format", (c: KV<string, number>) => Buffer.from(JSON.stringify(c), "utf8") as Uint8Array)
      .apply("Write", WriteToPubSub.to(flags.output));
  },
});

/** A thread's CPU time so far (ms), from /proc (0 if it ended or this is not Linux). */
function threadCpuMs(tid: string): number {
  try {
    const fields = readFileSync(`/proc/self/task/${tid}/stat`, "utf8").split(") ")[1]!.split(" ");
    return ((Number(fields[11]) + Number(fields[12])) * 1000) / 100;
  } catch {
    return 0;
  }
}

function listThreads(): string[] {
  try {
    return readdirSync("/proc/self/task");
  } catch {
    return [];
  }
}

/** CPU ms of [the main thread, threads started since `before`, the other threads of `before`]. */
function threadSplit(before: ReadonlySet<string>): [number, number, number] {
  const split: [number, number, number] = [0, 0, 0];
  for (const tid of listThreads()) split[tid === String(process.pid) ? 0 : before.has(tid) ? 2 : 1] += threadCpuMs(tid);
  return split;
}

async function main(): Promise<void> {
  const threadsBefore = new Set(listThreads());
  const arg = (name: string): string => process.argv[process.argv.indexOf(`--${name}`) + 1]!;
  const program = process.argv.includes("--pipeline") && arg("pipeline") === "keyed" ? keyedCountBench : parallelMapBench;
  const options = { project: "bench", directNumWorkers: Number(arg("workers")) };
  const io = { input: arg("input"), output: arg("output") };
  const result = program === keyedCountBench ? await keyedCountBench.run({ ...io, keys: process.argv.includes("--keys") ? Number(arg("keys")) : 1000 }, options) : await parallelMapBench.run(io, options);
  if (!isStreamingResult(result)) throw new Error("not a streaming run");
  const cpuMs = (): number => {
    const u = process.cpuUsage();
    return (u.user + u.system) / 1000;
  };
  const sampler = setInterval(() => process.stdout.write(`${JSON.stringify({ t: Date.now(), read: result.progress().elementsRead, written: result.progress().elementsWritten, cpuMs: cpuMs(), threads: threadSplit(threadsBefore) })}\n`), 100);
  process.stderr.write("READY\n");
  const state = await result.waitUntilFinish();
  clearInterval(sampler);
  process.stdout.write(`${JSON.stringify({ state })}\n`);
}

if (require.main === module) {
  main().catch((e: Error) => {
    process.stderr.write(`${e.stack ?? e.message}\n`);
    process.exitCode = 1;
  });
}
