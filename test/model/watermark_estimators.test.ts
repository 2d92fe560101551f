/**
 * Beam's watermark estimators (lib/model/watermark_estimators.ts): Beam Java's
 * WatermarkEstimatorsTest and Python's watermark_estimators_test.py, the clock fixed as Beam's
 * tests fix it (Date.now stands in for Joda's DateTimeUtils / Python's Timestamp.now).
 */
import { strict as assert } from "node:assert";
import { WatermarkEstimators } from "../../lib";
import { MAX_TIMESTAMP, MIN_TIMESTAMP } from "../../lib/model/window";

const HOUR = 3_600_000;

/** Runs `body` with Date.now() returning what `clock.now` holds. */
function withClock<T>(clock: { now: number }, body: () => T): T {
  const real = Date.now;
  Date.now = () => clock.now;
  try {
    return body();
  } finally {
    Date.now = real;
  }
}

describe("Watermark estimators (Beam's WatermarkEstimators)", () => {
  it("Manual: the greatest watermark set so far (Java's testManualWatermarkEstimator)", () => {
    const e = new WatermarkEstimators.Manual(MIN_TIMESTAMP);
    assert.equal(e.currentWatermark(), MIN_TIMESTAMP);
    e.setWatermark(MIN_TIMESTAMP);
    e.setWatermark(MIN_TIMESTAMP + 2 * HOUR);
    assert.equal(e.currentWatermark(), MIN_TIMESTAMP + 2 * HOUR);
    // Going backwards reports the greatest value reported so far.
    e.setWatermark(MIN_TIMESTAMP + HOUR);
    assert.equal(e.currentWatermark(), MIN_TIMESTAMP + 2 * HOUR);
    e.setWatermark(MAX_TIMESTAMP);
    assert.equal(e.currentWatermark(), MAX_TIMESTAMP);
    assert.equal(e.getState(), MAX_TIMESTAMP);
  });

  it("Manual: its state is where it was built from until the watermark moves (Python's ManualWatermarkEstimatorTest)", () => {
    const e = new WatermarkEstimators.Manual(10);
    assert.equal(e.getState(), 10);
    e.setWatermark(20);
    assert.equal(e.currentWatermark(), 20);
    e.setWatermark(30);
    assert.equal(e.currentWatermark(), 30);
    assert.equal(e.getState(), 30);
  });

  it("MonotonicallyIncreasing: the greatest output timestamp observed (Java's testMonotonicallyIncreasingWatermarkEstimator)", () => {
    const e = new WatermarkEstimators.MonotonicallyIncreasing(MIN_TIMESTAMP);
    assert.equal(e.currentWatermark(), MIN_TIMESTAMP);
    e.observeTimestamp(MIN_TIMESTAMP);
    e.observeTimestamp(MIN_TIMESTAMP + 2 * HOUR);
    assert.equal(e.currentWatermark(), MIN_TIMESTAMP + 2 * HOUR);
    e.observeTimestamp(MIN_TIMESTAMP + HOUR);
    assert.equal(e.currentWatermark(), MIN_TIMESTAMP + 2 * HOUR);
    e.observeTimestamp(MAX_TIMESTAMP);
    assert.equal(e.currentWatermark(), MAX_TIMESTAMP);
  });

  it("MonotonicallyIncreasing: observe 15, 20, 20, 10 → 15, 20, 20, 20; the state moves only when the watermark is asked for (Python's MonotonicWatermarkEstimatorTest)", () => {
    const e = new WatermarkEstimators.MonotonicallyIncreasing(10);
    assert.equal(e.getState(), 10);
    e.observeTimestamp(15);
    assert.equal(e.getState(), 10, "state only progresses when a new watermark is requested");
    assert.equal(e.currentWatermark(), 15);
    assert.equal(e.getState(), 15);
    e.observeTimestamp(20);
    assert.equal(e.currentWatermark(), 20);
    e.observeTimestamp(20);
    assert.equal(e.currentWatermark(), 20);
    e.observeTimestamp(10);
    assert.equal(e.currentWatermark(), 20);
  });

  it("WallTime: the clock, never going back; the state moves only when the watermark is asked for (Java's testWallTimeWatermarkEstimator)", () => {
    const clock = { now: MIN_TIMESTAMP };
    withClock(clock, () => {
      const e = new WatermarkEstimators.WallTime(Date.now());
      clock.now = MIN_TIMESTAMP + 1;
      assert.equal(e.currentWatermark(), MIN_TIMESTAMP + 1);
      clock.now = MIN_TIMESTAMP + 2;
      assert.equal(e.getState(), MIN_TIMESTAMP + 1, "the state does not move with the clock by itself");
      assert.equal(e.currentWatermark(), MIN_TIMESTAMP + 2);
      assert.equal(e.getState(), MIN_TIMESTAMP + 2);
      // A clock that goes back (a worker with a skewed clock) does not move the watermark back.
      clock.now = MIN_TIMESTAMP + 1;
      assert.equal(e.currentWatermark(), MIN_TIMESTAMP + 2);
    });
  });

  it("WallTime: a state ahead of the clock is kept (Python's test_advance_watermark_with_incorrect_sys_clock)", () => {
    const ahead = Date.now() + 100_000;
    const e = new WatermarkEstimators.WallTime(ahead);
    assert.equal(e.currentWatermark(), ahead);
    assert.equal(e.getState(), ahead);
  });

  it("refuses a state that is not an Instant, naming the estimator", () => {
    assert.throws(() => new WatermarkEstimators.MonotonicallyIncreasing(Number.NaN), /MonotonicallyIncreasing: the watermark must be an Instant/);
    assert.throws(() => new WatermarkEstimators.Manual(10).setWatermark(undefined as unknown as number), /setWatermark: the watermark must be an Instant/);
  });
});
