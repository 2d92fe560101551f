/**
 * Runs bundles of one ProcessBundleDescriptor with the executor's operators (the same ones the
 * DirectRunner drives). The PBD is authoritative for coders and wiring; user functions come from
 * the rebuilt pipeline, found by transform unique name.
 */
import type { Coder } from "../../lib/coders/coder";
import { coderFromSpec, CoderSpec, encodeToBytes } from "../../lib/coders/index";
import type { CombineFnLike } from "../../lib/model/combine_fn";
import type { RuntimeContext } from "../../lib/model/dofn";
import { MetricsContainer } from "../../lib/model/metrics";
import type { Pipeline, TransformNode } from "../../lib/model/pipeline";
import type { ElementMeta } from "../../lib/model/window";
import { ElementwiseOperator } from "../executor/elementwise_operator";
import type { Operator } from "../executor/operator";
import { ParDoOperator } from "../executor/pardo_operator";
import { MaybePromise, Receiver, receiverFor } from "../executor/receiver";
import { SideInputReader } from "../executor/side_input_reader";
import { WindowIntoOperator } from "../executor/window_operator";
import { fnApi, fnapi, metricsapi, runnerApi } from "../portable/protos";
import type { WindowFn } from "../../lib/model/windowing";
import { isStatefulDoFn } from "../../lib/model/state";
import { decodeReference } from "../portable/translate";
import { URNS } from "../portable/urns";
import { buildStatefulParDo, TimerInput } from "./stateful_build";
import { readTimerStream } from "./timers";
import { isKvCombineStep, KvCombineStep, PrecombineStep } from "./combine_ops";
import { DataChannel, DataSinkOperator } from "./data_channel";
import { ChannelSplit, DataSource, DesiredSplit, readSources } from "./data_source";
import { CountingReceiver, monitoringInfos, PCollectionStats } from "./monitoring";
import { phaseSlot, StateSampler, timed, TimedReceiver } from "./state_sampler";
import { ReifyMetadataOperator, RestoreMetadataOperator } from "./reshuffle_ops";
import { BundleCacheTokens, cacheTokensOf, NO_CACHE_TOKENS, SideInputLoader, sideInputSources } from "./side_inputs";
import { MapWindowsOperator, MergeWindowsOperator, windowFnFromSpec, windowMappingFnFromSpec } from "./window_ops";
import type { StateChannel } from "./state_channel";

/** What a processor needs from its harness. */
export interface BundleServices {
  dataChannel(url: string): DataChannel;
  stateChannel(url: string): StateChannel;
  /** The rebuilt pipeline; fails if its fingerprint is not `fingerprint` (when given). */
  pipeline(fingerprint?: string): Pipeline;
  readonly runId: string;
  log(severity: "INFO" | "WARN" | "ERROR", message: string, transformId?: string): void;
}

class PassThrough implements Operator {
  constructor(readonly transformName: string, private readonly next: Receiver) {}
  setup(): MaybePromise {
    return undefined;
  }
  startBundle(): MaybePromise {
    return undefined;
  }
  finishBundle(): MaybePromise {
    return undefined;
  }
  teardown(): MaybePromise {
    return undefined;
  }
  receive(value: unknown, meta: ElementMeta): MaybePromise {
    return this.next.receive(value, meta);
  }
}

export class BundleProcessor {
  /** Operators in creation order: consumers before producers. */
  private readonly operators: Operator[] = [];
  private readonly sources: DataSource[] = [];
  private readonly metrics = new Map<string, MetricsContainer>();
  private readonly stats = new Map<string, PCollectionStats>();
  /** Execution-time slots (state_sampler.ts) of each transform, and of each operator by position. */
  private readonly slots = new Map<string, number>();
  private readonly operatorSlots: number[] = [];
  private readonly coders = new Map<string, Coder<unknown>>();
  /** Timer streams the runner sends to stateful ParDos, drained after the data sources. */
  private readonly timerInputs: TimerInput[] = [];
  private instructionId = "";
  private tokens: BundleCacheTokens = NO_CACHE_TOKENS;
  /** Side-input loaders, told when a bundle starts (to drop what may have changed). */
  private readonly loaders: SideInputLoader[] = [];

  constructor(
    readonly descriptor: fnapi.ProcessBundleDescriptor,
    private readonly services: BundleServices,
  ) {
    const consumers = new Map<string, string[]>();
    for (const [id, t] of Object.entries(descriptor.transforms)) {
      for (const [local, pc] of Object.entries(t.inputs)) {
        if (t.spec?.urn === URNS.pardo && local in runnerApi.ParDoPayload.fromBinary(t.spec.payload).sideInputs) continue;
        consumers.set(pc, [...(consumers.get(pc) ?? []), id]);
      }
    }
    const entries = new Map<string, Receiver>();
    const statsOf = (pcollId: string): PCollectionStats => {
      let st = this.stats.get(pcollId);
      if (st === undefined) this.stats.set(pcollId, (st = new PCollectionStats()));
      return st;
    };
    const targetsOf = (pcollId: string): Receiver => receiverFor((consumers.get(pcollId) ?? []).map((id) => operatorFor(id)));
    const receiverOf = (pcollId: string): Receiver => {
      const coder = this.elementCoder(pcollId);
      return new CountingReceiver(targetsOf(pcollId), statsOf(pcollId), (v) => encodeToBytes(coder, v, "nested").length);
    };
    const operatorFor = (id: string): Receiver => {
      const existing = entries.get(id);
      if (existing !== undefined) return existing;
      const op = this.buildOperator(id, receiverOf);
      const entry = new TimedReceiver(op.entry ?? op.operator, phaseSlot(this.slotOf(id), "process"));
      entries.set(id, entry);
      this.operators.push(op.operator);
      this.operatorSlots.push(this.slotOf(id));
      return entry;
    };
    for (const [id, t] of Object.entries(descriptor.transforms)) {
      if (t.spec?.urn !== URNS.dataSource) continue;
      const out = Object.values(t.outputs)[0]!;
      const source = DataSource.fromTransform(id, t, (cid) => this.coder(cid), targetsOf(out), statsOf(out));
      source.slot = phaseSlot(this.slotOf(id), "process");
      this.sources.push(source);
    }
    for (const id of Object.keys(descriptor.transforms)) if (descriptor.transforms[id]!.spec?.urn !== URNS.dataSource) operatorFor(id);
  }

  /** The execution-time slots of a transform (allocated on first use, released at teardown). */
  private slotOf(transformId: string): number {
    let slot = this.slots.get(transformId);
    if (slot === undefined) {
      slot = StateSampler.get().allocate({ transformId, instructionId: () => this.instructionId, harness: this.services });
      this.slots.set(transformId, slot);
    }
    return slot;
  }

  /** The coder with id `id` in the descriptor. */
  coder(id: string): Coder<unknown> {
    let c = this.coders.get(id);
    if (c === undefined) {
      const specOf = (cid: string): CoderSpec => {
        const p = this.descriptor.coders[cid];
        if (p === undefined) throw new Error(`descriptor ${this.descriptor.id} has no coder ${cid}`);
        return { urn: p.spec!.urn, components: p.componentCoderIds.map(specOf), payload: p.spec!.payload };
      };
      c = coderFromSpec(specOf(id));
      this.coders.set(id, c);
    }
    return c;
  }

  /**
   * The element coder of a PCollection. Dataflow may give PCollections a windowed_value (or
   * param_windowed_value) coder instead of the element coder; the wrapper is stripped.
   */
  elementCoder(pcollId: string): Coder<unknown> {
    const id = this.descriptor.pcollections[pcollId]!.coderId;
    const spec = this.descriptor.coders[id];
    const urn = spec?.spec?.urn;
    if ((urn === "beam:coder:windowed_value:v1" || urn === "beam:coder:param_windowed_value:v1") && spec!.componentCoderIds.length > 0) {
      return this.coder(spec!.componentCoderIds[0]!);
    }
    return this.coder(id);
  }

  metricsOf(transformId: string): MetricsContainer {
    let m = this.metrics.get(transformId);
    if (m === undefined) this.metrics.set(transformId, (m = new MetricsContainer(this.descriptor.transforms[transformId]?.uniqueName ?? transformId)));
    return m;
  }

  private node(t: fnapi.ProcessBundleDescriptor["transforms"][string], fingerprint?: string, name = t.uniqueName): TransformNode {
    const node = this.services.pipeline(fingerprint).findTransform(name);
    if (node === undefined) throw new Error(`The rebuilt pipeline has no transform named '${name}'; the worker runs a different program than the one submitted`);
    return node;
  }

  /** The WindowFn of a window_into: from the rebuilt graph, else from the standard payload. */
  private windowFnOf(t: fnapi.ProcessBundleDescriptor["transforms"][string]): WindowFn {
    const spec = this.services.pipeline().findTransform(t.uniqueName)?.primitive;
    if (spec?.kind === "window_into") return spec.windowing.windowFn;
    return windowFnFromSpec(runnerApi.WindowIntoPayload.fromBinary(t.spec!.payload).windowFn, `WindowInto '${t.uniqueName}' (not in the rebuilt pipeline)`);
  }

  runtime(name: string): RuntimeContext {
    const p = this.services.pipeline();
    return { options: p.options, runId: this.services.runId, transformName: name, reportOutputs: (paths) => this.services.log("INFO", `${name} wrote ${paths.join(", ")}`) };
  }

  private buildOperator(id: string, receiverOf: (pcollId: string) => Receiver): { operator: Operator; entry?: Receiver } {
    const t = this.descriptor.transforms[id]!;
    const urn = t.spec?.urn ?? "";
    const outputs = Object.entries(t.outputs);
    const mainOut = (): Receiver => (outputs.length > 0 ? receiverOf(outputs[0]![1]) : receiverFor([]));
    if (urn === URNS.dataSink) {
      const port = fnApi.RemoteGrpcPort.fromBinary(t.spec!.payload);
      const url = port.apiServiceDescriptor?.url ?? "";
      return { operator: new DataSinkOperator(t.uniqueName || id, id, this.coder(port.coderId), () => this.services.dataChannel(url), () => this.instructionId) };
    }
    if (urn === URNS.flatten) return { operator: new PassThrough(t.uniqueName, mainOut()) };
    if (urn === URNS.reifyMetadata) return { operator: new ReifyMetadataOperator(t.uniqueName || id, mainOut()) };
    if (urn === URNS.restoreMetadata) return { operator: new RestoreMetadataOperator(t.uniqueName || id, mainOut()) };
    if (urn === URNS.windowInto) return { operator: new WindowIntoOperator(t.uniqueName, this.windowFnOf(t), mainOut()) };
    if (urn === URNS.mapWindows) {
      const fn = windowMappingFnFromSpec(runnerApi.FunctionSpec.fromBinary(t.spec!.payload), `map_windows '${t.uniqueName || id}'`);
      return { operator: new MapWindowsOperator(t.uniqueName || id, fn, mainOut()) };
    }
    if (urn === URNS.mergeWindows) {
      const fn = windowFnFromSpec(runnerApi.FunctionSpec.fromBinary(t.spec!.payload), `merge_windows '${t.uniqueName || id}'`);
      return { operator: new MergeWindowsOperator(t.uniqueName || id, fn, mainOut()) };
    }
    if (urn === URNS.precombine || isKvCombineStep(urn)) {
      const payload = runnerApi.CombinePayload.fromBinary(t.spec!.payload);
      const ref = decodeReference(payload.combineFn!.payload);
      const node = this.node(t, ref.fingerprint, ref.transform);
      const composite = node.composite as { combineFn?: CombineFnLike } | undefined;
      if (composite?.combineFn === undefined) throw new Error(`'${ref.transform}' is not a combine in the rebuilt pipeline`);
      if (urn === URNS.precombine) {
        const kvCoder = this.elementCoder(Object.values(t.inputs)[0]!);
        const combiner = node.inputs[0]?.windowing.timestampCombiner;
        return { operator: new PrecombineStep(t.uniqueName, composite.combineFn, kvCoder.components[0] ?? kvCoder, mainOut(), this.metricsOf(id), combiner) };
      }
      return { operator: new KvCombineStep(t.uniqueName, urn, composite.combineFn, mainOut(), this.metricsOf(id)) };
    }
    if (urn === URNS.pardo) {
      const payload = runnerApi.ParDoPayload.fromBinary(t.spec!.payload);
      if (payload.doFn?.urn !== URNS.dofnByName) throw new Error(`ParDo '${t.uniqueName}' has DoFn URN '${payload.doFn?.urn}', which this SDK does not run`);
      const ref = decodeReference(payload.doFn.payload);
      const spec = this.node(t, ref.fingerprint, ref.transform).primitive;
      if (spec?.kind !== "pardo") throw new Error(`'${ref.transform}' is not a ParDo in the rebuilt pipeline`);
      if (spec.elementwise !== undefined) {
        return { operator: new ElementwiseOperator(ref.transform, spec.elementwise, mainOut(), this.metricsOf(id), undefined, undefined) };
      }
      const outs = new Map<string, Receiver>();
      for (const [tag, pc] of outputs) outs.set(tag, receiverOf(pc));
      for (const tag of spec.outputTags) if (!outs.has(tag)) outs.set(tag, receiverFor([]));
      if (isStatefulDoFn(spec.doFn)) {
        const built = buildStatefulParDo(this, this.services, id, t, payload, ref.transform, spec.doFn, spec.sideInputs, outs, () => this.instructionId);
        this.timerInputs.push(...built.timerInputs);
        if (built.entry !== undefined) this.loaders.push(built.entry);
        return { operator: built.operator, ...(built.entry !== undefined ? { entry: built.entry } : {}) };
      }
      const sources = sideInputSources(this, t, payload, spec.sideInputs);
      const reader = sources.length > 0 ? new SideInputReader(ref.transform, new Map(sources.map((s) => [s.view, s.contents]))) : undefined;
      const op = new ParDoOperator(ref.transform, spec.doFn!, outs, reader, this.metricsOf(id), this.runtime(ref.transform), undefined);
      if (sources.length === 0) return { operator: op };
      const url = this.descriptor.stateApiServiceDescriptor?.url;
      if (url === undefined) throw new Error(`ParDo '${t.uniqueName}' reads side inputs but the descriptor has no state API endpoint`);
      const loader = new SideInputLoader(id, sources, () => this.services.stateChannel(url), () => this.instructionId, op, {
        cacheTokens: () => this.tokens,
        onRefetch: () => reader!.invalidate(),
      });
      this.loaders.push(loader);
      return { operator: op, entry: loader };
    }
    throw new Error(`Transform '${t.uniqueName || id}' has URN '${urn}', which the Beamline SDK harness does not implement`);
  }

  async setup(): Promise<void> {
    for (let i = 0; i < this.operators.length; i++) await timed(phaseSlot(this.operatorSlots[i]!, "setup"), () => this.operators[i]!.setup());
  }

  /** Runs one bundle: start (consumers first), drain every source, finish (producers first). */
  /** The cache tokens the runner sent with the running bundle. */
  cacheTokens(): BundleCacheTokens {
    return this.tokens;
  }

  async process(instructionId: string, cacheTokens: readonly fnapi.ProcessBundleRequest_CacheToken[] = []): Promise<void> {
    this.instructionId = instructionId;
    this.tokens = cacheTokensOf(cacheTokens);
    for (const loader of this.loaders) loader.beginBundle();
    for (const m of this.metrics.values()) {
      m.counters.clear();
      m.distributions.clear();
      m.gauges.clear();
    }
    const sampler = StateSampler.get();
    for (const st of this.stats.values()) st.reset();
    for (const slot of this.slots.values()) for (const phase of ["start", "process", "finish"] as const) sampler.reset(phaseSlot(slot, phase));
    for (const s of this.sources) s.reset();
    for (let i = 0; i < this.operators.length; i++) await timed(phaseSlot(this.operatorSlots[i]!, "start"), () => this.operators[i]!.startBundle());
    await readSources((url) => this.services.dataChannel(url), instructionId, this.sources);
    for (const ti of this.timerInputs) {
      const slot = phaseSlot(this.slotOf(ti.transformId), "process");
      await readTimerStream(this.services.dataChannel(ti.url), instructionId, ti.transformId, ti.family, (timer) => timed(slot, () => ti.operator.fire(ti.family.id, ti.family.domain, timer)));
    }
    for (let i = this.operators.length - 1; i >= 0; i--) await timed(phaseSlot(this.operatorSlots[i]!, "finish"), () => this.operators[i]!.finishBundle());
  }

  /** Answers a split request for the running bundle: a channel split per source the runner asked to split. */
  split(desired: Readonly<Record<string, DesiredSplit>>): ChannelSplit[] {
    const splits: ChannelSplit[] = [];
    for (const s of this.sources) {
      const d = desired[s.transformId];
      const split = d === undefined ? undefined : s.split(d);
      if (split !== undefined) splits.push(split);
    }
    return splits;
  }

  /** Metrics of the bundle so far. */
  monitoring(): metricsapi.MonitoringInfo[] {
    const sampler = StateSampler.get();
    const ms = (slot: number, phase: "start" | "process" | "finish"): number => sampler.millis(phaseSlot(slot, phase));
    return monitoringInfos(this.metrics, {
      pcollections: this.stats,
      readIndex: new Map(this.sources.map((s) => [s.transformId, s.readIndex])),
      executionTime: new Map([...this.slots].map(([id, slot]) => [id, { start: ms(slot, "start"), process: ms(slot, "process"), finish: ms(slot, "finish") }])),
    });
  }

  async teardown(): Promise<void> {
    for (let i = 0; i < this.operators.length; i++) {
      const op = this.operators[i]!;
      try {
        await timed(phaseSlot(this.operatorSlots[i]!, "setup"), () => op.teardown());
      } catch (e) {
        this.services.log("WARN", `teardown of ${op.transformName} failed: ${(e as Error).message}`);
      }
    }
    for (const slot of this.slots.values()) StateSampler.get().release(slot);
    this.slots.clear();
  }
}
