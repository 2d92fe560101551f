/**
 * Trigger evaluation and panes of a streaming grouping step (GroupNode, grouping.ts), as Beam's
 * ReduceFnRunner runs them: the windows a bundle's elements went to are evaluated once at its
 * end, a window whose timer is due once when the watermark passes its end or expiry; a firing
 * emits at most one pane, numbered and timed by Beam's rules, and an expired window its final
 * pane before its state goes. The time bookkeeping is GroupingWindows' (grouping_windows.ts).
 */
import { extractOutputOfKept, type CombineFnLike } from "../../lib/model/combine_fn";
import type { MetricsContainer } from "../../lib/model/metrics";
import { BoundedWindow, ElementMeta, Instant, kv, PaneInfo, PaneTiming } from "../../lib/model/window";
import type { WindowingStrategy } from "../../lib/model/windowing";
import type { Coder } from "../../lib/coders/coder";
import { PendingWork, Receiver } from "../executor/receiver";
import { CombineCalls } from "./combine_calls";
import type { GroupingState, WindowState } from "./grouping_state";
import { GroupingWindows, WAKE_AT_END } from "./grouping_windows";

export abstract class GroupingPanes extends GroupingWindows {
  protected readonly pending = new PendingWork();
  /**
   * Windows that received elements since the last evaluation (the bundle's windows; each is
   * flagged `touched`). One array for the whole run: the optimized receive checks the array's
   * map when it pushes, and a new empty array per bundle has another one (and deoptimizes it).
   */
  protected readonly touched: WindowState[] = [];
  protected readonly combineCalls: CombineCalls;
  /** The metadata of the last pane emitted: the panes of a window's keys mostly share it (read-only). */
  private lastPaneMeta: ElementMeta | undefined;
  /** The windows list of the last pane's window: the panes of a window (one per key) share it (read-only). */
  private paneWindow: BoundedWindow | undefined;
  private paneWindows: readonly BoundedWindow[] = [];

  constructor(
    readonly transformName: string,
    windowing: WindowingStrategy,
    keyCoder: Coder<unknown>,
    protected readonly combineFn: CombineFnLike | undefined,
    private readonly output: Receiver,
    readonly metrics: MetricsContainer,
    now: (() => Instant) | undefined,
    state: GroupingState | undefined,
  ) {
    super(windowing, keyCoder, now, state);
    this.combineCalls = new CombineCalls(transformName, metrics);
  }

  /** Fires (at most once each) the windows that received elements since the last evaluation. */
  protected evaluateTouched(): void {
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
  protected readonly visitIfLive = (ws: WindowState): void => {
    if (!ws.dead) this.visit(ws);
  };

  /** A timer of the window is due: garbage collection once expired, otherwise a trigger evaluation. */
  private visit(ws: WindowState): void {
    // Parked (evaluateTouched) until now; nothing is listed while timers are visited.
    ws.touched = false;
    if (this.isExpired(ws.window, this.clocks.inputWatermark)) {
      // Garbage collection: an open window emits its final pane (what has not fired, or an
      // empty on-time pane), without asking the trigger; then its state goes.
      if (!ws.closed && this.shouldEmit(ws, true)) this.emitPane(ws, true);
      this.remove(ws);
      return;
    }
    this.fireIfReady(ws);
    this.touch(ws);
  }

  /** Evaluates the window's trigger and fires one pane if it says so. */
  private fireIfReady(ws: WindowState): void {
    if (ws.closed) return;
    const ctx = this.triggerContext(ws.window);
    if (!ws.trigger.shouldFire(ctx)) return;
    ws.trigger.onFire(ctx);
    if (ws.trigger.finished) ws.closed = true;
    if (this.shouldEmit(ws, ws.closed)) this.emitPane(ws, ws.closed);
    else if (ws.closed) this.discard(ws);
  }

  /**
   * Whether a firing emits a pane (Beam's ReduceFnRunner.needToEmit): when it holds elements that
   * did not fire yet; (empty) for the on-time firing unless the strategy's on-time behaviour is
   * FIRE_IF_NON_EMPTY; and (empty) for the window's last firing (`isLast`: it expires, or its
   * trigger finished) when the closing behaviour is FIRE_ALWAYS.
   */
  private shouldEmit(ws: WindowState, isLast: boolean): boolean {
    if (ws.pending > 0) return true;
    if (isLast && this.windowing.closingBehavior === "FIRE_ALWAYS") return true;
    return this.windowing.onTimeBehavior !== "FIRE_IF_NON_EMPTY" && this.timing(ws) === "ON_TIME";
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
