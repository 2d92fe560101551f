/**
 * Sample: up to n elements, globally or per key (Beam Java's `Sample.fixedSizeGlobally(n)`,
 * `Sample.fixedSizePerKey(n)`, `Sample.any(n)`; Beam Python's `combiners.Sample.FixedSizeGlobally`
 * and `FixedSizePerKey`). The fixed-size samples are uniformly random without replacement: each
 * element draws a random number and the n highest draws are kept, so partial samples merge.
 * They are combines, lifted by runners like any other.
 */
import type { CombineFn } from "../model/combine_fn";
import { PipelineConstructionError } from "../model/errors";
import { PCollection } from "../model/pcollection";
import { PTransform } from "../model/transform";
import type { KV } from "../model/window";
import { Combine } from "./combine";

/** An element with its random draw. */
interface Drawn<T> {
  /** The draw, in [0, 1). */
  readonly r: number;
  /** The element. */
  readonly v: T;
}

function checkSize(what: string, n: number): void {
  if (!(Number.isInteger(n) && n >= 0)) throw new PipelineConstructionError(`${what} needs a sample size that is an integer, 0 or more; got ${n}`);
}

/** Keeps the `n` highest draws of `drawn` (in place), highest first. */
function keepHighest<T>(drawn: Drawn<T>[], n: number): Drawn<T>[] {
  drawn.sort((a, b) => b.r - a.r);
  if (drawn.length > n) drawn.length = n;
  return drawn;
}

/** @internal The CombineFn of the fixed-size samples: n elements uniformly at random, without replacement. */
export function sampleFn<T>(n: number): CombineFn<T, Drawn<T>[], T[]> {
  checkSize("Sample", n);
  return {
    createAccumulator: () => [],
    addInput: (acc, v) => {
      if (n === 0) return acc;
      acc.push({ r: Math.random(), v });
      // Trimmed now and then, not per input: a sort per element would make a large sample slow.
      return acc.length > 2 * n ? keepHighest(acc, n) : acc;
    },
    mergeAccumulators: (accs) => {
      const all: Drawn<T>[] = [];
      for (const a of accs) for (const d of a) all.push(d);
      return keepHighest(all, n);
    },
    extractOutput: (acc) => keepHighest([...acc], n).map((d) => d.v),
    compact: (acc) => keepHighest(acc, n),
  };
}

/** @internal The CombineFn of Sample.any: the first n elements it meets (not random). */
export function anyFn<T>(n: number): CombineFn<T, T[], T[]> {
  checkSize("Sample.any", n);
  return {
    createAccumulator: () => [],
    addInput: (acc, v) => {
      if (acc.length < n) acc.push(v);
      return acc;
    },
    mergeAccumulators: (accs) => {
      const out: T[] = [];
      for (const a of accs) for (const v of a) if (out.length < n) out.push(v);
      return out;
    },
    extractOutput: (acc) => acc,
  };
}

/** Sample.any: at most n elements of each window, as elements. */
class SampleAny<T> extends PTransform<PCollection<T>, PCollection<T>> {
  constructor(private readonly n: number) {
    super("SampleAny");
  }
  expand(input: PCollection<T>): PCollection<T> {
    const out = input.apply("Combine", Combine.globally(anyFn<T>(this.n), { withoutDefaults: true })).flatMap("Flatten", (sample: T[]) => sample);
    if (input.coder !== undefined) out.setCoder(input.coder);
    return out;
  }
}

/**
 * Samples of a collection:
 *
 * ```ts
 * lines.apply("Sample", Sample.fixedSizeGlobally(3));          // PCollection<string[]>, 3 random lines
 * pairs.apply("SamplePerKey", Sample.fixedSizePerKey(2));      // KV<K, V[]>, up to 2 random values per key
 * lines.apply("Some", Sample.any(10));                         // PCollection<string>, up to 10 lines (not random)
 * ```
 *
 * The size must be an integer, 0 or more (anything else fails construction, as in Beam).
 */
export const Sample = {
  /**
   * `n` elements chosen uniformly at random without replacement, as one array per window (all of
   * them when there are fewer). An empty input in the global window gives `[]`; over other windows
   * pass `{ withoutDefaults: true }` (as with Combine.globally), and empty windows give nothing.
   */
  fixedSizeGlobally<T>(n: number, options: { readonly withoutDefaults?: boolean } = {}): PTransform<PCollection<T>, PCollection<T[]>> {
    const fn = sampleFn<T>(n);
    return new (class SampleFixedSizeGlobally extends PTransform<PCollection<T>, PCollection<T[]>> {
      expand(input: PCollection<T>): PCollection<T[]> {
        return input.apply("Combine", Combine.globally(fn, options));
      }
    })(`FixedSizeGlobally(${n})`);
  },
  /** Up to `n` values of each key (per window), chosen uniformly at random without replacement: `KV<K, V>` → `KV<K, V[]>`. */
  fixedSizePerKey<K, V>(n: number): PTransform<PCollection<KV<K, V>>, PCollection<KV<K, V[]>>> {
    const fn = sampleFn<V>(n);
    return new (class SampleFixedSizePerKey extends PTransform<PCollection<KV<K, V>>, PCollection<KV<K, V[]>>> {
      expand(input: PCollection<KV<K, V>>): PCollection<KV<K, V[]>> {
        return input.apply("Combine", Combine.perKey(fn));
      }
    })(`FixedSizePerKey(${n})`);
  },
  /**
   * At most `n` elements of each window, as elements (Beam Java's `Sample.any`): whichever the
   * runner meets first, not a random sample. Cheaper than a random sample; use it to look at a
   * few elements.
   */
  any<T>(n: number): PTransform<PCollection<T>, PCollection<T>> {
    checkSize("Sample.any", n);
    return new SampleAny<T>(n);
  },
};
