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
 */
import type { CombineFn } from "../model/combine_fn";
import { PipelineConstructionError } from "../model/errors";

/** One aggregation of a composition. */
interface Part {
  readonly name: string;
  readonly extract: ((input: unknown) => unknown) | undefined;
  readonly fn: CombineFn<unknown, unknown, unknown>;
}

/** Flattens an intersection of records into one record type, for readable result types. */
type Simplify<T> = { [K in keyof T]: T[K] } & {};

/** A name not yet in `Taken` (a second use of a name does not compile, and fails at run time in JavaScript). */
type NewName<Name extends string, Taken> = Name extends keyof Taken ? never : Name;

/** A CombineFn of inputs In into a record of named results (Beam Java's ComposedCombineFn). */
export class ComposedCombineFn<In, Out extends object> implements CombineFn<In, unknown[], Out> {
  /** @internal Use CombineFns.compose(). */
  constructor(private readonly parts: readonly Part[]) {}

  /** Adds the aggregation `fn` of each input, its result under `name`. */
  with<Name extends string, A, O>(name: NewName<Name, Out>, fn: CombineFn<In, A, O>): ComposedCombineFn<In, Simplify<Out & { readonly [K in Name]: O }>>;
  /** Adds the aggregation `fn` of what `extract` takes from each input, its result under `name`. */
  with<Name extends string, X, A, O>(name: NewName<Name, Out>, extract: (input: In) => X, fn: CombineFn<X, A, O>): ComposedCombineFn<In, Simplify<Out & { readonly [K in Name]: O }>>;
  with(name: string, a: CombineFn<never, unknown, unknown> | ((input: In) => unknown), b?: CombineFn<never, unknown, unknown>): ComposedCombineFn<In, Out & Record<string, unknown>> {
    if (typeof name !== "string" || name === "") throw new PipelineConstructionError(`CombineFns.compose().with: a part needs a non-empty name, got ${String(name)}`);
    if (this.parts.some((p) => p.name === name)) {
      throw new PipelineConstructionError(
        `CombineFns.compose().with: the name '${name}' cannot be used, because it is already present in the composition (${this.parts.map((p) => p.name).join(", ")}); give each part its own name`,
      );
    }
    const extract = b === undefined ? undefined : (a as (input: unknown) => unknown);
    const fn = b ?? (a as CombineFn<unknown, unknown, unknown>);
    if (typeof fn?.createAccumulator !== "function" || (extract !== undefined && typeof extract !== "function")) {
      throw new PipelineConstructionError(`CombineFns.compose().with('${name}', ...): expected a CombineFn, or an extract function and a CombineFn`);
    }
    return new ComposedCombineFn<In, Out & Record<string, unknown>>([...this.parts, { name, extract, fn }]);
  }

  /** The names of the results, in the order they were added. */
  get names(): readonly string[] {
    return this.parts.map((p) => p.name);
  }

  createAccumulator(): unknown[] {
    return this.parts.map((p) => p.fn.createAccumulator());
  }

  addInput(acc: unknown[], input: In): unknown[] {
    const parts = this.parts;
    for (let i = 0; i < parts.length; i++) {
      const p = parts[i]!;
      acc[i] = p.fn.addInput(acc[i], p.extract === undefined ? input : p.extract(input));
    }
    return acc;
  }

  mergeAccumulators(accumulators: Iterable<unknown[]>): unknown[] {
    const all = [...accumulators];
    return this.parts.map((p, i) => p.fn.mergeAccumulators(all.map((a) => a[i])));
  }

  extractOutput(acc: unknown[]): Out {
    const out: Record<string, unknown> = {};
    this.parts.forEach((p, i) => {
      out[p.name] = p.fn.extractOutput(acc[i]);
    });
    return out as Out;
  }

  compact(acc: unknown[]): unknown[] {
    return this.parts.map((p, i) => (p.fn.compact !== undefined ? p.fn.compact(acc[i]) : acc[i]));
  }
}

/** Beam Java's CombineFns. */
export const CombineFns = {
  /** An empty composition of CombineFns over inputs In; add parts with `.with(name, [extract,] fn)`. */
  compose<In>(): ComposedCombineFn<In, {}> {
    return new ComposedCombineFn<In, {}>([]);
  },
};
