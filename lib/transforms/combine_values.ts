/**
 * CombineValues (Beam Python's `beam.CombineValues(fn)`): combines the already-grouped values of
 * each element, KV<K, Iterable<In>> → KV<K, Out>, e.g. right after a GroupByKey or a CoGroupByKey
 * whose tag was picked out. It is an element-wise step (no shuffle): each element's values are
 * combined on their own, so two elements with the same key give two outputs, as in Beam.
 */
import type { CombineFn } from "../model/combine_fn";
import { PCollection } from "../model/pcollection";
import { PTransform } from "../model/transform";
import { KV, kv } from "../model/window";

/** Combines each element's values with a CombineFn. Made by `CombineValues.of(fn)`. */
export class CombineValues<K, In, Acc, Out> extends PTransform<PCollection<KV<K, Iterable<In>>>, PCollection<KV<K, Out>>> {
  private constructor(
    /** The aggregation applied to each element's values. */
    readonly combineFn: CombineFn<In, Acc, Out>,
  ) {
    super("CombineValues");
  }

  /**
   * `grouped.apply(CombineValues.of(Combiners.sum()))`: KV<K, Iterable<In>> → KV<K, Out>, the key
   * type coming from where it is applied. An element with no values gives the combine of nothing.
   */
  static of<K, In, Acc, Out>(fn: CombineFn<In, Acc, Out>): CombineValues<K, In, Acc, Out> {
    return new CombineValues<K, In, Acc, Out>(fn);
  }

  expand(input: PCollection<KV<K, Iterable<In>>>): PCollection<KV<K, Out>> {
    const fn = this.combineFn;
    return input.map("Combine", (e: KV<K, Iterable<In>>) => {
      // As Beam Python's CombineValuesDoFn: one accumulator per element, its values added in turn.
      let acc = fn.createAccumulator();
      for (const v of e.value) acc = fn.addInput(acc, v);
      return kv(e.key, fn.extractOutput(acc));
    });
  }
}
