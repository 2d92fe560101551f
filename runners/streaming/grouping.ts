/**
 * GroupByKey and lifted Combine.perKey in streaming: per key and window, a buffer (or an
 * accumulator) and a trigger state machine. Panes fire on elements and when the watermark or
 * processing time advances; late data past the allowed lateness is dropped and counted; session
 * windows merge; state is garbage-collected when a window expires.
 */
import type { Coder } from "../../lib/coders/coder";
import type { CombineFnLike } from "../../lib/model/combine_fn";
import { MetricsContainer, setActiveContainer, systemCounterKey } from "../../lib/model/metrics";
import { isMergingWindowFn } from "../../lib/model/sliding_sessions";
import { BoundedWindow, ElementMeta, Instant, IntervalWindow, KV, kv, MIN_TIMESTAMP, PaneInfo, PaneTiming } from "../../lib/model/window";
import type { WindowingStrategy } from "../../lib/model/windowing";
import { CheckSampler, checkKeyDeterministic } from "../executor/checks";
import { notKv } from "../executor/combine_operator";
import { keyIdentity } from "../executor/grouping_key";
import { wrapUserError } from "../executor/operator";
import { MaybePromise, PendingWork, Receiver } from "../executor/receiver";
import type { Trigger } from "../../lib/model/triggers";
import { MinHeap } from "./min_heap";
import { TriggerContext, TriggerMachine, triggerMachine } from "./trigger_machine";

/** Counter (namespace "beamline") of elements dropped because their window had expired. */
export const DROPPED_LATE = "droppedDueToLateness";
/** Counter (namespace "beamline") of elements dropped because their window's trigger had finished. */
export const DROPPED_CLOSED = "droppedDueToClosedWindow";

/** The clocks a step is evaluated against. */
export interface Clocks {
  readonly inputWatermark: Instant;
  readonly processingTime: Instant;
}

/** A step that reacts to time: grouping, stateful ParDo, side-input gate. */
export interface TimeAware {
  /** Fires whatever the new times make due; returns downstream work. */
  advance(clocks: Clocks): MaybePromise;
  /** The earliest timestamp this step may still emit (for the output watermark). */
  hold(): Instant;
}

interface WindowState {
  window: BoundedWindow;
  /** Values (GroupByKey) or a one-element list holding the accumulator (combine). */
  values: unknown[];
  /** Elements added since the last firing. */
  pending: number;
  /**
   * Earliest and latest timestamps among the pending elements that hold the output watermark
   * (undefined: none). Elements behind the output watermark, or arriving after the input
   * watermark passed the end of their window, hold nothing (as in Beam): they cannot make the
   * output watermark go back, so their pane is stamped with the end of the window instead.
   */
  holdMin: Instant | undefined;
  holdMax: Instant | undefined;
  trigger: TriggerMachine;
  paneIndex: number;
  nonEarlyIndex: number;
  /** A non-early (on-time or late) pane has been emitted. */
  onTimeEmitted: boolean;
  closed: boolean;
  readonly keyId: string;
  readonly windowId: string;
  /** Removed from its key (expired or merged away): heap entries for it are stale. */
  dead: boolean;
  /** The watermark instant past which this window next needs a visit (its end, then its expiry). */
  wakeAt: Instant;
  /** Its current contribution to the step's watermark hold (Infinity: none). */
  holdAt: Instant;
}

/**
 * The live windows of one key. Most keys have one at a time (fixed windows, a stream moving
 * forward), so it is held inline and a Map is made only for a second one: with many keys a Map
 * per key would be the largest part of the state.
 */
class KeyWindows {
  private soloId: string | undefined;
  private solo: WindowState | undefined;
  private map: Map<string, WindowState> | undefined;

  get size(): number {
    return this.map !== undefined ? this.map.size : this.solo !== undefined ? 1 : 0;
  }
  get(id: string): WindowState | undefined {
    return this.map !== undefined ? this.map.get(id) : id === this.soloId ? this.solo : undefined;
  }
  set(id: string, ws: WindowState): void {
    if (this.map !== undefined) this.map.set(id, ws);
    else if (this.solo === undefined || id === this.soloId) {
      this.soloId = id;
      this.solo = ws;
    } else {
      this.map = new Map([[this.soloId!, this.solo]]);
      this.map.set(id, ws);
      this.soloId = this.solo = undefined;
    }
  }
  delete(id: string): void {
    if (this.map !== undefined) this.map.delete(id);
    else if (id === this.soloId) this.soloId = this.solo = undefined;
  }
  values(): IterableIterator<WindowState> | readonly WindowState[] {
    return this.map !== undefined ? this.map.values() : this.solo !== undefined ? [this.solo] : [];
  }
}

interface KeyState {
  key: unknown;
  windows: KeyWindows;
}

/** Whether a trigger can fire on processing time alone (then every window is re-evaluated as the clock moves). */
function usesProcessingTime(t: Trigger | undefined): boolean {
  if (t === undefined) return false;
  switch (t.kind) {
    case "afterProcessingTime":
      return true;
    case "afterWatermark":
      return usesProcessingTime(t.early) || usesProcessingTime(t.late);
    case "repeatedly":
      return usesProcessingTime(t.trigger);
    case "afterFirst":
    case "afterAll":
    case "afterEach":
      return t.triggers.some(usesProcessingTime);
    default:
      return false;
  }
}

export class GroupNode implements Receiver, TimeAware {
  private readonly keys = new Map<string, KeyState>();
  private readonly pending = new PendingWork();
  private clocks: Clocks = { inputWatermark: MIN_TIMESTAMP, processingTime: 0 };
  /** This step's output watermark as of the last advance (the driver computes the same value). */
  private outputWatermark: Instant = MIN_TIMESTAMP;
  private lastWindow: BoundedWindow | undefined;
  private lastWindowId = "";
  /**
   * Apart from elements (handled as they arrive), a window's trigger only reacts to the
   * watermark passing its end, and its state only to the watermark passing its expiry: windows
   * wait in this heap by that instant, so a watermark advance visits just the windows it
   * concerns rather than every key and window.
   */
  private readonly wakeups = new MinHeap<WindowState>();
  /** Every window's hold contribution; stale entries (holdAt changed, or dead) are skipped. */
  private readonly holds = new MinHeap<WindowState>();
  private readonly processingTimeTriggers: boolean;
  /** Live key-window states (bounds the hold heap's stale entries). */
  private liveStates = 0;
  /** Windows with elements not yet in a pane (the only ones a processing-time trigger can fire). */
  private readonly unfired = new Set<WindowState>();

  constructor(
    readonly transformName: string,
    private readonly windowing: WindowingStrategy,
    private readonly keyCoder: Coder<unknown>,
    private readonly combineFn: CombineFnLike | undefined,
    private readonly output: Receiver,
    private readonly metrics: MetricsContainer,
    /** Strict checks: samples keys for deterministic encoding (undefined: off). */
    private readonly keyChecks?: CheckSampler,
  ) {
    this.processingTimeTriggers = usesProcessingTime(windowing.trigger);
  }

  receive(element: unknown, meta: ElementMeta): MaybePromise {
    if (typeof element !== "object" || element === null || !("key" in element)) throw notKv(this.transformName, element);
    const { key, value } = element as KV<unknown, unknown>;
    if (typeof key === "object" && key !== null && this.keyChecks?.shouldCheck()) checkKeyDeterministic(this.transformName, key, this.keyCoder, element);
    const keyId = keyIdentity(key, this.keyCoder);
    let ks = this.keys.get(keyId);
    for (const window of meta.windows) {
      if (this.isExpired(window, this.clocks.inputWatermark)) {
        this.metrics.incCounter(systemCounterKey(DROPPED_LATE), 1);
        continue;
      }
      if (ks === undefined) this.keys.set(keyId, (ks = { key, windows: new KeyWindows() }));
      const windowId = this.windowIdOf(window);
      let ws = ks.windows.get(windowId);
      if (ws?.closed) {
        this.metrics.incCounter(systemCounterKey(DROPPED_CLOSED), 1);
        continue;
      }
      if (ws === undefined) {
        ws = this.newWindowState(window, keyId, windowId);
        ks.windows.set(windowId, ws);
        this.liveStates++;
      }
      this.addValue(ws, value, meta.timestamp);
      ws.trigger.onElement(this.triggerContext(ws.window));
      if (isMergingWindowFn(this.windowing.windowFn)) ws = this.mergeWindows(ks, ws);
      this.maybeFire(ks, ws);
      this.touch(ws);
    }
    return this.pending.take();
  }

  advance(clocks: Clocks): MaybePromise {
    const clockMoved = clocks.processingTime !== this.clocks.processingTime;
    this.clocks = clocks;
    while (this.wakeups.peekTime() < clocks.inputWatermark) this.visitIfLive(this.wakeups.pop()!);
    // A processing-time trigger is armed by an element and fires a pane of pending data: only
    // windows holding unfired elements can fire because the clock moved.
    if (this.processingTimeTriggers && clockMoved) for (const ws of [...this.unfired]) this.visitIfLive(ws);
    const out = Math.min(clocks.inputWatermark, this.hold());
    if (out > this.outputWatermark) this.outputWatermark = out;
    return this.pending.take();
  }

  private visitIfLive(ws: WindowState): void {
    const ks = this.keys.get(ws.keyId);
    if (!ws.dead && ks !== undefined && ks.windows.get(ws.windowId) === ws) this.visit(ks, ws);
  }

  /** Re-evaluates a window's trigger at the current clocks and collects it once expired. */
  private visit(ks: KeyState, ws: WindowState): void {
    this.maybeFire(ks, ws);
    if (this.isExpired(ws.window, this.clocks.inputWatermark)) {
      // Garbage collection: what never fired goes out as the final pane.
      if (!ws.closed && ws.pending > 0) this.emitPane(ks, ws, true);
      this.remove(ks, ws);
      return;
    }
    this.touch(ws);
  }

  private remove(ks: KeyState, ws: WindowState): void {
    ws.dead = true;
    this.unfired.delete(ws);
    this.liveStates--;
    ks.windows.delete(ws.windowId);
    if (ks.windows.size === 0 && this.keys.get(ws.keyId) === ks) this.keys.delete(ws.keyId);
  }

  /** Brings a live window's heap entries up to date after its state or the clocks changed. */
  private touch(ws: WindowState): void {
    if (ws.dead) return;
    const end = ws.window.maxTimestamp();
    const wakeAt = this.clocks.inputWatermark > end ? end + this.windowing.allowedLatenessMillis : end;
    if (wakeAt !== ws.wakeAt) {
      ws.wakeAt = wakeAt;
      this.wakeups.push(wakeAt, ws);
    }
    const holdAt = this.holdOf(ws);
    if (holdAt !== ws.holdAt) {
      ws.holdAt = holdAt;
      if (holdAt !== Infinity) this.holds.push(holdAt, ws);
      if (this.holds.size > 4 * this.liveStates + 1024) this.rebuildHolds();
    }
  }

  /**
   * Unfired data holds the output watermark at the timestamp its pane will carry; a window that
   * may still fire an (empty) on-time pane holds it at the end of the window.
   */
  private holdOf(ws: WindowState): Instant {
    if (ws.pending > 0) return this.paneTimestamp(ws);
    if (ws.closed || ws.onTimeEmitted || this.clocks.inputWatermark > ws.window.maxTimestamp()) return Infinity;
    return ws.window.maxTimestamp();
  }

  /** The step's watermark hold: the smallest current hold of a live window. */
  hold(): Instant {
    for (;;) {
      const ws = this.holds.peekItem();
      if (ws === undefined) return Infinity;
      if (!ws.dead && ws.holdAt === this.holds.peekTime()) return ws.holdAt;
      this.holds.pop();
    }
  }

  /** Drops stale hold entries (a window whose hold moved often, e.g. LATEST timestamps, leaves many). */
  private rebuildHolds(): void {
    this.holds.clear();
    for (const ks of this.keys.values()) for (const ws of ks.windows.values()) if (ws.holdAt !== Infinity) this.holds.push(ws.holdAt, ws);
  }

  /** The timestamp of the window's next pane, by the strategy's timestamp combiner. */
  private paneTimestamp(ws: WindowState): Instant {
    switch (this.windowing.timestampCombiner) {
      case "EARLIEST":
        return ws.holdMin ?? ws.window.maxTimestamp();
      case "LATEST":
        return ws.holdMax ?? ws.window.maxTimestamp();
      default:
        return ws.window.maxTimestamp();
    }
  }

  /** The id of a window; consecutive elements mostly share their window, so the last id is reused. */
  private windowIdOf(window: BoundedWindow): string {
    const last = this.lastWindow;
    if (window !== last) {
      if (!(window instanceof IntervalWindow && last instanceof IntervalWindow && window.start === last.start && window.end === last.end)) {
        this.lastWindowId = window.id();
      }
      this.lastWindow = window;
    }
    return this.lastWindowId;
  }

  /** Number of live key-window states (for tests and metrics). */
  get stateCount(): number {
    let n = 0;
    for (const ks of this.keys.values()) n += ks.windows.size;
    return n;
  }

  private isExpired(window: BoundedWindow, watermark: Instant): boolean {
    return window.maxTimestamp() + this.windowing.allowedLatenessMillis < watermark;
  }

  private triggerContext(window: BoundedWindow): TriggerContext {
    return { window, watermark: this.clocks.inputWatermark, processingTime: this.clocks.processingTime };
  }

  private newWindowState(window: BoundedWindow, keyId: string, windowId: string): WindowState {
    return {
      keyId,
      windowId,
      dead: false,
      wakeAt: NaN,
      holdAt: Infinity,
      window,
      values: this.combineFn !== undefined ? [this.call(() => this.combineFn!.createAccumulator())] : [],
      pending: 0,
      holdMin: undefined,
      holdMax: undefined,
      trigger: triggerMachine(this.windowing.trigger),
      paneIndex: 0,
      nonEarlyIndex: 0,
      onTimeEmitted: false,
      closed: false,
    };
  }

  private addValue(ws: WindowState, value: unknown, timestamp: Instant): void {
    if (this.combineFn !== undefined) ws.values[0] = this.call(() => this.combineFn!.addInput(ws.values[0], value));
    else ws.values.push(value);
    const holds = timestamp >= this.outputWatermark && this.clocks.inputWatermark <= ws.window.maxTimestamp();
    if (holds) {
      if (ws.holdMin === undefined || timestamp < ws.holdMin) ws.holdMin = timestamp;
      if (ws.holdMax === undefined || timestamp > ws.holdMax) ws.holdMax = timestamp;
    }
    ws.pending++;
    this.unfired.add(ws);
  }

  /** Merges the key's session windows; returns the state that now holds `ws`'s data. */
  private mergeWindows(ks: KeyState, ws: WindowState): WindowState {
    const fn = this.windowing.windowFn;
    if (!isMergingWindowFn(fn)) return ws;
    const live = [...ks.windows.values()].filter((s) => !s.closed && s.window instanceof IntervalWindow);
    let result = ws;
    for (const m of fn.mergeWindows(live.map((s) => s.window as IntervalWindow))) {
      const ids = new Set(m.from.map((w) => w.id()));
      const parts = live.filter((s) => ids.has(s.window.id()));
      const target = this.newWindowState(m.merged, ws.keyId, m.merged.id());
      for (const p of parts) {
        if (this.combineFn !== undefined) target.values[0] = this.call(() => this.combineFn!.mergeAccumulators([target.values[0], p.values[0]]));
        else target.values.push(...p.values);
        if (p.holdMin !== undefined && (target.holdMin === undefined || p.holdMin < target.holdMin)) target.holdMin = p.holdMin;
        if (p.holdMax !== undefined && (target.holdMax === undefined || p.holdMax > target.holdMax)) target.holdMax = p.holdMax;
        target.pending += p.pending;
        target.paneIndex = Math.max(target.paneIndex, p.paneIndex);
        target.nonEarlyIndex = Math.max(target.nonEarlyIndex, p.nonEarlyIndex);
        target.onTimeEmitted ||= p.onTimeEmitted;
        p.dead = true;
        this.unfired.delete(p);
        this.liveStates--;
        ks.windows.delete(p.windowId);
        if (p === ws) result = target;
      }
      target.trigger.merge(parts.map((p) => p.trigger));
      ks.windows.set(target.windowId, target);
      if (target.pending > 0) this.unfired.add(target);
      this.liveStates++;
      this.touch(target);
    }
    return result;
  }

  private maybeFire(ks: KeyState, ws: WindowState): void {
    if (ws.closed) return;
    const ctx = this.triggerContext(ws.window);
    // Fire repeatedly while the trigger says so (bounded: each firing changes its state).
    for (let i = 0; i < 100 && !ws.closed && ws.trigger.shouldFire(ctx); i++) {
      ws.trigger.onFire(ctx);
      if (ws.trigger.finished) ws.closed = true;
      // Empty panes only for the on-time firing (Beam's FIRE_ALWAYS on-time behaviour).
      if (ws.pending === 0 && this.timing(ws) !== "ON_TIME") break;
      this.emitPane(ks, ws, ws.closed || this.isExpired(ws.window, ctx.watermark));
    }
  }

  /**
   * The timing of a pane fired now (Beam's rule): EARLY while the input watermark has not passed
   * the end of the window; ON_TIME for the first pane after that, as long as the window held the
   * output watermark (whatever trigger fired it); LATE otherwise.
   */
  private timing(ws: WindowState): PaneTiming {
    const maxTs = ws.window.maxTimestamp();
    if (ws.onTimeEmitted || this.outputWatermark > maxTs) return "LATE";
    return this.clocks.inputWatermark <= maxTs ? "EARLY" : "ON_TIME";
  }

  private emitPane(ks: KeyState, ws: WindowState, isLast: boolean): void {
    const timing = this.timing(ws);
    const pane: PaneInfo = {
      isFirst: ws.paneIndex === 0,
      isLast,
      timing,
      index: ws.paneIndex,
      onTimeIndex: timing === "EARLY" ? -1 : ws.nonEarlyIndex,
    };
    ws.paneIndex++;
    if (timing !== "EARLY") {
      ws.onTimeEmitted = true;
      ws.nonEarlyIndex++;
    }
    const timestamp = this.paneTimestamp(ws);
    const fn = this.combineFn;
    const value = fn !== undefined ? this.call(() => fn.extractOutput(ws.values[0])) : [...ws.values];
    if (this.windowing.accumulationMode === "DISCARDING") {
      ws.values = fn !== undefined ? [this.call(() => fn.createAccumulator())] : [];
    }
    ws.pending = 0;
    this.unfired.delete(ws);
    ws.holdMin = ws.holdMax = undefined;
    this.pending.add(this.output.receive(kv(ks.key, value), { timestamp, windows: [ws.window], pane }));
  }

  private call<R>(f: () => R): R {
    const previous = setActiveContainer(this.metrics);
    try {
      return f();
    } catch (e) {
      throw wrapUserError(this.transformName, "combine", e);
    } finally {
      setActiveContainer(previous);
    }
  }
}
