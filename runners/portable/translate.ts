/**
 * Pipeline → Beam runner API `Pipeline` proto (BEAM_PORTABILITY.md §1).
 *
 * - Every application becomes a PTransform with its unique name; composites list their
 *   subtransforms, primitives carry their standard URN and payload.
 * - Runner-executed primitives (impulse, group_by_key, flatten) have no environment; every
 *   other transform, composites included, runs in the Beamline SDK environment.
 * - DoFns and CombineFns are never serialised: their FunctionSpec names the transform and the
 *   graph fingerprint, and the worker finds the function by rebuilding the program.
 * - Coders are Beam standard coders where runners need them (KV at grouping inputs, bytes at
 *   impulses, windowed values on the wire); our JS value coders go length-prefixed.
 */
import { BytesCoder, IterableCoder, KVCoder } from "../../lib/coders/index";
import type { Coder } from "../../lib/coders/coder";
import type { PCollection } from "../../lib/model/pcollection";
import type { Pipeline, TransformNode } from "../../lib/model/pipeline";
import type { SideInput } from "../../lib/model/side_inputs";
import { describeWindowing, WindowingStrategy } from "../../lib/model/windowing";
import { coderOf, defaultCoder, deterministicKeyCoder } from "../executor/default_coders";
import { CoderTable } from "./coder_table";
import { rapi, runnerApi, windowFnsApi } from "./protos";
import { SDK_ENV_ID, URNS } from "./urns";

/** The payload of Beamline's DoFn and CombineFn FunctionSpecs. */
export interface FunctionReference {
  /** Unique name of the transform (the ParDo, or the combine_per_key composite). */
  readonly transform: string;
  /** Fingerprint of the graph the submitter built. */
  readonly fingerprint: string;
}

export function encodeReference(ref: FunctionReference): Uint8Array {
  return new TextEncoder().encode(JSON.stringify({ transform: ref.transform, fingerprint: ref.fingerprint }));
}

export function decodeReference(payload: Uint8Array): FunctionReference {
  const v = JSON.parse(new TextDecoder().decode(payload)) as Partial<FunctionReference>;
  if (typeof v.transform !== "string" || typeof v.fingerprint !== "string") throw new Error("malformed Beamline function reference payload");
  return { transform: v.transform, fingerprint: v.fingerprint };
}

/** The translated pipeline with the ids chosen for our graph. */
export interface Translation {
  readonly proto: rapi.Pipeline;
  /** Proto transform id of each application, by full name. */
  readonly transformIds: ReadonlyMap<string, string>;
  /** Proto PCollection id of each PCollection, by our id. */
  readonly pcollectionIds: ReadonlyMap<string, string>;
}

/** Makes ids that match `[A-Za-z0-9-_]+`, unique within one namespace. */
class IdSpace {
  private readonly used = new Set<string>();
  make(name: string): string {
    const base = name.replace(/[^A-Za-z0-9_-]+/g, "_").replace(/^_+|_+$/g, "") || "id";
    let id = base;
    for (let n = 2; this.used.has(id); n++) id = `${base}_${n}`;
    this.used.add(id);
    return id;
  }
}

function keyCoder(pc: PCollection<unknown>): Coder<unknown> {
  const c = pc.coder;
  return c !== undefined && c.urn === "beam:coder:kv:v1" && c.components.length === 2 ? c.components[0]! : deterministicKeyCoder();
}

function valueCoder(pc: PCollection<unknown>): Coder<unknown> {
  const c = pc.coder;
  return c !== undefined && c.urn === "beam:coder:kv:v1" && c.components.length === 2 ? c.components[1]! : coderOf(pc);
}

/** The element coder of each PCollection as runners see it. */
function elementCoders(pipeline: Pipeline): Map<string, Coder<unknown>> {
  const coders = new Map<string, Coder<unknown>>();
  const kvOf = (pc: PCollection<unknown>): Coder<unknown> => new KVCoder(keyCoder(pc), valueCoder(pc)) as Coder<unknown>;
  for (const node of pipeline.transforms()) {
    for (const pc of node.outputs.values()) if (!coders.has(pc.id)) coders.set(pc.id, coderOf(pc));
  }
  for (const node of pipeline.transforms()) {
    const p = node.primitive;
    if (p?.kind === "impulse") coders.set(node.mainOutput().id, BytesCoder.INSTANCE as Coder<unknown>);
    if (p?.kind === "gbk" || node.composite?.urn === URNS.combinePerKey) {
      const input = node.inputs[0]!;
      coders.set(input.id, kvOf(input));
      const value = p?.kind === "gbk" ? (new IterableCoder(valueCoder(input)) as Coder<unknown>) : defaultCoder();
      coders.set(node.mainOutput().id, new KVCoder(keyCoder(input), value) as Coder<unknown>);
    }
    if (p?.kind === "pardo") {
      for (const s of p.sideInputs) if (s.kind === "map" || s.kind === "multimap") coders.set(s.pcoll.id, kvOf(s.pcoll));
    }
  }
  return coders;
}

function durationOf(ms: number): { seconds: bigint; nanos: number } {
  const seconds = Math.floor(ms / 1000);
  return { seconds: BigInt(seconds), nanos: (ms - seconds * 1000) * 1_000_000 };
}

/** The FunctionSpec of a window function (standard payloads for the standard ones). */
export function windowFnSpec(w: WindowingStrategy["windowFn"]): rapi.FunctionSpec {
  const c = w.config;
  let payload: Uint8Array = new Uint8Array(0);
  if (w.urn === URNS.fixedWindows) {
    payload = windowFnsApi.FixedWindowsPayload.toBinary({ size: durationOf(c["sizeMillis"] ?? 0), offset: durationOf(c["offsetMillis"] ?? 0) });
  } else if (w.urn === URNS.slidingWindows) {
    payload = windowFnsApi.SlidingWindowsPayload.toBinary({
      size: durationOf(c["sizeMillis"] ?? 0),
      offset: durationOf(c["offsetMillis"] ?? 0),
      period: durationOf(c["periodMillis"] ?? 0),
    });
  } else if (w.urn === URNS.sessionWindows) {
    payload = windowFnsApi.SessionWindowsPayload.toBinary({ gapSize: durationOf(c["gapMillis"] ?? 0) });
  }
  return { urn: w.urn, payload };
}

function windowingProto(w: WindowingStrategy, windowCoderId: string): rapi.WindowingStrategy {
  const E = runnerApi;
  return runnerApi.WindowingStrategy.create({
    windowFn: windowFnSpec(w.windowFn),
    mergeStatus: w.windowFn.isMerging ? E.MergeStatus_Enum.NEEDS_MERGE : E.MergeStatus_Enum.NON_MERGING,
    windowCoderId,
    trigger: { trigger: { oneofKind: "default", default: {} } },
    accumulationMode: w.accumulationMode === "ACCUMULATING" ? E.AccumulationMode_Enum.ACCUMULATING : E.AccumulationMode_Enum.DISCARDING,
    outputTime:
      w.timestampCombiner === "EARLIEST"
        ? E.OutputTime_Enum.EARLIEST_IN_PANE
        : w.timestampCombiner === "LATEST"
          ? E.OutputTime_Enum.LATEST_IN_PANE
          : E.OutputTime_Enum.END_OF_WINDOW,
    closingBehavior: E.ClosingBehavior_Enum.EMIT_IF_NONEMPTY,
    allowedLateness: BigInt(w.allowedLatenessMillis),
    onTimeBehavior: E.OnTimeBehavior_Enum.FIRE_ALWAYS,
    assignsToOneWindow: w.windowFn.urn === URNS.globalWindows || w.windowFn.urn === URNS.fixedWindows,
    environmentId: SDK_ENV_ID,
  });
}

/** How a side input is read over the State API. */
export function sideInputProto(s: SideInput<unknown>): rapi.SideInput {
  const multimap = s.kind === "map" || s.kind === "multimap";
  return {
    accessPattern: { urn: multimap ? URNS.sideInputMultimap : URNS.sideInputIterable, payload: new Uint8Array(0) },
    viewFn: { urn: URNS.viewFn, payload: new TextEncoder().encode(s.kind) },
    windowMappingFn: { urn: URNS.windowMappingFn, payload: new Uint8Array(0) },
  };
}

/**
 * Translates `pipeline` with the given SDK environment. Deterministic: the same graph and
 * environment give byte-identical protos.
 */
export function translatePipeline(pipeline: Pipeline, environment: rapi.Environment): Translation {
  const fingerprint = pipeline.fingerprint();
  const tIds = new IdSpace();
  const pIds = new IdSpace();
  const transformIds = new Map<string, string>();
  const pcollectionIds = new Map<string, string>();
  for (const node of pipeline.transforms()) transformIds.set(node.fullName, tIds.make(node.fullName));
  const pcolls: PCollection<unknown>[] = [];
  for (const node of pipeline.transforms()) {
    for (const pc of node.outputs.values()) {
      if (!pcollectionIds.has(pc.id) && pc.producer === node) {
        pcollectionIds.set(pc.id, pIds.make(pc.id.replace(".", "-")));
        pcolls.push(pc);
      }
    }
  }
  const coderTable = new CoderTable();
  const coders = elementCoders(pipeline);
  const components = runnerApi.Components.create({ environments: { [SDK_ENV_ID]: environment } });

  const windowing = new Map<string, string>();
  const windowingId = (w: WindowingStrategy): string => {
    const key = describeWindowing(w);
    let id = windowing.get(key);
    if (id === undefined) {
      id = `ws${windowing.size}`;
      windowing.set(key, id);
      const windowCoderId = coderTable.addSpec(w.windowFn.windowCoderUrn, []);
      components.windowingStrategies[id] = windowingProto(w, windowCoderId);
    }
    return id;
  };

  for (const pc of pcolls) {
    components.pcollections[pcollectionIds.get(pc.id)!] = {
      uniqueName: pc.id,
      coderId: coderTable.add(coders.get(pc.id) ?? coderOf(pc)),
      isBounded: pc.isBounded ? runnerApi.IsBounded_Enum.BOUNDED : runnerApi.IsBounded_Enum.UNBOUNDED,
      windowingStrategyId: windowingId(pc.windowing),
      displayData: [],
    };
  }

  const pid = (pc: PCollection<unknown>): string => {
    const id = pcollectionIds.get(pc.id);
    if (id === undefined) throw new Error(`internal: PCollection ${pc.id} has no producer in the graph`);
    return id;
  };
  const ref = (name: string): Uint8Array => encodeReference({ transform: name, fingerprint });

  const transformProto = (node: TransformNode): rapi.PTransform => {
    const inputs: Record<string, string> = {};
    const outputs: Record<string, string> = {};
    node.inputs.forEach((pc, i) => (inputs[node.inputs.length === 1 ? "main" : String(i)] = pid(pc)));
    for (const [tag, pc] of node.outputs) outputs[tag] = pid(pc);
    const t = runnerApi.PTransform.create({
      uniqueName: node.fullName,
      inputs,
      outputs,
      subtransforms: node.children.map((c) => transformIds.get(c.fullName)!),
      environmentId: SDK_ENV_ID,
    });
    const p = node.primitive;
    if (p !== undefined) {
      switch (p.kind) {
        case "impulse":
          t.spec = { urn: URNS.impulse, payload: new Uint8Array(0) };
          t.environmentId = "";
          break;
        case "gbk":
          t.spec = { urn: URNS.gbk, payload: new Uint8Array(0) };
          t.environmentId = "";
          break;
        case "flatten":
          t.spec = { urn: URNS.flatten, payload: new Uint8Array(0) };
          t.environmentId = "";
          break;
        case "window_into":
          t.spec = { urn: URNS.windowInto, payload: runnerApi.WindowIntoPayload.toBinary({ windowFn: windowFnSpec(p.windowing.windowFn) }) };
          break;
        case "pardo": {
          const sideInputs: Record<string, rapi.SideInput> = {};
          p.sideInputs.forEach((s, i) => {
            sideInputs[`side${i}`] = sideInputProto(s);
            t.inputs[`side${i}`] = pid(s.pcoll);
          });
          const payload = runnerApi.ParDoPayload.create({ doFn: { urn: URNS.dofnByName, payload: ref(node.fullName) }, sideInputs });
          t.spec = { urn: URNS.pardo, payload: runnerApi.ParDoPayload.toBinary(payload) };
          break;
        }
      }
      return t;
    }
    const c = node.composite;
    if (c?.urn === URNS.combinePerKey) {
      const payload = runnerApi.CombinePayload.create({ combineFn: { urn: URNS.combineFnByName, payload: ref(node.fullName) }, accumulatorCoderId: coderTable.add(defaultCoder()) });
      t.spec = { urn: URNS.combinePerKey, payload: runnerApi.CombinePayload.toBinary(payload) };
    } else if (c?.urn === URNS.reshuffle) {
      t.spec = { urn: URNS.reshuffle, payload: new Uint8Array(0) };
    }
    // Other composites (combine_globally included) are plain named subgraphs: runners expand them.
    return t;
  };

  for (const node of pipeline.transforms()) components.transforms[transformIds.get(node.fullName)!] = transformProto(node);
  components.coders = coderTable.coders;
  const proto = runnerApi.Pipeline.create({
    components,
    rootTransformIds: pipeline.root.children.map((c) => transformIds.get(c.fullName)!),
    requirements: [],
  });
  return { proto, transformIds, pcollectionIds };
}
