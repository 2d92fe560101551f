/**
 * Beam's own tests of Deduplicate, as the oracle: Beam Java's DeduplicateTest (in windows, event
 * time, processing time, representative values) on the streaming DirectRunner with TestStream, plus
 * what its expiry timer's `withNoOutputTimestamp()` is for: the remembered occurrences hold no
 * watermark, so windows after a Deduplicate fire on time.
 */
import { strict as assert } from "node:assert";
import { Combine, Combiners, Create, Deduplicate, FixedWindows, kv, TestStream, Window, type KV } from "../../lib";
import type { Observed } from "../streaming/collect";
import { outputsOf } from "./beam_helpers";

const SECOND = 1000;
const MINUTE = 60 * SECOND;
const at = <T>(value: T, seconds: number) => ({ value, timestamp: seconds * SECOND });
const frequency = (out: readonly Observed<string>[], v: string): number => out.filter((o) => o.value === v).length;

describe("Beam conformance: Deduplicate (DeduplicateTest)", () => {
  it("testInDifferentWindows: repeats are dropped per window (30 s fixed windows)", async () => {
    const stream = TestStream.create<string>()
      .advanceWatermarkTo(0)
      .addElements(at("k1", 0), at("k2", 10), at("k3", 20), at("k1", 30), at("k2", 40), at("k3", 50), at("k4", 60), at("k5", 70), at("k6", 80))
      .advanceWatermarkToInfinity();
    const out = await outputsOf(stream, (s) => s.apply(Window.into(new FixedWindows(30 * SECOND))).apply(Deduplicate.values()));
    const byWindow = (w: string) => out.filter((o) => o.window === w).map((o) => o.value).sort();
    assert.deepEqual(byWindow("0:30000"), ["k1", "k2", "k3"]);
    assert.deepEqual(byWindow("30000:60000"), ["k1", "k2", "k3"]);
    assert.deepEqual(byWindow("60000:90000"), ["k4", "k5", "k6"]);
    assert.equal(out.length, 9);
  });

  it("testEventTime: repeats within the duration of event time are dropped; after it, may appear again", async () => {
    const stream = TestStream.create<string>()
      .advanceWatermarkTo(0)
      .addElements(at("k1", 0), at("k2", 10), at("k3", 20), at("maybedup", 59))
      .advanceWatermarkTo(MINUTE)
      .addElements(at("k1", 30), at("k2", 40), at("k3", 50))
      .advanceWatermarkTo(MINUTE + 10 * MINUTE)
      .addElements(at("maybedup", 59))
      .advanceWatermarkToInfinity();
    const out = await outputsOf(stream, (s) => s.apply(Deduplicate.values<string>().withTimeDomain("EVENT_TIME")));
    for (const k of ["k1", "k2", "k3"]) assert.equal(frequency(out, k), 1, k);
    assert.ok([1, 2].includes(frequency(out, "maybedup")));
  });

  it("testProcessingTime: repeats within 10 minutes of processing time are dropped; after them, the element is new again", async () => {
    const stream = TestStream.create<string>()
      .advanceWatermarkTo(0)
      .addElements(at("k1", 0), at("k2", 10), at("k3", 20), at("maybedup", 59))
      .advanceProcessingTime(MINUTE)
      .addElements(at("k1", 30), at("k2", 40), at("k3", 50))
      .advanceProcessingTime(10 * MINUTE)
      .addElements(at("maybedup", 59))
      .advanceWatermarkToInfinity();
    const out = await outputsOf(stream, (s) => s.apply(Deduplicate.values()));
    for (const k of ["k1", "k2", "k3"]) assert.equal(frequency(out, k), 1, k);
    // Java allows 1 or 2; with the expiry timer fired at 10 minutes the DirectRunner gives 2.
    assert.equal(frequency(out, "maybedup"), 2);
  });

  it("testRepresentativeValuesWithCoder / keyedValues: one element per representative value or key", async () => {
    const stream = TestStream.create<KV<number, string>>()
      .advanceWatermarkTo(0)
      .addElements(at(kv(1, "k1"), 0), at(kv(2, "k2"), 10), at(kv(3, "k3"), 20))
      .advanceProcessingTime(MINUTE)
      .addElements(at(kv(1, "k1"), 30), at(kv(2, "k2"), 40), at(kv(3, "k3"), 50))
      .advanceWatermarkToInfinity();
    const json = (out: readonly Observed<KV<number, string>>[]) => out.map((o) => JSON.stringify(o.value)).sort();
    const expected = ['{"key":1,"value":"k1"}', '{"key":2,"value":"k2"}', '{"key":3,"value":"k3"}'];
    assert.deepEqual(json(await outputsOf(stream, (s) => s.apply(Deduplicate.withRepresentativeValueFn((e: KV<number, string>) => e.key)))), expected);
    assert.deepEqual(json(await outputsOf(stream, (s) => s.apply(Deduplicate.keyedValues<number, string>()))), expected);
  });

  it("elements compared by encoding: equal objects are one element; batch input too", async () => {
    const out = await outputsOf(Create.of({ id: 1, tags: ["a"] }, { id: 1, tags: ["a"] }, { id: 2, tags: [] }), (c) => c.apply(Deduplicate.values()));
    assert.deepEqual(out.map((o) => JSON.stringify(o.value)).sort(), ['{"id":1,"tags":["a"]}', '{"id":2,"tags":[]}']);
  });

  it("holds no watermark: a window after a processing-time Deduplicate fires on time, before the 10 minutes pass", async () => {
    // Had the expiry timers held the watermark at their elements' timestamps, the window [0, 60 s)
    // would fire only when the input ends, and would then count the element added after the
    // watermark passed 2 minutes (as on time, and in an ON_TIME pane after it).
    const stream = TestStream.create<string>()
      .advanceWatermarkTo(0)
      .addElements(at("a", 1), at("b", 2), at("a", 3))
      .advanceWatermarkTo(2 * MINUTE)
      .addElements(at("c", 4))
      .advanceWatermarkToInfinity();
    const out = await outputsOf(stream, (s) =>
      s
        .apply(Deduplicate.values())
        .apply(Window.into(new FixedWindows(MINUTE)))
        .apply(Combine.globally(Combiners.count(), { withoutDefaults: true })),
    );
    assert.deepEqual(
      out.map((o) => `${o.window} ${o.value} ${o.pane.timing}`),
      ["0:60000 2 ON_TIME"],
    );
  });

  it("refuses an unknown time domain or a negative duration, naming the fix", () => {
    assert.throws(() => Deduplicate.values().withTimeDomain("WALL_CLOCK" as "EVENT_TIME"), /unknown time domain 'WALL_CLOCK'; use "PROCESSING_TIME" or "EVENT_TIME"/);
    assert.throws(() => Deduplicate.values().withDuration(-1), /duration must be a finite number of milliseconds/);
  });
});
