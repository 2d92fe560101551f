/**
 * Beam's own tests of GroupIntoBatches, as the oracle: Beam Java's GroupIntoBatchesTest and Beam
 * Python's util_test.py GroupIntoBatchesTest (its WithShardedKey cases included), in batch
 * (Create) and streaming (TestStream with explicit watermarks and processing time). Each test
 * names the Beam test it mirrors; Beam's test data: ten scientists' names under one key.
 */
import { strict as assert } from "node:assert";
import { Combine, Combiners, Count, Create, FixedWindows, GlobalWindows, GroupByKey, GroupIntoBatches, kv, Repeatedly, AfterCount, TestStream, Window, type KV, type PCollection, type ShardedKey } from "../../lib";
import { KVCoder } from "../../lib/coders/structural";
import { StringUtf8Coder } from "../../lib/coders/primitive";
import { encodeToBytes, type Coder } from "../../lib/coders/coder";
import { outputsOf } from "./beam_helpers";
import type { Observed } from "../streaming/collect";

const SCIENTISTS = ["Einstein", "Darwin", "Copernicus", "Pasteur", "Curie", "Faraday", "Newton", "Bohr", "Galilei", "Maxwell"];

/** Beam's createTestData: `n` scientists (cycling) under the key "key". */
const testData = (n: number): KV<string, string>[] => Array.from({ length: n }, (_, i) => kv("key", SCIENTISTS[i % SCIENTISTS.length]!));

/** Beam Java's inputs are KvCoder(StringUtf8Coder, StringUtf8Coder): the coder ofByteSize weighs values with. */
const STRINGS = new KVCoder(new StringUtf8Coder(), new StringUtf8Coder()) as unknown as Coder<KV<string, string>>;
const withStringCoder = (pc: PCollection<KV<string, string>>): PCollection<KV<string, string>> => pc.setCoder(STRINGS);

/** Java's StringUtf8Coder.getEncodedElementByteSize: the UTF-8 bytes and their length prefix. */
const utf8Size = (s: string): number => encodeToBytes(new StringUtf8Coder(), s, "nested").length;

const sizes = <K>(out: readonly Observed<KV<K, string[]>>[]): number[] => out.map((o) => o.value.value.length);

/** Each value given timestamp `i` seconds, as Beam's streaming tests. */
const atSeconds = (data: readonly KV<string, string>[]) => data.map((value, i) => ({ value, timestamp: i * 1000 }));

describe("Beam conformance: GroupIntoBatches (GroupIntoBatchesTest, util_test.py)", () => {
  it("testInGlobalWindowBatchSizeCount / test_in_global_window: 10 values in batches of 5 give 2 batches", async () => {
    const out = await outputsOf(Create.from(testData(10)), (c) => withStringCoder(c).apply(GroupIntoBatches.ofSize(5)));
    assert.deepEqual(sizes(out), [5, 5]);
    assert.deepEqual(out.flatMap((o) => o.value.value).sort(), [...SCIENTISTS].sort());
    assert.ok(out.every((o) => o.value.key === "key"));
  });

  it("testWithUnevenBatches: 11 values in batches of 5 give 3 batches, none over 5", async () => {
    const out = await outputsOf(Create.from(testData(11)), (c) => c.apply(GroupIntoBatches.ofSize(5)));
    assert.deepEqual(sizes(out).sort(), [1, 5, 5]);
  });

  it("test_in_global_window_with_synthetic_source: 10 values under one (null) key in batches of 2", async () => {
    const out = await outputsOf(Create.from(Array.from({ length: 10 }, (_, i) => kv(null, i))), (c) => c.apply(GroupIntoBatches.ofSize(2)));
    assert.deepEqual(
      out.map((o) => o.value.value.length),
      [2, 2, 2, 2, 2],
    );
  });

  // Beam Java's GroupIntoBatchesDoFn today: an element that would take the batch past the byte
  // limit flushes the batch first, and a batch is emitted once it reaches the limit, so no batch
  // of several values exceeds it. (The stored GroupIntoBatchesTest's counts, 3 and 5, predate
  // that rule, apache/beam#22953, when batches could overshoot; the counts below follow the rule.)
  it("testInGlobalWindowBatchSizeByteSize: batches of at most 25 bytes by the value coder's size", async () => {
    const out = await outputsOf(Create.from(testData(10)), (c) => withStringCoder(c).apply(GroupIntoBatches.ofByteSize(25)));
    // Sizes 9 7 11 8 6 8 7 5 8 8: [9 7] (+11 > 25), [11 8 6] (= 25), [8 7 5] (+8 > 25), [8 8].
    assert.deepEqual(
      out.map((o) => o.value.value),
      [
        ["Einstein", "Darwin"],
        ["Copernicus", "Pasteur", "Curie"],
        ["Faraday", "Newton", "Bohr"],
        ["Galilei", "Maxwell"],
      ],
    );
    for (const o of out) assert.ok(o.value.value.reduce((n, s) => n + utf8Size(s), 0) <= 25);
  });

  it("testInGlobalWindowBatchSizeByteSizeFn: the weigher decides (twice the coder's size)", async () => {
    const weigher = (s: string): number => 2 * utf8Size(s);
    const out = await outputsOf(Create.from(testData(10)), (c) => c.apply(GroupIntoBatches.ofByteSize(25, weigher)));
    // Weights 18 14 22 16 12 16 14 10 16 16: only Newton and Bohr (14 + 10) share a batch.
    assert.deepEqual(sizes(out), [1, 1, 1, 1, 1, 1, 2, 1, 1]);
    for (const o of out) assert.ok(o.value.value.length === 1 || o.value.value.reduce((n, s) => n + weigher(s), 0) <= 25);
  });

  it("testMultipleLimitsAtOnceInGlobalWindowBatchSizeCountAndBatchSizeByteSize: the count and the byte limit both cut batches", async () => {
    const data = ["a-1", "a-2", `a-3${"-".repeat(100)}`, "b-4", "b-5", "b-6", "b-7", "b-8", "c-9"].map((s) => kv("key", s));
    const out = await outputsOf(Create.from(data), (c) => withStringCoder(c).apply(GroupIntoBatches.ofSize(5).withByteSize(25)));
    // a-3's 104 bytes do not fit beside a-1 and a-2 (Beam Java's early flush), the b's reach the count.
    assert.deepEqual(
      out.map((o) => o.value.value.map((s) => s.slice(0, 3))),
      [["a-1", "a-2"], ["a-3"], ["b-4", "b-5", "b-6", "b-7", "b-8"], ["c-9"]],
    );
    for (const o of out) assert.equal(new Set(o.value.value.map((s) => s.split("-")[0])).size, 1, "one prefix per batch");
  });

  it("testWithShardedKeyInGlobalWindow: 10000 values, batches of 5 by sharded key, none over 5, most full", async () => {
    const out = await outputsOf(Create.from(testData(10_000)), (c) => withStringCoder(c).apply(GroupIntoBatches.ofSize(5).withShardedKey()));
    const batches = sizes(out);
    assert.equal(
      batches.reduce((a, b) => a + b, 0),
      10_000,
    );
    assert.ok(batches.every((n) => n <= 5));
    const full = batches.filter((n) => n === 5).length;
    assert.ok(full >= 10_000 / 5 / 2 && full > batches.length / 2, `${full} full of ${batches.length}`);
    for (const o of out) {
      const key: ShardedKey<string> = o.value.key;
      assert.equal(key.key, "key");
      assert.equal(key.shardId.length, 24);
    }
  });

  it("test_with_sharded_key_in_global_window: 10 values give 2 batches of the original key", async () => {
    const out = await outputsOf(Create.from(testData(10)), (c) => c.apply(GroupIntoBatches.ofSize(5).withShardedKey()));
    assert.deepEqual(sizes(out), [5, 5]);
    assert.deepEqual(
      out.map((o) => o.value.key.key),
      ["key", "key"],
    );
  });

  it("testInStreamingMode: fixed 6 s windows, batches of 5: 5 (full), 1 (window end), 4 (window end)", async () => {
    const stream = TestStream.create<KV<string, string>>()
      .advanceWatermarkTo(0)
      .addElements(...atSeconds(testData(10)))
      .advanceWatermarkTo(5_000)
      .advanceWatermarkTo(7_000)
      .advanceWatermarkTo(10_000)
      .advanceWatermarkToInfinity();
    const out = await outputsOf(stream, (c) => c.apply(Window.into(new FixedWindows(6_000))).apply(GroupIntoBatches.ofSize(5)));
    assert.deepEqual(sizes(out), [5, 1, 4]);
    assert.deepEqual(
      out.map((o) => o.window),
      ["0:6000", "0:6000", "6000:12000"],
    );
    // Each batch has its earliest value's timestamp.
    assert.deepEqual(
      out.map((o) => o.timestamp),
      [0, 5_000, 6_000],
    );
  });

  it("testBufferingTimerInFixedWindow: 2 s of processing time per value, 5 s max buffering: 3, 1, 3, 1, 2", async () => {
    let stream = TestStream.create<KV<string, string>>().advanceWatermarkTo(0);
    for (const e of atSeconds(testData(10))) stream = stream.addElements(e).advanceProcessingTime(2_000);
    stream = stream.advanceWatermarkTo(10_000).advanceWatermarkToInfinity();
    const out = await outputsOf(stream, (c) => c.apply(Window.into(new FixedWindows(4_000))).apply(GroupIntoBatches.ofSize(5).withMaxBufferingDuration(5_000)));
    assert.deepEqual(sizes(out), [3, 1, 3, 1, 2]);
    assert.deepEqual(
      out.map((o) => o.window),
      ["0:4000", "0:4000", "4000:8000", "4000:8000", "8000:12000"],
    );
  });

  it("testBufferingTimerInGlobalWindow: two bursts of 5 with 100 s of processing time after each, 5 s max buffering: 5, 5", async () => {
    const data = atSeconds(testData(10));
    const stream = TestStream.create<KV<string, string>>()
      .addElements(...data.slice(0, 5))
      .advanceProcessingTime(100_000)
      .addElements(...data.slice(5))
      .advanceProcessingTime(100_000)
      .advanceWatermarkTo(10_000);
    const out = await outputsOf(stream, (c) =>
      c
        .apply(Window.into(new GlobalWindows(), { trigger: Repeatedly(AfterCount(2)), accumulationMode: "DISCARDING" }))
        .apply(GroupIntoBatches.ofSize(15).withMaxBufferingDuration(5_000)),
    );
    assert.deepEqual(sizes(out), [5, 5]);
  });

  it("test_buffering_timer_in_fixed_window_streaming: batch size, buffering timer, then a GroupByKey per window: 5, 1, 4", async () => {
    const stream = TestStream.create<KV<string, string>>()
      .addElements(...atSeconds(testData(10)))
      .advanceProcessingTime(150_000)
      .advanceWatermarkTo(6_000)
      .advanceWatermarkTo(7_000)
      .advanceWatermarkToInfinity();
    const out = await outputsOf(stream, (c) =>
      c
        .apply(Window.into(new FixedWindows(6_000)))
        .apply(GroupIntoBatches.ofSize(5).withMaxBufferingDuration(100_000))
        .map("CountElementsInBatch", (b: KV<string, string[]>) => kv(null, b.value.length))
        .apply(GroupByKey.create())
        .apply("GlobalWindow", Window.into(new GlobalWindows()))
        .flatMap("Sizes", (g: KV<null, number[]>) => g.value),
    );
    assert.deepEqual(
      out.map((o) => o.value).sort(),
      [1, 4, 5],
    );
  });

  it("test_buffering_timer_in_global_window_streaming: 5 s of processing time per value, 42 s max buffering: 9, then 1 at the end", async () => {
    let stream = TestStream.create<KV<string, string>>().advanceWatermarkTo(0);
    for (const e of atSeconds(testData(10))) stream = stream.addElements(e).advanceProcessingTime(5_000);
    stream = stream.advanceWatermarkTo(11_000).advanceWatermarkToInfinity();
    const out = await outputsOf(stream, (c) =>
      c
        .apply(Window.into(new GlobalWindows(), { trigger: Repeatedly(AfterCount(1)), accumulationMode: "DISCARDING" }))
        .apply(GroupIntoBatches.ofSize(20).withMaxBufferingDuration(42_000))
        .map("CountElementsInBatch", (b: KV<string, string[]>) => kv(null, b.value.length))
        .apply(GroupByKey.create())
        .flatMap("Sizes", (g: KV<null, number[]>) => g.value),
    );
    assert.deepEqual(
      out.map((o) => o.value),
      [9, 1],
    );
  });
});

describe("GroupIntoBatches: keys, windows, lateness and arguments", () => {
  it("batches per key and window, each with its earliest value's timestamp", async () => {
    const values = [kv("a", 1), kv("b", 2), kv("a", 3), kv("a", 12), kv("b", 14), kv("a", 15)].map((value) => ({ value, timestamp: value.value * 1000 }));
    for (const mode of ["batch", "streaming"] as const) {
      const source = mode === "batch" ? Create.timestamped(values) : TestStream.create<KV<string, number>>().addElements(...values).advanceWatermarkToInfinity();
      const out = await outputsOf(source, (c) => c.apply(Window.into(new FixedWindows(10_000))).apply(GroupIntoBatches.ofSize(10)));
      assert.deepEqual(out.map((o) => `${o.value.key}[${o.window}]@${o.timestamp}:${[...o.value.value].sort((x, y) => x - y).join(",")}`).sort(), ["a[0:10000]@1000:1,3", "a[10000:20000]@12000:12,15", "b[0:10000]@2000:2", "b[10000:20000]@14000:14"], mode);
    }
  });

  it("a partial batch waits for its window's expiry (end plus allowed lateness), taking late values until then", async () => {
    const stream = TestStream.create<KV<string, number>>()
      .addElements({ value: kv("k", 1), timestamp: 1_000 }, { value: kv("k", 2), timestamp: 2_000 })
      .advanceWatermarkTo(15_000) // past the window's end, within its lateness
      .addElements({ value: kv("k", 3), timestamp: 3_000 })
      .advanceWatermarkToInfinity();
    const out = await outputsOf(stream, (c) => c.apply(Window.into(new FixedWindows(10_000), { allowedLatenessMillis: 10_000 })).apply(GroupIntoBatches.ofSize(10)));
    assert.deepEqual(
      out.map((o) => `${o.window}@${o.timestamp}:${[...o.value.value].sort().join(",")}`),
      ["0:10000@1000:1,2,3"],
    );
  });

  it("a batch flushed at the window's end is on time for a GroupByKey of the same window", async () => {
    const stream = TestStream.create<KV<string, number>>()
      .addElements({ value: kv("k", 1), timestamp: 1_000 }, { value: kv("k", 2), timestamp: 9_000 })
      .advanceWatermarkToInfinity();
    const out = await outputsOf(stream, (c) =>
      c
        .apply(Window.into(new FixedWindows(10_000)))
        .apply(GroupIntoBatches.ofSize(10))
        .map("Size", (b: KV<string, number[]>) => kv(b.key, b.value.length))
        .apply(Combine.perKey(Combiners.sum())),
    );
    assert.deepEqual(
      out.map((o) => `${o.window}:${o.value.value}:${o.pane.timing}`),
      ["0:10000:2:ON_TIME"],
    );
  });

  it("a batch waiting for its buffering timer holds the watermark at its earliest value, so downstream windows keep it (Beam Java's withOutputTimestamp)", async () => {
    // The later value (10.5 s) sets the timer; the earlier one (9.5 s) must move its hold, or the
    // watermark passes 10 s before the batch (stamped 9.5 s) is emitted into the window [0, 10 s).
    const stream = TestStream.create<KV<string, number>>()
      .addElements({ value: kv("k", 10_500), timestamp: 10_500 })
      .advanceProcessingTime(1_000)
      .addElements({ value: kv("k", 9_500), timestamp: 9_500 })
      .advanceWatermarkTo(30_000)
      .advanceProcessingTime(10_000)
      .advanceWatermarkToInfinity();
    const out = await outputsOf(stream, (c) =>
      c
        .apply(GroupIntoBatches.ofSize(10).withMaxBufferingDuration(5_000))
        .apply("Fixed", Window.into(new FixedWindows(10_000)))
        .apply(Count.perKey()),
    );
    assert.deepEqual(
      out.map((o) => `${o.window}:${o.value.value}@${o.timestamp}`),
      ["0:10000:1@9999"],
    );
  });

  it("without a buffering duration, a partial batch still holds the watermark at its earliest value until its window expires (Beam Java's hold timer)", async () => {
    // In the global window the batch waits for the end of time; stamped 9.5 s, it must still be
    // on time for the window [0, 10 s) downstream, so the watermark may not pass it meanwhile.
    const values = [{ value: kv("k", 10_500), timestamp: 10_500 }, { value: kv("k", 9_500), timestamp: 9_500 }];
    const stream = TestStream.create<KV<string, number>>()
      .addElements(...values)
      .advanceWatermarkTo(30_000)
      .advanceWatermarkToInfinity();
    for (const source of [stream, Create.timestamped(values)]) {
      const out = await outputsOf(source, (c) =>
        c
          .apply(GroupIntoBatches.ofSize(10))
          .apply("Fixed", Window.into(new FixedWindows(10_000)))
          .apply(Count.perKey()),
      );
      assert.deepEqual(
        out.map((o) => `${o.window}:${o.value.value}@${o.timestamp}`),
        ["0:10000:1@9999"],
      );
    }
  });

  it("Count.perKey of the batches counts batches per window (Beam's countOutput)", async () => {
    const stream = TestStream.create<KV<string, string>>().addElements(...atSeconds(testData(10))).advanceWatermarkToInfinity();
    const out = await outputsOf(stream, (c) => c.apply(Window.into(new FixedWindows(6_000))).apply(GroupIntoBatches.ofSize(5)).apply(Count.perKey()));
    assert.deepEqual(out.map((o) => `${o.window}:${o.value.value}`).sort(), ["0:6000:2", "6000:12000:1"]);
  });

  it("refuses a batch size, byte size or buffering duration out of range", () => {
    assert.throws(() => GroupIntoBatches.ofSize(0), /positive whole batch size, got 0/);
    assert.throws(() => GroupIntoBatches.ofSize(2.5), /positive whole batch size, got 2.5/);
    assert.throws(() => GroupIntoBatches.ofByteSize(-1), /positive whole byte size, got -1/);
    assert.throws(() => GroupIntoBatches.ofSize(5).withMaxBufferingDuration(-1), /max buffering duration of 0 ms or more, got -1/);
  });
});
