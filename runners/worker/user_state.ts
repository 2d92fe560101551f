/**
 * User state of a stateful ParDo within one bundle on the worker (BEAM_PORTABILITY.md §3.7).
 *
 * - The DoFn API reads state synchronously, so when an element or timer first touches a
 *   (key, window) in a bundle, every declared cell of that key and window is fetched (following
 *   continuation tokens) before user code runs. Reads and writes then hit the bundle's cache;
 *   at the end of the bundle the changes go back as clear and/or append requests
 *   (user_state_fnapi.ts says how each kind of cell travels).
 * - Across bundles, state stays cached while the runner sends the same user-state cache token
 *   (user_state_cache.ts).
 */
import type { CombineFnLike } from "../../lib/model/combine_fn";
import type { BagState, CombiningState, MapState, OrderedListState, SetState, StateSpec, ValueState } from "../../lib/model/state";
import { checkRange, checkTimestamped, copyRange, rangeIndices } from "../executor/ordered_list";
import type { StateChannel } from "./state_channel";
import { type Slot, UserStateCache } from "./user_state_cache";
import { type BagCell, type Cell, type CellSpec, hex, type MapCell, type SetCell, settled } from "./user_state_cells";
import { flushCell, loadSlot } from "./user_state_fnapi";
import type { OrderedListCell } from "./user_state_ordered_list";

/** The user state of one stateful ParDo within one bundle. */
export class UserStateStore {
  private slots = new Map<string, Slot>();
  /**
   * While an element runs under exception handling: how to put back each cell it changed (first
   * change only), so that a failed element leaves no state behind, as in Beam.
   */
  private journal: Map<Cell, () => void> | undefined;
  private loading = new Map<string, Promise<void>>();
  /** The user-state cache token of the bundle running (or last run). */
  private token: string | undefined;

  constructor(
    private readonly transformId: string,
    private readonly transformName: string,
    private readonly cells: readonly CellSpec[],
    private readonly channel: () => StateChannel,
    private readonly instructionId: () => string,
    /** What stays cached between bundles (the harness shares one per transform among its processors). */
    private readonly cache: UserStateCache = new UserStateCache(),
  ) {}

  /** Forgets the bundle's cells. */
  reset(): void {
    this.slots = new Map();
    this.loading = new Map();
  }

  /** A bundle starts: what is cached stays only if the runner sent the same cache token again. */
  beginBundle(token: string | undefined): void {
    this.reset();
    this.cache.begin(token);
    this.token = token;
  }


  private slotId(keyBytes: Uint8Array, windowBytes: Uint8Array): string {
    return `${hex(keyBytes)}|${hex(windowBytes)}`;
  }

  /** From here until `endElement`, changes to cells are recorded so that they can be undone. */
  beginElement(): void {
    this.journal = new Map();
  }

  /** Keeps (`succeeded`) or undoes the cell changes made since `beginElement`. */
  endElement(succeeded: boolean): void {
    const journal = this.journal;
    this.journal = undefined;
    if (!succeeded && journal !== undefined) for (const undo of journal.values()) undo();
  }

  /** Called before a cell changes: remembers its state if an element's changes may be undone. */
  private changing(cell: Cell): void {
    if (this.journal !== undefined && !this.journal.has(cell)) this.journal.set(cell, cell.snapshot());
  }

  /** Loads every cell of (key, window) unless already cached; undefined when nothing to wait for. */
  ensureLoaded(keyBytes: Uint8Array, windowBytes: Uint8Array): Promise<void> | undefined {
    const id = this.slotId(keyBytes, windowBytes);
    if (this.slots.has(id)) return undefined;
    const cached = this.cache.take(this.token, id);
    if (cached !== undefined) {
      this.slots.set(id, cached);
      return undefined;
    }
    let p = this.loading.get(id);
    if (p === undefined) {
      p = loadSlot(this.transformId, this.transformName, this.cells, this.channel, this.instructionId, keyBytes, windowBytes).then((slot) => {
        this.slots.set(id, slot);
        this.loading.delete(id);
      });
      this.loading.set(id, p);
    }
    return p;
  }

  private cell(keyBytes: Uint8Array, windowBytes: Uint8Array, name: string): Cell {
    const slot = this.slots.get(this.slotId(keyBytes, windowBytes));
    const cell = slot?.cells.get(name);
    if (cell === undefined) {
      throw new Error(
        `Transform '${this.transformName}' used state '${name}', which is not loaded for this key and window; declare every StateSpec as a field of the DoFn so the runner knows it`,
      );
    }
    return cell;
  }

  /** The user-facing view of a cell of (key, window); `spec` says its kind. */
  view<S>(spec: StateSpec<S>, keyBytes: Uint8Array, windowBytes: Uint8Array): S {
    const cell = this.cell(keyBytes, windowBytes, spec.name);
    switch (spec.kind) {
      case "value": {
        const bag = cell as BagCell;
        const s: ValueState<unknown> = {
          read: () => {
            const all = bag.read();
            return all.length === 0 ? undefined : all[all.length - 1];
          },
          write: (v) => {
            this.changing(bag);
            bag.clear();
            bag.add(v);
          },
          clear: () => (this.changing(bag), bag.clear()),
        };
        return s as S;
      }
      case "bag": {
        const bag = cell as BagCell;
        const s: BagState<unknown> = {
          add: (v) => (this.changing(bag), bag.add(v)),
          read: () => bag.read(),
          isEmpty: () => bag.read().length === 0,
          clear: () => (this.changing(bag), bag.clear()),
        };
        return s as S;
      }
      case "combining": {
        const bag = cell as BagCell;
        const fn = spec.combineFn as CombineFnLike;
        const acc = (): unknown => {
          const accs = bag.read();
          return accs.length === 0 ? fn.createAccumulator() : accs.length === 1 ? accs[0] : fn.mergeAccumulators(accs);
        };
        const s: CombiningState<unknown, unknown> = {
          add: (v) => {
            this.changing(bag);
            // addInput may change the accumulator in place: under a journal, work on a copy.
            const current = acc();
            const next = fn.addInput(this.journal === undefined ? current : fn.mergeAccumulators([fn.createAccumulator(), current]), v);
            bag.clear();
            bag.add(next);
          },
          read: () => fn.extractOutput(acc()),
          clear: () => (this.changing(bag), bag.clear()),
        };
        return s as S;
      }
      case "map": {
        const map = cell as MapCell;
        const s: MapState<unknown, unknown> = {
          get: (k) => map.get(k),
          put: (k, v) => (this.changing(map), map.put(k, v)),
          remove: (k) => (this.changing(map), map.remove(k)),
          entries: () => [...map.entries.values()].map((e) => [e.key, e.value] as const),
          clear: () => (this.changing(map), map.clear()),
        };
        return s as S;
      }
      case "set": {
        const set = cell as SetCell;
        const addIfAbsent = (v: unknown): boolean => {
          if (set.elements.has(set.id(v))) return false;
          this.changing(set);
          return set.addIfAbsent(v);
        };
        const s: SetState<unknown> = {
          add: (v) => void addIfAbsent(v),
          addIfAbsent,
          contains: (v) => set.elements.has(set.id(v)),
          remove: (v) => (this.changing(set), set.remove(v)),
          read: () => [...set.elements.values()],
          isEmpty: () => set.elements.size === 0,
          clear: () => (this.changing(set), set.clear()),
        };
        return s as S;
      }
      case "orderedList": {
        const list = cell as OrderedListCell;
        const s: OrderedListState<unknown> = {
          add: (v) => {
            const tv = checkTimestamped(v, spec.name);
            this.changing(list);
            list.add(tv);
          },
          read: () => copyRange(list.items, 0, list.items.length),
          readRange: (from, to) => (checkRange(from, to, spec.name, "readRange"), copyRange(list.items, ...rangeIndices(list.items, from, to))),
          clearRange: (from, to) => {
            checkRange(from, to, spec.name, "clearRange");
            this.changing(list);
            list.clearRange(from, to);
          },
          isEmpty: () => list.items.length === 0,
          clear: () => (this.changing(list), list.clear()),
        };
        return s as S;
      }
    }
  }

  /** Writes the bundle's changes back: clear, then append, per changed cell. */
  async flush(): Promise<void> {
    if (this.loading.size > 0) await Promise.all(this.loading.values());
    const instruction = this.instructionId();
    const work: Promise<void>[] = [];
    for (const slot of this.slots.values()) {
      for (const c of this.cells) {
        const cell = slot.cells.get(c.spec.name);
        if (cell === undefined) continue;
        work.push(
          flushCell(this.transformId, this.channel, instruction, c, cell, slot).catch((e: unknown) => {
            throw new Error(`Writing state '${c.spec.name}' of transform '${this.transformName}' to the runner failed: ${(e as Error).message}`, { cause: e });
          }),
        );
      }
    }
    await Promise.all(work);
    // Cached for the next bundle with this token: each cell as the runner now holds it.
    if (this.token !== undefined) {
      for (const [id, slot] of this.slots) {
        const cells = new Map<string, Cell>();
        for (const c of this.cells) {
          const cell = slot.cells.get(c.spec.name);
          if (cell !== undefined) cells.set(c.spec.name, settled(cell, c));
        }
        this.cache.put(this.token, id, { keyBytes: slot.keyBytes, windowBytes: slot.windowBytes, cells });
      }
    }
    this.reset();
  }
}
