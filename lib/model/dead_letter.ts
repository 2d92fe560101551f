/**
 * Dead-letter outputs: where a transform puts the elements it rejects (rows BigQuery refused,
 * lines a reader cannot parse, inputs a model failed on), each with its reason.
 *
 * The rule, for every sink and source with such an output: nothing is dropped silently.
 * - Every rejected element is counted on the step that rejected it, as the system counter
 *   `beamline/rejected` (in `result.metrics` and in the summary `main()` prints).
 * - If nothing in the pipeline reads the dead-letter output, the first rejected element fails
 *   the run with an error naming the step and the element's reason; the transform's
 *   `ignoreRejected: true` option drops them instead (still counted).
 *
 * IO authors declare a ParDo's tagged output as a dead-letter output; the executor shared by all
 * runners does the counting and the check:
 *
 *     const out = input.apply("Parse", ParDo.of(new ParseLines(), {
 *       deadLetters: { failed: { reason: (f) => f.error, ignoreUnread: options.ignoreRejected } },
 *     }).withOutputs("failed"));
 *     return { rows: out.main, failed: out.failed };
 */
import { PipelineConstructionError, PipelineError, previewValue } from "./errors";
import { systemCounterKey } from "./metrics";
import type { PCollection } from "./pcollection";
import type { WindowFn } from "./windowing";

/** How a transform declares one of its outputs a dead-letter output. */
export interface DeadLetterSpec<T> {
  /** Why `element` was rejected, in one line (it is shown when the run fails for it). */
  reason(element: T): string;
  /** Drop rejected elements when nothing reads the output (still counted) instead of failing the run. */
  readonly ignoreUnread?: boolean;
}

/** The option a transform with a dead-letter output gives its users. */
export interface DeadLetterOptions {
  /**
   * When nothing reads the transform's dead-letter output, drop rejected elements (they are still
   * counted as `beamline/rejected` on the step) instead of failing the run on the first one.
   */
  readonly ignoreRejected?: boolean;
}

/** Name of the system counter (namespace `beamline`) of rejected elements, on the rejecting step. */
export const REJECTED_COUNTER = "rejected";

/** @internal The metric cell key of the rejected-elements counter. */
export const REJECTED_COUNTER_KEY = systemCounterKey(REJECTED_COUNTER);

/** A transform rejected an element to a dead-letter output that nothing reads. */
export class RejectedElementError extends PipelineError {
  constructor(
    /** Full name of the rejecting transform. */
    readonly transformPath: string,
    /** The dead-letter output the element went to. */
    readonly tag: string,
    /** Why the element was rejected. */
    readonly reason: string,
    elementPreview: string,
  ) {
    super(
      `Transform '${transformPath}' rejected an element (${elementPreview}): ${reason.replace(/\.$/, "")}. ` +
        `It went to the dead-letter output '${tag}', which nothing in the pipeline reads, so the run fails rather than drop it. ` +
        `Read that output to handle rejected elements (e.g. write them somewhere), or pass { ignoreRejected: true } to the transform ` +
        `to drop them (they are still counted as beamline/${REJECTED_COUNTER}).`,
    );
  }
}

/** A declared dead-letter output of one ParDo application. */
export interface DeadLetterOutput {
  readonly tag: string;
  readonly spec: DeadLetterSpec<unknown>;
  /** Whether any step reads the output (as its input or as a side input). */
  readonly consumed: boolean;
}

class Declaration implements DeadLetterOutput {
  private consumedCache: boolean | undefined;
  constructor(
    readonly tag: string,
    readonly spec: DeadLetterSpec<unknown>,
    private readonly pcoll: PCollection<unknown>,
  ) {}

  /** Computed from the finished graph the first time a runner asks. */
  get consumed(): boolean {
    this.consumedCache ??= this.pcoll.pipeline
      .primitives()
      .some(
        (n) =>
          (n.inputs.includes(this.pcoll) && !(n.transform !== undefined && notReaders.has(n.transform))) ||
          (n.primitive?.kind === "pardo" && n.primitive.sideInputs.some((s) => s.pcoll === this.pcoll)),
      );
    return this.consumedCache;
  }
}

/**
 * Transforms that read a dead-letter output without handling its elements (the count of a ParDo's
 * failure threshold): they do not make it "read", so an unread one still fails the run.
 */
const notReaders = new WeakSet<object>();

/** @internal Marks `transform` as one that only counts a dead-letter output, not one that reads it. */
export function countsWithoutReading<T extends object>(transform: T): T {
  notReaders.add(transform);
  return transform;
}

/** Declarations by DoFn instance, then by the full name of the application (a DoFn may be applied twice). */
const declarations = new WeakMap<object, Map<string, readonly DeadLetterOutput[]>>();

/** @internal ParDo: records the dead-letter outputs of an application. */
export function declareDeadLetters(doFn: object, transformName: string, outputs: readonly { tag: string; spec: DeadLetterSpec<unknown>; pcoll: PCollection<unknown> }[]): void {
  if (outputs.length === 0) return;
  let byName = declarations.get(doFn);
  if (byName === undefined) declarations.set(doFn, (byName = new Map()));
  byName.set(transformName, outputs.map((o) => new Declaration(o.tag, o.spec, o.pcoll)));
}

/** @internal Runners: the dead-letter outputs of the application `transformName` of `doFn`. */
export function deadLetterOutputs(doFn: object, transformName: string): readonly DeadLetterOutput[] {
  const wrapped = (doFn as { wrapped?: unknown }).wrapped;
  const own = declarations.get(doFn)?.get(transformName);
  if (own !== undefined) return own;
  return typeof wrapped === "object" && wrapped !== null ? (declarations.get(wrapped)?.get(transformName) ?? []) : [];
}

/**
 * An element whose processing threw, on the dead-letter output of a ParDo with exception
 * handling (`ParDo.of(fn).withExceptionHandling()`, Beam Python's `with_exception_handling()`).
 */
export interface FailedElement<T> {
  /** The input element, as it came. */
  readonly element: T;
  /** What was thrown: `Error: message` (the error's class and message). */
  readonly reason: string;
  /**
   * The error's message alone (Java's `exception().getMessage()`), e.g. `/ by zero`; for a thrown
   * value that is not an Error, a preview of it.
   */
  readonly message: string;
  /**
   * The error's class name (Java's ExceptionAsMapHandler `className`), e.g. `RangeError`: its
   * constructor's name, else its `name`. Absent when what was thrown is not an Error.
   */
  readonly errorName?: string;
  /** The full name of the ParDo that failed on it. */
  readonly step: string;
  /** The stack trace of the error, when there is one. */
  readonly stack?: string;
}

/** The tag of the dead-letter output of a ParDo with exception handling. */
export const FAILED_TAG = "failed";

/** An error class: what `instanceof` tests against (`TypeError`, or a class of your own extending `Error`). */
export type ErrorClass = abstract new (...args: never[]) => Error;

/** Options of `ParDo.of(fn).withExceptionHandling(options)` (Beam Python's `with_exception_handling`), for input elements `In`. */
export interface ExceptionHandlingOptions<In = unknown> extends DeadLetterOptions {
  /**
   * Only errors of this class, or of one of these classes (subclasses included), are dead letters;
   * any other error fails the run as it would without exception handling (Beam Python's
   * `exc_class`). Default: anything `process` throws.
   */
  readonly errorClass?: ErrorClass | readonly ErrorClass[];
  /**
   * The largest fraction of elements that may fail (per window) before the run fails (Beam
   * Python's `threshold`): with 0.1, a window in which more than 10% of the input failed fails
   * the run with the counts. Default 1 (no check). Counting adds steps to the graph: the ParDo is
   * then applied as `<label>/ParDo`, beside `<label>/CountAll`, `<label>/CountFailed` and
   * `<label>/CheckThreshold`.
   */
  readonly threshold?: number;
  /**
   * The windows the threshold is checked in (Beam Python's `threshold_windowing`), e.g.
   * `new FixedWindows(60_000)`: the input and failed elements are counted per window of this
   * function. Default: the input's windowing. A window is checked when it closes, so over an
   * unbounded input in the global window the check waits for the end of the stream: give one here.
   */
  readonly thresholdWindowing?: WindowFn;
  /**
   * Called with the error and the element each time an element goes to `failed` (Beam Python's
   * `on_failure_callback`), e.g. to alert; an async callback is awaited before the next element.
   * If it throws, the run goes on (the element is still on `failed`) and a warning naming the step
   * is written to stderr, as Beam logs one.
   */
  readonly onFailure?: (error: unknown, element: In) => void | Promise<void>;
  /**
   * Keep what a failing element output before it threw (Beam Python's `partial=True`). Default
   * false: a failing element's outputs are all dropped, so each element's outputs are all or
   * nothing. Its state writes and timers are undone either way.
   */
  readonly partial?: boolean;
  /**
   * The longest an element's `process` may take, in milliseconds (Beam Python's `timeout`, in
   * seconds there): an element not done by then goes to `failed` with an `ElementTimeoutError`
   * (with `errorClass`, include ElementTimeoutError, or a timeout fails the run). An async
   * `process` is abandoned at the deadline, as Beam abandons the thread: the next element starts,
   * and the abandoned call's later outputs are dropped, but it runs on (cancel its work with
   * `AbortSignal.timeout(ms)` where you can). A synchronous `process` cannot be interrupted in
   * JavaScript: one that overruns finishes, and then goes to `failed` with its outputs dropped. Not
   * for stateful DoFns (an abandoned call would write state while the next element runs).
   */
  readonly timeoutMillis?: number;
}

/** What `failed` holds for an element whose `process` overran `withExceptionHandling({ timeoutMillis })`. */
export class ElementTimeoutError extends Error {
  constructor(
    /** The timeout that was exceeded. */
    readonly timeoutMillis: number,
  ) {
    super(`process did not finish within its timeout of ${timeoutMillis} ms (withExceptionHandling({ timeoutMillis }))`);
    this.name = "ElementTimeoutError";
  }
}

/** What a ParDo application with exception handling routes to its dead-letter output. */
export interface ExceptionHandling {
  /** The dead-letter output. */
  readonly tag: string;
  /** The error classes that are dead letters (undefined: every error). */
  readonly errorClasses: readonly ErrorClass[] | undefined;
  /** Called for each dead letter with the error and the element. */
  readonly onFailure?: (error: unknown, element: unknown) => void | Promise<void>;
  /** Whether a failing element's outputs before the error are kept. */
  readonly partial?: boolean;
  /** The longest `process` may take on one element, in milliseconds. */
  readonly timeoutMillis?: number;
}

/** ParDo applications whose `process` errors go to a dead-letter output, by DoFn instance and full name. */
const exceptionHandling = new WeakMap<object, Map<string, ExceptionHandling>>();

/** @internal ParDo: routes the errors of `process` in this application to the output `tag`. */
export function declareExceptionHandling(doFn: object, transformName: string, handling: ExceptionHandling): void {
  let byName = exceptionHandling.get(doFn);
  if (byName === undefined) exceptionHandling.set(doFn, (byName = new Map()));
  byName.set(transformName, handling);
}

/** @internal Runners: where the elements whose `process` threw go, and which errors, if the application asked. */
export function exceptionHandlingOf(doFn: object, transformName: string): ExceptionHandling | undefined {
  const own = exceptionHandling.get(doFn)?.get(transformName);
  if (own !== undefined) return own;
  const wrapped = (doFn as { wrapped?: unknown }).wrapped;
  return typeof wrapped === "object" && wrapped !== null ? exceptionHandling.get(wrapped)?.get(transformName) : undefined;
}

/** @internal Whether `error` is a dead letter under `handling` (an instance of one of its classes, if it names any). */
export function isHandledError(handling: ExceptionHandling, error: unknown): boolean {
  return handling.errorClasses === undefined || handling.errorClasses.some((c) => error instanceof c);
}

/**
 * @internal The error classes of `withExceptionHandling({ errorClass })`, checked when the
 * pipeline is built (a string or a value that is no class would make every error fail the run).
 */
export function errorClassesOf(errorClass: ExceptionHandlingOptions["errorClass"], transformName: string): readonly ErrorClass[] | undefined {
  if (errorClass === undefined) return undefined;
  const classes: readonly unknown[] = Array.isArray(errorClass) ? errorClass : [errorClass];
  for (const c of classes) {
    if (typeof c !== "function") {
      throw new PipelineConstructionError(
        `withExceptionHandling({ errorClass }): errorClass must be an error class (e.g. TypeError, or a class extending Error) ` +
          `or a list of them, but got ${previewValue(c, 80)}; pass the class itself, not its name`,
        transformName,
      );
    }
  }
  return classes as readonly ErrorClass[];
}

/** @internal A FailedElement for what `process` threw on `element`. */
export function failedElement(element: unknown, error: unknown, step: string): FailedElement<unknown> {
  const e = error instanceof Error ? error : undefined;
  if (e === undefined) {
    const shown = previewValue(error, 200);
    return { element, reason: `thrown: ${shown}`, message: shown, step };
  }
  const ctor = (e as { constructor?: { name?: unknown } }).constructor?.name;
  const errorName = typeof ctor === "string" && ctor !== "" ? ctor : e.name;
  const failed = { element, reason: `${e.name}: ${e.message}`, message: e.message, errorName, step };
  return e.stack !== undefined ? { ...failed, stack: e.stack } : failed;
}

/** @internal The reason of a rejected element, never throwing (a broken reason function must not hide the rejection). */
export function rejectionReason(spec: DeadLetterSpec<unknown>, element: unknown): string {
  try {
    return spec.reason(element);
  } catch (e) {
    return `(its reason could not be read: ${e instanceof Error ? e.message : String(e)})`;
  }
}

/** @internal A one-line preview of a rejected element for the error. */
export function previewRejected(element: unknown): string {
  return previewValue(element, 200);
}
