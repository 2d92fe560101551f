/**
 * Beam Python's deduplicate_test.py as the oracle, with Python's form of the transform:
 * `Deduplicate.of({ processingTimeDuration, eventTimeDuration })` (Python's `Deduplicate(...)`) and
 * `Deduplicate.perKey(...)` (`DeduplicatePerKey(...)`), durations in milliseconds. Python skips its
 * event- and processing-time cases ("TestStream not yet supported"); they run here on the streaming
 * DirectRunner. Plus what Python's API allows beyond Java's: both durations at once, and its error
 * when neither is given.
 *
 * One runner difference: Beamline fires an event-time timer once the watermark has passed its time,
 * as Beam Java (InMemoryTimerInternals: the watermark is after the timer); Python's DirectRunner
 * fires it when the watermark reaches it (`timestamp <= watermark`). So where Python advances the
 * watermark exactly to an expiry, these tests advance it 1 ms past.
 */
import { strict as assert } from "node:assert";
import { Deduplicate, FixedWindows, kv, TestStream, Window, type KV } from "../../lib";
import type { Observed } from "../streaming/collect";
import { outputsOf } from "./beam_helpers";

const SECOND = 1000;
const MINUTE = 60 * SECOND;
const at = <T>(value: T, seconds: number) => ({ value, timestamp: seconds * SECOND });
/** `value@seconds`, sorted: Python's `(e, ts)` pairs. */
const stamped = (out: readonly Observed<string>[]): string[] => out.map((o) => `${o.value}@${o.timestamp / SECOND}`).sort();

describe("Beam conformance: Deduplicate (Python's deduplicate_test.py)", () => {
  it("test_deduplication_in_different_windows: repeats are dropped per window, elements keep their timestamps", async () => {
    const stream = TestStream.create<string>()
      .advanceWatermarkTo(0)
      .addElements(at("k1", 0), at("k2", 10), at("k3", 20), at("k1", 30), at("k2", 40), at("k3", 50), at("k4", 60), at("k5", 70), at("k6", 80))
      .advanceWatermarkToInfinity();
    const out = await outputsOf(stream, (s) => s.apply(Window.into(new FixedWindows(30 * SECOND))).apply(Deduplicate.of<string>({ processingTimeDuration: 10 * MINUTE })));
    const perWindow = (w: string) => stamped(out.filter((o) => o.window === w));
    assert.deepEqual(perWindow("0:30000"), ["k1@0", "k2@10", "k3@20"]);
    assert.deepEqual(perWindow("30000:60000"), ["k1@30", "k2@40", "k3@50"]);
    assert.deepEqual(perWindow("60000:90000"), ["k4@60", "k5@70", "k6@80"]);
    assert.equal(out.length, 9);
  });

  it("test_deduplication_with_event_time: once the watermark passes the first occurrence + 60 s, the element is new again", async () => {
    const stream = TestStream.create<string>()
      .advanceWatermarkTo(0)
      .addElements(at("k1", 0), at("k2", 20), at("k3", 30))
      .advanceWatermarkTo(30 * SECOND)
      .addElements(at("k1", 40), at("k2", 50), at("k3", 60))
      .advanceWatermarkTo(60 * SECOND + 1) // Python: 60 s (see above)
      .addElements(at("k1", 70))
      .advanceWatermarkToInfinity();
    const out = await outputsOf(stream, (s) => s.apply(Deduplicate.of<string>({ eventTimeDuration: 60 * SECOND })));
    assert.deepEqual(stamped(out), ["k1@0", "k1@70", "k2@20", "k3@30"]);
  });

  it("test_deduplication_with_processing_time: once 60 s of processing time pass, the element is new again", async () => {
    const stream = TestStream.create<string>()
      .advanceWatermarkTo(0)
      .addElements(at("k1", 0), at("k2", 20), at("k3", 30))
      .advanceProcessingTime(30 * SECOND)
      .addElements(at("k1", 40), at("k2", 50), at("k3", 60))
      .advanceProcessingTime(60 * SECOND)
      .addElements(at("k1", 70))
      .advanceWatermarkToInfinity();
    const out = await outputsOf(stream, (s) => s.apply(Deduplicate.of<string>({ processingTimeDuration: 60 * SECOND })));
    assert.deepEqual(stamped(out), ["k1@0", "k1@70", "k2@20", "k3@30"]);
  });

  it("both durations: whichever passes first forgets (event time here, then processing time)", async () => {
    const stream = TestStream.create<string>()
      .advanceWatermarkTo(0)
      .addElements(at("a", 0), at("b", 100))
      .advanceWatermarkTo(60 * SECOND + 1) // a's event-time expiry (0 + 60 s) passes; b's (160 s) does not
      .addElements(at("a", 61), at("b", 101))
      .advanceProcessingTime(10 * MINUTE) // every processing-time expiry passes
      .addElements(at("a", 62), at("b", 102), at("a", 63))
      .advanceWatermarkToInfinity();
    const out = await outputsOf(stream, (s) => s.apply(Deduplicate.of<string>({ processingTimeDuration: 10 * MINUTE, eventTimeDuration: 60 * SECOND })));
    assert.deepEqual(stamped(out), ["a@0", "a@61", "a@62", "b@100", "b@102"]);
  });

  it("DeduplicatePerKey: the first KV of each key, whatever its value", async () => {
    const stream = TestStream.create<KV<string, number>>()
      .advanceWatermarkTo(0)
      .addElements(at(kv("k1", 1), 0), at(kv("k2", 2), 10), at(kv("k1", 3), 20), at(kv("k2", 2), 30))
      .advanceWatermarkToInfinity();
    const out = await outputsOf(stream, (s) => s.apply(Deduplicate.perKey<string, number>({ processingTimeDuration: 10 * MINUTE })));
    assert.deepEqual(out.map((o) => `${o.value.key}=${o.value.value}@${o.timestamp / SECOND}`).sort(), ["k1=1@0", "k2=2@10"]);
  });

  it("withDurations sets Python's durations on any form (a representative value here)", async () => {
    const stream = TestStream.create<{ id: number; n: number }>()
      .advanceWatermarkTo(0)
      .addElements(at({ id: 1, n: 1 }, 0), at({ id: 1, n: 2 }, 10))
      .advanceWatermarkTo(20 * SECOND + 1)
      .addElements(at({ id: 1, n: 3 }, 21))
      .advanceWatermarkToInfinity();
    const out = await outputsOf(stream, (s) => s.apply(Deduplicate.withRepresentativeValueFn((e: { id: number; n: number }) => e.id).withDurations({ eventTimeDuration: 20 * SECOND })));
    assert.deepEqual(out.map((o) => o.value.n).sort(), [1, 3]);
  });

  it("needs at least one duration (Python's ValueError), each a non-negative number of milliseconds", () => {
    assert.throws(() => Deduplicate.of({}), /Deduplicate\.of needs at least one of processingTimeDuration or eventTimeDuration \(milliseconds\)/);
    assert.throws(() => Deduplicate.perKey({}), /Deduplicate\.perKey needs at least one/);
    assert.throws(() => Deduplicate.of({ eventTimeDuration: -1 }), /eventTimeDuration must be a finite number of milliseconds, 0 or more; got -1/);
    assert.throws(() => Deduplicate.values().withDurations({ processingTimeDuration: Number.NaN }), /processingTimeDuration must be a finite number/);
  });
});
