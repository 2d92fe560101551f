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
import type { Pipeline, TransformNode } from "../../lib/model/pipeline";
import type { PCollection } from "../../lib/model/pcollection";

/** A step the DirectRunner executes as a whole. */
export type Unit =
  | { readonly kind: "impulse"; readonly node: TransformNode; readonly output: PCollection<unknown> }
  | { readonly kind: "pardo"; readonly node: TransformNode; readonly input: PCollection<unknown> }
  | { readonly kind: "window_into"; readonly node: TransformNode; readonly input: PCollection<unknown>; readonly output: PCollection<unknown> }
  | { readonly kind: "gbk"; readonly node: TransformNode; readonly input: PCollection<unknown>; readonly output: PCollection<unknown> }
  | { readonly kind: "combine"; readonly node: TransformNode; readonly input: PCollection<unknown>; readonly output: PCollection<unknown> }
  | { readonly kind: "reshuffle"; readonly node: TransformNode; readonly input: PCollection<unknown>; readonly output: PCollection<unknown> }
  | { readonly kind: "flatten"; readonly node: TransformNode; readonly inputs: readonly PCollection<unknown>[]; readonly output: PCollection<unknown> };

/** Where a stage's elements come from. */
export type StageRoot =
  | { readonly kind: "impulse"; readonly unit: Unit & { kind: "impulse" } }
  /** The grouped output of a gbk/combine unit, or the buffer of a flatten/reshuffle unit. */
  | { readonly kind: "buffer"; readonly unit: Unit & { kind: "gbk" | "combine" | "flatten" | "reshuffle" } }
  /** A ParDo with side inputs, reading its materialized main input. */
  | { readonly kind: "materialized"; readonly unit: Unit & { kind: "pardo" } };

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
  readonly units: Unit[];
  readonly stages: Stage[];
  /** PCollection ids that must be materialized (side inputs, main inputs of side-input ParDos). */
  readonly materialized: Set<string>;
  /** Consumers of each PCollection id. */
  readonly consumers: Map<string, Unit[]>;
}

/** Collects the units of a pipeline, lifting combines and reshuffles. */
export function collectUnits(pipeline: Pipeline): Unit[] {
  const units: Unit[] = [];
  const visit = (node: TransformNode): void => {
    const c = node.composite;
    if (c?.urn === "beam:transform:combine_per_key:v1" || c?.urn === "beam:transform:reshuffle:v1") {
      const kind = c.urn === "beam:transform:combine_per_key:v1" ? "combine" : "reshuffle";
      units.push({ kind, node, input: node.inputs[0]!, output: node.mainOutput() });
      return;
    }
    const p = node.primitive;
    if (p !== undefined) {
      switch (p.kind) {
        case "impulse":
          units.push({ kind: "impulse", node, output: node.mainOutput() });
          break;
        case "pardo":
          units.push({ kind: "pardo", node, input: node.inputs[0]! });
          break;
        case "window_into":
          units.push({ kind: "window_into", node, input: node.inputs[0]!, output: node.mainOutput() });
          break;
        case "gbk":
          units.push({ kind: "gbk", node, input: node.inputs[0]!, output: node.mainOutput() });
          break;
        case "flatten":
          units.push({ kind: "flatten", node, inputs: node.inputs, output: node.mainOutput() });
          break;
      }
      return;
    }
    for (const child of node.children) visit(child);
  };
  for (const child of pipeline.root.children) visit(child);
  return units;
}

function inputsOf(unit: Unit): readonly PCollection<unknown>[] {
  switch (unit.kind) {
    case "impulse":
      return [];
    case "flatten":
      return unit.inputs;
    default:
      return [unit.input];
  }
}

/** The output PCollections of a unit. */
export function outputsOf(unit: Unit): PCollection<unknown>[] {
  return unit.kind === "pardo" ? [...unit.node.outputs.values()] : [unit.output];
}

function hasSideInputs(unit: Unit): boolean {
  return unit.kind === "pardo" && unit.node.primitive?.kind === "pardo" && unit.node.primitive.sideInputs.length > 0;
}

export function planStages(pipeline: Pipeline): Plan {
  const units = collectUnits(pipeline);
  const consumers = new Map<string, Unit[]>();
  const materialized = new Set<string>();
  for (const u of units) {
    for (const pc of inputsOf(u)) {
      const list = consumers.get(pc.id) ?? [];
      list.push(u);
      consumers.set(pc.id, list);
    }
    if (u.kind === "pardo" && u.node.primitive?.kind === "pardo") {
      for (const s of u.node.primitive.sideInputs) materialized.add(s.pcoll.id);
      if (u.node.primitive.sideInputs.length > 0) materialized.add(u.input.id);
    }
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
        case "window_into":
          stage.fused.push(consumer);
          fuseFrom(stage, consumer.output);
          break;
        case "gbk":
        case "combine":
        case "flatten":
        case "reshuffle":
          stage.writesUnits.add(consumer.node.fullName);
          break;
        case "impulse":
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
    if (stage !== undefined) {
      for (const f of stage.fused) {
        if (f.kind === "pardo" && f.node.primitive?.kind === "pardo") for (const s of f.node.primitive.sideInputs) stage.readsMaterialized.add(s.pcoll.id);
      }
    }
  }
  return { units, stages, materialized, consumers };
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
