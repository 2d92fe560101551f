/**
 * Combiner lifting in front of the keyed exchange (exchange.ts): for a Combine.perKey, an
 * instance adds the elements of a bundle whose keys another instance owns into one accumulator
 * per key and window (addInput), and sends the accumulators instead of the elements; the owner
 * merges them into its state (mergeAccumulators). This is Beam's combiner lifting (the
 * partial combine before the shuffle, as Dataflow, Flink and Beam Python's `lift_combiners` do),
 * with the same limits: only for non-merging windows and for triggers that do not count
 * elements beyond one (an accumulator reaches the trigger as one element), see `liftable`.
 *
 * Each accumulator carries its window and the timestamp its window's timestamp combiner needs:
 * the earliest of its inputs (EARLIEST), the latest (LATEST) or the end of the window
 * (END_OF_WINDOW), so the owner's panes carry the timestamps they would without lifting; and
 * the number of elements in it, so what the owner drops (late data, closed windows) is counted
 * in elements. With EARLIEST, an element behind this instance's watermark of the step (which may
 * be behind the owner's output watermark, where it holds nothing) is sent as an accumulator of
 * its own: merged, its timestamp would stand for on-time elements of the same pane, whose pane
 * Beam stamps with the earliest element that is not late. (LATEST needs no such care: the latest
 * of a merge is on time whenever any of its elements is.) A table holds at most PRECOMBINE_MAX_ENTRIES accumulators per peer; it is
 * encoded into the peer's outbox when it fills, at the end of every bundle, and before this
 * instance's watermark of the step is sent: no window fires early, and nothing becomes late,
 * because of lifting.
 */
import { ByteReader, ByteWriter } from "../../../lib/coders/byte_io";
import type { Coder } from "../../../lib/coders/coder";
import type { CombineFnLike } from "../../../lib/model/combine_fn";
import { activeMetrics, type MetricsContainer } from "../../../lib/model/metrics";
import { isMergingWindowFn } from "../../../lib/model/sliding_sessions";
import type { Trigger } from "../../../lib/model/triggers";
import { type BoundedWindow, type ElementMeta, type Instant, IntervalWindow } from "../../../lib/model/window";
import type { WindowingStrategy } from "../../../lib/model/windowing";
import { windowCoderFor } from "../../direct/transfer";
import { asKv } from "../../executor/combine_operator";
import { defaultCoder } from "../../executor/default_coders";
import { keyIdentity } from "../../executor/grouping_key";
import { wrapUserError } from "../../executor/operator";
import type { MaybePromise, Receiver } from "../../executor/receiver";

/** Accumulators a table holds for one peer before they are encoded into its outbox. */
export const PRECOMBINE_MAX_ENTRIES = 4096;

/** A keyed step that merges accumulators precombined elsewhere (the streaming GroupNode of a combine). */
export interface AccumulatorSink extends Receiver {
  /** The step's metrics container (the CombineFn runs with it active on every instance). */
  readonly metrics: MetricsContainer;
  /** Merges `acc` (of `count` elements) into the key's state in `window`, as if its elements had arrived at `timestamp`. */
  mergeAccumulator(key: unknown, window: BoundedWindow, timestamp: Instant, acc: unknown, count: number): MaybePromise;
}

export function isAccumulatorSink(r: Receiver): r is AccumulatorSink {
  return typeof (r as Partial<AccumulatorSink>).mergeAccumulator === "function";
}

/**
 * Whether values may be combined before the grouping under this trigger: not when it counts
 * elements (beyond one), which lifting would hide from it. Beam Python's
 * `is_compatible_with_combiner_lifting` (as runners/portable/lift_combiners.ts), on the model's triggers.
 */
export function liftableTrigger(t: Trigger | undefined): boolean {
  if (t === undefined) return true;
  switch (t.kind) {
    case "default":
    case "afterProcessingTime":
      return true;
    case "afterCount":
      return t.count === 1;
    case "afterWatermark":
      return (t.early === undefined || liftableTrigger(t.early)) && (t.late === undefined || liftableTrigger(t.late));
    case "repeatedly":
      return liftableTrigger(t.trigger);
    case "afterFirst":
      return t.triggers.every(liftableTrigger);
    default:
      return false;
  }
}

/** Whether a Combine.perKey over input windowed this way may be lifted: non-merging windows, a liftable trigger. */
export function liftable(windowing: WindowingStrategy): boolean {
  return !isMergingWindowFn(windowing.windowFn) && liftableTrigger(windowing.trigger);
}

interface Entry {
  readonly key: unknown;
  readonly window: BoundedWindow;
  timestamp: Instant;
  acc: unknown;
  count: number;
}

/** One window's accumulators for one peer: string keys by the string itself (the hot case), others by key identity. */
interface WindowTable {
  readonly window: BoundedWindow;
  readonly byString: Map<string, Entry>;
  readonly byOther: Map<string, Entry>;
}

/** The lifted combine of one keyed step: its CombineFn, and how accumulators cross to the owner. */
export class LiftedCombine {
  private readonly windowCoder: Coder<BoundedWindow>;
  /** Accumulators are plain data, encoded with the default coder (as the batch shuffle does). */
  private readonly accCoder = defaultCoder();
  private readonly latest: boolean;
  private readonly endOfWindow: boolean;
  /** Whether an element behind the watermark must stay out of merged accumulators (see above). */
  readonly keepsLateApart: boolean;

  constructor(
    readonly stepName: string,
    private readonly fn: CombineFnLike,
    windowing: WindowingStrategy,
    private readonly keyCoder: Coder<unknown>,
    private readonly metrics: MetricsContainer,
  ) {
    this.windowCoder = windowCoderFor(windowing);
    this.latest = windowing.timestampCombiner === "LATEST";
    this.endOfWindow = windowing.timestampCombiner === "END_OF_WINDOW";
    this.keepsLateApart = windowing.timestampCombiner === "EARLIEST";
  }

  newTable(): PrecombineTable {
    return new PrecombineTable(this);
  }

  /** Adds an element's value to an entry (or a new one), with the step's metrics container active. */
  add(entry: Entry | undefined, key: unknown, window: BoundedWindow, timestamp: Instant, value: unknown, element: unknown): Entry {
    const previous = activeMetrics.container;
    activeMetrics.container = this.metrics;
    try {
      if (entry === undefined) return { key, window, timestamp, acc: this.fn.addInput(this.fn.createAccumulator(), value), count: 1 };
      entry.acc = this.fn.addInput(entry.acc, value);
      if (this.latest ? timestamp > entry.timestamp : timestamp < entry.timestamp) entry.timestamp = timestamp;
      entry.count++;
      return entry;
    } catch (e) {
      throw wrapUserError(this.stepName, "combine", e, element);
    } finally {
      activeMetrics.container = previous;
    }
  }

  /** Appends one accumulator record: key, window, timestamp, element count, accumulator. */
  encode(e: Entry, w: ByteWriter): void {
    this.keyCoder.encode(e.key, w, "nested");
    this.windowCoder.encode(e.window, w, "nested");
    w.writeDoubleBE(this.endOfWindow ? e.window.maxTimestamp() : e.timestamp);
    w.writeVarInt(e.count);
    const fn = this.fn;
    let acc = e.acc;
    if (fn.compact !== undefined) {
      const previous = activeMetrics.container;
      activeMetrics.container = this.metrics;
      try {
        acc = fn.compact(acc);
      } catch (err) {
        throw wrapUserError(this.stepName, "combine", err);
      } finally {
        activeMetrics.container = previous;
      }
    }
    this.accCoder.encode(acc, w, "nested");
  }

  /** Merges every record of `bytes` into the owner's step. */
  async deliver(bytes: Uint8Array, sink: AccumulatorSink): Promise<void> {
    const r = new ByteReader(bytes);
    while (!r.atEnd()) {
      const key = this.keyCoder.decode(r, "nested");
      const window = this.windowCoder.decode(r, "nested");
      const timestamp = r.readDoubleBE();
      const count = r.readVarInt();
      const acc = this.accCoder.decode(r, "nested");
      const p = sink.mergeAccumulator(key, window, timestamp, acc, count);
      if (p !== undefined) await p;
    }
  }
}

/** A bundle's accumulators for one peer, by window and key. */
export class PrecombineTable {
  private readonly windows = new Map<string, WindowTable>();
  private last: WindowTable | undefined;
  private entries = 0;
  /** Elements behind the watermark, each an accumulator of its own (EARLIEST only, see the file's comment). */
  private apart: Entry[] = [];

  constructor(private readonly lifted: LiftedCombine) {}

  get size(): number {
    return this.entries;
  }

  /**
   * Adds an element (a KV) in each of its windows; `watermark` is this instance's watermark of the
   * step as last sent to the peers (no owner's output watermark is past it).
   */
  add(element: unknown, meta: ElementMeta, keyCoder: Coder<unknown>, watermark: Instant): void {
    const { key, value } = asKv(this.lifted.stepName, element);
    const windows = meta.windows;
    if (meta.timestamp < watermark && this.lifted.keepsLateApart) {
      for (let i = 0; i < windows.length; i++) this.apart.push(this.lifted.add(undefined, key, windows[i]!, meta.timestamp, value, element));
      this.entries += windows.length;
      return;
    }
    for (let i = 0; i < windows.length; i++) {
      const t = this.tableOf(windows[i]!);
      if (typeof key === "string") {
        const before = t.byString.get(key);
        const after = this.lifted.add(before, key, t.window, meta.timestamp, value, element);
        if (before === undefined) {
          t.byString.set(key, after);
          this.entries++;
        }
      } else {
        const id = keyIdentity(key, keyCoder);
        const before = t.byOther.get(id);
        const after = this.lifted.add(before, key, t.window, meta.timestamp, value, element);
        if (before === undefined) {
          t.byOther.set(id, after);
          this.entries++;
        }
      }
    }
  }

  private tableOf(window: BoundedWindow): WindowTable {
    const last = this.last;
    // Consecutive elements mostly share their window (object, or start and end).
    if (last !== undefined && (last.window === window || (window instanceof IntervalWindow && last.window instanceof IntervalWindow && window.start === last.window.start && window.end === last.window.end))) return last;
    const id = window.id();
    let t = this.windows.get(id);
    if (t === undefined) this.windows.set(id, (t = { window, byString: new Map(), byOther: new Map() }));
    return (this.last = t);
  }

  /** Encodes every accumulator into `w` and empties the table; returns how many. */
  drainInto(w: ByteWriter): number {
    const n = this.entries;
    for (const t of this.windows.values()) {
      for (const e of t.byString.values()) this.lifted.encode(e, w);
      for (const e of t.byOther.values()) this.lifted.encode(e, w);
    }
    for (const e of this.apart) this.lifted.encode(e, w);
    this.apart = [];
    this.windows.clear();
    this.last = undefined;
    this.entries = 0;
    return n;
  }
}
