/**
 * The operators of a splittable DoFn's phases (lib/model/splittable.ts), as a runner that expands
 * an SDF ParDo into Beam's SplittableParDoComponents asks an SDK to run them:
 *
 * - pair with restriction: element → KV(element, initial restriction), once per window of the
 *   element (as Beam's SDKs pair: each part is then processed in one window, where its side
 *   inputs are read);
 * - split and size: KV(element, restriction) → KV(KV(element, part), size) per part;
 * - truncate (drain): KV(KV(element, restriction), size) → the same with the finite part, or nothing;
 * - process: KV(KV(element, restriction), size) → the DoFn's outputs. When processing returns
 *   "resume", the tracker is checkpointed and the rest of the restriction goes to the host as a
 *   residual (same element, windows and timestamp as the input), with the watermark the DoFn
 *   reported and the delay it asked for; finalization callbacks go to the host too. Process reads
 *   the side inputs in the element's window and may output to tagged outputs.
 */
import type { RuntimeContext } from "../../lib/model/dofn";
import { TransformError } from "../../lib/model/errors";
import { inStep, type MetricsContainer, UserMethodCaller } from "../../lib/model/metrics";
import { sideInputsObject } from "../../lib/model/side_inputs";
import type { RestrictionTracker, SplittableFn, SplittableFnContext } from "../../lib/model/splittable";
import { type ElementMeta, GLOBAL_WINDOWS, type Instant, type KV, kv, MIN_TIMESTAMP, type WindowedValue } from "../../lib/model/window";
import type { SideInputReader } from "./side_input_reader";
import { BasicOperator, wrapUserError } from "./operator";
import type { MaybePromise, Receiver } from "./receiver";

/** The phases of an SDF a runner asks for. */
export type SplittablePhase = "pair" | "split_and_size" | "truncate" | "process";

/** A self-checkpoint of the process phase: what the runner schedules again. */
export interface SplittableResidual {
  /** The input element with the rest of the restriction (KV(KV(element, restriction), size)), windowed as the input. */
  readonly element: WindowedValue<unknown>;
  /** Lower bound on the timestamps of what processing it will output (the DoFn's watermark estimate). */
  readonly outputWatermark: Instant;
  readonly delayMs: number;
}

/** Where the process phase hands residuals and finalization callbacks (the bundle's driver). */
export interface SplittableHost {
  residual(r: SplittableResidual): void;
  afterBundleCommit(callback: () => Promise<void>): void;
  /** Receives the process operator, for splits the runner asks for inside the element being processed. */
  attach?(process: SplittableProcess): void;
}

/** A split of the element being processed: the part this bundle keeps and the part the runner gets. */
export interface ElementSplit {
  /** The input element with the primary restriction (KV(KV(element, restriction), size)), windowed as the input. */
  readonly primary: WindowedValue<unknown>;
  readonly residual: SplittableResidual;
}

/** The process phase as the bundle's driver sees it while an element is being processed. */
export interface SplittableProcess {
  /** The fraction of the current element's restriction done (its tracker's progress), or undefined. */
  currentProgress(): number | undefined;
  /** Splits the current element's restriction, keeping `fractionOfRemainder` of what is left. */
  trySplitCurrent(fractionOfRemainder: number): ElementSplit | undefined;
}

type AnySdf = SplittableFn<unknown, unknown, unknown>;

/**
 * The fn's methods run as code of the step: their metric updates land on its container (after
 * awaits too, as a DoFn's do), so a counter in a splittable DoFn's process counts there.
 */
abstract class SplittableOperator extends BasicOperator {
  private readonly callers: Record<"setup" | "teardown" | "startBundle" | "finishBundle" | "process", UserMethodCaller>;
  constructor(
    readonly transformName: string,
    protected readonly fn: AnySdf,
    protected readonly next: Receiver,
    protected readonly runtime: RuntimeContext,
    protected readonly metrics: MetricsContainer,
  ) {
    super();
    this.callers = {
      setup: new UserMethodCaller(metrics),
      teardown: new UserMethodCaller(metrics),
      startBundle: new UserMethodCaller(metrics),
      finishBundle: new UserMethodCaller(metrics),
      process: new UserMethodCaller(metrics),
    };
  }

  /** Calls one of the fn's (possibly async) methods as the step's code. */
  protected call<A, B, R>(method: keyof SplittableOperator["callers"], fn: (a: A, b: B) => R, a: A, b: B): R {
    return this.callers[method].invoke(fn as (this: unknown, a: A, b: B) => R, undefined, a, b);
  }

  /** Runs a synchronous method of the fn (restrictions, sizes) as the step's code. */
  protected sync<R>(fn: () => R): R {
    return inStep(this.metrics, fn);
  }

  override async setup(): Promise<void> {
    try {
      await this.call("setup", (runtime: RuntimeContext) => this.fn.setup?.(runtime), this.runtime, undefined);
    } catch (e) {
      throw wrapUserError(this.transformName, "setup", e);
    }
  }

  override async teardown(): Promise<void> {
    try {
      await this.call("teardown", () => this.fn.teardown?.(), undefined, undefined);
    } catch (e) {
      throw wrapUserError(this.transformName, "teardown", e);
    }
  }

  protected sized(element: unknown, restriction: unknown): KV<KV<unknown, unknown>, number> {
    return kv(kv(element, restriction), this.sync(() => this.fn.restrictionSize?.(element, restriction)) ?? 1);
  }
}

class PairWithRestriction extends SplittableOperator {
  async receive(value: unknown, meta: ElementMeta): Promise<void> {
    // One pair per window, each with an initial restriction of its own (Beam's SDKs explode windows here).
    for (const window of meta.windows) {
      let out: KV<unknown, unknown>;
      try {
        out = kv(value, this.sync(() => this.fn.initialRestriction(value, this.runtime)));
      } catch (e) {
        throw wrapUserError(this.transformName, "process", e, value);
      }
      await this.next.receive(out, meta.windows.length === 1 ? meta : { ...meta, windows: [window] });
    }
  }
}

class SplitAndSize extends SplittableOperator {
  async receive(value: unknown, meta: ElementMeta): Promise<void> {
    const { key: element, value: restriction } = value as KV<unknown, unknown>;
    let parts: KV<KV<unknown, unknown>, number>[];
    try {
      parts = (this.sync(() => this.fn.splitRestriction?.(element, restriction)) ?? [restriction]).map((r) => this.sized(element, r));
    } catch (e) {
      throw wrapUserError(this.transformName, "process", e, element);
    }
    for (const part of parts) await this.next.receive(part, meta);
  }
}

class Truncate extends SplittableOperator {
  receive(value: unknown, meta: ElementMeta): MaybePromise {
    const { key: element, value: restriction } = (value as KV<KV<unknown, unknown>, number>).key;
    let truncated: unknown;
    try {
      truncated = this.sync(() => this.fn.truncateRestriction?.(element, restriction));
    } catch (e) {
      throw wrapUserError(this.transformName, "process", e, element);
    }
    return truncated === undefined ? undefined : this.next.receive(this.sized(element, truncated), meta);
  }
}

class ProcessSized extends SplittableOperator implements SplittableProcess {
  /** The element being processed, while its process call runs. */
  private current: { readonly element: unknown; readonly meta: ElementMeta; readonly tracker: RestrictionTracker<unknown>; readonly watermark: () => Instant } | undefined;

  constructor(
    transformName: string,
    fn: AnySdf,
    next: Receiver,
    runtime: RuntimeContext,
    metrics: MetricsContainer,
    private readonly host: SplittableHost,
    private readonly extras: ProcessExtras,
  ) {
    super(transformName, fn, next, runtime, metrics);
    host.attach?.(this);
  }

  /** The receiver of a tagged output; a clear error if the ParDo did not request the tag. */
  private target(tag: string): Receiver {
    const target = this.extras.outputs.get(tag);
    if (target === undefined) {
      const declared = [...this.extras.outputs.keys()].filter((t) => t !== "main");
      throw new TransformError(
        this.transformName,
        `Transform '${this.transformName}' output to tag '${tag}', which it did not request (requested: ${declared.length > 0 ? declared.map((t) => `'${t}'`).join(", ") : "none"}); ` +
          `request it with ParDo.splittable(fn).withOutputs("${tag}", ...)`,
      );
    }
    return target;
  }

  currentProgress(): number | undefined {
    const p = this.current?.tracker.getProgress?.();
    if (p === undefined) return undefined;
    const total = p.workCompleted + p.workRemaining;
    return total > 0 ? p.workCompleted / total : undefined;
  }

  trySplitCurrent(fractionOfRemainder: number): ElementSplit | undefined {
    const c = this.current;
    if (c === undefined) return undefined;
    const split = c.tracker.trySplit(fractionOfRemainder);
    if (split === undefined) return undefined;
    const windowed = (restriction: unknown): WindowedValue<unknown> => ({ value: this.sized(c.element, restriction), timestamp: c.meta.timestamp, windows: c.meta.windows, pane: c.meta.pane });
    return { primary: windowed(split.primary), residual: { element: windowed(split.residual), outputWatermark: c.watermark(), delayMs: 0 } };
  }

  override startBundle(): MaybePromise {
    if (this.fn.startBundle === undefined) return undefined;
    return (async () => {
      try {
        await this.call("startBundle", (runtime: RuntimeContext) => this.fn.startBundle!(runtime), this.runtime, undefined);
      } catch (e) {
        throw wrapUserError(this.transformName, "startBundle", e);
      }
    })();
  }

  override finishBundle(): MaybePromise {
    if (this.fn.finishBundle === undefined) return undefined;
    return (async () => {
      try {
        await this.call("finishBundle", (runtime: RuntimeContext) => this.fn.finishBundle!(runtime), this.runtime, undefined);
      } catch (e) {
        throw wrapUserError(this.transformName, "finishBundle", e);
      }
    })();
  }

  async receive(value: unknown, meta: ElementMeta): Promise<void> {
    const { key: element, value: restriction } = (value as KV<KV<unknown, unknown>, number>).key;
    const tracker = this.sync(() => this.fn.newTracker(restriction));
    let watermark: Instant = MIN_TIMESTAMP;
    const finalizers: (() => Promise<void>)[] = [];
    // The pair phase gave each part one window: side inputs are read in it.
    const window = meta.windows[0] ?? GLOBAL_WINDOWS[0]!;
    const reader = this.extras.sideInputs;
    const ctx: SplittableFnContext<unknown> = {
      timestamp: meta.timestamp,
      window,
      sideInputs: (reader === undefined ? {} : sideInputsObject(this.transformName, reader.views, (view) => reader.get(view, window))) as Readonly<Record<string, unknown>>,
      output: (v: unknown, timestamp: Instant): MaybePromise => this.next.receive(v, { timestamp, windows: meta.windows, pane: meta.pane }),
      outputTo: (tag: string, v: unknown, timestamp: Instant): MaybePromise => this.target(tag).receive(v, { timestamp, windows: meta.windows, pane: meta.pane }),
      updateWatermark: (w: Instant): void => {
        if (w > watermark) watermark = w;
      },
      afterBundleCommit: (cb: () => Promise<void>): void => void finalizers.push(cb),
      runtime: this.runtime,
    };
    let continuation;
    this.current = { element, meta, tracker, watermark: () => watermark };
    try {
      continuation = await this.call("process", (e: unknown, t: RestrictionTracker<unknown>) => this.fn.process(e, t, ctx), element, tracker);
    } catch (e) {
      throw wrapUserError(this.transformName, "process", e, element);
    } finally {
      this.current = undefined;
    }
    for (const cb of finalizers) this.host.afterBundleCommit(cb);
    if (!continuation.shouldResume) return;
    const split = tracker.trySplit(0);
    if (split === undefined) return; // nothing left to resume
    this.host.residual({
      element: { value: this.sized(element, split.residual), timestamp: meta.timestamp, windows: meta.windows, pane: meta.pane },
      outputWatermark: watermark,
      delayMs: continuation.resumeDelayMs,
    });
  }
}

/** What the process phase has besides its main output: its outputs by tag, and its side inputs. */
export interface ProcessExtras {
  readonly outputs: ReadonlyMap<string, Receiver>;
  readonly sideInputs: SideInputReader | undefined;
}

/** The operator of one phase of an SDF; the process phase needs the host to take residuals. */
export function splittableOperator(name: string, phase: SplittablePhase, fn: AnySdf, next: Receiver, runtime: RuntimeContext, metrics: MetricsContainer, host: SplittableHost | undefined, extras?: ProcessExtras): BasicOperator {
  switch (phase) {
    case "pair":
      return new PairWithRestriction(name, fn, next, runtime, metrics);
    case "split_and_size":
      return new SplitAndSize(name, fn, next, runtime, metrics);
    case "truncate":
      return new Truncate(name, fn, next, runtime, metrics);
    case "process":
      if (host === undefined) throw new Error(`${name}: this runner cannot take the residuals of a splittable DoFn (no SplittableHost)`);
      return new ProcessSized(name, fn, next, runtime, metrics, host, extras ?? { outputs: new Map([["main", next]]), sideInputs: undefined });
  }
}
