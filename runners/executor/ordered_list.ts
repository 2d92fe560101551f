/**
 * Helpers shared by the runners' OrderedListState cells (in memory and over the Fn API): a cell
 * is an array of timestamped values kept sorted by timestamp, values of equal timestamps in the
 * order they were added. Ranges are half-open, `[from, to)`, as in Beam.
 */
import type { TimestampedValue } from "../../lib/transforms/util";
import { Instant, MAX_TIMESTAMP, MIN_TIMESTAMP } from "../../lib/model/window";

/** The first index whose timestamp is at least `t`. */
export function lowerBound(list: readonly TimestampedValue<unknown>[], t: Instant): number {
  let lo = 0;
  let hi = list.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (list[mid]!.timestamp < t) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

/** Where a value at `t` goes: after every value at `t` or earlier. */
export function insertionIndex(list: readonly TimestampedValue<unknown>[], t: Instant): number {
  let lo = 0;
  let hi = list.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (list[mid]!.timestamp <= t) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

/** The index range `[lo, hi)` of the values with `from <= timestamp < to`. */
export function rangeIndices(list: readonly TimestampedValue<unknown>[], from: Instant, to: Instant): [number, number] {
  const lo = lowerBound(list, from);
  return [lo, Math.max(lo, lowerBound(list, to))];
}

/** A copy of the values in `[lo, hi)` (what is read may be kept and output; the cell changes on). */
export function copyRange(list: readonly TimestampedValue<unknown>[], lo: number, hi: number): TimestampedValue<unknown>[] {
  const out: TimestampedValue<unknown>[] = [];
  for (let i = lo; i < hi; i++) out.push({ value: list[i]!.value, timestamp: list[i]!.timestamp });
  return out;
}

/** Checks what is added: a TimestampedValue whose timestamp is a whole millisecond within Beam's range. */
export function checkTimestamped(v: TimestampedValue<unknown>, state: string): TimestampedValue<unknown> {
  const t = (v as { timestamp?: unknown } | null | undefined)?.timestamp;
  if (typeof t !== "number" || !Number.isInteger(t) || t < MIN_TIMESTAMP || t > MAX_TIMESTAMP) {
    throw new RangeError(
      `OrderedListState '${state}': add() takes a TimestampedValue { value, timestamp } whose timestamp is a whole number of epoch milliseconds ` +
        `between MIN_TIMESTAMP and MAX_TIMESTAMP; got timestamp ${String(t)}`,
    );
  }
  return { value: v.value, timestamp: t };
}

/** Checks the bounds of a range (any Instant, or ±Infinity for an open end; NaN is refused). */
export function checkRange(from: Instant, to: Instant, state: string, method: string): void {
  if (typeof from !== "number" || typeof to !== "number" || Number.isNaN(from) || Number.isNaN(to)) {
    throw new RangeError(`OrderedListState '${state}': ${method}(from, to) takes two Instants (epoch milliseconds); got ${String(from)} and ${String(to)}`);
  }
}
