/**
 * RunInference in streaming with `maxBatchDurationSecs` (Beam's BatchElements with
 * max_batch_duration_secs): batches span bundles, bounded by size, processing time and the
 * window's end. TestStream's virtual processing time drives the buffering timer (no sleeps).
 */
import { strict as assert } from "node:assert";
import { Create, FixedWindows, GroupByKey, kv, Window, type KV } from "../../lib";
import { clearSharedModels, RunInference, type ModelHandler, type PredictionResult } from "../../lib/ml";
import { TestStream, type TimestampedElement } from "../../lib/testing/test_stream";
import { collect, type Observed } from "../streaming/collect";
import { runDirect } from "../helpers";

/** Multiplies each example by 10 and records the batches it was given. */
class TimesTen implements ModelHandler<number, number, null> {
  readonly batches: number[][] = [];
  constructor(readonly modelKey: string) {}
  async loadModel(): Promise<null> {
    return null;
  }
  async runInference(batch: readonly number[]): Promise<readonly number[]> {
    this.batches.push([...batch]);
    return batch.map((x) => x * 10);
  }
}

const at = (value: number, timestamp: number): TimestampedElement<number> => ({ value, timestamp });

describe("ml/RunInference in streaming, batching across bundles (maxBatchDurationSecs)", () => {
  beforeEach(() => clearSharedModels());

  it("fills a batch from several bundles, runs it once its first element has waited maxBatchDurationSecs of processing time, or once it is full; the last at the end", async () => {
    const handler = new TimesTen("acrossBundles");
    const out: Observed<PredictionResult<number, number>>[] = [];
    const result = await runDirect((p) => {
      const { main } = p
        .apply(
          TestStream.create<number>()
            // Three bundles of one element: without batching across bundles, three batches of one.
            .addElements(at(1, 100))
            .addElements(at(2, 200))
            .advanceProcessingTime(500) // half the wait: no batch yet
            .addElements(at(3, 300))
            .advanceProcessingTime(600) // 1.1 s after element 1: its batch runs, with 2 and 3
            .addElements(at(4, 400), at(5, 500), at(6, 600), at(7, 700), at(8, 800)) // four fill a batch
            .advanceWatermarkToInfinity(), // the window ends: 8 runs
        )
        .apply(RunInference.of(handler, { minBatchSize: 4, maxBatchSize: 4, maxBatchDurationSecs: 1 }));
      collect(main, out);
    });
    assert.equal(await result.waitUntilFinish(), "DONE");
    assert.deepEqual(handler.batches, [[1, 2, 3], [4, 5, 6, 7], [8]]);
    // Each result keeps its own element's timestamp.
    assert.deepEqual(
      out.map((o) => [o.value.example, o.value.inference, o.timestamp]).sort((a, b) => a[0]! - b[0]!),
      [1, 2, 3, 4, 5, 6, 7, 8].map((i) => [i, i * 10, i * 100]),
    );
    const step = "RunInference/Infer";
    assert.equal(result.metrics.counters({ step }).find((c) => c.name === "num_inferences")?.value, 8);
    assert.equal(result.metrics.distributions({ step }).find((d) => d.name === "inference_request_batch_size")?.value.count, 3);
  });

  it("never mixes windows, runs a window's batch when the watermark passes its end (before the wait is over), and a grouping downstream gets every result on time", async () => {
    const handler = new TimesTen("perWindow");
    const out: Observed<KV<string, number[]>>[] = [];
    const result = await runDirect((p) => {
      const { main } = p
        .apply(
          TestStream.create<number>()
            .addElements(at(1, 100), at(11, 1100))
            .addElements(at(2, 200), at(12, 1200))
            .advanceWatermarkTo(1000) // window [0, 1000) ends: 1 and 2 run, long before a minute
            .addElements(at(13, 1300))
            .advanceWatermarkToInfinity(),
        )
        .apply(Window.into(new FixedWindows(1000)))
        .apply(RunInference.of(handler, { minBatchSize: 8, maxBatchSize: 8, maxBatchDurationSecs: 60 }));
      const grouped = main.map("Key", (r: PredictionResult<number, number>) => kv("all", r.inference)).apply(GroupByKey.create());
      collect(grouped, out);
    });
    assert.equal(await result.waitUntilFinish(), "DONE");
    assert.deepEqual(handler.batches, [[1, 2], [11, 12, 13]]);
    assert.deepEqual(
      out.map((o) => `${o.window} ${[...o.value.value].sort((a, b) => a - b).join(",")} ${o.pane.timing}`),
      ["0:1000 10,20 ON_TIME", "1000:2000 110,120,130 ON_TIME"],
    );
    assert.equal(result.metrics.counterTotal("beamline", "droppedDueToLateness"), 0);
  });

  it("in a bounded pipeline, batches of the size asked for and the rest when the input ends (Beam's test_stateful_constant_batch)", async () => {
    const handler = new TimesTen("bounded");
    const result = await runDirect((p) => {
      p.apply(Create.of(...Array.from({ length: 35 }, (_, i) => i))).apply(RunInference.of(handler, { minBatchSize: 10, maxBatchSize: 10, maxBatchDurationSecs: 100 }));
    });
    assert.equal(await result.waitUntilFinish(), "DONE");
    assert.deepEqual(handler.batches.map((b) => b.length), [10, 10, 10, 5]);
    assert.deepEqual(handler.batches.flat().sort((a, b) => a - b), Array.from({ length: 35 }, (_, i) => i));
  });

  it("keyed: sends rejected elements and elements the model fails on to `failed` with their own timestamps; the key rides along", async () => {
    class Picky extends TimesTen {
      validate(x: number): string | undefined {
        return x < 0 ? `negative: ${x}` : undefined;
      }
      override async runInference(batch: readonly number[]): Promise<readonly number[]> {
        if (batch.includes(13)) throw new Error("13 is unlucky");
        return super.runInference(batch);
      }
    }
    const handler = new Picky("failedStateful");
    const main: Observed<KV<string, PredictionResult<number, number>>>[] = [];
    const failed: Observed<unknown>[] = [];
    const result = await runDirect((p) => {
      const outputs = p
        .apply(TestStream.create<KV<string, number>>().addElements({ value: kv("a", 1), timestamp: 10 }, { value: kv("b", -1), timestamp: 20 }).addElements({ value: kv("c", 13), timestamp: 30 }).advanceWatermarkToInfinity())
        .apply(RunInference.keyed<string, number, number, null>(handler, { maxBatchSize: 8, maxBatchDurationSecs: 5 }));
      collect(outputs.main, main);
      collect(outputs.failed, failed, "CollectFailed");
    });
    assert.equal(await result.waitUntilFinish(), "DONE");
    assert.deepEqual(main.map((o) => [o.value.key, o.value.value.inference, o.timestamp]), [["a", 10, 10]]);
    assert.deepEqual(
      failed.map((o) => [o.value, o.timestamp]),
      [
        [{ element: kv("b", -1), reason: "negative: -1", step: "RunInference/Infer" }, 20],
        [{ element: kv("c", 13), reason: "13 is unlucky", step: "RunInference/Infer" }, 30],
      ],
    );
  });

  it("refuses a maxBatchDurationSecs that is not a positive number of seconds, naming the step", async () => {
    const result = await runDirect((p) => {
      p.apply(TestStream.create<number>().addElements(at(1, 1)).advanceWatermarkToInfinity()).apply("Predict", RunInference.of(new TimesTen("badDuration"), { maxBatchDurationSecs: 0 }));
    });
    await assert.rejects(result.waitUntilFinish(), /Predict\/Infer.*maxBatchDurationSecs must be a positive number of seconds, got 0/s);
  });
});
