/** The coders the runners fall back on when a PCollection has none set. */
import type { Coder } from "../../lib/coders/coder";
import { DeterministicJsValueCoder, JsValueCoder } from "../../lib/coders/js_value";
import type { PCollection } from "../../lib/model/pcollection";

let jsValue: Coder<unknown> | undefined;
let keys: Coder<unknown> | undefined;

/** The default coder for elements: any plain JS value. */
export function defaultCoder(): Coder<unknown> {
  return (jsValue ??= new JsValueCoder() as Coder<unknown>);
}

/** The default coder for grouping keys: plain JS values, encoded deterministically. */
export function deterministicKeyCoder(): Coder<unknown> {
  return (keys ??= new DeterministicJsValueCoder() as Coder<unknown>);
}

/** The coder of a PCollection's elements. */
export function coderOf(pcoll: PCollection<unknown>): Coder<unknown> {
  return pcoll.coder ?? defaultCoder();
}
