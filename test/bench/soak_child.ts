/**
 * The soak benchmark's streaming job, run as its own process (so its RSS is its own): Pub/Sub →
 * 5 s fixed windows → Count.perKey over 100 keys → a sink printing each pane's count. Every 5 s it
 * prints its memory as a JSON line. SIGTERM drains it.
 *
 *     node dist/test/bench/soak_child.js --subscription S [--checkpoint_dir D]
 *
 * stdout lines: `{"counted":N}` per pane, `{"t":ms,"rssMb":..,"heapMb":..}` per sample.
 */
import { performance } from "node:perf_hooks";
import { Count, definePipeline, DoFn, FixedWindows, KV, ParDo, Window, WithKeys } from "../../lib";
import { ReadFromPubSub } from "../../lib/io/pubsub";

const SAMPLE_MS = 5000;

class PrintCounts extends DoFn<KV<string, number>, never> {
  process(pane: KV<string, number>): void {
    process.stdout.write(`{"counted":${pane.value}}\n`);
  }
}

export const soakJob = definePipeline({
  name: "soak",
  description: "The soak benchmark's windowed count from Pub/Sub.",
  flags: { subscription: { type: "string", describe: "Input subscription", required: true } },
  build(root, flags) {
    root
      .apply("Read", ReadFromPubSub.from({ subscription: flags.subscription, idAttribute: "id" }))
      .map("Parse", (data: Uint8Array) => Number(Buffer.from(data).toString("ascii")))
      .apply("Window", Window.into(new FixedWindows(5000)))
      .apply("Key", WithKeys.of((n: number) => `k${n % 100}`))
      .apply("Count", Count.perKey())
      .apply("Print", ParDo.of(new PrintCounts()));
  },
});

const started = performance.now();
const sample = (): void => {
  const m = process.memoryUsage();
  process.stdout.write(`${JSON.stringify({ t: Math.round(performance.now() - started), rssMb: m.rss / 2 ** 20, heapMb: m.heapUsed / 2 ** 20 })}\n`);
};
sample();
setInterval(sample, SAMPLE_MS).unref();
void soakJob.main();
