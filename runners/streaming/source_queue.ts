/**
 * The queue between a real-time source and the streaming driver. A fast source queues hundreds
 * of thousands of elements a second, so the queue costs next to nothing per element: values sit
 * in one flat array (a bundle is a range of it, not a copy), timestamps are kept as runs of equal
 * instants (elements of a stream mostly share theirs with the one before: a batch, or a
 * millisecond at high rates), receipts only once a source gives one, and the smallest queued
 * timestamp (the watermark's bound) is kept as elements come and go.
 */
import type { Instant } from "../../lib/model/window";

/**
 * Elements taken for one bundle: `values[from .. to)`, whose timestamps are `runTimes[0]` for
 * the first `runLengths[0]` of them, then `runTimes[1]` for the next `runLengths[1]`, and so on.
 * `values` may be longer (and grow while the bundle runs): only the range is the bundle's.
 */
export interface SourceBundle {
  readonly values: readonly unknown[];
  readonly from: number;
  readonly to: number;
  readonly runTimes: readonly Instant[];
  readonly runLengths: readonly number[];
  /** The receipts the source gave with these elements (elements without one have none here). */
  readonly receipts: readonly unknown[];
}

/**
 * The smallest timestamp among the queued elements, kept as elements are queued and taken (a
 * monotonic queue: O(1) amortised per element), so that the watermark, computed once per
 * bundle, does not scan the queue. Entries are (sequence number, timestamp), ascending in both.
 */
class QueueMinimum {
  private seqs: number[] = [];
  private times: number[] = [];
  private head = 0;
  /** Elements up to sequence number `seq` have timestamp `t` (the newest queued). */
  push(seq: number, t: Instant): void {
    const last = this.times.length - 1;
    // The same timestamp as the newest entry (elements mostly come in order): it now stands for
    // this element, which leaves the queue last.
    if (last >= this.head && this.times[last] === t) {
      this.seqs[last] = seq;
      return;
    }
    while (this.times.length > this.head && this.times[this.times.length - 1]! >= t) {
      this.times.pop();
      this.seqs.pop();
    }
    this.seqs.push(seq);
    this.times.push(t);
  }
  /** Elements before sequence number `seq` left the queue. */
  dropBefore(seq: number): void {
    while (this.head < this.seqs.length && this.seqs[this.head]! < seq) this.head++;
    if (this.head > 1024 && this.head * 2 > this.seqs.length) {
      this.seqs = this.seqs.slice(this.head);
      this.times = this.times.slice(this.head);
      this.head = 0;
    }
  }
  /** Infinity when the queue is empty. */
  get min(): Instant {
    return this.head < this.times.length ? this.times[this.head]! : Infinity;
  }
}

/** Once this many entries at the front of an array have been taken (and at least half of it), the rest moves to a new array. */
const COMPACT_AFTER = 1024;

/**
 * A batch into the queue's array. A function of its own: its loop gets hot within the first
 * batch, before V8 has recorded type feedback for what addAll does before it; compiled inside
 * addAll, that code deoptimized at the next batch and was compiled again.
 */
function copyInto(into: unknown[], start: number, values: readonly unknown[], n: number): void {
  for (let i = 0; i < n; i++) into[start + i] = values[i];
}

/**
 * A new array for the queue's values, of V8's generic elements kind from the start. An array
 * given back by `recycle` is generic (cleared with undefined); a new `[]` holding numbers
 * would be of the small-integer kind, and `copyInto`, optimized for one, deoptimized at the
 * first array of the other.
 */
export function valuesArray(): unknown[] {
  const a: unknown[] = [undefined];
  a.length = 0;
  return a;
}

/** The elements a real-time source has queued and the driver has not taken yet. */
export class SourceQueue {
  /**
   * values[head .. end) are queued. The array is only ever appended to or replaced (never changed
   * in place below `end`), so a bundle handed out as a range of it stays valid. Past `end` it may
   * hold stale slots: an array given back by `recycle` is written over from the start.
   */
  private values: unknown[] = valuesArray();
  private head = 0;
  private end = 0;
  /**
   * The array of the last bundle that emptied the queue, while that bundle runs; then (recycled)
   * the array the queue fills next: a fast source's elements are copied once into one of two
   * arrays, rather than into a new array per bundle grown by copies.
   */
  private lent: unknown[] | undefined;
  private spare: unknown[] | undefined;
  /** In step with `values` (same indices; undefined: none given), once a source has given a receipt. */
  private receipts: unknown[] = [];
  private withReceipts = false;
  /** Timestamps of the queued elements as runs of equal instants, from runHead. */
  private runTimes: Instant[] = [];
  private runLengths: number[] = [];
  private runHead = 0;
  /** Elements queued and taken so far (sequence numbers for the minimum). */
  private queuedSoFar = 0;
  private takenSoFar = 0;
  private minimum = new QueueMinimum();

  /** Elements queued now. */
  get length(): number {
    return this.end - this.head;
  }

  /** Whether an element was ever queued. */
  get everQueued(): boolean {
    return this.queuedSoFar > 0;
  }

  /** The smallest queued timestamp (Infinity when empty). */
  get minTimestamp(): Instant {
    return this.minimum.min;
  }

  add(value: unknown, t: Instant, receipt: unknown): void {
    const i = this.end++;
    this.values[i] = value;
    if (receipt !== undefined && !this.withReceipts) this.keepReceipts(1);
    if (this.withReceipts) this.receipts[i] = receipt;
    this.addTime(t, 1);
    this.minimum.push(this.queuedSoFar++, t);
  }

  /** Queues a batch; `timestamps`: one for all, or one per value; `receipts`: undefined, or one per value. */
  addAll(values: readonly unknown[], timestamps: Instant | readonly Instant[], receipts: readonly unknown[] | undefined): void {
    const n = values.length;
    if (n === 0) return;
    // Copied (the source may reuse its array), into the queue's array after what is queued.
    const start = this.end;
    copyInto(this.values, start, values, n);
    this.end = start + n;
    if (receipts !== undefined && !this.withReceipts && receipts.some((r) => r !== undefined)) this.keepReceipts(n);
    if (this.withReceipts) for (let i = 0; i < n; i++) this.receipts[start + i] = receipts?.[i];
    if (typeof timestamps === "number") {
      this.addTime(timestamps, n);
      this.queuedSoFar += n;
      this.minimum.push(this.queuedSoFar - 1, timestamps);
    } else {
      for (let i = 0; i < n; i++) {
        const t = timestamps[i]!;
        this.addTime(t, 1);
        this.minimum.push(this.queuedSoFar++, t);
      }
    }
  }

  /** Takes up to `max` elements (one bundle). */
  take(max: number): SourceBundle {
    const values = this.values;
    const from = this.head;
    const n = Math.min(max, this.end - from);
    const to = from + n;
    const receipts = this.withReceipts ? this.receipts.slice(from, to).filter((r) => r !== undefined) : [];
    if (to === this.end) {
      // Emptied: the bundle keeps this array; the queue fills the spare one (or a new one).
      this.lent = values;
      this.values = this.spare ?? valuesArray();
      this.spare = undefined;
      if (this.withReceipts) this.receipts = [];
      this.head = this.end = 0;
    } else {
      this.head = to;
      if (to > COMPACT_AFTER && to * 2 > this.end) {
        this.values = values.slice(to, this.end);
        if (this.withReceipts) this.receipts = this.receipts.slice(to, this.end);
        this.end -= to;
        this.head = 0;
      }
    }
    const runTimes: Instant[] = [];
    const runLengths: number[] = [];
    let left = n;
    while (left > 0) {
      const length = this.runLengths[this.runHead]!;
      runTimes.push(this.runTimes[this.runHead]!);
      if (length <= left) {
        runLengths.push(length);
        left -= length;
        this.runHead++;
      } else {
        runLengths.push(left);
        this.runLengths[this.runHead] = length - left;
        left = 0;
      }
    }
    if (this.runHead > COMPACT_AFTER && this.runHead * 2 > this.runTimes.length) {
      this.runTimes = this.runTimes.slice(this.runHead);
      this.runLengths = this.runLengths.slice(this.runHead);
      this.runHead = 0;
    }
    this.takenSoFar += n;
    this.minimum.dropBefore(this.takenSoFar);
    return { values, from, to, runTimes, runLengths, receipts };
  }

  /**
   * The bundle is done (its elements have gone through the graph): the array it was taken from,
   * if the queue no longer uses it, is cleared and kept for the queue to fill again.
   */
  recycle(bundle: SourceBundle): void {
    const values = bundle.values as unknown[];
    if (values !== this.lent) return;
    this.lent = undefined;
    // Its slots no longer keep the bundle's elements alive.
    values.fill(undefined, 0, bundle.to);
    this.spare = values;
  }

  /** Drops everything queued. */
  clear(): void {
    this.values = valuesArray();
    this.lent = this.spare = undefined;
    this.receipts = [];
    this.head = this.end = 0;
    this.runTimes = [];
    this.runLengths = [];
    this.runHead = 0;
    this.takenSoFar = this.queuedSoFar;
    this.minimum = new QueueMinimum();
  }

  private addTime(t: Instant, n: number): void {
    const last = this.runTimes.length - 1;
    if (last >= this.runHead && this.runTimes[last] === t) this.runLengths[last]! += n;
    else {
      this.runTimes.push(t);
      this.runLengths.push(n);
    }
  }

  /** The first receipt given: from now on receipts are kept in step with the values (`added`: values just queued without theirs). */
  private keepReceipts(added: number): void {
    this.withReceipts = true;
    this.receipts = new Array<unknown>(this.end - added).fill(undefined);
  }
}
