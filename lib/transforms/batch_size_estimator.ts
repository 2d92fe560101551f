/**
 * The adaptive batch size of BatchElements and RunInference (Beam Python's `_BatchSizeEstimator`
 * in apache_beam/transforms/util.py): records how long each batch took, fits
 * `time = fixedCost + size * perElementCost` to those timings, and picks the next size to meet
 * the targets — a batch of at most `targetBatchDurationSecs` of per-element time, at most
 * `targetBatchDurationSecsIncludingFixedCost` of time in all, and a fixed cost at most
 * `targetBatchOverhead` of the time — never more than twice the last batch, and between the
 * minimum and maximum. Sizes are spread around the target (`variance`) so the fit sees distinct
 * sizes. One implementation, so the two transforms adapt alike.
 */
import { Metrics } from "../model/metrics";

/** The estimator's settings, named as Beam Python's BatchElements arguments (in camelCase). */
export interface BatchSizeEstimatorOptions {
  /** The smallest batch (default 1). */
  readonly minBatchSize?: number;
  /** The largest batch (default 10000). */
  readonly maxBatchSize?: number;
  /** The largest share of a batch's time its fixed cost should take, in (0, 1] (default 0.05; null or 0: no such target). */
  readonly targetBatchOverhead?: number | null;
  /** The per-element time of a batch, its fixed cost left out, in seconds (default 10; null or 0: no such target). */
  readonly targetBatchDurationSecs?: number | null;
  /** The whole time of a batch, its fixed cost included, in seconds (default: no such target). */
  readonly targetBatchDurationSecsIncludingFixedCost?: number | null;
  /** How far (relatively) sizes are spread around the target once there are enough timings (default 0.25). */
  readonly variance?: number;
  /** The clock batches are timed with, in seconds (Beam's `clock`, time.time); default: a monotonic clock. */
  readonly clock?: () => number;
  /** The timings of the first n batches of each size are left out (default 0). */
  readonly ignoreFirstNSeenPerBatchSize?: number;
  /** Report BatchElements' `batch_size` and `msec_per_batch` distributions (default true). */
  readonly recordMetrics?: boolean;
}

const MAX_DATA_POINTS = 100;
const MAX_GROWTH_FACTOR = 2;

const monotonicSeconds = (): number => performance.now() / 1000;

/** Why these options make no estimator (Beam's ValueErrors), or undefined if they are fine. */
export function estimatorOptionsProblem(o: BatchSizeEstimatorOptions): string | undefined {
  const min = o.minBatchSize ?? 1;
  const max = o.maxBatchSize ?? 10000;
  if (!Number.isSafeInteger(min) || min < 1) return `minBatchSize must be a positive integer, got ${String(min)}`;
  if (!Number.isSafeInteger(max) || max < 1) return `maxBatchSize must be a positive integer, got ${String(max)}`;
  if (min > max) return `minBatchSize (${min}) must not be greater than maxBatchSize (${max})`;
  const overhead = o.targetBatchOverhead === undefined ? 0.05 : o.targetBatchOverhead;
  const duration = o.targetBatchDurationSecs === undefined ? 10 : o.targetBatchDurationSecs;
  const total = o.targetBatchDurationSecsIncludingFixedCost;
  if (overhead && !(overhead > 0 && overhead <= 1)) return `targetBatchOverhead (${overhead}) must be between 0 and 1`;
  if (duration && !(duration > 0)) return `targetBatchDurationSecs (${duration}) must be positive`;
  if (total && !(total > 0)) return `targetBatchDurationSecsIncludingFixedCost (${total}) must be positive`;
  if (!(overhead || duration || total)) return "at least one of targetBatchOverhead, targetBatchDurationSecs and targetBatchDurationSecsIncludingFixedCost must be positive";
  const variance = o.variance ?? 0.25;
  if (!(variance >= 0 && Number.isFinite(variance))) return `variance must be 0 or more, got ${String(variance)}`;
  const ignore = o.ignoreFirstNSeenPerBatchSize ?? 0;
  if (!Number.isSafeInteger(ignore) || ignore < 0) return `ignoreFirstNSeenPerBatchSize (${String(ignore)}) must be a non-negative integer`;
  return undefined;
}

/** Beam's least-squares fit of y = a + b·x, as without numpy: the mean ratio when every x is the same. */
export function linearRegressionNoNumpy(xs: readonly number[], ys: readonly number[]): [a: number, b: number] {
  const n = xs.length;
  const xbar = xs.reduce((s, x) => s + x, 0) / n;
  const ybar = ys.reduce((s, y) => s + y, 0) / n;
  if (xbar === 0) return [ybar, 0];
  if (xs.every((x) => x === xs[0])) return [0, ybar / xbar];
  let sxy = 0;
  let sxx = 0;
  for (let i = 0; i < n; i++) {
    sxy += (xs[i]! - xbar) * (ys[i]! - ybar);
    sxx += (xs[i]! - xbar) ** 2;
  }
  const b = sxy / sxx;
  return [ybar - b * xbar, b];
}

/** Least squares with weights w (numpy's polyfit(xs, ys, 1, w): w multiplies each residual). */
function weightedFit(xs: readonly number[], ys: readonly number[], w: readonly number[]): [a: number, b: number] {
  let sw = 0, sx = 0, sy = 0, sxx = 0, sxy = 0;
  for (let i = 0; i < xs.length; i++) {
    const ww = w[i]! * w[i]!;
    sw += ww;
    sx += ww * xs[i]!;
    sy += ww * ys[i]!;
    sxx += ww * xs[i]! * xs[i]!;
    sxy += ww * xs[i]! * ys[i]!;
  }
  const b = (sw * sxy - sx * sy) / (sw * sxx - sx * sx);
  return [(sy - b * sx) / sw, b];
}

/**
 * Beam's fit with numpy (its default): least squares, then, with 10 points or more, again without
 * the outliers by Cook's distance (over 0.5) and weighting each point by 1/x, as small batches say
 * more about the fixed cost.
 */
export function linearRegression(xs: readonly number[], ys: readonly number[]): [a: number, b: number] {
  const n = xs.length;
  if (xs.every((x) => x === xs[0])) return linearRegressionNoNumpy(xs, ys);
  const [a, b] = weightedFit(xs, ys, xs.map(() => 1));
  if (n < 10) return [a, b];
  const sumX = xs.reduce((s, x) => s + x, 0);
  const sumX2 = xs.reduce((s, x) => s + x * x, 0);
  const errs = xs.map((x, i) => a + b * x - ys[i]!);
  const s2 = errs.reduce((s, e) => s + e * e, 0) / (n - 2);
  if (s2 === 0) return [a, b];
  const weights = xs.map((x, i) => {
    const h = (sumX2 - 2 * sumX * x + n * x * x) / (n * sumX2 - sumX * sumX);
    const cook = (0.5 / s2) * errs[i]! ** 2 * (h / (1 - h) ** 2);
    return (cook <= 0.5 ? 1 : 0) / x;
  });
  const kept = xs.flatMap((x, i) => (weights[i]! > 0 ? [i] : []));
  // No point left to fit (numpy's fit would divide by zero): the first fit stands.
  if (kept.length === 0) return [a, b];
  // The points left share one size (a slow batch of another size, under load, was the outlier):
  // no line fits them, and the formula below divides 0 by 0. numpy's polyfit answers with the
  // least-squares solution of least norm, half the mean time as the fixed cost and half per element.
  const x0 = xs[kept[0]!]!;
  if (kept.every((i) => xs[i] === x0)) {
    const mean = kept.reduce((s, i) => s + ys[i]!, 0) / kept.length;
    return [mean / 2, mean / (2 * x0)];
  }
  return weightedFit(xs, ys, weights);
}

export class BatchSizeEstimator {
  private readonly min: number;
  private readonly max: number;
  private readonly overhead: number | null;
  private readonly duration: number | null;
  private readonly total: number | null;
  private readonly variance: number;
  private readonly clock: () => number;
  private readonly ignoreFirstN: number;
  private readonly recordMetrics: boolean;
  /** (batch size, seconds) of the batches timed so far, oldest first (thinned past MAX_DATA_POINTS). */
  private readonly timings: [size: number, secs: number][] = [];
  private ignoreNext = false;
  private replaySize: number | undefined;
  private readonly seen = new Map<number, number>();
  /** Milliseconds below the last whole one reported, carried to the next (distributions take integers). */
  private remainderMsecs = 0;

  constructor(options: BatchSizeEstimatorOptions = {}) {
    const problem = estimatorOptionsProblem(options);
    if (problem !== undefined) throw new Error(problem);
    this.min = options.minBatchSize ?? 1;
    this.max = options.maxBatchSize ?? 10000;
    this.overhead = (options.targetBatchOverhead === undefined ? 0.05 : options.targetBatchOverhead) || null;
    this.duration = (options.targetBatchDurationSecs === undefined ? 10 : options.targetBatchDurationSecs) || null;
    this.total = options.targetBatchDurationSecsIncludingFixedCost || null;
    this.variance = options.variance ?? 0.25;
    this.clock = options.clock ?? monotonicSeconds;
    this.ignoreFirstN = options.ignoreFirstNSeenPerBatchSize ?? 0;
    this.recordMetrics = options.recordMetrics ?? true;
  }

  /** The (size, seconds) timings the next size is fitted to. */
  get data(): readonly (readonly [number, number])[] {
    return this.timings;
  }

  /** The next timing is left out (the first batch of a bundle often pays for setup downstream); its size is then tried again. */
  ignoreNextTiming(): void {
    this.ignoreNext = true;
  }

  /** Runs `emit` (handing a batch of `size` on) and records how long it took by the clock. */
  time<T>(size: number, emit: () => T): T {
    const start = this.clock();
    const out = emit();
    this.record(size, this.clock() - start);
    return out;
  }

  /** Records that a batch of `size` took `secs`. */
  record(size: number, secs: number): void {
    if (this.recordMetrics) {
      const msecs = 1e3 * secs + this.remainderMsecs;
      Metrics.distribution("BatchElements", "batch_size").update(size);
      Metrics.distribution("BatchElements", "msec_per_batch").update(Math.trunc(msecs));
      this.remainderMsecs = msecs - Math.trunc(msecs);
    }
    if (this.ignoreNext) {
      this.ignoreNext = false;
      this.replaySize = Math.min(size, this.max);
      return;
    }
    this.timings.push([size, secs]);
    if (this.timings.length >= MAX_DATA_POINTS) {
      // Two random points of the older half go; the count's parity (the jitter below) stays.
      this.timings.splice(Math.floor(Math.random() * Math.floor(this.timings.length / 4)), 1);
      this.timings.splice(Math.floor(Math.random() * Math.floor(this.timings.length / 2)), 1);
    }
  }

  /** The size of the next batch. */
  nextBatchSize(): number {
    let size: number;
    if (this.replaySize !== undefined) {
      size = this.replaySize;
      this.replaySize = undefined;
    } else {
      size = this.calculate();
    }
    const seen = (this.seen.get(size) ?? 0) + 1;
    if (seen <= this.ignoreFirstN) this.ignoreNextTiming();
    this.seen.set(size, seen);
    return size;
  }

  private calculate(): number {
    if (this.min === this.max) return this.min;
    if (this.timings.length < 1) return this.min;
    // A second, distinct size, so there are two sizes to fit a line to.
    if (this.timings.length < 2) return Math.trunc(Math.max(Math.min(this.max, this.min * MAX_GROWTH_FACTOR), this.min + 1));
    // The slowest fifth is mostly noise with an outsized pull on the fit: left out once there are enough points.
    const sorted = [...this.timings].sort((p, q) => p[0] - q[0] || p[1] - q[1]);
    const trimmed = sorted.slice(0, Math.max(20, Math.floor((this.timings.length * 4) / 5)));
    let [a, b] = linearRegression(
      trimmed.map((t) => t[0]),
      trimmed.map((t) => t[1]),
    );
    a = Math.max(a, 1e-10);
    b = Math.max(b, 1e-20);
    const last = this.timings[this.timings.length - 1]![0];
    const cap = Math.min(last * MAX_GROWTH_FACTOR, this.max);
    let target = this.max;
    if (this.total) target = Math.min(target, (this.total - a) / b);
    // The fixed cost left out: it matters little when small, and when large would pin the minimum.
    if (this.duration) target = Math.min(target, this.duration / b);
    if (this.overhead) target = Math.min(target, (a / b) * (1 / this.overhead - 1));
    // Alternates 0 and 1, so the size does not stick (at the minimum above all).
    const jitter = this.timings.length % 2;
    if (this.timings.length > 10) target += Math.trunc(target * this.variance * 2 * (Math.random() - 0.5));
    return Math.trunc(Math.max(this.min + jitter, Math.min(target, cap)));
  }
}
