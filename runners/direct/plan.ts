/**
 * Plans a pipeline into fused stages for the DirectRunner.
 *
 * Units are the primitives, except that a CombinePerKey is one unit (lifted: partial combine
 * before the shuffle, merge after) and a Reshuffle is one unit (a pass-through stage break).
 * A stage starts at a root (an Impulse, the output of a GroupByKey / combine / Flatten /
 * Reshuffle, or a ParDo with side inputs reading a materialized input) and fuses every
 * element-wise consumer downstream of it. Stages run once all the buffers they read (main
 * input and side inputs) are complete.
 */
import { InternalError } from "../../lib/model/errors";
import type { Pipeline } from "../../lib/model/pipeline";
import type { PCollection } from "../../lib/model/pcollection";
import { PipelineGraph } from "../executor/pipeline_graph";
import { consumersOf, outputsOf, sideInputsOf, Unit } from "../executor/units";

export type { Unit } from "../executor/units";

/** Where a stage's elements come from. */
export type StageRoot =
  | { readonly kind: "impulse"; readonly unit: Extract<Unit, { kind: "impulse" }> }
  /** The grouped output of a gbk/combine unit, or the buffer of a flatten/reshuffle unit. */
  | { readonly kind: "buffer"; readonly unit: Extract<Unit, { kind: "gbk" | "combine" | "flatten" | "reshuffle" }> }
  /** A ParDo with side inputs, reading its materialized main input. */
  | { readonly kind: "materialized"; readonly unit: Extract<Unit, { kind: "pardo" }> };

export interface Stage {
  readonly id: number;
  readonly root: StageRoot;
  /** Units executed in the stage (element-wise), in topological order. */
  readonly fused: Unit[];
  /** Buffers this stage writes: unit ids of gbk/combine/flatten/reshuffle it feeds, and PCollections it materializes. */
  readonly writesUnits: Set<string>;
  readonly writesMaterialized: Set<string>;
  /** Materialized PCollections (by id) that must be complete before the stage starts. */
  readonly readsMaterialized: Set<string>;
}

export interface Plan {
  /** The pipeline's units as the graph builder's steps. */
  readonly graph: PipelineGraph;
  readonly units: readonly Unit[];
  readonly stages: Stage[];
  /** PCollection ids that must be materialized (side inputs, main inputs of side-input ParDos). */
  readonly materialized: Set<string>;
  /**
   * The materialized PCollections read as side inputs: kept in memory, as side input views read
   * them whole. The others (only the main input of side-input ParDos) may spill to disk.
   */
  readonly sideInputs: Set<string>;
  /** Consumers of each PCollection id. */
  readonly consumers: Map<string, Unit[]>;
}

function hasSideInputs(unit: Unit): boolean {
  return sideInputsOf(unit).length > 0;
}

export function planStages(pipeline: Pipeline): Plan {
  const graph = new PipelineGraph(pipeline);
  const units = graph.units;
  const consumers = consumersOf(units);
  const materialized = new Set<string>();
  const sideInputs = new Set<string>();
  for (const u of units) {
    if (u.kind === "testStream" || u.kind === "readUnbounded") throw new InternalError(`the batch plan cannot run the unbounded source ${u.node.fullName}`);
    for (const s of sideInputsOf(u)) {
      materialized.add(s.pcoll.id);
      sideInputs.add(s.pcoll.id);
    }
    if (u.kind === "pardo" && hasSideInputs(u)) materialized.add(u.input.id);
  }

  const stages: Stage[] = [];
  const newStage = (root: StageRoot): Stage => {
    const stage: Stage = { id: stages.length, root, fused: [], writesUnits: new Set(), writesMaterialized: new Set(), readsMaterialized: new Set() };
    stages.push(stage);
    return stage;
  };
  const fuseFrom = (stage: Stage, pc: PCollection<unknown>): void => {
    if (materialized.has(pc.id)) stage.writesMaterialized.add(pc.id);
    for (const consumer of consumers.get(pc.id) ?? []) {
      switch (consumer.kind) {
        case "pardo":
          if (hasSideInputs(consumer)) continue; // runs in its own stage from the materialized input
          stage.fused.push(consumer);
          for (const out of outputsOf(consumer)) fuseFrom(stage, out);
          break;
        case "primitive":
          stage.fused.push(consumer);
          fuseFrom(stage, consumer.output);
          break;
        case "gbk":
        case "combine":
        case "flatten":
        case "reshuffle":
          stage.writesUnits.add(consumer.node.fullName);
          break;
        default:
          break;
      }
    }
  };
  for (const u of units) {
    let stage: Stage | undefined;
    if (u.kind === "impulse") {
      stage = newStage({ kind: "impulse", unit: u });
      fuseFrom(stage, u.output);
    } else if (u.kind === "gbk" || u.kind === "combine" || u.kind === "flatten" || u.kind === "reshuffle") {
      stage = newStage({ kind: "buffer", unit: u });
      fuseFrom(stage, u.output);
    } else if (u.kind === "pardo" && hasSideInputs(u)) {
      stage = newStage({ kind: "materialized", unit: u });
      stage.readsMaterialized.add(u.input.id);
      stage.fused.push(u);
      for (const out of outputsOf(u)) fuseFrom(stage, out);
    }
    if (stage !== undefined) for (const f of stage.fused) for (const s of sideInputsOf(f)) stage.readsMaterialized.add(s.pcoll.id);
  }
  return { graph, units, stages, materialized, sideInputs, consumers };
}

/** Orders stages so that every stage runs after the stages writing what it reads. */
export function stageOrder(plan: Plan): Stage[] {
  const writersOfUnit = new Map<string, Stage[]>();
  const writersOfMaterialized = new Map<string, Stage[]>();
  for (const s of plan.stages) {
    for (const u of s.writesUnits) writersOfUnit.set(u, [...(writersOfUnit.get(u) ?? []), s]);
    for (const m of s.writesMaterialized) writersOfMaterialized.set(m, [...(writersOfMaterialized.get(m) ?? []), s]);
  }
  const deps = (s: Stage): Stage[] => {
    const d: Stage[] = [];
    if (s.root.kind === "buffer") d.push(...(writersOfUnit.get(s.root.unit.node.fullName) ?? []));
    for (const m of s.readsMaterialized) d.push(...(writersOfMaterialized.get(m) ?? []));
    return d;
  };
  const order: Stage[] = [];
  const state = new Map<number, "visiting" | "done">();
  const visit = (s: Stage): void => {
    const st = state.get(s.id);
    if (st === "done") return;
    if (st === "visiting") throw new InternalError(`cycle in the stage graph at stage ${s.id}`);
    state.set(s.id, "visiting");
    for (const d of deps(s)) visit(d);
    state.set(s.id, "done");
    order.push(s);
  };
  for (const s of plan.stages) visit(s);
  return order;
}
