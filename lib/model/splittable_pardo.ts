/**
 * ParDo.splittable(fn): a user's SplittableDoFn applied as a composite (SPLITTABLE_PARDO_URN).
 *
 * - Portable runners get it as one splittable ParDo (restriction coder set, Beam's
 *   `beam:requirement:pardo:splittable_dofn:v1`); the runner expands it into Beam's
 *   SplittableParDoComponents and our worker runs each phase with `SdfAdapter` below
 *   (runners/executor/splittable_operator.ts), residuals going back to the runner.
 * - The DirectRunner runs the composite's own expansion, Beam Java's SplittableParDoViaKeyedWorkItems
 *   in spirit: `Pair` gives each part of each element's split initial restriction a key of its
 *   own, and `Process` is a stateful DoFn that processes it. On `resume` it keeps the residual in
 *   state and sets a processing-time timer after the requested delay, holding the output
 *   watermark at the fn's watermark estimate (so downstream windows wait for what it may still
 *   output). An event-time timer at the end of the element's window finishes it: when the input
 *   ends (or the window closes) the residual is processed to its end at once (truncated first
 *   only for an unbounded-per-element fn, whose input ends when the run drains) —
 *   which is how a bounded run (whose processing time does not move) finishes its restrictions.
 *
 * Internally a restriction travels with its watermark estimator state, as Beam's does:
 * KV(restriction, state), the state MIN_TIMESTAMP until processing starts (it then starts at the
 * element's timestamp). Each processing builds the fn's estimator (newWatermarkEstimator, default
 * the manual one) from the state, and what it splits off or checkpoints carries the estimator's
 * state at that point.
 *
 * Side inputs (read in the element's window) and tagged outputs (`withOutputs`) are the Process
 * step's on the DirectRunner, and the splittable ParDo's on portable runners.
 */
import { type Coder, decodeFromBytes, encodeToBytes } from "../coders/coder";
import { JsValueCoder } from "../coders/js_value";
import { DoubleCoder, StringUtf8Coder } from "../coders/primitive";
import { KVCoder } from "../coders/structural";
import { DoFn, type OutputTags, type ProcessContext, type RuntimeContext, type SideInputTypes } from "./dofn";
import { PipelineConstructionError, TransformError } from "./errors";
import { ParDo, type TaggedOutputs } from "./pardo";
import type { PCollection } from "./pcollection";
import type { TransformNode } from "./pipeline";
import type { SideInput, SideInputViews } from "./side_inputs";
import { ProcessContinuation, registerSplittableComposite, type RestrictionProgress, type RestrictionTracker, type SplitResult, type SplittableFn, type SplittableFnContext, SPLITTABLE_PARDO_URN } from "./splittable";
import type { ManualWatermarkEstimator, SplittableDoFn, SplittableProcessContext } from "./splittable_dofn";
import { StateSpec, StatefulDoFn, TimerSpec, type StatefulProcessContext, type TimerContext } from "./state";
import { PTransform } from "./transform";
import { observesTimestamps, type WatermarkEstimator, WatermarkEstimators } from "./watermark_estimators";
import { type Instant, type KV, kv, MAX_TIMESTAMP, MIN_TIMESTAMP } from "./window";
import type { WindowFn } from "./windowing";

type AnyUserSdf = SplittableDoFn<unknown, unknown, unknown, unknown, OutputTags, object>;

declare module "./pipeline" {
  interface CompositeSpecs {
    [SPLITTABLE_PARDO_URN]: {
      readonly urn: typeof SPLITTABLE_PARDO_URN;
      readonly doFn: AnyUserSdf;
      /** The side inputs the fn reads, each under its name. */
      readonly sideInputs: readonly SideInput<unknown>[];
      /** Its outputs' tags, "main" first. */
      readonly outputTags: readonly string[];
    };
  }
}

/** A restriction with its watermark estimator state. */
type Restriction<R> = KV<R, Instant>;

/** The user's tracker, and the watermark estimator state that goes with what it splits off. */
class EstimatingTracker<R> implements RestrictionTracker<Restriction<R>> {
  /** The user's tracker's progress, if it reports any (runners split and size by it). */
  readonly getProgress?: () => RestrictionProgress;
  /** The estimator of the processing under way (set when process starts). */
  estimator: WatermarkEstimator | undefined;
  constructor(
    readonly inner: RestrictionTracker<R, unknown>,
    /** The estimator state the restriction came with. */
    readonly initialState: Instant,
  ) {
    if (inner.getProgress !== undefined) this.getProgress = () => inner.getProgress!();
  }
  /** The estimator state now, as Beam's runners take it at a split: after asking for the current watermark. */
  private state(): Instant {
    const e = this.estimator;
    if (e === undefined) return this.initialState;
    e.currentWatermark();
    return e.getState();
  }
  currentRestriction(): Restriction<R> {
    return kv(this.inner.currentRestriction(), this.state());
  }
  tryClaim(position: unknown): boolean {
    return this.inner.tryClaim(position);
  }
  trySplit(fractionOfRemainder: number): SplitResult<Restriction<R>> | undefined {
    const split = this.inner.trySplit(fractionOfRemainder);
    if (split === undefined) return undefined;
    const state = this.state();
    return { primary: kv(split.primary, state), residual: kv(split.residual, state) };
  }
  isBounded(): boolean {
    return this.inner.isBounded();
  }
}

/** A user's SplittableDoFn as the SDK's phases run it (SplittableFn). */
export class SdfAdapter<In, Out, R> implements SplittableFn<In, Restriction<R>, Out> {
  readonly restrictionCoder: Coder<Restriction<R>>;
  readonly requestsFinalization: boolean;
  /** Phases sharing this fn (each operator sets it up): the user's setup runs once, teardown after the last. */
  private users = 0;

  constructor(
    readonly fn: SplittableDoFn<In, Out, R, unknown, OutputTags, object>,
    readonly transformName: string,
  ) {
    if (fn.restrictionCoder === undefined) {
      throw new TransformError(transformName, `The splittable DoFn of '${transformName}' has no restrictionCoder; set \`readonly restrictionCoder = OffsetRangeCoder.INSTANCE\` (or a coder of your restriction type)`);
    }
    this.restrictionCoder = new KVCoder(fn.restrictionCoder, DoubleCoder.INSTANCE);
    this.requestsFinalization = fn.requestsFinalization === true;
  }

  async setup(runtime: RuntimeContext): Promise<void> {
    if (this.users++ === 0) await this.fn.setup?.(runtime);
  }
  async teardown(): Promise<void> {
    if (--this.users === 0) await this.fn.teardown?.();
  }
  startBundle(runtime: RuntimeContext): void | Promise<void> {
    return this.fn.startBundle?.(runtime);
  }
  finishBundle(runtime: RuntimeContext): void | Promise<void> {
    return this.fn.finishBundle?.(runtime);
  }

  initialRestriction(element: In): Restriction<R> {
    return kv(this.fn.initialRestriction(element), MIN_TIMESTAMP);
  }
  splitRestriction(element: In, restriction: Restriction<R>): readonly Restriction<R>[] {
    const parts = this.fn.splitRestriction?.(element, restriction.key) ?? [restriction.key];
    return parts.map((p) => kv(p, restriction.value));
  }
  restrictionSize(element: In, restriction: Restriction<R>): number {
    if (this.fn.restrictionSize !== undefined) return this.fn.restrictionSize(element, restriction.key);
    return this.fn.newTracker(restriction.key).getProgress?.().workRemaining ?? 1;
  }
  truncateRestriction(element: In, restriction: Restriction<R>): Restriction<R> | undefined {
    const r = this.fn.truncateRestriction !== undefined ? this.fn.truncateRestriction(element, restriction.key) : this.fn.newTracker(restriction.key).isBounded() ? restriction.key : undefined;
    return r === undefined ? undefined : kv(r, restriction.value);
  }
  newTracker(restriction: Restriction<R>): EstimatingTracker<R> {
    return new EstimatingTracker(this.fn.newTracker(restriction.key) as RestrictionTracker<R, unknown>, restriction.value);
  }

  /** The fn's estimator for one processing, from the restriction's state (a new element's: its timestamp). */
  private newEstimator(state: Instant): WatermarkEstimator {
    let estimator: WatermarkEstimator | undefined;
    try {
      estimator = this.fn.newWatermarkEstimator !== undefined ? this.fn.newWatermarkEstimator(state) : new WatermarkEstimators.Manual(state);
    } catch (e) {
      throw new TransformError(this.transformName, `The newWatermarkEstimator of '${this.transformName}' threw: ${(e as Error).message}`, { cause: e });
    }
    if (estimator === null || typeof estimator !== "object" || typeof estimator.currentWatermark !== "function" || typeof estimator.getState !== "function") {
      throw new TransformError(
        this.transformName,
        `The newWatermarkEstimator of '${this.transformName}' returned ${String(estimator)}, not a watermark estimator; return e.g. new WatermarkEstimators.MonotonicallyIncreasing(state)`,
      );
    }
    return estimator;
  }

  async process(element: In, tracker: RestrictionTracker<Restriction<R>>, ctx: SplittableFnContext<Out>): Promise<ProcessContinuation> {
    const t = tracker as EstimatingTracker<R>;
    // Beam's usual initial watermark estimator state: the element's timestamp.
    const estimator = this.newEstimator(t.initialState === MIN_TIMESTAMP ? ctx.timestamp : t.initialState);
    t.estimator = estimator;
    // The host holds the step's output watermark at the estimate it was last told.
    const report = (): void => ctx.updateWatermark(estimator.currentWatermark());
    report();
    const observing = observesTimestamps(estimator) ? estimator : undefined;
    const skew = this.fn.allowedTimestampSkewMillis ?? 0;
    const checkTimestamp = (timestamp: Instant): void => {
      if (timestamp < ctx.timestamp - skew) {
        throw new TransformError(
          this.transformName,
          `'${this.transformName}' output a value at ${timestamp}, before its input's timestamp ${ctx.timestamp} minus the allowed skew (${skew} ms); ` +
            `Beam does not allow that. Use a later timestamp, or raise allowedTimestampSkewMillis on the splittable DoFn.`,
        );
      }
    };
    // Outputs reach the next step one at a time, in order, even when process does not await them.
    let chain: Promise<void> | undefined;
    const emit = (tag: string | undefined, value: unknown, timestamp: Instant): void | Promise<void> => {
      // Beam's TimestampObservingWatermarkEstimator sees every output's timestamp, on every output.
      if (observing !== undefined) {
        observing.observeTimestamp(timestamp);
        report();
      }
      const send = (): void | Promise<void> => (tag === undefined ? ctx.output(value as Out, timestamp) : ctx.outputTo(tag, value, timestamp));
      if (chain !== undefined) return (chain = chain.then(send));
      const r = send();
      if (r !== undefined) chain = r;
      return r;
    };
    const manual: ManualWatermarkEstimator = {
      currentWatermark: () => estimator.currentWatermark(),
      setWatermark: (w) => {
        const setter = (estimator as Partial<ManualWatermarkEstimator>).setWatermark;
        if (typeof setter !== "function") {
          throw new TransformError(
            this.transformName,
            `'${this.transformName}' called watermarkEstimator.setWatermark, but its watermark estimator (${estimator.constructor.name}) is not a manual one; ` +
              `only WatermarkEstimators.Manual (the default) is set by the DoFn. Return new WatermarkEstimators.Manual(state) from newWatermarkEstimator, or stop setting the watermark.`,
          );
        }
        setter.call(estimator, w);
        report();
      },
    };
    const userCtx: SplittableProcessContext<Out, OutputTags, object> = {
      timestamp: ctx.timestamp,
      processingTime: ctx.processingTime ?? Date.now(),
      window: ctx.window,
      sideInputs: ctx.sideInputs,
      runtime: ctx.runtime,
      output: (value) => emit(undefined, value, ctx.timestamp),
      outputWithTimestamp: (value, timestamp) => {
        checkTimestamp(timestamp);
        return emit(undefined, value, timestamp);
      },
      outputTo: (tag, value) => emit(tag, value, ctx.timestamp),
      outputToWithTimestamp: (tag, value, timestamp) => {
        checkTimestamp(timestamp);
        return emit(tag, value, timestamp);
      },
      afterBundleCommit: (callback) => {
        if (!this.requestsFinalization) {
          throw new TransformError(this.transformName, `'${this.transformName}' registered a bundle finalization callback, but its splittable DoFn does not request finalization; set \`readonly requestsFinalization = true\` on it`);
        }
        ctx.afterBundleCommit(async () => {
          await callback();
        });
      },
      watermarkEstimator: manual,
    };
    const result = (await this.fn.process(element, t.inner, userCtx)) ?? ProcessContinuation.stop();
    if (chain !== undefined) await chain;
    report();
    if (!(result instanceof ProcessContinuation)) {
      throw new TransformError(this.transformName, `The splittable DoFn of '${this.transformName}' returned ${String(result)} from process; return ProcessContinuation.stop() or ProcessContinuation.resume()`);
    }
    if (!result.shouldResume && t.inner.checkDone !== undefined) {
      try {
        t.inner.checkDone();
      } catch (e) {
        throw new TransformError(
          this.transformName,
          `'${this.transformName}' returned ProcessContinuation.stop() with work left in its restriction: ${(e as Error).message}. ` +
            `Claim every position until tryClaim returns false, or return ProcessContinuation.resume() to process the rest later.`,
          { cause: e },
        );
      }
    }
    return result;
  }
}

/** The runner's ProcessContext, whose outputTo also takes a placement (see ProcessRestrictions.once). */
interface TaggedOutputWithPlacement {
  outputTo(tag: string, value: unknown, placement: { readonly timestamp: Instant }): void;
}

/** A part of an element's work: the element and a restriction (keyed on its own so the DirectRunner keeps its residual in state). */
type Work = KV<unknown, Restriction<unknown>>;

interface Pending {
  readonly element: unknown;
  readonly restriction: Restriction<unknown>;
  /** The input element's timestamp (in onTimer, ctx.timestamp is the timer's). */
  readonly timestamp: Instant;
}

/** A residual as kept in state: the element and restriction encoded (checkpoints write state cells as plain data). */
interface Stored {
  readonly work: Uint8Array;
  readonly timestamp: Instant;
}

type AnyAdapter = SdfAdapter<unknown, unknown, unknown>;

/** DirectRunner: element → a keyed part per split of its initial restriction. */
class PairWithRestrictions extends DoFn<unknown, KV<string, Work>> {
  private readonly prefix = Math.random().toString(36).slice(2);
  private next = 0;
  constructor(private readonly sdf: AnyAdapter) {
    super();
  }
  setup(runtime: RuntimeContext): Promise<void> {
    return this.sdf.setup(runtime);
  }
  teardown(): Promise<void> {
    return this.sdf.teardown();
  }
  process(element: unknown, ctx: ProcessContext<KV<string, Work>>): void {
    const initial = this.sdf.initialRestriction(element);
    for (const restriction of this.sdf.splitRestriction(element, initial)) ctx.output(kv(`${this.prefix}-${this.next++}`, kv(element, restriction)));
  }
}

/** DirectRunner: processes a part; checkpoints it in state with timers to resume and to drain. */
class ProcessRestrictions extends StatefulDoFn<string, Work, unknown> {
  /**
   * The fn's work may never end (@UnboundedPerElement): the streaming DirectRunner then runs on
   * the wall clock and does not take the end of the input for a drain (isWallClockSdfStep).
   */
  readonly unboundedPerElement: boolean;
  readonly pending = StateSpec.value<Stored>("sdfResidual");
  readonly resumeTimer = TimerSpec.processingTime("sdfResume");
  readonly drainTimer = TimerSpec.eventTime("sdfDrain");
  constructor(
    private readonly sdf: AnyAdapter,
    private readonly workCoder: Coder<Work>,
  ) {
    super();
    this.unboundedPerElement = sdf.fn.unboundedPerElement === true;
    // Output timestamps are checked by the adapter against the input element's (in onTimer the
    // timer's output timestamp, the watermark estimate, stands in for it).
    this.allowedTimestampSkewMillis = Number.POSITIVE_INFINITY;
  }
  setup(runtime: RuntimeContext): Promise<void> {
    this.transformName = runtime.transformName;
    return this.sdf.setup(runtime);
  }
  teardown(): Promise<void> {
    return this.sdf.teardown();
  }
  /** The step's full name, for messages (known from setup). */
  private transformName = "the splittable DoFn";
  startBundle(ctx: { runtime: RuntimeContext }): void | Promise<void> {
    this.finalizers = [];
    return this.sdf.startBundle(ctx.runtime);
  }
  /** After the fn's finishBundle, the bundle's finalization callbacks: its outputs have been handed on. */
  async finishBundle(ctx: { runtime: RuntimeContext }): Promise<void> {
    await this.sdf.finishBundle(ctx.runtime);
    await this.runFinalizers();
  }

  /**
   * Runs the bundle's finalization callbacks, every one even when some throw: the bundle's outputs
   * are committed, so a failing callback is reported and does not fail the run (as Beam Python's
   * BundleFinalizer logs it; Beam's runners treat finalization as best effort).
   */
  private async runFinalizers(): Promise<void> {
    const callbacks = this.finalizers;
    this.finalizers = [];
    for (const cb of callbacks) {
      try {
        await cb();
      } catch (e) {
        const reason = e instanceof Error ? e.message : String(e);
        process.stderr.write(`Warning: a bundle finalization callback (ctx.afterBundleCommit) of ${this.transformName} failed: ${reason}. The bundle's outputs stand; make the callback handle its own errors (e.g. retry the acknowledgement).\n`);
      }
    }
  }

  private finalizers: (() => Promise<void>)[] = [];

  async process(element: KV<string, Work>, ctx: StatefulProcessContext<unknown>): Promise<void> {
    await this.run({ element: element.value.key, restriction: element.value.value, timestamp: ctx.timestamp }, ctx);
  }

  async onTimer(timer: string, ctx: TimerContext<string, unknown>): Promise<void> {
    const state = ctx.state(this.pending);
    const stored = state.read();
    if (stored === undefined) return;
    state.clear();
    const work = decodeFromBytes(this.workCoder, stored.work);
    const p: Pending = { element: work.key, restriction: work.value, timestamp: stored.timestamp };
    if (timer === this.resumeTimer.name) {
      ctx.timer(this.drainTimer).clear();
      await this.run(p, ctx);
      return;
    }
    // The input ended (or the window closed): what is left is finished now. Only a drain
    // truncates it (Beam's @TruncateRestriction): this timer is one for an unbounded-per-element
    // fn, whose input is held until the run drains (runners/streaming/execution_state.ts). For a
    // bounded-per-element fn it is the end of its input, and Beam's runners process a
    // checkpointed restriction to its end: a run that merely ends truncates nothing.
    ctx.timer(this.resumeTimer).clear();
    let restriction = this.unboundedPerElement ? this.sdf.truncateRestriction(p.element, p.restriction) : p.restriction;
    while (restriction !== undefined) {
      restriction = (await this.once({ ...p, restriction }, ctx))?.restriction;
      // The call's outputs have been handed on: its finalization callbacks run before the next
      // call (a fn may wait for them, as Beam's BundleFinalizingSplittableDoFn does).
      await this.runFinalizers();
    }
  }

  private async run(work: Pending, ctx: StatefulProcessContext<unknown>): Promise<void> {
    const residual = await this.once(work, ctx);
    if (residual === undefined) return;
    ctx.state(this.pending).write({ work: encodeToBytes(this.workCoder, kv(work.element, residual.restriction)), timestamp: work.timestamp });
    // The hold: the fn's estimate, inside the window (a timer cannot hold past it).
    const hold = Math.min(Math.max(residual.watermark, work.timestamp), ctx.window.maxTimestamp());
    ctx.timer(this.resumeTimer).withOutputTimestamp(hold).offset(residual.delayMs);
    ctx.timer(this.drainTimer).withOutputTimestamp(hold).set(ctx.window.maxTimestamp());
  }

  /** One call of the fn's process; the residual if it checkpointed with work left. */
  private async once(work: Pending, ctx: StatefulProcessContext<unknown>): Promise<{ restriction: Restriction<unknown>; watermark: Instant; delayMs: number } | undefined> {
    const tracker = this.sdf.newTracker(work.restriction);
    let watermark = MIN_TIMESTAMP;
    const continuation = await this.sdf.process(work.element, tracker, {
      timestamp: work.timestamp,
      window: ctx.window,
      sideInputs: ctx.sideInputs as Readonly<Record<string, unknown>>,
      processingTime: ctx.processingTime,
      runtime: ctx.runtime,
      output: (value, timestamp) => ctx.outputWithTimestamp(value, timestamp),
      // The ParDo operator is the context of process and onTimer, and its outputTo takes a
      // placement as in bundle methods: the tagged output goes at `timestamp`, in the current
      // element's (or fired timer's) window and pane, as the main output does.
      outputTo: (tag, value, timestamp) => (ctx as unknown as TaggedOutputWithPlacement).outputTo(tag, value, { timestamp }),
      updateWatermark: (w) => {
        if (w > watermark) watermark = w;
      },
      afterBundleCommit: (callback) => void this.finalizers.push(callback),
    });
    if (!continuation.shouldResume) return undefined;
    const split = tracker.trySplit(0);
    return split === undefined ? undefined : { restriction: split.residual, watermark, delayMs: continuation.resumeDelayMs };
  }
}

/**
 * Whether `doFn` is the DirectRunner's processing step of an unbounded-per-element splittable
 * DoFn: its residuals wait for the wall clock (as Beam's DirectRunner resumes them), and the end
 * of its input does not truncate them; only a drain, or its work ending, lets its input end.
 */
export function isWallClockSdfStep(doFn: unknown): boolean {
  return doFn instanceof ProcessRestrictions && doFn.unboundedPerElement;
}

/** Options of `ParDo.splittable(fn, options)`. */
export interface SplittableParDoOptions<Sides extends SideInputTypes = {}> {
  /**
   * The side inputs the fn reads, by name: `{ prefix: AsSingleton(prefixes) }` (Beam's
   * `withSideInputs`). The fn reads them as `ctx.sideInputs.prefix` in `process`, in the input
   * element's window.
   */
  readonly sideInputs?: SideInputViews<Sides>;
}

/** The side inputs of a splittable ParDo, each view under its name. */
function namedViews(views: SideInputViews<object> | undefined, transformName: string): SideInput<unknown>[] {
  if (views === undefined) return [];
  if (typeof views !== "object" || views === null || Array.isArray(views)) {
    throw new PipelineConstructionError("ParDo.splittable sideInputs must be a record of views by name, e.g. { sideInputs: { prefix: AsSingleton(pc) } }", transformName);
  }
  return Object.entries(views as Record<string, unknown>).map(([name, view]) => {
    if (view === undefined || view === null || typeof (view as SideInput<unknown>).named !== "function") {
      throw new PipelineConstructionError(`Side input '${name}' of the splittable ParDo is not a view; make one with AsSingleton, AsIterable, AsMap or AsMultimap`, transformName);
    }
    return (view as SideInput<unknown>).named(name);
  });
}

/** Expands a splittable ParDo: its outputs by tag, "main" first. */
function expandSplittable(input: PCollection<unknown>, doFn: AnyUserSdf, options: SplittableParDoOptions<object>, tags: readonly string[]): Map<string, PCollection<unknown>> {
  const node = input.pipeline.currentNode();
  const sideInputs = namedViews(options.sideInputs, node.fullName);
  node.composite = { urn: SPLITTABLE_PARDO_URN, doFn, sideInputs, outputTags: ["main", ...tags] };
  const sdf = new SdfAdapter(doFn, node.fullName);
  const keyed = input.apply("Pair", ParDo.of(new PairWithRestrictions(sdf)));
  // Parts cross the DirectRunner's shuffle encoded: the element with its input's coder, the restriction with the fn's.
  const workCoder = new KVCoder((input.coder as Coder<unknown> | undefined) ?? new JsValueCoder(), sdf.restrictionCoder as Coder<Restriction<unknown>>);
  keyed.setCoder(new KVCoder(StringUtf8Coder.INSTANCE, workCoder));
  // An SDF passes late data through (Beam's SplittableDoFnTest.testLateData): the stateful step
  // must not drop elements of expired windows, so its input never expires; its output has the
  // input's windowing again, for the steps after it to drop what is late.
  // Windows merge only at a GroupByKey: an SDF, like any DoFn, runs on each element's own
  // (proto-session) window, and every part has a key of its own, so nothing would merge here.
  // The stateful step sees the WindowFn as non-merging (state and timers refuse merging ones).
  const windowFn = input.windowing.windowFn.isMerging ? (Object.create(input.windowing.windowFn, { isMerging: { value: false } }) as WindowFn) : input.windowing.windowFn;
  keyed.windowing = { ...input.windowing, windowFn, allowedLatenessMillis: MAX_TIMESTAMP - MIN_TIMESTAMP };
  // The Process step reads the side inputs, in each part's window (its element's), and has the tagged outputs.
  type AnySides = Record<string, unknown>;
  const process = ParDo.of(new ProcessRestrictions(sdf, workCoder) as unknown as DoFn<KV<string, Work>, unknown, OutputTags, AnySides>, { sideInputs: (options.sideInputs ?? {}) as SideInputViews<AnySides> });
  const outs: Map<string, PCollection<unknown>> =
    tags.length === 0 ? new Map([["main", keyed.apply("Process", process)]]) : new Map(Object.entries(keyed.apply("Process", process.withOutputs(...tags)) as Record<string, PCollection<unknown>>));
  // Beam's SplittableParDo output: unbounded if the input is, or if the fn is unbounded per element.
  const bounded = input.isBounded && doFn.unboundedPerElement !== true;
  for (const out of outs.values()) {
    out.windowing = input.windowing;
    out.isBounded = bounded;
  }
  return outs;
}

/** A SplittableDoFn applied to each element (see ParDo.splittable); `withOutputs` adds tagged outputs. */
export class SplittableParDo<In, Out, Tags extends OutputTags = {}> extends PTransform<PCollection<In>, PCollection<Out>> {
  constructor(
    private readonly doFn: SplittableDoFn<In, Out, unknown, unknown, Tags, object>,
    private readonly options: SplittableParDoOptions<object> = {},
  ) {
    super(labelOf(doFn));
  }

  expand(input: PCollection<In>): PCollection<Out> {
    return expandSplittable(input as PCollection<unknown>, this.doFn as unknown as AnyUserSdf, this.options, []).get("main") as PCollection<Out>;
  }

  /**
   * The same splittable ParDo with tagged outputs (Beam's `withOutputTags`, Python's
   * `with_outputs`): the result is `{ main, ...tags }`, each typed from the fn's `Tags`. Elements
   * emitted with `ctx.outputTo(tag, x)` go to the tag's PCollection.
   */
  withOutputs<K extends keyof Tags & string>(...tags: K[]): PTransform<PCollection<In>, TaggedOutputs<Out, Pick<Tags, K>>> {
    if (tags.includes("main" as K)) throw new PipelineConstructionError("'main' is the main output's tag; choose another tag name");
    return new MultiOutputSplittableParDo<In, TaggedOutputs<Out, Pick<Tags, K>>>(this.doFn as unknown as AnyUserSdf, this.options, tags, this.label);
  }
}

/** A splittable ParDo with tagged outputs: `{ main, ...tags }`. */
class MultiOutputSplittableParDo<In, Outputs extends TaggedOutputs<unknown, OutputTags>> extends PTransform<PCollection<In>, Outputs> {
  constructor(
    private readonly doFn: AnyUserSdf,
    private readonly options: SplittableParDoOptions<object>,
    private readonly tags: readonly string[],
    label: string | undefined,
  ) {
    super(label);
  }
  expand(input: PCollection<In>): Outputs {
    return Object.fromEntries(expandSplittable(input as PCollection<unknown>, this.doFn, this.options, this.tags)) as unknown as Outputs;
  }
}

function labelOf(doFn: object): string {
  return doFn.constructor.name === "" ? "ParDo(Splittable)" : `ParDo(${doFn.constructor.name})`;
}

/** One adapter per fn instance: the phases a worker runs it in share its setup and teardown. */
const adapters = new WeakMap<AnyUserSdf, AnyAdapter>();

/** The SDF of a ParDo.splittable composite, as the worker runs its phases. */
function adapterOf(node: TransformNode): SplittableFn<unknown, unknown, unknown> {
  const spec = node.composite;
  if (spec?.urn !== SPLITTABLE_PARDO_URN) throw new TransformError(node.fullName, `'${node.fullName}' is not a ParDo.splittable composite`);
  let adapter = adapters.get(spec.doFn);
  if (adapter === undefined) adapters.set(spec.doFn, (adapter = new SdfAdapter(spec.doFn, node.fullName)));
  return adapter as SplittableFn<unknown, unknown, unknown>;
}

registerSplittableComposite(SPLITTABLE_PARDO_URN, adapterOf);
