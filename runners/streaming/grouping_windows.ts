/**
 * The time bookkeeping of a streaming grouping step (GroupNode, grouping.ts) per key and window:
 * the clocks it last saw, when each window next needs a visit (its end, then its expiry), the
 * watermark hold each window contributes, which windows a processing-time trigger may fire, and
 * the step's one object (and id) per window. GroupingPanes (grouping_panes.ts) evaluates
 * triggers and emits panes on top of this; GroupNode takes elements in.
 */
import type { Coder } from "../../lib/coders/coder";
import { isMergingWindowFn } from "../../lib/model/sliding_sessions";
import { BoundedWindow, Instant, IntervalWindow, MIN_TIMESTAMP } from "../../lib/model/window";
import type { WindowingStrategy } from "../../lib/model/windowing";
import type { Clocks } from "../executor/in_memory_state";
import { GroupingState, InMemoryGroupingState, stateKeyOf, WindowMajorGroupingState, WindowState } from "./grouping_state";
import { HoldCounts, TimeBuckets } from "./hold_counts";
import { armedAcrossPanes, TriggerContext, triggerMachine, usesProcessingTime } from "./trigger_machine";

/** WindowState.wakePhase: the window's next visit is at its end, or at its expiry (end + allowed lateness). */
export const WAKE_AT_END = 1;
export const WAKE_AT_EXPIRY = 2;

export abstract class GroupingWindows {
  protected clocks: Clocks = { inputWatermark: MIN_TIMESTAMP, processingTime: 0 };
  /** This step's output watermark as of the last advance (the driver computes the same value). */
  protected outputWatermark: Instant = MIN_TIMESTAMP;
  protected lastWindow: BoundedWindow | undefined;
  protected lastWindowId = "";
  /**
   * A window object elements came with that is not expired at the current clocks, and whose
   * step object is `lastWindow`: the next elements with it skip the expiry check (whose
   * `maxTimestamp()` call returns a new heap number each time it is not inlined) and the lookup
   * of the step's object. Checked again whenever the clocks change (in advance, not by the next
   * element: the branch of receive that checks a window runs only when the window changes, so
   * the optimizing compiler has seen it run, rather than once per bundle, where the first
   * bundle's run is often before V8 records type feedback and each later one deoptimizes).
   */
  protected liveWindow: BoundedWindow | undefined;
  /**
   * Apart from elements (handled as they arrive), a window's trigger only reacts to the
   * watermark passing its end, and its state only to the watermark passing its expiry: windows
   * wait in this heap by that instant, so a watermark advance visits just the windows it
   * concerns rather than every key and window.
   */
  protected readonly wakeups = new TimeBuckets<WindowState>();
  /** Every live window's hold contribution (its holdAt), counted per instant. */
  private readonly holds = new HoldCounts();
  protected readonly processingTimeTriggers: boolean;
  /**
   * Windows with elements not yet in a pane (the only ones a processing-time trigger can fire,
   * but for `armedAcrossPanes`: then every open window that had elements), kept only when the
   * trigger reads processing time.
   */
  protected readonly unfired = new Set<WindowState>();
  /** Whether an open window stays in `unfired` after a pane (an OrFinally's processing-time finally trigger). */
  protected readonly armedAcrossPanes: boolean;
  /** Whether the window fn merges windows (sessions). */
  protected readonly merging: boolean;
  /** Whether the trigger counts or times elements (the default trigger does not look at them). */
  protected readonly triggerSeesElements: boolean;
  /** Whether panes take their timestamp from the elements' (EARLIEST, LATEST), which then hold per window. */
  protected readonly elementHolds: boolean;
  /** The grouping state (the constructor's, or the default for the window fn). */
  protected readonly state: GroupingState;
  /** The last trigger context made (see triggerContext). */
  private lastContext: TriggerContext | undefined;

  constructor(
    protected readonly windowing: WindowingStrategy,
    protected readonly keyCoder: Coder<unknown>,
    /**
     * The processing time an element arrives at (a processing-time trigger's delay starts
     * then); by default the time of the last advance, which is exact in virtual time.
     */
    private readonly now: (() => Instant) | undefined,
    /** The per key and window state (in memory by default: by key for merging windows, by window otherwise). */
    state: GroupingState | undefined,
  ) {
    this.processingTimeTriggers = usesProcessingTime(windowing.trigger);
    this.armedAcrossPanes = armedAcrossPanes(windowing.trigger);
    this.merging = isMergingWindowFn(windowing.windowFn);
    this.state = state ?? (this.merging ? new InMemoryGroupingState() : new WindowMajorGroupingState());
    this.triggerSeesElements = triggerMachine(windowing.trigger, this.merging).seesElements;
    this.elementHolds = windowing.timestampCombiner === "EARLIEST" || windowing.timestampCombiner === "LATEST";
  }

  protected remove(ws: WindowState): void {
    this.retire(ws);
    this.state.remove(stateKeyOf(ws.key, this.keyCoder), this.idOf(ws.window), ws);
  }

  /** Marks a state no longer in the step (removed, or replaced) and releases its hold. */
  protected retire(ws: WindowState): void {
    ws.dead = true;
    if (this.processingTimeTriggers) this.unfired.delete(ws);
    const holdAt = ws.holdAt;
    if (holdAt !== Infinity) this.holds.remove(holdAt);
    ws.holdAt = Infinity;
  }

  /** Brings a live window's heap entries up to date after its state or the clocks changed. */
  protected touch(ws: WindowState): void {
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
  protected paneTimestamp(ws: WindowState): Instant {
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
  protected canonicalWindow(window: BoundedWindow): BoundedWindow {
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

  protected isExpired(window: BoundedWindow, watermark: Instant): boolean {
    return window.maxTimestamp() + this.windowing.allowedLatenessMillis < watermark;
  }

  protected elementContext(window: BoundedWindow): TriggerContext {
    // Only processing-time triggers read the arrival time (the wall clock costs a call per element).
    if (this.now === undefined || !this.processingTimeTriggers) return this.triggerContext(window);
    return { window, watermark: this.clocks.inputWatermark, processingTime: Math.max(this.now(), this.clocks.processingTime) };
  }

  protected triggerContext(window: BoundedWindow): TriggerContext {
    // An evaluation visits the states of a window one key after another, at the same clocks: they
    // share one (read-only) context instead of one object per key.
    const last = this.lastContext;
    if (last !== undefined && last.window === window && last.watermark === this.clocks.inputWatermark && last.processingTime === this.clocks.processingTime) return last;
    return (this.lastContext = { window, watermark: this.clocks.inputWatermark, processingTime: this.clocks.processingTime });
  }
}
