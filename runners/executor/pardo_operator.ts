/** Executes a DoFn: lifecycle, contexts, outputs, side inputs, metrics and strict checks. */
import type { Coder } from "../../lib/coders/coder";
import type { BundleContext, DoFn, OutputPlacement, OutputTags, ProcessContext, RuntimeContext } from "../../lib/model/dofn";
import { PipelineError } from "../../lib/model/errors";
import { activeMetrics, MetricsContainer, runInContainer, setActiveContainer } from "../../lib/model/metrics";
import type { SideInput } from "../../lib/model/side_inputs";
import { BoundedWindow, ElementMeta, GLOBAL_WINDOWS, Instant, MIN_TIMESTAMP, NO_FIRING, PaneInfo } from "../../lib/model/window";
import { CheckSampler, checkNotMutated, snapshotForMutation } from "./checks";
import { isAsyncFunction, Operator, wrapAsync, wrapUserError } from "./operator";
import { MaybePromise, PendingWork, Receiver } from "./receiver";

type LifecycleStage = "setup" | "startBundle" | "finishBundle" | "teardown";
const LIFECYCLE_STAGES: readonly LifecycleStage[] = ["setup", "startBundle", "finishBundle", "teardown"];
import type { SideInputReader } from "./side_input_reader";

/** Strict-check settings of one operator. */
export interface InputChecks {
  readonly inputCoder: Coder<unknown>;
  readonly sampler: CheckSampler;
}

export class ParDoOperator implements Operator, ProcessContext<unknown, OutputTags>, BundleContext<unknown, OutputTags> {
  private readonly pending = new PendingWork();
  private readonly asyncProcess: boolean;
  /** Lifecycle methods declared async (of the DoFn, or of the user DoFn an adapter wraps). */
  private readonly asyncStages: ReadonlySet<LifecycleStage>;
  /** Metadata of the element being processed, with only the window being processed. */
  private current: ElementMeta | undefined;
  private currentWindow: BoundedWindow | undefined;
  private readonly main: Receiver;

  constructor(
    readonly transformName: string,
    private readonly doFn: DoFn<unknown, unknown, OutputTags>,
    private readonly outputs: ReadonlyMap<string, Receiver>,
    private readonly sideInputs: SideInputReader | undefined,
    private readonly metrics: MetricsContainer,
    readonly runtime: RuntimeContext,
    private readonly checks: InputChecks | undefined,
  ) {
    this.main = outputs.get("main")!;
    this.asyncProcess = isAsyncFunction(doFn.process) || isAsyncFunction((doFn as { fn?: unknown }).fn);
    const wrapped = (doFn as { wrapped?: Partial<Record<LifecycleStage, unknown>> }).wrapped;
    this.asyncStages = new Set(LIFECYCLE_STAGES.filter((st) => isAsyncFunction(doFn[st]) || isAsyncFunction(wrapped?.[st])));
  }

  // ---- lifecycle ----

  setup(): MaybePromise {
    return this.callLifecycle("setup", () => this.doFn.setup?.(this.runtime));
  }

  startBundle(): MaybePromise {
    this.checks?.sampler.resetForBundle();
    this.clearCurrent();
    return this.callLifecycle("startBundle", () => this.doFn.startBundle?.(this));
  }

  finishBundle(): MaybePromise {
    this.clearCurrent();
    return this.callLifecycle("finishBundle", () => this.doFn.finishBundle?.(this));
  }

  teardown(): MaybePromise {
    return this.callLifecycle("teardown", () => this.doFn.teardown?.());
  }

  private callLifecycle(stage: LifecycleStage, fn: () => void | Promise<void>): MaybePromise {
    const previous = setActiveContainer(this.metrics);
    let r: void | Promise<void>;
    try {
      // Only async methods get an AsyncLocalStorage scope (as for process): while one is open,
      // Node's promise hooks make every await in the process several times slower.
      r = this.asyncStages.has(stage) ? runInContainer(this.metrics, fn) : fn();
    } catch (e) {
      throw wrapUserError(this.transformName, stage, e);
    } finally {
      setActiveContainer(previous);
    }
    const downstream = this.pending.take();
    if (r === undefined && downstream === undefined) return undefined;
    return wrapAsync(Promise.resolve(r).then(() => downstream), this.transformName, stage);
  }

  // ---- elements ----

  receive(value: unknown, meta: ElementMeta): MaybePromise {
    const windows = meta.windows;
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

  /** `meta` has exactly the one window being processed; outputs reuse it. */
  private processInWindow(value: unknown, meta: ElementMeta, window: BoundedWindow): MaybePromise {
    const snapshot =
      this.checks !== undefined && typeof value === "object" && value !== null && this.checks.sampler.shouldCheck()
        ? snapshotForMutation(this.checks.inputCoder, value)
        : undefined;
    this.current = meta;
    this.currentWindow = window;
    const previous = setActiveContainer(this.metrics);
    let r: void | Promise<void>;
    try {
      r = this.asyncProcess ? runInContainer(this.metrics, () => this.doFn.process(value, this)) : this.doFn.process(value, this);
    } catch (e) {
      throw wrapUserError(this.transformName, "process", e, value);
    } finally {
      setActiveContainer(previous);
    }
    if (r === undefined) {
      if (snapshot !== undefined) checkNotMutated(this.transformName, this.checks!.inputCoder, value, snapshot);
      return this.pending.take();
    }
    const downstreamSoFar = this.pending.take();
    return wrapAsync(
      r.then(async () => {
        await downstreamSoFar;
        await this.pending.take();
        if (snapshot !== undefined) checkNotMutated(this.transformName, this.checks!.inputCoder, value, snapshot);
      }),
      this.transformName,
      "process",
      value,
    );
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
    const target = this.outputs.get(tag);
    if (target === undefined) {
      throw new PipelineError(
        `Transform '${this.transformName}' output to tag '${tag}', which was not declared; declare it with ParDo.of(fn).withOutputs("${tag}", ...)`,
      );
    }
    this.emit(target, value, placement);
  }

  outputWithTimestamp(value: unknown, timestamp: Instant): void {
    const cur = this.current;
    if (cur === undefined) {
      this.emit(this.main, value, { timestamp });
      return;
    }
    const r = this.main.receive(value, { timestamp, windows: cur.windows, pane: cur.pane });
    setActiveContainer(this.metrics);
    this.pending.add(r);
  }

  sideInput<V>(view: SideInput<V>): V {
    if (this.sideInputs === undefined) {
      throw new PipelineError(`Transform '${this.transformName}' read a side input it did not declare; pass it in ParDo.of(fn, { sideInputs: [view] })`);
    }
    return this.sideInputs.get(view, this.window);
  }

  private emit(target: Receiver, value: unknown, placement: OutputPlacement | undefined): void {
    const cur = this.current;
    let r: MaybePromise;
    if (placement === undefined && cur !== undefined) {
      r = target.receive(value, cur);
    } else {
      const window = placement?.window;
      r = target.receive(value, {
        timestamp: placement?.timestamp ?? (window !== undefined ? window.maxTimestamp() : cur?.timestamp ?? MIN_TIMESTAMP),
        windows: window !== undefined ? [window] : cur !== undefined ? cur.windows : GLOBAL_WINDOWS,
        pane: cur?.pane ?? NO_FIRING,
      });
    }
    activeMetrics.container = this.metrics;
    this.pending.add(r);
  }

  /** Leaves the element context after a bundle (finishBundle outputs have no current element). */
  clearCurrent(): void {
    this.current = undefined;
    this.currentWindow = undefined;
  }
}
