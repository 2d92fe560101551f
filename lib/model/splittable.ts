/**
 * Splittable DoFns (SDFs): the mechanism the SDK's runners run for Beam's
 * SplittableParDoComponents (pair with restriction, split and size, process sized elements and
 * restrictions, truncate on drain), and the pieces of the public API it shares (ProcessContinuation,
 * RestrictionTracker). Composites run as an SDF by a factory (registerSplittableComposite): Pub/Sub
 * reads on portable runners, and users' SDFs (ParDo.splittable, splittable_pardo.ts).
 *
 * The model follows Beam's (Beam programming guide §12 "Splittable DoFns"):
 * - an element is paired with an initial restriction, which may be split into several, each with
 *   a size estimate (the runner balances work with it);
 * - processing claims positions of the restriction through its tracker and outputs elements; it
 *   returns a ProcessContinuation: stop (the restriction is done) or resume after a delay, in
 *   which case the runner gets the rest of the restriction back as a residual (a self-checkpoint)
 *   and schedules it again;
 * - the output watermark is what the SDF's watermark estimator reports (watermark_estimators.ts),
 *   sent with the residual, whose restriction carries the estimator's state;
 * - bundle finalization: callbacks run once the runner has durably committed the bundle's output.
 */
import type { Coder } from "../coders/coder";
import type { RuntimeContext } from "./dofn";
import type { TransformNode } from "./pipeline";
import type { BoundedWindow, Instant } from "./window";

/**
 * What processing an element and restriction returns (Beam's DoFn.ProcessContinuation): `stop()`
 * (the restriction is done: the tracker must have claimed all of it), or `resume()` — a
 * self-checkpoint: the rest of the restriction goes back to the runner, which processes it again,
 * after `withResumeDelay(ms)` if given.
 */
export class ProcessContinuation {
  private constructor(
    /** Whether the rest of the restriction is to be processed again. */
    readonly shouldResume: boolean,
    /** How long (processing time, milliseconds) the runner should wait before resuming. */
    readonly resumeDelayMs: number,
  ) {}
  private static readonly STOPPED = new ProcessContinuation(false, 0);
  /** The restriction is done. */
  static stop(): ProcessContinuation {
    return ProcessContinuation.STOPPED;
  }
  /** Checkpoint: the rest of the restriction is processed again (at once, unless a delay is set). */
  static resume(): ProcessContinuation {
    return new ProcessContinuation(true, 0);
  }
  /** The same continuation, asking the runner to resume no sooner than `delayMs` from now. */
  withResumeDelay(delayMs: number): ProcessContinuation {
    if (!this.shouldResume) throw new Error("ProcessContinuation.stop() has no resume delay; use ProcessContinuation.resume().withResumeDelay(ms)");
    if (!(delayMs >= 0)) throw new Error(`withResumeDelay(${delayMs}): the delay must be a number of milliseconds, 0 or more`);
    return new ProcessContinuation(true, delayMs);
  }
}

/** A restriction split in two: what this processing keeps, and what the runner gets back. */
export interface SplitResult<R> {
  /** The part this processing keeps. */
  readonly primary: R;
  /** The part handed back, to be processed later (or elsewhere). */
  readonly residual: R;
}

/** Work done and left in a restriction (Beam's RestrictionTracker.Progress), in the tracker's units. */
export interface RestrictionProgress {
  /** Work done (claimed positions before the one in progress). */
  readonly workCompleted: number;
  /** Work left in the current restriction. */
  readonly workRemaining: number;
}

/**
 * Claims positions of a restriction while it is processed; splits off the rest (Beam's
 * RestrictionTracker). A splittable DoFn claims each position before doing its work, and stops
 * when a claim fails.
 */
export interface RestrictionTracker<R, P = unknown> {
  /** The restriction being processed (after a split, the primary). */
  currentRestriction(): R;
  /** True if `position` is this processing's to do; false once the restriction ended or was split before it. */
  tryClaim(position: P): boolean;
  /** Keeps `fractionOfRemainder` of what is left (0: a checkpoint, nothing more claimed); undefined if it cannot split. */
  trySplit(fractionOfRemainder: number): SplitResult<R> | undefined;
  /** Throws if part of the restriction was neither claimed nor split off (called after process returns stop). */
  checkDone?(): void;
  /** Work done and left, for the runner's size estimates (Beam's HasProgress). */
  getProgress?(): RestrictionProgress;
  /** Whether the restriction is finite. */
  isBounded(): boolean;
}

/**
 * The tracker of a restriction with no positions and no end (a subscription, a queue): every
 * claim succeeds until a checkpoint, which keeps nothing of the rest and hands all of it (the
 * same restriction) back as the residual.
 */
export class UnboundedRestrictionTracker<R> implements RestrictionTracker<R, unknown> {
  private checkpointed = false;
  constructor(private readonly restriction: R) {}
  currentRestriction(): R {
    return this.restriction;
  }
  tryClaim(): boolean {
    return !this.checkpointed;
  }
  trySplit(fractionOfRemainder: number): SplitResult<R> | undefined {
    if (fractionOfRemainder !== 0 || this.checkpointed) return undefined;
    this.checkpointed = true;
    return { primary: this.restriction, residual: this.restriction };
  }
  isBounded(): boolean {
    return false;
  }
}

/** What processing can do besides claiming: output, report its watermark, register finalization (the SDK's internal form). */
export interface SplittableFnContext<Out> {
  /** The input element's event time. */
  readonly timestamp: Instant;
  /** The input element's window (the runner processes an element once per window). */
  readonly window: BoundedWindow;
  /** The side inputs of the splittable ParDo, by name, as seen from `window`. */
  readonly sideInputs: Readonly<Record<string, unknown>>;
  /** The processing time of this call (virtual under TestStream); absent: the wall clock. */
  readonly processingTime?: Instant;
  /** Outputs `value` at event time `timestamp` (in the input element's windows). */
  output(value: Out, timestamp: Instant): void | Promise<void>;
  /** Outputs `value` to the tagged output `tag` at event time `timestamp` (in the input element's windows). */
  outputTo(tag: string, value: unknown, timestamp: Instant): void | Promise<void>;
  /** The manual watermark estimator: a lower bound on the timestamps of future outputs (kept monotone). */
  updateWatermark(watermark: Instant): void;
  /** Runs `callback` once the runner has committed this bundle's outputs (Beam's BundleFinalizer). */
  afterBundleCommit(callback: () => Promise<void>): void;
  readonly runtime: RuntimeContext;
}

/**
 * A splittable DoFn over elements In, restrictions R, outputs Out, as the SDK's operators run it
 * (runners/executor/splittable_operator.ts). Users write a `SplittableDoFn` (splittable_dofn.ts),
 * which ParDo.splittable adapts to this.
 */
export interface SplittableFn<In, R, Out> {
  /** Encodes restrictions for the runner (a standard coder lets any runner read them). */
  readonly restrictionCoder: Coder<R>;
  /** Whether process registers bundle finalization callbacks (the ParDo then requests finalization). */
  readonly requestsFinalization: boolean;
  setup?(runtime: RuntimeContext): void | Promise<void>;
  teardown?(): void | Promise<void>;
  /** Before and after each bundle of the process phase. */
  startBundle?(runtime: RuntimeContext): void | Promise<void>;
  finishBundle?(runtime: RuntimeContext): void | Promise<void>;
  initialRestriction(element: In, runtime: RuntimeContext): R;
  /** The restrictions to process in place of `restriction` (default: itself). */
  splitRestriction?(element: In, restriction: R): readonly R[];
  /** A size estimate of the work in `restriction` (default 1). */
  restrictionSize?(element: In, restriction: R): number;
  /** The finite part of `restriction` to process when the pipeline drains; undefined: nothing (default for unbounded ones). */
  truncateRestriction?(element: In, restriction: R): R | undefined;
  newTracker(restriction: R): RestrictionTracker<R>;
  /** Processes the tracker's restriction; a stop with work left unclaimed must throw (the tracker's checkDone). */
  process(element: In, tracker: RestrictionTracker<R>, ctx: SplittableFnContext<Out>): Promise<ProcessContinuation>;
}

/** The composite of a user's splittable DoFn (ParDo.splittable): runners get it as one splittable ParDo. */
export const SPLITTABLE_PARDO_URN = "beamline:transform:splittable_pardo:v1";

/** Builds the SDF that runs a composite on runners that execute it as a splittable ParDo. */
export type SplittableCompositeFactory = (node: TransformNode) => SplittableFn<unknown, unknown, unknown>;

const compositeFactories = new Map<string, SplittableCompositeFactory>();

/** Declares that composites with this URN run as an SDF (by the factory) on portable runners. */
export function registerSplittableComposite(urn: string, factory: SplittableCompositeFactory): void {
  compositeFactories.set(urn, factory);
}

/** Whether composites with this URN can run as an SDF. */
export function hasSplittableComposite(urn: string | undefined): boolean {
  return urn !== undefined && compositeFactories.has(urn);
}

/** The SDF of a composite node, or undefined if its URN has none. */
export function splittableOfComposite(node: TransformNode): SplittableFn<unknown, unknown, unknown> | undefined {
  const urn = node.composite?.urn;
  const factory = urn !== undefined ? compositeFactories.get(urn) : undefined;
  return factory?.(node);
}
