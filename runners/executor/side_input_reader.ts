/** Presents materialized side-input PCollections to DoFns, per window and view kind. */
import { PipelineError } from "../../lib/model/errors";
import type { SideInput } from "../../lib/model/side_inputs";
import type { BoundedWindow, KV, WindowedValue } from "../../lib/model/window";

/** All elements of the side-input PCollections a DoFn reads. */
export class SideInputReader {
  private readonly cache = new Map<SideInput<unknown>, Map<string, unknown>>();

  constructor(
    private readonly transformName: string,
    private readonly contents: ReadonlyMap<SideInput<unknown>, readonly WindowedValue<unknown>[]>,
  ) {}

  get<V>(view: SideInput<V>, mainWindow: BoundedWindow): V {
    const elements = this.contents.get(view as SideInput<unknown>);
    if (elements === undefined) {
      throw new PipelineError(
        `Transform '${this.transformName}' read a side input of ${view.pcoll.id} it did not declare; pass it in ParDo.of(fn, { sideInputs: [view] })`,
      );
    }
    const window = view.pcoll.windowing.windowFn.sideInputWindow(mainWindow);
    let perWindow = this.cache.get(view as SideInput<unknown>);
    if (perWindow === undefined) this.cache.set(view as SideInput<unknown>, (perWindow = new Map()));
    const id = window.id();
    if (!perWindow.has(id)) perWindow.set(id, this.build(view as SideInput<unknown>, elements, id));
    return perWindow.get(id) as V;
  }

  private build(view: SideInput<unknown>, elements: readonly WindowedValue<unknown>[], windowId: string): unknown {
    const values: unknown[] = [];
    for (const wv of elements) if (wv.windows.some((w) => w.id() === windowId)) values.push(wv.value);
    const where = `side input ${view.pcoll.id} of transform '${this.transformName}'`;
    switch (view.kind) {
      case "singleton":
        if (values.length === 1) return values[0];
        if (values.length === 0) {
          if (view.defaultValue !== undefined) return view.defaultValue.value;
          throw new PipelineError(`The singleton ${where} is empty in window ${windowId}; give AsSingleton a default: AsSingleton(pc, { default: ... })`);
        }
        throw new PipelineError(`The singleton ${where} has ${values.length} elements in window ${windowId}; it must have exactly one (use AsIterable for many)`);
      case "iterable":
        return Object.freeze(values);
      case "map": {
        const map = new Map<unknown, unknown>();
        for (const e of values as KV<unknown, unknown>[]) {
          if (map.has(e.key)) throw new PipelineError(`The map ${where} has the key ${String(e.key)} twice; use AsMultimap for repeated keys`);
          map.set(e.key, e.value);
        }
        return map;
      }
      case "multimap": {
        const map = new Map<unknown, unknown[]>();
        for (const e of values as KV<unknown, unknown>[]) {
          const list = map.get(e.key);
          if (list === undefined) map.set(e.key, [e.value]);
          else list.push(e.value);
        }
        return map;
      }
    }
  }
}
