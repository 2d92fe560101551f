/**
 * The cells of a stateful ParDo's user state on the worker, as a bundle holds them between
 * loading and writing back: what the runner had, and what changed since (so that only the
 * changes go back). A value, bag or combining cell is a BagCell (a value cell is a bag with at
 * most one element, a combining cell a bag of accumulators); a map cell a MapCell; a set cell a
 * SetCell; an ordered list cell an OrderedListCell (user_state_ordered_list.ts).
 */
import type { Coder } from "../../lib/coders/coder";
import { encodeToBytes } from "../../lib/coders/index";
import type { StateSpec } from "../../lib/model/state";
import { OrderedListCell } from "./user_state_ordered_list";

/** How one declared cell is stored, from the PBD's StateSpec. */
export interface CellSpec {
  readonly spec: StateSpec<unknown>;
  /** Element coder (value/bag/set/ordered list), accumulator coder (combining) or value coder (map). */
  readonly coder: Coder<unknown>;
  /** Map key coder (map cells only). */
  readonly mapKeyCoder?: Coder<unknown>;
}

/** Encoded bytes as a string: map entries, set elements and cached slots are keyed by their bytes. */
export const hex = (b: Uint8Array): string => Buffer.from(b).toString("hex");

/** A bag-protocol cell: what the runner had, whether it was cleared, what was appended since. */
export class BagCell {
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
export class MapCell {
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
export class SetCell {
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

export type Cell = BagCell | MapCell | SetCell | OrderedListCell;

/** The cell as the runner now holds it (after the bundle's changes were written back). */
export function settled(cell: Cell, c: CellSpec): Cell {
  if (cell instanceof BagCell) return new BagCell(cell.read());
  if (cell instanceof SetCell) return new SetCell(new Map(cell.elements), c.coder);
  if (cell instanceof OrderedListCell) return new OrderedListCell([...cell.items]);
  return new MapCell(new Map(cell.entries), c.mapKeyCoder!);
}
