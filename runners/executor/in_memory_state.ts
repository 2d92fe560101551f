/**
 * State and timers of a stateful ParDo kept in memory, for the DirectRunner's streaming driver:
 * the StateBackend and TimerBackend of stateful_operator.ts over one table of (key, window)
 * slots. The driver advances the clocks; `advance` then fires the due timers earliest first
 * through the operator, and drops the slots of windows that have expired (end + allowed
 * lateness behind the input watermark), state and timers together.
 *
 * Timers wait in heaps by firing time per domain, and by output timestamp (the watermark hold),
 * and slots in a heap by expiry, so a bundle touches only what is due instead of scanning every
 * key and window. Entries of superseded timers and collected slots are skipped when they surface.
 */
import { UndoJournal } from "./undo_journal";
import type { ByteReader, ByteWriter } from "../../lib/coders/byte_io";
import type { Coder } from "../../lib/coders/coder";
import { extractOutputOfKept, type CombineFnLike } from "../../lib/model/combine_fn";
import type { AnyTimerSpec, BagState, CombiningState, MapState, OrderedListState, SetState, StateSpec, TimeDomain, ValueState } from "../../lib/model/state";
import type { TimestampedValue } from "../../lib/transforms/util";
import { BoundedWindow, Instant, MIN_TIMESTAMP } from "../../lib/model/window";
import { defaultCoder, deterministicKeyCoder } from "./default_coders";
import { groupIdentity, keyIdentity } from "./grouping_key";
import { MinHeap } from "./min_heap";
import { checkRange, checkTimestamped, copyRange, insertionIndex, rangeIndices } from "./ordered_list";
import type { MaybePromise } from "./receiver";
import type { StateBackend, TimerBackend, TimerSetting } from "./stateful_operator";

/** The clocks a time-aware step is evaluated against. */
export interface Clocks {
  readonly inputWatermark: Instant;
  readonly processingTime: Instant;
}

/** The state and timers of one key in one window. */
interface Slot {
  readonly id: string;
  readonly key: unknown;
  readonly window: BoundedWindow;
  readonly cells: Map<string, unknown>;
  /** By timerId(name, tag). */
  readonly timers: Map<string, TimerSetting>;
}

/**
 * How a slot addresses a timer: a plain timer (tag "") by its name, a family's timer by name and
 * tag, marked by a leading NUL no declared name starts with. Snapshots write it as it is, so
 * checkpoints written before timer families read the same.
 */
function timerId(name: string, tag: string): string {
  return tag === "" ? name : `\u0000${JSON.stringify([name, tag])}`;
}

function parseTimerId(id: string): { name: string; tag: string } {
  if (!id.startsWith("\u0000")) return { name: id, tag: "" };
  const [name, tag] = JSON.parse(id.slice(1)) as [string, string];
  return { name, tag };
}

/** A timer as set; superseded (re-set or cleared) once `slot.timers.get(id)` is another object. */
interface TimerEntry {
  readonly slot: Slot;
  /** timerId(name, tag). */
  readonly id: string;
  readonly name: string;
  readonly tag: string;
  readonly timer: TimerSetting;
}

/** A due timer, as `advance` hands it to the operator. */
export interface DueTimer {
  readonly key: unknown;
  readonly window: BoundedWindow;
  readonly name: string;
  /** The timer's tag within its family ("" for a plain timer). */
  readonly tag: string;
  readonly domain: TimeDomain;
  readonly fireAt: Instant;
  readonly outputTimestamp: Instant;
}

export class InMemoryStateAndTimers implements StateBackend<string>, TimerBackend<string> {
  private readonly slots = new Map<string, Slot>();
  private readonly eventTimers = new MinHeap<TimerEntry>();
  private readonly processingTimers = new MinHeap<TimerEntry>();
  private readonly timerHolds = new MinHeap<TimerEntry>();
  private readonly expiries = new MinHeap<Slot>();
  /** Timers currently set (bounds the stale entries the heaps may keep before they are rebuilt). */
  private liveTimers = 0;
  private clocks: Clocks = { inputWatermark: MIN_TIMESTAMP, processingTime: 0 };
  /** While an element that may fail is processed (exception handling): how to undo each change, in order. */
  private readonly journal = new UndoJournal();

  constructor(
    private readonly keyCoder: Coder<unknown>,
    /** The input's allowed lateness: a slot lives until its window's end plus this. */
    private readonly allowedLatenessMillis: number,
    /** The input's window coder (for snapshots). */
    private readonly windowCoder?: Coder<BoundedWindow>,
    /**
     * The run's processing-time clock (wall or virtual). Between watermark passes (and before
     * the first: the impulses' bundle) the clocks last passed in lag it; an element's processing
     * time, and a processing-time timer's `offset`, are taken from it.
     */
    private readonly now?: () => Instant,
  ) {}

  // ---- StateBackend ----

  keyId(key: unknown): string {
    return keyIdentity(key, this.keyCoder);
  }

  prepare(): undefined {
    return undefined;
  }

  startBundle(): void {}

  /**
   * Forgets the slots the bundle emptied (no state, no timers), as Beam Java's DirectRunner drops
   * empty state at commit: a DoFn keyed per element (a splittable DoFn's parts) would otherwise
   * keep a slot per element until its window expires. Reads of a forgotten slot are those of an
   * empty one.
   */
  finishBundle(): MaybePromise {
    for (const slot of this.touched) if (slot.cells.size === 0 && slot.timers.size === 0 && this.slots.get(slot.id) === slot) this.slots.delete(slot.id);
    this.touched.clear();
    return undefined;
  }

  /** Slots used since the last finishBundle (candidates to forget when empty). */
  private readonly touched = new Set<Slot>();

  beginElement(): void {
    this.journal.begin();
  }

  endElement(succeeded: boolean): void {
    this.journal.end(succeeded);
  }

  /** Records how to put back what cell `name` holds now (the value itself: callers replace, never mutate, what they record). */
  private remember(cells: Map<string, unknown>, name: string, value: unknown = cells.get(name)): void {
    if (!this.journal.recording) return;
    const had = cells.has(name);
    this.journal.record(() => void (had ? cells.set(name, value) : cells.delete(name)));
  }

  cell<S>(spec: StateSpec<S>, keyId: string, key: unknown, window: BoundedWindow): S {
    const cells = this.slot(keyId, key, window).cells;
    const name = spec.name;
    switch (spec.kind) {
      case "value": {
        const s: ValueState<unknown> = {
          read: () => cells.get(name),
          write: (v) => {
            this.remember(cells, name);
            cells.set(name, v);
          },
          clear: () => {
            this.remember(cells, name);
            cells.delete(name);
          },
        };
        return s as S;
      }
      case "bag": {
        const list = (): unknown[] => {
          let l = cells.get(name) as unknown[] | undefined;
          if (l === undefined) {
            this.remember(cells, name);
            cells.set(name, (l = []));
          }
          return l;
        };
        const s: BagState<unknown> = {
          add: (v) => {
            const l = list();
            if (this.journal.recording) {
              const length = l.length;
              this.journal.record(() => void (l.length = length));
            }
            l.push(v);
          },
          read: () => [...((cells.get(name) as unknown[] | undefined) ?? [])],
          isEmpty: () => ((cells.get(name) as unknown[] | undefined) ?? []).length === 0,
          clear: () => {
            this.remember(cells, name);
            cells.delete(name);
          },
        };
        return s as S;
      }
      case "combining": {
        const fn = spec.combineFn as CombineFnLike;
        const acc = (): unknown => (cells.has(name) ? cells.get(name) : fn.createAccumulator());
        const s: CombiningState<unknown, unknown> = {
          add: (v) => {
            // addInput may change the accumulator in place: remember a copy (a merge into a fresh one leaves it as it is).
            if (this.journal.recording && cells.has(name)) this.remember(cells, name, fn.mergeAccumulators([fn.createAccumulator(), cells.get(name)]));
            else this.remember(cells, name);
            cells.set(name, fn.addInput(acc(), v));
          },
          // From a copy: the cell is added to later, and what was read may have been output.
          read: () => extractOutputOfKept(fn, acc()),
          clear: () => {
            this.remember(cells, name);
            cells.delete(name);
          },
        };
        return s as S;
      }
      case "map": {
        const map = (): Map<unknown, unknown> => {
          let m = cells.get(name) as Map<unknown, unknown> | undefined;
          if (m === undefined) {
            this.remember(cells, name);
            cells.set(name, (m = new Map()));
          }
          return m;
        };
        const rememberEntry = (m: Map<unknown, unknown>, k: unknown): void => {
          if (!this.journal.recording) return;
          const had = m.has(k);
          const value = m.get(k);
          this.journal.record(() => void (had ? m.set(k, value) : m.delete(k)));
        };
        const s: MapState<unknown, unknown> = {
          get: (k) => (cells.get(name) as Map<unknown, unknown> | undefined)?.get(k),
          put: (k, v) => {
            const m = map();
            rememberEntry(m, k);
            m.set(k, v);
          },
          remove: (k) => {
            const m = map();
            rememberEntry(m, k);
            m.delete(k);
          },
          entries: () => [...((cells.get(name) as Map<unknown, unknown> | undefined) ?? new Map<unknown, unknown>()).entries()],
          clear: () => {
            this.remember(cells, name);
            cells.delete(name);
          },
        };
        return s as S;
      }
      case "set": {
        // Elements keyed by their encoded identity (Beam compares set elements by encoded bytes).
        const set = (): Map<string, unknown> => {
          let m = cells.get(name) as Map<string, unknown> | undefined;
          if (m === undefined) {
            this.remember(cells, name);
            cells.set(name, (m = new Map()));
          }
          return m;
        };
        const current = (): Map<string, unknown> | undefined => cells.get(name) as Map<string, unknown> | undefined;
        const id = (v: unknown): string => keyIdentity(v, deterministicKeyCoder());
        const change = (m: Map<string, unknown>, k: string, add: boolean, v?: unknown): void => {
          if (this.journal.recording) {
            const had = m.has(k);
            const before = m.get(k);
            this.journal.record(() => void (had ? m.set(k, before) : m.delete(k)));
          }
          if (add) m.set(k, v);
          else m.delete(k);
        };
        const addIfAbsent = (v: unknown): boolean => {
          const k = id(v);
          const m = set();
          if (m.has(k)) return false;
          change(m, k, true, v);
          return true;
        };
        const s: SetState<unknown> = {
          add: (v) => void addIfAbsent(v),
          addIfAbsent,
          contains: (v) => current()?.has(id(v)) ?? false,
          remove: (v) => {
            const m = current();
            const k = id(v);
            if (m !== undefined && m.has(k)) change(m, k, false);
          },
          read: () => [...(current()?.values() ?? [])],
          isEmpty: () => (current()?.size ?? 0) === 0,
          clear: () => {
            this.remember(cells, name);
            cells.delete(name);
          },
        };
        return s as S;
      }
      case "orderedList": {
        // Sorted by timestamp; changed in place, each change undone by its inverse splice.
        const list = (): TimestampedValue<unknown>[] => {
          let l = cells.get(name) as TimestampedValue<unknown>[] | undefined;
          if (l === undefined) {
            this.remember(cells, name);
            cells.set(name, (l = []));
          }
          return l;
        };
        const current = (): readonly TimestampedValue<unknown>[] => (cells.get(name) as TimestampedValue<unknown>[] | undefined) ?? [];
        const s: OrderedListState<unknown> = {
          add: (v) => {
            const tv = checkTimestamped(v, name);
            const l = list();
            const at = insertionIndex(l, tv.timestamp);
            l.splice(at, 0, tv);
            if (this.journal.recording) this.journal.record(() => void l.splice(at, 1));
          },
          read: () => copyRange(current(), 0, current().length),
          readRange: (from, to) => (checkRange(from, to, name, "readRange"), copyRange(current(), ...rangeIndices(current(), from, to))),
          clearRange: (from, to) => {
            checkRange(from, to, name, "clearRange");
            const l = cells.get(name) as TimestampedValue<unknown>[] | undefined;
            if (l === undefined) return;
            const [lo, hi] = rangeIndices(l, from, to);
            if (lo === hi) return;
            const removed = l.splice(lo, hi - lo);
            if (this.journal.recording) this.journal.record(() => void l.splice(lo, 0, ...removed));
          },
          isEmpty: () => current().length === 0,
          clear: () => {
            this.remember(cells, name);
            cells.delete(name);
          },
        };
        return s as S;
      }
    }
  }

  // ---- TimerBackend ----

  currentProcessingTime(): Instant {
    const now = this.now?.();
    return now !== undefined && now > this.clocks.processingTime ? now : this.clocks.processingTime;
  }

  currentInputWatermark(): Instant {
    return this.clocks.inputWatermark;
  }

  setTimer(keyId: string, key: unknown, window: BoundedWindow, spec: AnyTimerSpec, tag: string, timer: TimerSetting): void {
    const slot = this.slot(keyId, key, window);
    const id = timerId(spec.name, tag);
    const existing = slot.timers.get(id);
    // Re-setting a timer to the same time (e.g. the end of the window, per element) changes nothing.
    if (existing !== undefined && existing.domain === timer.domain && existing.fireAt === timer.fireAt && existing.outputTimestamp === timer.outputTimestamp) return;
    this.rememberTimer(slot, id, spec.name, tag);
    if (existing === undefined) this.liveTimers++;
    slot.timers.set(id, timer);
    this.index({ slot, id, name: spec.name, tag, timer });
    if (this.timerHolds.size > 4 * this.liveTimers + 1024) this.rebuildTimerHeaps();
  }

  deleteTimer(keyId: string, _key: unknown, window: BoundedWindow, spec: AnyTimerSpec, tag: string): void {
    const slot = this.slots.get(groupIdentity(keyId, window));
    if (slot === undefined) return;
    this.touched.add(slot);
    const id = timerId(spec.name, tag);
    this.rememberTimer(slot, id, spec.name, tag);
    if (slot.timers.delete(id)) this.liveTimers--;
  }

  /** Records how to put back timer `id` of `slot` as it is now (re-indexed: its heap entries may have been dropped). */
  private rememberTimer(slot: Slot, id: string, name: string, tag: string): void {
    if (!this.journal.recording) return;
    const previous = slot.timers.get(id);
    this.journal.record(() => {
      const current = slot.timers.get(id);
      if (previous === undefined) {
        if (current !== undefined && slot.timers.delete(id)) this.liveTimers--;
        return;
      }
      if (current === undefined) this.liveTimers++;
      slot.timers.set(id, previous);
      this.index({ slot, id, name, tag, timer: previous });
    });
  }

  // ---- time ----

  /**
   * Moves to `clocks`: fires the due timers earliest first through `fire` (a timer set by a
   * callback may be due at once), then drops the slots of expired windows.
   */
  async advance(clocks: Clocks, fire: (timer: DueTimer) => MaybePromise): Promise<void> {
    this.clocks = clocks;
    for (let guard = 0; guard < 1_000_000; guard++) {
      const due = this.takeDueTimer();
      if (due === undefined) break;
      const { slot, id, name, tag, timer } = due;
      if (slot.timers.delete(id)) this.liveTimers--;
      this.touched.add(slot);
      await fire({ key: slot.key, window: slot.window, name, tag, domain: timer.domain, fireAt: timer.fireAt, outputTimestamp: timer.outputTimestamp });
    }
    while (this.expiries.peekTime() < clocks.inputWatermark) {
      const slot = this.expiries.pop()!;
      if (this.slots.get(slot.id) !== slot) continue;
      this.liveTimers -= slot.timers.size;
      this.slots.delete(slot.id);
    }
  }

  /** The earliest output timestamp of a pending timer: the step's output watermark may not pass it. */
  hold(): Instant {
    this.dropStale(this.timerHolds);
    return this.timerHolds.peekTime();
  }

  // ---- snapshots (the streaming driver's checkpoints) ----

  /**
   * Writes the clocks and every slot: key (the key coder), window (the window coder), cells (JS
   * values, as the portable translation declares user state), timers. Between bundles only.
   */
  snapshot(w: ByteWriter): void {
    const windowCoder = this.requireWindowCoder();
    const values = defaultCoder();
    w.writeDoubleBE(this.clocks.inputWatermark);
    w.writeDoubleBE(this.clocks.processingTime);
    w.writeVarInt(this.slots.size);
    for (const slot of this.slots.values()) {
      this.keyCoder.encode(slot.key, w, "nested");
      windowCoder.encode(slot.window, w, "nested");
      w.writeVarInt(slot.cells.size);
      for (const [name, value] of slot.cells) {
        w.writeUtf8Nested(name);
        values.encode(value, w, "nested");
      }
      w.writeVarInt(slot.timers.size);
      for (const [id, t] of slot.timers) {
        w.writeUtf8Nested(id);
        w.writeByte(t.domain === "EVENT_TIME" ? 0 : 1);
        w.writeDoubleBE(t.fireAt);
        w.writeDoubleBE(t.outputTimestamp);
      }
    }
  }

  /** Restores what `snapshot` wrote into this empty backend. */
  restore(r: ByteReader): void {
    const windowCoder = this.requireWindowCoder();
    const values = defaultCoder();
    this.clocks = { inputWatermark: r.readDoubleBE(), processingTime: r.readDoubleBE() };
    for (let n = r.readVarInt(); n > 0; n--) {
      const key = this.keyCoder.decode(r, "nested");
      const window = windowCoder.decode(r, "nested");
      const slot = this.slot(this.keyId(key), key, window);
      for (let c = r.readVarInt(); c > 0; c--) {
        const name = r.readUtf8Nested();
        slot.cells.set(name, values.decode(r, "nested"));
      }
      for (let t = r.readVarInt(); t > 0; t--) {
        const id = r.readUtf8Nested();
        const timer: TimerSetting = { domain: r.readByte() === 0 ? "EVENT_TIME" : "PROCESSING_TIME", fireAt: r.readDoubleBE(), outputTimestamp: r.readDoubleBE() };
        slot.timers.set(id, timer);
        this.liveTimers++;
        this.index({ slot, id, ...parseTimerId(id), timer });
      }
    }
  }

  private requireWindowCoder(): Coder<BoundedWindow> {
    if (this.windowCoder === undefined) throw new Error("InMemoryStateAndTimers: snapshots need the window coder (constructor argument)");
    return this.windowCoder;
  }

  /** Number of key-window slots with state or timers (for tests). */
  get slotCount(): number {
    return this.slots.size;
  }

  private slot(keyId: string, key: unknown, window: BoundedWindow): Slot {
    const id = groupIdentity(keyId, window);
    let slot = this.slots.get(id);
    if (slot !== undefined) this.touched.add(slot);
    if (slot === undefined) {
      const created: Slot = { id, key, window, cells: new Map(), timers: new Map() };
      this.slots.set(id, (slot = created));
      this.touched.add(created);
      this.expiries.push(window.maxTimestamp() + this.allowedLatenessMillis, slot);
      // Undone last (the journal runs backwards), once its timers are gone: a slot only the failed element made.
      this.journal.record(() => void (this.slots.get(id) === created && created.cells.size === 0 && created.timers.size === 0 && this.slots.delete(id)));
    }
    return slot;
  }

  private index(entry: TimerEntry): void {
    (entry.timer.domain === "EVENT_TIME" ? this.eventTimers : this.processingTimers).push(entry.timer.fireAt, entry);
    this.timerHolds.push(entry.timer.outputTimestamp, entry);
  }

  /** Whether a heap entry still stands for a pending timer of a live slot. */
  private isCurrent(e: TimerEntry): boolean {
    return e.slot.timers.get(e.id) === e.timer && this.slots.get(e.slot.id) === e.slot;
  }

  private dropStale(heap: MinHeap<TimerEntry>): void {
    for (let top = heap.peekItem(); top !== undefined && !this.isCurrent(top); top = heap.peekItem()) heap.pop();
  }

  /** Drops superseded entries (timers re-set to ever-changing times leave one each). */
  private rebuildTimerHeaps(): void {
    this.eventTimers.clear();
    this.processingTimers.clear();
    this.timerHolds.clear();
    for (const slot of this.slots.values()) for (const [id, timer] of slot.timers) this.index({ slot, id, ...parseTimerId(id), timer });
  }

  /** Removes and returns the earliest due timer (event time: behind the input watermark; processing time: reached). */
  private takeDueTimer(): TimerEntry | undefined {
    this.dropStale(this.eventTimers);
    this.dropStale(this.processingTimers);
    const { inputWatermark, processingTime } = this.clocks;
    const ev = this.eventTimers.peekTime() < inputWatermark ? this.eventTimers.peekItem() : undefined;
    const pt = this.processingTimers.peekTime() <= processingTime ? this.processingTimers.peekItem() : undefined;
    if (ev !== undefined && (pt === undefined || ev.timer.fireAt <= pt.timer.fireAt)) return this.eventTimers.pop();
    return pt !== undefined ? this.processingTimers.pop() : undefined;
  }
}
