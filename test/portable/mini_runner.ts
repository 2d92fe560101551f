/**
 * Executes a translated pipeline the way a portable runner does: impulse, GroupByKey and
 * Flatten runner-side; fused SDK stages through the Fn API on a Beamline harness; side inputs
 * served through the State API. For tests only.
 *
 * Like a real runner, it holds each PCollection as the bytes its producer encoded (with the
 * PCollection's wire coder) and decodes them only where it must (GroupByKey, side inputs): a
 * Flatten concatenates its inputs' bytes and a Reshuffle hands its input's bytes on, as Prism
 * does, so a PCollection encoded with a coder its consumer does not decode fails here too.
 */
import { BigIntVarIntCoder, ByteWriter, coderFromComponents, CoderSpec, encodeToBytes } from "../../lib/coders/index";
import { VARINT_URN } from "../../lib/coders/primitive";
import type { Coder } from "../../lib/coders/coder";
import { BoundedWindow, GLOBAL_WINDOWS, KV, kv, MIN_TIMESTAMP, NO_FIRING, ON_TIME_AND_ONLY_FIRING, WindowedValue } from "../../lib/model/window";
import { metricsapi, rapi, runnerApi } from "../../runners/portable/protos";
import { URNS } from "../../runners/portable/urns";
import { FnApiServer, stateKeyId } from "../worker/fn_server";
import { ByteReader } from "../../lib/coders/byte_io";
import { plan, Plan, PlanOptions, RUNNER_URNS, Stage } from "./fuser";

/** A coder as a runner reads it: Beam's int64 (varint) as an int64 (Java's long), whatever JS values the SDK gives it. */
function runnerCoder(spec: CoderSpec): Coder<unknown> {
  if (spec.urn === VARINT_URN) return BigIntVarIntCoder.INSTANCE as Coder<unknown>;
  return coderFromComponents(spec.urn, (spec.components ?? []).map(runnerCoder), spec.payload);
}

function coderOf(c: rapi.Components, id: string): Coder<unknown> {
  const spec = (cid: string): CoderSpec => ({ urn: c.coders[cid]!.spec!.urn, components: c.coders[cid]!.componentCoderIds.map(spec), payload: c.coders[cid]!.spec!.payload });
  return runnerCoder(spec(id));
}

function hex(b: Uint8Array): string {
  return Buffer.from(b).toString("hex");
}

export interface ExecutionReport {
  readonly metrics: metricsapi.MonitoringInfo[];
  readonly bundles: number;
  /** Elements that went into GroupByKeys (what a runner shuffles). */
  readonly shuffled: number;
}

/**
 * `liftCombines: false` runs like Flink or Spark (combine_per_key composites run as their
 * subtransforms), `expandReshuffle: true` like Beam Python's portable runner (a Reshuffle too).
 */
export async function executePipeline(
  proto: rapi.Pipeline,
  fn: FnApiServer,
  onMessage: (text: string) => void,
  isCancelled: () => boolean,
  options: PlanOptions = {},
): Promise<ExecutionReport> {
  const p: Plan = plan(proto, fn.url, options);
  let shuffled = 0;
  const c = p.components;
  const reg = await fn.instruct({ oneofKind: "register", register: { processBundleDescriptor: p.stages.map((s) => s.descriptor!) } });
  if (reg.error !== "") throw new Error(`register failed: ${reg.error}`);
  /** Each PCollection's elements, as encoded by their producer with the PCollection's wire coder. */
  const contents = new Map<string, Uint8Array[]>();
  const complete = new Set<string>();
  const metrics: metricsapi.MonitoringInfo[] = [];
  const wire = (pc: string): Coder<unknown> => coderOf(c, p.wireCoder(pc));
  const windowCoder = (pc: string): Coder<unknown> => coderOf(c, c.windowingStrategies[c.pcollections[pc]!.windowingStrategyId]!.windowCoderId);
  const finishBytes = (pc: string, bytes: readonly Uint8Array[]): void => {
    contents.set(pc, [...(contents.get(pc) ?? []), ...bytes]);
  };
  const finish = (pc: string, values: WindowedValue<unknown>[]): void => {
    const w = new ByteWriter();
    const coder = wire(pc);
    for (const v of values) coder.encode(v, w, "nested");
    finishBytes(pc, [w.finish()]);
  };
  /** Decodes a PCollection's bytes with its wire coder, as a runner does where it must look inside. */
  const decoded = (pc: string): WindowedValue<unknown>[] => {
    const coder = wire(pc);
    const values: WindowedValue<unknown>[] = [];
    for (const bytes of contents.get(pc) ?? []) {
      const reader = new ByteReader(bytes);
      try {
        while (!reader.atEnd()) values.push(coder.decode(reader, "nested") as WindowedValue<unknown>);
      } catch (e) {
        throw new Error(`PCollection ${pc} has bytes that do not decode with its coder: ${(e as Error).message}`, { cause: e });
      }
    }
    return values;
  };

  const runRunnerTransform = (id: string): void => {
    const t = c.transforms[id]!;
    const out = Object.values(t.outputs)[0]!;
    const inputs = Object.values(t.inputs);
    switch (t.spec!.urn) {
      case URNS.impulse:
        finish(out, [{ value: new Uint8Array(0), timestamp: MIN_TIMESTAMP, windows: GLOBAL_WINDOWS, pane: NO_FIRING }]);
        break;
      case URNS.flatten:
      case URNS.reshuffle:
      case URNS.redistributeByKey:
      case URNS.redistributeArbitrarily:
        finishBytes(out, inputs.flatMap((pc) => contents.get(pc) ?? []));
        break;
      case URNS.gbk: {
        const keyCoder = coderOf(c, c.pcollections[inputs[0]!]!.coderId).components[0]!;
        const wc = windowCoder(inputs[0]!);
        // The group's timestamp by the input's output time (timestamp combiner), as runners do.
        const outputTime = c.windowingStrategies[c.pcollections[inputs[0]!]!.windowingStrategyId]!.outputTime;
        const groups = new Map<string, { key: unknown; window: BoundedWindow; values: unknown[]; earliest: number; latest: number }>();
        for (const wv of decoded(inputs[0]!)) {
          shuffled++;
          const e = wv.value as KV<unknown, unknown>;
          for (const w of wv.windows) {
            const g = `${hex(encodeToBytes(keyCoder, e.key, "nested"))}|${hex(encodeToBytes(wc, w, "nested"))}`;
            let group = groups.get(g);
            if (group === undefined) groups.set(g, (group = { key: e.key, window: w, values: [], earliest: wv.timestamp, latest: wv.timestamp }));
            group.values.push(e.value);
            group.earliest = Math.min(group.earliest, wv.timestamp);
            group.latest = Math.max(group.latest, wv.timestamp);
          }
        }
        const timestampOf = (g: { window: BoundedWindow; earliest: number; latest: number }): number =>
          outputTime === runnerApi.OutputTime_Enum.EARLIEST_IN_PANE ? g.earliest : outputTime === runnerApi.OutputTime_Enum.LATEST_IN_PANE ? Math.min(g.latest, g.window.maxTimestamp()) : g.window.maxTimestamp();
        finish(out, [...groups.values()].map((g) => ({ value: kv(g.key, g.values), timestamp: timestampOf(g), windows: [g.window], pane: ON_TIME_AND_ONLY_FIRING })));
        break;
      }
    }
    for (const pc of Object.values(t.outputs)) complete.add(pc);
  };

  const serveSideInputs = (s: Stage): void => {
    for (const [tid, local, pc] of s.sideInputs) {
      const payload = runnerApi.ParDoPayload.fromBinary(c.transforms[tid]!.spec!.payload);
      const multimap = payload.sideInputs[local]!.accessPattern!.urn === URNS.sideInputMultimap;
      const elementCoder = coderOf(c, c.pcollections[pc]!.coderId);
      const wc = windowCoder(pc);
      const byWindow = new Map<string, unknown[]>();
      for (const wv of decoded(pc)) for (const w of wv.windows) byWindow.set(hex(encodeToBytes(wc, w, "nested")), [...(byWindow.get(hex(encodeToBytes(wc, w, "nested"))) ?? []), wv.value]);
      for (const [wHex, values] of byWindow) {
        const window = Buffer.from(wHex, "hex");
        const base = { transformId: tid, sideInputId: local, window };
        if (!multimap) {
          const w = new ByteWriter();
          for (const v of values) elementCoder.encode(v, w, "nested");
          fn.state.set(stateKeyId({ type: { oneofKind: "iterableSideInput", iterableSideInput: base } }), w.finish());
          continue;
        }
        const [kc, vc] = elementCoder.components as [Coder<unknown>, Coder<unknown>];
        const byKey = new Map<string, unknown[]>();
        for (const e of values as KV<unknown, unknown>[]) {
          const k = hex(encodeToBytes(kc, e.key, "nested"));
          byKey.set(k, [...(byKey.get(k) ?? []), e.value]);
        }
        fn.state.set(stateKeyId({ type: { oneofKind: "multimapKeysSideInput", multimapKeysSideInput: base } }), Buffer.from([...byKey.keys()].join(""), "hex"));
        for (const [k, vs] of byKey) {
          const w = new ByteWriter();
          for (const v of vs) vc.encode(v, w, "nested");
          fn.state.set(stateKeyId({ type: { oneofKind: "multimapSideInput", multimapSideInput: { ...base, key: Buffer.from(k, "hex") } } }), w.finish());
        }
      }
    }
  };

  const runStage = async (s: Stage): Promise<void> => {
    serveSideInputs(s);
    const r = await fn.processBundle(s.id, new Map([[s.sourceId, [Buffer.concat(contents.get(s.input) ?? [])]]]), [...s.outputs.values()]);
    metrics.push(...r.metrics);
    for (const [pc, sink] of s.outputs) finishBytes(pc, [r.outputs.get(sink)!]);
    for (const id of s.transforms) for (const pc of Object.values(c.transforms[id]!.outputs)) complete.add(pc);
  };

  const runnerLeaves = p.leaves.filter((id) => RUNNER_URNS.has(c.transforms[id]!.spec?.urn ?? ""));
  const pendingStages = [...p.stages];
  let bundles = 0;
  while (runnerLeaves.length > 0 || pendingStages.length > 0) {
    if (isCancelled()) throw new Error("cancelled");
    const leaf = runnerLeaves.findIndex((id) => Object.values(c.transforms[id]!.inputs).every((pc) => complete.has(pc)));
    if (leaf >= 0) {
      runRunnerTransform(runnerLeaves.splice(leaf, 1)[0]!);
      continue;
    }
    const si = pendingStages.findIndex((s) => complete.has(s.input) && s.sideInputs.every(([, , pc]) => complete.has(pc)));
    if (si < 0) throw new Error("no runnable stage: the plan has a cycle");
    const stage = pendingStages.splice(si, 1)[0]!;
    onMessage(`running ${stage.id}: ${stage.transforms.map((t) => c.transforms[t]!.uniqueName).join(", ")}`);
    await runStage(stage);
    bundles++;
  }
  return { metrics, bundles, shuffled };
}
