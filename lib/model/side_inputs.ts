/**
 * Side inputs: a whole PCollection (per window) made available to every element of a ParDo.
 *
 *     const maxLen = lengths.apply(Combine.globally(Combiners.max()));
 *     const view = AsSingleton(maxLen);
 *     words.apply(ParDo.of((w: string, ctx) => ctx.output(w.length / ctx.sideInput(view)), { sideInputs: [view] }));
 */
import type { PCollection } from "./pcollection";
import type { KV } from "./window";

/** How a side input's elements are presented. */
export type SideInputKind = "singleton" | "iterable" | "map" | "multimap";

/** A view of a PCollection usable as a side input; V is what `ctx.sideInput(view)` returns. */
export class SideInput<V> {
  /** Phantom field carrying the value type. */
  declare readonly __valueType?: V;

  /** @internal */
  constructor(
    readonly pcoll: PCollection<unknown>,
    readonly kind: SideInputKind,
    readonly defaultValue?: { readonly value: unknown },
  ) {}
}

/**
 * The single element of the collection (per window). Empty without a default, or more than one
 * element, is an error when the side input is read.
 */
export function AsSingleton<T>(pcoll: PCollection<T>, options?: { readonly default?: T }): SideInput<T> {
  const hasDefault = options !== undefined && "default" in options;
  return new SideInput<T>(pcoll, "singleton", hasDefault ? { value: options.default } : undefined);
}

/** All elements of the collection (per window), in no particular order. */
export function AsIterable<T>(pcoll: PCollection<T>): SideInput<readonly T[]> {
  return new SideInput<readonly T[]>(pcoll, "iterable");
}

/** Alias of AsIterable. */
export const AsList = AsIterable;

/**
 * The KV collection as a map (keys compared like Map keys, so use strings or numbers);
 * a repeated key is an error when read.
 */
export function AsMap<K, V>(pcoll: PCollection<KV<K, V>>): SideInput<ReadonlyMap<K, V>> {
  return new SideInput<ReadonlyMap<K, V>>(pcoll, "map");
}

/** The KV collection as a map from each key to all its values. */
export function AsMultimap<K, V>(pcoll: PCollection<KV<K, V>>): SideInput<ReadonlyMap<K, readonly V[]>> {
  return new SideInput<ReadonlyMap<K, readonly V[]>>(pcoll, "multimap");
}
