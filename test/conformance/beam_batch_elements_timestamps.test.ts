/**
 * The timestamps of BatchElements' batches across bundles (`maxBatchDurationSecs`), as Beam
 * Python 2.66 gives them (util.py `_pardo_stateful_batch_elements`; run on its DirectRunner and,
 * for the processing-time flush, on Prism):
 *
 * - a batch that fills in process() is output there, at the timestamp (and in the window) of the
 *   element that filled it: DirectRunner, 1@10 s 2@20 s 3@30 s 4@70 s 5@5 s in batches of 2 →
 *   [1,2]@20 s, [3,4]@70 s (global window); in 60 s windows [1,2]@20 s and [3,5]@5 s;
 * - a batch the buffering (processing-time) timer flushes is at that timer's hold, the timestamp
 *   of the batch's first element (Prism: [1..5]@10 s);
 * - a batch the window-end timer flushes is at the window's end: the global window's last
 *   timestamp; for an interval window Beam Python's `window.end`, one instant past the window,
 *   which here is the window's last timestamp (inside the window, where an event-time timer may fire).
 *
 * The timers hold the step's output watermark (batch_state.ts), so a batch at its elements' time
 * is not late downstream, even in smaller windows after the input watermark passed it.
 */
import { strict as assert } from "node:assert";
import { BatchElements, Create, FixedWindows, GLOBAL_WINDOW_MAX_TIMESTAMP, GroupByKey, kv, TestStream, Window, type KV, type PCollection } from "../../lib";
import type { Pipeline } from "../../lib/model/pipeline";
import { runDirect } from "../helpers";
import { collect, type Observed } from "../streaming/collect";

async function run<T>(build: (p: Pipeline) => PCollection<T>, streaming = false): Promise<Observed<T>[]> {
  const out: Observed<T>[] = [];
  const result = await runDirect((p) => collect(build(p), out), { streaming });
  assert.equal(await result.waitUntilFinish(), "DONE");
  return out;
}

const ELEMENTS = [
  { value: 1, timestamp: 10_000 },
  { value: 2, timestamp: 20_000 },
  { value: 3, timestamp: 30_000 },
  { value: 4, timestamp: 70_000 },
  { value: 5, timestamp: 5_000 },
];
const byTime = (a: Observed<number[]>, b: Observed<number[]>): number => a.timestamp - b.timestamp || a.value[0]! - b.value[0]!;
const show = (out: Observed<number[]>[]): string[] => [...out].sort(byTime).map((o) => `${o.value.join(",")}@${o.timestamp} ${o.window}`);

describe("Beam conformance: the timestamps of BatchElements' batches across bundles (maxBatchDurationSecs)", () => {
  it("a batch that fills is at the timestamp of the element that filled it; what is left at the window's end (Beam's DirectRunner)", async () => {
    const batchOf2 = { minBatchSize: 2, maxBatchSize: 2, maxBatchDurationSecs: 100 };
    const global = await run((p) => p.apply(Create.timestamped(ELEMENTS)).apply(BatchElements.of<number>(batchOf2)));
    assert.deepEqual(show(global), ["1,2@20000 global", "3,4@70000 global", `5@${GLOBAL_WINDOW_MAX_TIMESTAMP} global`]);
    const fixed = await run((p) => p.apply(Create.timestamped(ELEMENTS)).apply(Window.into(new FixedWindows(60_000))).apply(BatchElements.of<number>(batchOf2)));
    assert.deepEqual(show(fixed), ["3,5@5000 0:60000", "1,2@20000 0:60000", "4@119999 60000:120000"]);
  });

  it("a batch the buffering timer flushes is at its first element's timestamp (the timer's hold), on time in smaller windows downstream after the input watermark passed it", async () => {
    // 1@1 s and 2@2 s fill a batch of 2; 3@4 s waits until processing time passes its 1 s of
    // buffering, after the input watermark reached 15 s: the timer's hold keeps the step's output
    // watermark at 4 s, so the 1 s windows downstream have not closed; 4@16 s waits for the end.
    const stream = TestStream.create<number>()
      .addElements({ value: 1, timestamp: 1_000 }, { value: 2, timestamp: 2_000 })
      .advanceWatermarkTo(3_000)
      .addElements({ value: 3, timestamp: 4_000 })
      .advanceWatermarkTo(15_000)
      .advanceProcessingTime(5_000)
      .addElements({ value: 4, timestamp: 16_000 })
      .advanceWatermarkToInfinity();
    const out = await run(
      (p) =>
        p
          .apply(stream)
          .apply(BatchElements.of<number>({ minBatchSize: 2, maxBatchSize: 2, maxBatchDurationSecs: 1 }))
          .apply("PerSecond", Window.into(new FixedWindows(1_000)))
          .map("Keyed", (b: number[]) => kv("batches", b.join(",")))
          .apply(GroupByKey.create())
          .map("Sizes", (g: KV<string, Iterable<string>>) => [...g.value].sort().join(" ")),
      true,
    );
    const sorted = [...out].sort((a, b) => a.timestamp - b.timestamp);
    assert.deepEqual(
      sorted.map((o) => (o.timestamp === GLOBAL_WINDOW_MAX_TIMESTAMP ? `${o.value} at the end` : `${o.value} in ${o.window}`)),
      ["1,2 in 2000:3000", "3 in 4000:5000", "4 at the end"],
    );
  });
});
