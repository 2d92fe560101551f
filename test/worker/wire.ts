/** Helpers of the runner-side harness tests: coders from proto components, encoded streams, stages. */
import { strict as assert } from "node:assert";
import type { Coder } from "../../lib/coders/coder";
import { ByteReader, ByteWriter, coderFromSpec, CoderSpec } from "../../lib/coders/index";
import type { rapi } from "../../runners/portable/protos";
import type { Plan, Stage } from "../portable/fuser";

/** The coder `id` of proto components, built by our coder registry. */
export function coder(c: rapi.Components, id: string): Coder<unknown> {
  const spec = (cid: string): CoderSpec => ({ urn: c.coders[cid]!.spec!.urn, components: c.coders[cid]!.componentCoderIds.map(spec), payload: c.coders[cid]!.spec!.payload });
  return coderFromSpec(spec(id));
}

/** Values one after another, nested, as the data and state APIs carry them. */
export function encodeAll(cdr: Coder<unknown>, values: readonly unknown[]): Uint8Array {
  const w = new ByteWriter();
  for (const v of values) cdr.encode(v, w, "nested");
  return w.finish();
}

export function decodeAll(cdr: Coder<unknown>, bytes: Uint8Array | undefined): unknown[] {
  const r = new ByteReader(bytes ?? new Uint8Array(0));
  const out: unknown[] = [];
  while (!r.atEnd()) out.push(cdr.decode(r, "nested"));
  return out;
}

/** The fused stage that runs `uniqueName`. */
export function stageWith(p: Plan, uniqueName: string): Stage {
  const s = p.stages.find((st) => st.transforms.some((t) => p.components.transforms[t]!.uniqueName === uniqueName));
  assert.ok(s, `no stage runs ${uniqueName}`);
  return s;
}

/** The stage running `uniqueName`, and that transform's id. */
export function stageAndTransform(p: Plan, uniqueName: string): [Stage, string] {
  const s = stageWith(p, uniqueName);
  return [s, s.transforms.find((t) => p.components.transforms[t]!.uniqueName === uniqueName)!];
}
