/**
 * The pipeline of the parallel streaming benchmark (./streaming_parallel.ts), in its own process:
 * Pub/Sub subscription → parse the JSON message, add a field, serialize → Pub/Sub topic, on the
 * DirectRunner with --direct_num_workers W. Worker threads rebuild the program from this module.
 *
 *     node dist/test/bench/streaming_parallel_child.js --input SUB --output TOPIC --workers W
 *
 * stderr: READY once running. stdout: a JSON line per 100 ms, `{"t":epochMs,"written":N,"cpuMs":C}`
 * (messages published so far, CPU of the whole process), and `{"state":...}` once drained (SIGTERM).
 */
import "../../runners/direct";
import { definePipeline, isStreamingResult } from "../../lib";
import { ReadFromPubSub, WriteToPubSub } from "../../lib/io/pubsub";

interface BenchMessage {
  readonly ID: number;
  readonly sentAt: number;
  readonly payload: string;
}

export const parallelMapBench = definePipeline({
  name: "bench-streaming-parallel",
  description: "Pub/Sub → map → Pub/Sub",
  flags: {
    input: { type: "string", describe: "subscription to read", required: true },
    output: { type: "string", describe: "topic to write", required: true },
  },
  build(root, flags) {
    root
      .apply("Read", ReadFromPubSub.from({ subscription: flags.input }))
      .map("Parse", (data: Uint8Array) => JSON.parse(Buffer.from(data).toString("utf8")) as BenchMessage)
      .map("Enrich", (m: BenchMessage) => Buffer.from(JSON.stringify({ ...m, length: m.payload.length, processedAt: Date.now() }), "utf8") as Uint8Array)
      .apply("Write", WriteToPubSub.to(flags.output));
  },
});

async function main(): Promise<void> {
  const arg = (name: string): string => process.argv[process.argv.indexOf(`--${name}`) + 1]!;
  const result = await parallelMapBench.run({ input: arg("input"), output: arg("output") }, { project: "bench", directNumWorkers: Number(arg("workers")) });
  if (!isStreamingResult(result)) throw new Error("not a streaming run");
  const cpuMs = (): number => {
    const u = process.cpuUsage();
    return (u.user + u.system) / 1000;
  };
  const sampler = setInterval(() => process.stdout.write(`${JSON.stringify({ t: Date.now(), written: result.progress().elementsWritten, cpuMs: cpuMs() })}\n`), 100);
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
