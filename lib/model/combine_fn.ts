/**
 * CombineFn: an associative, commutative aggregation with an accumulator, so runners can
 * combine partially before the shuffle (combiner lifting) and merge partial results after it.
 */

/** Aggregates inputs of type In into an output of type Out through accumulators of type Acc. */
export interface CombineFn<In, Acc, Out> {
  createAccumulator(): Acc;
  /** Adds one input; may mutate and return `acc`. */
  addInput(acc: Acc, input: In): Acc;
  /** Merges accumulators; may mutate and return the first one. */
  mergeAccumulators(accumulators: Iterable<Acc>): Acc;
  extractOutput(acc: Acc): Out;
  /** Optionally shrinks an accumulator before it is shuffled. */
  compact?(acc: Acc): Acc;
}

/** @internal A CombineFn with its types erased, as stored in the graph. */
export type CombineFnLike = CombineFn<unknown, unknown, unknown>;
