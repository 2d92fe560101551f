/**
 * A split the runner asks for while an element is being processed (ProcessBundleSplit) hands the
 * residual the watermark estimator's state as of the split, as Beam's harnesses do
 * (FnApiDoFnRunner.trySplitForElementAndRestriction: currentWatermark, then getState), and the
 * element's windowed pair is processed once per window of the element.
 */
import { MetricsContainer } from "../../lib/model/metrics";
import { strict as assert } from "node:assert";
import { OffsetRange, OffsetRangeCoder, OffsetRangeTracker, SplittableDoFn, WatermarkEstimators } from "../../lib";
import type { RestrictionTracker, SplittableProcessContext, WatermarkEstimator } from "../../lib";
import { SdfAdapter } from "../../lib/model/splittable_pardo";
import { type ElementMeta, GLOBAL_WINDOWS, IntervalWindow, type Instant, kv, MIN_TIMESTAMP, NO_FIRING } from "../../lib/model/window";
import type { Receiver } from "../../runners/executor/receiver";
import { type SplittableHost, type SplittableProcess, splittableOperator, type SplittableResidual } from "../../runners/executor/splittable_operator";

/** Outputs offset i at 1000·(i + 1), then waits for the test before claiming the next. */
class Paced extends SplittableDoFn<string, string, OffsetRange, number> {
  readonly restrictionCoder = OffsetRangeCoder.INSTANCE;
  /** Resolved by the test to let the fn claim its next offset. */
  next: (() => void) | undefined;
  /** Resolves once the fn waits. */
  waiting: Promise<void> = Promise.resolve();
  private signalWaiting: (() => void) | undefined;
  constructor() {
    super();
    this.arm();
  }
  private arm(): void {
    this.waiting = new Promise((resolve) => (this.signalWaiting = resolve));
  }
  initialRestriction(): OffsetRange {
    return new OffsetRange(0, 4);
  }
  newTracker(range: OffsetRange): RestrictionTracker<OffsetRange, number> {
    return new OffsetRangeTracker(range);
  }
  newWatermarkEstimator(state: Instant): WatermarkEstimator {
    return new WatermarkEstimators.MonotonicallyIncreasing(state);
  }
  async process(element: string, tracker: RestrictionTracker<OffsetRange, number>, ctx: SplittableProcessContext<string>): Promise<void> {
    for (let i = tracker.currentRestriction().from; tracker.tryClaim(i); i++) {
      ctx.outputWithTimestamp(`${element}${i}`, 1000 * (i + 1));
      await new Promise<void>((resolve) => {
        this.next = resolve;
        this.signalWaiting!();
      });
      this.arm();
    }
  }
}

const runtime = { options: {} as never, runId: "r", transformName: "Paced", reportOutputs: () => undefined };

describe("Splittable DoFn phases: watermark estimator state at a split, windows at pairing", () => {
  it("a split inside the element gives the residual the estimator state and estimate at that point (MonotonicallyIncreasing)", async () => {
    const fn = new Paced();
    const sdf = new SdfAdapter(fn as never, "Paced");
    const out: string[] = [];
    const residuals: SplittableResidual[] = [];
    let process: SplittableProcess | undefined;
    const host: SplittableHost = { residual: (r) => void residuals.push(r), afterBundleCommit: () => undefined, attach: (p) => void (process = p) };
    const op = splittableOperator("Paced", "process", sdf as never, { receive: (v) => void out.push(v as string) }, runtime, new MetricsContainer("Paced"), host);
    const meta: ElementMeta = { timestamp: 0, windows: GLOBAL_WINDOWS, pane: NO_FIRING };
    const done = Promise.resolve(op.receive(kv(kv("x", kv(new OffsetRange(0, 4), MIN_TIMESTAMP)), 4), meta));
    await fn.waiting; // x0 output at 1 s
    fn.next!();
    await fn.waiting; // x1 output at 2 s
    const split = process!.trySplitCurrent(0)!;
    assert.ok(split !== undefined, "the tracker splits after the claimed offset");
    const residual = split.residual.element.value as { key: { value: { key: OffsetRange; value: Instant } } };
    assert.equal(residual.key.value.key.from, 2);
    assert.equal(residual.key.value.value, 2000, "the estimator state: the greatest output timestamp so far");
    assert.equal(split.residual.outputWatermark, 2000);
    fn.next!();
    await done;
    assert.deepEqual(out, ["x0", "x1"]);
    assert.equal(residuals.length, 0, "the primary ended at the split: nothing to checkpoint");
  });

  it("pair with restriction: an element in several windows is paired once per window", async () => {
    const sdf = new SdfAdapter(new Paced() as never, "Paced");
    const out: [unknown, ElementMeta][] = [];
    const next: Receiver = { receive: (v, m) => void out.push([v, m]) };
    const op = splittableOperator("Paced", "pair", sdf as never, next, runtime, new MetricsContainer("Paced"), undefined);
    const windows = [new IntervalWindow(0, 10), new IntervalWindow(5, 15)];
    await op.receive("x", { timestamp: 7, windows, pane: NO_FIRING });
    assert.deepEqual(out.map(([, m]) => m.windows), [[windows[0]], [windows[1]]]);
  });
});
