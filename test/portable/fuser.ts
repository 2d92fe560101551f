/**
 * A small runner planner for tests (what Flink/Prism do before talking to an SDK harness):
 * lifts combine_per_key composites, fuses SDK transforms into stages, and writes one
 * ProcessBundleDescriptor per stage with runner source/sink transforms and wire coders.
 */
import { fnApi, fnapi, rapi, runnerApi } from "../../runners/portable/protos";
import { URNS } from "../../runners/portable/urns";

/** Runner-executed: a Reshuffle too, whose input is read in its place (as Prism does). */
export const RUNNER_URNS: ReadonlySet<string> = new Set([URNS.impulse, URNS.gbk, URNS.flatten, URNS.testStream, URNS.reshuffle, URNS.redistributeByKey, URNS.redistributeArbitrarily]);
/** Composites a runner like Prism replaces with its own shuffle (unless told to run their expansions). */
const SHUFFLES: ReadonlySet<string> = new Set([URNS.reshuffle, URNS.redistributeByKey, URNS.redistributeArbitrarily]);

export interface Stage {
  readonly id: string;
  readonly transforms: string[];
  readonly input: string;
  /** PCollections read as side inputs: [transform id, local name, pcollection]. */
  readonly sideInputs: [string, string, string][];
  /** Output PCollection → sink transform id. */
  readonly outputs: Map<string, string>;
  readonly sourceId: string;
  descriptor?: fnapi.ProcessBundleDescriptor;
}

export interface Plan {
  readonly components: rapi.Components;
  /** Leaf transforms after lifting, in topological order. */
  readonly leaves: string[];
  readonly stages: Stage[];
  /** Stage of each SDK leaf. */
  readonly stageOf: Map<string, Stage>;
  /** The wire (windowed value) coder id of a PCollection. */
  wireCoder(pcollId: string): string;
}

function clone(proto: rapi.Pipeline): rapi.Components {
  return runnerApi.Pipeline.fromBinary(runnerApi.Pipeline.toBinary(proto)).components!;
}

function addCoder(c: rapi.Components, id: string, urn: string, components: string[]): string {
  c.coders[id] = { spec: { urn, payload: new Uint8Array(0) }, componentCoderIds: components };
  return id;
}

/** Replaces combine_per_key composites by precombine → GBK → merge → extract. */
function lift(c: rapi.Components, id: string, leaves: string[]): void {
  const t = c.transforms[id]!;
  const payload = runnerApi.CombinePayload.fromBinary(t.spec!.payload);
  const input = t.inputs["main"]!;
  const output = t.outputs["main"]!;
  const inPc = c.pcollections[input]!;
  const keyCoder = c.coders[inPc.coderId]!.componentCoderIds[0]!;
  const acc = payload.accumulatorCoderId;
  const kvAcc = addCoder(c, `${id}_kv_acc`, "beam:coder:kv:v1", [keyCoder, acc]);
  const iterAcc = addCoder(c, `${id}_iter_acc`, "beam:coder:iterable:v1", [acc]);
  const kvIter = addCoder(c, `${id}_kv_iter_acc`, "beam:coder:kv:v1", [keyCoder, iterAcc]);
  const pc = (suffix: string, coderId: string): string => {
    const pid = `${id}_${suffix}`;
    c.pcollections[pid] = { ...inPc, uniqueName: `${t.uniqueName}/${suffix}`, coderId, displayData: [] };
    return pid;
  };
  const pre = pc("precombined", kvAcc);
  const grouped = pc("grouped", kvIter);
  const merged = pc("merged", kvAcc);
  const step = (suffix: string, urn: string, from: string, to: string, env: string): void => {
    const tid = `${id}_${suffix}`;
    c.transforms[tid] = runnerApi.PTransform.create({
      uniqueName: `${t.uniqueName}/${suffix}`,
      spec: { urn, payload: urn === URNS.gbk ? new Uint8Array(0) : t.spec!.payload },
      inputs: { i0: from },
      outputs: { o0: to },
      environmentId: env,
    });
    leaves.push(tid);
  };
  step("Precombine", URNS.precombine, input, pre, t.environmentId);
  step("Group", URNS.gbk, pre, grouped, "");
  step("Merge", URNS.mergeAccumulators, grouped, merged, t.environmentId);
  step("Extract", URNS.extractOutputs, merged, output, t.environmentId);
}

/**
 * A splittable ParDo (restriction_coder_id set) → pair with restriction → split and size →
 * process sized elements and restrictions, as Prism expands it (handlepardo.go): the phases carry
 * the ParDo's payload, new coders KV(element, restriction) and KV(that, double), and the process
 * phase starts a stage of its own (so its residuals come back to its data source).
 */
function expandSplittable(c: rapi.Components, id: string, leaves: string[], roots: Set<string>): void {
  const t = c.transforms[id]!;
  const payload = runnerApi.ParDoPayload.fromBinary(t.spec!.payload);
  const [inputLocal, input] = Object.entries(t.inputs).find(([local]) => !(local in payload.sideInputs))!;
  const inPc = c.pcollections[input]!;
  const kvER = addCoder(c, `${id}_kv_ele_rest`, "beam:coder:kv:v1", [inPc.coderId, payload.restrictionCoderId]);
  const size = addCoder(c, `${id}_size`, "beam:coder:double:v1", []);
  const kvERS = addCoder(c, `${id}_kv_ele_rest_size`, "beam:coder:kv:v1", [kvER, size]);
  const pc = (suffix: string, coderId: string): string => {
    const pid = `${id}_${suffix}`;
    c.pcollections[pid] = { ...inPc, uniqueName: pid, coderId, displayData: [] };
    return pid;
  };
  const pwr = pc("pwr", kvER);
  const sized = pc("splitnsized", kvERS);
  const phase = (suffix: string, urn: string, from: string, outputs: Record<string, string>): void => {
    const tid = `e${id}_${suffix}`;
    c.transforms[tid] = runnerApi.PTransform.create({ uniqueName: tid, spec: { urn, payload: t.spec!.payload }, inputs: { ...t.inputs, [inputLocal]: from }, outputs, environmentId: t.environmentId });
    leaves.push(tid);
  };
  phase("pwr", URNS.sdfPairWithRestriction, input, { i0: pwr });
  phase("splitnsize", URNS.sdfSplitAndSize, pwr, { i0: sized });
  phase("processandsplit", URNS.sdfProcessSized, sized, t.outputs);
  roots.add(`e${id}_processandsplit`);
}

/** Planning choices: `liftCombines: false` and `expandReshuffle: true` run those composites' subtransforms (as runners without them do). */
export interface PlanOptions {
  readonly liftCombines?: boolean;
  readonly expandReshuffle?: boolean;
  readonly breakAt?: ReadonlySet<string>;
  /** Fuse a ParDo that reads side inputs into its main input's stage (as Prism does) instead of starting a stage. */
  readonly fuseSideInputConsumers?: boolean;
}

export function plan(proto: rapi.Pipeline, dataUrl: string, options: PlanOptions = {}): Plan {
  const c = clone(proto);
  const leaves: string[] = [];
  /** Transforms that start a stage (an SDF's process phase). */
  const roots = new Set<string>();
  const visit = (id: string): void => {
    const t = c.transforms[id]!;
    if (t.spec?.urn === URNS.combinePerKey && options.liftCombines !== false) return lift(c, id, leaves);
    if (t.spec?.urn === URNS.pardo && runnerApi.ParDoPayload.fromBinary(t.spec.payload).restrictionCoderId !== "") return expandSplittable(c, id, leaves, roots);
    // A composite with no subtransforms whose outputs are among its inputs (it returns one of them)
    // runs nothing: Beam Python's and Prism's planners drop it too.
    const passThrough = t.subtransforms.length === 0 && Object.values(t.outputs).every((pc) => Object.values(t.inputs).includes(pc));
    if (passThrough && (t.spec?.urn ?? "") === "") return;
    if (t.subtransforms.length === 0 || (SHUFFLES.has(t.spec?.urn ?? "") && options.expandReshuffle !== true)) leaves.push(id);
    else t.subtransforms.forEach(visit);
  };
  proto.rootTransformIds.forEach(visit);

  const sideLocals = (id: string): Set<string> => {
    const t = c.transforms[id]!;
    return t.spec?.urn === URNS.pardo || t.spec?.urn === URNS.sdfPairWithRestriction || t.spec?.urn === URNS.sdfSplitAndSize || t.spec?.urn === URNS.sdfProcessSized ? new Set(Object.keys(runnerApi.ParDoPayload.fromBinary(t.spec.payload).sideInputs)) : new Set();
  };
  /** A stateful ParDo starts its own stage: runners key its input (and address state) first. */
  const isStateful = (id: string): boolean => {
    const t = c.transforms[id]!;
    if (t.spec?.urn !== URNS.pardo) return false;
    const p = runnerApi.ParDoPayload.fromBinary(t.spec.payload);
    return Object.keys(p.stateSpecs).length > 0 || Object.keys(p.timerFamilySpecs).length > 0;
  };
  const mainInput = (id: string): string | undefined => {
    const side = sideLocals(id);
    return Object.entries(c.transforms[id]!.inputs).find(([local]) => !side.has(local))?.[1];
  };
  const producer = new Map<string, string>();
  for (const id of leaves) for (const pc of Object.values(c.transforms[id]!.outputs)) producer.set(pc, id);
  const isSdk = (id: string): boolean => !RUNNER_URNS.has(c.transforms[id]!.spec?.urn ?? "");

  // Union-find over SDK leaves: fuse a consumer into its producer's stage unless it reads side inputs.
  const parent = new Map<string, string>();
  const find = (x: string): string => {
    const p = parent.get(x) ?? x;
    if (p === x) return x;
    const r = find(p);
    parent.set(x, r);
    return r;
  };
  const union = (a: string, b: string): void => {
    parent.set(find(a), find(b));
  };
  const firstConsumer = new Map<string, string>();
  for (const id of leaves.filter(isSdk)) {
    const input = mainInput(id)!;
    const breaksForSideInputs = sideLocals(id).size > 0 && options.fuseSideInputConsumers !== true;
    if (breaksForSideInputs || isStateful(id) || roots.has(id) || options.breakAt?.has(c.transforms[id]!.uniqueName) === true) continue;
    const p = producer.get(input);
    if (p !== undefined && isSdk(p)) union(id, p);
    const first = firstConsumer.get(input);
    if (first === undefined) firstConsumer.set(input, id);
    else if (sideLocals(first).size === 0) union(id, first);
  }
  const stages: Stage[] = [];
  const byRoot = new Map<string, Stage>();
  const stageOf = new Map<string, Stage>();
  for (const id of leaves.filter(isSdk)) {
    const root = find(id);
    let s = byRoot.get(root);
    if (s === undefined) {
      s = { id: `stage${stages.length}`, transforms: [], input: "", sideInputs: [], outputs: new Map(), sourceId: `stage${stages.length}_source` };
      byRoot.set(root, s);
      stages.push(s);
    }
    s.transforms.push(id);
    stageOf.set(id, s);
  }
  const windowCoder = (pcollId: string): string => c.windowingStrategies[c.pcollections[pcollId]!.windowingStrategyId]!.windowCoderId;
  const wireCoder = (pcollId: string): string => {
    const id = `wire_${pcollId}`;
    if (c.coders[id] === undefined) addCoder(c, id, "beam:coder:windowed_value:v1", [c.pcollections[pcollId]!.coderId, windowCoder(pcollId)]);
    return id;
  };
  for (const s of stages) {
    const inside = new Set(s.transforms);
    for (const id of s.transforms) {
      const input = mainInput(id)!;
      const p = producer.get(input);
      if (p === undefined || !inside.has(p)) (s as { input: string }).input = input;
      for (const local of sideLocals(id)) s.sideInputs.push([id, local, c.transforms[id]!.inputs[local]!]);
    }
    for (const id of s.transforms) {
      for (const pc of Object.values(c.transforms[id]!.outputs)) {
        const usedOutside = leaves.some((other) => !inside.has(other) && Object.values(c.transforms[other]!.inputs).includes(pc)) ||
          s.transforms.some((other) => sideLocals(other).size > 0 && [...sideLocals(other)].some((l) => c.transforms[other]!.inputs[l] === pc));
        const unused = !leaves.some((other) => Object.values(c.transforms[other]!.inputs).includes(pc));
        if (usedOutside || unused) s.outputs.set(pc, `${s.id}_sink_${s.outputs.size}`);
      }
    }
    const transforms: Record<string, rapi.PTransform> = {};
    const port = (pcollId: string): Uint8Array => fnApi.RemoteGrpcPort.toBinary({ apiServiceDescriptor: { url: dataUrl, authentication: undefined }, coderId: wireCoder(pcollId) });
    transforms[s.sourceId] = runnerApi.PTransform.create({ uniqueName: s.sourceId, spec: { urn: URNS.dataSource, payload: port(s.input) }, outputs: { o0: s.input } });
    for (const id of s.transforms) transforms[id] = c.transforms[id]!;
    for (const [pc, sink] of s.outputs) transforms[sink] = runnerApi.PTransform.create({ uniqueName: sink, spec: { urn: URNS.dataSink, payload: port(pc) }, inputs: { i0: pc } });
    const pcollections: Record<string, rapi.PCollection> = {};
    for (const t of Object.values(transforms)) for (const pc of [...Object.values(t.inputs), ...Object.values(t.outputs)]) pcollections[pc] = c.pcollections[pc]!;
    s.descriptor = fnApi.ProcessBundleDescriptor.create({
      id: s.id,
      transforms,
      pcollections,
      windowingStrategies: c.windowingStrategies,
      coders: c.coders,
      environments: c.environments,
      stateApiServiceDescriptor: { url: dataUrl, authentication: undefined },
      // As Java runners do: timers travel on the data endpoint, advertised only when a transform has timers.
      ...(s.transforms.some((id) => isStateful(id) && Object.keys(runnerApi.ParDoPayload.fromBinary(c.transforms[id]!.spec!.payload).timerFamilySpecs).length > 0)
        ? { timerApiServiceDescriptor: { url: dataUrl, authentication: undefined } }
        : {}),
    });
  }
  return { components: c, leaves, stages, stageOf, wireCoder };
}
