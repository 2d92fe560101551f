/**
 * Watermark estimators of splittable DoFns (Beam Java's WatermarkEstimators, Python's
 * apache_beam.io.watermark_estimators): what a splittable DoFn reports as the lower bound of the
 * timestamps it will still output. A DoFn picks one with `newWatermarkEstimator(state)` (Beam's
 * @NewWatermarkEstimator); without it, it gets the manual one.
 *
 * Each estimator's state is an Instant (Beam's three keep an Instant too). The runner keeps it
 * with the restriction: a checkpoint's or a split's residual carries `getState()` of the estimator
 * it was split from, and the next processing of the residual gets a new estimator built from it,
 * so the estimate never goes back across checkpoints. A new element starts from its timestamp.
 */
import type { Instant } from "./window";

/** Estimates the output watermark of a splittable DoFn (Beam's WatermarkEstimator). */
export interface WatermarkEstimator {
  /** The current estimate: no future output of this restriction is earlier (else it may be late). */
  currentWatermark(): Instant;
  /** The state to resume from (kept with the residual): the estimate as of the last `currentWatermark()` call. */
  getState(): Instant;
}

/** An estimator that sees the timestamp of every output (Beam's TimestampObservingWatermarkEstimator). */
export interface TimestampObservingWatermarkEstimator extends WatermarkEstimator {
  /** Called by the runner with each output's timestamp, before the output is emitted. */
  observeTimestamp(timestamp: Instant): void;
}

/** Whether `e` observes output timestamps. */
export function observesTimestamps(e: WatermarkEstimator): e is TimestampObservingWatermarkEstimator {
  return typeof (e as Partial<TimestampObservingWatermarkEstimator>).observeTimestamp === "function";
}

function checkInstant(watermark: Instant, where: string): Instant {
  if (typeof watermark !== "number" || Number.isNaN(watermark)) throw new Error(`${where}: the watermark must be an Instant (milliseconds since the epoch), but got ${String(watermark)}`);
  return watermark;
}

/**
 * The manual estimator (Beam's WatermarkEstimators.Manual): the DoFn sets the estimate with
 * `setWatermark`. An earlier value than the greatest reported so far is ignored (the estimate
 * never goes back), as Beam Java's does.
 */
class Manual implements WatermarkEstimator {
  private watermark: Instant;
  private lastReported: Instant | undefined;
  constructor(state: Instant) {
    this.watermark = checkInstant(state, "WatermarkEstimators.Manual");
  }
  /** Reports a lower bound on the timestamps of future outputs. */
  setWatermark(watermark: Instant): void {
    this.lastReported = checkInstant(watermark, "setWatermark");
  }
  currentWatermark(): Instant {
    if (this.lastReported !== undefined && this.lastReported > this.watermark) this.watermark = this.lastReported;
    return this.watermark;
  }
  getState(): Instant {
    return this.watermark;
  }
}

/**
 * The estimate is the greatest output timestamp seen (Beam's
 * WatermarkEstimators.MonotonicallyIncreasing, Python's MonotonicWatermarkEstimator): for DoFns
 * that output in timestamp order. An earlier output does not move it back (that output may be late).
 */
class MonotonicallyIncreasing implements TimestampObservingWatermarkEstimator {
  private watermark: Instant;
  private lastObserved: Instant | undefined;
  constructor(state: Instant) {
    this.watermark = checkInstant(state, "WatermarkEstimators.MonotonicallyIncreasing");
  }
  observeTimestamp(timestamp: Instant): void {
    this.lastObserved = timestamp;
  }
  currentWatermark(): Instant {
    if (this.lastObserved !== undefined && this.lastObserved > this.watermark) this.watermark = this.lastObserved;
    return this.watermark;
  }
  getState(): Instant {
    return this.watermark;
  }
}

/**
 * The estimate is the wall clock (Beam's WatermarkEstimators.WallTime, Python's
 * WalltimeWatermarkEstimator), never going back if the clock does: for sources whose records are
 * stamped with their arrival time. Expects the workers' clocks to agree.
 */
class WallTime implements WatermarkEstimator {
  private watermark: Instant;
  constructor(state: Instant) {
    this.watermark = checkInstant(state, "WatermarkEstimators.WallTime");
  }
  currentWatermark(): Instant {
    const now = Date.now();
    if (now > this.watermark) this.watermark = now;
    return this.watermark;
  }
  getState(): Instant {
    return this.watermark;
  }
}

/**
 * Beam's watermark estimators, for a splittable DoFn's `newWatermarkEstimator(state)`:
 *
 *     newWatermarkEstimator(state: Instant) { return new WatermarkEstimators.MonotonicallyIncreasing(state); }
 */
export const WatermarkEstimators = {
  /** Set by the DoFn through `ctx.watermarkEstimator.setWatermark` (the default). */
  Manual,
  /** The greatest output timestamp seen. */
  MonotonicallyIncreasing,
  /** The wall clock. */
  WallTime,
} as const;
