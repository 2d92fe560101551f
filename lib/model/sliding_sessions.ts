/**
 * Sliding windows and sessions: the window functions of the streaming model beyond global and
 * fixed windows.
 *
 * - `SlidingWindows(size, period)`: overlapping windows of `size` ms starting every `period` ms;
 *   an element belongs to `size / period` windows (a moving average over the last `size` ms,
 *   updated every `period` ms). A period longer than the size samples: elements between
 *   windows belong to none, and are dropped by window-aware transforms.
 * - `Sessions(gap)`: per-key bursts of activity. Each element starts a window
 *   `[t, t + gap)`; a runner merges overlapping windows of the same key when grouping, so a
 *   session ends after `gap` ms without data.
 *
 *     events.apply(Window.into(new Sessions(30 * 60_000))).apply(GroupByKey.create());
 *
 * @category Windowing
 */
import { BoundedWindow, Instant, IntervalWindow, intervalUpToEndOfTime } from "./window";
import type { WindowFn } from "./windowing";

/** Overlapping windows of a fixed size, a new one starting every `period` ms. */
export class SlidingWindows implements WindowFn {
  readonly urn = "beam:window_fn:sliding_windows:v1";
  readonly windowCoderUrn = "beam:coder:interval_window:v1";
  readonly isMerging = false;
  readonly config: Readonly<Record<string, number>>;

  /**
   * @param sizeMillis window length (> 0)
   * @param periodMillis distance between window starts (> 0); longer than the size, it leaves
   *   gaps between windows, and elements in a gap belong to no window (as in Beam)
   * @param offsetMillis shift of the window starts from the epoch, in [0, period)
   */
  constructor(
    readonly sizeMillis: number,
    readonly periodMillis: number,
    readonly offsetMillis = 0,
  ) {
    if (!(Number.isInteger(sizeMillis) && sizeMillis > 0)) throw new RangeError(`SlidingWindows size must be a positive integer of milliseconds, got ${sizeMillis}`);
    if (!(Number.isInteger(periodMillis) && periodMillis > 0)) throw new RangeError(`SlidingWindows period must be a positive integer of milliseconds, got ${periodMillis}`);
    if (!(Number.isInteger(offsetMillis) && offsetMillis >= 0 && offsetMillis < periodMillis)) {
      throw new RangeError(`SlidingWindows offset must be an integer in [0, period), got ${offsetMillis}`);
    }
    this.config = { sizeMillis, periodMillis, offsetMillis };
  }

  /** Every window containing the timestamp, latest start first (none in a gap when the period is longer than the size). */
  assignWindows(timestamp: Instant): readonly BoundedWindow[] {
    const windows: IntervalWindow[] = [];
    const last = this.lastStartAtOrBefore(timestamp);
    // At most ceil(size / period) windows hold an instant: counting them ends the loop even where
    // instants are past 2^53 (near MIN_TIMESTAMP, Create's default timestamp), where `start - period`
    // can round back to `start` and stepping until `start` passed `timestamp - size` never did.
    for (let i = 0, n = Math.ceil(this.sizeMillis / this.periodMillis); i < n; i++) {
      const window = intervalUpToEndOfTime(last - i * this.periodMillis, this.sizeMillis);
      // (The window's end as computed, rounded or not, is what must be past the instant.)
      if (!(window.end > timestamp)) break;
      // Rounded there, two starts can be one instant: the window is assigned once.
      if (windows.length > 0 && windows[windows.length - 1]!.start === window.start) continue;
      windows.push(window);
    }
    return windows;
  }

  /**
   * The earliest window that ends after the main window's end (Beam Java's
   * SlidingWindows.getSideInputWindow): the earliest containing it, which is Python's default
   * mapping, the last window `assign` gives. So a main input windowed by the same sliding windows
   * reads each of its windows' own side window; a main window ending in a gap between windows
   * (period longer than the size) reads the next one.
   */
  sideInputWindow(mainWindow: BoundedWindow): BoundedWindow {
    return intervalUpToEndOfTime(this.lastStartAtOrBefore(mainWindow.maxTimestamp() - this.sizeMillis) + this.periodMillis, this.sizeMillis);
  }

  /** The latest window start at or before `t` (floored, so negative times work too). */
  private lastStartAtOrBefore(t: Instant): Instant {
    const p = this.periodMillis;
    return t - ((((t - this.offsetMillis) % p) + p) % p);
  }
}

/** A merge of windows: `merged` replaces every window in `from`. */
export interface WindowMerge {
  /** The window they become. */
  readonly merged: IntervalWindow;
  /** The windows merged. */
  readonly from: readonly IntervalWindow[];
}

/** A window function whose windows merge while grouping. */
export interface MergingWindowFn extends WindowFn {
  readonly isMerging: true;
  /** Groups windows that must merge; windows that merge with nothing are not listed. */
  mergeWindows(windows: readonly IntervalWindow[]): WindowMerge[];
}

/** Whether a window function merges windows (sessions). */
export function isMergingWindowFn(fn: WindowFn): fn is MergingWindowFn {
  return fn.isMerging && typeof (fn as Partial<MergingWindowFn>).mergeWindows === "function";
}

/** Per-key sessions: windows `[t, t + gap)` merged while they overlap. */
export class Sessions implements MergingWindowFn {
  readonly urn = "beam:window_fn:session_windows:v1";
  readonly windowCoderUrn = "beam:coder:interval_window:v1";
  readonly isMerging = true as const;
  readonly config: Readonly<Record<string, number>>;

  /** @param gapMillis how long a session stays open without data (> 0) */
  constructor(readonly gapMillis: number) {
    if (!(Number.isInteger(gapMillis) && gapMillis > 0)) throw new RangeError(`Sessions gap must be a positive integer of milliseconds, got ${gapMillis}`);
    this.config = { gapMillis };
  }

  /** `[timestamp, timestamp + gap)`, merged later with the key's overlapping windows. */
  assignWindows(timestamp: Instant): readonly BoundedWindow[] {
    return [intervalUpToEndOfTime(timestamp, this.gapMillis)];
  }

  /** Merges every run of overlapping windows (sorted by start) into their span. */
  mergeWindows(windows: readonly IntervalWindow[]): WindowMerge[] {
    const sorted = [...windows].sort((a, b) => a.start - b.start || a.end - b.end);
    const merges: WindowMerge[] = [];
    let run: IntervalWindow[] = [];
    let span: IntervalWindow | undefined;
    const close = (): void => {
      if (span !== undefined && run.length > 1) merges.push({ merged: span, from: run });
    };
    for (const w of sorted) {
      if (span !== undefined && w.start < span.end) {
        run.push(w);
        span = span.span(w);
      } else {
        close();
        run = [w];
        span = w;
      }
    }
    close();
    return merges;
  }

  /**
   * Any sessions, whatever their gap (as Beam Java's Sessions.isCompatible): once assigned,
   * session windows merge by overlap alone, so inputs with different gaps can be flattened.
   */
  isCompatible(other: WindowFn): boolean {
    return other.urn === this.urn;
  }

  /** Sessions cannot be side inputs in Beam (ParDo refuses them at construction); this returns a window for API completeness. */
  sideInputWindow(mainWindow: BoundedWindow): BoundedWindow {
    return this.assignWindows(mainWindow.maxTimestamp())[0]!;
  }
}
