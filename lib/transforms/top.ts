/**
 * The Top transforms (Beam Python's `beam.combiners.Top`, Java's `Top`): the n largest or smallest
 * elements, globally (per window) or per key, as an array in order, largest (or, reversed,
 * smallest) first. Elements are ordered naturally (`<`), by a key function (Python's `key=`), or
 * by a comparator; each is a `Combine` of `Combiners.top`, so runners lift it.
 */
import { PipelineConstructionError } from "../model/errors";
import { PCollection } from "../model/pcollection";
import { PTransform } from "../model/transform";
import { KV } from "../model/window";
import { Combine, Combiners } from "./combine";

/** A value the natural order (`<`) ranks: what a Top key function returns. */
export type TopKey = number | string | bigint | boolean | Date;

/** How Top orders its elements: at most one of `key` and `compare`. */
export interface TopOrder<T> {
  /** Ranks each element by what this returns (Beam Python's `key=`), e.g. `(s) => s.length`. */
  readonly key?: (element: T) => TopKey;
  /** Ranks by a comparator (negative when `a` is smaller), as Beam Java's `Top.of(n, comparator)`. */
  readonly compare?: (a: T, b: T) => number;
  /** Keeps the smallest instead, smallest first (Beam Python's `reverse=True`). */
  readonly reverse?: boolean;
}

/** Options of the global Top transforms. */
export interface TopGloballyOptions<T> extends TopOrder<T> {
  /** Empty windows give nothing instead of `[]` (Python's `has_defaults=False`); needed over non-global windows. */
  readonly withoutDefaults?: boolean;
}

function naturalCompare(a: TopKey, b: TopKey): number {
  return a < b ? -1 : b < a ? 1 : 0;
}

/** The comparator `order` describes, largest last; checks the count and the options. */
function comparatorOf<T>(name: string, n: number, order: TopOrder<T>): (a: T, b: T) => number {
  // 0 is allowed, as in Beam (Java's TopCombineFn checks count >= 0; Python's takes any n): each
  // window's (or key's) output is then an empty list.
  if (!(Number.isInteger(n) && n >= 0)) throw new PipelineConstructionError(`${name} needs an integer count of elements to keep, 0 or more; got ${n}`);
  if (order.key !== undefined && order.compare !== undefined) {
    throw new PipelineConstructionError(`${name} was given both a key and a compare function; pass one (a key ranks by its value, compare by itself)`);
  }
  const key = order.key;
  const compare = order.compare ?? (key !== undefined ? (a: T, b: T) => naturalCompare(key(a), key(b)) : (a: T, b: T) => naturalCompare(a as TopKey, b as TopKey));
  return order.reverse === true ? (a, b) => compare(b, a) : compare;
}

/** The n largest (or smallest) elements of each window, as one array. Made by `Top.of` / `largest` / `smallest`. */
export class TopGlobally<T> extends PTransform<PCollection<T>, PCollection<T[]>> {
  /** @internal Use Top.of, Top.largest or Top.smallest. */
  constructor(
    private readonly n: number,
    private readonly options: TopGloballyOptions<T>,
  ) {
    super("Top");
    comparatorOf("Top", n, options);
  }
  expand(input: PCollection<T>): PCollection<T[]> {
    const fn = Combiners.top<T>(this.n, comparatorOf("Top", this.n, this.options));
    return input.apply("CombineGlobally", Combine.globally(fn, { withoutDefaults: this.options.withoutDefaults === true }));
  }
}

/** The n largest (or smallest) values of each key, as an array. Made by `Top.perKey` / `largestPerKey` / `smallestPerKey`. */
export class TopPerKey<K, V> extends PTransform<PCollection<KV<K, V>>, PCollection<KV<K, V[]>>> {
  /** @internal Use Top.perKey, Top.largestPerKey or Top.smallestPerKey. */
  constructor(
    private readonly n: number,
    private readonly order: TopOrder<V>,
  ) {
    super("TopPerKey");
    comparatorOf("TopPerKey", n, order);
  }
  expand(input: PCollection<KV<K, V>>): PCollection<KV<K, V[]>> {
    return input.apply("CombinePerKey", Combine.perKey(Combiners.top<V>(this.n, comparatorOf("TopPerKey", this.n, this.order))));
  }
}

/**
 * The n largest or smallest elements (Beam Python's `Top.Of`, `Largest`, `Smallest`, `PerKey`,
 * `LargestPerKey`, `SmallestPerKey`). Types come from where a transform is applied:
 *
 * ```ts
 * words.apply(Top.of(3, { key: (w) => w.length }));        // the 3 longest words, longest first
 * nums.apply(Top.smallest(4));                              // [0, 1, 1, 1]
 * pairs.apply(Top.largestPerKey(2));                        // KV<K, V[]>
 * ```
 */
export const Top = {
  /** The n largest elements (the smallest with `reverse: true`), by natural order, `key` or `compare`. */
  of<T>(n: number, options: TopGloballyOptions<T> = {}): TopGlobally<T> {
    return new TopGlobally<T>(n, options);
  },
  /** The n largest elements, largest first. */
  largest<T>(n: number, options: Omit<TopGloballyOptions<T>, "reverse"> = {}): TopGlobally<T> {
    return new TopGlobally<T>(n, { ...options, reverse: false });
  },
  /** The n smallest elements, smallest first. */
  smallest<T>(n: number, options: Omit<TopGloballyOptions<T>, "reverse"> = {}): TopGlobally<T> {
    return new TopGlobally<T>(n, { ...options, reverse: true });
  },
  /** Each key's n largest values (the smallest with `reverse: true`). */
  perKey<K, V>(n: number, order: TopOrder<V> = {}): TopPerKey<K, V> {
    return new TopPerKey<K, V>(n, order);
  },
  /** Each key's n largest values, largest first. */
  largestPerKey<K, V>(n: number, order: Omit<TopOrder<V>, "reverse"> = {}): TopPerKey<K, V> {
    return new TopPerKey<K, V>(n, { ...order, reverse: false });
  },
  /** Each key's n smallest values, smallest first. */
  smallestPerKey<K, V>(n: number, order: Omit<TopOrder<V>, "reverse"> = {}): TopPerKey<K, V> {
    return new TopPerKey<K, V>(n, { ...order, reverse: true });
  },
};
