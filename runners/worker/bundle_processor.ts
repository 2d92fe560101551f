/**
 * Runs bundles of one ProcessBundleDescriptor with the executor's operators (the same ones the
 * DirectRunner drives). The PBD is authoritative for coders and wiring; user functions come from
 * the rebuilt pipeline, found by transform unique name.
 */
import type { Coder } from "../../lib/coders/coder";
import { coderFromSpec, CoderSpec, encodeToBytes } from "../../lib/coders/index";
import type { RuntimeContext } from "../../lib/model/dofn";
import { MetricsContainer } from "../../lib/model/metrics";
import type { Pipeline } from "../../lib/model/pipeline";
import type { SideInput } from "../../lib/model/side_inputs";
import { EdgeObserver, GraphBuilder, GraphHost, Step } from "../executor/graph_builder";
import type { Operator } from "../executor/operator";
import type { Receiver } from "../executor/receiver";
import { SideInputReader } from "../executor/side_input_reader";
import type { StatefulParDoOperator } from "../executor/stateful_operator";
import { fnApi, fnapi, metricsapi, runnerApi } from "../portable/protos";
import { URNS } from "../portable/urns";
import { fireRunnerTimer } from "./fn_state";
import { FnStatefulBackends, statefulBackends } from "./stateful_build";
import { TimerStreamReader } from "./timers";
import { DataChannel, DataSinkOperator } from "./data_channel";
import { ChannelSplit, DataSource, DesiredSplit, ElementSplitter, readInputs } from "./data_source";

/** A split of a running bundle: channel splits, and the roots of a split inside an element. */
export interface BundleSplit {
  readonly channelSplits: ChannelSplit[];
  readonly primaryRoots: fnapi.BundleApplication[];
  readonly residualRoots: fnapi.DelayedBundleApplication[];
}
import { CountingReceiver, monitoringInfos, PCollectionStats } from "./monitoring";
import { phaseSlot, StateSampler, timed, TimedReceiver } from "./state_sampler";
import { BundleCacheTokens, cacheTokensOf, NO_CACHE_TOKENS, SideInputLoader, sideInputSources } from "./side_inputs";
import { descriptorStep } from "./descriptor_steps";
import type { StateChannel } from "./state_channel";
import { appendContinuation, StateContinuation } from "../../lib/coders/state_backed_iterable";
import type { UserStateCache } from "./user_state_cache";
import { InternalError } from "../../lib/model/errors";
import type { SplittableHost, SplittableResidual } from "../executor/splittable_operator";
import { residualRoot } from "./splittable";
import { SdkCoderHints } from "./coder_hints";

/** What a processor needs from its harness. */
export interface BundleServices {
  dataChannel(url: string): DataChannel;
  stateChannel(url: string): StateChannel;
  /** The user state of transform `transformId` cached between bundles, shared by all processors. */
  userStateCache(transformId: string): UserStateCache;
  /** The rebuilt pipeline; fails if its fingerprint is not `fingerprint` (when given). */
  pipeline(fingerprint?: string): Pipeline;
  readonly runId: string;
  /** Monitoring hooks, if a monitor is attached. */
  readonly observer?: EdgeObserver;
  log(severity: "INFO" | "WARN" | "ERROR", message: string, transformId?: string): void;
}

export class BundleProcessor {
  /** Operators in creation order: consumers before producers. */
  private readonly operators: readonly Operator[];
  private readonly sources: DataSource[] = [];
  private readonly metrics = new Map<string, MetricsContainer>();
  /** Elements (and sampled sizes) per PCollection in the running bundle. */
  private readonly stats = new Map<string, PCollectionStats>();
  /** Execution-time slots (state_sampler.ts) of each transform, and of each operator by position. */
  private readonly slots = new Map<string, number>();
  private readonly operatorSlots: number[];
  /** Coders built from the descriptor, by the SDK coder that guided them (none: undefined), then by coder id. */
  private readonly coders = new Map<Coder<unknown> | undefined, Map<string, Coder<unknown>>>();
  /** The element coders the SDK gives the descriptor's PCollections (worked out on first use). */
  private readonly sdkCoders: SdkCoderHints;
  /** Timer streams the runner sends to stateful ParDos, read with the data in arrival order. */
  private readonly timerInputs: TimerStreamReader[] = [];
  private instructionId = "";
  private tokens: BundleCacheTokens = NO_CACHE_TOKENS;
  /** Side-input loaders, told when a bundle starts (to drop what may have changed). */
  private readonly loaders: SideInputLoader[] = [];
  /** What the ParDos reading side inputs fetch into, by transform id (their loaders are made once the operator exists). */
  private readonly sideInputsOf = new Map<string, { readonly sources: ReturnType<typeof sideInputSources>; readonly reader: SideInputReader }>();
  private readonly statefulOf = new Map<string, FnStatefulBackends>();
  /** The data sinks built, by transform id. */
  private readonly sinks = new Map<string, Operator>();
  /** PCollections the runner sends in (outputs of data sources). */
  private readonly sourceOutputs = new Set<string>();
  /** Self-checkpoints of splittable DoFns in the running bundle (ProcessBundleResponse.residual_roots). */
  private residuals: fnapi.DelayedBundleApplication[] = [];
  /** Bundle finalization callbacks registered in the running bundle. */
  private finalizers: (() => Promise<void>)[] = [];
  /** Splitters of the element being processed by a splittable DoFn, by the PCollection (a source's output) it reads. */
  private readonly elementSplitters = new Map<string, (roots: BundleSplit) => ElementSplitter>();

  constructor(
    readonly descriptor: fnapi.ProcessBundleDescriptor,
    private readonly services: BundleServices,
  ) {
    this.sdkCoders = new SdkCoderHints(descriptor, () => services.pipeline());
    const steps: Step[] = [];
    const consumers = new Map<string, Step[]>();
    const view = { pipeline: (fingerprint?: string) => services.pipeline(fingerprint), elementCoder: (pcollId: string) => this.elementCoder(pcollId) };
    for (const [id, t] of Object.entries(descriptor.transforms)) {
      if (t.spec?.urn === URNS.dataSource) continue;
      const step = descriptorStep(view, id, t);
      steps.push(step);
      for (const pc of step.inputs) {
        let list = consumers.get(pc);
        if (list === undefined) consumers.set(pc, (list = []));
        list.push(step);
      }
    }
    const builder = new GraphBuilder(this.host(consumers));
    for (const [id, t] of Object.entries(descriptor.transforms)) {
      if (t.spec?.urn !== URNS.dataSource) continue;
      const out = Object.values(t.outputs)[0]!;
      // The source counts its output and measures sizes from the bytes it reads (no counting receiver in front).
      this.sourceOutputs.add(out);
      const source = DataSource.fromTransform(id, t, (cid) => this.coder(cid, this.sdkCoderOf(out)), builder.receiverOf(out), this.statsOf(out), out);
      source.slot = phaseSlot(this.slotOf(id), "process");
      source.fetchContinuations = (pending) => this.fetchContinuations(id, pending);
      this.sources.push(source);
    }
    // Every transform gets its operator, also one no source reaches (its lifecycle still runs); sinks are built as they are reached.
    for (const step of steps) if (step.spec.kind !== "driver") builder.inputOf(step);
    this.operators = builder.operators;
    const stepOfOperator = new Map<Operator, string>();
    for (const step of steps) {
      const op = builder.operatorOf(step.id) ?? this.sinks.get(step.id);
      if (op !== undefined) stepOfOperator.set(op, step.id);
    }
    this.operatorSlots = this.operators.map((op) => {
      const id = stepOfOperator.get(op);
      return id === undefined ? 0 : this.slotOf(id);
    });
  }

  /**
   * Reads the rest of iterables the runner sent source `transformId` as state-backed iterables:
   * each token is the key of a StateKey.Runner (beam_fn_api.proto) holding the remaining
   * elements, nested, back to back (Beam Java's StateBackedIterable, Python's
   * IterableStateReader).
   */
  private async fetchContinuations(transformId: string, pending: readonly StateContinuation[]): Promise<void> {
    const url = this.descriptor.stateApiServiceDescriptor?.url;
    if (url === undefined || url === "") {
      throw new Error(
        `the runner sent source ${transformId} an iterable that continues in its state (a beam:coder:state_backed_iterable:v1 state token), ` +
          `but the ProcessBundleDescriptor has no state_api_service_descriptor to read it from; the runner must give one or send the iterable whole`,
      );
    }
    const channel = this.services.stateChannel(url);
    const pages = await Promise.all(pending.map((c) => channel.get(this.instructionId, { type: { oneofKind: "runner", runner: { key: c.token } } })));
    pending.forEach((c, i) => appendContinuation(c, pages[i]!));
  }

  private statsOf(pcollId: string): PCollectionStats {
    let st = this.stats.get(pcollId);
    if (st === undefined) this.stats.set(pcollId, (st = new PCollectionStats()));
    return st;
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

  /**
   * The worker's own hooks on every edge of the graph: each PCollection's count and sampled
   * sizes (monitoring infos), and each consumer's process time (state sampler); then a
   * monitor's hooks, if one is attached.
   */
  private observer(): EdgeObserver {
    const outer = this.services.observer;
    return {
      edge: (pcollId, consumer, target) => {
        const timedTarget = new TimedReceiver(target, phaseSlot(this.slotOf(consumer.id), "process"));
        return outer !== undefined ? outer.edge(pcollId, consumer, timedTarget) : timedTarget;
      },
      pcollection: (pcollId, receiver) => {
        const coder = this.elementCoder(pcollId);
        // A data source counts its output and measures sizes from the bytes it reads.
        const counted = this.sourceOutputs.has(pcollId) ? receiver : new CountingReceiver(receiver, this.statsOf(pcollId), (v) => encodeToBytes(coder, v, "nested").length);
        return outer?.pcollection !== undefined ? outer.pcollection(pcollId, counted) : counted;
      },
    };
  }

  /** What the graph builder needs: the descriptor's wiring, sinks on the data plane, side inputs and state over the State API. */
  private host(consumers: ReadonlyMap<string, readonly Step[]>): GraphHost {
    return {
      consumers: (pcollId) => consumers.get(pcollId) ?? [],
      route: (step) => (step.spec.kind === "driver" ? this.dataSink(step) : "build"),
      metricsFor: (step) => this.metricsOf(step.id),
      runtimeFor: (step) => this.runtime(step.name),
      sideInputs: (step, views) => this.sideInputReader(step, views),
      stateful: (step) => {
        const t = this.descriptor.transforms[step.id]!;
        const spec = step.spec;
        if (spec.kind !== "stateful_pardo") throw new InternalError(`${step.name} is not a stateful ParDo`);
        const backends = statefulBackends(this, this.services, step.id, t, runnerApi.ParDoPayload.fromBinary(t.spec!.payload), step.name, spec.doFn, () => this.instructionId);
        this.statefulOf.set(step.id, backends);
        return backends;
      },
      placed: (step, op) => this.placed(step, op),
      splittable: (step) => this.splittableHost(step),
      observer: this.observer(),
    };
  }

  /**
   * Where an SDF's process phase puts its residuals: encoded with the wire coder the runner sends
   * the phase's input with (Prism makes the phase the root of its stage, read from a data source),
   * as Beam's BundleApplication wants them.
   */
  private splittableHost(step: Step): SplittableHost {
    const t = this.descriptor.transforms[step.id]!;
    const input = step.inputs[0]!;
    const inputId = Object.entries(t.inputs).find(([, pc]) => pc === input)![0];
    const outputIds = Object.keys(t.outputs);
    const sourceOf = (): DataSource => {
      const source = this.sources.find((s) => s.output === input);
      if (source === undefined) throw new Error(`${step.name}: the splittable DoFn's process phase (transform ${step.id}) does not read from a data source, so its residuals cannot be encoded as the runner reads them`);
      return source;
    };
    return {
      residual: (r: SplittableResidual) => {
        this.residuals.push(residualRoot(step.id, inputId, encodeToBytes(sourceOf().coder, r.element, "nested"), outputIds, r));
      },
      afterBundleCommit: (cb) => void this.finalizers.push(cb),
      attach: (process) => {
        // Splits inside the element being processed (ProcessBundleSplit): primary and residual roots.
        this.elementSplitters.set(input, (roots) => ({
          progress: () => process.currentProgress(),
          trySplit: (fraction) => {
            const split = process.trySplitCurrent(fraction);
            if (split === undefined) return false;
            const coder = sourceOf().coder;
            roots.primaryRoots.push({ transformId: step.id, inputId, element: encodeToBytes(coder, split.primary, "nested"), outputWatermarks: {}, isBounded: 2 /* UNBOUNDED */ });
            roots.residualRoots.push(residualRoot(step.id, inputId, encodeToBytes(coder, split.residual.element, "nested"), outputIds, split.residual));
            return true;
          },
        }));
      },
    };
  }

  /** The residuals of the bundle that just ran. */
  residualRoots(): fnapi.DelayedBundleApplication[] {
    return this.residuals;
  }

  /** The finalization callbacks of the bundle that just ran (handed over: the processor forgets them). */
  takeFinalizers(): (() => Promise<void>)[] {
    const f = this.finalizers;
    this.finalizers = [];
    return f;
  }

  /** A data sink: elements leave the stage for the runner (honouring the data channel's back-pressure). */
  private dataSink(step: Step): { receiver: Receiver; operator: Operator } {
    const t = this.descriptor.transforms[step.id]!;
    const port = fnApi.RemoteGrpcPort.fromBinary(t.spec!.payload);
    const url = port.apiServiceDescriptor?.url ?? "";
    const op = new DataSinkOperator(step.name, step.id, this.coder(port.coderId, this.sdkCoderOf(step.inputs[0])), () => this.services.dataChannel(url), () => this.instructionId);
    this.sinks.set(step.id, op);
    return { receiver: op, operator: op };
  }

  /** The side inputs of a ParDo, as the descriptor wires them; fetched over the State API by a loader in front of the operator. */
  private sideInputReader(step: Step, views: readonly SideInput<unknown>[]): SideInputReader {
    const t = this.descriptor.transforms[step.id]!;
    const sources = sideInputSources(this, t, runnerApi.ParDoPayload.fromBinary(t.spec!.payload), views);
    const reader = new SideInputReader(step.name, new Map(sources.map((s) => [s.view, s.contents])));
    this.sideInputsOf.set(step.id, { sources, reader });
    return reader;
  }

  /** Puts the side-input loader in front of a ParDo, and registers a stateful ParDo's timer streams. */
  private placed(step: Step, op: Operator): Receiver | undefined {
    let loader: SideInputLoader | undefined;
    const side = this.sideInputsOf.get(step.id);
    if (side !== undefined && side.sources.length > 0) {
      const url = this.descriptor.stateApiServiceDescriptor?.url;
      if (url === undefined) throw new Error(`ParDo '${step.name}' (transform ${step.id}) reads side inputs but the descriptor has no state_api_service_descriptor`);
      loader = new SideInputLoader(step.id, side.sources, () => this.services.stateChannel(url), () => this.instructionId, op, {
        cacheTokens: () => this.tokens,
        onRefetch: () => side.reader.invalidate(),
      });
      this.loaders.push(loader);
    }
    const stateful = this.statefulOf.get(step.id);
    if (stateful !== undefined) {
      const operator = op as StatefulParDoOperator;
      const slot = phaseSlot(this.slotOf(step.id), "process");
      for (const family of stateful.families) {
        this.timerInputs.push(new TimerStreamReader(stateful.timerUrl, step.id, family, slot, (timer) => fireRunnerTimer(operator, stateful, family, timer, loader)));
      }
    }
    return loader;
  }

  /**
   * The coder with id `id` in the descriptor. `like` is the coder the SDK gave that place, if
   * known: the descriptor decides the bytes, `like` the JS values where it agrees with the spec
   * (registry.ts coderFromSpec; e.g. bigints for a BigIntVarIntCoder's beam:coder:varint:v1).
   */
  coder(id: string, like?: Coder<unknown>): Coder<unknown> {
    let byId = this.coders.get(like);
    if (byId === undefined) this.coders.set(like, (byId = new Map()));
    let c = byId.get(id);
    if (c === undefined) {
      const specOf = (cid: string): CoderSpec => {
        const p = this.descriptor.coders[cid];
        if (p === undefined) throw new Error(`descriptor ${this.descriptor.id} has no coder ${cid}`);
        return { urn: p.spec!.urn, components: p.componentCoderIds.map(specOf), payload: p.spec!.payload };
      };
      c = coderFromSpec(specOf(id), like);
      byId.set(id, c);
    }
    return c;
  }

  /** The element coder the SDK gave a descriptor PCollection, if known (coder_hints.ts). */
  sdkCoderOf(pcollId: string | undefined): Coder<unknown> | undefined {
    return this.sdkCoders.of(pcollId);
  }

  /**
   * The element coder of a PCollection. Dataflow may give PCollections a windowed_value (or
   * param_windowed_value) coder instead of the element coder; the wrapper is stripped.
   */
  elementCoder(pcollId: string): Coder<unknown> {
    const id = this.descriptor.pcollections[pcollId]!.coderId;
    const spec = this.descriptor.coders[id];
    const urn = spec?.spec?.urn;
    const like = this.sdkCoderOf(pcollId);
    if ((urn === "beam:coder:windowed_value:v1" || urn === "beam:coder:param_windowed_value:v1") && spec!.componentCoderIds.length > 0) {
      return this.coder(spec!.componentCoderIds[0]!, like);
    }
    return this.coder(id, like);
  }

  metricsOf(transformId: string): MetricsContainer {
    let m = this.metrics.get(transformId);
    if (m === undefined) this.metrics.set(transformId, (m = new MetricsContainer(this.descriptor.transforms[transformId]?.uniqueName ?? transformId)));
    return m;
  }

  runtime(name: string): RuntimeContext {
    const p = this.services.pipeline();
    return { options: p.options, runId: this.services.runId, transformName: name, reportOutputs: (paths) => this.services.log("INFO", `${name} wrote ${paths.join(", ")}`) };
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
      m.clear();
    }
    const sampler = StateSampler.get();
    for (const st of this.stats.values()) st.reset();
    for (const slot of this.slots.values()) for (const phase of ["start", "process", "finish"] as const) sampler.reset(phaseSlot(slot, phase));
    for (const s of this.sources) s.reset();
    this.residuals = [];
    this.finalizers = [];
    for (let i = 0; i < this.operators.length; i++) await timed(phaseSlot(this.operatorSlots[i]!, "start"), () => this.operators[i]!.startBundle());
    for (const t of this.timerInputs) t.reset();
    await readInputs((url) => this.services.dataChannel(url), instructionId, this.sources, this.timerInputs);
    for (let i = this.operators.length - 1; i >= 0; i--) await timed(phaseSlot(this.operatorSlots[i]!, "finish"), () => this.operators[i]!.finishBundle());
  }

  /**
   * Answers a split request for the running bundle: a channel split per source the runner asked to
   * split, and where a source feeds a splittable DoFn's process phase, possibly a split inside the
   * element it is processing (its restriction's primary and residual as roots).
   */
  split(desired: Readonly<Record<string, DesiredSplit>>): BundleSplit {
    const result: BundleSplit = { channelSplits: [], primaryRoots: [], residualRoots: [] };
    for (const s of this.sources) {
      const d = desired[s.transformId];
      const split = d === undefined ? undefined : s.split(d, this.elementSplitters.get(s.output)?.(result));
      if (split !== undefined) result.channelSplits.push(split);
    }
    return result;
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
