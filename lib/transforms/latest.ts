/**
 * Latest: the element with the latest event timestamp, globally or per key (Beam Java's
 * `Latest.globally()` / `Latest.perKey()`, Beam Python's `combiners.Latest.Globally()` /
 * `Latest.PerKey()`). Each element is paired with its timestamp, then combined (lifted by
 * runners like any combine).
 */
import type { CombineFn } from "../model/combine_fn";
import { PCollection } from "../model/pcollection";
import { ParDo } from "../model/pardo";
import { PTransform } from "../model/transform";
import { Instant, KV, kv } from "../model/window";
import { Combine } from "./combine";

/** A value with the timestamp it had. */
interface Stamped<T> {
  /** The value. */
  readonly v: T;
  /** Its event time. */
  readonly t: Instant;
}

/** The latest of its inputs by timestamp; undefined for none. Of equal timestamps, any one. */
interface LatestAccumulator<T> {
  /** The latest value so far, with its timestamp; absent before the first input. */
  latest?: Stamped<T>;
}

/**
 * @internal The CombineFn of Latest: keeps the input with the greatest timestamp (of equal ones,
 * the later added, as Beam Python's LatestCombineFn).
 */
export function latestFn<T>(): CombineFn<Stamped<T>, LatestAccumulator<T>, T | undefined> {
  const later = (acc: LatestAccumulator<T>, x: Stamped<T> | undefined): LatestAccumulator<T> => {
    if (x !== undefined && (acc.latest === undefined || x.t >= acc.latest.t)) acc.latest = x;
    return acc;
  };
  return {
    createAccumulator: () => ({}),
    addInput: later,
    mergeAccumulators: (accs) => {
      const out: LatestAccumulator<T> = {};
      for (const a of accs) later(out, a.latest);
      return out;
    },
    extractOutput: (acc) => acc.latest?.v,
  };
}

/** Pairs each element with its timestamp (Beam's Reify.timestamps). */
function stamp<T>(): ParDo<T, Stamped<T>> {
  return ParDo.into<Stamped<T>>().of((v: T, ctx) => ctx.output({ v, t: ctx.timestamp }));
}

/** The latest element of the whole collection (per window). */
class LatestGlobally<T, Out> extends PTransform<PCollection<T>, PCollection<Out>> {
  constructor(private readonly withoutDefaults: boolean) {
    super("LatestGlobally");
  }
  expand(input: PCollection<T>): PCollection<Out> {
    const combined = input.apply("ReifyTimestamps", stamp<T>()).apply("Latest", Combine.globally(latestFn<T>(), { withoutDefaults: this.withoutDefaults }));
    return combined as PCollection<unknown> as PCollection<Out>;
  }
}

/** The latest value of each key (per window). */
class LatestPerKey<K, V> extends PTransform<PCollection<KV<K, V>>, PCollection<KV<K, V>>> {
  constructor() {
    super("LatestPerKey");
  }
  expand(input: PCollection<KV<K, V>>): PCollection<KV<K, V>> {
    const stamped = input.apply(
      "ReifyTimestamps",
      ParDo.into<KV<K, Stamped<V>>>().of((e: KV<K, V>, ctx) => ctx.output(kv(e.key, { v: e.value, t: ctx.timestamp }))),
    );
    // A key's combine has at least one input, so its output is never undefined.
    return stamped.apply("Latest", Combine.perKey<K, Stamped<V>, LatestAccumulator<V>, V | undefined>(latestFn<V>())) as PCollection<unknown> as PCollection<KV<K, V>>;
  }
}

/** The Latest transforms (the type of `Latest`). */
export interface LatestTransforms {
  /**
   * The latest element (per window). An empty input in the global window gives `undefined`, as
   * Beam Java gives null; over other windows pass `{ withoutDefaults: true }` (as with
   * Combine.globally), and empty windows give nothing.
   */
  globally<T>(options?: { readonly withoutDefaults?: false }): PTransform<PCollection<T>, PCollection<T | undefined>>;
  /** The latest element of each non-empty window; empty windows give nothing. */
  globally<T>(options: { readonly withoutDefaults: true }): PTransform<PCollection<T>, PCollection<T>>;
  /** The latest element per window, with or without a default as `withoutDefaults` says (`undefined` possible). */
  globally<T>(options: { readonly withoutDefaults?: boolean }): PTransform<PCollection<T>, PCollection<T | undefined>>;
  /** The latest value of each key (per window): `KV<K, V>` → `KV<K, V>`. */
  perKey<K, V>(): PTransform<PCollection<KV<K, V>>, PCollection<KV<K, V>>>;
}

/**
 * The element with the latest event timestamp (of equal timestamps, any one of them):
 *
 * ```ts
 * readings.apply("Newest", Latest.globally());                 // PCollection<Reading | undefined>
 * readings.apply("NewestPerSensor", Latest.perKey());          // KV<sensor, Reading> per key
 * ```
 */
export const Latest: LatestTransforms = {
  globally<T>(options: { readonly withoutDefaults?: boolean } = {}): PTransform<PCollection<T>, PCollection<T>> {
    return new LatestGlobally<T, T>(options.withoutDefaults === true);
  },
  perKey<K, V>(): PTransform<PCollection<KV<K, V>>, PCollection<KV<K, V>>> {
    return new LatestPerKey<K, V>();
  },
};
