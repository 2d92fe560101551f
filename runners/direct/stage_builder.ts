/**
 * Builds the operators of one fused stage for one worker slot with the executor's graph builder,
 * wired to the batch driver's buffers: elements leave the stage into shuffles (GroupByKey, lifted
 * combine), flatten/reshuffle buffers and materialized PCollections (side inputs).
 */
import type { DoFn, OutputTags, RuntimeContext } from "../../lib/model/dofn";
import type { MetricsContainer } from "../../lib/model/metrics";
import type { SideInput } from "../../lib/model/side_inputs";
import type { ElementMeta, WindowedValue } from "../../lib/model/window";
import { CheckSampler } from "../executor/checks";
import { GroupingSink, GroupingWriter, PrecombineOperator } from "../executor/combine_operator";
import { keyCoderOf } from "../executor/default_coders";
import { EdgeObserver, GraphBuilder, GraphHost, Route, type Step } from "../executor/graph_builder";
import type { Operator } from "../executor/operator";
import type { MaybePromise, Receiver } from "../executor/receiver";
import { SideInputReader } from "../executor/side_input_reader";
import type { Plan, Stage } from "./plan";
import { InternalError } from "../../lib/model/errors";
import type { ElementSink } from "./spill/element_buffer";

/** What a stage's operators need from the runner. */
export interface StageEnvironment {
  readonly plan: Plan;
  readonly strictChecks: boolean;
  readonly checkEveryElement: boolean;
  metricsFor(transformName: string): MetricsContainer;
  runtimeFor(transformName: string): RuntimeContext;
  shuffleFor(unitName: string): GroupingSink;
  /** Where a flatten/reshuffle unit's input goes. */
  bufferFor(unitName: string): ElementSink;
  /** Where a materialized PCollection's elements go. */
  materializedFor(pcollId: string): ElementSink;
  /** The elements of a PCollection read as a side input (complete before a stage reading it starts). */
  sideInputFor(pcollId: string): WindowedValue<unknown>[];
  /** Monitoring hooks, if a monitor is attached. */
  readonly observer?: EdgeObserver;
}

/** The operators of a stage for one slot, in topological order, and where its root elements go. */
export interface StageInstance {
  readonly operators: Operator[];
  readonly input: Receiver;
}

class ListWriter implements Receiver {
  constructor(private readonly list: ElementSink) {}
  receive(value: unknown, meta: ElementMeta): MaybePromise {
    this.list.push({ value, timestamp: meta.timestamp, windows: meta.windows, pane: meta.pane });
    return undefined;
  }
}

/**
 * Builds a stage's operators. `doFns`, by transform name, are the DoFns this instance runs in
 * place of the pipeline's own (each instance of a stage running at once has its own).
 */
export function buildStage(stage: Stage, env: StageEnvironment, doFns?: ReadonlyMap<string, DoFn<unknown, unknown, OutputTags>>): StageInstance {
  const graph = env.plan.graph;
  const fused = new Set(stage.fused.map((u) => u.node.fullName));
  /** Where elements leave the stage with a bundle lifecycle (the shuffle writers), after the fused operators. */
  const tail: Operator[] = [];
  const sampler = (): CheckSampler => new CheckSampler(env.checkEveryElement);
  const keyChecks = (): CheckSampler | undefined => (env.strictChecks ? sampler() : undefined);
  const host: GraphHost = {
    consumers: (pcollId) => graph.consumers(pcollId),
    route: (step): Route => {
      if (fused.has(step.id)) return "build";
      const unit = graph.unitOf(step);
      const name = step.name;
      switch (unit.kind) {
        case "gbk": {
          const mark = env.observer?.stepMark?.(step);
          const w = new GroupingWriter(name, keyCoderOf(unit.input), env.shuffleFor(name), keyChecks(), mark);
          tail.push(w);
          return { receiver: w, marksStep: mark !== undefined };
        }
        case "combine": {
          const mark = env.observer?.stepMark?.(step);
          const op = new PrecombineOperator(name, unit.combineFn, keyCoderOf(unit.input), env.shuffleFor(name), env.metricsFor(name), keyChecks(), unit.input.windowing.timestampCombiner, mark);
          tail.push(op);
          return { receiver: op, marksStep: mark !== undefined };
        }
        case "flatten":
        case "reshuffle":
          return { receiver: new ListWriter(env.bufferFor(name)) };
        default:
          return "skip"; // a side-input ParDo reads the materialized buffer in a stage of its own
      }
    },
    materialize: (pcollId) => (env.plan.materialized.has(pcollId) ? new ListWriter(env.materializedFor(pcollId)) : undefined),
    metricsFor: (step) => env.metricsFor(step.name),
    runtimeFor: (step) => env.runtimeFor(step.name),
    sideInputs: (step, views) => new SideInputReader(step.name, new Map(views.map((v): [SideInput<unknown>, WindowedValue<unknown>[]] => [v, env.sideInputFor(v.pcoll.id)]))),
    stateful: (step) => {
      throw new InternalError(`the stateful ParDo ${step.name} runs on the streaming driver`);
    },
    ...(doFns !== undefined ? { doFnOf: (step: Step) => doFns.get(step.name) } : {}),
    ...(env.strictChecks ? { checks: graph.checks(sampler) } : {}),
    ...(env.observer !== undefined ? { observer: env.observer } : {}),
  };
  const builder = new GraphBuilder(host);
  const root = stage.root;
  const input = root.kind === "materialized" ? builder.inputOf(graph.stepOf(root.unit)) : builder.receiverOf(root.unit.output.id);
  const operators = stage.fused.map((u) => builder.operatorOf(u.node.fullName)!);
  operators.push(...tail);
  return { operators, input };
}
