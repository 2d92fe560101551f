/**
 * A splittable DoFn with a chosen watermark estimator (Beam's WatermarkEstimators), as a program
 * the SDK worker can rebuild: each call claims one offset, outputs it at a fixed event time
 * (3 s, then 1 s, then 5 s: out of order once), records the estimate it started from, and
 * checkpoints for a second.
 */
import { Create, definePipeline, OffsetRange, OffsetRangeCoder, OffsetRangeTracker, ParDo, ProcessContinuation, SplittableDoFn, WatermarkEstimators } from "../../lib";
import type { RestrictionTracker, SplittableProcessContext, WatermarkEstimator } from "../../lib";
import type { Instant } from "../../lib/model/window";

/** The event time of each offset's output. */
export const ESTIMATOR_OUTPUT_TIMES = [3000, 1000, 5000];

export type EstimatorKind = "manual" | "monotonic" | "walltime";

/** Outputs "<element><i>" at ESTIMATOR_OUTPUT_TIMES[i], one offset per call; records each call's starting estimate under `key`. */
export class EstimatedTicks extends SplittableDoFn<string, string, OffsetRange, number> {
  /** The estimate each call started from, by key. */
  static readonly starts = new Map<string, Instant[]>();
  readonly restrictionCoder = OffsetRangeCoder.INSTANCE;
  constructor(
    private readonly kind: EstimatorKind,
    private readonly key: string,
  ) {
    super();
  }
  initialRestriction(): OffsetRange {
    return new OffsetRange(0, ESTIMATOR_OUTPUT_TIMES.length);
  }
  newTracker(range: OffsetRange): RestrictionTracker<OffsetRange, number> {
    return new OffsetRangeTracker(range);
  }
  newWatermarkEstimator(state: Instant): WatermarkEstimator {
    if (this.kind === "monotonic") return new WatermarkEstimators.MonotonicallyIncreasing(state);
    if (this.kind === "walltime") return new WatermarkEstimators.WallTime(state);
    return new WatermarkEstimators.Manual(state);
  }
  process(element: string, tracker: RestrictionTracker<OffsetRange, number>, ctx: SplittableProcessContext<string>): ProcessContinuation {
    const starts = EstimatedTicks.starts.get(this.key) ?? [];
    EstimatedTicks.starts.set(this.key, [...starts, ctx.watermarkEstimator.currentWatermark()]);
    const i = tracker.currentRestriction().from;
    if (!tracker.tryClaim(i)) return ProcessContinuation.stop();
    ctx.outputWithTimestamp(`${element}${i}`, ESTIMATOR_OUTPUT_TIMES[i]!);
    return ProcessContinuation.resume().withResumeDelay(1000);
  }
}

export const estimatorProgram = definePipeline({
  name: "portable-test-sdf-estimator",
  description: "Create → ParDo.splittable(EstimatedTicks) with a chosen watermark estimator",
  flags: {
    kind: { type: "string", describe: "manual, monotonic or walltime", default: "monotonic" },
    key: { type: "string", describe: "Where the fn records its starting estimates", default: "" },
  },
  build(root, flags) {
    root.apply("Words", Create.of("x")).apply("Ticks", ParDo.splittable(new EstimatedTicks(flags.kind as EstimatorKind, flags.key)));
  },
});
