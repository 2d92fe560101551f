/**
 * Beam Python's tests of BatchElements' batch-size estimator (util_test.py BatchElementsTest:
 * test_target_duration, test_target_duration_including_fixed_cost, test_target_overhead,
 * test_variance, test_ignore_first_n_batch_size, test_ignore_next_timing, test_no_numpy_regression,
 * test_numpy_regression), with Beam's expected sizes. A fake clock (Beam's FakeClock) makes each
 * batch take `1 + 0.7 × size` seconds. The estimator is shared by BatchElements and RunInference.
 */
import { strict as assert } from "node:assert";
import { BatchSizeEstimator, linearRegression, linearRegressionNoNumpy, type BatchSizeEstimatorOptions } from "../../lib/transforms/batch_size_estimator";
import { prng } from "../prng";
import { BatchSizer } from "../../lib/ml/batching";

/** Beam's FakeClock: a time that moves only when slept. */
class FakeClock {
  now = 1_000_000;
  readonly read = (): number => this.now;
  sleep(secs: number): void {
    this.now += secs;
  }
}

/** Runs `n` batches, each taking `duration(size, i)` by the fake clock; the sizes the estimator chose. */
function sizesChosen(options: BatchSizeEstimatorOptions, n: number, duration: (size: number, i: number) => number, setup?: (e: BatchSizeEstimator) => void): { sizes: number[]; estimator: BatchSizeEstimator } {
  const clock = new FakeClock();
  const estimator = new BatchSizeEstimator({ ...options, clock: clock.read, recordMetrics: false });
  setup?.(estimator);
  const sizes: number[] = [];
  for (let i = 0; i < n; i++) {
    const size = estimator.nextBatchSize();
    sizes.push(size);
    estimator.time(size, () => clock.sleep(duration(size, i)));
  }
  return { sizes, estimator };
}

const batchDuration = (size: number): number => 1 + 0.7 * size;

describe("BatchElements' batch-size estimator (Beam's _BatchSizeEstimator tests)", () => {
  it("test_target_duration: the per-element time of a batch meets 10 s (14 × 0.7 is the closest), the fixed cost left out", () => {
    const { sizes } = sizesChosen({ targetBatchOverhead: null, targetBatchDurationSecs: 10 }, 7, batchDuration);
    assert.deepEqual(sizes, [1, 2, 4, 8, 14, 14, 14]);
  });

  it("test_target_duration_including_fixed_cost: the whole time of a batch meets 10 s (1 + 12 × 0.7)", () => {
    const { sizes } = sizesChosen({ targetBatchOverhead: null, targetBatchDurationSecsIncludingFixedCost: 10 }, 7, batchDuration);
    assert.deepEqual(sizes, [1, 2, 4, 8, 12, 12, 12]);
  });

  it("test_target_overhead: at 27 elements a batch takes ~20 s, of which the 1 s fixed cost is 5%", () => {
    const { sizes } = sizesChosen({ targetBatchOverhead: 0.05, targetBatchDurationSecs: null }, 8, batchDuration);
    assert.deepEqual(sizes, [1, 2, 4, 8, 16, 27, 27, 27]);
  });

  it("test_variance: once there are enough timings, sizes spread within the variance around the target", () => {
    const variance = 0.25;
    const { sizes } = sizesChosen({ targetBatchOverhead: 0.05, targetBatchDurationSecs: null, variance }, 99, batchDuration);
    const stable = new Set(sizes.slice(-20));
    assert.ok(stable.size > 3, `a good range of sizes: ${[...stable].join(",")}`);
    assert.ok(Math.min(...stable) > 27 - 27 * variance, `above the range: ${[...stable].join(",")}`);
    assert.ok(Math.max(...stable) < 27 + 27 * variance, `below the range: ${[...stable].join(",")}`);
  });

  it("test_ignore_first_n_batch_size: the first two timings of each size are left out, the size tried again", () => {
    const { sizes, estimator } = sizesChosen({ ignoreFirstNSeenPerBatchSize: 2 }, 21, (_size, i) => (i % 3 === 2 ? 0.01 : 1));
    assert.deepEqual(sizes, [1, 1, 1, 2, 2, 2, 4, 4, 4, 8, 8, 8, 16, 16, 16, 32, 32, 32, 64, 64, 64]);
    assert.deepEqual(
      estimator.data.map((d) => d[0]),
      [1, 2, 4, 8, 16, 32, 64],
    );
    for (const [, secs] of estimator.data) assert.ok(Math.abs(secs - 0.01) < 1e-7, `only the third timings: ${JSON.stringify(estimator.data)}`);
  });

  it("test_ignore_next_timing: a timing marked to ignore is left out and its size replayed", () => {
    const { sizes, estimator } = sizesChosen({}, 6, (_size, i) => (i === 0 ? 1 : 0.01), (e) => e.ignoreNextTiming());
    assert.deepEqual(sizes, [1, 1, 2, 4, 8, 16]);
    assert.deepEqual(
      estimator.data.map((d) => d[0]),
      [1, 2, 4, 8, 16],
    );
    for (const [, secs] of estimator.data) assert.ok(Math.abs(secs - 0.01) < 1e-7);
  });

  /** Beam's _run_regression_test, with a seeded generator for random.random(). */
  function regressionTest(fit: (xs: readonly number[], ys: readonly number[]) => [number, number], outliers: boolean): void {
    const random = prng(20240607);
    const close = (got: number, want: number, delta = 1e-7, what = ""): void => assert.ok(Math.abs(got - want) <= delta, `${what} ${got} is not within ${delta} of ${want}`);
    let xs = Array.from({ length: 10 }, () => random());
    let ys = xs.map((x) => 2 * x + 1);
    let [a, b] = fit(xs, ys);
    close(a, 1, 1e-7, "a");
    close(b, 2, 1e-7, "b");

    xs = Array.from({ length: 100 }, () => 1 + random());
    ys = xs.map((x) => 7 * x + 5 + 0.01 * random());
    [a, b] = fit(xs, ys);
    close(a, 5, 0.02, "a");
    close(b, 7, 0.02, "b");

    // Repeated xs: the mean ratio.
    xs = new Array<number>(100).fill(1 + random());
    ys = xs.map((x) => 7 * x + 5 + 0.01 * random());
    [a, b] = fit(xs, ys);
    close(a, 0, 0.02, "a");
    close(b, ys.reduce((s, y) => s + y, 0) / (ys.length * xs[0]!), 0.02, "b");

    if (!outliers) return;
    xs = Array.from({ length: 100 }, () => 1 + random());
    ys = xs.map((x) => 2 * x + 1);
    [a, b] = fit(xs, ys);
    close(a, 1, 1e-7, "a");
    close(b, 2, 1e-7, "b");
    // An outlier or two does not move the fit...
    for (let i = 0; i < 2; i++) {
      xs.push(10);
      ys.push(30);
      [a, b] = fit(xs, ys);
      close(a, 1, 1e-7, `a with ${i + 1} outliers`);
      close(b, 2, 1e-7, `b with ${i + 1} outliers`);
    }
    // ...but enough of them are no longer outliers.
    for (let i = 0; i < 10; i++) {
      xs.push(10);
      ys.push(30);
    }
    [a, b] = fit(xs, ys);
    assert.ok(a < 0.5, `a ${a}`);
    assert.ok(b > 2.5, `b ${b}`);
  }

  it("test_no_numpy_regression: least squares, the mean ratio for repeated sizes", () => regressionTest(linearRegressionNoNumpy, false));

  it("test_numpy_regression: the default fit also drops outliers (Cook's distance)", () => regressionTest(linearRegression, true));

  it("never picks a size outside min..max when the outlier-free fit has one size left (a slow batch of another size under load)", () => {
    // Nine quick batches of 4 and one slow batch of 8 (a load spike): Cook's distance drops the
    // slow one, leaving one size, through which no line fits. Beam keeps every batch within
    // min_batch_size..max_batch_size; a size that is not a number would let batches grow past it.
    const estimator = new BatchSizeEstimator({ minBatchSize: 3, maxBatchSize: 8, recordMetrics: false });
    for (const secs of [0.001, 0.0011, 0.0009, 0.001, 0.0012, 0.001, 0.001, 0.0011, 0.001]) estimator.record(4, secs);
    estimator.record(8, 0.5);
    for (let i = 0; i < 20; i++) {
      const size = estimator.nextBatchSize();
      assert.ok(Number.isInteger(size) && size >= 3 && size <= 8, `batch size ${size} is not a whole number from 3 to 8`);
    }
    const [a, b] = linearRegression([4, 4, 4, 4, 4, 4, 4, 4, 4, 8], [0.001, 0.0011, 0.0009, 0.001, 0.0012, 0.001, 0.001, 0.0011, 0.001, 0.5]);
    // numpy's polyfit (Beam's fit) answers such points with its least-norm solution: half the mean
    // time (0.001033 s) as the fixed cost, the other half spread over the 4 elements.
    assert.ok(Math.abs(a - 0.00051667) < 1e-8 && Math.abs(b - 0.00012917) < 1e-8, `numpy's fit is a 0.00051667, b 0.00012917; got a ${a}, b ${b}`);
  });

  it("refuses settings Beam refuses, saying which", () => {
    assert.throws(() => new BatchSizeEstimator({ minBatchSize: 5, maxBatchSize: 2 }), /minBatchSize \(5\) must not be greater than maxBatchSize \(2\)/);
    assert.throws(() => new BatchSizeEstimator({ targetBatchOverhead: 2 }), /targetBatchOverhead \(2\) must be between 0 and 1/);
    assert.throws(() => new BatchSizeEstimator({ targetBatchDurationSecs: -1 }), /targetBatchDurationSecs \(-1\) must be positive/);
    assert.throws(() => new BatchSizeEstimator({ targetBatchOverhead: null, targetBatchDurationSecs: null }), /at least one of/);
    assert.throws(() => new BatchSizeEstimator({ ignoreFirstNSeenPerBatchSize: -1 }), /must be a non-negative integer/);
  });

  it("RunInference's sizes come from the same estimator: a model call of 10 ms + 5 ms per example settles at 18 for a 100 ms target", () => {
    const sizer = new BatchSizer({ minBatchSize: 1, maxBatchSize: 64, targetBatchMillis: 100 });
    const sizes: number[] = [];
    for (let i = 0; i < 10; i++) {
      sizes.push(sizer.size);
      sizer.record(sizer.size, 10 + 5 * sizer.size);
    }
    // Doubling while under the target, then (100 - 10) / 5 = 18: the call's whole time, its fixed cost included.
    assert.deepEqual(sizes, [1, 2, 4, 8, 16, 18, 18, 18, 18, 18]);
  });
});
