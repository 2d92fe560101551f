/**
 * CombineFn: an associative, commutative aggregation with an accumulator, so runners can
 * combine partially before the shuffle (combiner lifting) and merge partial results after it.
 */
import type { RuntimeContext, SideInputTypes } from "./dofn";

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
  /**
   * Optionally prepares the instance (opens a client, loads a model): called once on it, in each
   * process that uses it, before any other method (Beam Python's `CombineFn.setup`). A setup that
   * throws fails the combine's step.
   */
  setup?(): void;
  /**
   * Optionally releases what setup acquired: the instance's last call, once the runs of the
   * process using it end (best effort, as in Beam: it may not be called if the process dies).
   */
  teardown?(): void;
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

/**
 * What a CombineFnWithContext's methods are given (Beam Java's `CombineWithContext.Context`): the
 * side inputs the combine declared, by name, as seen from the window being combined, and the run.
 */
export interface CombineContext<Sides extends SideInputTypes = {}> {
  /**
   * The side inputs declared in `Combine.perKey(fn, { sideInputs: { name: view } })` (or
   * `Combine.globally`), by name, as seen from the window of the values being combined.
   */
  readonly sideInputs: Readonly<Sides>;
  /** The run's options, id and this step's name. */
  readonly runtime: RuntimeContext;
}

/**
 * A CombineFn whose methods also get a context with the combine's side inputs (Beam Java's
 * `CombineFnWithContext`, Python's extra arguments to a CombineFn): a combine declares the views
 * by name and each method reads them typed from `ctx.sideInputs`, as a ParDo's DoFn does.
 *
 * ```ts
 * const threshold = AsSingleton(thresholds);
 * const countAbove: CombineFnWithContext<number, number, number, { threshold: number }> = {
 *   createAccumulator: () => 0,
 *   addInput: (n, x, ctx) => (x > ctx.sideInputs.threshold ? n + 1 : n),
 *   mergeAccumulators: (accs) => [...accs].reduce((a, b) => a + b, 0),
 *   extractOutput: (n) => n,
 * };
 * pairs.apply(Combine.perKey(countAbove, { sideInputs: { threshold } }));
 * ```
 *
 * A plain CombineFn is one too (it ignores the context). A combine with side inputs runs as a
 * GroupByKey and a ParDo that reads them (see `Combine.perKey`), not lifted.
 */
export interface CombineFnWithContext<In, Acc, Out, Sides extends SideInputTypes = {}> {
  /** A new, empty accumulator. */
  createAccumulator(ctx: CombineContext<Sides>): Acc;
  /** Adds one input; may mutate and return `acc`. */
  addInput(acc: Acc, input: In, ctx: CombineContext<Sides>): Acc;
  /** Merges accumulators; may mutate and return the first one. */
  mergeAccumulators(accumulators: Iterable<Acc>, ctx: CombineContext<Sides>): Acc;
  /** The result of a (merged) accumulator. */
  extractOutput(acc: Acc, ctx: CombineContext<Sides>): Out;
  /** Optionally shrinks an accumulator before it is shuffled. */
  compact?(acc: Acc, ctx: CombineContext<Sides>): Acc;
  /** Optionally prepares the instance: called once on it, before any other method (see CombineFn.setup). */
  setup?(): void;
  /** Optionally releases what setup acquired: the instance's last call, best effort (see CombineFn.teardown). */
  teardown?(): void;
}

/** Runs a CombineFnWithContext over all values at once (as Beam Java's `CombineFnWithContext.apply`). */
export function combineAllWithContext<In, Acc, Out, Sides extends SideInputTypes>(fn: CombineFnWithContext<In, Acc, Out, Sides>, values: Iterable<In>, ctx: CombineContext<Sides>): Out {
  let acc = fn.createAccumulator(ctx);
  for (const v of values) acc = fn.addInput(acc, v, ctx);
  return fn.extractOutput(acc, ctx);
}
