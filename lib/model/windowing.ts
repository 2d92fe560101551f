/**
 * Window functions and windowing strategies.
 *
 * A WindowFn assigns each element to windows by its timestamp; a WindowingStrategy adds how
 * and when grouped results are emitted (trigger, accumulation, allowed lateness). The full
 * streaming model (sliding windows, sessions, triggers) builds on these types.
 */
import { BoundedWindow, GlobalWindow, GLOBAL_WINDOWS, Instant, intervalUpToEndOfTime } from "./window";
import { describeTrigger, Trigger } from "./triggers";

/** Standard Beam window coder URNs a WindowFn's windows are encoded with. */
export type WindowCoderUrn = "beam:coder:global_window:v1" | "beam:coder:interval_window:v1";

/** Assigns elements to windows. */
export interface WindowFn {
  /** Beam URN of the window function (e.g. beam:window_fn:fixed_windows:v1). */
  readonly urn: string;
  /** JSON-able description of its parameters, part of the graph fingerprint and the proto payload. */
  readonly config: Readonly<Record<string, number>>;
  /** The coder of its windows. */
  readonly windowCoderUrn: WindowCoderUrn;
  /** Whether windows merge (sessions). */
  readonly isMerging: boolean;
  /** The windows an element with this timestamp belongs to. */
  assignWindows(timestamp: Instant): readonly BoundedWindow[];
  /** The window of this function that a main-input window reads side input from. */
  sideInputWindow(mainWindow: BoundedWindow): BoundedWindow;
  /**
   * Whether collections windowed by this and `other` may be flattened together (Beam's
   * `WindowFn.isCompatible`); absent: the same function with the same parameters.
   */
  isCompatible?(other: WindowFn): boolean;
}

/** Whether two window functions are compatible for a Flatten (see WindowFn.isCompatible). */
export function windowFnsCompatible(a: WindowFn, b: WindowFn): boolean {
  if (a.isCompatible !== undefined) return a.isCompatible(b);
  return a.urn === b.urn && JSON.stringify(a.config) === JSON.stringify(b.config);
}

/** Everything in one window: the default. */
export class GlobalWindows implements WindowFn {
  readonly urn = "beam:window_fn:global_windows:v1";
  readonly config = {};
  readonly windowCoderUrn = "beam:coder:global_window:v1";
  readonly isMerging = false;
  assignWindows(): readonly BoundedWindow[] {
    return GLOBAL_WINDOWS;
  }
  sideInputWindow(): BoundedWindow {
    return GlobalWindow.INSTANCE;
  }
}

/** Non-overlapping windows of a fixed size, aligned to the epoch plus an offset. */
export class FixedWindows implements WindowFn {
  readonly urn = "beam:window_fn:fixed_windows:v1";
  readonly windowCoderUrn = "beam:coder:interval_window:v1";
  readonly isMerging = false;
  readonly config: Readonly<Record<string, number>>;

  /**
   * @param sizeMillis window length in milliseconds (> 0)
   * @param offsetMillis shift of the window boundaries from the epoch, in [0, size)
   */
  constructor(
    readonly sizeMillis: number,
    readonly offsetMillis = 0,
  ) {
    if (!(Number.isInteger(sizeMillis) && sizeMillis > 0)) {
      throw new RangeError(`FixedWindows size must be a positive integer of milliseconds, got ${sizeMillis}`);
    }
    if (!(Number.isInteger(offsetMillis) && offsetMillis >= 0 && offsetMillis < sizeMillis)) {
      throw new RangeError(`FixedWindows offset must be an integer in [0, size), got ${offsetMillis}`);
    }
    this.config = { sizeMillis, offsetMillis };
  }

  /** The last window assigned: consecutive elements mostly fall in the same window, and share its (read-only) list. */
  #last: readonly BoundedWindow[] = [];
  #lastStart = NaN;

  assignWindows(timestamp: Instant): readonly BoundedWindow[] {
    const start = timestamp - (((timestamp - this.offsetMillis) % this.sizeMillis) + this.sizeMillis) % this.sizeMillis;
    if (start !== this.#lastStart) {
      // As Beam Java's FixedWindows: the last window of time ends with the global window.
      this.#last = [intervalUpToEndOfTime(start, this.sizeMillis)];
      this.#lastStart = start;
    }
    return this.#last;
  }

  sideInputWindow(mainWindow: BoundedWindow): BoundedWindow {
    return this.assignWindows(mainWindow.maxTimestamp())[0]!;
  }
}

/**
 * How the timestamp of a grouped result (a pane) is chosen: the end of its window, or the
 * earliest or latest timestamp of the elements in the pane. These are Beam's `TimestampCombiner`
 * values and the runner API's `OutputTime` (END_OF_WINDOW, EARLIEST_IN_PANE, LATEST_IN_PANE).
 * Beam Python's legacy `OUTPUT_AT_EARLIEST_TRANSFORMED` has no runner API form (no portable
 * runner can run it) and equals EARLIEST for every window fn here, so it is refused by name.
 */
export type TimestampCombiner = "END_OF_WINDOW" | "EARLIEST" | "LATEST";

const TIMESTAMP_COMBINERS: ReadonlySet<string> = new Set<TimestampCombiner>(["END_OF_WINDOW", "EARLIEST", "LATEST"]);

/** Beam Python's names for the combiners, and what to write instead. */
const PYTHON_NAMES: Readonly<Record<string, string>> = {
  OUTPUT_AT_EOW: "END_OF_WINDOW",
  OUTPUT_AT_EARLIEST: "EARLIEST",
  OUTPUT_AT_LATEST: "LATEST",
  OUTPUT_AT_EARLIEST_TRANSFORMED:
    "EARLIEST (Beam Python's OUTPUT_AT_EARLIEST_TRANSFORMED shifts each timestamp by the window fn, which no window fn here does; the runner API has no such output time, so no portable runner could run it)",
};

/** Why `value` is not a timestamp combiner (undefined when it is one). */
export function timestampCombinerProblem(value: unknown): string | undefined {
  if (typeof value === "string" && TIMESTAMP_COMBINERS.has(value)) return undefined;
  const instead = typeof value === "string" ? PYTHON_NAMES[value] : undefined;
  return (
    `timestampCombiner '${String(value)}' is not a Beam timestamp combiner here: use "END_OF_WINDOW", "EARLIEST" or "LATEST" ` +
    `(the runner API's END_OF_WINDOW, EARLIEST_IN_PANE and LATEST_IN_PANE)${instead !== undefined ? `; for ${String(value)} use ${instead}` : ""}`
  );
}

/** Whether later panes of a window include the elements of earlier panes. */
export type AccumulationMode = "DISCARDING" | "ACCUMULATING";

/**
 * Whether a window's on-time pane is emitted when it holds nothing new (Beam's OnTimeBehavior):
 * FIRE_ALWAYS (the default, as in Beam) emits it, so a window's consumers always see its on-time
 * pane (an empty Combine pane is the combine of nothing, e.g. 0 for a sum); FIRE_IF_NON_EMPTY
 * skips it.
 */
export type OnTimeBehavior = "FIRE_ALWAYS" | "FIRE_IF_NON_EMPTY";

/**
 * Whether a window's last pane is emitted when it holds nothing new (Beam Java's
 * `Window.ClosingBehavior`, the runner API's ClosingBehavior): the last pane is the one a window
 * fires as it expires (its end plus the allowed lateness) or when its trigger finishes.
 * FIRE_IF_NON_EMPTY (the default, as in Beam Java) skips it when empty, so a window whose last
 * firing was not final then has no pane marked last; FIRE_ALWAYS emits it, so every window's
 * consumers see a pane with `isLast` (an empty Combine pane is the combine of nothing).
 */
export type ClosingBehavior = "FIRE_ALWAYS" | "FIRE_IF_NON_EMPTY";

/** The windowing of a PCollection. */
export interface WindowingStrategy {
  /** Assigns the windows. */
  readonly windowFn: WindowFn;
  /** The timestamp of grouped results. */
  readonly timestampCombiner: TimestampCombiner;
  /** Whether panes accumulate. */
  readonly accumulationMode: AccumulationMode;
  /** How long after a window's end late data is accepted. */
  readonly allowedLatenessMillis: number;
  /** When grouped results are emitted; absent means the default trigger (see triggers.ts). */
  readonly trigger?: Trigger;
  /** Whether an empty on-time pane is emitted; absent means FIRE_ALWAYS. */
  readonly onTimeBehavior?: OnTimeBehavior;
  /** Whether an empty last pane is emitted; absent means FIRE_IF_NON_EMPTY. */
  readonly closingBehavior?: ClosingBehavior;
}

/** The strategy of unwindowed data. */
export const GLOBAL_WINDOWING: WindowingStrategy = Object.freeze({
  windowFn: new GlobalWindows(),
  timestampCombiner: "END_OF_WINDOW",
  accumulationMode: "DISCARDING",
  allowedLatenessMillis: 0,
});

/** A stable text form of a strategy for fingerprints and error messages. */
export function describeWindowing(w: WindowingStrategy): string {
  const trigger = w.trigger === undefined || w.trigger.kind === "default" ? "" : `/${describeTrigger(w.trigger)}`;
  const onTime = w.onTimeBehavior === undefined || w.onTimeBehavior === "FIRE_ALWAYS" ? "" : `/${w.onTimeBehavior}`;
  const closing = w.closingBehavior === undefined || w.closingBehavior === "FIRE_IF_NON_EMPTY" ? "" : `/closing:${w.closingBehavior}`;
  return `${w.windowFn.urn}${JSON.stringify(w.windowFn.config)}/${w.timestampCombiner}/${w.accumulationMode}/${w.allowedLatenessMillis}${trigger}${onTime}${closing}`;
}
