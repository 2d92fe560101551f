/**
 * The steps an in-process driver executes as wholes ("units"), collected from a pipeline in
 * application (topological) order. Units are the primitives, except that a composite the runner
 * executes itself is one unit: the sources (TestStream, ReadUnbounded), a CombinePerKey (lifted:
 * partial combine before the grouping, merge after) and a Reshuffle. Each unit carries what its
 * execution needs, typed (the DoFn, the CombineFn, the executor's step), so drivers need no casts.
 *
 * Element-wise primitives other than ParDo (WindowInto) are "primitive" units carrying the
 * executor's StepSpec: drivers fuse them and pass watermarks through them without knowing which
 * primitive they are, so a new one is added here and in the graph builder only.
 */
import type { CombineFnLike } from "../../lib/model/combine_fn";
import type { PCollection } from "../../lib/model/pcollection";
import type { Pipeline, PrimitiveSpec, TransformNode } from "../../lib/model/pipeline";
import type { SideInput } from "../../lib/model/side_inputs";
import { isStatefulDoFn } from "../../lib/model/state";
import type { StepSpec } from "./graph_builder";
import type { ReadUnboundedSpec } from "../../lib/io/read_unbounded";
import { TEST_STREAM_URN, type TestStreamSpec } from "../../lib/testing/test_stream";
import { READ_UNBOUNDED_URN } from "../../lib/io/read_unbounded";
import { InternalError } from "../../lib/model/errors";

/** A ParDo as the graph describes it. */
export type ParDoSpec = Extract<PrimitiveSpec, { kind: "pardo" }>;

/** A step an in-process driver executes as a whole. */
export type Unit =
  | { readonly kind: "testStream"; readonly node: TransformNode; readonly spec: TestStreamSpec; readonly output: PCollection<unknown> }
  | { readonly kind: "readUnbounded"; readonly node: TransformNode; readonly spec: ReadUnboundedSpec; readonly output: PCollection<unknown> }
  | { readonly kind: "impulse"; readonly node: TransformNode; readonly output: PCollection<unknown> }
  | { readonly kind: "pardo"; readonly node: TransformNode; readonly spec: ParDoSpec; readonly input: PCollection<unknown> }
  /** An element-wise primitive the executor runs (one input, one output). */
  | { readonly kind: "primitive"; readonly node: TransformNode; readonly spec: StepSpec; readonly input: PCollection<unknown>; readonly output: PCollection<unknown> }
  | { readonly kind: "gbk"; readonly node: TransformNode; readonly input: PCollection<unknown>; readonly output: PCollection<unknown> }
  | { readonly kind: "reshuffle"; readonly node: TransformNode; readonly input: PCollection<unknown>; readonly output: PCollection<unknown> }
  | { readonly kind: "combine"; readonly node: TransformNode; readonly combineFn: CombineFnLike; readonly input: PCollection<unknown>; readonly output: PCollection<unknown> }
  | { readonly kind: "flatten"; readonly node: TransformNode; readonly inputs: readonly PCollection<unknown>[]; readonly output: PCollection<unknown> };

/** A GroupByKey or lifted combine. */
export type GroupingUnit = Extract<Unit, { kind: "gbk" | "combine" }>;

/** The units of a pipeline in application (topological) order. */
export function collectUnits(pipeline: Pipeline): Unit[] {
  const units: Unit[] = [];
  const visit = (node: TransformNode): void => {
    const c = node.composite;
    if (c !== undefined) {
      switch (c.urn) {
        case TEST_STREAM_URN:
          return void units.push({ kind: "testStream", node, spec: c, output: node.mainOutput() });
        case READ_UNBOUNDED_URN:
          return void units.push({ kind: "readUnbounded", node, spec: c, output: node.mainOutput() });
        case "beam:transform:combine_per_key:v1":
          return void units.push({ kind: "combine", node, combineFn: c.combineFn, input: node.inputs[0]!, output: node.mainOutput() });
        case "beam:transform:reshuffle:v1":
        case "beam:transform:redistribute_by_key:v1":
        case "beam:transform:redistribute_arbitrarily:v1":
          return void units.push({ kind: "reshuffle", node, input: node.inputs[0]!, output: node.mainOutput() });
      }
    }
    const p = node.primitive;
    if (p === undefined) {
      for (const child of node.children) visit(child);
      return;
    }
    switch (p.kind) {
      case "impulse":
        return void units.push({ kind: "impulse", node, output: node.mainOutput() });
      case "pardo":
        return void units.push({ kind: "pardo", node, spec: p, input: node.inputs[0]! });
      case "window_into":
        return void units.push({ kind: "primitive", node, spec: { kind: "window_into", windowFn: p.windowing.windowFn }, input: node.inputs[0]!, output: node.mainOutput() });
      case "gbk":
        return void units.push({ kind: "gbk", node, input: node.inputs[0]!, output: node.mainOutput() });
      case "flatten":
        return void units.push({ kind: "flatten", node, inputs: node.inputs, output: node.mainOutput() });
    }
  };
  for (const child of pipeline.root.children) visit(child);
  return units;
}

/**
 * Whether a pipeline needs the streaming driver: --streaming, any unbounded PCollection, or
 * merging windows (sessions), which only this driver merges.
 */
export function needsStreaming(pipeline: Pipeline): boolean {
  if (pipeline.options.streaming) return true;
  return pipeline.transforms().some(
    (n) =>
      // Stateful DoFns (state per key and window, timers) and merging windows live in this
      // driver; a bounded pipeline using them runs here too, to the end of its input.
      (n.primitive?.kind === "pardo" && isStatefulDoFn(n.primitive.doFn)) ||
      [...n.outputs.values()].some((pc) => !pc.isBounded || pc.windowing.windowFn.isMerging),
  );
}

/** The main inputs of a unit (side inputs excluded). */
export function inputsOf(unit: Unit): readonly PCollection<unknown>[] {
  switch (unit.kind) {
    case "testStream":
    case "readUnbounded":
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

/** The side inputs a unit reads (only ParDos read any). */
export function sideInputsOf(unit: Unit): readonly SideInput<unknown>[] {
  return unit.kind === "pardo" ? unit.spec.sideInputs : [];
}

/** The units reading each PCollection (by id) as a main input, in unit order. */
export function consumersOf(units: readonly Unit[]): Map<string, Unit[]> {
  const consumers = new Map<string, Unit[]>();
  for (const u of units) {
    for (const pc of inputsOf(u)) {
      let list = consumers.get(pc.id);
      if (list === undefined) consumers.set(pc.id, (list = []));
      list.push(u);
    }
  }
  return consumers;
}

/** What the executor runs for a unit. Flatten and Reshuffle pass elements on; groupings and sources are the driver's own. */
export function stepSpecOf(unit: Unit): StepSpec {
  switch (unit.kind) {
    case "pardo":
      return parDoStepSpec(unit.spec, unit.node.fullName, unit.input.windowing.allowedLatenessMillis);
    case "primitive":
      return unit.spec;
    case "flatten":
    case "reshuffle":
      return { kind: "identity" };
    default:
      return { kind: "driver" };
  }
}

/**
 * What the executor runs for a ParDo: an element-wise function called directly, a stateful DoFn
 * (`allowedLatenessMillis`: its input's), or a DoFn.
 */
export function parDoStepSpec(p: ParDoSpec, name: string, allowedLatenessMillis: number): StepSpec {
  if (p.elementwise !== undefined) return { kind: "elementwise", fn: p.elementwise };
  if (isStatefulDoFn(p.doFn)) return { kind: "stateful_pardo", doFn: p.doFn, sideInputs: p.sideInputs, outputTags: p.outputTags, allowedLatenessMillis };
  if (p.doFn === undefined) throw new InternalError(`ParDo '${name}' has neither a DoFn nor an element-wise function`);
  return { kind: "pardo", doFn: p.doFn, sideInputs: p.sideInputs, outputTags: p.outputTags, ...(p.inGlobalWindows !== undefined ? { inGlobalWindows: p.inGlobalWindows } : {}) };
}
