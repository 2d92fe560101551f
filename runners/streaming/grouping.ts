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
 *
 * The step is GroupNode, built in layers: GroupingWindows (grouping_windows.ts) keeps each
 * window's clocks, wake-ups and watermark hold; GroupingPanes (grouping_panes.ts) evaluates
 * triggers and emits panes; GroupNode (here) takes elements into buffers or accumulators,
 * merges session windows, and writes its state to checkpoints.
 */
import type { ByteReader, ByteWriter } from "../../lib/coders/byte_io";
import type { Coder } from "../../lib/coders/coder";
import type { CombineFnLike } from "../../lib/model/combine_fn";
import { InternalError } from "../../lib/model/errors";
import { activeMetrics, MetricsContainer, systemCounterKey } from "../../lib/model/metrics";
import { isMergingWindowFn } from "../../lib/model/sliding_sessions";
import { BoundedWindow, ElementMeta, Instant, IntervalWindow, type KV } from "../../lib/model/window";
import type { WindowingStrategy } from "../../lib/model/windowing";
import { CheckSampler, checkKeyDeterministic } from "../executor/checks";
import { notKv } from "../executor/combine_operator";
import { wrapUserError } from "../executor/operator";
import { countAddInput } from "../../lib/transforms/combine";
import { MaybePromise, Receiver } from "../executor/receiver";
import type { Clocks } from "../executor/in_memory_state";
import { DROPPED_LATE } from "../executor/stateful_operator";
import { defaultCoder } from "../executor/default_coders";
import type { Checkpointable } from "./checkpoint";
import { CLOSED, TOUCHED, GroupingState, windowCoderOf, readWindowStates, stateKeyOf, WindowMajorGroupingState, WindowState, WindowStateCodec, writeWindowStates } from "./grouping_state";
import { GroupingPanes } from "./grouping_panes";
import { triggerMachine } from "./trigger_machine";

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

export class GroupNode extends GroupingPanes implements Receiver, TimeAware, Checkpointable {
  /** Whether the combine is Count's (an accumulator is a number of elements). */
  private readonly counting: boolean;
  /** This bundle's elements for exactly a closed session, decided once the bundle's windows have merged (mergeDeferredClosed). */
  private deferredClosed: { key: unknown; keyId: string; window: BoundedWindow; value: unknown; meta: ElementMeta }[] = [];
  /** The state, for `receive`'s short path: Count, windows that do not merge, a trigger and timestamps that ignore elements. */
  private readonly plainCount: WindowMajorGroupingState | undefined;

  constructor(
    transformName: string,
    windowing: WindowingStrategy,
    keyCoder: Coder<unknown>,
    combineFn: CombineFnLike | undefined,
    output: Receiver,
    metrics: MetricsContainer,
    /** Strict checks: samples keys for deterministic encoding (undefined: off). */
    private readonly keyChecks?: CheckSampler,
    /**
     * The processing time an element arrives at (a processing-time trigger's delay starts
     * then); by default the time of the last advance, which is exact in virtual time.
     */
    now?: () => Instant,
    /** Of the buffered values (GroupByKey) or the accumulator (combine), for checkpoints. */
    valueCoder: Coder<unknown> = defaultCoder(),
    /** The per key and window state (in memory by default: by key for merging windows, by window otherwise). */
    state?: GroupingState,
  ) {
    super(transformName, windowing, keyCoder, combineFn, output, metrics, now, state);
    this.counting = combineFn !== undefined && combineFn.addInput === countAddInput;
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
      // Whether the state is the element's own window's (not a merged session's).
      const own = ws !== undefined;
      if (ws === undefined && this.merging) ws = this.mergeNewWindow(key, window, keyId);
      if (ws === undefined) {
        ws = this.newWindowState(key, window, keyId);
        this.state.put(keyId, windowId, ws);
      }
      if ((ws.flags & CLOSED) !== 0) {
        // Exactly a session whose trigger finished: Beam merges the bundle's windows before it
        // drops anything, and this one may still merge with the bundle's other sessions into an
        // open one (ReduceFnRunnerTest.testMergingWithClosedDoesNotPoison). Decided at the end of the bundle.
        if (this.merging && own) this.deferredClosed.push({ key, keyId, window, value, meta });
        else this.metrics.incCounter(systemCounterKey(DROPPED_CLOSED), 1);
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
    try {
      if (this.deferredClosed.length > 0) this.mergeDeferredClosed();
      this.evaluateTouched();
      const clockMoved = clocks.processingTime !== this.clocks.processingTime;
      this.clocks = clocks;
      if (this.liveWindow !== undefined && this.isExpired(this.liveWindow, clocks.inputWatermark)) this.liveWindow = undefined;
      while (this.wakeups.peekTime() < clocks.inputWatermark) this.wakeups.popBucket(this.visitIfLive);
      // A processing-time trigger is armed by an element and fires a pane of pending data: only
      // windows holding unfired elements can fire because the clock moved.
      if (this.processingTimeTriggers && clockMoved) for (const ws of [...this.unfired]) this.visitIfLive(ws);
    } catch (e) {
      // A pane (its extractOutput, or a step it went through) failed: the panes emitted before it
      // may be queued in async steps downstream, which end before the run fails (PendingWork.failAfter).
      return this.pending.failAfter(e);
    }
    const out = Math.min(clocks.inputWatermark, this.hold());
    if (out > this.outputWatermark) this.outputWatermark = out;
    return this.pending.take();
  }

  // ---- checkpoints ----

  /** Clocks, output watermark and every live window's state (between bundles). */
  snapshot(w: ByteWriter): void {
    if (this.deferredClosed.length > 0) this.mergeDeferredClosed();
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
   * The bundle's elements whose window was exactly a session whose trigger finished, now that the
   * bundle's other elements have merged: each merges with the key's open sessions it overlaps
   * and goes to the merged session if that is open; otherwise it is dropped (and counted).
   */
  private mergeDeferredClosed(): void {
    const deferred = this.deferredClosed;
    this.deferredClosed = [];
    for (const d of deferred) {
      const ws = this.mergeNewWindow(d.key, d.window, d.keyId);
      if (ws === undefined || ws.closed) {
        this.metrics.incCounter(systemCounterKey(DROPPED_CLOSED), 1);
        continue;
      }
      this.addToWindow(ws, d.value, d.meta);
    }
  }

  /** An element into an open window's buffer or accumulator (receiveAny's per-element work, for the rarer paths). */
  private addToWindow(ws: WindowState, value: unknown, meta: ElementMeta): void {
    const fn = this.combineFn;
    if (this.counting) ws.buffer = (ws.buffer as number) + 1;
    else if (fn !== undefined) {
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
    if (this.elementHolds || this.processingTimeTriggers) this.noteAdded(ws, meta.timestamp, 1);
    else ws.pending++;
    if (this.triggerSeesElements) ws.trigger.onElement(this.elementContext(ws.window));
    if (ws.touch()) this.touched.push(ws);
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
    const ids = new Set(merge.from.map((w) => w.id()));
    const parts = live.filter((s) => ids.has(s.window.id()));
    if (existing?.closed) {
      // The merged session is exactly one whose trigger finished: as in Beam (ReduceFnRunner merges
      // the open sessions into it, then drops what arrives for it; testMergingWithClosedRepresentative)
      // the open sessions' elements not yet in a pane go with it, dropped and counted.
      for (const p of parts) {
        if (p.pending > 0) this.metrics.incCounter(systemCounterKey(DROPPED_CLOSED), p.pending);
        this.remove(p);
      }
      return existing;
    }
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
}
