/**
 * DoFn: user code that processes elements one at a time, with a lifecycle.
 *
 * A runner creates DoFn instances per worker and calls, in order:
 *   setup (once per instance) → for each bundle: startBundle → process (per element) →
 *   finishBundle → … → teardown (once, best effort).
 * Keep per-worker resources (clients, models) in `setup`, per-bundle buffers in `startBundle`.
 * Any method may be async (return a promise, declared `async` or not: the runner goes by what
 * it returns); a synchronous `process` pays no promise and no async-context cost per element.
 *
 * Inputs are read-only: never mutate an element you received or output earlier (the
 * DirectRunner checks this). Elements may be processed more than once after a failure and in
 * any order; do not keep global mutable state across elements except as a cache.
 */
import type { OutputCommit } from "./commits";
import type { PipelineOptions } from "./options";
import type { BoundedWindow, Instant, PaneInfo } from "./window";

/** The element types of a DoFn's additional (tagged) outputs, by tag. */
export type OutputTags = Record<string, unknown>;

/**
 * The types of the side inputs a DoFn reads, by name: `{ factor: number; names: ReadonlyMap<number, string> }`.
 * The ParDo passes a view of each (`ParDo.of(fn, { sideInputs: { factor: AsSingleton(pc), ... } })`).
 * A record, never a list (so `length` cannot name a side input).
 */
export type SideInputTypes = object & {
  /** Excluded, so that an array is not a record of side inputs. */
  readonly length?: never;
};

/** What any piece of user code can learn about the run it is part of. */
export interface RuntimeContext {
  /** The options the pipeline was launched with. */
  readonly options: PipelineOptions;
  /** Unique id of this run (the same on every worker). */
  readonly runId: string;
  /** Full name of the transform being executed. */
  readonly transformName: string;
  /** Sinks: records files or resources the run wrote, listed in the pipeline result. */
  reportOutputs(paths: readonly string[]): void;
  /**
   * Present when the runner commits outputs at the end of the run (the DirectRunner on bounded
   * runs): records a sink's commit, run once every step has succeeded. Sinks call
   * `commitOutput` (commits.ts), which uses this or commits at once.
   */
  readonly deferCommit?: (commit: OutputCommit) => void;
}

/** Context of `process`: the element's metadata, outputs and side inputs. */
export interface ProcessContext<Out, Tags extends OutputTags = {}, Sides extends SideInputTypes = {}> {
  /** Emits to the main output, with the input's timestamp and window. */
  output(value: Out): void;
  /** Emits to a tagged output declared with `withOutputs`. */
  outputTo<K extends keyof Tags & string>(tag: K, value: Tags[K]): void;
  /**
   * Emits with another timestamp: not earlier than the input's timestamp minus the DoFn's
   * `allowedTimestampSkewMillis` (default 0), or the step fails, as in Beam.
   */
  outputWithTimestamp(value: Out, timestamp: Instant): void;
  /**
   * Emits to a tagged output with another timestamp (Beam Java's
   * `outputWithTimestamp(tag, value, timestamp)`), under the same bound as `outputWithTimestamp`.
   */
  outputToWithTimestamp<K extends keyof Tags & string>(tag: K, value: Tags[K], timestamp: Instant): void;
  /** Event time of the element. */
  readonly timestamp: Instant;
  /** The window being processed (an element in several windows is processed once per window). */
  readonly window: BoundedWindow;
  /** Which firing produced the element. */
  readonly pane: PaneInfo;
  /**
   * The side inputs declared in `ParDo.of(fn, { sideInputs: { name: view } })`, by name, as seen
   * from this element's window.
   */
  readonly sideInputs: Readonly<Sides>;
  /** The run's options, id and this step's name. */
  readonly runtime: RuntimeContext;
}

/**
 * Where an output from startBundle/finishBundle goes, since there is no input element. A ParDo
 * whose input is windowed (not the global window) must give the window, as Beam requires (Java's
 * FinishBundleContext.output(value, timestamp, window)): its step fails otherwise.
 */
export interface OutputPlacement {
  /** The output's event time (default: the window's last timestamp, or the minimum timestamp without a window). */
  readonly timestamp?: Instant;
  /** The output's window (default, for a ParDo whose input is in the global window only: the global window). */
  readonly window?: BoundedWindow;
}

/** Context of startBundle / finishBundle. */
export interface BundleContext<Out, Tags extends OutputTags = {}> {
  /**
   * Emits to the main output: in `placement.window` (required when the input is windowed), by
   * default in the global window at the minimum timestamp.
   */
  output(value: Out, placement?: OutputPlacement): void;
  /** Emits to a tagged output declared with `withOutputs`; placed like `output`. */
  outputTo<K extends keyof Tags & string>(tag: K, value: Tags[K], placement?: OutputPlacement): void;
  /** The run's options, id and this step's name. */
  readonly runtime: RuntimeContext;
}

/**
 * Processes elements of type In into outputs of type Out (and tagged outputs Tags), reading the
 * side inputs Sides (by name, from `ctx.sideInputs`; the ParDo passes their views).
 */
export abstract class DoFn<In, Out, Tags extends OutputTags = {}, Sides extends SideInputTypes = {}> {
  /**
   * How far before its input's timestamp `outputWithTimestamp` may place an output, in
   * milliseconds (Beam's `getAllowedTimestampSkew`; default 0). An earlier output is an error:
   * it may be behind the watermark its input held, and so silently late. Raise it only for a
   * DoFn that knowingly moves timestamps back (e.g. parsing event times out of records stamped
   * later), accepting that such outputs may be dropped as late downstream.
   */
  declare allowedTimestampSkewMillis?: number;
  /**
   * The DoFn needs stable input (Beam Java's `@RequiresStableInput`): when a runner retries its
   * work, it must see the same elements it saw before, e.g. because it has side effects that must
   * not happen twice with different data. Portable runners are told through the ParDoPayload
   * (`requires_stable_input`) and the pipeline's requirements, and one that cannot honour it
   * refuses the job (Prism and Beam Python's job service do). The DirectRunner does not retry a
   * DoFn's work with other input: a failed bundle fails the run, and a run restarted from a
   * checkpoint replays its sources as they were checkpointed.
   */
  declare requiresStableInput?: boolean;
  /** Once per instance, before any bundle: create clients, load models. */
  setup?(runtime: RuntimeContext): void | Promise<void>;
  /** Before each bundle. */
  startBundle?(ctx: BundleContext<Out, Tags>): void | Promise<void>;
  /** Per element (and window). Return nothing, or a promise for async work. */
  abstract process(element: In, ctx: ProcessContext<Out, Tags, Sides>): void | Promise<void>;
  /** After each bundle: flush buffers. */
  finishBundle?(ctx: BundleContext<Out, Tags>): void | Promise<void>;
  /** Once, when the instance is discarded (best effort). */
  teardown?(): void | Promise<void>;
}

/**
 * A DoFn written as its process function. Return nothing, or a promise for async work (the
 * runner awaits it); any other return value is ignored, so `(x) => seen.push(x)` is fine.
 */
export type ProcessFn<In, Out, Tags extends OutputTags = {}, Sides extends SideInputTypes = {}> = (element: In, ctx: ProcessContext<Out, Tags, Sides>) => unknown;

/** @internal Wraps a process function as a DoFn. */
export class FunctionDoFn<In, Out, Tags extends OutputTags = {}, Sides extends SideInputTypes = {}> extends DoFn<In, Out, Tags, Sides> {
  constructor(readonly fn: ProcessFn<In, Out, Tags, Sides>) {
    super();
  }
  process(element: In, ctx: ProcessContext<Out, Tags, Sides>): void | Promise<void> {
    return this.fn(element, ctx) as void | Promise<void>;
  }
}
