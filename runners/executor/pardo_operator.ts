/** Executes a DoFn: lifecycle, contexts, outputs, side inputs, metrics and strict checks. */
import type { Coder } from "../../lib/coders/coder";
import type { BundleContext, DoFn, OutputPlacement, OutputTags, ProcessContext, RuntimeContext } from "../../lib/model/dofn";
import { ElementTimeoutError, exceptionHandlingOf, failedElement, isHandledError, previewRejected, type ExceptionHandling } from "../../lib/model/dead_letter";
import { namesItsTransform, TransformError } from "../../lib/model/errors";
import { isThenable, MetricsContainer, OWN_METRICS_ATTRIBUTION, UserMethodCaller } from "../../lib/model/metrics";
import { sideInputsObject } from "../../lib/model/side_inputs";
import { BoundedWindow, ElementMeta, GLOBAL_WINDOWS, GlobalWindow, Instant, MAX_TIMESTAMP, MIN_TIMESTAMP, NO_FIRING, NO_OUTPUT_TIMESTAMP, PaneInfo } from "../../lib/model/window";
import { CheckSampler, checkNotMutated, snapshotForMutation } from "./checks";
import { BasicOperator, StepMark, wrapAsync, wrapUserError } from "./operator";
import { withDeadLetterChecks } from "./dead_letter_receiver";
import { bundleOutputWithoutWindow, outputTooEarly, outputWithoutTimestamp } from "./output_errors";
import { withDeadline } from "./deadline";
import { MaybePromise, PendingWork, Receiver, settleEach } from "./receiver";

import type { SideInputReader } from "./side_input_reader";

type LifecycleStage = "setup" | "startBundle" | "finishBundle" | "teardown";

/** Strict-check settings of one operator. */
export interface InputChecks {
  readonly inputCoder: Coder<unknown>;
  readonly sampler: CheckSampler;
}

/**
 * Runs a DoFn. The operator is itself the context handed to the DoFn's methods.
 *
 * One instance never has two `process` calls running at once (Beam's contract): an element that
 * arrives while an async call is pending (an upstream step emitting a burst without awaiting each
 * output) waits in line, and the promise returned for it tells the producer to wait too.
 */
export class ParDoOperator extends BasicOperator implements ProcessContext<unknown, OutputTags>, BundleContext<unknown, OutputTags> {
  private readonly pending = new PendingWork();
  /** The last queued or running call that has not settled (undefined: the DoFn is idle). */
  private tail: Promise<void> | undefined;
  /** Calls `process` (sync or async, learned from what it returns) as this step's code. */
  private readonly processCaller: UserMethodCaller;
  /** Calls the onFailure callback of exception handling (its own caller: it may be sync where `process` is async). */
  private readonly onFailureCaller: UserMethodCaller;
  private readonly lifecycleCallers: Record<LifecycleStage, UserMethodCaller>;
  /** Metadata of the element being processed, with only the window being processed. */
  private current: ElementMeta | undefined;
  private currentWindow: BoundedWindow | undefined;
  private readonly main: Receiver;

  private readonly outputs: ReadonlyMap<string, Receiver>;
  /** The dead-letter output of elements whose `process` throws (ParDo `withExceptionHandling`), if any. */
  private readonly failedOutput: Receiver | undefined;
  /** Which errors of `process` go to `failedOutput` (with exception handling). */
  private readonly handling: ExceptionHandling | undefined;
  /**
   * With exception handling, what the element being processed has output so far: released when
   * its call succeeds, dropped when it throws (an element's outputs are all or nothing).
   */
  private captured: { readonly target: Receiver; readonly value: unknown; readonly meta: ElementMeta }[] | undefined;
  /** `ctx.sideInputs`: one getter per declared side input, reading it for the current window. */
  readonly sideInputs: object;
  /** How far before its input `outputWithTimestamp` may place an output (the DoFn's allowedTimestampSkewMillis). */
  protected readonly allowedSkewMillis: number;

  constructor(
    readonly transformName: string,
    private readonly doFn: DoFn<unknown, unknown, OutputTags>,
    outputs: ReadonlyMap<string, Receiver>,
    private readonly sideInputReader: SideInputReader | undefined,
    private readonly metrics: MetricsContainer,
    readonly runtime: RuntimeContext,
    private readonly checks: InputChecks | undefined,
    /** The monitor's step register, written here rather than by a receiver in front of this operator. */
    private readonly mark: StepMark | undefined = undefined,
    /** Whether the input (so every output) is in the global window, if known: else a bundle output names its window. */
    private readonly inGlobalWindows: boolean | undefined = undefined,
  ) {
    super();
    this.sideInputs = sideInputsObject(transformName, sideInputReader?.views ?? [], (view) => sideInputReader!.get(view, this.window));
    this.outputs = withDeadLetterChecks(transformName, doFn, outputs, metrics);
    this.main = this.outputs.get("main")!;
    this.handling = exceptionHandlingOf(doFn, transformName);
    this.failedOutput = this.handling !== undefined ? this.outputs.get(this.handling.tag) : undefined;
    const ownAttribution = (doFn as { [OWN_METRICS_ATTRIBUTION]?: boolean })[OWN_METRICS_ATTRIBUTION] === true;
    this.processCaller = new UserMethodCaller(metrics, ownAttribution);
    this.onFailureCaller = new UserMethodCaller(metrics, ownAttribution);
    const skew = doFn.allowedTimestampSkewMillis ?? 0;
    if (typeof skew !== "number" || !(skew >= 0)) {
      throw new TransformError(transformName, `Transform '${transformName}' has allowedTimestampSkewMillis ${String(skew)}; it must be a number of milliseconds, 0 or more (Infinity for any)`);
    }
    this.allowedSkewMillis = skew;
    this.lifecycleCallers = {
      setup: new UserMethodCaller(metrics, ownAttribution),
      startBundle: new UserMethodCaller(metrics, ownAttribution),
      finishBundle: new UserMethodCaller(metrics, ownAttribution),
      teardown: new UserMethodCaller(metrics, ownAttribution),
    };
  }

  // ---- lifecycle ----

  /**
   * Calls the DoFn's setup. If it throws, the DoFn is torn down before the error goes on, as
   * Beam's ParDoLifecycleTest requires (testTeardownCalledAfterExceptionInSetup): setup may have
   * acquired resources before it failed, and a runner does not tear down what it did not set up.
   */
  setup(): MaybePromise {
    let r: MaybePromise;
    try {
      r = this.callLifecycle("setup", this.runtime);
    } catch (e) {
      return this.tearDownAfterFailedSetup(e);
    }
    return r === undefined ? undefined : r.catch((e: unknown) => this.tearDownAfterFailedSetup(e));
  }

  /** Tears down after `setup` threw `error` (best effort: teardown's own error is dropped), then rethrows `error`. */
  private tearDownAfterFailedSetup(error: unknown): never | Promise<never> {
    const thrown = (): never => {
      throw error;
    };
    let r: MaybePromise;
    try {
      r = this.teardown();
    } catch {
      return thrown();
    }
    return r === undefined ? thrown() : r.then(thrown, thrown);
  }

  /**
   * Whether a driver bundle starts the DoFn's bundle only when something reaches it (see
   * deferBundleStart), and whether the running one has started.
   */
  private deferred = false;
  private bundleOpen = true;

  /**
   * From now on the DoFn's bundle starts with its first element or timer, and a driver bundle
   * that brought it nothing calls neither startBundle nor finishBundle. The streaming driver runs
   * many small bundles (one per TestStream event or batch a source queued), most of them with
   * nothing for most steps; in Beam a DoFn only sees bundles of its own input, so a startBundle
   * that opens a connection or a finishBundle that flushes runs once per bundle with work.
   */
  deferBundleStart(): void {
    this.deferred = true;
  }

  startBundle(): MaybePromise {
    if (this.deferred) {
      this.bundleOpen = false;
      return undefined;
    }
    return this.openBundle();
  }

  finishBundle(): MaybePromise {
    if (!this.bundleOpen) return undefined;
    return this.closeBundle();
  }

  /** Starts the DoFn's bundle (the stateful operator also starts its state's). */
  protected openBundle(): MaybePromise {
    this.bundleOpen = true;
    this.checks?.sampler.resetForBundle();
    this.clearCurrent();
    return this.callLifecycle("startBundle", this.bundleContext());
  }

  /** Finishes the DoFn's bundle (the stateful operator then persists its state). */
  protected closeBundle(): MaybePromise {
    this.clearCurrent();
    return this.callLifecycle("finishBundle", this.bundleContext());
  }

  /** In a deferred bundle, starts the DoFn's bundle before the first call of it (queued first). */
  private openDeferred(): void {
    const r = this.openBundle();
    if (r !== undefined) this.track(this.tail !== undefined ? this.tail.then(() => r) : r);
  }

  /** Calls the DoFn's teardown, once: a runner's teardown after setup failed (and tore down) is a no-op. */
  teardown(): MaybePromise {
    if (this.tornDown) return undefined;
    this.tornDown = true;
    return this.callLifecycle("teardown", undefined);
  }

  private tornDown = false;

  private callLifecycle(stage: LifecycleStage, arg: unknown): MaybePromise {
    const method = this.doFn[stage] as ((this: unknown, arg: unknown) => unknown) | undefined;
    let r: unknown;
    if (method !== undefined) {
      try {
        r = this.lifecycleCallers[stage].invoke(method, this.doFn, arg, undefined);
      } catch (e) {
        // A finishBundle that output before it threw: as for process.
        return this.pending.failAfter(wrapUserError(this.transformName, stage, e));
      }
    }
    const downstream = this.pending.take();
    if (!isThenable(r)) return downstream === undefined ? undefined : wrapAsync(downstream, this.transformName, stage);
    // An async method (e.g. finishBundle running a last batch) may output after its first await:
    // that downstream work is collected when it resolves, so the runner waits for it too.
    return wrapAsync(
      Promise.resolve(r).then(
        // As for process: the outputs after its await settle before an earlier one's failure fails it.
        () => settleEach(downstream, this.pending.take()),
        // Rejected after outputs: fails once their downstream work settled, as a synchronous throw does.
        (e: unknown) => this.pending.failAfter(e, downstream),
      ),
      this.transformName,
      stage,
    );
  }

  // ---- elements ----

  receive(value: unknown, meta: ElementMeta): MaybePromise {
    // serialized(), written out: no closure per element on the synchronous path.
    if (this.failure !== undefined) throw this.failure.error;
    if (!this.bundleOpen) this.openDeferred();
    if (this.tail !== undefined) return this.track(this.tail.then(() => this.processElement(value, meta)));
    let r: MaybePromise;
    try {
      r = this.processElement(value, meta);
    } catch (e) {
      this.failure ??= { error: e };
      throw e;
    }
    return r === undefined ? undefined : this.track(r);
  }

  /**
   * Runs `work` after every call already queued or running (one call at a time per instance).
   * Once a call has failed, the instance takes no more work: the same error is thrown instead.
   * Beam fails the whole bundle and never calls a DoFn again after it threw; without this, an
   * element that arrives once the failed call has settled (the output of an async `process`
   * upstream after its await) would run on the failed instance, and could outlive its teardown.
   */
  protected serialized(work: () => MaybePromise): MaybePromise {
    if (this.failure !== undefined) throw this.failure.error;
    if (!this.bundleOpen) this.openDeferred();
    if (this.tail !== undefined) return this.track(this.tail.then(work));
    let r: MaybePromise;
    try {
      r = work();
    } catch (e) {
      this.failure ??= { error: e };
      throw e;
    }
    return r === undefined ? undefined : this.track(r);
  }

  /** The error a call of this instance failed with (see serialized). */
  private failure: { readonly error: unknown } | undefined;

  /** Makes `p` the call later ones wait for, until it settles. */
  private track(p: Promise<void>): Promise<void> {
    this.tail = p;
    const settled = (): void => {
      if (this.tail === p) this.tail = undefined;
    };
    p.then(settled, (e: unknown) => {
      this.failure ??= { error: e };
      settled();
    });
    return p;
  }

  /** Processes one element in each of its windows (called one element at a time), marked as this step's work. */
  protected processElement(value: unknown, meta: ElementMeta): MaybePromise {
    const mark = this.mark;
    if (mark === undefined) return this.processWindows(value, meta);
    const previousStep = mark.register[0]!;
    mark.register[0] = mark.step;
    try {
      return this.processWindows(value, meta);
    } finally {
      mark.register[0] = previousStep;
    }
  }

  private processWindows(value: unknown, meta: ElementMeta): MaybePromise {
    const windows = meta.windows;
    // The shared GLOBAL_WINDOWS by identity first: it is frozen, and Node 20's TurboFan compiles an
    // index into a frozen array as a generic keyed-load call (as in the precombine).
    if (windows === GLOBAL_WINDOWS) return this.processInWindow(value, meta, GlobalWindow.INSTANCE);
    if (windows.length === 1) return this.processInWindow(value, meta, windows[0]!);
    return this.processEachWindow(value, meta, 0);
  }

  private processEachWindow(value: unknown, meta: ElementMeta, from: number): MaybePromise {
    for (let i = from; i < meta.windows.length; i++) {
      const w = meta.windows[i]!;
      const r = this.processInWindow(value, { timestamp: meta.timestamp, windows: [w], pane: meta.pane }, w);
      if (r !== undefined) return r.then(() => this.processEachWindow(value, meta, i + 1));
    }
    return undefined;
  }

  /** Whether an error of `process` on this value goes to the dead-letter output (timer firings' errors do not). */
  protected handlesExceptionsOf(_value: unknown): boolean {
    return true;
  }

  /** `meta` has exactly the one window being processed; outputs reuse it. */
  private processInWindow(value: unknown, meta: ElementMeta, window: BoundedWindow): MaybePromise {
    const snapshot =
      this.checks !== undefined && typeof value === "object" && value !== null && this.checks.sampler.shouldCheck()
        ? snapshotForMutation(this.checks.inputCoder, value)
        : undefined;
    this.current = meta;
    this.currentWindow = window;
    if (this.failedOutput !== undefined && this.handlesExceptionsOf(value)) return this.processCatching(value, meta, snapshot);
    let r: unknown;
    try {
      r = this.processCaller.invoke(this.doFn.process, this.doFn, value, this);
    } catch (e) {
      // Outputs made before the throw may be queued in async steps downstream: fail after them.
      return this.pending.failAfter(wrapUserError(this.transformName, "process", e, value));
    }
    // Anything but a promise (nothing, or the value of `(x) => list.push(x)`) means done.
    if (!isThenable(r)) {
      if (snapshot !== undefined) checkNotMutated(this.transformName, this.checks!.inputCoder, value, snapshot);
      return this.pending.take();
    }
    const downstreamSoFar = this.pending.take();
    return wrapAsync(
      Promise.resolve(r).then(
        async () => {
          // Outputs made after the call's first await were started too: a failure of the earlier
          // ones fails the call only once they have settled (PendingWork.failAfter's rule).
          await settleEach(downstreamSoFar, this.pending.take());
          if (snapshot !== undefined) checkNotMutated(this.transformName, this.checks!.inputCoder, value, snapshot);
        },
        // Rejected after outputs (before or after its awaits): fails once their downstream work settled.
        (e: unknown) => this.pending.failAfter(e, downstreamSoFar),
      ),
      this.transformName,
      "process",
      value,
    );
  }

  /**
   * Processes an element with exception handling: its outputs wait until the call has succeeded;
   * if it throws, they are dropped and the element goes to the dead-letter output with the error.
   */
  private processCatching(value: unknown, meta: ElementMeta, snapshot: ReturnType<typeof snapshotForMutation> | undefined): MaybePromise {
    // With `partial`, outputs go on as they are made (Beam Python buffers them only without it).
    this.captured = this.handling!.partial === true ? undefined : [];
    this.beginCatching();
    const timeout = this.handling!.timeoutMillis;
    const call = timeout !== undefined ? this.timedCall(meta) : undefined;
    const started = timeout !== undefined ? performance.now() : 0;
    let r: unknown;
    try {
      r = this.processCaller.invoke(this.doFn.process, this.doFn, value, call?.ctx ?? this);
    } catch (e) {
      return this.failElement(value, meta, e);
    }
    const succeeded = (): MaybePromise => {
      this.endCatching(true);
      const captured = this.captured ?? [];
      this.captured = undefined;
      try {
        for (const c of captured) this.pending.add(c.target.receive(c.value, c.meta));
      } catch (e) {
        // A step downstream failed on one of them: as for process (PendingWork.failAfter).
        return this.pending.failAfter(e);
      }
      if (snapshot !== undefined) checkNotMutated(this.transformName, this.checks!.inputCoder, value, snapshot);
      return this.pending.take();
    };
    if (!isThenable(r)) {
      // A synchronous call cannot be stopped at its deadline; one that overran still fails.
      if (timeout !== undefined && performance.now() - started > timeout) return this.failElement(value, meta, new ElementTimeoutError(timeout));
      return succeeded();
    }
    return wrapAsync(
      (timeout !== undefined ? withDeadline(Promise.resolve(r), timeout - (performance.now() - started), () => call!.abandon(), timeout) : Promise.resolve(r)).then(
        () => succeeded(),
        (e: unknown) => this.failElement(value, meta, e),
      ),
      this.transformName,
      "process",
      value,
    );
  }

  /** Hooks of stateful subclasses: a failed element's state changes are undone too. */
  protected beginCatching(): void {}

  protected endCatching(_succeeded: boolean): void {}

  private failElement(value: unknown, meta: ElementMeta, error: unknown): MaybePromise {
    this.captured = undefined;
    this.endCatching(false);
    // The SDK's own errors about how the transform is used (an undeclared tag, a strict check) are bugs to fix, not bad elements.
    // Both fail the run after what outputs made with `partial` started downstream (PendingWork.failAfter).
    if (namesItsTransform(error)) return this.pending.failAfter(error);
    // An error of a class the ParDo does not handle (Beam Python's exc_class) fails the run as without exception handling.
    if (!isHandledError(this.handling!, error)) return this.pending.failAfter(wrapUserError(this.transformName, "process", error, value));
    try {
      this.pending.add(this.failedOutput!.receive(failedElement(value, error, this.transformName), meta));
    } catch (e) {
      return this.pending.failAfter(e);
    }
    const onFailure = this.handling!.onFailure;
    if (onFailure !== undefined) this.pending.add(this.callOnFailure(onFailure, error, value));
    return this.pending.take();
  }

  /**
   * The context of one `process` call with a timeout: the call may be abandoned at its deadline
   * and go on while the next element runs (Beam Python abandons its thread), so it has its own
   * element metadata and side inputs, and its outputs are dropped once it is abandoned.
   */
  private timedCall(meta: ElementMeta): { readonly ctx: ProcessContext<unknown, OutputTags>; abandon(): void } {
    let live = true;
    const window = this.window;
    const reader = this.sideInputReader;
    const ctx: ProcessContext<unknown, OutputTags> = {
      output: (v) => void (live && this.output(v)),
      outputTo: (tag, v) => void (live && this.outputTo(tag, v)),
      outputWithTimestamp: (v, t) => void (live && this.outputWithTimestamp(v, t)),
      outputToWithTimestamp: (tag, v, t) => void (live && this.outputToWithTimestamp(tag, v, t)),
      timestamp: meta.timestamp,
      window,
      pane: meta.pane,
      sideInputs: reader === undefined ? this.sideInputs : sideInputsObject(this.transformName, reader.views, (view) => reader.get(view, window)),
      runtime: this.runtime,
    };
    return { ctx, abandon: () => (live = false) };
  }

  /**
   * Calls the user's onFailure (Beam Python's on_failure_callback) as this step's code. As in Beam,
   * its own failure does not fail the run (the element is already a dead letter): it is reported
   * on stderr, naming the step.
   */
  private callOnFailure(onFailure: (error: unknown, element: unknown) => void | Promise<void>, error: unknown, value: unknown): MaybePromise {
    const warn = (e: unknown): void => {
      process.stderr.write(
        `Warning: the onFailure callback of transform '${this.transformName}' threw while handling element ${previewRejected(value)}: ` +
          `${e instanceof Error ? `${e.name}: ${e.message}` : String(e)}. The element is on the 'failed' output all the same; fix the callback.\n`,
      );
    };
    try {
      const r = this.onFailureCaller.invoke(onFailure, undefined, error, value);
      return isThenable(r) ? Promise.resolve(r).then(() => undefined, warn) : undefined;
    } catch (e) {
      warn(e);
      return undefined;
    }
  }

  // ---- ProcessContext ----

  get timestamp(): Instant {
    return this.current?.timestamp ?? MIN_TIMESTAMP;
  }

  get window(): BoundedWindow {
    return this.currentWindow ?? GLOBAL_WINDOWS[0]!;
  }

  get pane(): PaneInfo {
    return this.current?.pane ?? NO_FIRING;
  }

  output(value: unknown, placement?: OutputPlacement): void {
    this.emit(this.main, value, placement);
  }

  outputTo(tag: string, value: unknown, placement?: OutputPlacement): void {
    this.emit(this.target(tag), value, placement);
  }

  /**
   * What startBundle and finishBundle receive. Its outputs are placed only as their placement says
   * (by default the global window at the minimum timestamp) and carry no pane, as in Beam's
   * FinishBundleContext — also when a DoFn keeps it and outputs through it while processing an
   * element (a batching DoFn such as RunInference emits earlier elements' results then): those
   * outputs are not the current element's, so they take neither its pane nor its fate under
   * exception handling.
   */
  private bundleContext(): BundleContext<unknown, OutputTags> {
    return (this.bundleCtx ??= {
      output: (value, placement) => this.emitForBundle(this.main, value, placement),
      outputTo: (tag, value, placement) => this.emitForBundle(this.target(tag), value, placement),
      runtime: this.runtime,
    });
  }

  private bundleCtx: BundleContext<unknown, OutputTags> | undefined;

  private emitForBundle(target: Receiver, value: unknown, placement: OutputPlacement | undefined): void {
    if (placement?.timestamp !== undefined) this.checkTimestampInRange(placement.timestamp);
    const window = placement?.window;
    if (window === undefined && this.inGlobalWindows === false) throw bundleOutputWithoutWindow(this.transformName);
    const meta: ElementMeta = {
      timestamp: placement?.timestamp ?? (window !== undefined ? window.maxTimestamp() : MIN_TIMESTAMP),
      windows: window !== undefined ? [window] : GLOBAL_WINDOWS,
      pane: NO_FIRING,
    };
    this.pending.add(target.receive(value, meta));
  }

  /** The receiver of output `tag`; a clear error if the ParDo did not declare it. */
  private target(tag: string): Receiver {
    const target = this.outputs.get(tag);
    if (target === undefined) {
      const declared = [...this.outputs.keys()].filter((t) => t !== "main");
      throw new TransformError(
        this.transformName,
        `Transform '${this.transformName}' output to tag '${tag}', which it did not declare (declared: ${declared.length > 0 ? declared.map((t) => `'${t}'`).join(", ") : "none"}); ` +
          `declare it with ParDo.of(fn).withOutputs("${tag}", ...)`,
      );
    }
    return target;
  }

  outputWithTimestamp(value: unknown, timestamp: Instant): void {
    this.emitAt(this.main, value, timestamp);
  }

  outputToWithTimestamp(tag: string, value: unknown, timestamp: Instant): void {
    this.emitAt(this.target(tag), value, timestamp);
  }

  /** An output of the current element (or timer) moved to `timestamp`, within the allowed skew. */
  private emitAt(target: Receiver, value: unknown, timestamp: Instant): void {
    this.checkTimestampInRange(timestamp);
    const cur = this.current;
    if (cur?.timestamp === NO_OUTPUT_TIMESTAMP) throw outputWithoutTimestamp(this.transformName);
    if (cur === undefined) {
      this.emit(target, value, { timestamp });
      return;
    }
    if (timestamp < cur.timestamp - this.allowedSkewMillis) throw outputTooEarly(this.transformName, timestamp, cur.timestamp, this.allowedSkewMillis);
    this.send(target, value, { timestamp, windows: cur.windows, pane: cur.pane });
  }

  private emit(target: Receiver, value: unknown, placement: OutputPlacement | undefined): void {
    if (placement?.timestamp !== undefined) this.checkTimestampInRange(placement.timestamp);
    const cur = this.current;
    if (cur?.timestamp === NO_OUTPUT_TIMESTAMP) throw outputWithoutTimestamp(this.transformName);
    if (placement === undefined && cur !== undefined) {
      this.send(target, value, cur);
    } else {
      const window = placement?.window;
      this.send(target, value, {
        timestamp: placement?.timestamp ?? (window !== undefined ? window.maxTimestamp() : cur?.timestamp ?? MIN_TIMESTAMP),
        windows: window !== undefined ? [window] : cur !== undefined ? cur.windows : GLOBAL_WINDOWS,
        pane: cur?.pane ?? NO_FIRING,
      });
    }
  }

  /**
   * Beam's bounds on any output timestamp (Java's SimpleDoFnRunner refuses one after
   * TIMESTAMP_MAX_VALUE; timestamps are int64 milliseconds): checked here, where the DoFn that
   * made it is known, rather than left to a coder on some runner paths (the in-process direct
   * runner encodes nothing) or to windowing, which turns NaN into a window of NaN.
   */
  private checkTimestampInRange(timestamp: Instant): void {
    if (Number.isInteger(timestamp) && timestamp >= MIN_TIMESTAMP && timestamp <= MAX_TIMESTAMP) return;
    throw new TransformError(
      this.transformName,
      `Transform '${this.transformName}' output with timestamp ${String(timestamp)}, which is not a Beam timestamp: timestamps are whole ` +
        `milliseconds from MIN_TIMESTAMP (${MIN_TIMESTAMP}) to MAX_TIMESTAMP (${MAX_TIMESTAMP}). Round fractional times (e.g. Math.floor), ` +
        `check for NaN from a failed parse, and clamp to MIN_TIMESTAMP/MAX_TIMESTAMP for the extremes.`,
    );
  }

  /** Sends an output on (or keeps it until the element's call has succeeded, with exception handling). */
  private send(target: Receiver, value: unknown, meta: ElementMeta): void {
    if (this.captured !== undefined) this.captured.push({ target, value, meta });
    else this.pending.add(target.receive(value, meta));
  }

  /** Leaves the element context after a bundle (finishBundle outputs have no current element). */
  clearCurrent(): void {
    this.current = undefined;
    this.currentWindow = undefined;
  }
}
