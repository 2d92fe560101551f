/**
 * The ordered list cell of a stateful ParDo's user state on the worker, and how its elements
 * travel over `OrderedListUserState` (beam:user_state:ordered_list:v1): appended with their sort
 * key, ranges cleared on the runner.
 */
import type { Coder } from "../../lib/coders/coder";
import { ByteReader, ByteWriter, decodeFromBytes, encodeToBytes } from "../../lib/coders/index";
import type { TimestampedValue } from "../../lib/transforms/util";
import { insertionIndex, rangeIndices } from "../executor/ordered_list";
import { SORT_KEY_MAX, SORT_KEY_MIN } from "./ordered_list_key";

/**
 * An ordered list cell: every element (sorted), what the runner holds of them, the ranges to
 * clear and the elements added since loading.
 */
export class OrderedListCell {
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
export function decodeOrdered(coder: Coder<unknown>, bytes: Uint8Array): TimestampedValue<unknown>[] {
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

export function encodeOrdered(coder: Coder<unknown>, values: readonly TimestampedValue<unknown>[]): Uint8Array {
  const w = new ByteWriter();
  for (const v of values) {
    w.writeVarInt64(sortKey(v.timestamp));
    const bytes = encodeToBytes(coder, v.value, "outer");
    w.writeVarInt(bytes.length);
    w.writeBytes(bytes);
  }
  return w.finish();
}
