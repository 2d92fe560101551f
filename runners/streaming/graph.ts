/**
 * The streaming driver's push graph, built by the executor's graph builder over the whole
 * pipeline: unlike the batch plan there are no stage buffers, and an element flows through
 * every step it reaches as soon as it arrives. The driver supplies its own steps where elements
 * leave the executor's operators or wait in front of them: grouping nodes (GroupByKey, lifted
 * Combine.perKey, with triggers), side-input stores and gates, and the in-memory state and
 * timers of stateful ParDos, each registered as the time-aware part of its unit.
 */
import type { MetricsContainer } from "../../lib/model/metrics";
import type { PCollection } from "../../lib/model/pcollection";
import type { Pipeline } from "../../lib/model/pipeline";
import type { SideInput } from "../../lib/model/side_inputs";
import type { RuntimeContext } from "../../lib/model/dofn";
import type { Instant } from "../../lib/model/window";
import { GlobalWindows } from "../../lib/model/windowing";
import { coderOf, keyCoderOf, valueCoderOf } from "../executor/default_coders";
import { EdgeObserver, GraphBuilder, GraphHost, Route, Step } from "../executor/graph_builder";
import type { InMemoryStateAndTimers } from "../executor/in_memory_state";
import type { Operator } from "../executor/operator";
import type { PipelineGraph } from "../executor/pipeline_graph";
import type { Receiver } from "../executor/receiver";
import { SideInputReader } from "../executor/side_input_reader";
import type { StatefulParDoOperator } from "../executor/stateful_operator";
import { sideInputsOf, Unit } from "../executor/units";
import { Clocks, GroupNode, TimeAware } from "./grouping";
import type { GateEnvironment, SideInputGate } from "./side_input_gate";
import type { SideInputStore } from "./side_input_store";
import { StreamingChecks } from "./strict_checks";
import { type Checkpointable, RESHUFFLE_SECTION } from "./checkpoint";
import type { KeyedRouting } from "./parallel/exchange";
import type { CheckpointedReshuffle } from "./stable_reshuffle";

export type { SideInputGate } from "./side_input_gate";
// Decided in the executor, so the DirectRunner loads this driver only for pipelines that need it.
export { needsStreaming } from "../executor/units";

/** The time-aware part of a stateful ParDo with in-memory state: fires its due timers through the operator. */
export function statefulTimeAware(state: InMemoryStateAndTimers, op: StatefulParDoOperator): TimeAware & { advance(clocks: Clocks): Promise<void>; readonly fired: number } {
  const step = {
    fired: 0,
    advance: (clocks: Clocks) =>
      state.advance(clocks, (t) => {
        step.fired++;
        return op.fireTimer(t.key, [t.window], t.name, t.tag, t.domain, t.fireAt, t.outputTimestamp);
      }),
    hold: () => state.hold(),
  };
  return step;
}

/** What building the graph needs from the driver. */
export interface GraphEnvironment extends GateEnvironment {
  metricsFor(transformName: string): MetricsContainer;
  runtimeFor(transformName: string): RuntimeContext;
  /** The current processing time (wall clock with real-time sources, virtual with TestStreams). */
  readonly currentProcessingTime?: () => Instant;
  /** The element count of a PCollection (a cell the graph increments per element). */
  counterOf(pcollId: string): { n: number };
  /**
   * Strict model checks on every element instead of a sample (the DirectRunner's
   * `checkEveryElement`); absent means sampled. Whether they run at all is the pipeline option
   * `strictChecks`.
   */
  readonly checkEveryElement?: boolean;
  /** Monitoring hooks, if a monitor is attached. */
  readonly observer?: EdgeObserver;
  /** On an instance of a parallel run: what stands in front of each keyed step (runners/streaming/parallel). */
  readonly exchange?: Pick<KeyedRouting, "wrap">;
  /** The run takes checkpoints: each Reshuffle holds its elements until one holds them (stable_reshuffle.ts). */
  readonly checkpointed?: boolean;
}

/** The push graph of a pipeline. */
export class StreamingGraph {
  /** The time-aware step of each unit that has one, by unit name. */
  readonly timeAware = new Map<string, TimeAware>();
  readonly groupNodes = new Map<string, GroupNode>();
  /** The side-input gate in front of each ParDo that reads side inputs, by unit name. */
  readonly gates = new Map<string, SideInputGate>();
  /** The state and timers of each stateful ParDo, by unit name. */
  readonly statefulState = new Map<string, InMemoryStateAndTimers>();
  /** Each Reshuffle of a run that takes checkpoints, by unit name (elements wait there for a checkpoint). */
  readonly reshuffles = new Map<string, CheckpointedReshuffle>();
  private readonly sideInputPcolls = new Set<string>();
  private readonly materialized = new Map<string, SideInputStore>();
  /** The strict model checks (coders, keys, mutation). */
  readonly checks: StreamingChecks;
  private readonly builder: GraphBuilder;

  constructor(
    readonly graph: PipelineGraph,
    private readonly env: GraphEnvironment,
  ) {
    const anyPcoll = graph.units.flatMap((u) => [...u.node.outputs.values()])[0];
    this.checks = new StreamingChecks(anyPcoll?.pipeline.options.strictChecks ?? true, env.checkEveryElement === true);
    for (const u of graph.units) for (const s of sideInputsOf(u)) this.sideInputPcolls.add(s.pcoll.id);
    this.builder = new GraphBuilder(this.host());
  }

  get units(): readonly Unit[] {
    return this.graph.units;
  }

  /** Executor operators (bundle lifecycle), consumers before producers. */
  get operators(): readonly Operator[] {
    return this.builder.operators;
  }

  /** The receiver of a PCollection's elements (built with everything downstream on first use). */
  receiverOf(pcollId: string): Receiver {
    return this.builder.receiverOf(pcollId);
  }

  /** Builds every receiver up front, so all operators exist before the first bundle. */
  buildAll(): void {
    for (const u of this.graph.units) {
      if (u.kind === "testStream" || u.kind === "readUnbounded" || u.kind === "impulse") this.receiverOf(u.output.id);
    }
  }

  /**
   * Every part of the graph that holds state between bundles, by a stable id: grouping steps,
   * stateful ParDos' state and timers, side-input gates and side-input stores.
   */
  checkpointables(): Map<string, Checkpointable> {
    const parts = new Map<string, Checkpointable>();
    for (const [name, g] of this.groupNodes) parts.set(`group:${name}`, g);
    for (const [name, s] of this.statefulState) parts.set(`stateful:${name}`, s);
    for (const [name, g] of this.gates) parts.set(`gate:${name}`, g);
    for (const [id, s] of this.materialized) parts.set(`side:${id}`, s);
    for (const [name, r] of this.reshuffles) parts.set(`${RESHUFFLE_SECTION}${name}`, r);
    return parts;
  }

  /** Advances the time-aware step of a unit, if any. */
  advance(unitName: string, clocks: Clocks): void | Promise<void> {
    return this.timeAware.get(unitName)?.advance(clocks);
  }

  private host(): GraphHost {
    const graph = this.graph;
    const env = this.env;
    return {
      consumers: (pcollId) => graph.consumers(pcollId),
      route: (step) => this.route(step),
      materialize: (pcollId) => (this.sideInputPcolls.has(pcollId) ? this.materializedFor(graph.pcollection(pcollId)) : undefined),
      metricsFor: (step) => env.metricsFor(step.name),
      runtimeFor: (step) => env.runtimeFor(step.name),
      sideInputs: (step, views) => new SideInputReader(step.name, new Map(views.map((v) => [v, this.materializedFor(v.pcoll)] as const))),
      stateful: (step) => {
        const input = graph.pcollection(step.inputs[0]!);
        const backend = new (lazy.inMemoryState().InMemoryStateAndTimers)(keyCoderOf(input), input.windowing.allowedLatenessMillis, lazy.transfer().windowCoderFor(input.windowing), env.currentProcessingTime);
        this.statefulState.set(step.name, backend);
        return { state: backend, timers: backend };
      },
      placed: (step, op) => this.placed(step, op),
      ...(this.checks.enabled ? { checks: graph.checks(() => this.checks.sampler()) } : {}),
      counter: (pcollId) => env.counterOf(pcollId),
      ...(env.observer !== undefined ? { observer: env.observer } : {}),
    };
  }

  /** Groupings are this driver's own nodes; everything else is the executor's. */
  private route(step: Step): Route {
    const unit = this.graph.unitOf(step);
    if (unit.kind === "reshuffle" && this.env.checkpointed === true) {
      const r = new (lazy.stableReshuffle().CheckpointedReshuffle)(this.receiverOf(unit.output.id), lazy.transfer().windowedCoderFor(unit.input));
      this.timeAware.set(step.name, r);
      this.reshuffles.set(step.name, r);
      return { receiver: r };
    }
    if (unit.kind !== "gbk" && unit.kind !== "combine") return "build";
    const name = step.name;
    const g = new GroupNode(
      name,
      unit.input.windowing,
      keyCoderOf(unit.input),
      unit.kind === "combine" ? unit.combineFn : undefined,
      this.receiverOf(unit.output.id),
      this.env.metricsFor(name),
      this.checks.keyChecks(),
      this.now(),
      valueCoderOf(unit.input),
    );
    this.timeAware.set(name, g);
    this.groupNodes.set(name, g);
    return { receiver: this.env.exchange?.wrap(name, unit.input, g) ?? g };
  }

  /** The processing-time clock of the run, for steps whose triggers read it. */
  private now(): (() => Instant) | undefined {
    const clock = this.env.currentProcessingTime;
    return clock !== undefined ? (): Instant => clock() : undefined;
  }

  private materializedFor(pc: PCollection<unknown>): SideInputStore {
    let store = this.materialized.get(pc.id);
    if (store === undefined) this.materialized.set(pc.id, (store = new (lazy.sideInputStore().SideInputStore)(pc.windowing, this.env.metricsFor(pc.producer.fullName), pc.id, this.now(), coderOf(pc))));
    return store;
  }

  /** Registers the time-aware part of a ParDo, and puts its side-input gate in front of it. */
  private placed(step: Step, op: Operator): Receiver | undefined {
    const unit = this.graph.unitOf(step);
    if (unit.kind !== "pardo") return undefined;
    const name = step.name;
    const sideInputs = unit.spec.sideInputs;
    const state = this.statefulState.get(name);
    if (state === undefined) {
      if (sideInputs.length === 0) return undefined;
      const gate = this.sideInputGate(name, sideInputs, unit.input, op);
      this.timeAware.set(name, gate);
      return gate;
    }
    const timers = statefulTimeAware(state, op as StatefulParDoOperator);
    if (sideInputs.length === 0) {
      this.timeAware.set(name, timers);
      return this.env.exchange?.wrap(name, unit.input, op);
    }
    // Elements wait at the gate until their side-input windows are ready; a timer is set by an
    // element (or timer) of its window, so onTimer reads ready side inputs too. As in Beam (the
    // Java DirectRunner's watermarks count only main inputs), the side inputs' watermarks do not
    // hold the ParDo's input watermark: a triggered side input may never complete, and timers,
    // late-data drops and state collection still follow the main input. The elements held at
    // the gate do hold it (Beam's pushed-back elements), so none turns late while it waits.
    // Side-input windows are collected after the timers: a timer may fire in the advance that
    // expires its window, and onTimer still reads the side inputs.
    const gate = this.sideInputGate(name, sideInputs, unit.input, op, false);
    this.timeAware.set(name, {
      advance: async (clocks: Clocks): Promise<void> => {
        await gate.advance(clocks);
        await timers.advance({ inputWatermark: Math.min(clocks.inputWatermark, gate.hold()), processingTime: clocks.processingTime });
        gate.collect();
      },
      hold: (): Instant => Math.min(gate.hold(), timers.hold()),
      get fired(): number {
        return timers.fired;
      },
    });
    return gate;
  }

  /**
   * The gate in front of a ParDo reading side inputs. It is also a consumer of the side inputs'
   * stores: a side-input window can be dropped once the main and side inputs' watermarks are past
   * its end plus the main input's allowed lateness (no element that is not droppable maps to it,
   * and a stateful consumer's timers for it have fired) and no element held at the gate is older.
   */
  private sideInputGate(name: string, sideInputs: readonly SideInput<unknown>[], input: PCollection<unknown>, next: Receiver, collectOnAdvance = true): SideInputGate {
    if (this.graph.units.some((u) => u.kind === "readUnbounded")) {
      const untriggeredGlobal = (v: SideInput<unknown>): boolean => !v.pcoll.isBounded && v.pcoll.windowing.windowFn instanceof GlobalWindows && !lazy.sideInputStore().isTriggered(v.pcoll.windowing);
      for (const s of sideInputs.filter(untriggeredGlobal)) {
        process.stderr.write(
          `Warning: side input ${s.pcoll.id} of '${name}' is unbounded, in the global window and without a trigger, so it is ready only when the ` +
            `pipeline drains: '${name}' holds its input until then. Give it a trigger (e.g. Window.into(new GlobalWindows(), { trigger: ` +
            `Repeatedly(AfterProcessingTime(60_000)) })) to read its latest pane, or window it (e.g. FixedWindows).\n`,
        );
      }
    }
    const stores = new Map(sideInputs.map((s) => [s, this.materializedFor(s.pcoll)] as const));
    const gate = new (lazy.sideInputGate().SideInputGate)(sideInputs, this.env, next, stores, this.env.metricsFor(name), collectOnAdvance, lazy.transfer().windowedCoderFor(input));
    this.gates.set(name, gate);
    for (const store of new Set(stores.values())) {
      // The side inputs' watermarks count too: a window that may still take side data is kept.
      const watermark = (): Instant => Math.min(this.env.watermarkOf(input.id), ...sideInputs.map((s) => this.env.watermarkOf(s.pcoll.id)));
      store.addConsumer({ readable: () => Math.min(watermark() - input.windowing.allowedLatenessMillis, gate.hold()) });
    }
    return gate;
  }
}

// Side inputs, stateful DoFns and the coders they cross with load only for pipelines that have them:
// a plain windowed count starts without these modules (~5 ms of a run's start-up).
/* eslint-disable @typescript-eslint/no-require-imports */
const lazy = {
  transfer: () => require("../direct/transfer") as typeof import("../direct/transfer"),
  inMemoryState: () => require("../executor/in_memory_state") as typeof import("../executor/in_memory_state"),
  sideInputGate: () => require("./side_input_gate") as typeof import("./side_input_gate"),
  sideInputStore: () => require("./side_input_store") as typeof import("./side_input_store"),
  stableReshuffle: () => require("./stable_reshuffle") as typeof import("./stable_reshuffle"),
};
/* eslint-enable @typescript-eslint/no-require-imports */
