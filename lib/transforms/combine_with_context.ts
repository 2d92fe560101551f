/**
 * The unlifted form of a combine with side inputs (Beam Java's `Combine.GroupedValues` of a
 * `CombineFnWithContext`, Beam Python's `GroupByKey() | CombineValues(fn, *side_inputs)`): the
 * values of each key and window are grouped, then combined in a ParDo that reads the side inputs
 * in that window.
 *
 * Why not lifted: runners lift a `combine_per_key` composite into phases (pre-combine before the
 * shuffle, merge and extract after it) that run the CombineFn alone, without side inputs, both in
 * the DirectRunner and in the portable model (Beam's CombinePayload carries no side inputs). As
 * Beam Python does, a combine that declares side inputs is therefore built from a GroupByKey and
 * a ParDo, which every runner runs with its side inputs; the side inputs are read in the window
 * the values are grouped in (a merged session, for merging windows).
 */
import { withCombineLifecycle } from "../model/combine_lifecycle";
import type { CombineContext, CombineFnWithContext } from "../model/combine_fn";
import { combineAllWithContext } from "../model/combine_fn";
import { DoFn, ProcessContext, SideInputTypes } from "../model/dofn";
import { PipelineConstructionError } from "../model/errors";
import { SideInput, SideInputViews } from "../model/side_inputs";
import { KV, kv } from "../model/window";

/** Combines each grouped key's values with the CombineFn, giving it the side inputs of the group's window. */
export class CombineGroupsWithContext<K, In, Acc, Out, Sides extends SideInputTypes> extends DoFn<KV<K, Iterable<In>>, KV<K, Out>, {}, Sides> {
  constructor(private readonly fn: CombineFnWithContext<In, Acc, Out, Sides>) {
    super();
    this.fn = withCombineLifecycle(fn);
  }
  process(group: KV<K, Iterable<In>>, ctx: ProcessContext<KV<K, Out>, {}, Sides>): void {
    ctx.output(kv(group.key, combineAllWithContext(this.fn, group.value, contextOf(ctx))));
  }
}

/** The CombineContext of a ParDo's element: its side inputs (read in the element's window) and the run. */
export function contextOf<Sides extends SideInputTypes>(ctx: ProcessContext<unknown, {}, Sides>): CombineContext<Sides> {
  return { sideInputs: ctx.sideInputs, runtime: ctx.runtime };
}

/**
 * Checks the views a combine declares (a record of views by name), so a mistake fails where the
 * combine is applied rather than when a runner reads them.
 */
export function checkedCombineSideInputs<Sides>(views: SideInputViews<Sides> | undefined, what: string): SideInputViews<Sides> | undefined {
  if (views === undefined) return undefined;
  if (typeof views !== "object" || views === null || Array.isArray(views) || !Object.values(views).every((v) => v instanceof SideInput)) {
    throw new PipelineConstructionError(`${what}: sideInputs must be a record of views by name, e.g. { sideInputs: { threshold: AsSingleton(pc) } }`);
  }
  return views;
}
