/**
 * The watermark holds of a grouping step's windows, counted per instant: many windows hold at
 * the same instant (every key's state in a fixed window holds at the window's end), so this
 * costs a count per distinct instant rather than an entry per window, and has no stale entries
 * to skip. The smallest held instant is the step's hold. Also TimeBuckets, the same idea for
 * the instants at which windows need a visit.
 */
import { MinHeap } from "../executor/min_heap";

export class HoldCounts {
  private readonly counts = new Map<number, number>();
  /** The held instants; an instant whose count went to zero stays until it reaches the top. */
  private readonly instants = new MinHeap<number>();

  add(t: number): void {
    const n = this.counts.get(t);
    if (n !== undefined) {
      this.counts.set(t, n + 1);
      return;
    }
    this.counts.set(t, 1);
    this.instants.push(t, t);
    // Instants released below the top pile up when holds move often (LATEST timestamps): rebuild.
    if (this.instants.size > 2 * this.counts.size + 1024) {
      this.instants.clear();
      for (const i of this.counts.keys()) this.instants.push(i, i);
    }
  }

  remove(t: number): void {
    const n = this.counts.get(t);
    if (n === undefined) throw new Error(`internal error: no watermark hold at ${t} to release`);
    if (n === 1) this.counts.delete(t);
    else this.counts.set(t, n - 1);
  }

  /** The smallest held instant (Infinity: none). */
  min(): number {
    for (;;) {
      const t = this.instants.peekTime();
      if (t === Infinity || this.counts.has(t)) return t;
      this.instants.pop();
    }
  }
}

/** The items of one instant (TimeBuckets): items[0 .. n); the array is reused, so it may be longer. */
interface Bucket<T> {
  items: T[];
  n: number;
}

/**
 * Items waiting for an instant, grouped by instant: the windows of a grouping step wake at a few
 * instants (every key's state in a fixed window at the window's end), so an item costs a slot in
 * its instant's list, and the heap holds distinct instants. Items of one instant come out in the
 * order they went in.
 *
 * A bucket's array is reused for a later instant once its items have been visited: with 100,000
 * keys a window's bucket is a large object, and growing a new one per window by doubling leaves
 * megabytes of garbage in large-object space for the next full collection.
 */
export class TimeBuckets<T> {
  private readonly buckets = new Map<number, Bucket<T>>();
  private readonly instants = new MinHeap<number>();
  /** An emptied bucket, for the next new instant. */
  private spare: Bucket<T> | undefined;

  push(t: number, item: T): void {
    const bucket = this.buckets.get(t);
    if (bucket !== undefined) {
      bucket.items[bucket.n++] = item;
      return;
    }
    let fresh = this.spare;
    if (fresh !== undefined) this.spare = undefined;
    else fresh = { items: [], n: 0 };
    fresh.items[fresh.n++] = item;
    this.buckets.set(t, fresh);
    this.instants.push(t, t);
  }

  /** The earliest instant with items (Infinity: none). */
  peekTime(): number {
    return this.instants.peekTime();
  }

  /**
   * Removes the items of the earliest instant and calls `visit` with each, in the order they were
   * pushed (`visit` may push items, for later instants or this one: those go into a new bucket).
   */
  popBucket(visit: (item: T) => void): void {
    const t = this.instants.peekTime();
    this.instants.pop();
    const bucket = this.buckets.get(t);
    if (bucket === undefined) return;
    this.buckets.delete(t);
    const items = bucket.items;
    for (let i = 0; i < bucket.n; i++) visit(items[i]!);
    // Emptied (its items no longer held), it is the spare unless a bigger one is.
    items.fill(undefined as T, 0, bucket.n);
    bucket.n = 0;
    if (this.spare === undefined || this.spare.items.length < items.length) this.spare = bucket;
  }
}
