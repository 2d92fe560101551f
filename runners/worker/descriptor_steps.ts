/**
 * What the executor runs for each transform of a ProcessBundleDescriptor: the worker's URN table.
 * ParDos and combines are found by name in the rebuilt pipeline (their payload names them); the
 * window primitives a runner asks the SDK to execute are built from their payloads.
 */
import type { Coder } from "../../lib/coders/coder";
import type { Pipeline, TransformNode } from "../../lib/model/pipeline";
import type { WindowFn } from "../../lib/model/windowing";
import type { CombinePhase } from "../executor/combine_phases";
import type { Step, StepSpec } from "../executor/graph_builder";
import { parDoStepSpec } from "../executor/units";
import { rapi, runnerApi } from "../portable/protos";
import { decodeReference } from "../portable/translate";
import { decodeTranscodeReference, type TranscodeReference } from "../portable/flatten_transcode";
import { keyingConsumers } from "../portable/element_coders";
import { previewValue, TransformError } from "../../lib/model/errors";
import { URNS } from "../portable/urns";
import { windowFnFromSpec, windowMappingFnFromSpec } from "./window_ops";
import { SPLITTABLE_PARDO_URN, splittableOfComposite } from "../../lib/model/splittable";
import type { SplittablePhase } from "../executor/splittable_operator";

/** What reading the descriptor's transforms needs. */
export interface DescriptorStepView {
  /** The rebuilt pipeline; fails if its fingerprint is not `fingerprint` (when given). */
  pipeline(fingerprint?: string): Pipeline;
  /** The element coder of a PCollection of the descriptor. */
  elementCoder(pcollId: string): Coder<unknown>;
}

/** The runner-requested combine phases, by URN. */
const COMBINE_PHASES: Readonly<Record<string, CombinePhase>> = {
  [URNS.mergeAccumulators]: "mergeAccumulators",
  [URNS.extractOutputs]: "extractOutputs",
  [URNS.combineGroupedValues]: "combineGroupedValues",
  [URNS.convertToAccumulators]: "convertToAccumulators",
};

function transformNamed(pipeline: Pipeline, name: string): TransformNode {
  const node = pipeline.findTransform(name);
  if (node === undefined) throw new Error(`The rebuilt pipeline has no transform named '${name}'; the worker runs a different program than the one submitted`);
  return node;
}

/** The WindowFn of a window_into: from the rebuilt graph, else from the standard payload. */
function windowFnOf(pipeline: Pipeline, t: rapi.PTransform): WindowFn {
  const spec = pipeline.findTransform(t.uniqueName)?.primitive;
  if (spec?.kind === "window_into") return spec.windowing.windowFn;
  return windowFnFromSpec(runnerApi.WindowIntoPayload.fromBinary(t.spec!.payload).windowFn, `WindowInto '${t.uniqueName}' (not in the rebuilt pipeline)`);
}

/** The SDF phases, by URN (Beam's SplittableParDoComponents). */
const SDF_PHASES: Readonly<Record<string, SplittablePhase>> = {
  [URNS.sdfPairWithRestriction]: "pair",
  [URNS.sdfSplitAndSize]: "split_and_size",
  [URNS.sdfTruncateSized]: "truncate",
  [URNS.sdfProcessSized]: "process",
};

/**
 * A transcoding step before a Flatten input (flatten_transcode.ts): elements pass on unchanged, the
 * descriptor's coders decode them as the input's and encode them as the Flatten's. The translation
 * makes these steps itself, so they are not in the rebuilt pipeline; the payload names the Flatten.
 * Where the Flatten's coder is KV, an element that is not a { key, value } pair fails here, with
 * the Flatten's name, rather than as a coder error in whatever step encodes it next.
 */
function transcodeStep(view: DescriptorStepView, t: rapi.PTransform, ref: TranscodeReference, step: (name: string, spec: StepSpec) => Step): Step {
  const output = Object.values(t.outputs)[0];
  if (output === undefined || view.elementCoder(output).urn !== "beam:coder:kv:v1") return step(t.uniqueName, { kind: "identity" });
  const check = (x: unknown): unknown => {
    if (typeof x === "object" && x !== null && "key" in x) return x;
    throw flattenNotKv(view, ref, x);
  };
  return step(t.uniqueName, { kind: "elementwise", fn: { type: "map", fn: check } });
}

/** The error for a plain element reaching a Flatten whose output runners group or key. */
function flattenNotKv(view: DescriptorStepView, ref: TranscodeReference, element: unknown): TransformError {
  let input = `its input ${ref.input}`;
  let consumers: string[] = [];
  try {
    const pipeline = view.pipeline(ref.fingerprint);
    const node = pipeline.findTransform(ref.flatten);
    if (node !== undefined) {
      input = node.inputs[ref.input]?.id ?? input;
      consumers = keyingConsumers(pipeline.transforms(), node.mainOutput().id);
    }
  } catch {
    // Named as far as known: the element's problem is the message.
  }
  const why = consumers.length > 0 ? `'${consumers[0]}' groups or keys the Flatten's output, so runners take it as { key, value } pairs` : `the Flatten's output is encoded as { key, value } pairs (a KV coder)`;
  return new TransformError(
    ref.flatten,
    `Flatten '${ref.flatten}' received ${previewValue(element)} from ${input}, which is not a { key, value } pair, but ${why}. ` +
      `Turn every input's elements into { key, value } pairs before the Flatten (e.g. pcoll.map(x => kv(keyOf(x), x)) or WithKeys.of(...)), or key the Flatten's output with a Map before grouping it`,
  );
}

/** The step a descriptor transform runs: the DoFn or CombineFn found by name in the rebuilt pipeline, or a primitive from its payload. */
export function descriptorStep(view: DescriptorStepView, id: string, t: rapi.PTransform): Step {
  const urn = t.spec?.urn ?? "";
  const outputs = new Map(Object.entries(t.outputs));
  const step = (name: string, spec: StepSpec, inputs: readonly string[] = Object.values(t.inputs)): Step => ({ id, name, spec, inputs, outputs });
  if (urn === URNS.dataSink) return step(t.uniqueName || id, { kind: "driver" });
  if (urn === URNS.flatten) return step(t.uniqueName, { kind: "identity" });
  if (urn === URNS.reifyMetadata) return step(t.uniqueName || id, { kind: "reify_metadata" });
  if (urn === URNS.restoreMetadata) return step(t.uniqueName || id, { kind: "restore_metadata" });
  if (urn === URNS.windowInto) return step(t.uniqueName, { kind: "window_into", windowFn: windowFnOf(view.pipeline(), t) });
  if (urn === URNS.mapWindows) {
    const fn = windowMappingFnFromSpec(runnerApi.FunctionSpec.fromBinary(t.spec!.payload), `map_windows '${t.uniqueName || id}'`);
    return step(t.uniqueName || id, { kind: "map_windows", sideWindowFn: fn });
  }
  if (urn === URNS.mergeWindows) {
    const fn = windowFnFromSpec(runnerApi.FunctionSpec.fromBinary(t.spec!.payload), `merge_windows '${t.uniqueName || id}'`);
    return step(t.uniqueName || id, { kind: "merge_windows", windowFn: fn });
  }
  if (urn === URNS.precombine || urn in COMBINE_PHASES) {
    const payload = runnerApi.CombinePayload.fromBinary(t.spec!.payload);
    const ref = decodeReference(payload.combineFn!.payload);
    const node = transformNamed(view.pipeline(ref.fingerprint), ref.transform);
    const composite = node.composite;
    if (composite?.urn !== URNS.combinePerKey) throw new Error(`'${ref.transform}' is not a combine in the rebuilt pipeline`);
    if (urn !== URNS.precombine) return step(t.uniqueName, { kind: "combine_phase", phase: COMBINE_PHASES[urn]!, combineFn: composite.combineFn });
    const kvCoder = view.elementCoder(Object.values(t.inputs)[0]!);
    const timestampCombiner = node.inputs[0]?.windowing.timestampCombiner;
    return step(t.uniqueName, { kind: "precombine", combineFn: composite.combineFn, keyCoder: kvCoder.components[0] ?? kvCoder, ...(timestampCombiner !== undefined ? { timestampCombiner } : {}) });
  }
  if (urn in SDF_PHASES) {
    // The runner names the phases itself (Prism: e<id>_pwr ...): the DoFn reference in the payload names the transform.
    const payload = runnerApi.ParDoPayload.fromBinary(t.spec!.payload);
    if (payload.doFn?.urn !== URNS.dofnByName) throw new Error(`Splittable ParDo '${t.uniqueName}' has DoFn URN '${payload.doFn?.urn}', which this SDK does not run`);
    const ref = decodeReference(payload.doFn.payload);
    const node = transformNamed(view.pipeline(ref.fingerprint), ref.transform);
    const fn = splittableOfComposite(node);
    if (fn === undefined) throw new Error(`'${ref.transform}' has no splittable DoFn in the rebuilt pipeline (the runner sent ${urn} for transform ${t.uniqueName || id})`);
    const inputs = Object.entries(t.inputs)
      .filter(([local]) => !(local in payload.sideInputs))
      .map(([, pc]) => pc);
    // A user's SDF (ParDo.splittable) may read side inputs and have tagged outputs: its process phase reads and writes them.
    const phase = SDF_PHASES[urn]!;
    const composite = node.composite;
    const user = composite?.urn === SPLITTABLE_PARDO_URN && phase === "process" ? composite : undefined;
    return step(ref.transform, { kind: "splittable", phase, fn, sideInputs: user?.sideInputs ?? [], outputTags: user?.outputTags ?? ["main"] }, inputs);
  }
  if (urn === URNS.pardo) {
    const payload = runnerApi.ParDoPayload.fromBinary(t.spec!.payload);
    if (payload.doFn?.urn === URNS.transcodeDoFn) return transcodeStep(view, t, decodeTranscodeReference(payload.doFn.payload), step);
    if (payload.doFn?.urn !== URNS.dofnByName) throw new Error(`ParDo '${t.uniqueName}' has DoFn URN '${payload.doFn?.urn}', which this SDK does not run`);
    const ref = decodeReference(payload.doFn.payload);
    const p = transformNamed(view.pipeline(ref.fingerprint), ref.transform).primitive;
    if (p?.kind !== "pardo") throw new Error(`'${ref.transform}' is not a ParDo in the rebuilt pipeline`);
    const inputs = Object.entries(t.inputs)
      .filter(([local]) => !(local in payload.sideInputs))
      .map(([, pc]) => pc);
    // Allowed lateness 0: the runner drops late data and collects expired state; the harness never sees an input watermark.
    return step(ref.transform, parDoStepSpec(p, ref.transform, 0), inputs);
  }
  throw new Error(`Transform '${t.uniqueName || id}' has URN '${urn}', which the Beamline SDK harness does not implement`);
}
