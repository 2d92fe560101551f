/**
 * BatchElements programs run with worker threads (directNumWorkers: 2, every bundle in a worker
 * thread, which rebuilds the pipeline from this module): each batch is checked where it is made,
 * and counted, so the test reads what happened in every thread from the metrics.
 */
import { isMainThread } from "node:worker_threads";
import { ReadFromPubSub, WriteToPubSub } from "../../lib/io/pubsub";
import type { IntervalWindow } from "../../lib/model/window";
import { assertThat, BatchElements, Create, definePipeline, equalTo, FixedWindows, GlobalWindows, Metrics, ParDo, TestStream, Window, type PCollection, type ProcessContext } from "../../lib";

const range = (n: number): number[] => Array.from({ length: n }, (_, i) => i);

/** Elements i at i × 10 ms in 1 s windows, batched 3 to 40 (across bundles if `stateful`), from Create or a TestStream; each batch's timestamp checked. */
export const batchElementsProgram = definePipeline({
  name: "test-batch-elements",
  description: "BatchElements across worker threads",
  flags: {
    n: { type: "number", describe: "elements", default: 2000 },
    stateful: { type: "boolean", describe: "batch across bundles (maxBatchDurationSecs)", default: false },
    stream: { type: "boolean", describe: "read a TestStream instead of Create", default: false },
  },
  build(root, flags) {
    const values = range(flags.n).map((t) => ({ value: t, timestamp: t * 10 }));
    let input: PCollection<number>;
    if (flags.stream) {
      let stream = TestStream.create<number>();
      for (let i = 0; i < values.length; i += 50) stream = stream.addElements(...values.slice(i, i + 50)).advanceWatermarkTo(values[Math.min(i + 49, values.length - 1)]!.timestamp);
      input = root.apply(stream.advanceWatermarkToInfinity());
    } else {
      input = root.apply(Create.timestamped(values));
    }
    const batches = input.apply(Window.into(new FixedWindows(1000))).apply(BatchElements.of({ minBatchSize: 3, maxBatchSize: 40, ...(flags.stateful ? { maxBatchDurationSecs: 100 } : {}) }));
    const checked = batches.apply("Check", ParDo.of((batch: number[], ctx: ProcessContext<number>) => {
      const windows = new Set(batch.map((t) => Math.floor(t / 100)));
      const start = [...windows][0]! * 1000;
      // Within bundles a batch is at its window's last timestamp; across bundles (Beam's stateful
      // BatchElements) one that filled is at its last element's timestamp, one the buffering
      // timer flushed at its first element's, and what the window's end flushed at its last timestamp.
      const at = flags.stateful ? [start + 999, batch[batch.length - 1]! * 10, batch[0]! * 10] : [start + 999];
      const good = batch.length >= 1 && batch.length <= 40 && windows.size === 1 && ctx.window.id() === `${start}:${start + 1000}` && at.includes(ctx.timestamp);
      Metrics.counter("test", good ? "goodBatches" : "badBatches").inc();
      Metrics.counter("test", isMainThread ? "batchesInMainThread" : "batchesInWorkerThread").inc();
      for (const t of batch) ctx.output(t);
    }));
    assertThat(checked.apply("Global", Window.into(new GlobalWindows())), equalTo(range(flags.n)), "AssertEveryElementOnce");
  },
});

/**
 * Pub/Sub (a number per message, its event time in the 'ts' attribute) → 10 s windows →
 * BatchElements across bundles (3 to 8, at most 1 s of buffering) → "windowStart:n,n,..." per
 * batch → Pub/Sub. The streaming driver runs its steps on parallel instances with directNumWorkers 2.
 */
export const pubSubBatchElementsProgram = definePipeline({
  name: "test-batch-elements-pubsub",
  description: "stateful BatchElements on parallel streaming instances",
  flags: {
    input: { type: "string", describe: "subscription to read", required: true },
    output: { type: "string", describe: "topic to write batches to", required: true },
  },
  build(root, f) {
    root
      .apply("Read", ReadFromPubSub.from({ subscription: f.input, timestampAttribute: "ts" }))
      .map("Parse", (data: Uint8Array) => Number(Buffer.from(data).toString("utf8")))
      .apply("Window", Window.into(new FixedWindows(10_000)))
      .apply(BatchElements.of({ minBatchSize: 3, maxBatchSize: 8, maxBatchDurationSecs: 1 }))
      .apply(
        "Format",
        ParDo.of((batch: number[], ctx: ProcessContext<Uint8Array>) => {
          Metrics.counter("test", isMainThread ? "batchesInMainThread" : "batchesInWorkerThread").inc();
          const w = ctx.window as IntervalWindow;
          ctx.output(Buffer.from(`${w.start}@${ctx.timestamp - w.start}:${batch.join(",")}`));
        }),
      )
      .apply("Write", WriteToPubSub.to(f.output));
  },
});
