/**
 * One error hierarchy for the SDK and its runners. Every error names what happened, where
 * (the transform's full name when there is one) and how to fix it; the original error is kept
 * as `cause`.
 */

/** Base class: sets `name` from the subclass and keeps the cause. */
export class PipelineError extends Error {
  /** Full name of the transform the error happened in, when it happened in one. */
  declare readonly transformPath?: string;

  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = new.target.name;
  }
}

/** The pipeline graph cannot be built as written (duplicate names, bad arguments, ...). */
export class PipelineConstructionError extends PipelineError {
  constructor(
    message: string,
    readonly transformPath?: string,
  ) {
    super(transformPath ? `${message} (at transform '${transformPath}')` : message);
  }
}

/**
 * Building the pipeline a second time (as every remote worker does) gave a different graph.
 * Construction must be a pure function of the pipeline options.
 */
export class PipelineReconstructionError extends PipelineError {
  constructor(
    readonly transformPath: string,
    /** How the graphs differ at that transform. */
    readonly detail: string,
  ) {
    super(
      `Building the pipeline twice gave different graphs; first difference at '${transformPath}': ${detail}.\n` +
        `HINT: workers rebuild the pipeline by re-running your program, so construction must not depend on ` +
        `Date.now(), Math.random(), environment variables or I/O. Move such values into pipeline options ` +
        `or compute them inside a DoFn (setup/startBundle/process) or a side input.`,
    );
  }
}

/** Where in a DoFn's lifecycle user code failed. */
export type UserCodeStage = "setup" | "startBundle" | "process" | "finishBundle" | "teardown" | "combine" | "timer";

/** User code threw while a runner executed it. */
export class UserCodeError extends PipelineError {
  constructor(
    readonly transformPath: string,
    /** The DoFn method (or combine, timer) that threw. */
    readonly stage: UserCodeStage,
    cause: unknown,
    /** A short preview of the element being processed, when there was one. */
    readonly elementPreview?: string,
  ) {
    const causeText = cause instanceof Error ? `${cause.name}: ${cause.message}` : String(cause);
    super(
      `Error in ${stage} of transform '${transformPath}'` +
        (elementPreview !== undefined ? ` while processing element ${elementPreview}` : "") +
        `: ${causeText}`,
      { cause },
    );
  }
}

/** A strict model check of the DirectRunner failed (coder round trip, key determinism, mutation). */
export class ModelCheckError extends PipelineError {
  constructor(
    readonly transformPath: string,
    /** Which check failed. */
    readonly check: "coder" | "key-determinism" | "mutation",
    message: string,
  ) {
    super(
      `${message} (in transform '${transformPath}').\n` +
        `HINT: this is one of the DirectRunner's strict checks (--strict_checks); it catches code that would ` +
        `misbehave on a distributed runner. Turn the checks off with --no_strict_checks only to debug.`,
    );
  }
}

/**
 * A run failed at a transform because of how the pipeline uses it, found while executing: an
 * undeclared output tag or side input, a side input of the wrong shape (a singleton with two
 * elements), state used outside process/onTimer.
 */
export class TransformError extends PipelineError {
  constructor(
    readonly transformPath: string,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}

/**
 * A bug in Beamline itself: an invariant of the SDK or a runner did not hold. Never the user's
 * doing; the message says so, so nobody hunts for the cause in their pipeline.
 */
export class InternalError extends PipelineError {
  constructor(
    message: string,
    readonly transformPath?: string,
  ) {
    super(
      `Internal error in Beamline${transformPath !== undefined ? ` (at transform '${transformPath}')` : ""}: ${message}. ` +
        `This is a bug in Beamline, not in your pipeline; please report it with the pipeline that triggers it.`,
    );
  }
}

/** Whether an error already names the transform it happened in (so wrappers leave it alone). */
export function namesItsTransform(error: unknown): error is PipelineError & { readonly transformPath: string } {
  return error instanceof PipelineError && typeof error.transformPath === "string";
}

/** Input or output resources are missing or unusable; raised before anything runs when possible. */
export class ValidationError extends PipelineError {}

/** Short, single-line preview of an element for error messages. */
export function previewValue(value: unknown, maxLength = 120): string {
  let text: string;
  try {
    if (typeof value === "string") text = JSON.stringify(value);
    else if (typeof value === "bigint") text = `${value}n`;
    else if (value instanceof Uint8Array) text = `<${value.length} bytes>`;
    else if (value instanceof Map || value instanceof Set) text = `${value.constructor.name}(${value.size})`;
    else text = JSON.stringify(value, (_k, v: unknown) => (typeof v === "bigint" ? `${v}n` : v)) ?? String(value);
  } catch {
    text = String(value);
  }
  return text.length > maxLength ? `${text.slice(0, maxLength - 3)}...` : text;
}
