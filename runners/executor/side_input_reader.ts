/** Presents materialized side-input PCollections to DoFns, per window and view kind. */
import { InternalError, TransformError } from "../../lib/model/errors";
import type { SideInput } from "../../lib/model/side_inputs";
import type { BoundedWindow, KV, WindowedValue } from "../../lib/model/window";

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
        const map = new ReadOnlyViewMap<unknown, unknown>(where);
        for (const e of values as KV<unknown, unknown>[]) {
          if (map.has(e.key)) throw fail(`The map ${where} has the key ${String(e.key)} twice; use AsMultimap for repeated keys`);
          map.fill(e.key, e.value);
        }
        return map;
      }
      case "multimap": {
        const lists = new Map<unknown, unknown[]>();
        for (const e of values as KV<unknown, unknown>[]) {
          const list = lists.get(e.key);
          if (list === undefined) lists.set(e.key, [e.value]);
          else list.push(e.value);
        }
        const map = new ReadOnlyViewMap<unknown, readonly unknown[]>(where);
        for (const [key, list] of lists) map.fill(key, Object.freeze(list));
        return map;
      }
    }
  }
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
  /** @internal Adds an entry while the view is built. */
  fill(key: K, value: V): void {
    super.set(key, value);
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
