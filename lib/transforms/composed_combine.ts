/**
 * Composed CombineFns (Beam Java's `CombineFns.compose()`): several aggregations of the same
 * input in one pass, each result under its own name.
 *
 * ```ts
 * const stats = CombineFns.compose<Order>()
 *   .with("orders", Combiners.count())
 *   .with("revenue", (o) => o.amount, Combiners.sum())
 *   .with("largest", (o) => o.amount, Combiners.max());
 * orders.apply(Combine.globally(stats));        // PCollection<{ orders: number; revenue: number; largest: number | undefined }>
 * byCustomer.apply(Combine.perKey(stats));      // KV<customer, { orders, revenue, largest }>
 * ```
 *
 * Each part may first extract what it combines from the input (Java's `with(extractFn, combineFn,
 * tag)`); a name may appear once. The accumulator holds one accumulator per part, so combiner
 * lifting, merging in any order and accumulating panes work as for each part alone.
 *
 * A part may be a CombineFnWithContext (Beam Java's `CombineFns.compose().with(extractFn,
 * combineFnWithContext, tag)`): the composition then reads side inputs too, typed as the union of
 * its parts', and must be applied with them, `Combine.perKey(stats, { sideInputs: { ... } })`;
 * each part's methods get the combine's context.
 */
import { withCombineLifecycle } from "../model/combine_lifecycle";
import type { CombineContext, CombineFn, CombineFnWithContext } from "../model/combine_fn";
import type { SideInputTypes } from "../model/dofn";
import { PipelineConstructionError } from "../model/errors";

/** One aggregation of a composition. */
interface Part {
  readonly name: string;
  readonly extract: ((input: unknown) => unknown) | undefined;
  readonly fn: CombineFnWithContext<unknown, unknown, unknown, object>;
}

/**
 * The context argument of a composition's methods: optional while no part reads side inputs (so a
 * plain composition is a plain CombineFn), required once one does.
 */
type ContextArg<Sides extends SideInputTypes> = {} extends Sides ? [ctx?: CombineContext<Sides>] : [ctx: CombineContext<Sides>];

/** Flattens an intersection of records into one record type, for readable result types. */
type Simplify<T> = { [K in keyof T]: T[K] } & {};

/** A name not yet in `Taken` (a second use of a name does not compile, and fails at run time in JavaScript). */
type NewName<Name extends string, Taken> = Name extends keyof Taken ? never : Name;

/**
 * A CombineFn of inputs In into a record of named results (Beam Java's ComposedCombineFn); with
 * parts that read side inputs `Sides`, a CombineFnWithContext.
 */
export class ComposedCombineFn<In, Out extends object, Sides extends SideInputTypes = {}> implements CombineFnWithContext<In, unknown[], Out, Sides> {
  /** @internal Use CombineFns.compose(). */
  constructor(private readonly parts: readonly Part[]) {}

  /** Adds the aggregation `fn` of each input, its result under `name`. */
  with<Name extends string, A, O>(name: NewName<Name, Out>, fn: CombineFn<In, A, O>): ComposedCombineFn<In, Simplify<Out & { readonly [K in Name]: O }>, Sides>;
  /** Adds the aggregation `fn` of each input, reading side inputs `S`, its result under `name`. */
  with<Name extends string, A, O, S extends SideInputTypes>(name: NewName<Name, Out>, fn: CombineFnWithContext<In, A, O, S>): ComposedCombineFn<In, Simplify<Out & { readonly [K in Name]: O }>, Simplify<Sides & S>>;
  /** Adds the aggregation `fn` of what `extract` takes from each input, its result under `name`. */
  with<Name extends string, X, A, O>(name: NewName<Name, Out>, extract: (input: In) => X, fn: CombineFn<X, A, O>): ComposedCombineFn<In, Simplify<Out & { readonly [K in Name]: O }>, Sides>;
  /** Adds the aggregation `fn`, reading side inputs `S`, of what `extract` takes from each input, its result under `name`. */
  with<Name extends string, X, A, O, S extends SideInputTypes>(
    name: NewName<Name, Out>,
    extract: (input: In) => X,
    fn: CombineFnWithContext<X, A, O, S>,
  ): ComposedCombineFn<In, Simplify<Out & { readonly [K in Name]: O }>, Simplify<Sides & S>>;
  with(
    name: string,
    a: CombineFnWithContext<never, unknown, unknown, never> | ((input: In) => unknown),
    b?: CombineFnWithContext<never, unknown, unknown, never>,
  ): ComposedCombineFn<In, Out & Record<string, unknown>, Sides> {
    if (typeof name !== "string" || name === "") throw new PipelineConstructionError(`CombineFns.compose().with: a part needs a non-empty name, got ${String(name)}`);
    if (this.parts.some((p) => p.name === name)) {
      throw new PipelineConstructionError(
        `CombineFns.compose().with: the name '${name}' cannot be used, because it is already present in the composition (${this.parts.map((p) => p.name).join(", ")}); give each part its own name`,
      );
    }
    const extract = b === undefined ? undefined : (a as (input: unknown) => unknown);
    const fn = b ?? (a as CombineFnWithContext<unknown, unknown, unknown, object>);
    if (typeof fn?.createAccumulator !== "function" || (extract !== undefined && typeof extract !== "function")) {
      throw new PipelineConstructionError(`CombineFns.compose().with('${name}', ...): expected a CombineFn, or an extract function and a CombineFn`);
    }
    return new ComposedCombineFn<In, Out & Record<string, unknown>, Sides>([...this.parts, { name, extract, fn: withCombineLifecycle(fn as CombineFnWithContext<unknown, unknown, unknown, object>) }]);
  }

  /** The names of the results, in the order they were added. */
  get names(): readonly string[] {
    return this.parts.map((p) => p.name);
  }

  // Each method passes its context (undefined for a composition applied without side inputs) on
  // to every part: a plain CombineFn ignores it.
  createAccumulator(...[ctx]: ContextArg<Sides>): unknown[] {
    return this.parts.map((p) => p.fn.createAccumulator(ctx as CombineContext<object>));
  }

  addInput(acc: unknown[], input: In, ...[ctx]: ContextArg<Sides>): unknown[] {
    const parts = this.parts;
    for (let i = 0; i < parts.length; i++) {
      const p = parts[i]!;
      acc[i] = p.fn.addInput(acc[i], p.extract === undefined ? input : p.extract(input), ctx as CombineContext<object>);
    }
    return acc;
  }

  mergeAccumulators(accumulators: Iterable<unknown[]>, ...[ctx]: ContextArg<Sides>): unknown[] {
    const all = [...accumulators];
    return this.parts.map((p, i) => p.fn.mergeAccumulators(all.map((a) => a[i]), ctx as CombineContext<object>));
  }

  extractOutput(acc: unknown[], ...[ctx]: ContextArg<Sides>): Out {
    const out: Record<string, unknown> = {};
    this.parts.forEach((p, i) => {
      out[p.name] = p.fn.extractOutput(acc[i], ctx as CombineContext<object>);
    });
    return out as Out;
  }

  compact(acc: unknown[], ...[ctx]: ContextArg<Sides>): unknown[] {
    return this.parts.map((p, i) => (p.fn.compact !== undefined ? p.fn.compact(acc[i], ctx as CombineContext<object>) : acc[i]));
  }
}

/** Beam Java's CombineFns. */
export const CombineFns = {
  /** An empty composition of CombineFns over inputs In; add parts with `.with(name, [extract,] fn)`. */
  compose<In>(): ComposedCombineFn<In, {}> {
    return new ComposedCombineFn<In, {}>([]);
  },
};
