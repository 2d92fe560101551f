/** Presents materialized side-input PCollections to DoFns, per window and view kind. */
import type { Coder } from "../../lib/coders/coder";
import { InternalError, previewValue, TransformError } from "../../lib/model/errors";
import type { SideInput } from "../../lib/model/side_inputs";
import type { BoundedWindow, KV, WindowedValue } from "../../lib/model/window";
import { keyCoderOf } from "./default_coders";
import { keyIdentity } from "./grouping_key";

/** The elements of a side-input PCollection, per window. */
export interface SideInputContents {
  valuesIn(windowId: string): readonly unknown[];
  /** Changes whenever what `valuesIn(windowId)` returns may have changed. */
  versionOf(windowId: string): number;
}

/** Contents from a list of windowed values that only grows (batch, and the worker's fetched windows). */
function listContents(list: readonly WindowedValue<unknown>[]): SideInputContents {
  return {
    valuesIn(windowId) {
      const values: unknown[] = [];
      for (const wv of list) if (wv.windows.some((w) => w.id() === windowId)) values.push(wv.value);
      return values;
    },
    versionOf() {
      return list.length;
    },
  };
}

/** All elements of the side-input PCollections a DoFn reads. */
export class SideInputReader {
  private readonly cache = new Map<SideInput<unknown>, Map<string, { version: number; value: unknown }>>();
  private readonly contents: ReadonlyMap<SideInput<unknown>, SideInputContents>;

  constructor(
    private readonly transformName: string,
    contents: ReadonlyMap<SideInput<unknown>, readonly WindowedValue<unknown>[] | SideInputContents>,
  ) {
    this.contents = new Map([...contents].map(([view, c]) => [view, Array.isArray(c) ? listContents(c) : (c as SideInputContents)]));
  }

  /** The views this reader presents (the ParDo's declared side inputs, each under its name). */
  get views(): readonly SideInput<unknown>[] {
    return [...this.contents.keys()];
  }

  /** Forgets every built view (the contents were replaced). */
  invalidate(): void {
    this.cache.clear();
  }

  get<V>(view: SideInput<V>, mainWindow: BoundedWindow): V {
    const contents = this.contents.get(view as SideInput<unknown>);
    if (contents === undefined) throw new InternalError(`no contents for side input '${view.name ?? view.pcoll.id}'`, this.transformName);
    const window = view.pcoll.windowing.windowFn.sideInputWindow(mainWindow);
    let perWindow = this.cache.get(view as SideInput<unknown>);
    if (perWindow === undefined) this.cache.set(view as SideInput<unknown>, (perWindow = new Map()));
    const id = window.id();
    const version = contents.versionOf(id);
    let cached = perWindow.get(id);
    if (cached === undefined || cached.version !== version) {
      // Bounded: a long streaming run reads ever new windows.
      if (cached === undefined && perWindow.size >= 1024) perWindow.clear();
      perWindow.set(id, (cached = { version, value: this.build(view as SideInput<unknown>, contents.valuesIn(id), id) }));
    }
    return cached.value as V;
  }

  private build(view: SideInput<unknown>, values: readonly unknown[], windowId: string): unknown {
    const where = `side input '${view.name}' of transform '${this.transformName}' (${view.pcoll.describe()})`;
    const fail = (message: string): TransformError => new TransformError(this.transformName, message);
    switch (view.kind) {
      case "singleton":
        if (values.length === 1) return values[0];
        if (values.length === 0) {
          if (view.defaultValue !== undefined) return view.defaultValue.value;
          throw fail(`The singleton ${where} is empty in window ${windowId}; give AsSingleton a default: AsSingleton(pc, { default: ... })`);
        }
        throw fail(`The singleton ${where} has ${values.length} elements in window ${windowId}; it must have exactly one (use AsIterable for many)`);
      case "iterable":
        return Object.freeze([...values]);
      case "map": {
        const map = viewMap<unknown, unknown>(where, keyCoderOf(view.pcoll), values as readonly KV<unknown, unknown>[]);
        for (const e of values as KV<unknown, unknown>[]) {
          const key = this.intern(map, e.key, where);
          // Beam Java fails a map view with a repeated key ("Duplicate values for key"); Python's
          // dict would keep the last value silently. Beamline fails, as Java does.
          if (map.holds(key)) throw fail(`The map ${where} has the key ${previewValue(e.key)} twice in window ${windowId}; use AsMultimap for repeated keys`);
          map.fill(key, e.value);
        }
        return map;
      }
      case "multimap": {
        const map = viewMap<unknown, unknown[]>(where, keyCoderOf(view.pcoll), values as readonly KV<unknown, unknown>[]);
        for (const e of values as KV<unknown, unknown>[]) {
          const key = this.intern(map, e.key, where);
          const list = map.stored(key);
          if (list === undefined) map.fill(key, [e.value]);
          else list.push(e.value);
        }
        for (const list of map.values()) Object.freeze(list);
        return map;
      }
    }
  }

  /** The key `map` stores for `key` (an equal one seen before, or `key` itself); fails, naming the view, if the key coder cannot encode it. */
  private intern<K>(map: ReadOnlyViewMap<K, unknown>, key: K, where: string): K {
    try {
      return map.intern(key);
    } catch (e) {
      throw new TransformError(
        this.transformName,
        `The key ${previewValue(key)} of the ${where} cannot be encoded with the collection's key coder, by which map views compare keys: ` +
          `${(e as Error).message}. Use keys that coder encodes (plain objects, arrays, strings, numbers, ...), or set a KV coder on the collection`,
      );
    }
  }
}

/**
 * A map view for `entries`: keys are compared by value, as Beam's map views do (Java by the key
 * coder's structural value, the runner's multimap side inputs by encoded key bytes, Python by
 * hashable value). Strings, numbers and other primitives already are: JS Map compares them by
 * value, so when every key is one the view is a plain read-only Map (lookups stay native Map
 * lookups). Object keys (tuples, records, bytes, dates) are compared by their encoding with the
 * key coder (ViewMapByEncoding).
 */
function viewMap<K, V>(where: string, keyCoder: Coder<unknown>, entries: readonly KV<unknown, unknown>[]): ReadOnlyViewMap<K, V> {
  for (const e of entries) if (isObjectKey(e.key)) return new ViewMapByEncoding<K, V>(where, keyCoder);
  return new ReadOnlyViewMap<K, V>(where);
}

function isObjectKey(key: unknown): key is object {
  return typeof key === "object" && key !== null;
}

/**
 * The Map of an AsMap / AsMultimap view. A view is built once per window and shared by every
 * element that reads it, so, as Beam's views do (UnsupportedOperationException), it refuses
 * changes: one element changing it would change what the next element reads.
 */
class ReadOnlyViewMap<K, V> extends Map<K, V> {
  /** Which view, for the error (a #field: no own property, so the map deep-equals a plain Map's entries). */
  readonly #where: string;
  constructor(where: string) {
    super();
    this.#where = where;
  }
  /** @internal While the view is built: the key stored for `key` (primitive keys are their own). */
  intern(key: K): K {
    return key;
  }
  /** @internal While the view is built: whether the key `intern` returned has an entry. */
  holds(storedKey: K): boolean {
    return super.has(storedKey);
  }
  /** @internal While the view is built: the value of the key `intern` returned. */
  stored(storedKey: K): V | undefined {
    return super.get(storedKey);
  }
  /** @internal While the view is built: adds the entry of the key `intern` returned. */
  fill(storedKey: K, value: V): void {
    super.set(storedKey, value);
  }
  private refuse(method: string): never {
    throw new TypeError(`The ${this.#where} is read-only (${method} refused): it is shared by every element of its window; copy it to change it: new Map(view)`);
  }
  override set(): this {
    return this.refuse("set");
  }
  override delete(): boolean {
    return this.refuse("delete");
  }
  override clear(): void {
    this.refuse("clear");
  }
}

/**
 * A view with object keys: an object key is found by any key that encodes to the same bytes with
 * the key coder (`get([1, 2])` finds the entry of another `[1, 2]`), and keys equal by encoding
 * are one entry (the first one seen is the one `keys()` gives). Primitive keys keep the native
 * lookup. A key the coder cannot encode equals no stored key (every stored key was encoded).
 */
class ViewMapByEncoding<K, V> extends ReadOnlyViewMap<K, V> {
  readonly #keyCoder: Coder<unknown>;
  /** The stored object keys by encoded identity (grouping_key's keyIdentity, as GroupByKey groups). */
  readonly #byEncoding = new Map<string, K>();
  constructor(where: string, keyCoder: Coder<unknown>) {
    super(where);
    this.#keyCoder = keyCoder;
  }
  override intern(key: K): K {
    if (!isObjectKey(key)) return key;
    const id = keyIdentity(key, this.#keyCoder);
    const stored = this.#byEncoding.get(id);
    if (stored !== undefined) return stored;
    this.#byEncoding.set(id, key);
    return key;
  }
  /** The stored key equal to object key `key`, if any. */
  #find(key: object): K | undefined {
    let id: string;
    try {
      id = keyIdentity(key, this.#keyCoder);
    } catch {
      return undefined;
    }
    return this.#byEncoding.get(id);
  }
  override get(key: K): V | undefined {
    if (!isObjectKey(key)) return super.get(key);
    const stored = this.#find(key);
    return stored === undefined ? undefined : super.get(stored);
  }
  override has(key: K): boolean {
    if (!isObjectKey(key)) return super.has(key);
    const stored = this.#find(key);
    return stored !== undefined && super.has(stored);
  }
}
