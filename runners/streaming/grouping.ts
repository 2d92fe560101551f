/**
 * GroupByKey and lifted Combine.perKey in streaming: per key and window, a buffer (or an
 * accumulator) and a trigger state machine, run as Beam's runners run them (runners-core's
 * ReduceFnRunner):
 *
 * - Triggers are evaluated once per bundle for the windows the bundle's elements went to, and
 *   once per window when one of its timers is due (the end of the window, a processing-time
 *   delay); a window fires at most one pane per evaluation, holding every element that arrived
 *   in between (so AfterCount(2) over a bundle of 3 fires one pane of 3).
 * - Late data past the allowed lateness is dropped and counted; so is data for a window whose
 *   trigger has finished.
 * - Session windows merge when an element's window overlaps a key's open windows: the merged
 *   window takes over their data, watermark holds and trigger states (Beam's onMerge), and is a
 *   new window for pane numbering. A window whose trigger has finished no longer merges: a
 *   later element overlapping it starts a new session (Beam's MergingActiveWindowSet drops
 *   closed windows from the active set), unless its merged window is exactly the closed one.
 * - When a window expires (end + allowed lateness) it emits what has not fired as its final
 *   pane, and its state is garbage-collected.
 */
import type { ByteReader, ByteWriter } from "../../lib/coders/byte_io";
import type { Coder } from "../../lib/coders/coder";
import { extractOutputOfKept, type CombineFnLike } from "../../lib/model/combine_fn";
import { InternalError } from "../../lib/model/errors";
import { activeMetrics, MetricsContainer, systemCounterKey } from "../../lib/model/metrics";
import { isMergingWindowFn } from "../../lib/model/sliding_sessions";
import { BoundedWindow, ElementMeta, Instant, IntervalWindow, type KV, kv, MIN_TIMESTAMP, PaneInfo, PaneTiming } from "../../lib/model/window";
import type { WindowingStrategy } from "../../lib/model/windowing";
import { CheckSampler, checkKeyDeterministic } from "../executor/checks";
import { notKv } from "../executor/combine_operator";
import { wrapUserError } from "../executor/operator";
import { countAddInput } from "../../lib/transforms/combine";
import { MaybePromise, PendingWork, Receiver } from "../executor/receiver";
import { TimeBuckets } from "./hold_counts";
import type { Clocks } from "../executor/in_memory_state";
import { DROPPED_LATE } from "../executor/stateful_operator";
import { defaultCoder } from "../executor/default_coders";
import type { Checkpointable } from "./checkpoint";
import { CLOSED, TOUCHED, GroupingState, windowCoderOf, InMemoryGroupingState, readWindowStates, stateKeyOf, WindowMajorGroupingState, WindowState, WindowStateCodec, writeWindowStates } from "./grouping_state";
import { HoldCounts } from "./hold_counts";
import { CombineCalls } from "./combine_calls";

/** WindowState.wakePhase: the window's next visit is at its end, or at its expiry (end + allowed lateness). */
const WAKE_AT_END = 1;
const WAKE_AT_EXPIRY = 2;
import { armedAcrossPanes, TriggerContext, triggerMachine, usesProcessingTime } from "./trigger_machine";

export { DROPPED_LATE };
export type { Clocks };
/** Counter (namespace "beamline") of elements dropped because their window's trigger had finished. */
export const DROPPED_CLOSED = "droppedDueToClosedWindow";

/** A step that reacts to time: grouping, stateful ParDo, side-input gate. */
export interface TimeAware {
  /** Fires whatever the new times make due; returns downstream work. */
  advance(clocks: Clocks): MaybePromise;
  /** The earliest timestamp this step may still emit (for the output watermark). */
  hold(): Instant;
  /**
   * Timers fired so far (stateful ParDos): a DoFn that outputs in finishBundle may output there
   * for them, so the driver holds its output watermark while any fired in the running bundle.
   */
  readonly fired?: number;
}

export class GroupNode implements Receiver, TimeAware, Checkpointable {
  private readonly pending = new PendingWork();
  private clocks: Clocks = { inputWatermark: MIN_TIMESTAMP, processingTime: 0 };
  /** This step's output watermark as of the last advance (the driver computes the same value). */
  private outputWatermark: Instant = MIN_TIMESTAMP;
  private lastWindow: BoundedWindow | undefined;
  private lastWindowId = "";
  /**
   * A window object elements came with that is not expired at the current clocks, and whose
   * step object is `lastWindow`: the next elements with it skip the expiry check (whose
   * `maxTimestamp()` call returns a new heap number each time it is not inlined) and the lookup
   * of the step's object. Checked again whenever the clocks change (in advance, not by the next
   * element: the branch of receive that checks a window runs only when the window changes, so
   * the optimizing compiler has seen it run, rather than once per bundle, where the first
   * bundle's run is often before V8 records type feedback and each later one deoptimizes).
   */
  private liveWindow: BoundedWindow | undefined;
  /**
   * Apart from elements (handled as they arrive), a window's trigger only reacts to the
   * watermark passing its end, and its state only to the watermark passing its expiry: windows
   * wait in this heap by that instant, so a watermark advance visits just the windows it
   * concerns rather than every key and window.
   */
  private readonly wakeups = new TimeBuckets<WindowState>();
  /** Every live window's hold contribution (its holdAt), counted per instant. */
  private readonly holds = new HoldCounts();
  private readonly processingTimeTriggers: boolean;
  /**
   * Windows with elements not yet in a pane (the only ones a processing-time trigger can fire,
   * but for `armedAcrossPanes`: then every open window that had elements), kept only when the
   * trigger reads processing time.
   */
  private readonly unfired = new Set<WindowState>();
  /** Whether an open window stays in `unfired` after a pane (an OrFinally's processing-time finally trigger). */
  private readonly armedAcrossPanes: boolean;
  /**
   * Windows that received elements since the last evaluation (the bundle's windows; each is
   * flagged `touched`). One array for the whole run: the optimized receive checks the array's
   * map when it pushes, and a new empty array per bundle has another one (and deoptimizes it).
   */
  private readonly touched: WindowState[] = [];
  /** Whether the window fn merges windows (sessions). */
  private readonly merging: boolean;
  /** Whether the trigger counts or times elements (the default trigger does not look at them). */
  private readonly triggerSeesElements: boolean;
  /** Whether panes take their timestamp from the elements' (EARLIEST, LATEST), which then hold per window. */
  private readonly elementHolds: boolean;
  /** The grouping state (the constructor's, or the default for the window fn). */
  private readonly state: GroupingState;
  /** Whether the combine is Count's (an accumulator is a number of elements). */
  private readonly counting: boolean;
  /** The state, for `receive`'s short path: Count, windows that do not merge, a trigger and timestamps that ignore elements. */
  private readonly plainCount: WindowMajorGroupingState | undefined;
  private readonly combineCalls: CombineCalls;

  constructor(
    readonly transformName: string,
    private readonly windowing: WindowingStrategy,
    private readonly keyCoder: Coder<unknown>,
    private readonly combineFn: CombineFnLike | undefined,
    private readonly output: Receiver,
    readonly metrics: MetricsContainer,
    /** Strict checks: samples keys for deterministic encoding (undefined: off). */
    private readonly keyChecks?: CheckSampler,
    /**
     * The processing time an element arrives at (a processing-time trigger's delay starts
     * then); by default the time of the last advance, which is exact in virtual time.
     */
    private readonly now?: () => Instant,
    /** Of the buffered values (GroupByKey) or the accumulator (combine), for checkpoints. */
    valueCoder: Coder<unknown> = defaultCoder(),
    /** The per key and window state (in memory by default: by key for merging windows, by window otherwise). */
    state?: GroupingState,
  ) {
    this.processingTimeTriggers = usesProcessingTime(windowing.trigger);
    this.armedAcrossPanes = armedAcrossPanes(windowing.trigger);
    this.counting = combineFn !== undefined && combineFn.addInput === countAddInput;
    this.combineCalls = new CombineCalls(transformName, metrics);
    this.merging = isMergingWindowFn(windowing.windowFn);
    this.state = state ?? (this.merging ? new InMemoryGroupingState() : new WindowMajorGroupingState());
    this.triggerSeesElements = triggerMachine(windowing.trigger, this.merging).seesElements;
    this.elementHolds = windowing.timestampCombiner === "EARLIEST" || windowing.timestampCombiner === "LATEST";
    const plain = this.counting && !this.merging && !this.triggerSeesElements && !this.elementHolds && !this.processingTimeTriggers;
    this.plainCount = plain && this.state instanceof WindowMajorGroupingState ? this.state : undefined;
    this.makeCodec = () => ({
      keyCoder,
      windowCoder: windowCoderOf(windowing),
      valueCoder: combineFn !== undefined ? defaultCoder() : valueCoder,
      combines: combineFn !== undefined,
      newTrigger: () => triggerMachine(windowing.trigger, this.merging),
    });
  }

  /** How states are written to checkpoints; made on first use (most runs never checkpoint). */
  private readonly makeCodec: () => WindowStateCodec;
  private codecMade: WindowStateCodec | undefined;
  private get codec(): WindowStateCodec {
    return (this.codecMade ??= this.makeCodec());
  }
  /** The last trigger context made (see triggerContext). */
  private lastContext: TriggerContext | undefined;
  /** The metadata of the last pane emitted: the panes of a window's keys mostly share it (read-only). */
  private lastPaneMeta: ElementMeta | undefined;
  /** The windows list of the last pane's window: the panes of a window (one per key) share it (read-only). */
  private paneWindow: BoundedWindow | undefined;
  private paneWindows: readonly BoundedWindow[] = [];

  receive(element: unknown, meta: ElementMeta): MaybePromise {
    // Count's commonest case, small enough for the optimizing compiler to inline into the step
    // feeding it: a string key, the live window, a state that exists, is open and is already
    // listed for the bundle's evaluation, nothing that holds or times elements. Exactly what
    // `receiveAny` does then; anything else goes there. (No code here that runs only sometimes:
    // code the optimizing compiler has not seen run deoptimizes the chain it was inlined into.)
    const counted = this.plainCount;
    if (counted !== undefined && typeof element === "object" && element !== null) {
      const windows = meta.windows;
      const key = (element as { key?: unknown }).key;
      if (windows.length === 1 && windows[0] === this.liveWindow && typeof key === "string" && key.charCodeAt(0) !== 0) {
        const ws = counted.peek(key, this.lastWindowId);
        if (ws !== undefined && (ws.flags & (CLOSED | TOUCHED)) === TOUCHED) {
          ws.buffer = (ws.buffer as number) + 1;
          ws.pending++;
          return this.pending.isEmpty ? undefined : this.pending.take();
        }
      }
    }
    return this.receiveAny(element, meta);
  }

  private receiveAny(element: unknown, meta: ElementMeta): MaybePromise {
    // The checks of asKv and stateKeyOf written out: this runs per element, and until the
    // optimizing compiler has inlined them every call costs (most of a short run's time).
    if (typeof element !== "object" || element === null || !("key" in element)) throw notKv(this.transformName, element);
    const { key, value } = element as KV<unknown, unknown>;
    if (typeof key === "object" && key !== null && this.keyChecks?.shouldCheck()) checkKeyDeterministic(this.transformName, key, this.keyCoder, element);
    const keyId = typeof key === "string" && key.charCodeAt(0) !== 0 ? key : stateKeyOf(key, this.keyCoder);
    const windows = meta.windows;
    for (let i = 0; i < windows.length; i++) {
      const w = windows[i]!;
      let window: BoundedWindow;
      if (w === this.liveWindow) window = this.lastWindow!;
      else {
        if (this.isExpired(w, this.clocks.inputWatermark)) {
          this.metrics.incCounter(systemCounterKey(DROPPED_LATE), 1);
          continue;
        }
        // The step's one object (and id) for this window: states share it.
        window = this.canonicalWindow(w);
        this.liveWindow = w;
      }
      const windowId = this.lastWindowId;
      let ws = this.state.get(keyId, windowId);
      if (ws === undefined && this.merging) ws = this.mergeNewWindow(key, window, keyId);
      if (ws === undefined) {
        ws = this.newWindowState(key, window, keyId);
        this.state.put(keyId, windowId, ws);
      }
      if ((ws.flags & CLOSED) !== 0) {
        this.metrics.incCounter(systemCounterKey(DROPPED_CLOSED), 1);
        continue;
      }
      // The element into the window's buffer or accumulator (written out here: per element).
      const fn = this.combineFn;
      // Count's accumulator: what its addInput returns, without the call.
      if (this.counting) ws.buffer = (ws.buffer as number) + 1;
      else if (fn !== undefined) {
        // A direct call (no closure per element), with this step's metrics container active.
        const previous = activeMetrics.container;
        activeMetrics.container = this.metrics;
        try {
          ws.buffer = fn.addInput(ws.buffer, value);
        } catch (e) {
          throw wrapUserError(this.transformName, "combine", e);
        } finally {
          activeMetrics.container = previous;
        }
      } else (ws.buffer as unknown[]).push(value);
      // noteAdded, without the call where it only counts (no element holds, no processing-time trigger).
      if (this.elementHolds || this.processingTimeTriggers) this.noteAdded(ws, meta.timestamp, 1);
      else ws.pending++;
      if (this.triggerSeesElements) ws.trigger.onElement(this.elementContext(ws.window));
      // Its heap entries are brought up to date when the bundle's windows are evaluated.
      if (ws.touch()) this.touched.push(ws);
    }
    return this.pending.isEmpty ? undefined : this.pending.take();
  }

  /**
   * An accumulator of `count` elements of a key in a (non-merging) window, precombined by
   * another instance of a parallel run (runners/streaming/parallel/precombine.ts): merged into
   * the key's accumulator as its elements would have been added, at the timestamp the window's
   * timestamp combiner takes from them; dropped and counted per element as they would be.
   */
  mergeAccumulator(key: unknown, w: BoundedWindow, timestamp: Instant, acc: unknown, count: number): MaybePromise {
    const fn = this.combineFn;
    if (fn === undefined || this.merging) throw new InternalError(`'${this.transformName}' received a precombined accumulator, but it ${fn === undefined ? "is not a combine" : "merges windows"}`);
    if (this.isExpired(w, this.clocks.inputWatermark)) {
      this.metrics.incCounter(systemCounterKey(DROPPED_LATE), count);
      return this.pending.isEmpty ? undefined : this.pending.take();
    }
    const window = this.canonicalWindow(w);
    this.liveWindow = w;
    const keyId = stateKeyOf(key, this.keyCoder);
    let ws = this.state.get(keyId, this.lastWindowId);
    if (ws === undefined) {
      ws = this.newWindowState(key, window, keyId);
      this.state.put(keyId, this.lastWindowId, ws);
    }
    if (ws.closed) {
      this.metrics.incCounter(systemCounterKey(DROPPED_CLOSED), count);
      return this.pending.isEmpty ? undefined : this.pending.take();
    }
    const buffer = ws.buffer;
    ws.buffer = this.combineCalls.call(() => fn.mergeAccumulators([buffer, acc]));
    this.noteAdded(ws, timestamp, count);
    // A liftable trigger counts at most one element: the accumulator is that one.
    if (this.triggerSeesElements) ws.trigger.onElement(this.elementContext(ws.window));
    if (ws.touch()) this.touched.push(ws);
    return this.pending.isEmpty ? undefined : this.pending.take();
  }

  /**
   * The end of a bundle, then new clocks: the windows the bundle's elements went to are
   * evaluated (at the clocks the bundle ran at), then the timers the new clocks make due.
   */
  advance(clocks: Clocks): MaybePromise {
    this.evaluateTouched();
    const clockMoved = clocks.processingTime !== this.clocks.processingTime;
    this.clocks = clocks;
    if (this.liveWindow !== undefined && this.isExpired(this.liveWindow, clocks.inputWatermark)) this.liveWindow = undefined;
    while (this.wakeups.peekTime() < clocks.inputWatermark) this.wakeups.popBucket(this.visitIfLive);
    // A processing-time trigger is armed by an element and fires a pane of pending data: only
    // windows holding unfired elements can fire because the clock moved.
    if (this.processingTimeTriggers && clockMoved) for (const ws of [...this.unfired]) this.visitIfLive(ws);
    const out = Math.min(clocks.inputWatermark, this.hold());
    if (out > this.outputWatermark) this.outputWatermark = out;
    return this.pending.take();
  }

  // ---- checkpoints ----

  /** Clocks, output watermark and every live window's state (between bundles). */
  snapshot(w: ByteWriter): void {
    w.writeDoubleBE(this.clocks.inputWatermark);
    w.writeDoubleBE(this.clocks.processingTime);
    w.writeDoubleBE(this.outputWatermark);
    writeWindowStates(w, this.state.all(), this.state.size, this.codec);
  }

  /** Restores a snapshot into this freshly built (empty) step and rebuilds its indexes. */
  restore(r: ByteReader): void {
    this.clocks = { inputWatermark: r.readDoubleBE(), processingTime: r.readDoubleBE() };
    this.liveWindow = undefined;
    this.outputWatermark = r.readDoubleBE();
    readWindowStates(r, this.codec, (ws, touched) => {
      this.state.put(stateKeyOf(ws.key, this.keyCoder), ws.window.id(), ws);
      if ((ws.pending > 0 || (this.armedAcrossPanes && !ws.closed)) && this.processingTimeTriggers) this.unfired.add(ws);
      if (touched) {
        ws.touched = true;
        this.touched.push(ws);
      }
      this.touch(ws);
    });
  }

  /** Fires (at most once each) the windows that received elements since the last evaluation. */
  private evaluateTouched(): void {
    const touched = this.touched;
    const n = touched.length;
    if (n === 0) return;
    // A trigger that reads only the watermark (the default, AfterWatermark() alone, Never) cannot
    // fire a window the watermark has not passed; and with panes stamped at the end of the window
    // (no EARLIEST, LATEST), a window that already waits for its end and holds there keeps its
    // entries as they are. Most of a bundle's windows are such (they received more elements):
    // they skip the evaluation, which would change nothing.
    // More elements cannot change that either, until the watermark passes the window's end (and
    // its wake-up visits it): such a window stays flagged `touched` without being listed
    // ("parked"), so that its later elements do not list it again each bundle (visit clears the
    // flag). Not with merging windows, whose merges move a window's end.
    const watermarkOnly = !this.triggerSeesElements && !this.elementHolds;
    const park = watermarkOnly && !this.merging;
    const watermark = this.clocks.inputWatermark;
    try {
      for (let i = 0; i < n; i++) {
        const ws = touched[i]!;
        if (ws.dead) {
          ws.touched = false;
          continue;
        }
        if (watermarkOnly && ws.pending > 0 && ws.wakePhase === WAKE_AT_END) {
          const end = ws.window.maxTimestamp();
          if (watermark <= end && ws.holdAt === end) {
            if (!park) ws.touched = false;
            continue;
          }
        }
        ws.touched = false;
        this.fireIfReady(ws);
        this.touch(ws);
      }
    } finally {
      // These n are evaluated (or the run failed); a window listed meanwhile waits for the next evaluation.
      if (touched.length === n) touched.length = 0;
      else touched.splice(0, n);
    }
  }

  /** (A bound function: the wake-up buckets call it per state.) */
  private readonly visitIfLive = (ws: WindowState): void => {
    if (!ws.dead) this.visit(ws);
  };

  /** A timer of the window is due: garbage collection once expired, otherwise a trigger evaluation. */
  private visit(ws: WindowState): void {
    // Parked (evaluateTouched) until now; nothing is listed while timers are visited.
    ws.touched = false;
    if (this.isExpired(ws.window, this.clocks.inputWatermark)) {
      // Garbage collection: an open window emits its final pane (what has not fired, or an
      // empty on-time pane), without asking the trigger; then its state goes.
      if (!ws.closed && this.shouldEmit(ws)) this.emitPane(ws, true);
      this.remove(ws);
      return;
    }
    this.fireIfReady(ws);
    this.touch(ws);
  }

  private remove(ws: WindowState): void {
    this.retire(ws);
    this.state.remove(stateKeyOf(ws.key, this.keyCoder), this.idOf(ws.window), ws);
  }

  /** Marks a state no longer in the step (removed, or replaced) and releases its hold. */
  private retire(ws: WindowState): void {
    ws.dead = true;
    if (this.processingTimeTriggers) this.unfired.delete(ws);
    const holdAt = ws.holdAt;
    if (holdAt !== Infinity) this.holds.remove(holdAt);
    ws.holdAt = Infinity;
  }

  /** Brings a live window's heap entries up to date after its state or the clocks changed. */
  private touch(ws: WindowState): void {
    if (ws.dead) return;
    const end = ws.window.maxTimestamp();
    const lateness = this.windowing.allowedLatenessMillis;
    const phase = this.clocks.inputWatermark > end ? WAKE_AT_EXPIRY : WAKE_AT_END;
    const wakeAt = phase === WAKE_AT_EXPIRY ? end + lateness : end;
    const previous = ws.wakePhase === WAKE_AT_EXPIRY ? end + lateness : ws.wakePhase === WAKE_AT_END ? end : NaN;
    if (wakeAt !== previous) this.wakeups.push(wakeAt, ws);
    ws.wakePhase = phase;
    const holdAt = this.holdOf(ws);
    const held = ws.holdAt;
    if (holdAt !== held) {
      if (held !== Infinity) this.holds.remove(held);
      if (holdAt !== Infinity) this.holds.add(holdAt);
      ws.holdAt = holdAt;
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
    return this.holds.min();
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

  /**
   * The step's object for a window, its id in `lastWindowId`: consecutive elements mostly share
   * their window, so the last window and its id are reused (and new states share them).
   */
  private canonicalWindow(window: BoundedWindow): BoundedWindow {
    const last = this.lastWindow;
    if (window === last) return last;
    if (window instanceof IntervalWindow && last instanceof IntervalWindow && window.start === last.start && window.end === last.end) return last;
    this.lastWindowId = window.id();
    this.lastWindow = window;
    return window;
  }

  /**
   * A window's id. States of a window share its object (canonicalWindow) and are mostly visited
   * together (they expire together): the last id is reused rather than formatting two instants
   * into a new string per state.
   */
  private idOf(window: BoundedWindow): string {
    if (window === this.lastWindow) return this.lastWindowId;
    if (window !== this.idWindow) {
      this.idWindow = window;
      this.idOfWindow = window.id();
    }
    return this.idOfWindow;
  }
  private idWindow: BoundedWindow | undefined;
  private idOfWindow = "";

  /** Number of live key-window states (for tests and metrics). */
  get stateCount(): number {
    return this.state.size;
  }

  private isExpired(window: BoundedWindow, watermark: Instant): boolean {
    return window.maxTimestamp() + this.windowing.allowedLatenessMillis < watermark;
  }

  private elementContext(window: BoundedWindow): TriggerContext {
    // Only processing-time triggers read the arrival time (the wall clock costs a call per element).
    if (this.now === undefined || !this.processingTimeTriggers) return this.triggerContext(window);
    return { window, watermark: this.clocks.inputWatermark, processingTime: Math.max(this.now(), this.clocks.processingTime) };
  }

  private triggerContext(window: BoundedWindow): TriggerContext {
    // An evaluation visits the states of a window one key after another, at the same clocks: they
    // share one (read-only) context instead of one object per key.
    const last = this.lastContext;
    if (last !== undefined && last.window === window && last.watermark === this.clocks.inputWatermark && last.processingTime === this.clocks.processingTime) return last;
    return (this.lastContext = { window, watermark: this.clocks.inputWatermark, processingTime: this.clocks.processingTime });
  }

  /** A key's state in a new window: its removed state of an earlier window, reset, if the table kept one. */
  private newWindowState(key: unknown, window: BoundedWindow, keyId?: string): WindowState {
    const buffer = this.combineFn !== undefined ? this.combineCalls.createAccumulator(this.combineFn) : [];
    const trigger = triggerMachine(this.windowing.trigger, this.merging);
    const free = keyId !== undefined ? this.state.recycled(keyId) : undefined;
    if (free === undefined) return new WindowState(key, window, buffer, trigger);
    free.reuse(key, window, buffer, trigger);
    return free;
  }

  /** Elements went into a window's pending pane: its hold (EARLIEST, LATEST) and count. */
  private noteAdded(ws: WindowState, timestamp: Instant, count: number): void {
    // Only the EARLIEST and LATEST timestamp combiners read these (paneTimestamp).
    if (this.elementHolds && timestamp >= this.outputWatermark && this.clocks.inputWatermark <= ws.window.maxTimestamp()) {
      if (ws.holdMin === undefined || timestamp < ws.holdMin) ws.holdMin = timestamp;
      if (ws.holdMax === undefined || timestamp > ws.holdMax) ws.holdMax = timestamp;
    }
    ws.pending += count;
    if (this.processingTimeTriggers) this.unfired.add(ws);
  }

  /**
   * A new window of a key with merging windows: merges it with the key's open windows it
   * overlaps. Returns the state the element goes to (a closed state if the merged window is a
   * window whose trigger has finished), or undefined when the window merges with nothing.
   */
  private mergeNewWindow(key: unknown, window: BoundedWindow, keyId: string): WindowState | undefined {
    const fn = this.windowing.windowFn;
    if (!isMergingWindowFn(fn) || !(window instanceof IntervalWindow)) return undefined;
    // Windows whose trigger finished are no longer active: they do not merge.
    const live = [...this.state.windowsOf(keyId)].filter((s) => !s.closed && s.window instanceof IntervalWindow);
    if (live.length === 0) return undefined;
    const newId = window.id();
    const merge = fn.mergeWindows([...live.map((s) => s.window as IntervalWindow), window]).find((m) => m.from.some((w) => w.id() === newId));
    if (merge === undefined) return undefined;
    const mergedId = merge.merged.id();
    const existing = this.state.get(keyId, mergedId);
    if (existing?.closed) return existing;
    const ids = new Set(merge.from.map((w) => w.id()));
    const parts = live.filter((s) => ids.has(s.window.id()));
    // The new window falls inside an open window: nothing changes.
    if (parts.length === 1 && parts[0]!.window.id() === mergedId) return parts[0];
    const target = this.newWindowState(key, merge.merged);
    // The merged window keeps its own trigger flags and pane numbering if it was one of the
    // merging windows; otherwise it is a new window (pane index 0 when it first fires).
    if (existing !== undefined) {
      target.trigger.copyFinished(existing.trigger);
      target.paneIndex = existing.paneIndex;
      target.nonEarlyIndex = existing.nonEarlyIndex;
      target.onTimeEmitted = existing.onTimeEmitted;
    }
    for (const p of parts) {
      if (this.combineFn !== undefined) target.buffer = this.combineCalls.call(() => this.combineFn!.mergeAccumulators([target.buffer, p.buffer]));
      else (target.buffer as unknown[]).push(...(p.buffer as unknown[]));
      if (p.holdMin !== undefined && (target.holdMin === undefined || p.holdMin < target.holdMin)) target.holdMin = p.holdMin;
      if (p.holdMax !== undefined && (target.holdMax === undefined || p.holdMax > target.holdMax)) target.holdMax = p.holdMax;
      target.pending += p.pending;
      this.remove(p);
    }
    target.trigger.onMerge(
      parts.map((p) => p.trigger),
      this.triggerContext(target.window),
    );
    // The merged window replaces a closed window of the same id, if any.
    if (existing !== undefined && !existing.dead) this.retire(existing);
    this.state.put(keyId, mergedId, target);
    if (target.pending > 0 && this.processingTimeTriggers) this.unfired.add(target);
    this.touch(target);
    return target;
  }

  /** Evaluates the window's trigger and fires one pane if it says so. */
  private fireIfReady(ws: WindowState): void {
    if (ws.closed) return;
    const ctx = this.triggerContext(ws.window);
    if (!ws.trigger.shouldFire(ctx)) return;
    ws.trigger.onFire(ctx);
    if (ws.trigger.finished) ws.closed = true;
    if (this.shouldEmit(ws)) this.emitPane(ws, ws.closed);
    else if (ws.closed) this.discard(ws);
  }

  /**
   * Whether a firing emits a pane: when it holds elements that did not fire yet, and (empty) for
   * the on-time firing unless the strategy's on-time behaviour is FIRE_IF_NON_EMPTY. Beam's
   * closing behaviour here is EMIT_IF_NONEMPTY: a last pane is not emitted empty otherwise.
   */
  private shouldEmit(ws: WindowState): boolean {
    return ws.pending > 0 || (this.windowing.onTimeBehavior !== "FIRE_IF_NON_EMPTY" && this.timing(ws) === "ON_TIME");
  }

  /** Drops a closed window's buffered data (the window keeps its id until it expires, to drop late data). */
  private discard(ws: WindowState): void {
    ws.buffer = this.combineFn !== undefined ? undefined : [];
    ws.pending = 0;
    ws.holdMin = ws.holdMax = undefined;
    if (this.processingTimeTriggers) this.unfired.delete(ws);
  }

  /**
   * The timing of a pane fired now (Beam's rule): LATE once the window has had a non-early pane
   * or the step's output watermark is past its end; otherwise EARLY while the input watermark
   * has not passed the end of the window, and ON_TIME after that.
   */
  private timing(ws: WindowState): PaneTiming {
    const maxTs = ws.window.maxTimestamp();
    if (ws.onTimeEmitted || this.outputWatermark > maxTs) return "LATE";
    return this.clocks.inputWatermark <= maxTs ? "EARLY" : "ON_TIME";
  }

  private emitPane(ws: WindowState, isLast: boolean): void {
    const timing = this.timing(ws);
    const index = ws.paneIndex;
    const onTimeIndex = timing === "EARLY" ? -1 : ws.nonEarlyIndex;
    if (timing !== "EARLY") ws.onTimeEmitted = true;
    // A last pane is the window's last: nothing reads its pane numbers again, and a state that
    // fires once (as it expires, the common case) keeps none.
    if (!isLast) {
      ws.paneIndex = index + 1;
      if (timing !== "EARLY") ws.nonEarlyIndex = onTimeIndex + 1;
    }
    const timestamp = this.paneTimestamp(ws);
    const fn = this.combineFn;
    // An accumulating window keeps its accumulator for later panes: this pane's output comes from a
    // copy, or adding to it later would change what this pane emitted (extractOutputOfKept).
    const keeps = !isLast && this.windowing.accumulationMode === "ACCUMULATING";
    const value =
      fn === undefined
        ? [...(ws.buffer as unknown[])]
        : keeps
          ? this.combineCalls.call(() => extractOutputOfKept(fn, ws.buffer))
          : this.combineCalls.extractOutput(fn, ws.buffer);
    if (isLast) ws.buffer = fn !== undefined ? undefined : [];
    else if (this.windowing.accumulationMode === "DISCARDING") {
      ws.buffer = fn !== undefined ? this.combineCalls.createAccumulator(fn) : [];
    }
    ws.pending = 0;
    if (this.processingTimeTriggers && (isLast || !this.armedAcrossPanes)) this.unfired.delete(ws);
    ws.holdMin = ws.holdMax = undefined;
    if (ws.window !== this.paneWindow) {
      this.paneWindow = ws.window;
      this.paneWindows = [ws.window];
    }
    this.pending.add(this.output.receive(kv(ws.key, value), this.paneMeta(timestamp, isLast, timing, index, onTimeIndex)));
  }

  /**
   * The metadata of a pane. The panes a window fires for its keys in one evaluation mostly have
   * the same timestamp, window and pane info: they share the last one made (read-only).
   */
  private paneMeta(timestamp: Instant, isLast: boolean, timing: PaneTiming, index: number, onTimeIndex: number): ElementMeta {
    const last = this.lastPaneMeta;
    if (last !== undefined && last.timestamp === timestamp && last.windows === this.paneWindows) {
      const p = last.pane;
      if (p.isLast === isLast && p.timing === timing && p.index === index && p.onTimeIndex === onTimeIndex) return last;
    }
    const pane: PaneInfo = { isFirst: index === 0, isLast, timing, index, onTimeIndex };
    return (this.lastPaneMeta = { timestamp, windows: this.paneWindows, pane });
  }
}
