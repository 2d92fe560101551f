/**
 * Reshuffle's expansion as Beam's SDKs send it (Beam Python's `ReshufflePerKey`), for runners
 * that do not implement `beam:transform:reshuffle:v1` themselves and run the subtransforms
 * (Beam Python's portable runner does; Prism and Flink replace the composite):
 *
 *     AddRandomKey → ReifyMetadata → GroupByKey → RestoreMetadata → DropKey
 *
 * ReifyMetadata puts each element's timestamp, window and pane into its value (a
 * `windowed_value` coder) and the grouping runs in the global window with a trigger that fires
 * for every element (`Repeatedly(AfterCount(1))`), discarding, earliest timestamp, so the
 * runner passes elements on at once whatever the input's trigger; RestoreMetadata gives every
 * value its timestamp, window and pane back (as `KV(key, [value])`, the shape DropKey reads).
 * Without this, a runner grouping under the input's windowing would stamp every element with
 * its window's end and hold it until the input's trigger fires.
 */
import { AfterCount, Repeatedly } from "../../lib/model/triggers";
import { GlobalWindows, type WindowingStrategy } from "../../lib/model/windowing";
import type { LiftContext } from "./lift_combiners";
import { rapi, runnerApi } from "./protos";
import { URNS } from "./urns";

/** The windowing of the reified elements while the runner groups them. */
export const RESHUFFLE_WINDOWING: WindowingStrategy = {
  windowFn: new GlobalWindows(),
  trigger: Repeatedly(AfterCount(1)),
  accumulationMode: "DISCARDING",
  timestampCombiner: "EARLIEST",
  allowedLatenessMillis: 0,
};

export interface ReshuffleContext extends LiftContext {
  /** The id of a windowing strategy (added to the components if new). */
  windowingId(w: WindowingStrategy): string;
}

/**
 * Rewires the translated GroupByKey `gbkId` of the Reshuffle composite `composite` between
 * ReifyMetadata and RestoreMetadata steps; returns the composite's new subtransform list.
 */
export function expandReshuffle(ctx: ReshuffleContext, composite: rapi.PTransform, gbkId: string): string[] {
  const c = ctx.components;
  const gbk = c.transforms[gbkId]!;
  const keyed = Object.values(gbk.inputs)[0]!;
  const grouped = Object.values(gbk.outputs)[0]!;
  const keyedPc = c.pcollections[keyed]!;
  const [keyCoder, valueCoder] = ctx.coders.coders[keyedPc.coderId]!.componentCoderIds as [string, string];
  const windowCoder = c.windowingStrategies[keyedPc.windowingStrategyId]!.windowCoderId;
  const reifiedValue = ctx.coders.addSpec("beam:coder:windowed_value:v1", [valueCoder, windowCoder]);
  const windowing = ctx.windowingId(RESHUFFLE_WINDOWING);
  const name = composite.uniqueName;
  const pcoll = (suffix: string, coderId: string): string => {
    const id = ctx.pcollectionId(`${name}/${suffix}`);
    c.pcollections[id] = { uniqueName: `${name}/${suffix}`, coderId, isBounded: keyedPc.isBounded, windowingStrategyId: windowing, displayData: [] };
    return id;
  };
  const reified = pcoll("ReifyMetadata.out", ctx.coders.addSpec("beam:coder:kv:v1", [keyCoder, reifiedValue]));
  const regrouped = pcoll("GroupByKey.out", ctx.coders.addSpec("beam:coder:kv:v1", [keyCoder, ctx.coders.addSpec("beam:coder:iterable:v1", [reifiedValue])]));
  const step = (suffix: string, urn: string, from: string, to: string): string => {
    const id = ctx.transformId(`${name}/${suffix}`);
    c.transforms[id] = runnerApi.PTransform.create({
      uniqueName: `${name}/${suffix}`,
      spec: { urn, payload: new Uint8Array(0) },
      inputs: { main: from },
      outputs: { main: to },
      environmentId: composite.environmentId,
    });
    return id;
  };
  const reify = step("ReifyMetadata", URNS.reifyMetadata, keyed, reified);
  gbk.inputs = { main: reified };
  gbk.outputs = { main: regrouped };
  const restore = step("RestoreMetadata", URNS.restoreMetadata, regrouped, grouped);
  return composite.subtransforms.flatMap((id) => (id === gbkId ? [reify, gbkId, restore] : [id]));
}
