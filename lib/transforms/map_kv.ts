/**
 * MapKeys and MapValues: a function of each element's key, or of its value, the other half kept
 * (Beam Java's `MapKeys.into(type).via(fn)` and `MapValues.into(type).via(fn)`; Beam Python's
 * `beam.MapTuple(lambda k, v: (f(k), v))`). Each runs as a map, so it fuses with its neighbours,
 * and `withExceptionHandling()` gives the elements whose function threw on a dead-letter output,
 * as Java's `exceptionsInto(...).exceptionsVia(...)`.
 */
import type { ExceptionHandlingOptions } from "../model/dead_letter";
import { MapTransform, type ElementwiseWithFailures } from "../model/elementwise";
import { labelForFunction } from "../model/naming";
import type { PCollection } from "../model/pcollection";
import { PTransform } from "../model/transform";
import { kv, type KV } from "../model/window";

/** A label from the function's name or short source, else `kind` (a label given to `apply` replaces it). */
function defaultLabel(kind: string, fn: Function): string {
  try {
    return labelForFunction(kind, fn);
  } catch {
    return kind;
  }
}

/** Checks, when the transform is made, that it was given a function. */
function checkFunction(kind: string, fn: unknown): void {
  if (typeof fn !== "function") throw new TypeError(`${kind}.via(fn): fn must be a function of the ${kind === "MapKeys" ? "key" : "value"}, but got ${typeof fn}`);
}

/** `KV<K1, V>` → `KV<K2, V>`: the key mapped by `fn`, the value kept (Beam Java's MapKeys). */
export class MapKeysTransform<K1, K2, V> extends PTransform<PCollection<KV<K1, V>>, PCollection<KV<K2, V>>> {
  constructor(
    /** The function of each key. */
    readonly fn: (key: K1) => K2,
    label: string,
  ) {
    super(label);
  }
  expand(input: PCollection<KV<K1, V>>): PCollection<KV<K2, V>> {
    return input.apply("Map", this.asMap<V>());
  }
  /**
   * The same with a dead-letter output for the elements whose function throws: `{ main, failed }`,
   * each failure holding the whole input KV with the error (see `ParDo.withExceptionHandling` for
   * the options). The value type comes from where it is applied.
   */
  withExceptionHandling<W = V>(options: ExceptionHandlingOptions<KV<K1, W>> = {}): ElementwiseWithFailures<KV<K1, W>, KV<K2, W>> {
    return this.asMap<W>().withExceptionHandling(options);
  }
  private asMap<W>(): MapTransform<KV<K1, W>, KV<K2, W>> {
    const fn = this.fn;
    return new MapTransform<KV<K1, W>, KV<K2, W>>((e) => kv(fn(e.key), e.value), this.label);
  }
}

/** `KV<K, V1>` → `KV<K, V2>`: the value mapped by `fn`, the key kept (Beam Java's MapValues). */
export class MapValuesTransform<K, V1, V2> extends PTransform<PCollection<KV<K, V1>>, PCollection<KV<K, V2>>> {
  constructor(
    /** The function of each value. */
    readonly fn: (value: V1) => V2,
    label: string,
  ) {
    super(label);
  }
  expand(input: PCollection<KV<K, V1>>): PCollection<KV<K, V2>> {
    return input.apply("Map", this.asMap<K>());
  }
  /** The same with a dead-letter output (see MapKeysTransform.withExceptionHandling); the key type comes from where it is applied. */
  withExceptionHandling<J = K>(options: ExceptionHandlingOptions<KV<J, V1>> = {}): ElementwiseWithFailures<KV<J, V1>, KV<J, V2>> {
    return this.asMap<J>().withExceptionHandling(options);
  }
  private asMap<J>(): MapTransform<KV<J, V1>, KV<J, V2>> {
    const fn = this.fn;
    return new MapTransform<KV<J, V1>, KV<J, V2>>((e) => kv(e.key, fn(e.value)), this.label);
  }
}

/**
 * Maps the key of each element, keeping its value (Beam Java's MapKeys):
 *
 * ```ts
 * pairs.apply(MapKeys.via((id: number) => `user-${id}`));         // KV<number, V> → KV<string, V>
 * pairs.apply(MapKeys.via(parseId).withExceptionHandling());        // { main, failed }
 * ```
 */
export const MapKeys = {
  /** The key `fn(key)`; the value type comes from where it is applied. */
  via<K1, K2, V = unknown>(fn: (key: K1) => K2): MapKeysTransform<K1, K2, V> {
    checkFunction("MapKeys", fn);
    return new MapKeysTransform<K1, K2, V>(fn, defaultLabel("MapKeys", fn));
  },
};

/**
 * Maps the value of each element, keeping its key (Beam Java's MapValues):
 *
 * ```ts
 * pairs.apply(MapValues.via((n: number) => n * 2));                // KV<K, number> → KV<K, number>
 * pairs.apply(MapValues.via(JSON.parse).withExceptionHandling());  // { main, failed }
 * ```
 */
export const MapValues = {
  /** The value `fn(value)`; the key type comes from where it is applied. */
  via<V1, V2, K = unknown>(fn: (value: V1) => V2): MapValuesTransform<K, V1, V2> {
    checkFunction("MapValues", fn);
    return new MapValuesTransform<K, V1, V2>(fn, defaultLabel("MapValues", fn));
  },
};
