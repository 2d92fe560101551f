/**
 * CombineValues (Beam Python's `beam.CombineValues(fn)`, Beam Java's `Combine.groupedValues`):
 * combines the already-grouped values of each element, KV<K, Iterable<In>> → KV<K, Out>, e.g.
 * right after a GroupByKey or a CoGroupByKey whose tag was picked out. It is an element-wise step
 * (no shuffle): each element's values are combined on their own, so two elements with the same
 * key give two outputs, as in Beam. With side inputs (Java's `GroupedValues.withSideInputs`), a
 * CombineFnWithContext reads them in each element's window.
 */
import { withCombineLifecycle } from "../model/combine_lifecycle";
import type { CombineFn, CombineFnWithContext } from "../model/combine_fn";
import type { SideInputTypes } from "../model/dofn";
import { ParDo } from "../model/pardo";
import { PCollection } from "../model/pcollection";
import type { SideInputViews } from "../model/side_inputs";
import { PTransform } from "../model/transform";
import { KV, kv } from "../model/window";
import type { CombineSideInputOptions } from "./combine";
import { checkedCombineSideInputs, CombineGroupsWithContext } from "./combine_with_context";

/** Combines each element's values with a CombineFn. Made by `CombineValues.of(fn)`. */
export class CombineValues<K, In, Acc, Out, Sides extends SideInputTypes = {}> extends PTransform<PCollection<KV<K, Iterable<In>>>, PCollection<KV<K, Out>>> {
  private constructor(
    /** The aggregation applied to each element's values. */
    readonly combineFn: CombineFnWithContext<In, Acc, Out, Sides>,
    /** The side inputs it reads, by name (`CombineValues.of(fn, { sideInputs })`). */
    readonly sideInputs: SideInputViews<Sides> | undefined,
  ) {
    super("CombineValues");
    this.combineFn = withCombineLifecycle(combineFn);
    checkedCombineSideInputs(sideInputs, "CombineValues.of");
  }

  /**
   * `grouped.apply(CombineValues.of(Combiners.sum()))`: KV<K, Iterable<In>> → KV<K, Out>, the key
   * type coming from where it is applied. An element with no values gives the combine of nothing.
   * With `{ sideInputs: { name: view } }`, a CombineFnWithContext reads them as `ctx.sideInputs.name`.
   */
  static of<K, In, Acc, Out>(fn: CombineFn<In, Acc, Out>): CombineValues<K, In, Acc, Out>;
  static of<K, In, Acc, Out, Sides extends SideInputTypes>(fn: CombineFnWithContext<In, Acc, Out, Sides>, options: CombineSideInputOptions<Sides>): CombineValues<K, In, Acc, Out, Sides>;
  static of<K, In, Acc, Out, Sides extends SideInputTypes>(fn: CombineFnWithContext<In, Acc, Out, Sides>, options?: CombineSideInputOptions<Sides>): CombineValues<K, In, Acc, Out, Sides> {
    return new CombineValues<K, In, Acc, Out, Sides>(fn, options?.sideInputs);
  }

  expand(input: PCollection<KV<K, Iterable<In>>>): PCollection<KV<K, Out>> {
    const fn = this.combineFn;
    if (this.sideInputs !== undefined) {
      const combine = ParDo.of(new CombineGroupsWithContext<K, In, Acc, Out, Sides>(fn), { sideInputs: this.sideInputs } as never);
      return input.apply("Combine", combine as unknown as PTransform<PCollection<KV<K, Iterable<In>>>, PCollection<KV<K, Out>>>);
    }
    const plain = fn as unknown as CombineFn<In, Acc, Out>;
    return input.map("Combine", (e: KV<K, Iterable<In>>) => {
      // As Beam Python's CombineValuesDoFn: one accumulator per element, its values added in turn.
      let acc = plain.createAccumulator();
      for (const v of e.value) acc = plain.addInput(acc, v);
      return kv(e.key, plain.extractOutput(acc));
    });
  }
}
