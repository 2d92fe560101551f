/**
 * The public splittable DoFn (Beam programming guide §12 "Splittable DoFns"): a DoFn whose work
 * per element is a restriction (a range of offsets, a set of files, a subscription) that the
 * runner can split, checkpoint and resume. Apply one with `ParDo.splittable(fn)`.
 *
 *     class ReadBlocks extends SplittableDoFn<string, string, OffsetRange> {
 *       readonly restrictionCoder = OffsetRangeCoder.INSTANCE;
 *       initialRestriction(file: string) { return new OffsetRange(0, blockCount(file)); }
 *       newTracker(range: OffsetRange) { return new OffsetRangeTracker(range); }
 *       async process(file: string, tracker: RestrictionTracker<OffsetRange, number>, ctx: SplittableProcessContext<string>) {
 *         for (let i = tracker.currentRestriction().from; tracker.tryClaim(i); i++) ctx.output(await readBlock(file, i));
 *         return ProcessContinuation.stop();
 *       }
 *     }
 *
 * Runners call, per element: initialRestriction → splitRestriction (default: not split) →
 * restrictionSize, then for each part newTracker → process. `process` claims each position with
 * `tracker.tryClaim` before doing its work and returns `ProcessContinuation.stop()` once a claim
 * fails (the tracker's checkDone then verifies nothing was left unclaimed), or
 * `ProcessContinuation.resume()` to checkpoint: the unclaimed rest is processed again later
 * (`withResumeDelay(ms)` asks for a pause, e.g. while polling). Outputs take the input's windows.
 *
 * As on a DoFn, side inputs (`ParDo.splittable(fn, { sideInputs })`, read in the element's window)
 * and tagged outputs (`.withOutputs(tag, ...)`, `ctx.outputTo`) come with the fn's `Tags` and
 * `Sides` type parameters. `newWatermarkEstimator` picks the watermark estimator (Beam's
 * WatermarkEstimators: Manual by default, MonotonicallyIncreasing, WallTime).
 */
import type { Coder } from "../coders/coder";
import type { OutputTags, RuntimeContext, SideInputTypes } from "./dofn";
import type { ProcessContinuation, RestrictionTracker } from "./splittable";
import type { WatermarkEstimator } from "./watermark_estimators";
import type { BoundedWindow, Instant } from "./window";

/**
 * The watermark estimator of a processing, as `process` sees it. With Beam's default, the manual
 * one (WatermarkEstimators.Manual), the SDF reports a lower bound on the timestamps of what it
 * will output from now on with `setWatermark`. It starts at the input element's timestamp (or
 * where the restriction's last processing left it) and only moves forward (an earlier value is
 * ignored). The runner holds the step's output watermark there while a checkpointed restriction
 * waits to resume, so downstream windows do not close too early. A fn whose
 * `newWatermarkEstimator` returns another estimator reads its estimate here too, but cannot set it.
 */
export interface ManualWatermarkEstimator {
  /** The current estimate. */
  currentWatermark(): Instant;
  /** Moves the estimate forward to `watermark` (ignored if earlier than the current one); only with the manual estimator. */
  setWatermark(watermark: Instant): void;
}

/** The context of a splittable DoFn's `process`. */
export interface SplittableProcessContext<Out, Tags extends OutputTags = {}, Sides extends SideInputTypes = {}> {
  /** Emits to the main output at the input element's timestamp, in its windows. */
  output(value: Out): void | Promise<void>;
  /**
   * Emits at `timestamp`: not earlier than the input's timestamp minus the DoFn's
   * `allowedTimestampSkewMillis` (default 0), as for any DoFn.
   */
  outputWithTimestamp(value: Out, timestamp: Instant): void | Promise<void>;
  /**
   * Emits to a tagged output requested with `ParDo.splittable(fn).withOutputs(tag, ...)` (Beam's
   * `withOutputTags`), at the input element's timestamp, in its windows.
   */
  outputTo<K extends keyof Tags & string>(tag: K, value: Tags[K]): void | Promise<void>;
  /** Emits to a tagged output at `timestamp` (the same bound as `outputWithTimestamp`). */
  outputToWithTimestamp<K extends keyof Tags & string>(tag: K, value: Tags[K], timestamp: Instant): void | Promise<void>;
  /**
   * The side inputs given in `ParDo.splittable(fn, { sideInputs: { name: view } })`, by name, as
   * seen from the input element's window.
   */
  readonly sideInputs: Readonly<Sides>;
  /** Event time of the input element. */
  readonly timestamp: Instant;
  /** The input element's window (an element in several windows is processed once per window). */
  readonly window: BoundedWindow;
  /**
   * The processing time when this call started: the wall clock, or under TestStream the virtual
   * processing time its `advanceProcessingTime` moves (use it rather than `Date.now()` for time
   * a test should control, e.g. when polling).
   */
  readonly processingTime: Instant;
  /** The watermark estimate this processing reports (see ManualWatermarkEstimator and `newWatermarkEstimator`). */
  readonly watermarkEstimator: ManualWatermarkEstimator;
  /**
   * Runs `callback` once the runner has committed this bundle's outputs (Beam's
   * BundleFinalizer.afterBundleCommit), e.g. to acknowledge what was read. Needs
   * `requestsFinalization = true` on the fn. On portable runners it runs when the runner sends the
   * bundle's finalization; on the DirectRunner once the outputs were handed on (at finishBundle,
   * or after each call when a drain finishes a restriction). A callback whose bundle fails never runs.
   */
  afterBundleCommit(callback: () => void | Promise<void>): void;
  /** The run's options, id and this step's name. */
  readonly runtime: RuntimeContext;
}

/** What `process` may return: a continuation, or nothing (the same as `ProcessContinuation.stop()`). */
export type SplittableProcessResult = ProcessContinuation | void;

/**
 * A splittable DoFn from In to Out over restrictions R (whose tracker claims positions P), with
 * tagged outputs Tags and side inputs Sides. Extend it, and apply it with `ParDo.splittable(fn)`.
 */
export abstract class SplittableDoFn<In, Out, R, P = unknown, Tags extends OutputTags = {}, Sides extends SideInputTypes = {}> {
  /**
   * How far before its input's timestamp `outputWithTimestamp` may place an output, in
   * milliseconds (default 0), as for DoFn.
   */
  declare allowedTimestampSkewMillis?: number;
  /**
   * Whether one element's work may never end (a subscription, a tail of a growing file): Beam's
   * @UnboundedPerElement. The output is then unbounded (a streaming PCollection) even when the
   * input is bounded; otherwise it is bounded exactly when the input is (Beam's
   * @BoundedPerElement, the default).
   */
  declare readonly unboundedPerElement?: boolean;
  /** Set to true to register bundle finalization callbacks (`ctx.afterBundleCommit`); runners are then told the ParDo needs it. */
  declare readonly requestsFinalization?: boolean;
  /**
   * Encodes restrictions where runners keep or move them (checkpoints, splits on portable
   * runners). Use `OffsetRangeCoder.INSTANCE` for OffsetRange; a custom coder must have its URN
   * registered (registerCoderUrn) for the SDK worker to rebuild it.
   */
  abstract readonly restrictionCoder: Coder<R>;
  /** Once per instance, before any bundle. */
  setup?(runtime: RuntimeContext): void | Promise<void>;
  /** Before each bundle of restrictions processed. */
  startBundle?(runtime: RuntimeContext): void | Promise<void>;
  /** After each bundle of restrictions processed. */
  finishBundle?(runtime: RuntimeContext): void | Promise<void>;
  /** Once, when the instance is discarded (best effort). */
  teardown?(): void | Promise<void>;
  /** The whole work of an element (Beam's @GetInitialRestriction). */
  abstract initialRestriction(element: In): R;
  /** The restrictions to process in place of `restriction`, e.g. `range.split(1000)` (Beam's @SplitRestriction; default: itself). */
  splitRestriction?(element: In, restriction: R): readonly R[];
  /** A size estimate of the work in `restriction` (Beam's @GetSize; default: the tracker's remaining work, else 1). */
  restrictionSize?(element: In, restriction: R): number;
  /**
   * The part of `restriction` still processed when the pipeline drains (Beam's
   * @TruncateRestriction); undefined for none. Default: all of it if the tracker is bounded,
   * none otherwise.
   */
  truncateRestriction?(element: In, restriction: R): R | undefined;
  /** The tracker that claims positions of `restriction` (Beam's @NewTracker). */
  abstract newTracker(restriction: R): RestrictionTracker<R, P>;
  /**
   * The watermark estimator of one processing of a restriction (Beam's @NewWatermarkEstimator),
   * built from `state`: the element's timestamp for a new element, else what the estimator it was
   * checkpointed or split from left (its `getState()`). Default: `new WatermarkEstimators.Manual(state)`.
   * Return `new WatermarkEstimators.MonotonicallyIncreasing(state)` (the greatest output timestamp)
   * or `new WatermarkEstimators.WallTime(state)` (the wall clock), or an estimator of your own.
   */
  newWatermarkEstimator?(state: Instant): WatermarkEstimator;
  /** Processes the tracker's restriction of `element` (Beam's @ProcessElement). */
  abstract process(element: In, tracker: RestrictionTracker<R, P>, ctx: SplittableProcessContext<Out, Tags, Sides>): SplittableProcessResult | Promise<SplittableProcessResult>;
}
