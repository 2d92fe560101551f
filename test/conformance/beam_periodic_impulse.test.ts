/**
 * Beam's PeriodicImpulse (Beam Java PeriodicImpulseTest / PeriodicSequenceTest, Beam Python
 * periodicsequence_test.py) on the DirectRunner: firings every interval from start to stop
 * (exclusive, as Beam Python), each valued and timestamped at its instant, never emitted before
 * the wall clock reached it; windowed into fixed windows of the interval with applyWindowing.
 * Ranges in the past run at once (firings already due are caught up); ranges in the future use
 * short intervals, and the test waits only for the run to end.
 */
import { strict as assert } from "node:assert";
import { GroupByKey, kv, ParDo, Pipeline, PeriodicImpulse, ValidationError, type KV } from "../../lib";
import { MAX_TIMESTAMP } from "../../lib/model/window";
import { FiringRangeTracker, PeriodicImpulseFn, PERIODIC_IMPULSE_URN, type PeriodicImpulseSpec } from "../../lib/transforms/periodic_impulse";
import type { ProcessContinuation, SplittableFnContext } from "../../lib/model/splittable";
import { runOk } from "../helpers";
import { collect, type Observed } from "../streaming/collect";

const HOUR = 3_600_000;

/** Runs a PeriodicImpulse and returns its outputs (value, timestamp, window) with the wall-clock time each was seen at. */
async function firingsOf(impulse: PeriodicImpulse): Promise<{ out: Observed<number>[]; seenAt: number[]; bounded: boolean }> {
  const out: Observed<number>[] = [];
  const seenAt: number[] = [];
  let bounded = true;
  await runOk((p) => {
    const firings = p.apply("PeriodicImpulse", impulse);
    bounded = firings.isBounded;
    collect(
      firings.apply(
        "SeenAt",
        ParDo.into<number>().of((t: number, ctx) => {
          seenAt.push(Date.now());
          ctx.output(t);
        }),
      ),
      out,
    );
  });
  return { out, seenAt, bounded };
}

describe("Beam conformance: PeriodicImpulse", () => {
  it("PeriodicImpulseTest.testOutputsProperElements: a range 100 hours ago comes at once, each firing valued and timestamped at its instant", async () => {
    const start = Date.now() - 100 * HOUR;
    const { out, bounded } = await firingsOf(PeriodicImpulse.create().startAt(start).stopAt(start + 500).withInterval(250));
    assert.equal(bounded, false, "the firings are an unbounded PCollection, as in Beam");
    // Beam Java also emits start + 500 (its stop is inclusive); Beam Python's stop is exclusive, as ours.
    assert.deepEqual(
      out.map((o) => `${o.value - start}@${o.timestamp - start} ${o.window}`),
      ["0@0 global", "250@250 global"],
    );
  });

  it("periodicsequence_test: a range 10 000 s in the past (5 s every 1 s) gives its 5 firings", async () => {
    const start = Date.now() - 10_000_000;
    const { out } = await firingsOf(PeriodicImpulse.create({ start: new Date(start), stop: new Date(start + 5000), intervalMillis: 1000 }));
    assert.deepEqual(out.map((o) => o.value - start).sort((a, b) => a - b), [0, 1000, 2000, 3000, 4000]);
    assert.ok(out.every((o) => o.timestamp === o.value));
  });

  it("test_periodicimpulse_windowing_on_si: applyWindowing puts each firing in its own fixed window of the interval (grouped per key)", async () => {
    const start = Date.now() - 15_000;
    const out: Observed<KV<string, number[]>>[] = [];
    await runOk((p) => {
      const grouped = p
        .apply(PeriodicImpulse.create({ start, stop: start + 15_000, intervalMillis: 5000, applyWindowing: true }))
        .map("AddKey", (t: number) => kv("key", t))
        .apply(GroupByKey.create())
        .map("Sort", (g: KV<string, number[]>) => kv(g.key, [...g.value].sort((a, b) => a - b)));
      collect(grouped, out);
    });
    const rows = out.map((o) => ({ values: o.value.value.map((t) => t - start), window: o.window })).sort((a, b) => a.values[0]! - b.values[0]!);
    assert.deepEqual(
      rows.map((r) => r.values),
      [[0], [5000], [10000]],
    );
    for (const [i, r] of rows.entries()) {
      const windowStart = Math.floor((start + i * 5000) / 5000) * 5000;
      assert.equal(r.window, `${windowStart}:${windowStart + 5000}`);
    }
  });

  it("PeriodicSequenceTest / test_periodicsequence_outputs_valid_sequence: firings in the future come no earlier than their instants, and the run then ends", async () => {
    const start = Date.now() + 150;
    const { out, seenAt } = await firingsOf(PeriodicImpulse.create({ start, stop: start + 200, intervalMillis: 50 }));
    assert.deepEqual(
      out.map((o) => o.value - start),
      [0, 50, 100, 150],
    );
    // Beam Java's test checks that the firings were spread over processing time; each one not
    // coming before its instant says more (and does not fail on a machine that stalls).
    for (const [i, o] of out.entries()) assert.ok(seenAt[i]! >= o.value, `firing +${o.value - start} was processed ${o.value - seenAt[i]!} ms before its instant`);
  });

  it("test_periodicimpulse_default_start: without a start, firings begin when the run starts emitting", async () => {
    const built = Date.now();
    const { out } = await firingsOf(PeriodicImpulse.create({ stop: built + 1000, intervalMillis: 250 }));
    const values = out.map((o) => o.value);
    assert.ok(values.length >= 1 && values.length <= 4, `${values.length} firings`);
    assert.ok(values[0]! >= built, "the first firing is at the run's start, not before the pipeline was built");
    assert.ok(values.every((t, i) => t < built + 1000 && (i === 0 || t - values[i - 1]! === 250)));
  });

  it("rejects an interval that is not a positive whole number of milliseconds, and a stop before the start", () => {
    const p = Pipeline.create();
    assert.throws(() => p.apply("Zero", PeriodicImpulse.create({ intervalMillis: 0 })), (e: Error) => e instanceof ValidationError && /Zero: PeriodicImpulse's intervalMillis must be a positive whole number/.test(e.message));
    assert.throws(() => p.apply("Fraction", PeriodicImpulse.create({ intervalMillis: 2.5 })), ValidationError);
    assert.throws(() => p.apply("Backwards", PeriodicImpulse.create({ start: 2000, stop: 1000 })), (e: Error) => /Backwards: PeriodicImpulse's stop \(1000\) is before its start \(2000\)/.test(e.message));
  });
});

/** Drives the portable runners' splittable DoFn as a runner would: process, checkpoint, resume. */
async function processOnce(fn: PeriodicImpulseFn, range: KV<number, number>): Promise<{ outputs: [number, number][]; watermark: number | undefined; continuation: ProcessContinuation; residual: KV<number, number> | undefined }> {
  const tracker = fn.newTracker(range);
  const outputs: [number, number][] = [];
  let watermark: number | undefined;
  const ctx = {
    output: (v: number, t: number) => void outputs.push([v, t]),
    updateWatermark: (w: number) => void (watermark = w),
    afterBundleCommit: () => undefined,
  } as unknown as SplittableFnContext<number>;
  const continuation = await fn.process(new Uint8Array(0), tracker, ctx);
  const split = continuation.shouldResume ? tracker.trySplit(0) : undefined;
  return { outputs, watermark, continuation, residual: split?.residual };
}

describe("PeriodicImpulse's splittable DoFn (portable runners)", () => {
  const spec = (start: number | undefined, stop: number, intervalMillis: number): PeriodicImpulseSpec => ({ urn: PERIODIC_IMPULSE_URN, start, stop, intervalMillis });

  it("claims the firings that are due, reports the next one as its watermark and resumes with the delay until it", async () => {
    const now = Date.now();
    const start = now - 1000;
    const fn = new PeriodicImpulseFn(spec(start, now + 60_000, 400));
    const r = fn.initialRestriction();
    assert.deepEqual([r.key, r.value], [start, now + 60_000]);
    const { outputs, watermark, continuation, residual } = await processOnce(fn, r);
    assert.deepEqual(outputs, [[start, start], [start + 400, start + 400], [start + 800, start + 800]]);
    assert.equal(watermark, start + 1200);
    assert.ok(continuation.shouldResume && continuation.resumeDelayMs > 0 && continuation.resumeDelayMs <= 200, JSON.stringify(continuation));
    assert.deepEqual(residual, kv(start + 1200, now + 60_000));
  });

  it("stops once the range is done (a finite stop), and its range is bounded only then", async () => {
    const start = Date.now() - 10_000;
    const fn = new PeriodicImpulseFn(spec(start, start + 1000, 300));
    const { outputs, continuation } = await processOnce(fn, fn.initialRestriction());
    assert.deepEqual(outputs.map(([v]) => v - start), [0, 300, 600, 900]);
    assert.equal(continuation.shouldResume, false);
    assert.equal(new FiringRangeTracker(kv(0, 1000), 10).isBounded(), true);
    assert.equal(new FiringRangeTracker(kv(0, MAX_TIMESTAMP), 10).isBounded(), false);
  });

  it("a residual after a checkpoint holds the firings not claimed; the restriction's size is the firings already due", async () => {
    const t = new FiringRangeTracker(kv(1000, 2000), 100);
    assert.equal(t.tryClaim(1000), true);
    assert.equal(t.tryClaim(1100), true);
    assert.deepEqual(t.trySplit(0), { primary: kv(1000, 1200), residual: kv(1200, 2000) });
    assert.equal(t.tryClaim(1200), false, "nothing is claimed after the checkpoint");
    assert.equal(t.trySplit(0.5), undefined);
    const now = Date.now();
    const fn = new PeriodicImpulseFn(spec(undefined, MAX_TIMESTAMP, 1000));
    assert.equal(fn.restrictionSize(new Uint8Array(0), kv(now - 2500, MAX_TIMESTAMP)), 3);
    assert.equal(fn.restrictionSize(new Uint8Array(0), kv(now + 1000, MAX_TIMESTAMP)), 0);
    assert.equal(fn.truncateRestriction(), undefined, "a drain stops the firings at once");
    const r = fn.initialRestriction();
    assert.ok(r.key >= now && r.value === MAX_TIMESTAMP, "without a start, the range starts at the worker's clock");
  });
});
