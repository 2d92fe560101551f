/**
 * Stateful DoFns in streaming: the executor's ParDoOperator, extended with per key and window
 * state cells and timers. The operator is itself the context passed to the DoFn, so it also
 * answers `ctx.state(spec)`, `ctx.timer(spec)` and `ctx.key`. Timer callbacks travel through the
 * same process path as elements (as a TimerFiring value), so outputs, metrics and errors are
 * handled exactly as for elements.
 */
import { AnyStatefulDoFn, StatefulAdapter, TimerFiring } from "../executor/stateful_adapter";
import type { CombineFnLike } from "../../lib/model/combine_fn";
import type { RuntimeContext } from "../../lib/model/dofn";
import { TransformError } from "../../lib/model/errors";
import { MetricsContainer, systemCounterKey } from "../../lib/model/metrics";
import type { BagState, CombiningState, MapState, StateSpec, TimeDomain, Timer, TimerSpec, ValueState } from "../../lib/model/state";
import { BoundedWindow, ElementMeta, Instant, KV, MIN_TIMESTAMP, NO_FIRING } from "../../lib/model/window";
import type { WindowingStrategy } from "../../lib/model/windowing";
import type { Coder } from "../../lib/coders/coder";
import { CheckSampler, checkKeyDeterministic } from "../executor/checks";
import { notKv } from "../executor/combine_operator";
import { groupIdentity, keyIdentity } from "../executor/grouping_key";
import { InputChecks, ParDoOperator } from "../executor/pardo_operator";
import type { MaybePromise, Receiver } from "../executor/receiver";
import type { SideInputReader } from "../executor/side_input_reader";
import { Clocks, DROPPED_LATE, TimeAware } from "./grouping";
import { MinHeap } from "./min_heap";

/** Strict-check settings of a stateful ParDo. */
export interface StatefulChecks {
  /** Mutation checks of input elements (timer firings are not elements and are not checked). */
  readonly input?: InputChecks;
  /** Samples keys for deterministic encoding. */
  readonly keys?: CheckSampler;
}

/** Samples elements only: skips the timer firings that travel the same path. */
class ElementSampler extends CheckSampler {
  skip = false;
  constructor(private readonly inner: CheckSampler) {
    super(false);
  }
  resetForBundle(): void {
    this.inner.resetForBundle();
  }
  shouldCheck(): boolean {
    return !this.skip && this.inner.shouldCheck();
  }
}

interface PendingTimer {
  readonly domain: TimeDomain;
  /** When it fires, in its domain. */
  readonly timestamp: Instant;
  /**
   * The event time of what `onTimer` outputs, which also holds the output watermark until the
   * timer fires (as in Beam): the firing time for event-time timers; for processing-time timers
   * the timestamp of the element (or timer) that set it, so outputs stay inside their window.
   */
  readonly outputTimestamp: Instant;
}

/** The state and timers of one key in one window. */
interface Slot {
  readonly id: string;
  readonly key: unknown;
  readonly window: BoundedWindow;
  readonly cells: Map<string, unknown>;
  readonly timers: Map<string, PendingTimer>;
}

/** A timer as set; superseded (re-set or cleared) once `slot.timers.get(name)` is another object. */
interface TimerEntry {
  readonly slot: Slot;
  readonly name: string;
  readonly timer: PendingTimer;
}

export class StatefulParDoOperator extends ParDoOperator implements TimeAware {
  private readonly slots = new Map<string, Slot>();
  /**
   * Timers by firing time per domain, by output timestamp (the hold), and slots by expiry: a
   * bundle touches only what is due instead of scanning every key and window. Entries of
   * superseded timers and collected slots are skipped when they surface.
   */
  private readonly eventTimers = new MinHeap<TimerEntry>();
  private readonly processingTimers = new MinHeap<TimerEntry>();
  private readonly timerHolds = new MinHeap<TimerEntry>();
  private readonly expiries = new MinHeap<Slot>();
  /** Timers currently set (bounds the stale entries the heaps may keep before they are rebuilt). */
  private liveTimers = 0;
  private currentKey: unknown;
  private currentKeyId: string | undefined;
  private firingDomain: TimeDomain = "EVENT_TIME";
  /** The firing time of the processing-time timer being delivered (`ctx.timestamp` in onTimer). */
  private firingAt: Instant | undefined;
  private clocks: Clocks = { inputWatermark: MIN_TIMESTAMP, processingTime: 0 };
  private readonly elementSampler: ElementSampler | undefined;
  private readonly keyChecks: CheckSampler | undefined;

  constructor(
    transformName: string,
    doFn: AnyStatefulDoFn,
    outputs: ReadonlyMap<string, Receiver>,
    private readonly stepMetrics: MetricsContainer,
    runtime: RuntimeContext,
    private readonly windowing: WindowingStrategy,
    private readonly keyCoder: Coder<unknown>,
    checks: StatefulChecks = {},
    /** Side inputs `process` and `onTimer` read (elements reach this step once they are ready). */
    sideInputs?: SideInputReader,
  ) {
    const sampler = checks.input !== undefined ? new ElementSampler(checks.input.sampler) : undefined;
    super(transformName, new StatefulAdapter(doFn, transformName), outputs, sideInputs, stepMetrics, runtime, sampler !== undefined ? { inputCoder: checks.input!.inputCoder, sampler } : undefined);
    this.elementSampler = sampler;
    this.keyChecks = checks.keys;
  }

  startBundle(): MaybePromise {
    this.keyChecks?.resetForBundle();
    return super.startBundle();
  }

  receive(value: unknown, meta: ElementMeta): MaybePromise {
    if (typeof value !== "object" || value === null || !("key" in value)) throw notKv(this.transformName, value);
    const live = meta.windows.filter((w) => !this.isExpired(w, this.clocks.inputWatermark));
    if (live.length < meta.windows.length) this.stepMetrics.incCounter(systemCounterKey(DROPPED_LATE), meta.windows.length - live.length);
    if (live.length === 0) return undefined;
    this.currentKey = (value as KV<unknown, unknown>).key;
    if (typeof this.currentKey === "object" && this.currentKey !== null && this.keyChecks?.shouldCheck()) checkKeyDeterministic(this.transformName, this.currentKey, this.keyCoder, value);
    this.currentKeyId = keyIdentity(this.currentKey, this.keyCoder);
    return super.receive(value, live.length === meta.windows.length ? meta : { timestamp: meta.timestamp, windows: live, pane: meta.pane });
  }

  finishBundle(): MaybePromise {
    this.currentKeyId = undefined;
    return super.finishBundle();
  }

  async advance(clocks: Clocks): Promise<void> {
    this.clocks = clocks;
    // Fire due timers earliest first; a callback may set timers that are due at once.
    for (let guard = 0; guard < 1_000_000; guard++) {
      const due = this.takeDueTimer();
      if (due === undefined) break;
      const { slot, name, timer } = due;
      this.deleteTimer(slot, name);
      this.currentKey = slot.key;
      this.currentKeyId = keyIdentity(slot.key, this.keyCoder);
      this.firingDomain = timer.domain;
      this.firingAt = timer.domain === "PROCESSING_TIME" ? timer.timestamp : undefined;
      if (this.elementSampler !== undefined) this.elementSampler.skip = true;
      try {
        await super.receive(new TimerFiring(name), { timestamp: timer.outputTimestamp, windows: [slot.window], pane: NO_FIRING });
      } finally {
        if (this.elementSampler !== undefined) this.elementSampler.skip = false;
        this.firingDomain = "EVENT_TIME";
        this.firingAt = undefined;
      }
    }
    while (this.expiries.peekTime() < clocks.inputWatermark) {
      const slot = this.expiries.pop()!;
      if (this.slots.get(slot.id) !== slot) continue;
      this.liveTimers -= slot.timers.size;
      this.slots.delete(slot.id);
    }
  }

  hold(): Instant {
    this.dropStale(this.timerHolds);
    return this.timerHolds.peekTime();
  }

  /** Whether a heap entry still stands for a pending timer of a live slot. */
  private isCurrent(e: TimerEntry): boolean {
    return e.slot.timers.get(e.name) === e.timer && this.slots.get(e.slot.id) === e.slot;
  }

  private dropStale(heap: MinHeap<TimerEntry>): void {
    for (let top = heap.peekItem(); top !== undefined && !this.isCurrent(top); top = heap.peekItem()) heap.pop();
  }

  private setTimer(slot: Slot, name: string, timer: PendingTimer): void {
    const existing = slot.timers.get(name);
    // Re-setting a timer to the same time (e.g. the end of the window, per element) changes nothing.
    if (existing !== undefined && existing.domain === timer.domain && existing.timestamp === timer.timestamp && existing.outputTimestamp === timer.outputTimestamp) return;
    if (existing === undefined) this.liveTimers++;
    slot.timers.set(name, timer);
    const entry: TimerEntry = { slot, name, timer };
    (timer.domain === "EVENT_TIME" ? this.eventTimers : this.processingTimers).push(timer.timestamp, entry);
    this.timerHolds.push(timer.outputTimestamp, entry);
    if (this.timerHolds.size > 4 * this.liveTimers + 1024) this.rebuildTimerHeaps();
  }

  private deleteTimer(slot: Slot, name: string): void {
    if (slot.timers.delete(name)) this.liveTimers--;
  }

  /** Drops superseded entries (timers re-set to ever-changing times leave one each). */
  private rebuildTimerHeaps(): void {
    this.eventTimers.clear();
    this.processingTimers.clear();
    this.timerHolds.clear();
    for (const slot of this.slots.values()) {
      for (const [name, timer] of slot.timers) {
        const entry: TimerEntry = { slot, name, timer };
        (timer.domain === "EVENT_TIME" ? this.eventTimers : this.processingTimers).push(timer.timestamp, entry);
        this.timerHolds.push(timer.outputTimestamp, entry);
      }
    }
  }

  /** Number of key-window slots with state or timers (for tests). */
  get slotCount(): number {
    return this.slots.size;
  }

  // ---- the stateful context ----

  get key(): unknown {
    return this.currentKey;
  }

  get processingTime(): Instant {
    return this.clocks.processingTime;
  }

  /** The element's timestamp; in onTimer, the timer's time (its firing time, for processing-time timers). */
  get timestamp(): Instant {
    return this.firingAt ?? super.timestamp;
  }

  get timeDomain(): TimeDomain {
    return this.firingDomain;
  }

  state<S>(spec: StateSpec<S>): S {
    const cells = this.slot().cells;
    const name = spec.name;
    switch (spec.kind) {
      case "value": {
        const s: ValueState<unknown> = {
          read: () => cells.get(name),
          write: (v) => void cells.set(name, v),
          clear: () => void cells.delete(name),
        };
        return s as S;
      }
      case "bag": {
        const list = (): unknown[] => {
          let l = cells.get(name) as unknown[] | undefined;
          if (l === undefined) cells.set(name, (l = []));
          return l;
        };
        const s: BagState<unknown> = {
          add: (v) => void list().push(v),
          read: () => [...((cells.get(name) as unknown[] | undefined) ?? [])],
          isEmpty: () => ((cells.get(name) as unknown[] | undefined) ?? []).length === 0,
          clear: () => void cells.delete(name),
        };
        return s as S;
      }
      case "combining": {
        const fn = spec.combineFn as CombineFnLike;
        const acc = (): unknown => (cells.has(name) ? cells.get(name) : fn.createAccumulator());
        const s: CombiningState<unknown, unknown> = {
          add: (v) => void cells.set(name, fn.addInput(acc(), v)),
          read: () => fn.extractOutput(acc()),
          clear: () => void cells.delete(name),
        };
        return s as S;
      }
      case "map": {
        const map = (): Map<unknown, unknown> => {
          let m = cells.get(name) as Map<unknown, unknown> | undefined;
          if (m === undefined) cells.set(name, (m = new Map()));
          return m;
        };
        const s: MapState<unknown, unknown> = {
          get: (k) => (cells.get(name) as Map<unknown, unknown> | undefined)?.get(k),
          put: (k, v) => void map().set(k, v),
          remove: (k) => void map().delete(k),
          entries: () => [...((cells.get(name) as Map<unknown, unknown> | undefined) ?? new Map<unknown, unknown>()).entries()],
          clear: () => void cells.delete(name),
        };
        return s as S;
      }
    }
  }

  timer(spec: TimerSpec): Timer {
    const slot = this.slot();
    // The event time of the element (or timer) being processed: what outputs are stamped with.
    const eventTime = super.timestamp;
    const at = (timestamp: Instant): PendingTimer => ({ domain: spec.domain, timestamp, outputTimestamp: spec.domain === "EVENT_TIME" ? timestamp : eventTime });
    const now = (): Instant => (spec.domain === "EVENT_TIME" ? eventTime : this.clocks.processingTime);
    return {
      set: (timestamp) => this.setTimer(slot, spec.name, at(timestamp)),
      offset: (delay) => this.setTimer(slot, spec.name, at(now() + delay)),
      clear: () => this.deleteTimer(slot, spec.name),
    };
  }

  private slot(): Slot {
    if (this.currentKeyId === undefined) {
      throw new TransformError(this.transformName, `Transform '${this.transformName}' used state or timers outside process/onTimer; they belong to the current key and window`);
    }
    const window = this.window;
    const id = groupIdentity(this.currentKeyId, window);
    let slot = this.slots.get(id);
    if (slot === undefined) {
      this.slots.set(id, (slot = { id, key: this.currentKey, window, cells: new Map(), timers: new Map() }));
      this.expiries.push(window.maxTimestamp() + this.windowing.allowedLatenessMillis, slot);
    }
    return slot;
  }

  /** Removes and returns the earliest due timer (event time: behind the input watermark; processing time: reached). */
  private takeDueTimer(): TimerEntry | undefined {
    this.dropStale(this.eventTimers);
    this.dropStale(this.processingTimers);
    const { inputWatermark, processingTime } = this.clocks;
    const ev = this.eventTimers.peekTime() < inputWatermark ? this.eventTimers.peekItem() : undefined;
    const pt = this.processingTimers.peekTime() <= processingTime ? this.processingTimers.peekItem() : undefined;
    if (ev !== undefined && (pt === undefined || ev.timer.timestamp <= pt.timer.timestamp)) return this.eventTimers.pop();
    return pt !== undefined ? this.processingTimers.pop() : undefined;
  }

  private isExpired(window: BoundedWindow, watermark: Instant): boolean {
    return window.maxTimestamp() + this.windowing.allowedLatenessMillis < watermark;
  }
}
