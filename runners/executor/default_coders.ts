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

/** The key coder of a KV PCollection: its KV coder's key component if set, else the default. */
export function keyCoderOf(pc: PCollection<unknown>): Coder<unknown> {
  const c = pc.coder;
  if (c !== undefined && c.urn === "beam:coder:kv:v1" && c.components.length === 2) return c.components[0]!;
  return deterministicKeyCoder();
}

/** The value coder of a KV PCollection: its KV coder's value component if set, else the default. */
export function valueCoderOf(pc: PCollection<unknown>): Coder<unknown> {
  const c = pc.coder;
  if (c !== undefined && c.urn === "beam:coder:kv:v1" && c.components.length === 2) return c.components[1]!;
  return coderOf(pc);
}
