/**
 * ApproximateUnique: an estimate of the number of distinct elements, globally or per key, in
 * memory bounded by a sample size, as Beam's (Python's `beam.ApproximateUnique.Globally(size=,
 * error=)` / `PerKey`, Java's `ApproximateUnique.globally(sampleSize)` / `perKey`).
 *
 * As Beam: each element is encoded with its coder and the bytes hashed to 64 bits
 * (MurmurHash3_x64_128's first half, see murmur3.ts); the accumulator keeps the `sampleSize`
 * largest distinct hashes, and when it is full the estimate extrapolates from how much of the
 * hash space they cover: `log1p(-k / space) / log1p(-1 / space) * 2^64 / space`, where `space` is
 * 2^64 minus the smallest hash kept. With fewer distinct hashes than the sample size the count is
 * exact (barring a 64-bit collision). The error is about 2 / sqrt(sampleSize).
 *
 * Where estimates differ from Beam's: the hash function and the estimate are Beam's, so the
 * same bytes give the same estimate; but elements are hashed as *our* coder encodes them. With a
 * coder whose encoding is Beam's standard one set on the input (StringUtf8Coder, for one) the
 * bytes, and so the estimates, are Beam Java's; with the default coder (plain JS values,
 * DeterministicJsValueCoder) the bytes differ from Beam Python's pickled or FastPrimitivesCoder
 * bytes, so exact estimates above the sample size differ from Beam's, within the same bounds.
 *
 * The CombineFn lifts like any combine; its accumulator is plain data (`{ sample: bigint[] }`),
 * so it crosses workers and portable runners with the default accumulator coder.
 */
import type { Coder } from "../coders/coder";
import { encodeToBytes } from "../coders/coder";
import { DeterministicJsValueCoder, JS_VALUE_URN } from "../coders/js_value";
import type { CombineFn } from "../model/combine_fn";
import { PipelineConstructionError } from "../model/errors";
import { PCollection } from "../model/pcollection";
import { PTransform } from "../model/transform";
import { KV } from "../model/window";
import { Combine } from "./combine";
import { murmur3Hash64 } from "./murmur3";

/** Exactly one of a sample size and an estimation error, as Beam Python's `size=` / `error=`. */
export type ApproximateUniqueSpec =
  | {
      /** The number of hashes sampled, at least 16; the error is about 2 / sqrt(size). */
      readonly size: number;
      /** Not with `size`. */
      readonly error?: undefined;
    }
  | {
      /** The estimation error wanted, 0.01 to 0.5; the sample size is ceil(4 / error²). */
      readonly error: number;
      /** Not with `error`. */
      readonly size?: undefined;
    };

/** ApproximateUnique.globally's options: a sample size or an error, and whether empty windows give 0. */
export type ApproximateUniqueGloballyOptions = ApproximateUniqueSpec & {
  /** Empty windows give nothing instead of 0 (Python's `without_defaults()`); needed over non-global windows. */
  readonly withoutDefaults?: boolean;
};

/** The accumulator: the largest distinct hashes seen, at most the sample size, as a binary min-heap. */
export interface ApproximateUniqueAccumulator {
  /** Unsigned 64-bit hashes; `sample[0]` is the smallest. */
  sample: bigint[];
}

/** The size of the 64-bit hash space. */
const HASH_SPACE_SIZE = 2 ** 64;

/** Beam's sample size for an estimation error: ceil(4 / error²) (0.01 → 40000, 0.5 → 16). */
export function sampleSizeFromEstimationError(error: number): number {
  return Math.ceil(4 / Math.pow(error, 2));
}

/**
 * The sample size `spec` asks for, checked as Beam checks it: exactly one of size and error; a
 * size is an integer ≥ 16; an error lies in [0.01, 0.5]. `where` names the call in messages.
 */
export function approximateUniqueSampleSize(spec: number | ApproximateUniqueSpec, where: string): number {
  const { size, error } = typeof spec === "number" ? { size: spec, error: undefined } : ((spec ?? {}) as { size?: number; error?: number });
  if (size !== undefined && error !== undefined) {
    throw new PipelineConstructionError(`${where} takes either a sample size or an estimation error, not both; received { size: ${size}, error: ${error} }. Pass { size } or { error }`);
  }
  if (size === undefined && error === undefined) {
    throw new PipelineConstructionError(`${where} needs either a sample size or an estimation error, received neither: pass { size } (an integer of at least 16) or { error } (between 0.01 and 0.5)`);
  }
  if (size !== undefined) {
    if (!(Number.isInteger(size) && size >= 16)) {
      const hint = typeof size === "number" && size > 0 && size < 1 ? `; an estimation error is passed as { error: ${size} }` : "";
      throw new PipelineConstructionError(
        `${where} needs a sample size >= 16 for an estimation error <= 0.5 (in general the error is about 2 / sqrt(sampleSize)); received { size: ${String(size)} }${hint}`,
      );
    }
    return size;
  }
  if (!(typeof error === "number" && error >= 0.01 && error <= 0.5)) {
    throw new PipelineConstructionError(`${where} needs an estimation error between 0.01 and 0.5; received { error: ${String(error)} }`);
  }
  return sampleSizeFromEstimationError(error);
}

/**
 * The coder elements are hashed with: `coder` if deterministic, the deterministic variant of the
 * default JS value coder for it (Beam Python's as_deterministic_coder), else a refusal: equal
 * elements encoded differently would hash apart and be counted twice.
 */
function hashingCoder<T>(coder: Coder<T> | undefined, where: string): Coder<T> {
  if (coder === undefined || (!coder.deterministic && coder.urn === JS_VALUE_URN)) return DeterministicJsValueCoder.INSTANCE as Coder<unknown> as Coder<T>;
  if (!coder.deterministic) {
    throw new PipelineConstructionError(
      `${where} hashes each element's encoding, but its coder (${coder.urn}) does not encode deterministically: equal elements could hash ` +
        `differently and be counted twice. Set a deterministic coder on the input (or none: the default encodes plain JS values deterministically)`,
    );
  }
  return coder;
}

/** Swaps `s[i]` down the min-heap until its children are larger. */
function siftDown(s: bigint[], i: number): void {
  const n = s.length;
  const x = s[i]!;
  for (;;) {
    let c = 2 * i + 1;
    if (c >= n) break;
    if (c + 1 < n && s[c + 1]! < s[c]!) c++;
    if (s[c]! >= x) break;
    s[i] = s[c]!;
    i = c;
  }
  s[i] = x;
}

/** Adds `x` to the min-heap. */
function heapPush(s: bigint[], x: bigint): void {
  let i = s.length;
  s.push(x);
  while (i > 0) {
    const parent = (i - 1) >> 1;
    if (s[parent]! <= x) break;
    s[i] = s[parent]!;
    i = parent;
  }
  s[i] = x;
}

/** Removes and returns the smallest of a non-empty min-heap. */
function heapPop(s: bigint[]): bigint {
  const top = s[0]!;
  const last = s.pop()!;
  if (s.length > 0) {
    s[0] = last;
    siftDown(s, 0);
  }
  return top;
}

/**
 * The CombineFn of ApproximateUnique (Beam's ApproximateUniqueCombineFn): the estimated number of
 * distinct elements, hashing each element's encoding by `coder` (default: plain JS values,
 * deterministically). `Combine.perKey(approximateUniqueFn(1000))`, or in combining state.
 */
export function approximateUniqueFn<T>(sampleSize: number, coder?: Coder<T>): CombineFn<T, ApproximateUniqueAccumulator, number> {
  const k = approximateUniqueSampleSize({ size: sampleSize }, "approximateUniqueFn");
  const encoder = hashingCoder(coder, "approximateUniqueFn");
  // Which hashes an accumulator holds, for the duplicate check; rebuilt from the heap for an
  // accumulator that was decoded (the set is not part of the data that crosses workers).
  const members = new WeakMap<ApproximateUniqueAccumulator, Set<bigint>>();
  const membersOf = (acc: ApproximateUniqueAccumulator): Set<bigint> => {
    let set = members.get(acc);
    if (set === undefined) members.set(acc, (set = new Set(acc.sample)));
    return set;
  };
  /** Keeps `h` if it is among the k largest distinct hashes (as Beam's LargestUnique.add). */
  const add = (acc: ApproximateUniqueAccumulator, h: bigint): void => {
    const s = acc.sample;
    if (s.length >= k && h < s[0]!) return; // the common case once the sample is full
    const set = membersOf(acc);
    if (set.has(h)) return;
    set.add(h);
    heapPush(s, h);
    if (s.length > k) set.delete(heapPop(s));
  };
  return {
    createAccumulator: () => ({ sample: [] }),
    addInput: (acc, x) => {
      add(acc, murmur3Hash64(encodeToBytes(encoder, x)));
      return acc;
    },
    mergeAccumulators: (accs) => {
      let into: ApproximateUniqueAccumulator | undefined;
      for (const acc of accs) {
        if (into === undefined) into = acc;
        else for (const h of acc.sample) add(into, h);
      }
      return into ?? { sample: [] };
    },
    extractOutput: (acc) => {
      const n = acc.sample.length;
      if (n < k) return n;
      // Beam's formula, which allows for hash collisions (likely past 2^32 distinct elements);
      // for k much smaller than the space it is about k * 2^64 / space. The space is Python's
      // (2^64 minus the smallest unsigned hash; Java's signed form is one less) and the rounding
      // Java's Math.round (Python rounds a .5 tie to even): neither moves an estimate in practice.
      const space = HASH_SPACE_SIZE - Number(acc.sample[0]!);
      return Math.round((Math.log1p(-k / space) / Math.log1p(-1 / space)) * (HASH_SPACE_SIZE / space));
    },
  };
}

/** The estimated number of distinct elements, per window. Made by `ApproximateUnique.globally`. */
export class ApproximateUniqueGlobally<T> extends PTransform<PCollection<T>, PCollection<number>> {
  /** The number of hashes sampled. */
  readonly sampleSize: number;
  private readonly withoutDefaults: boolean;

  /** @internal Use ApproximateUnique.globally. */
  constructor(spec: number | ApproximateUniqueGloballyOptions) {
    super("ApproximateUnique.Globally");
    this.sampleSize = approximateUniqueSampleSize(spec, "ApproximateUnique.globally");
    this.withoutDefaults = typeof spec === "object" && spec.withoutDefaults === true;
  }

  expand(input: PCollection<T>): PCollection<number> {
    const where = input.pipeline.currentNode().fullName;
    if (!this.withoutDefaults && input.windowing.windowFn.urn !== "beam:window_fn:global_windows:v1") {
      throw new PipelineConstructionError(
        `ApproximateUnique.globally over non-global windows (${input.describe()}) cannot emit 0 for empty windows: pass { withoutDefaults: true } ` +
          `(empty windows then give nothing), e.g. ApproximateUnique.globally({ size: ${this.sampleSize}, withoutDefaults: true })`,
        where,
      );
    }
    const fn = approximateUniqueFn<T>(this.sampleSize, hashingCoder(input.coder, `ApproximateUnique.globally at '${where}'`));
    return input.apply("CountGlobalUniqueValues", Combine.globally(fn, { withoutDefaults: this.withoutDefaults }));
  }
}

/** The estimated number of distinct values of each key. Made by `ApproximateUnique.perKey`. */
export class ApproximateUniquePerKey<K, V> extends PTransform<PCollection<KV<K, V>>, PCollection<KV<K, number>>> {
  /** The number of hashes sampled per key. */
  readonly sampleSize: number;

  /** @internal Use ApproximateUnique.perKey. */
  constructor(spec: number | ApproximateUniqueSpec) {
    super("ApproximateUnique.PerKey");
    this.sampleSize = approximateUniqueSampleSize(spec, "ApproximateUnique.perKey");
  }

  expand(input: PCollection<KV<K, V>>): PCollection<KV<K, number>> {
    const where = input.pipeline.currentNode().fullName;
    // Values are hashed with the KV coder's value coder, as Beam Java's PerKey.
    const c = input.coder;
    const valueCoder = c !== undefined && c.urn === "beam:coder:kv:v1" && c.components.length === 2 ? (c.components[1] as Coder<V>) : undefined;
    const fn = approximateUniqueFn<V>(this.sampleSize, hashingCoder(valueCoder, `ApproximateUnique.perKey at '${where}'`));
    return input.apply("CountPerKeyUniqueValues", Combine.perKey<K, V, ApproximateUniqueAccumulator, number>(fn));
  }
}

/**
 * Estimates of the number of distinct elements (Beam's ApproximateUnique), from a sample of
 * `size` hashes (error about 2 / sqrt(size)) or for an estimation `error` (sample size
 * ceil(4 / error²)):
 *
 * ```ts
 * visitors.apply(ApproximateUnique.globally({ error: 0.05 }));   // PCollection<number>, per window
 * visitsByPage.apply(ApproximateUnique.perKey(1000));           // KV<page, number>
 * ```
 *
 * A number is the sample size (Beam Java's `globally(int sampleSize)`); `{ size }` or `{ error }`
 * are Beam Python's keywords. Exact while a window (or key) has fewer distinct elements than the
 * sample size.
 */
export const ApproximateUnique = {
  /** The estimated number of distinct elements, per window (0 for an empty global window unless `withoutDefaults`). */
  globally<T>(sampleSizeOrOptions: number | ApproximateUniqueGloballyOptions): ApproximateUniqueGlobally<T> {
    return new ApproximateUniqueGlobally<T>(sampleSizeOrOptions);
  },
  /** The estimated number of distinct values of each key, per window. */
  perKey<K, V>(sampleSizeOrOptions: number | ApproximateUniqueSpec): ApproximateUniquePerKey<K, V> {
    return new ApproximateUniquePerKey<K, V>(sampleSizeOrOptions);
  },
} as const;
