/**
 * Beam's own tests of BatchElements as the oracle (Beam Python's util_test.py BatchElementsTest),
 * with Beam's expected outputs: in batch (Create) and streaming (TestStream with explicit
 * watermarks and processing time), within bundles and, with maxBatchDurationSecs, across them.
 * Beam's clock is faked (`clock: () => 0`, its FakeClock) where its test fakes it, so sizes grow
 * deterministically. Beam's tests "assume a single bundle", as one worker runs them here; with
 * two workers (directNumWorkers: 2) the tests check what holds whatever the bundles: every
 * element once, no batch over the maximum or across windows, each at its window's last timestamp.
 */
import { strict as assert } from "node:assert";
import { AfterCount, BatchElements, Count, Create, FixedWindows, GLOBAL_WINDOW_MAX_TIMESTAMP, GlobalWindows, GroupByKey, kv, Repeatedly, TestStream, Window, type KV, type PCollection, type PipelineResult } from "../../lib";
import type { Pipeline } from "../../lib/model/pipeline";
import type { PipelineOptions } from "../../lib/model/options";
import { runDirect } from "../helpers";
import { batchElementsProgram } from "../transforms/batch_elements_programs";
import { collect, type Observed } from "../streaming/collect";

const SCIENTISTS = ["Einstein", "Darwin", "Copernicus", "Pasteur", "Curie", "Faraday", "Newton", "Bohr", "Galilei", "Maxwell"];
const range = (n: number, from = 0): number[] => Array.from({ length: n - from }, (_, i) => from + i);
const fakeClock = (): number => 0;

/** Runs `build` and returns what it outputs (every worker's sink is this one array) and the result. */
async function run<T>(build: (p: Pipeline) => PCollection<T>, options: Partial<PipelineOptions> = {}): Promise<{ out: Observed<T>[]; result: PipelineResult }> {
  const out: Observed<T>[] = [];
  const result = await runDirect((p) => collect(build(p), out), options);
  await result.waitUntilFinish();
  return { out, result };
}

const lengths = (out: readonly Observed<readonly unknown[]>[]): number[] => out.map((o) => o.value.length).sort((a, b) => a - b);
const sorted = (xs: readonly number[]): number[] => [...xs].sort((a, b) => a - b);

/** `values` (seconds i → timestamp i s) in a TestStream that then ends. */
const streamOf = <T>(values: readonly { value: T; timestamp: number }[]) => TestStream.create<T>().addElements(...values).advanceWatermarkToInfinity();

describe("Beam conformance: BatchElements (util_test.py BatchElementsTest)", () => {
  it("test_constant_batch: 35 elements in batches of 10: 10, 10, 10, 5, with BatchElements' batch_size distribution", async () => {
    const { out, result } = await run((p) => p.apply(Create.from(range(35))).apply(BatchElements.of({ minBatchSize: 10, maxBatchSize: 10 })));
    assert.deepEqual(lengths(out), [5, 10, 10, 10]);
    assert.deepEqual(sorted(out.flatMap((o) => o.value)), range(35));
    const dist = result.metrics.distributions({ namespace: "BatchElements" }).find((d) => d.name === "batch_size");
    assert.equal(dist?.value.sum, 35, "the batch_size distribution saw every batch");
    assert.equal(dist?.value.count, 4);
  });

  it("test_constant_batch_no_metrics: recordMetrics false reports no batch_size", async () => {
    const { out, result } = await run((p) => p.apply(Create.from(range(35))).apply(BatchElements.of({ minBatchSize: 10, maxBatchSize: 10, recordMetrics: false })));
    assert.deepEqual(lengths(out), [5, 10, 10, 10]);
    assert.equal(result.metrics.distributions({ namespace: "BatchElements" }).length, 0);
  });

  it("test_grows_to_max_batch: 164 elements from 1 up to 50 (the first timing left out): 1 1 2 4 8 16 32 50 50", async () => {
    const { out } = await run((p) => p.apply(Create.from(range(164))).apply(BatchElements.of({ minBatchSize: 1, maxBatchSize: 50, clock: fakeClock })));
    assert.deepEqual(
      out.map((o) => o.value.length),
      [1, 1, 2, 4, 8, 16, 32, 50, 50],
    );
    assert.deepEqual(
      out.flatMap((o) => o.value),
      range(164),
      "in order, within one bundle",
    );
  });

  it("test_windowed_batches: 47 elements in 30 s windows, 5 to 10: 5 5 10 10 | 10 7, each at its window's last timestamp", async () => {
    const { out } = await run((p) =>
      p
        .apply(Create.timestamped(range(47).map((t) => ({ value: t, timestamp: t * 1000 }))))
        .apply(Window.into(new FixedWindows(30_000)))
        .apply(BatchElements.of({ minBatchSize: 5, maxBatchSize: 10, clock: fakeClock })),
    );
    assert.deepEqual(
      out.map((o) => [o.value.length, o.window, o.timestamp]),
      [
        [5, "0:30000", 29_999],
        [5, "0:30000", 29_999],
        [10, "0:30000", 29_999],
        [10, "0:30000", 29_999],
        [10, "30000:60000", 59_999],
        [7, "30000:60000", 59_999],
      ],
    );
  });

  it("test_global_batch_timestamps: batches in the global window are at its last timestamp", async () => {
    const { out } = await run((p) => p.apply(Create.from(range(3))).apply(BatchElements.of({ minBatchSize: 2, maxBatchSize: 2 })));
    assert.deepEqual(
      out.map((o) => [o.value.length, o.timestamp, o.window]),
      [
        [2, GLOBAL_WINDOW_MAX_TIMESTAMP, "global"],
        [1, GLOBAL_WINDOW_MAX_TIMESTAMP, "global"],
      ],
    );
  });

  it("test_sized_batches: elementSizeFn weighs toward the batch size; an element that would overflow a batch sends it first", async () => {
    const words = ["a", "a", "aaaaaaaaaa", "aaaaa", "aaaaa", "a", "aaaaaaa", "a", "a"];
    const { out } = await run((p) => p.apply(Create.from(words)).apply(BatchElements.of({ minBatchSize: 10, maxBatchSize: 10, elementSizeFn: (s: string) => s.length })));
    assert.deepEqual(
      out.map((o) => o.value.join("").length),
      [2, 10, 10, 10],
    );
  });

  it("test_sized_batches across bundles: elementSizeFn weighs in state the same way", async () => {
    const words = ["a", "a", "aaaaaaaaaa", "aaaaa", "aaaaa", "a", "aaaaaaa", "a", "a"];
    const { out } = await run((p) => p.apply(Create.from(words)).apply(BatchElements.of({ minBatchSize: 10, maxBatchSize: 10, elementSizeFn: (s: string) => s.length, maxBatchDurationSecs: 100 })));
    assert.deepEqual(
      out.map((o) => o.value.join("").length),
      [2, 10, 10, 10],
    );
  });

  it("test_sized_windowed_batches: sizes per window, in 3 s windows, target 11", async () => {
    const { out } = await run((p) =>
      p
        .apply(Create.timestamped(range(8, 1).map((t) => ({ value: "a".repeat(t), timestamp: t * 1000 }))))
        .apply(Window.into(new FixedWindows(3_000)))
        .apply(BatchElements.of({ minBatchSize: 11, maxBatchSize: 11, elementSizeFn: (s: string) => s.length, clock: fakeClock })),
    );
    // Beam's expected batches (in any order: [3, 6) and [6, 9) overflow mid-bundle, the rest go at its end).
    assert.deepEqual(out.map((o) => o.value.join("")).sort(), ["a".repeat(1 + 2), "a".repeat(3 + 4), "a".repeat(5), "a".repeat(6), "a".repeat(7)].sort());
  });

  it("with more than 10 windows waiting, sends the fullest window's batch on (Beam's _MAX_LIVE_WINDOWS)", async () => {
    // Window i gets 2 elements first (12 windows), then window 0 more: when the 11th window opens,
    // the fullest (the first with 2) goes before the bundle ends.
    const values = [...range(12).flatMap((w) => [w * 1000, w * 1000 + 1])].map((t) => ({ value: t, timestamp: t }));
    const { out } = await run((p) => p.apply(Create.timestamped(values)).apply(Window.into(new FixedWindows(1000))).apply(BatchElements.of({ minBatchSize: 5, maxBatchSize: 5, clock: fakeClock })));
    assert.deepEqual(sorted(out.flatMap((o) => o.value)), sorted(values.map((v) => v.value)));
    for (const o of out) assert.equal(new Set(o.value.map((t) => Math.floor(t / 1000))).size, 1, `one window per batch: ${JSON.stringify(o.value)}`);
    // The 11th window's first element sends window 0's pair on, before the bundle's end (when the
    // other windows' batches go, in the order the windows came).
    assert.deepEqual(out[0]!.value, [0, 1]);
    assert.deepEqual(
      out.slice(-2).map((o) => o.value),
      [
        [9000, 9001],
        [11000, 11001],
      ],
    );
  });

  it("test_stateful_constant_batch: across bundles, in state: 10, 10, 10, 5", async () => {
    const { out } = await run((p) => p.apply(Create.from(range(35))).apply(BatchElements.of({ minBatchSize: 10, maxBatchSize: 10, maxBatchDurationSecs: 100 })));
    assert.deepEqual(lengths(out), [5, 10, 10, 10]);
    assert.deepEqual(sorted(out.flatMap((o) => o.value)), range(35));
  });

  it("test_stateful_in_global_window: 10 scientists in batches of 5 make 2 batches", async () => {
    const { out } = await run((p) =>
      p
        .apply(Create.from(SCIENTISTS))
        .apply(BatchElements.of({ minBatchSize: 5, maxBatchSize: 5, maxBatchDurationSecs: 100 }))
        .apply(Count.globally()),
    );
    assert.deepEqual(
      out.map((o) => o.value),
      [2],
    );
  });

  it("test_stateful_grows_to_max_batch: 1 1 2 4 8 16 32 50 50 in state too", async () => {
    const { out } = await run((p) => p.apply(Create.from(range(164))).apply(BatchElements.of({ minBatchSize: 1, maxBatchSize: 50, maxBatchDurationSecs: 100, clock: fakeClock })));
    assert.deepEqual(
      out.map((o) => o.value.length),
      [1, 1, 2, 4, 8, 16, 32, 50, 50],
    );
  });

  it("test_stateful_buffering_timer_in_fixed_window_streaming: 5 (full), 1 (buffering timer), 4 (window end)", async () => {
    const stream = TestStream.create<string>()
      .addElements(...SCIENTISTS.map((value, i) => ({ value, timestamp: i * 1000 })))
      .advanceProcessingTime(150_000)
      .advanceWatermarkTo(6_000)
      .advanceWatermarkTo(7_000)
      .advanceWatermarkToInfinity();
    const { out } = await run((p) =>
      p
        .apply(stream)
        .apply("FixedWindow", Window.into(new FixedWindows(6_000)))
        .apply(BatchElements.of({ minBatchSize: 5, maxBatchSize: 5, maxBatchDurationSecs: 100, clock: fakeClock }))
        .map("CountElementsInBatch", (b: string[]) => kv(null, b.length))
        .apply(GroupByKey.create())
        .apply("GlobalWindow", Window.into(new GlobalWindows()))
        .flatMap("Sizes", (g: KV<null, number[]>) => g.value),
    );
    assert.deepEqual(sorted(out.map((o) => o.value)), [1, 4, 5]);
  });

  it("test_stateful_buffering_timer_in_global_window_streaming: 5 s of processing time per element, 42 s at most: 9, then 1 at the end", async () => {
    let stream = TestStream.create<string>().advanceWatermarkTo(0);
    SCIENTISTS.forEach((value, i) => (stream = stream.addElements({ value, timestamp: i * 1000 }).advanceProcessingTime(5_000)));
    stream = stream.advanceWatermarkTo(11_000).advanceWatermarkToInfinity();
    const { out } = await run((p) =>
      p
        .apply(stream)
        .apply(Window.into(new GlobalWindows(), { trigger: Repeatedly(AfterCount(1)), accumulationMode: "DISCARDING" }))
        .apply(BatchElements.of({ minBatchSize: 20, maxBatchSize: 20, maxBatchDurationSecs: 42, clock: fakeClock }))
        .map("CountElementsInBatch", (b: string[]) => kv(null, b.length))
        .apply(GroupByKey.create())
        .flatMap("Sizes", (g: KV<null, number[]>) => g.value),
    );
    assert.deepEqual(
      out.map((o) => o.value),
      [9, 1],
    );
  });

  for (const stream of [false, true]) {
    for (const stateful of [false, true]) {
      const label = `${stream ? "streaming (TestStream)" : "batch"}${stateful ? ", across bundles" : ""}`;
      for (const workers of [1, 2]) {
        it(`${label}, ${workers} worker${workers > 1 ? " threads" : ""}: every element once, batches within the maximum and one window each, at the window's last timestamp`, async () => {
          const options = workers > 1 ? { directNumWorkers: workers, directWorkerThreads: "always" as const, streaming: stream } : { streaming: stream };
          const result = await batchElementsProgram.run({ n: 2000, stateful, stream }, options);
          assert.equal(await result.waitUntilFinish(), "DONE", result.error?.message);
          const good = result.metrics.counterTotal("test", "goodBatches");
          assert.ok(good >= 2000 / 40, `${good} batches`);
          assert.equal(result.metrics.counterTotal("test", "badBatches"), 0);
          // In batch, every bundle runs in a worker thread. A TestStream, and a bounded input of a
          // stateful step (run by the streaming driver), run in one thread whatever the option (the
          // DirectRunner says so in a note); batch_elements_parallel.test.ts runs the stateful
          // variant on two streaming instances over Pub/Sub.
          if (workers > 1 && !stream && !stateful) assert.equal(result.metrics.counterTotal("test", "batchesInWorkerThread"), good, "every batch made in a worker thread");
        });
      }
    }
  }

  it("refuses bad options when built, saying which", () => {
    assert.throws(() => BatchElements.of({ minBatchSize: 10, maxBatchSize: 5 }), /BatchElements: minBatchSize \(10\) must not be greater than maxBatchSize \(5\)/);
    assert.throws(() => BatchElements.of({ maxBatchDurationSecs: 0 }), /maxBatchDurationSecs must be a positive number of seconds, got 0/);
    assert.throws(() => BatchElements.of({ targetBatchOverhead: 0, targetBatchDurationSecs: 0 }), /at least one of/);
  });

  it("a streaming stream in the default global window batches too", async () => {
    const { out } = await run((p) => p.apply(streamOf(range(20).map((t) => ({ value: t, timestamp: t })))).apply(BatchElements.of({ minBatchSize: 4, maxBatchSize: 4 })), { streaming: true });
    assert.deepEqual(sorted(out.flatMap((o) => o.value)), range(20));
    assert.ok(out.every((o) => o.value.length <= 4 && o.timestamp === GLOBAL_WINDOW_MAX_TIMESTAMP));
  });
});
