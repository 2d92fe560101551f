/**
 * User state of a stateful ParDo over the Fn API State API (BEAM_PORTABILITY.md §3.7).
 *
 * - value, bag and combining cells use `StateKey.BagUserState` (protocol beam:user_state:bag:v1):
 *   a value cell is a bag with at most one element, a combining cell a bag of accumulators
 *   (merged when read, written back as one).
 * - map cells use the multimap protocol: `MultimapKeysUserState` lists the map keys,
 *   `MultimapUserState` holds the (single) value of each map key.
 * - set cells use the bag protocol, as Beam Python does: the bag holds the elements (duplicates
 *   dropped when read, by encoded bytes); a removal rewrites the bag.
 * - ordered list cells use `OrderedListUserState` (beam:user_state:ordered_list:v1): elements
 *   are appended with their sort key, ranges are cleared on the runner.
 * - The DoFn API reads state synchronously, so when an element or timer first touches a
 *   (key, window) in a bundle, every declared cell of that key and window is fetched (following
 *   continuation tokens) before user code runs. Reads and writes then hit the bundle's cache;
 *   at the end of the bundle the changes go back as clear and/or append requests.
 * - Across bundles, state stays cached while the runner sends the same user-state cache token
 *   (ProcessBundleRequest.cache_tokens): the runner promises nobody else changed it meanwhile.
 *   Without a token, or with a new one, every bundle reads what it touches again. The cache
 *   (UserStateCache) is the worker's, shared by the pooled processors of a descriptor, as Beam
 *   Python's StateCache is: a key's next bundle may run on another processor than its last.
 */
import type { Coder } from "../../lib/coders/coder";
import { ByteReader, ByteWriter, decodeFromBytes, encodeToBytes } from "../../lib/coders/index";
import type { CombineFnLike } from "../../lib/model/combine_fn";
import type { BagState, CombiningState, MapState, OrderedListState, SetState, StateSpec, ValueState } from "../../lib/model/state";
import type { TimestampedValue } from "../../lib/transforms/util";
import { checkRange, checkTimestamped, copyRange, insertionIndex, rangeIndices } from "../executor/ordered_list";
import { orderedListStateKey, SORT_KEY_MAX, SORT_KEY_MIN } from "./ordered_list_key";
import type { fnapi } from "../portable/protos";
import type { StateChannel } from "./state_channel";

/** How one declared cell is stored, from the PBD's StateSpec. */
export interface CellSpec {
  readonly spec: StateSpec<unknown>;
  /** Element coder (value/bag/set/ordered list), accumulator coder (combining) or value coder (map). */
  readonly coder: Coder<unknown>;
  /** Map key coder (map cells only). */
  readonly mapKeyCoder?: Coder<unknown>;
}

function decodeAll(coder: Coder<unknown>, bytes: Uint8Array): unknown[] {
  const r = new ByteReader(bytes);
  const out: unknown[] = [];
  while (!r.atEnd()) out.push(coder.decode(r, "nested"));
  return out;
}

function encodeAll(coder: Coder<unknown>, values: readonly unknown[]): Uint8Array {
  const w = new ByteWriter();
  for (const v of values) coder.encode(v, w, "nested");
  return w.finish();
}

const hex = (b: Uint8Array): string => Buffer.from(b).toString("hex");

/** A bag-protocol cell: what the runner had, whether it was cleared, what was appended since. */
class BagCell {
  cleared = false;
  appended: unknown[] = [];
  constructor(private loaded: readonly unknown[]) {}
  read(): unknown[] {
    return this.cleared ? [...this.appended] : [...this.loaded, ...this.appended];
  }
  add(v: unknown): void {
    this.appended.push(v);
  }
  clear(): void {
    this.cleared = true;
    this.loaded = [];
    this.appended = [];
  }
  get dirty(): boolean {
    return this.cleared || this.appended.length > 0;
  }
  /** Its state now, to be put back by `undo` if the element changing it fails. */
  snapshot(): () => void {
    const { cleared, loaded } = this;
    const appended = [...this.appended];
    return () => {
      this.cleared = cleared;
      this.loaded = loaded;
      this.appended = appended;
    };
  }
}

/** A multimap-protocol cell with one value per map key. */
class MapCell {
  clearedAll = false;
  /** Map keys written since loading: encoded key → value (undefined = removed). */
  readonly touched = new Map<string, { readonly keyBytes: Uint8Array; readonly value: unknown; readonly removed: boolean }>();
  constructor(
    readonly entries: Map<string, { readonly key: unknown; readonly value: unknown }>,
    private readonly keyCoder: Coder<unknown>,
  ) {}
  private id(key: unknown): [string, Uint8Array] {
    const bytes = encodeToBytes(this.keyCoder, key, "nested");
    return [hex(bytes), bytes];
  }
  get(key: unknown): unknown {
    return this.entries.get(this.id(key)[0])?.value;
  }
  put(key: unknown, value: unknown): void {
    const [id, keyBytes] = this.id(key);
    this.entries.set(id, { key, value });
    this.touched.set(id, { keyBytes, value, removed: false });
  }
  remove(key: unknown): void {
    const [id, keyBytes] = this.id(key);
    this.entries.delete(id);
    this.touched.set(id, { keyBytes, value: undefined, removed: true });
  }
  clear(): void {
    this.clearedAll = true;
    this.entries.clear();
    this.touched.clear();
  }
  /** Its state now, to be put back if the element changing it fails. */
  snapshot(): () => void {
    const clearedAll = this.clearedAll;
    const entries = new Map(this.entries);
    const touched = new Map(this.touched);
    return () => {
      this.clearedAll = clearedAll;
      this.entries.clear();
      for (const [k, v] of entries) this.entries.set(k, v);
      this.touched.clear();
      for (const [k, v] of touched) this.touched.set(k, v);
    };
  }
}

/** A set cell over the bag protocol: elements by their encoded bytes (as Beam compares them). */
class SetCell {
  cleared = false;
  /** Whether an element the runner holds was removed (the bag is then rewritten). */
  removed = false;
  /** Elements added since loading (or the last clear). */
  readonly added = new Map<string, unknown>();
  constructor(
    readonly elements: Map<string, unknown>,
    private readonly coder: Coder<unknown>,
  ) {}
  id(v: unknown): string {
    return hex(encodeToBytes(this.coder, v, "nested"));
  }
  addIfAbsent(v: unknown): boolean {
    const id = this.id(v);
    if (this.elements.has(id)) return false;
    this.elements.set(id, v);
    this.added.set(id, v);
    return true;
  }
  remove(v: unknown): void {
    const id = this.id(v);
    if (!this.elements.delete(id)) return;
    if (!this.added.delete(id)) this.removed = true;
  }
  clear(): void {
    this.cleared = true;
    this.removed = false;
    this.elements.clear();
    this.added.clear();
  }
  get dirty(): boolean {
    return this.cleared || this.removed || this.added.size > 0;
  }
  snapshot(): () => void {
    const { cleared, removed } = this;
    const elements = new Map(this.elements);
    const added = new Map(this.added);
    return () => {
      this.cleared = cleared;
      this.removed = removed;
      this.elements.clear();
      for (const [k, v] of elements) this.elements.set(k, v);
      this.added.clear();
      for (const [k, v] of added) this.added.set(k, v);
    };
  }
}

/**
 * An ordered list cell: every element (sorted), what the runner holds of them, the ranges to
 * clear and the elements added since loading.
 */
class OrderedListCell {
  /** Sort-key ranges `[start, end)` to clear on the runner, before the appends. */
  clears: (readonly [bigint, bigint])[] = [];
  appended: TimestampedValue<unknown>[] = [];
  /**
   * The elements the runner holds (as loaded, less what was cleared since). A range is cleared on
   * the runner only if it holds something there: Prism 2.66 fails on clearing the ordered list of
   * a key it has no state for.
   */
  held: TimestampedValue<unknown>[];
  constructor(public items: TimestampedValue<unknown>[]) {
    this.held = [...items];
  }
  add(v: TimestampedValue<unknown>): void {
    this.items.splice(insertionIndex(this.items, v.timestamp), 0, v);
    this.appended.push(v);
  }
  clearRange(from: number, to: number): void {
    if (!(from < to)) return;
    const [lo, hi] = rangeIndices(this.items, from, to);
    this.items.splice(lo, hi - lo);
    this.appended = this.appended.filter((v) => v.timestamp < from || v.timestamp >= to);
    const [hlo, hhi] = rangeIndices(this.held, from, to);
    if (hlo === hhi) return;
    this.held.splice(hlo, hhi - hlo);
    this.clears.push([sortKey(from), sortKey(to)]);
  }
  clear(): void {
    this.items = [];
    this.appended = [];
    if (this.held.length === 0) return;
    this.held = [];
    this.clears = [[SORT_KEY_MIN, SORT_KEY_MAX]];
  }
  get dirty(): boolean {
    return this.clears.length > 0 || this.appended.length > 0;
  }
  snapshot(): () => void {
    const items = [...this.items];
    const held = [...this.held];
    const clears = [...this.clears];
    const appended = [...this.appended];
    return () => {
      this.items = items;
      this.held = held;
      this.clears = clears;
      this.appended = appended;
    };
  }
}

/**
 * The sort key of a timestamp: microseconds, as Beam Python keys ordered list state. A range
 * bound may be any Instant: timestamps are whole milliseconds, so `t >= x` is `t >= ceil(x)`;
 * infinite bounds are the widest range.
 */
function sortKey(t: number): bigint {
  if (!Number.isFinite(t)) return t > 0 ? SORT_KEY_MAX : SORT_KEY_MIN;
  const key = BigInt(Math.ceil(t)) * 1000n;
  return key < SORT_KEY_MIN ? SORT_KEY_MIN : key > SORT_KEY_MAX ? SORT_KEY_MAX : key;
}

/** Reads ordered list elements: varint sort key, then the length-prefixed value. */
function decodeOrdered(coder: Coder<unknown>, bytes: Uint8Array): TimestampedValue<unknown>[] {
  const r = new ByteReader(bytes);
  const out: TimestampedValue<unknown>[] = [];
  while (!r.atEnd()) {
    const key = r.readVarInt64();
    const value = decodeFromBytes(coder, r.readBytes(r.readVarInt()), "outer");
    // Whole milliseconds (floored, should another SDK have written finer keys).
    const micros = key - (((key % 1000n) + 1000n) % 1000n);
    out.push({ value, timestamp: Number(micros / 1000n) });
  }
  // Runners answer in sort-key order; equal keys keep the runner's order.
  return out;
}

function encodeOrdered(coder: Coder<unknown>, values: readonly TimestampedValue<unknown>[]): Uint8Array {
  const w = new ByteWriter();
  for (const v of values) {
    w.writeVarInt64(sortKey(v.timestamp));
    const bytes = encodeToBytes(coder, v.value, "outer");
    w.writeVarInt(bytes.length);
    w.writeBytes(bytes);
  }
  return w.finish();
}

type Cell = BagCell | MapCell | SetCell | OrderedListCell;

/** At most this many (key, window) slots stay cached between bundles (the oldest go first). */
const MAX_CACHED_SLOTS = 10_000;

/** The cell as the runner now holds it (after the bundle's changes were written back). */
function settled(cell: Cell, c: CellSpec): Cell {
  if (cell instanceof BagCell) return new BagCell(cell.read());
  if (cell instanceof SetCell) return new SetCell(new Map(cell.elements), c.coder);
  if (cell instanceof OrderedListCell) return new OrderedListCell([...cell.items]);
  return new MapCell(new Map(cell.entries), c.mapKeyCoder!);
}

/** The cells of one key in one window. */
export interface Slot {
  readonly keyBytes: Uint8Array;
  readonly windowBytes: Uint8Array;
  readonly cells: Map<string, Cell>;
}

/**
 * The user state of one stateful ParDo cached between bundles under the runner's cache token,
 * shared by every processor running the transform. A bundle takes a (key, window) out while it
 * works on it and puts it back, as the runner then holds it, once its writes are done: so a
 * failed bundle leaves nothing behind, and bundles running at once (on other keys, as runners
 * guarantee) never share a cell.
 */
export class UserStateCache {
  private token: string | undefined;
  private readonly slots = new Map<string, Slot>();

  /** A bundle starts under `token`: a new token (or none) means anything cached may be stale. */
  begin(token: string | undefined): void {
    if (token === undefined || token !== this.token) this.slots.clear();
    this.token = token;
  }

  /** The cached slot `id` for a bundle under `token`, removed from the cache while the bundle holds it. */
  take(token: string | undefined, id: string): Slot | undefined {
    if (token === undefined || token !== this.token) return undefined;
    const slot = this.slots.get(id);
    if (slot !== undefined) this.slots.delete(id);
    return slot;
  }

  /** Caches a slot a bundle under `token` wrote back (dropped if the token has changed since). */
  put(token: string | undefined, id: string, slot: Slot): void {
    if (token === undefined || token !== this.token) return;
    this.slots.delete(id);
    this.slots.set(id, slot);
    if (this.slots.size > MAX_CACHED_SLOTS) this.slots.delete(this.slots.keys().next().value as string);
  }
}

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
      p = this.load(keyBytes, windowBytes).then((slot) => {
        this.slots.set(id, slot);
        this.loading.delete(id);
      });
      this.loading.set(id, p);
    }
    return p;
  }

  private bagKey(state: string, keyBytes: Uint8Array, windowBytes: Uint8Array): fnapi.StateKey {
    return { type: { oneofKind: "bagUserState", bagUserState: { transformId: this.transformId, userStateId: state, window: windowBytes, key: keyBytes } } };
  }
  private keysKey(state: string, keyBytes: Uint8Array, windowBytes: Uint8Array): fnapi.StateKey {
    return { type: { oneofKind: "multimapKeysUserState", multimapKeysUserState: { transformId: this.transformId, userStateId: state, window: windowBytes, key: keyBytes } } };
  }
  private valuesKey(state: string, keyBytes: Uint8Array, windowBytes: Uint8Array, mapKey: Uint8Array): fnapi.StateKey {
    return { type: { oneofKind: "multimapUserState", multimapUserState: { transformId: this.transformId, userStateId: state, window: windowBytes, key: keyBytes, mapKey } } };
  }

  private orderedKey(state: string, keyBytes: Uint8Array, windowBytes: Uint8Array, range?: readonly [bigint, bigint]): fnapi.StateKey {
    return orderedListStateKey(this.transformId, state, windowBytes, keyBytes, range);
  }

  private async load(keyBytes: Uint8Array, windowBytes: Uint8Array): Promise<Slot> {
    const instruction = this.instructionId();
    const get = (key: fnapi.StateKey): Promise<Uint8Array> => this.channel().get(instruction, key);
    const cells = new Map<string, Cell>();
    await Promise.all(
      this.cells.map(async (c) => {
        const name = c.spec.name;
        try {
          if (c.spec.kind === "set") {
            const set = new SetCell(new Map(), c.coder);
            for (const v of decodeAll(c.coder, await get(this.bagKey(name, keyBytes, windowBytes)))) set.elements.set(set.id(v), v);
            cells.set(name, set);
            return;
          }
          if (c.spec.kind === "orderedList") {
            const all = await get(this.orderedKey(name, keyBytes, windowBytes, [SORT_KEY_MIN, SORT_KEY_MAX]));
            cells.set(name, new OrderedListCell(decodeOrdered(c.coder, all)));
            return;
          }
          if (c.spec.kind !== "map") {
            cells.set(name, new BagCell(decodeAll(c.coder, await get(this.bagKey(name, keyBytes, windowBytes)))));
            return;
          }
          const keyCoder = c.mapKeyCoder!;
          const keys = await get(this.keysKey(name, keyBytes, windowBytes));
          const entries = new Map<string, { key: unknown; value: unknown }>();
          const r = new ByteReader(keys);
          const pending: Promise<void>[] = [];
          while (!r.atEnd()) {
            const start = r.offset;
            const key = keyCoder.decode(r, "nested");
            const mapKey = keys.subarray(start, r.offset);
            pending.push(
              get(this.valuesKey(name, keyBytes, windowBytes, mapKey)).then((bytes) => {
                const values = decodeAll(c.coder, bytes);
                if (values.length > 0) entries.set(hex(mapKey), { key, value: values[values.length - 1] });
              }),
            );
          }
          await Promise.all(pending);
          cells.set(name, new MapCell(entries, keyCoder));
        } catch (e) {
          throw new Error(`Reading state '${name}' of transform '${this.transformName}' from the runner failed: ${(e as Error).message}`, { cause: e });
        }
      }),
    );
    return { keyBytes, windowBytes, cells };
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
          this.flushCell(instruction, c, cell, slot).catch((e: unknown) => {
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

  private async flushCell(instruction: string, c: CellSpec, cell: Cell, slot: Slot): Promise<void> {
    const ch = this.channel();
    const { keyBytes, windowBytes } = slot;
    if (cell instanceof BagCell) {
      if (!cell.dirty) return;
      const key = this.bagKey(c.spec.name, keyBytes, windowBytes);
      if (cell.cleared) await ch.clear(instruction, key);
      if (cell.appended.length > 0) await ch.append(instruction, key, encodeAll(c.coder, cell.appended));
      return;
    }
    if (cell instanceof SetCell) {
      if (!cell.dirty) return;
      const key = this.bagKey(c.spec.name, keyBytes, windowBytes);
      // A removal cannot be appended: the bag is rewritten with the elements left.
      const rewrite = cell.cleared || cell.removed;
      if (rewrite) await ch.clear(instruction, key);
      const values = rewrite ? [...cell.elements.values()] : [...cell.added.values()];
      if (values.length > 0) await ch.append(instruction, key, encodeAll(c.coder, values));
      return;
    }
    if (cell instanceof OrderedListCell) {
      // In order: the clears, then the appends (which the clears must not remove).
      for (const range of cell.clears) await ch.clear(instruction, this.orderedKey(c.spec.name, keyBytes, windowBytes, range));
      if (cell.appended.length > 0) await ch.append(instruction, this.orderedKey(c.spec.name, keyBytes, windowBytes), encodeOrdered(c.coder, cell.appended));
      return;
    }
    if (cell.clearedAll) await ch.clear(instruction, this.keysKey(c.spec.name, keyBytes, windowBytes));
    await Promise.all(
      [...cell.touched.values()].map(async (t) => {
        const key = this.valuesKey(c.spec.name, keyBytes, windowBytes, t.keyBytes);
        if (!cell.clearedAll) await ch.clear(instruction, key);
        if (!t.removed) await ch.append(instruction, key, encodeAll(c.coder, [t.value]));
      }),
    );
  }
}
