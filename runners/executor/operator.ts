/** The lifecycle every operator of a fused stage follows, and how user errors are wrapped. */
import { namesItsTransform, previewValue, UserCodeError, UserCodeStage } from "../../lib/model/errors";
import type { ElementMeta } from "../../lib/model/window";
import type { MaybePromise, Receiver } from "./receiver";

/** One step of a fused stage. */
export interface Operator extends Receiver {
  /** Full name of the transform this operator executes. */
  readonly transformName: string;
  setup(): MaybePromise;
  startBundle(): MaybePromise;
  finishBundle(): MaybePromise;
  teardown(): MaybePromise;
}

/**
 * Where an operator marks its step as executing while it handles an element, for a monitor's
 * time sampler: the thread's step register and this step's value in it. Operators that take one
 * write the register themselves, which saves the monitor a receiver (a call) per element in front
 * of them; they restore the previous value when they return, as nested steps of a fused chain
 * run inside their producer's call.
 */
export interface StepMark {
  readonly register: Int32Array;
  readonly step: number;
}

/** An operator with nothing to do at bundle and lifecycle boundaries unless it overrides them. */
export abstract class BasicOperator implements Operator {
  abstract readonly transformName: string;
  abstract receive(value: unknown, meta: ElementMeta): MaybePromise;
  setup(): MaybePromise {
    return undefined;
  }
  startBundle(): MaybePromise {
    return undefined;
  }
  finishBundle(): MaybePromise {
    return undefined;
  }
  teardown(): MaybePromise {
    return undefined;
  }
}

/**
 * Wraps an error thrown while running a transform's code, unless it already names its transform
 * (a downstream step's error passing back through this one keeps its own name). Every other
 * error, the SDK's own included, gets this transform's name.
 */
export function wrapUserError(transformName: string, stage: UserCodeStage, error: unknown, element?: unknown): Error {
  if (namesItsTransform(error)) return error;
  return new UserCodeError(transformName, stage, error, arguments.length > 3 ? previewValue(element) : undefined);
}

/** Adds the transform name to a rejected promise's error. */
export function wrapAsync(p: Promise<void>, transformName: string, stage: UserCodeStage, ...element: [unknown?]): Promise<void> {
  return p.catch((e: unknown) => {
    throw wrapUserError(transformName, stage, e, ...element);
  });
}
