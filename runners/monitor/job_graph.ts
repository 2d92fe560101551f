/** The graph view of a pipeline, and per-step progress computed from per-PCollection counts. */
import type { JobGraph, PCollectionNode, StepNode, StepProgress } from "../../lib/model/monitoring";
import type { Pipeline } from "../../lib/model/pipeline";
import type { Instant } from "../../lib/model/window";

/** The steps (parents before children) and PCollections of a pipeline. */
export function jobGraphOf(pipeline: Pipeline): JobGraph {
  const steps: StepNode[] = [];
  const pcollections: PCollectionNode[] = [];
  for (const node of pipeline.transforms()) {
    steps.push({
      name: node.fullName,
      label: node.label,
      parent: node.parent === undefined || node.parent.isRoot() ? undefined : node.parent.fullName,
      composite: node.primitive === undefined,
      kind: node.primitive?.kind ?? node.composite?.urn ?? "composite",
      inputs: node.inputs.map((pc) => pc.id),
      sideInputs: node.primitive?.kind === "pardo" ? node.primitive.sideInputs.map((s) => s.pcoll.id) : [],
      outputs: [...node.outputs.values()].map((pc) => pc.id),
    });
    if (node.primitive !== undefined) {
      for (const pc of node.outputs.values()) pcollections.push({ id: pc.id, producer: node.fullName, bounded: pc.isBounded });
    }
  }
  return { steps, pcollections };
}

/** What a runner measured: elements per PCollection, time per primitive step, watermarks per PCollection. */
export interface RawProgress {
  readonly elements: ReadonlyMap<string, number>;
  readonly msSpent?: ReadonlyMap<string, number>;
  readonly watermarks?: ReadonlyMap<string, Instant>;
  /** Rejected or dropped elements per step full name (primitives). */
  readonly rejected?: ReadonlyMap<string, number>;
}

/**
 * Per-step progress: a step's input count is what reached its main inputs, its output count
 * what its outputs hold, its time the time of the primitives inside it, its watermark the
 * lowest of its outputs'.
 */
export function stepProgress(graph: JobGraph, raw: RawProgress): Record<string, StepProgress> {
  const out: Record<string, StepProgress> = {};
  const stepsUnder = descendantsOf(graph);
  for (const step of graph.steps) {
    let ms: number | undefined;
    let rejected: number | undefined;
    for (const p of stepsUnder.get(step.name) ?? [step.name]) {
      const t = raw.msSpent?.get(p);
      if (t !== undefined) ms = (ms ?? 0) + t;
      const r = raw.rejected?.get(p);
      if (r !== undefined && r > 0) rejected = (rejected ?? 0) + r;
    }
    let watermark: Instant | undefined;
    for (const id of step.outputs) {
      const w = raw.watermarks?.get(id);
      if (w !== undefined) watermark = watermark === undefined ? w : Math.min(watermark, w);
    }
    out[step.name] = {
      elementsIn: sum(step.inputs, raw.elements),
      elementsOut: sum(step.outputs, raw.elements),
      ...(ms === undefined ? {} : { msSpent: ms }),
      ...(watermark === undefined ? {} : { watermark }),
      ...(rejected === undefined ? {} : { rejected }),
    };
  }
  return out;
}

/**
 * Each step with every step under it (itself included). Composites are included because a runner
 * may execute one as a unit (a lifted combine) and credit its time to the composite's name.
 */
function descendantsOf(graph: JobGraph): Map<string, string[]> {
  const result = new Map<string, string[]>();
  const byName = new Map(graph.steps.map((s) => [s.name, s] as const));
  for (const s of graph.steps) {
    for (let cur: string | undefined = s.name; cur !== undefined; cur = byName.get(cur)?.parent) {
      let list = result.get(cur);
      if (list === undefined) result.set(cur, (list = []));
      list.push(s.name);
    }
  }
  return result;
}

function sum(ids: readonly string[], counts: ReadonlyMap<string, number>): number {
  let n = 0;
  for (const id of ids) n += counts.get(id) ?? 0;
  return n;
}

/**
 * The steps a progress view lists: the user's own steps, in application order. That is the
 * top level, or, when the whole pipeline is one composite (a program's PTransform, such as
 * `wordcount`), the steps inside it (and so on down).
 */
export function topLevelSteps(graph: JobGraph): StepNode[] {
  let parent: string | undefined;
  for (;;) {
    const level = graph.steps.filter((s) => s.parent === parent);
    if (level.length !== 1 || !level[0]!.composite) return level;
    parent = level[0]!.name;
  }
}
