/**
 * ApproximateQuantiles: the quantile boundaries of a collection (globally or per key) in bounded
 * memory, as Beam's `ApproximateQuantiles` (Java's and Python's; the summary is Python's,
 * quantile_summary.ts, which Java's matches except for which of tied elements comes out).
 * `numQuantiles` boundaries come out, the minimum and maximum included: 5 gives the minimum, the
 * quartiles and the maximum. Results are exact while the input fits in one buffer and within
 * `epsilon` of the true rank (default 1 / numQuantiles) otherwise.
 *
 * Beam Python's options: `key` and `reverse` order the values; `weighted` takes `[value, weight]`
 * inputs; `inputBatched` takes arrays of inputs (`[values, weights]` when weighted).
 *
 * The accumulator is plain data, so it crosses workers with the default coder and runners combine
 * it partially before the shuffle.
 */
import type { CombineFn } from "../model/combine_fn";
import { ValidationError } from "../model/errors";
import { PCollection } from "../model/pcollection";
import { PTransform } from "../model/transform";
import { KV } from "../model/window";
import { Combine } from "./combine";
import { type QuantileAccumulator, quantileBufferSizes, QuantileSummary } from "./quantile_summary";

export type { QuantileAccumulator, QuantileBuffer } from "./quantile_summary";
export { quantileBufferSizes } from "./quantile_summary";

/** Beam Java's default bound on the input size the buffers are sized for. */
export const DEFAULT_MAX_INPUT_SIZE = 1e9;

/** What `key` may map an element to: values with a natural order (arrays compare element by element, as Python's tuples). */
export type QuantileSortKey = number | bigint | string | readonly QuantileSortKey[];

/** Options of ApproximateQuantiles. */
export interface ApproximateQuantilesOptions<T> {
  /**
   * The order (negative: a before b). Default: numbers, bigints and strings in natural order, and
   * arrays of them element by element (as Python compares tuples).
   */
  readonly compare?: (a: T, b: T) => number;
  /** Orders elements by what this maps them to (Beam Python's `key`, as in `sorted`); not with `compare`. */
  readonly key?: (element: T) => QuantileSortKey;
  /** Largest first (Beam Python's `reverse`): the boundaries come out from the maximum down. */
  readonly reverse?: boolean;
  /** The rank error allowed, as a fraction of the input size (default 1 / numQuantiles). */
  readonly epsilon?: number;
  /** The largest input the buffers are sized for (default 1e9). */
  readonly maxInputSize?: number;
}

/** Natural order of numbers, bigints and strings, and of arrays of them element by element (Python's tuples); other values need a compare function. */
function naturalOrder<T>(a: T, b: T): number {
  const ta = typeof a;
  if ((ta === "number" || ta === "bigint" || ta === "string") && typeof b === ta) return a < b ? -1 : a > b ? 1 : 0;
  if (Array.isArray(a) && Array.isArray(b)) {
    for (let i = 0; i < a.length && i < b.length; i++) {
      const c = naturalOrder<unknown>(a[i], b[i]);
      if (c !== 0) return c;
    }
    return a.length - b.length;
  }
  throw new ValidationError(
    `ApproximateQuantiles compares ${JSON.stringify(a)} with ${JSON.stringify(b)} without a compare function: only numbers, bigints and strings have a natural order. ` +
      `Pass { compare: (a, b) => ... }`,
  );
}

/** The order `compare`, `key` and `reverse` give. */
function orderOf<T>(options: ApproximateQuantilesOptions<T>): (a: T, b: T) => number {
  if (options.compare !== undefined && options.key !== undefined) throw new ValidationError("ApproximateQuantiles: give either compare or key, not both");
  const { key } = options;
  const base = options.compare ?? (key !== undefined ? (a: T, b: T) => naturalOrder(key(a), key(b)) : naturalOrder);
  return options.reverse === true ? (a, b) => base(b, a) : base;
}

/** The CombineFn of ApproximateQuantiles: `numQuantiles` boundaries, minimum and maximum included. */
export function approximateQuantilesFn<T>(numQuantiles: number, options: ApproximateQuantilesOptions<T> = {}): CombineFn<T, QuantileAccumulator<T>, T[]> {
  return quantilesCombineFn<T>(numQuantiles, options) as CombineFn<T, QuantileAccumulator<T>, T[]>;
}

/** Beam Python's `weighted=True`: inputs are `[value, weight]`. */
export interface WeightedOption {
  /** Inputs are `[value, weight]` (or, batched, `[values, weights]`). */
  readonly weighted: true;
}
/** Beam Python's `input_batched=True`: each input is an array of inputs. */
export interface BatchedOption {
  /** Each input is an array of inputs, added as its elements. */
  readonly inputBatched: true;
}

/**
 * The CombineFn of `ApproximateQuantiles` with Beam Python's `weighted` and `inputBatched`: inputs
 * values, `[value, weight]`, arrays of values, or `[values, weights]`.
 */
export function quantilesCombineFn<T>(numQuantiles: number, options: ApproximateQuantilesOptions<T> & { readonly weighted?: boolean; readonly inputBatched?: boolean }): CombineFn<unknown, QuantileAccumulator<T>, T[]> {
  if (!(Number.isInteger(numQuantiles) && numQuantiles >= 2)) throw new ValidationError(`ApproximateQuantiles needs at least 2 quantiles (the minimum and the maximum), got ${String(numQuantiles)}`);
  const weighted = options.weighted === true;
  const batched = options.inputBatched === true;
  // Beam Python's default error bound: 1 / numQuantiles, and at most 1e-2 when weighted.
  const epsilon = options.epsilon ?? (weighted ? Math.min(1e-2, 1 / numQuantiles) : 1 / numQuantiles);
  const maxInputSize = options.maxInputSize ?? DEFAULT_MAX_INPUT_SIZE;
  if (!(epsilon > 0 && epsilon <= 1)) throw new ValidationError(`ApproximateQuantiles: epsilon must be in (0, 1], got ${String(epsilon)}`);
  if (!(Number.isInteger(maxInputSize) && maxInputSize >= 1)) throw new ValidationError(`ApproximateQuantiles: maxInputSize must be a positive integer, got ${String(maxInputSize)}`);
  const summary = new QuantileSummary<T>({
    compare: orderOf(options),
    tieByWeight: options.compare === undefined && options.key === undefined,
    reverse: options.reverse === true,
    weighted,
    ...quantileBufferSizes(epsilon, maxInputSize),
  });
  const what = `ApproximateQuantiles${weighted ? " (weighted)" : ""}${batched ? " (inputBatched)" : ""}`;
  const addInput = (acc: QuantileAccumulator<T>, input: unknown): QuantileAccumulator<T> => {
    if (!weighted && !batched) summary.add(acc, [input as T]);
    else if (!weighted) {
      if (!Array.isArray(input)) throw new ValidationError(`${what}: each input must be an array of elements, got ${JSON.stringify(input)}`);
      if (input.length > 0) summary.add(acc, input as T[]);
    } else if (!batched) {
      if (!Array.isArray(input) || input.length !== 2) throw new ValidationError(`${what}: each input must be [value, weight], got ${JSON.stringify(input)}`);
      summary.add(acc, [input[0] as T], [input[1] as number]);
    } else {
      const ok = Array.isArray(input) && input.length === 2 && Array.isArray(input[0]) && Array.isArray(input[1]) && input[0].length === input[1].length;
      if (!ok) throw new ValidationError(`${what}: each input must be [values, weights] of equal lengths, got ${JSON.stringify(input)}`);
      if ((input[0] as T[]).length > 0) summary.add(acc, input[0] as T[], input[1] as number[]);
    }
    return acc;
  };
  return {
    createAccumulator: () => summary.create(),
    addInput,
    mergeAccumulators: (accs) => summary.merge(accs),
    extractOutput: (acc) => summary.quantiles(acc, numQuantiles),
  };
}

/** Options without Python's weighted and inputBatched (the plain overloads). */
type PlainOptions<T> = ApproximateQuantilesOptions<T> & { readonly weighted?: false; readonly inputBatched?: false };

function globally<T>(numQuantiles: number, options: ApproximateQuantilesOptions<T> & WeightedOption & BatchedOption): PTransform<PCollection<readonly [readonly T[], readonly number[]]>, PCollection<T[]>>;
function globally<T>(numQuantiles: number, options: ApproximateQuantilesOptions<T> & WeightedOption & { readonly inputBatched?: false }): PTransform<PCollection<readonly [T, number]>, PCollection<T[]>>;
function globally<T>(numQuantiles: number, options: ApproximateQuantilesOptions<T> & BatchedOption & { readonly weighted?: false }): PTransform<PCollection<readonly T[]>, PCollection<T[]>>;
function globally<T>(numQuantiles: number, options?: PlainOptions<T>): PTransform<PCollection<T>, PCollection<T[]>>;
function globally<T>(numQuantiles: number, options: ApproximateQuantilesOptions<T> & { readonly weighted?: boolean; readonly inputBatched?: boolean } = {}): PTransform<PCollection<unknown>, PCollection<T[]>> {
  return Combine.globally(quantilesCombineFn<T>(numQuantiles, options));
}

function perKey<K, V>(numQuantiles: number, options: ApproximateQuantilesOptions<V> & WeightedOption & BatchedOption): PTransform<PCollection<KV<K, readonly [readonly V[], readonly number[]]>>, PCollection<KV<K, V[]>>>;
function perKey<K, V>(numQuantiles: number, options: ApproximateQuantilesOptions<V> & WeightedOption & { readonly inputBatched?: false }): PTransform<PCollection<KV<K, readonly [V, number]>>, PCollection<KV<K, V[]>>>;
function perKey<K, V>(numQuantiles: number, options: ApproximateQuantilesOptions<V> & BatchedOption & { readonly weighted?: false }): PTransform<PCollection<KV<K, readonly V[]>>, PCollection<KV<K, V[]>>>;
function perKey<K, V>(numQuantiles: number, options?: PlainOptions<V>): PTransform<PCollection<KV<K, V>>, PCollection<KV<K, V[]>>>;
function perKey<K, V>(numQuantiles: number, options: ApproximateQuantilesOptions<V> & { readonly weighted?: boolean; readonly inputBatched?: boolean } = {}): PTransform<PCollection<KV<K, unknown>>, PCollection<KV<K, V[]>>> {
  return Combine.perKey<K, unknown, unknown, V[]>(quantilesCombineFn<V>(numQuantiles, options));
}

/**
 * Quantile boundaries (Beam's ApproximateQuantiles): `nums.apply(ApproximateQuantiles.globally(5))`
 * gives `[min, q1, median, q3, max]` (per window); `ApproximateQuantiles.perKey(n)` per key.
 * `{ weighted: true }` takes `[value, weight]` inputs and `{ inputBatched: true }` arrays of
 * inputs, as Beam Python's `weighted` and `input_batched`.
 */
export const ApproximateQuantiles = {
  /** `numQuantiles` boundaries of the whole collection, per window (`[]` for an empty input). */
  globally,
  /** `numQuantiles` boundaries of each key's values. */
  perKey,
} as const;
