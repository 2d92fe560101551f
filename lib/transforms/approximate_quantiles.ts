/**
 * ApproximateQuantiles: the quantile boundaries of a collection (globally or per key) in bounded
 * memory, as Beam Java's `ApproximateQuantiles` (Munro-Paterson's algorithm, as Beam Java runs it;
 * Beam Python's `ApproximateQuantiles.Globally` / `PerKey` return the same boundaries for exact
 * cases). `numQuantiles` boundaries come out, the minimum and maximum included: 5 gives the
 * minimum, the quartiles and the maximum. Results are exact while the input fits in one buffer and
 * within `epsilon` of the true rank (default 1 / numQuantiles) otherwise.
 *
 * The accumulator is plain data (sorted buffers of elements with a level and a weight), so it
 * crosses workers with the default coder and runners combine it partially before the shuffle.
 */
import type { CombineFn } from "../model/combine_fn";
import { ValidationError } from "../model/errors";
import { PCollection } from "../model/pcollection";
import { PTransform } from "../model/transform";
import { KV } from "../model/window";
import { Combine } from "./combine";

/** Beam Java's default bound on the input size the buffers are sized for. */
export const DEFAULT_MAX_INPUT_SIZE = 1e9;

/** Options of ApproximateQuantiles. */
export interface ApproximateQuantilesOptions<T> {
  /** The order (negative: a before b). Default: numbers, bigints and strings in natural order. */
  readonly compare?: (a: T, b: T) => number;
  /** The rank error allowed, as a fraction of the input size (default 1 / numQuantiles). */
  readonly epsilon?: number;
  /** The largest input the buffers are sized for (default 1e9). */
  readonly maxInputSize?: number;
}

/** A sorted buffer standing for `weight` elements per element it keeps. */
export interface QuantileBuffer<T> {
  /** How many collapses made it (0: filled from inputs). */
  readonly level: number;
  /** How many inputs each of its elements stands for. */
  readonly weight: number;
  /** Its elements, sorted. */
  readonly elements: T[];
}

/** The accumulator: extremes, elements not yet buffered, and the buffers. */
export interface QuantileAccumulator<T> {
  /** The smallest element added (absent while empty). */
  min?: T;
  /** The largest element added (absent while empty). */
  max?: T;
  /** Elements not yet in a buffer (fewer than a buffer's size). */
  unbuffered: T[];
  /** Sorted buffers, each standing for `weight` elements per element. */
  buffers: QuantileBuffer<T>[];
  /** Alternates the offset of even-weight collapses, as Beam's, so their rounding does not drift one way. */
  jitter: number;
}

/** Natural order of numbers, bigints and strings; other values need a compare function. */
function naturalOrder<T>(a: T, b: T): number {
  const ta = typeof a;
  if ((ta === "number" || ta === "bigint" || ta === "string") && typeof b === ta) return a < b ? -1 : a > b ? 1 : 0;
  throw new ValidationError(
    `ApproximateQuantiles compares ${JSON.stringify(a)} with ${JSON.stringify(b)} without a compare function: only numbers, bigints and strings have a natural order. ` +
      `Pass { compare: (a, b) => ... }`,
  );
}

/**
 * Beam Java's buffer sizing: the fewest buffers b with (b - 2) * 2^(b - 2) >= epsilon * N, less one,
 * and buffers of k = max(2, ceil(N / 2^(b - 1))) elements.
 */
export function quantileBufferSizes(epsilon: number, maxInputSize: number): { numBuffers: number; bufferSize: number } {
  let b = 2;
  while ((b - 2) * 2 ** (b - 2) < epsilon * maxInputSize) b++;
  b--;
  // Java computes N / 2^(b-1) in float (single precision) before the ceiling.
  const k = Math.max(2, Math.ceil(Math.fround(maxInputSize / 2 ** (b - 1))));
  return { numBuffers: b, bufferSize: k };
}

/** The CombineFn of ApproximateQuantiles: `numQuantiles` boundaries, minimum and maximum included. */
export function approximateQuantilesFn<T>(numQuantiles: number, options: ApproximateQuantilesOptions<T> = {}): CombineFn<T, QuantileAccumulator<T>, T[]> {
  if (!(Number.isInteger(numQuantiles) && numQuantiles >= 2)) throw new ValidationError(`ApproximateQuantiles needs at least 2 quantiles (the minimum and the maximum), got ${String(numQuantiles)}`);
  const epsilon = options.epsilon ?? 1 / numQuantiles;
  const maxInputSize = options.maxInputSize ?? DEFAULT_MAX_INPUT_SIZE;
  if (!(epsilon > 0 && epsilon <= 1)) throw new ValidationError(`ApproximateQuantiles: epsilon must be in (0, 1], got ${String(epsilon)}`);
  if (!(Number.isInteger(maxInputSize) && maxInputSize >= 1)) throw new ValidationError(`ApproximateQuantiles: maxInputSize must be a positive integer, got ${String(maxInputSize)}`);
  const compare = options.compare ?? naturalOrder;
  const { numBuffers, bufferSize } = quantileBufferSizes(epsilon, maxInputSize);

  /** `count` elements at ranks offset, offset + step, ... of the buffers' weighted, merged order. */
  const interpolate = (buffers: readonly QuantileBuffer<T>[], count: number, step: number, offset: number): T[] => {
    const weighted: { v: T; w: number }[] = [];
    for (const b of buffers) for (const v of b.elements) weighted.push({ v, w: b.weight });
    weighted.sort((x, y) => compare(x.v, y.v));
    const out: T[] = [];
    let i = 0;
    let current = weighted[0]!.w;
    for (let j = 0; j < count; j++) {
      const target = j * step + offset;
      while (current <= target && i + 1 < weighted.length) current += weighted[++i]!.w;
      out.push(weighted[i]!.v);
    }
    return out;
  };

  const collapseIfNeeded = (acc: QuantileAccumulator<T>): void => {
    while (acc.buffers.length > numBuffers) {
      // The two lowest levels, and every other buffer at the second one's level (stable by level).
      acc.buffers.sort((x, y) => x.level - y.level);
      const minLevel = acc.buffers[1]!.level;
      let n = 2;
      while (n < acc.buffers.length && acc.buffers[n]!.level === minLevel) n++;
      const toCollapse = acc.buffers.splice(0, n);
      let level = 0;
      let weight = 0;
      for (const b of toCollapse) {
        level = Math.max(level, b.level + 1);
        weight += b.weight;
      }
      let offset: number;
      if (weight % 2 === 1) offset = (weight + 1) / 2;
      else {
        acc.jitter = 2 - acc.jitter;
        offset = Math.floor((weight + acc.jitter) / 2);
      }
      acc.buffers.push({ level, weight, elements: interpolate(toCollapse, bufferSize, weight, offset) });
    }
  };

  const addUnbuffered = (acc: QuantileAccumulator<T>, x: T): void => {
    acc.unbuffered.push(x);
    if (acc.unbuffered.length === bufferSize) {
      acc.unbuffered.sort(compare);
      acc.buffers.push({ level: 0, weight: 1, elements: acc.unbuffered });
      acc.unbuffered = [];
      collapseIfNeeded(acc);
    }
  };

  const isEmpty = (acc: QuantileAccumulator<T>): boolean => acc.unbuffered.length === 0 && acc.buffers.length === 0;

  return {
    createAccumulator: () => ({ unbuffered: [], buffers: [], jitter: 0 }),
    addInput: (acc, x) => {
      if (isEmpty(acc)) acc.min = acc.max = x;
      else if (compare(x, acc.min as T) < 0) acc.min = x;
      else if (compare(x, acc.max as T) > 0) acc.max = x;
      addUnbuffered(acc, x);
      return acc;
    },
    mergeAccumulators: (accs) => {
      let into: QuantileAccumulator<T> | undefined;
      for (const other of accs) {
        if (into === undefined) {
          into = other;
          continue;
        }
        if (isEmpty(other)) continue;
        if (into.min === undefined || compare(other.min as T, into.min) < 0) into.min = other.min;
        if (into.max === undefined || compare(other.max as T, into.max) > 0) into.max = other.max;
        for (const x of other.unbuffered) addUnbuffered(into, x);
        into.buffers.push(...other.buffers);
        collapseIfNeeded(into);
      }
      return into ?? { unbuffered: [], buffers: [], jitter: 0 };
    },
    extractOutput: (acc) => {
      if (isEmpty(acc)) return [];
      let total = acc.unbuffered.length;
      for (const b of acc.buffers) total += bufferSize * b.weight;
      const all = [...acc.buffers];
      if (acc.unbuffered.length > 0) all.push({ level: 0, weight: 1, elements: [...acc.unbuffered].sort(compare) });
      const step = total / (numQuantiles - 1);
      const offset = (total - 1) / (numQuantiles - 1);
      return [acc.min as T, ...(numQuantiles > 2 ? interpolate(all, numQuantiles - 2, step, offset) : []), acc.max as T];
    },
  };
}

/**
 * Quantile boundaries (Beam's ApproximateQuantiles): `nums.apply(ApproximateQuantiles.globally(5))`
 * gives `[min, q1, median, q3, max]` (per window); `ApproximateQuantiles.perKey(n)` per key.
 */
export const ApproximateQuantiles = {
  /** `numQuantiles` boundaries of the whole collection, per window (`[]` for an empty input). */
  globally<T>(numQuantiles: number, options: ApproximateQuantilesOptions<T> = {}): PTransform<PCollection<T>, PCollection<T[]>> {
    return Combine.globally(approximateQuantilesFn<T>(numQuantiles, options));
  },
  /** `numQuantiles` boundaries of each key's values. */
  perKey<K, V>(numQuantiles: number, options: ApproximateQuantilesOptions<V> = {}): PTransform<PCollection<KV<K, V>>, PCollection<KV<K, V[]>>> {
    return Combine.perKey<K, V, QuantileAccumulator<V>, V[]>(approximateQuantilesFn<V>(numQuantiles, options));
  },
} as const;
