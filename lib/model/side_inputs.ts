/**
 * Side inputs: a whole PCollection (per window) made available to every element of a ParDo.
 * A ParDo declares them once, by name, and its DoFn reads them typed from `ctx.sideInputs`:
 *
 *     const maxLen = AsSingleton(lengths.apply(Combine.globally(Combiners.max())));
 *     words.apply(ParDo.into<number>().of((w, ctx) => ctx.output(w.length / ctx.sideInputs.maxLen), { sideInputs: { maxLen } }));
 */
import { TransformError } from "./errors";
import type { PCollection } from "./pcollection";
import type { KV } from "./window";

/** How a side input's elements are presented. */
export type SideInputKind = "singleton" | "iterable" | "map" | "multimap";

/** A view of a PCollection usable as a side input; V is what the DoFn reads. */
export class SideInput<out V> {
  /** Phantom field carrying the value type. */
  declare readonly __valueType?: V;

  /** @internal */
  constructor(
    /** The collection viewed. */
    readonly pcoll: PCollection<unknown>,
    /** How its elements are presented. */
    readonly kind: SideInputKind,
    /** A singleton's value when the collection is empty (`AsSingleton(pc, { default })`). */
    readonly defaultValue?: {
      /** The default value. */
      readonly value: unknown;
    },
    /** The name a ParDo declared this view under (set on the copy the ParDo keeps). */
    readonly name?: string,
  ) {}

  /** @internal This view as a ParDo declares it, under `name`. */
  named(name: string): SideInput<V> {
    return new SideInput<V>(this.pcoll, this.kind, this.defaultValue, name);
  }
}

/**
 * The views a ParDo passes for a DoFn that reads side inputs of types `S`, by name:
 * `{ factor: AsSingleton(factors) }` for `S = { factor: number }`.
 */
export type SideInputViews<S> = { readonly [K in keyof S]: SideInput<S[K]> };

/**
 * @internal The `ctx.sideInputs` object of one ParDo: a getter per declared name that reads the
 * view (for the element being processed); reading a name that was not declared throws, listing
 * the declared ones. Built once per DoFn instance, so reading costs one getter call.
 */
export function sideInputsObject(transformName: string, views: readonly SideInput<unknown>[], read: (view: SideInput<unknown>) => unknown): object {
  const declared = views.map((v) => v.name ?? "");
  const undeclared = new Proxy(Object.create(null) as object, {
    get(_target, key) {
      if (typeof key !== "string" || NOT_NAMES.has(key)) return undefined;
      throw new TransformError(
        transformName,
        `Transform '${transformName}' read side input '${key}', which it did not declare ` +
          `(declared: ${declared.length > 0 ? declared.map((n) => `'${n}'`).join(", ") : "none"}); ` +
          `pass it in ParDo.of(fn, { sideInputs: { ${key}: view } })`,
      );
    },
  });
  const values = Object.create(undeclared) as Record<string, unknown>;
  for (const view of views) {
    Object.defineProperty(values, view.name ?? "", { get: () => read(view), enumerable: true });
  }
  return Object.freeze(values);
}

/** Property names that tools probe on any object (promises, JSON, inspection); never side inputs. */
const NOT_NAMES = new Set(["then", "toJSON", "constructor", "inspect", "asymmetricMatch", "$$typeof", "nodeType"]);

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
 * The KV collection as a map. Keys are compared by value, as in Beam: an object or array key
 * (`[country, year]`, `{ id: 1 }`) is found by any key that encodes to the same bytes with the
 * collection's key coder, and keys equal that way are one entry (strings and numbers are compared
 * as Map compares them). A repeated key is an error when read, as in Beam Java. The map is shared
 * by the window's elements and read-only; a copy (`new Map(view)`) compares object keys by identity.
 */
export function AsMap<K, V>(pcoll: PCollection<KV<K, V>>): SideInput<ReadonlyMap<K, V>> {
  return new SideInput<ReadonlyMap<K, V>>(pcoll, "map");
}

/** The KV collection as a map from each key to all its values (keys compared by value and read-only, as AsMap's). */
export function AsMultimap<K, V>(pcoll: PCollection<KV<K, V>>): SideInput<ReadonlyMap<K, readonly V[]>> {
  return new SideInput<ReadonlyMap<K, readonly V[]>>(pcoll, "multimap");
}
