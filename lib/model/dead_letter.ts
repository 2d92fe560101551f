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
import { PipelineError, previewValue } from "./errors";
import { systemCounterKey } from "./metrics";
import type { PCollection } from "./pcollection";

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
      .some((n) => n.inputs.includes(this.pcoll) || (n.primitive?.kind === "pardo" && n.primitive.sideInputs.some((s) => s.pcoll === this.pcoll)));
    return this.consumedCache;
  }
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
  /** The full name of the ParDo that failed on it. */
  readonly step: string;
  /** The stack trace of the error, when there is one. */
  readonly stack?: string;
}

/** The tag of the dead-letter output of a ParDo with exception handling. */
export const FAILED_TAG = "failed";

/** ParDo applications whose `process` errors go to a dead-letter output, by DoFn instance and full name. */
const exceptionHandling = new WeakMap<object, Map<string, string>>();

/** @internal ParDo: routes the errors of `process` in this application to the output `tag`. */
export function declareExceptionHandling(doFn: object, transformName: string, tag: string): void {
  let byName = exceptionHandling.get(doFn);
  if (byName === undefined) exceptionHandling.set(doFn, (byName = new Map()));
  byName.set(transformName, tag);
}

/** @internal Runners: the output that takes the elements whose `process` threw, if the application asked for one. */
export function exceptionOutputOf(doFn: object, transformName: string): string | undefined {
  const own = exceptionHandling.get(doFn)?.get(transformName);
  if (own !== undefined) return own;
  const wrapped = (doFn as { wrapped?: unknown }).wrapped;
  return typeof wrapped === "object" && wrapped !== null ? exceptionHandling.get(wrapped)?.get(transformName) : undefined;
}

/** @internal A FailedElement for what `process` threw on `element`. */
export function failedElement(element: unknown, error: unknown, step: string): FailedElement<unknown> {
  const e = error instanceof Error ? error : undefined;
  const reason = e !== undefined ? `${e.name}: ${e.message}` : `thrown: ${previewValue(error, 200)}`;
  return e?.stack !== undefined ? { element, reason, step, stack: e.stack } : { element, reason, step };
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
