/**
 * CombineFn: an associative, commutative aggregation with an accumulator, so runners can
 * combine partially before the shuffle (combiner lifting) and merge partial results after it.
 */

/**
 * Aggregates inputs of type In into an output of type Out through accumulators of type Acc, for
 * `Combine.perKey`, `Combine.globally` and combining state. It must be associative and
 * commutative: runners add inputs to several accumulators and merge them in any order.
 *
 * ```ts
 * const average: CombineFn<number, { sum: number; count: number }, number> = {
 *   createAccumulator: () => ({ sum: 0, count: 0 }),
 *   addInput: (a, x) => ({ sum: a.sum + x, count: a.count + 1 }),
 *   mergeAccumulators: (accs) => [...accs].reduce((a, b) => ({ sum: a.sum + b.sum, count: a.count + b.count }), { sum: 0, count: 0 }),
 *   extractOutput: (a) => a.sum / a.count,
 * };
 * ```
 */
export interface CombineFn<In, Acc, Out> {
  /** A new, empty accumulator (plain data: accumulators cross workers encoded with the default coder). */
  createAccumulator(): Acc;
  /** Adds one input; may mutate and return `acc`. */
  addInput(acc: Acc, input: In): Acc;
  /** Merges accumulators; may mutate and return the first one. */
  mergeAccumulators(accumulators: Iterable<Acc>): Acc;
  /**
   * The result of a (merged) accumulator; may return or change `acc` (a runner that keeps adding
   * to an accumulator, for accumulating panes or combining state, extracts from a copy).
   */
  extractOutput(acc: Acc): Out;
  /** Optionally shrinks an accumulator before it is shuffled. */
  compact?(acc: Acc): Acc;
}

/** @internal A CombineFn with its types erased, as stored in the graph. */
export type CombineFnLike = CombineFn<unknown, unknown, unknown>;

/**
 * @internal The output of an accumulator its holder goes on adding to (an accumulating pane,
 * combining state), extracted from a copy: extractOutput may return or change its accumulator
 * (Combiners.toList returns it), and an output must not change after it is emitted. Merging into
 * a fresh accumulator copies it under the CombineFn contract (only the first may be mutated), as
 * Beam Java's InMemoryCombiningState.read does.
 */
export function extractOutputOfKept(fn: CombineFnLike, accumulator: unknown): unknown {
  return fn.extractOutput(fn.mergeAccumulators([fn.createAccumulator(), accumulator]));
}
