/**
 * GrowableOffsetRangeTracker: Beam Java's GrowableOffsetRangeTrackerTest, case by case, with the
 * largest safe integer (MAX_OFFSET) in place of Long.MAX_VALUE; and a splittable DoFn reading "from
 * offset 0 onwards" with it on the DirectRunner.
 */
import { strict as assert } from "node:assert";
import { Create, GrowableOffsetRangeTracker, MAX_OFFSET, OffsetRange, OffsetRangeCoder, OffsetRangeTracker, ParDo, ProcessContinuation, SplittableDoFn } from "../../lib";
import type { RestrictionTracker, SplitResult, SplittableProcessContext } from "../../lib";
import { runOk } from "../helpers";
import { collect, type Observed } from "../streaming/collect";

/** Beam's SimpleEstimator: an end set by the test (0 at first). */
function estimator(): { end: number; fn: () => number } {
  const e = { end: 0, fn: (): number => e.end };
  return e;
}

const range = (from: number, to: number): OffsetRange => new OffsetRange(from, to);
const split = (r: SplitResult<OffsetRange> | undefined): [string, string] => [String(r?.primary), String(r?.residual)];

describe("GrowableOffsetRangeTracker (Beam's GrowableOffsetRangeTrackerTest)", () => {
  it("testIllegalInitialization: refuses a missing estimator", () => {
    assert.throws(() => new GrowableOffsetRangeTracker(0, undefined as unknown as () => number), /GrowableOffsetRangeTracker needs a range end estimator/);
  });

  it("testTryClaim: claims any offset onwards; claiming MAX_OFFSET fails and ends the range", () => {
    const t = new GrowableOffsetRangeTracker(0, estimator().fn);
    assert.equal(t.tryClaim(10), true);
    assert.equal(t.tryClaim(100), true);
    assert.equal(t.tryClaim(MAX_OFFSET), false);
    t.checkDone();
  });

  it("testCheckpointBeforeStart: the primary is empty, the residual is all of it", () => {
    const e = estimator();
    const t = new GrowableOffsetRangeTracker(0, e.fn);
    e.end = 10;
    const res = t.trySplit(0);
    t.checkDone();
    assert.deepEqual(split(res), [String(range(0, 0)), String(range(0, MAX_OFFSET))]);
    assert.ok(t.currentRestriction().equals(range(0, 0)));
  });

  it("testCheckpointJustStarted: the primary ends after the last claim, whatever the estimate", () => {
    const e = estimator();
    let t = new GrowableOffsetRangeTracker(0, e.fn);
    assert.equal(t.tryClaim(5), true);
    e.end = 0;
    let res = t.trySplit(0);
    t.checkDone();
    assert.deepEqual(split(res), [String(range(0, 6)), String(range(6, MAX_OFFSET))]);
    assert.ok(t.currentRestriction().equals(range(0, 6)));

    t = new GrowableOffsetRangeTracker(0, e.fn);
    assert.equal(t.tryClaim(5), true);
    e.end = 20;
    res = t.trySplit(0);
    t.checkDone();
    assert.deepEqual(split(res), [String(range(0, 6)), String(range(6, MAX_OFFSET))]);
  });

  it("testCheckpointAfterAllProcessed / testCheckpointAtEmptyRange: nothing left to split", () => {
    const t = new GrowableOffsetRangeTracker(0, estimator().fn);
    assert.equal(t.tryClaim(MAX_OFFSET), false);
    t.checkDone();
    assert.equal(t.trySplit(0), undefined);
    const empty = new GrowableOffsetRangeTracker(MAX_OFFSET, estimator().fn);
    empty.checkDone();
    assert.equal(empty.trySplit(0), undefined);
  });

  it("testSplit: the first split gives a finite primary and a growable residual; later ones split the finite range, estimate aside", () => {
    const e = estimator();
    const t = new GrowableOffsetRangeTracker(0, e.fn);
    assert.equal(t.tryClaim(0), true);
    e.end = 16;
    let res = t.trySplit(0.5);
    assert.deepEqual(split(res), [String(range(0, 8)), String(range(8, MAX_OFFSET))]);
    assert.ok(t.currentRestriction().equals(range(0, 8)));
    e.end = 12;
    res = t.trySplit(0.5);
    assert.deepEqual(split(res), [String(range(0, 4)), String(range(4, 8))]);
    assert.equal(t.tryClaim(4), false);
    t.checkDone();
  });

  it("testSplitWithMaxEstimateRangeEnd: half of everything up to MAX_OFFSET", () => {
    const e = estimator();
    const t = new GrowableOffsetRangeTracker(0, e.fn);
    assert.equal(t.tryClaim(1), true);
    e.end = MAX_OFFSET;
    const expectedEnd = 1 + Math.floor((MAX_OFFSET - 1) / 2);
    assert.deepEqual(split(t.trySplit(0.5)), [String(range(0, expectedEnd)), String(range(expectedEnd, MAX_OFFSET))]);
  });

  it("testProgressBeforeStart: work left up to the estimate, none when the estimate is behind the start", () => {
    const e = estimator();
    const t = new GrowableOffsetRangeTracker(10, e.fn);
    e.end = 20;
    assert.deepEqual(t.getProgress(), { workCompleted: 0, workRemaining: 10 });
    e.end = 15;
    assert.deepEqual(t.getProgress(), { workCompleted: 0, workRemaining: 5 });
    e.end = 5;
    assert.deepEqual(t.getProgress(), { workCompleted: 0, workRemaining: 0 });
  });

  it("testProgressAfterFinished: all of the range done", () => {
    const e = estimator();
    const t = new GrowableOffsetRangeTracker(10, e.fn);
    assert.equal(t.tryClaim(MAX_OFFSET), false);
    t.checkDone();
    e.end = 0;
    assert.deepEqual(t.getProgress(), { workCompleted: MAX_OFFSET - 10, workRemaining: 0 });
  });

  it("testProgress: done up to the last claim, left up to the estimate (none if it is behind)", () => {
    const e = estimator();
    const t = new GrowableOffsetRangeTracker(10, e.fn);
    assert.equal(t.tryClaim(20), true);
    for (const [end, left] of [
      [5, 0],
      [35, 15],
      [25, 5],
      [MAX_OFFSET, MAX_OFFSET - 20],
    ] as const) {
      e.end = end;
      assert.deepEqual(t.getProgress(), { workCompleted: 10, workRemaining: left }, `estimate ${end}`);
    }
  });

  it("testLargeRange: from the lowest offset; a checkpoint before any claim keeps nothing", () => {
    const e = estimator();
    const t = new GrowableOffsetRangeTracker(Number.MIN_SAFE_INTEGER, e.fn);
    e.end = MAX_OFFSET;
    assert.deepEqual(t.getProgress(), { workCompleted: 0, workRemaining: MAX_OFFSET - Number.MIN_SAFE_INTEGER });
    e.end = Number.MIN_SAFE_INTEGER;
    assert.deepEqual(split(t.trySplit(0)), [String(range(Number.MIN_SAFE_INTEGER, Number.MIN_SAFE_INTEGER)), String(range(Number.MIN_SAFE_INTEGER, MAX_OFFSET))]);
  });

  it("testSmallRangeWithLargeValue: splits exactly near the top of the safe integers", () => {
    const e = estimator();
    const base = MAX_OFFSET - 10;
    let t = new GrowableOffsetRangeTracker(base, e.fn);
    assert.equal(t.tryClaim(base), true);
    e.end = base + 2;
    assert.deepEqual(split(t.trySplit(0.5)), [String(range(base, base + 1)), String(range(base + 1, MAX_OFFSET))]);

    t = new GrowableOffsetRangeTracker(base + 4, e.fn);
    assert.equal(t.tryClaim(base + 4), true);
    e.end = base + 6;
    assert.deepEqual(split(t.trySplit(0.5)), [String(range(base + 4, base + 5)), String(range(base + 5, MAX_OFFSET))]);
  });

  it("testIsBounded: unbounded until split or done", () => {
    const e = estimator();
    let t = new GrowableOffsetRangeTracker(0, e.fn);
    assert.equal(t.isBounded(), false);
    assert.equal(t.tryClaim(0), true);
    assert.equal(t.isBounded(), false);
    e.end = 16;
    t.trySplit(0.5);
    assert.equal(t.isBounded(), true);
    t = new GrowableOffsetRangeTracker(0, e.fn);
    t.tryClaim(MAX_OFFSET);
    assert.equal(t.isBounded(), true);
  });
});

/** Reads a "log" from offset 0 onwards: the records there now, then ends the range (claims MAX_OFFSET) once the log is closed. */
class ReadLog extends SplittableDoFn<string, string, OffsetRange, number> {
  readonly restrictionCoder = OffsetRangeCoder.INSTANCE;
  readonly unboundedPerElement = true;
  constructor(private readonly log: readonly string[]) {
    super();
  }
  initialRestriction(): OffsetRange {
    return new OffsetRange(0, MAX_OFFSET);
  }
  newTracker(r: OffsetRange): RestrictionTracker<OffsetRange, number> {
    // The restriction handed back by a checkpoint is [next, MAX_OFFSET): growable again.
    return r.to === MAX_OFFSET ? new GrowableOffsetRangeTracker(r.from, () => this.log.length) : new OffsetRangeTracker(r);
  }
  process(name: string, tracker: RestrictionTracker<OffsetRange, number>, ctx: SplittableProcessContext<string>): ProcessContinuation {
    const i = tracker.currentRestriction().from;
    // One record per call, then a checkpoint: the residual resumes where it stopped.
    if (i < this.log.length) {
      if (!tracker.tryClaim(i)) return ProcessContinuation.stop();
      void ctx.output(`${name}:${this.log[i]}`);
      return ProcessContinuation.resume();
    }
    // The log is closed: claiming MAX_OFFSET fails and marks the range done.
    assert.equal(tracker.tryClaim(MAX_OFFSET), false);
    return ProcessContinuation.stop();
  }
}

describe("GrowableOffsetRangeTracker in a splittable DoFn", () => {
  it("reads from offset 0 onwards across checkpoints, each record once, and ends when the range is claimed to MAX_OFFSET", async () => {
    const out: Observed<string>[] = [];
    await runOk((p) => collect(p.apply(Create.of("log")).apply(ParDo.splittable(new ReadLog(["a", "b", "c"]))), out));
    assert.deepEqual(
      out.map((o) => o.value),
      ["log:a", "log:b", "log:c"],
    );
  });
});
