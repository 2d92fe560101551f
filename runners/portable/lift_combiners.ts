/**
 * Combiner lifting before submission (Beam Python's `translations.lift_combiners`, which its
 * PortableRunner applies to every batch pipeline): a `combine_per_key` composite is sent as
 *
 *     Precombine (SDK) → GroupByKey (runner) → MergeAccumulators (SDK) → ExtractOutputs (SDK)
 *
 * so runners that do not lift combiners themselves (Flink, Spark) shuffle one accumulator per
 * key and bundle instead of every element. Runners that lift (Prism, Dataflow) replace the
 * subtransforms with the same steps. The three SDK steps carry the composite's CombinePayload;
 * the worker finds the CombineFn by the composite's name (BEAM_PORTABILITY.md §1.5).
 */
import { rapi, runnerApi } from "./protos";
import type { CoderTable } from "./coder_table";
import { URNS } from "./urns";

/**
 * Whether values may be combined before the grouping under this trigger: not when it counts
 * elements (other than one at a time), which lifting would hide from it. Beam Python's
 * `is_compatible_with_combiner_lifting`.
 */
export function liftableTrigger(t: rapi.Trigger | undefined): boolean {
  const k = t?.trigger;
  if (k === undefined || k.oneofKind === undefined) return true;
  switch (k.oneofKind) {
    case "default":
    case "always":
    case "never":
    case "afterProcessingTime":
    case "afterSynchronizedProcessingTime":
      return true;
    case "elementCount":
      return k.elementCount.elementCount === 1;
    case "afterEndOfWindow":
      return liftableTrigger(k.afterEndOfWindow.earlyFirings) && liftableTrigger(k.afterEndOfWindow.lateFirings);
    case "afterAny":
      return k.afterAny.subtriggers.every(liftableTrigger);
    case "repeat":
      return liftableTrigger(k.repeat.subtrigger);
    default:
      return false;
  }
}

/** What lifting one composite needs from the translation. */
export interface LiftContext {
  readonly components: rapi.Components;
  readonly coders: CoderTable;
  /** A fresh transform id / PCollection id for a name. */
  transformId(name: string): string;
  pcollectionId(name: string): string;
}

/**
 * Replaces the subtransforms of the translated combine_per_key composite `composite` (its input
 * and output PCollections already in `ctx.components`) by the lifted steps; returns their ids.
 */
export function liftCombine(ctx: LiftContext, composite: rapi.PTransform): string[] {
  const c = ctx.components;
  const payload = runnerApi.CombinePayload.fromBinary(composite.spec!.payload);
  const input = Object.values(composite.inputs)[0]!;
  const output = Object.values(composite.outputs)[0]!;
  const inPc = c.pcollections[input]!;
  const outPc = c.pcollections[output]!;
  const keyCoder = ctx.coders.coders[inPc.coderId]!.componentCoderIds[0]!;
  const acc = payload.accumulatorCoderId;
  const kvAcc = ctx.coders.addSpec("beam:coder:kv:v1", [keyCoder, acc]);
  const kvIterAcc = ctx.coders.addSpec("beam:coder:kv:v1", [keyCoder, ctx.coders.addSpec("beam:coder:iterable:v1", [acc])]);
  const name = composite.uniqueName;
  const pcoll = (suffix: string, coderId: string, like: rapi.PCollection): string => {
    const id = ctx.pcollectionId(`${name}/${suffix}`);
    c.pcollections[id] = { uniqueName: `${name}/${suffix}`, coderId, isBounded: like.isBounded, windowingStrategyId: like.windowingStrategyId, displayData: [] };
    return id;
  };
  // As Beam Python: the precombined values keep the input's windowing, the grouped ones the output's.
  const precombined = pcoll("Precombine.out", kvAcc, inPc);
  const grouped = pcoll("Group.out", kvIterAcc, outPc);
  const merged = pcoll("Merge.out", kvAcc, outPc);
  const step = (suffix: string, urn: string, from: string, to: string): string => {
    const id = ctx.transformId(`${name}/${suffix}`);
    const sdk = urn !== URNS.gbk;
    c.transforms[id] = runnerApi.PTransform.create({
      uniqueName: `${name}/${suffix}`,
      spec: { urn, payload: sdk ? composite.spec!.payload : new Uint8Array(0) },
      inputs: { main: from },
      outputs: { main: to },
      environmentId: sdk ? composite.environmentId : "",
    });
    return id;
  };
  return [
    step("Precombine", URNS.precombine, input, precombined),
    step("Group", URNS.gbk, precombined, grouped),
    step("Merge", URNS.mergeAccumulators, grouped, merged),
    step("ExtractOutputs", URNS.extractOutputs, merged, output),
  ];
}
