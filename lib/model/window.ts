/**
 * Event time, windows and panes: the parts of the Beam model every element carries.
 *
 * Timestamps are JS numbers of milliseconds since the epoch (integers). Beam's extreme
 * timestamps lie beyond 2^53, so MIN_TIMESTAMP, MAX_TIMESTAMP and GLOBAL_WINDOW_MAX_TIMESTAMP
 * are the nearest doubles; coders map these three constants to Beam's exact int64 values.
 */

/** Milliseconds since the Unix epoch, an integer. */
export type Instant = number;

/** Beam's minimum timestamp (-2^63 / 1000 ms, rounded): the watermark before any data. */
export const MIN_TIMESTAMP: Instant = -9223372036854775;
/** Beam's maximum timestamp: the watermark once all data is processed. */
export const MAX_TIMESTAMP: Instant = 9223372036854775;
/** The global window's maximum timestamp: one day before MAX_TIMESTAMP (Beam's convention). */
export const GLOBAL_WINDOW_MAX_TIMESTAMP: Instant = 9223371950454775;
/** The output timestamp of a timer set `withNoOutputTimestamp()`: it holds no watermark (Beam sends the maximum timestamp plus 1 ms). */
export const NO_OUTPUT_TIMESTAMP: Instant = Infinity;

/** A window an element belongs to. */
export interface BoundedWindow {
  /** The last instant (inclusive) that belongs to the window. */
  maxTimestamp(): Instant;
  /** A stable string identity, used to group by window. */
  id(): string;
}

/** The single window of unwindowed data. */
export class GlobalWindow implements BoundedWindow {
  /** The global window (there is only one). */
  static readonly INSTANCE = new GlobalWindow();
  private constructor() {}
  maxTimestamp(): Instant {
    return GLOBAL_WINDOW_MAX_TIMESTAMP;
  }
  id(): string {
    return "global";
  }
}

/**
 * The last moment of `window`'s state (Beam's garbage-collection time,
 * LateDataUtils.garbageCollectionTime): its end plus the allowed lateness, but never past the
 * end of the global window, which is the end of time for state and timers.
 */
export function windowExpiry(window: BoundedWindow, allowedLatenessMillis: number): Instant {
  const end = window.maxTimestamp();
  return end > GLOBAL_WINDOW_MAX_TIMESTAMP - allowedLatenessMillis ? GLOBAL_WINDOW_MAX_TIMESTAMP : end + allowedLatenessMillis;
}

/** A half-open interval of event time, [start, end). */
export class IntervalWindow implements BoundedWindow {
  constructor(
    /** The first instant in the window. */
    readonly start: Instant,
    /** The first instant after it (exclusive). */
    readonly end: Instant,
  ) {}
  maxTimestamp(): Instant {
    return this.end - 1;
  }
  id(): string {
    return `${this.start}:${this.end}`;
  }
  /** Whether the two intervals overlap. */
  intersects(other: IntervalWindow): boolean {
    return this.start < other.end && other.start < this.end;
  }
  /** The smallest window covering both. */
  span(other: IntervalWindow): IntervalWindow {
    return new IntervalWindow(Math.min(this.start, other.start), Math.max(this.end, other.end));
  }
  /** `[start, end)` in ISO 8601; a bound past a Date's range (near MIN_TIMESTAMP, the end of time) as epoch ms. */
  toString(): string {
    return `[${isoOrMillis(this.start)}, ${isoOrMillis(this.end)})`;
  }
}

/**
 * An instant in ISO 8601, or as `<n>ms` past a Date's range (±8.64e15 ms): the windows of Create's
 * elements (at MIN_TIMESTAMP) and the last fixed window (ending with the global window) are there,
 * and printing them (in an error message) must not throw.
 */
function isoOrMillis(t: Instant): string {
  const d = new Date(t);
  return Number.isNaN(d.getTime()) ? `${t}ms` : d.toISOString();
}

/**
 * The end (exclusive) of the global window: one past GLOBAL_WINDOW_MAX_TIMESTAMP. Beam's exact
 * value, 9223371950454776, is the double that GLOBAL_WINDOW_MAX_TIMESTAMP holds (doubles this
 * large are even), so the two are the same number here, and a window ending here has
 * GLOBAL_WINDOW_MAX_TIMESTAMP as its maximum timestamp.
 */
const END_OF_GLOBAL_WINDOW: Instant = GLOBAL_WINDOW_MAX_TIMESTAMP + 1;

/**
 * The window `[start, start + size)`, cut short at the end of the global window, as Beam Java's
 * FixedWindows cuts the last window of time: a window ending later would close only after the
 * final watermark (so a streaming run never fires it), and its results would be stamped past
 * MAX_TIMESTAMP. The window fns here all build their windows with it. A window starting after the
 * global window (its elements are stamped between GLOBAL_WINDOW_MAX_TIMESTAMP and MAX_TIMESTAMP)
 * keeps its size rather than end before it starts.
 */
export function intervalUpToEndOfTime(start: Instant, size: number): IntervalWindow {
  const end = start + size;
  return new IntervalWindow(start, end > END_OF_GLOBAL_WINDOW && start < END_OF_GLOBAL_WINDOW ? END_OF_GLOBAL_WINDOW : end);
}

/** When a pane fired relative to the watermark. */
export type PaneTiming = "EARLY" | "ON_TIME" | "LATE" | "UNKNOWN";

/** Which firing of a window produced an element. */
export interface PaneInfo {
  /** Whether this is the window's first pane. */
  readonly isFirst: boolean;
  /** Whether the window will fire no more. */
  readonly isLast: boolean;
  /** Before, at or after the watermark passed the end of the window. */
  readonly timing: PaneTiming;
  /** Index of this pane among all firings of the window (0-based). */
  readonly index: number;
  /** Index among non-early firings; -1 for early panes. */
  readonly onTimeIndex: number;
}

/** The pane of elements that were never produced by a trigger firing. */
export const NO_FIRING: PaneInfo = Object.freeze({
  isFirst: true,
  isLast: true,
  timing: "UNKNOWN",
  index: 0,
  onTimeIndex: 0,
});

/** The pane of the only, on-time firing of a window (batch GroupByKey output). */
export const ON_TIME_AND_ONLY_FIRING: PaneInfo = Object.freeze({
  isFirst: true,
  isLast: true,
  timing: "ON_TIME",
  index: 0,
  onTimeIndex: 0,
});

/** The event time, windows and pane of an element. */
export interface ElementMeta {
  /** The element's event time. */
  readonly timestamp: Instant;
  /** The windows it belongs to. */
  readonly windows: readonly BoundedWindow[];
  /** The firing that produced it. */
  readonly pane: PaneInfo;
}

/** An element with its event time, windows and pane. */
export interface WindowedValue<T> extends ElementMeta {
  /** The element itself. */
  readonly value: T;
}

/** The windows of an element in the global window. */
export const GLOBAL_WINDOWS: readonly BoundedWindow[] = Object.freeze([GlobalWindow.INSTANCE]);

/** Wraps a value in the global window at the minimum timestamp (how Impulse/Create emit). */
export function inGlobalWindow<T>(value: T, timestamp: Instant = MIN_TIMESTAMP): WindowedValue<T> {
  return { value, timestamp, windows: GLOBAL_WINDOWS, pane: NO_FIRING };
}

/** A key and a value; the element type of keyed PCollections. */
export interface KV<K, V> {
  /** The key (grouped and combined by; must encode deterministically). */
  key: K;
  /** The value. */
  value: V;
}

/** Builds a KV. */
export function kv<K, V>(key: K, value: V): KV<K, V> {
  return { key, value };
}
