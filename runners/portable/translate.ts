/**
 * Pipeline → Beam runner API `Pipeline` proto (BEAM_PORTABILITY.md §1).
 *
 * - Every application becomes a PTransform with its unique name; composites list their
 *   subtransforms, primitives carry their standard URN and payload.
 * - Runner-executed primitives (impulse, group_by_key) have no environment; every other
 *   transform, composites and Flatten included (as in Beam's SDKs), names the SDK environment.
 * - DoFns and CombineFns are never serialised: their FunctionSpec names the transform and the
 *   graph fingerprint, and the worker finds the function by rebuilding the program.
 * - Coders are Beam standard coders where runners need them (KV at grouping inputs, bytes at
 *   impulses, windowed values on the wire); our JS value coders go length-prefixed. Each
 *   PCollection gets the one coder its producer and consumers agree on (element_coders.ts), and
 *   a Flatten input whose coder differs from the Flatten's is read through a transcoding step
 *   (flatten_transcode.ts), so runners see one coder on every Flatten.
 */
import type { PCollection } from "../../lib/model/pcollection";
import { InternalError, PipelineConstructionError } from "../../lib/model/errors";
import type { Pipeline, TransformNode } from "../../lib/model/pipeline";
import type { SideInput } from "../../lib/model/side_inputs";
import { isStatefulDoFn } from "../../lib/model/state";
import { hasSplittableComposite, SPLITTABLE_PARDO_URN, splittableOfComposite } from "../../lib/model/splittable";
import { describeWindowing, WindowingStrategy } from "../../lib/model/windowing";
import { READ_UNBOUNDED_URN } from "../../lib/io/read_unbounded";
import { TEST_STREAM_URN } from "../../lib/testing/test_stream";
import { coderOf, defaultCoder } from "../executor/default_coders";
import { elementCoders } from "./element_coders";
import { CoderTable } from "./coder_table";
import { rapi, runnerApi } from "./protos";
import { nativeWriteConsumedError, pubsubReadSpec, pubsubWriteSpec, readUnboundedError, RUNNER_EXECUTED_COMPOSITES, statefulParts, testStreamCoderId, testStreamSpec } from "./translate_streaming";
import { SDK_ENV_ID, URNS } from "./urns";
import { triggerProto, windowFnSpec, windowingProto } from "./windowing_proto";
import { liftableTrigger, liftCombine } from "./lift_combiners";
import { expandReshuffle, ReshuffleContext } from "./reshuffle_expansion";
import { transcodeFlattenInputs } from "./flatten_transcode";

/** The payload of Beamline's DoFn and CombineFn FunctionSpecs. */
export interface FunctionReference {
  /** Unique name of the transform (the ParDo, or the combine_per_key composite). */
  readonly transform: string;
  /** Fingerprint of the graph the submitter built. */
  readonly fingerprint: string;
  /** For the CombineFn of a combining state cell: the cell's name in the transform's DoFn. */
  readonly state?: string;
}

export function encodeReference(ref: FunctionReference): Uint8Array {
  const v = ref.state === undefined ? { transform: ref.transform, fingerprint: ref.fingerprint } : { transform: ref.transform, fingerprint: ref.fingerprint, state: ref.state };
  return new TextEncoder().encode(JSON.stringify(v));
}

export function decodeReference(payload: Uint8Array): FunctionReference {
  const v = JSON.parse(new TextDecoder().decode(payload)) as Partial<FunctionReference>;
  if (typeof v.transform !== "string" || typeof v.fingerprint !== "string") throw new Error("malformed Beamline function reference payload");
  return typeof v.state === "string" ? { transform: v.transform, fingerprint: v.fingerprint, state: v.state } : { transform: v.transform, fingerprint: v.fingerprint };
}

/** The translated pipeline with the ids chosen for our graph. */
export interface Translation {
  readonly proto: rapi.Pipeline;
  /** Proto transform id of each application, by full name. */
  readonly transformIds: ReadonlyMap<string, string>;
  /** Proto PCollection id of each PCollection, by our id. */
  readonly pcollectionIds: ReadonlyMap<string, string>;
}

/** Whether `a` is `b` or encloses it. */
function isAncestor(a: TransformNode, b: TransformNode): boolean {
  for (let n: TransformNode | undefined = b; n !== undefined; n = n.parent) if (n === a) return true;
  return false;
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

/** @deprecated import from ./windowing_proto; kept for existing importers. */
export { windowFnSpec } from "./windowing_proto";

/**
 * How a side input is read over the State API. Every view, maps and multimaps included, is read
 * with the iterable access pattern: the worker builds the whole view anyway, and the iterable
 * gives all of it in one (paged) state fetch, where the multimap pattern costs a round trip per
 * key. Beam Python reads its AsDict views the same way.
 */
export function sideInputProto(s: SideInput<unknown>): rapi.SideInput {
  return {
    accessPattern: { urn: URNS.sideInputIterable, payload: new Uint8Array(0) },
    viewFn: { urn: URNS.viewFn, payload: new TextEncoder().encode(s.kind) },
    windowMappingFn: { urn: URNS.windowMappingFn, payload: runnerApi.FunctionSpec.toBinary(windowFnSpec(s.pcoll.windowing.windowFn)) },
  };
}

/**
 * Translates `pipeline` with the given SDK environment. Deterministic: the same graph and
 * environment give byte-identical protos.
 */
/** How a target runner differs. */
export interface TranslateOptions {
  /**
   * Translate WriteToPubSub's `Write` as Beam's runner-native `pubsub_write` (Dataflow streaming
   * jobs); otherwise it stays a composite whose publishing step runs in our SDK.
   */
  readonly nativePubSubWrite?: boolean;
  /**
   * Send CombinePerKey lifted (precombine → GroupByKey → merge → extract) when the pipeline is
   * batch and the trigger allows it, as Beam Python's PortableRunner does for runners that do
   * not lift (Flink, Spark). Off for Dataflow, which lifts combiners itself.
   */
  readonly liftCombiners?: boolean;
  /**
   * Send composites that have a splittable DoFn and a runner-native form (unbounded Pub/Sub
   * reads) as Impulse → a splittable ParDo our worker runs, for runners that do not read them
   * natively (Prism, Flink); otherwise they go as their runner-native primitive (Dataflow's
   * pubsub_read). Composites with a splittable DoFn and no native form (PeriodicImpulse) always
   * go as the splittable ParDo.
   */
  readonly splittableReads?: boolean;
}

/** The pipeline as Beam's runner API `Pipeline` proto, its SDK transforms in `environment` (what `--describe_to` writes). */
export function translatePipeline(pipeline: Pipeline, environment: rapi.Environment, options: TranslateOptions = {}): Translation {
  const fingerprint = pipeline.fingerprint();
  const tIds = new IdSpace();
  const pIds = new IdSpace();
  const transformIds = new Map<string, string>();
  const pcollectionIds = new Map<string, string>();
  // The expansions of runner-executed composites (TestStream, Pub/Sub reads) are not sent.
  const hidden = new Set<TransformNode>();
  const nativeWrites = new Set<TransformNode>();
  const splittableReads = new Set<TransformNode>();
  const batch = !pipeline.options.streaming && pipeline.transforms().every((n) => [...n.outputs.values()].every((pc) => pc.isBounded));
  const lifted = new Set<TransformNode>();
  for (const node of pipeline.transforms()) {
    if (hidden.has(node) || (node.parent !== undefined && hidden.has(node.parent))) {
      hidden.add(node);
      continue;
    }
    const urn = node.composite?.urn;
    if (urn === READ_UNBOUNDED_URN) throw readUnboundedError(node);
    if (urn !== undefined && RUNNER_EXECUTED_COMPOSITES.has(urn)) for (const c of node.children) hidden.add(c);
    // Users' splittable DoFns, and composites with a splittable form and none native to the runner
    // (PeriodicImpulse), go to every runner as a splittable ParDo; reads with a native form (Pub/Sub
    // on Dataflow) as a splittable ParDo only where the runner asks for it (splittableReads).
    if ((hasSplittableComposite(urn) && (options.splittableReads === true || !RUNNER_EXECUTED_COMPOSITES.has(urn!))) || urn === SPLITTABLE_PARDO_URN) {
      splittableReads.add(node);
      for (const c of node.children) hidden.add(c);
    }
    // A lifted combine is sent with the lifted steps in place of its own expansion.
    if (urn === URNS.combinePerKey && options.liftCombiners === true && batch && liftableTrigger(triggerProto(node.inputs[0]!.windowing.trigger))) {
      lifted.add(node);
      for (const c of node.children) hidden.add(c);
    }
    if (urn === URNS.pubsubWrite && options.nativePubSubWrite === true) {
      nativeWrites.add(node);
      for (const c of node.children) hidden.add(c);
    }
  }
  // A native write outputs nothing: its outputs must be unused, and are left out of the proto
  // (also as outputs of the composites around it).
  const noOutput = new Set<string>();
  for (const write of nativeWrites) {
    const ids = new Set([...write.outputs.values()].map((pc) => pc.id));
    for (const id of ids) noOutput.add(id);
    for (const node of pipeline.transforms()) {
      if (hidden.has(node) || write.children.includes(node) || node === write) continue;
      const reads = [...node.inputs, ...(node.primitive?.kind === "pardo" ? node.primitive.sideInputs.map((s) => s.pcoll) : [])];
      if (reads.some((pc) => ids.has(pc.id)) && !isAncestor(node, write)) throw nativeWriteConsumedError(write, node);
    }
  }
  const sent = pipeline.transforms().filter((n) => !hidden.has(n));
  for (const node of sent) transformIds.set(node.fullName, tIds.make(node.fullName));
  const pcolls: PCollection<unknown>[] = [];
  for (const node of sent) {
    for (const pc of node.outputs.values()) {
      if (noOutput.has(pc.id)) continue;
      if (!pcollectionIds.has(pc.id) && (pc.producer === node || hidden.has(pc.producer))) {
        pcollectionIds.set(pc.id, pIds.make(pc.id.replace(".", "-")));
        pcolls.push(pc);
      }
    }
  }
  const coderTable = new CoderTable();
  const coders = elementCoders(sent);
  const components = runnerApi.Components.create({ environments: { [SDK_ENV_ID]: environment } });

  const windowing = new Map<string, string>();
  const windowingId = (w: WindowingStrategy, where: string): string => {
    const key = describeWindowing(w);
    let id = windowing.get(key);
    if (id === undefined) {
      id = `ws${windowing.size}`;
      windowing.set(key, id);
      const windowCoderId = coderTable.addSpec(w.windowFn.windowCoderUrn, []);
      try {
        components.windowingStrategies[id] = windowingProto(w, windowCoderId);
      } catch (e) {
        throw new PipelineConstructionError((e as Error).message, where);
      }
    }
    return id;
  };

  // A Reshuffle's keyed elements carry its own per-element trigger in the SDK's graph (so its
  // GroupByKey is valid on any input); runners get them in the input's windowing, as Beam Python's
  // ReshufflePerKey sends them: the trigger is on the reified elements expandReshuffle adds.
  const sentWindowing = new Map<string, WindowingStrategy>();
  for (const node of sent) {
    const gbk = shufflesItself(node) ? node.children.find((child) => child.primitive?.kind === "gbk") : undefined;
    if (gbk !== undefined) sentWindowing.set(gbk.inputs[0]!.id, node.inputs[0]!.windowing);
  }
  for (const pc of pcolls) {
    components.pcollections[pcollectionIds.get(pc.id)!] = {
      uniqueName: pc.id,
      coderId: coderTable.add(coders.get(pc.id) ?? coderOf(pc)),
      isBounded: pc.isBounded ? runnerApi.IsBounded_Enum.BOUNDED : runnerApi.IsBounded_Enum.UNBOUNDED,
      windowingStrategyId: windowingId(sentWindowing.get(pc.id) ?? pc.windowing, pc.producer.fullName),
      displayData: [],
    };
  }
  const requirements = new Set<string>();

  const pid = (pc: PCollection<unknown>): string => {
    const id = pcollectionIds.get(pc.id);
    if (id === undefined) throw new InternalError(`PCollection ${pc.id} has no producer in the graph`);
    return id;
  };
  const ref = (name: string, state?: string): Uint8Array => encodeReference({ transform: name, fingerprint, ...(state !== undefined ? { state } : {}) });

  /** State and timer specs of a stateful ParDo; its input is KV with a deterministic key coder. */
  const stateful = (node: TransformNode, doFn: unknown): ReturnType<typeof statefulParts> => {
    if (!isStatefulDoFn(doFn)) return undefined;
    const input = node.inputs[0]!;
    const kvCoder = coders.get(input.id)!;
    const key = kvCoder.components[0]!;
    if (!key.deterministic) {
      throw new PipelineConstructionError(
        `The input of this stateful DoFn has key coder ${key.urn}, which does not encode deterministically; runners find state and timers by the key bytes. Set a KV coder with a deterministic key coder on ${input.id}`,
        node.fullName,
      );
    }
    const windowCoderId = coderTable.addSpec(input.windowing.windowFn.windowCoderUrn, []);
    const parts = statefulParts(node, doFn, coderTable, coderTable.add(key), windowCoderId, (state) => ref(node.fullName, state));
    if (parts !== undefined) requirements.add(URNS.requirementStateful);
    return parts;
  };

  const transformProto = (node: TransformNode): rapi.PTransform => {
    const inputs: Record<string, string> = {};
    const outputs: Record<string, string> = {};
    node.inputs.forEach((pc, i) => (inputs[node.inputs.length === 1 ? "main" : String(i)] = pid(pc)));
    for (const [tag, pc] of node.outputs) if (!noOutput.has(pc.id)) outputs[tag] = pid(pc);
    const t = runnerApi.PTransform.create({
      uniqueName: node.fullName,
      inputs,
      outputs,
      subtransforms: node.children.filter((c) => !hidden.has(c)).map((c) => transformIds.get(c.fullName)!),
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
          // Like Beam's SDKs, a Flatten names the SDK environment: runners may run it there.
          t.spec = { urn: URNS.flatten, payload: new Uint8Array(0) };
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
          const parts = stateful(node, p.doFn);
          const needs = inputRequirements(p.doFn);
          if (needs.requiresTimeSortedInput) requirements.add(URNS.requirementTimeSortedInput);
          if (needs.requiresStableInput) requirements.add(URNS.requirementStableInput);
          const payload = runnerApi.ParDoPayload.create({ doFn: { urn: URNS.dofnByName, payload: ref(node.fullName) }, sideInputs, ...(parts ?? {}), ...needs });
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
    } else if (c?.urn === URNS.redistributeByKey || c?.urn === URNS.redistributeArbitrarily) {
      // RedistributePayload { bool allow_duplicates = 1 }, written by hand: Beamline's protos predate it.
      t.spec = { urn: c.urn, payload: c.allowDuplicates ? Uint8Array.of(0x08, 0x01) : new Uint8Array(0) };
    } else if (c?.urn === TEST_STREAM_URN) {
      // A runner primitive: the runner replays the events; the output coder decodes the elements.
      const output = components.pcollections[pid(node.mainOutput())]!;
      output.coderId = testStreamCoderId(coderTable, output.coderId);
      t.spec = testStreamSpec(node, c, coderTable, output.coderId, coders.get(node.mainOutput().id) ?? coderOf(node.mainOutput()));
      t.environmentId = "";
    } else if (splittableReads.has(node)) {
      t.subtransforms = splittableExpansion(node, t);
    } else if (c?.urn === URNS.pubsubRead) {
      t.spec = pubsubReadSpec(c);
      t.environmentId = "";
    } else if (c?.urn === URNS.pubsubWrite && nativeWrites.has(node)) {
      t.spec = pubsubWriteSpec(c);
      t.environmentId = "";
    }
    // Other composites (combine_globally included) are plain named subgraphs: runners expand them.
    return t;
  };

  /**
   * A composite run as an SDF: a ParDo whose payload names the composite (the worker builds its
   * SDF from it) with the restriction coder, requesting finalization if the SDF does. A user's
   * SDF (ParDo.splittable) reads the composite's input; a source (a Pub/Sub read) reads an Impulse
   * of its own. Its output is the composite's.
   */
  const splittableExpansion = (node: TransformNode, t: rapi.PTransform): string[] => {
    const fn = splittableOfComposite(node)!;
    const out = node.mainOutput();
    // A user's SDF's side inputs and tagged outputs are the splittable ParDo's, as on any ParDo:
    // runners give them to the phases they expand it into (Beam's SplittableParDoComponents).
    const sideInputs: Record<string, rapi.SideInput> = {};
    const sideInputIds: Record<string, string> = {};
    const c = node.composite;
    if (c?.urn === SPLITTABLE_PARDO_URN) {
      c.sideInputs.forEach((s, i) => {
        sideInputs[`side${i}`] = sideInputProto(s);
        sideInputIds[`side${i}`] = pid(s.pcoll);
      });
    }
    // The composite reads what its ParDo reads.
    Object.assign(t.inputs, sideInputIds);
    const outputs: Record<string, string> = {};
    for (const [tag, pc] of node.outputs) if (!noOutput.has(pc.id)) outputs[tag] = pid(pc);
    const payload = runnerApi.ParDoPayload.create({
      doFn: { urn: URNS.dofnByName, payload: ref(node.fullName) },
      sideInputs,
      restrictionCoderId: coderTable.add(fn.restrictionCoder),
      requestsFinalization: fn.requestsFinalization,
    });
    requirements.add(URNS.requirementSplittable);
    if (fn.requestsFinalization) requirements.add(URNS.requirementFinalization);
    if (node.inputs.length > 0) {
      const process = tIds.make(`${node.fullName}/ProcessSplittable`);
      components.transforms[process] = runnerApi.PTransform.create({
        uniqueName: `${node.fullName}/ProcessSplittable`,
        inputs: { main: pid(node.inputs[0]!), ...sideInputIds },
        outputs,
        spec: { urn: URNS.pardo, payload: runnerApi.ParDoPayload.toBinary(payload) },
        environmentId: SDK_ENV_ID,
      });
      return [process];
    }
    const impulseOut = pIds.make(`${node.fullName}/Impulse.out`);
    components.pcollections[impulseOut] = {
      uniqueName: `${node.fullName}/Impulse.out`,
      coderId: coderTable.addSpec("beam:coder:bytes:v1", []),
      isBounded: runnerApi.IsBounded_Enum.BOUNDED,
      windowingStrategyId: windowingId(out.windowing, node.fullName),
      displayData: [],
    };
    const impulse = tIds.make(`${node.fullName}/Impulse`);
    components.transforms[impulse] = runnerApi.PTransform.create({ uniqueName: `${node.fullName}/Impulse`, outputs: { out: impulseOut }, spec: { urn: URNS.impulse, payload: new Uint8Array(0) } });
    const read = tIds.make(`${node.fullName}/Read`);
    components.transforms[read] = runnerApi.PTransform.create({
      uniqueName: `${node.fullName}/Read`,
      inputs: { main: impulseOut },
      outputs: { main: pid(out) },
      spec: { urn: URNS.pardo, payload: runnerApi.ParDoPayload.toBinary(payload) },
      environmentId: SDK_ENV_ID,
    });
    return [impulse, read];
  };

  for (const node of sent) components.transforms[transformIds.get(node.fullName)!] = transformProto(node);
  const expansion: ReshuffleContext = {
    components,
    coders: coderTable,
    transformId: (n) => tIds.make(n),
    pcollectionId: (n) => pIds.make(n),
    windowingId: (w) => windowingId(w, "Reshuffle"),
  };
  for (const node of lifted) {
    const t = components.transforms[transformIds.get(node.fullName)!]!;
    t.subtransforms = liftCombine(expansion, t);
  }
  for (const node of sent) {
    if (!shufflesItself(node)) continue;
    const gbk = node.children.find((child) => child.primitive?.kind === "gbk");
    if (gbk === undefined) continue;
    const t = components.transforms[transformIds.get(node.fullName)!]!;
    t.subtransforms = expandReshuffle(expansion, t, transformIds.get(gbk.fullName)!);
  }
  const rootTransformIds = pipeline.root.children.map((c) => transformIds.get(c.fullName)!);
  // Last, once every PCollection has its final coder (a TestStream's output gets a context-free one above).
  transcodeFlattenInputs({ components, rootTransformIds, transformId: (n) => tIds.make(n), pcollectionId: (n) => pIds.make(n) }, fingerprint);
  components.coders = coderTable.coders;
  const proto = runnerApi.Pipeline.create({
    components,
    rootTransformIds,
    requirements: [...requirements].sort(),
  });
  return { proto, transformIds, pcollectionIds };
}

/**
 * A Reshuffle or Redistribute: a composite around a GroupByKey that fires for every element,
 * which runners that do not know its URN run as its expansion (expandReshuffle); runners that do
 * replace it.
 */
function shufflesItself(node: TransformNode): boolean {
  const urn = node.composite?.urn;
  return urn === URNS.reshuffle || urn === URNS.redistributeByKey || urn === URNS.redistributeArbitrarily;
}

/**
 * What a DoFn requires of its input (Beam Java's `@RequiresTimeSortedInput` and
 * `@RequiresStableInput`), as ParDoPayload fields; the pipeline gets the matching requirements,
 * so a runner that cannot honour them refuses the job instead of running it unsorted or unstable.
 */
function inputRequirements(doFn: unknown): { requiresTimeSortedInput: boolean; requiresStableInput: boolean } {
  const fn = doFn as { requiresTimeSortedInput?: unknown; requiresStableInput?: unknown };
  return { requiresTimeSortedInput: isStatefulDoFn(doFn) && fn.requiresTimeSortedInput === true, requiresStableInput: fn?.requiresStableInput === true };
}
