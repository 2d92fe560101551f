/**
 * Beam Java's shorthand combines `Mean`, `Sum`, `Min` and `Max` (`Mean.globally()`,
 * `Sum.perKey()`, `Min.globally(comparator)`, ...; Beam Python's `beam.combiners.Mean.Globally()`,
 * `Mean.PerKey()`): each is `Combine.globally` / `Combine.perKey` of the matching CombineFn in
 * `Combiners`, so it is lifted like any combine, and `withFanout` / `withHotKeyFanout` apply.
 * Each has a label of its own ("MeanGlobally", "SumPerKey", ...), so several can be applied
 * unlabelled in one scope.
 */
import type { CombineFn } from "../model/combine_fn";
import { binaryCombineFn, CombineGlobally, CombinePerKey, Combiners } from "./combine";

/** Options of the global shorthand combines. */
export interface GloballyOptions {
  /**
   * Over windows other than the global one: empty windows give nothing, instead of the combine of
   * nothing (Beam's `withoutDefaults()`); required there, as for `Combine.globally`.
   */
  readonly withoutDefaults?: boolean;
}

/** The accumulator of Mean: the sum and count of the inputs so far. */
export interface MeanAccumulator {
  /** Sum of the inputs. */
  sum: number;
  /** Number of inputs. */
  count: number;
}

/** The accumulator of Min and Max: the best value so far, if any. */
export interface ExtremumAccumulator<T> {
  /** The best value so far. */
  v?: T;
  /** Whether there was any input. */
  has: boolean;
}

/** A min or max fn for per-key use: a key's group is never empty, so its result is always a value. */
function ofNonEmpty<T>(fn: CombineFn<T, ExtremumAccumulator<T>, T | undefined>): CombineFn<T, ExtremumAccumulator<T>, T> {
  return fn as CombineFn<T, ExtremumAccumulator<T>, T>;
}

/** The arithmetic mean of numbers (Beam Java's `Mean`, Python's `beam.combiners.Mean`). */
export const Mean = {
  /** The CombineFn (Java's `Mean.of()`, Python's `MeanCombineFn`): NaN for no inputs. */
  of: (): CombineFn<number, MeanAccumulator, number> => Combiners.mean(),
  /** The mean of all elements, per window; an empty global window gives NaN, as Beam's. */
  globally(options: GloballyOptions = {}): CombineGlobally<number, MeanAccumulator, number> {
    return new CombineGlobally(Mean.of(), options.withoutDefaults !== true, undefined, 0, "MeanGlobally");
  },
  /** The mean of each key's values, per window: `KV<K, number>` → `KV<K, number>`. */
  perKey<K>(): CombinePerKey<K, number, MeanAccumulator, number> {
    return new CombinePerKey<K, number, MeanAccumulator, number>(Mean.of(), undefined, "MeanPerKey");
  },
};

/** The sum of numbers (Beam Java's `Sum.integersGlobally()`, `doublesPerKey()`, ...). */
export const Sum = {
  /** The CombineFn (Java's `Sum.ofDoubles()`): 0 for no inputs. */
  of: (): CombineFn<number, number, number> => Combiners.sum(),
  /** The sum of all elements, per window; an empty global window gives 0, as Java's. */
  globally(options: GloballyOptions = {}): CombineGlobally<number, number, number> {
    return new CombineGlobally(Sum.of(), options.withoutDefaults !== true, undefined, 0, "SumGlobally");
  },
  /** The sum of each key's values, per window: `KV<K, number>` → `KV<K, number>`. */
  perKey<K>(): CombinePerKey<K, number, number, number> {
    return new CombinePerKey<K, number, number, number>(Sum.of(), undefined, "SumPerKey");
  },
  /**
   * The CombineFn of bigints (Java's `Sum.ofLongs()`, exact where a sum of numbers rounds past
   * 2^53): 0n for no inputs.
   */
  ofBigInts: (): CombineFn<bigint, bigint, bigint> => binaryCombineFn((a: bigint, b: bigint) => a + b, () => 0n),
  /** The sum of all bigint elements, per window (Java's `Sum.longsGlobally()`); an empty global window gives 0n. */
  bigIntsGlobally(options: GloballyOptions = {}): CombineGlobally<bigint, bigint, bigint> {
    return new CombineGlobally(Sum.ofBigInts(), options.withoutDefaults !== true, undefined, 0, "SumGlobally");
  },
  /** The sum of each key's bigint values, per window (Java's `Sum.longsPerKey()`): `KV<K, bigint>` → `KV<K, bigint>`. */
  bigIntsPerKey<K>(): CombinePerKey<K, bigint, bigint, bigint> {
    return new CombinePerKey<K, bigint, bigint, bigint>(Sum.ofBigInts(), undefined, "SumPerKey");
  },
};

/**
 * The smallest element (Beam Java's `Min`): by `<` (numbers, strings, bigints, Dates), or by a
 * comparator, `Min.globally((a, b) => a.length - b.length)`. Of equal elements, any one.
 */
export const Min = {
  /** The CombineFn (Java's `Min.naturalOrder()` / `Min.of(comparator)`): undefined for no inputs. */
  of: <T = number>(compare?: (a: T, b: T) => number): CombineFn<T, ExtremumAccumulator<T>, T | undefined> => Combiners.min<T>(compare),
  /**
   * The smallest element, per window, by `compare` if given. An empty global window gives
   * undefined (Java's `Min.globally()` gives null; its `doublesGlobally()` gives +Infinity).
   * Options come last, or alone: `Min.globally({ withoutDefaults: true })`.
   */
  globally<T = number>(compare?: ((a: T, b: T) => number) | GloballyOptions, options: GloballyOptions = {}): CombineGlobally<T, ExtremumAccumulator<T>, T | undefined> {
    const [fn, opts] = typeof compare === "function" || compare === undefined ? [compare, options] : [undefined, compare];
    return new CombineGlobally(Min.of<T>(fn), opts.withoutDefaults !== true, undefined, 0, "MinGlobally");
  },
  /** The smallest of each key's values, per window: `KV<K, V>` → `KV<K, V>`. */
  perKey<K, V = number>(compare?: (a: V, b: V) => number): CombinePerKey<K, V, ExtremumAccumulator<V>, V> {
    return new CombinePerKey<K, V, ExtremumAccumulator<V>, V>(ofNonEmpty(Min.of<V>(compare)), undefined, "MinPerKey");
  },
};

/** The largest element (Beam Java's `Max`), as `Min` with the order reversed. */
export const Max = {
  /** The CombineFn (Java's `Max.naturalOrder()` / `Max.of(comparator)`): undefined for no inputs. */
  of: <T = number>(compare?: (a: T, b: T) => number): CombineFn<T, ExtremumAccumulator<T>, T | undefined> => Combiners.max<T>(compare),
  /**
   * The largest element, per window, by `compare` if given. An empty global window gives
   * undefined (Java's `Max.globally()` gives null; its `doublesGlobally()` gives -Infinity).
   * Options come last, or alone: `Max.globally({ withoutDefaults: true })`.
   */
  globally<T = number>(compare?: ((a: T, b: T) => number) | GloballyOptions, options: GloballyOptions = {}): CombineGlobally<T, ExtremumAccumulator<T>, T | undefined> {
    const [fn, opts] = typeof compare === "function" || compare === undefined ? [compare, options] : [undefined, compare];
    return new CombineGlobally(Max.of<T>(fn), opts.withoutDefaults !== true, undefined, 0, "MaxGlobally");
  },
  /** The largest of each key's values, per window: `KV<K, V>` → `KV<K, V>`. */
  perKey<K, V = number>(compare?: (a: V, b: V) => number): CombinePerKey<K, V, ExtremumAccumulator<V>, V> {
    return new CombinePerKey<K, V, ExtremumAccumulator<V>, V>(ofNonEmpty(Max.of<V>(compare)), undefined, "MaxPerKey");
  },
};
