import type { Instant } from "./window";

/**
 * Triggers: when a GroupByKey (or Combine) emits the results of a window, as panes.
 *
 * Without a trigger, a window fires once, when the watermark passes its end (and once more for
 * each late element within the allowed lateness). A trigger fires earlier or more often:
 *
 *     events.apply(Window.into(new FixedWindows(60_000), {
 *       trigger: AfterWatermark({ early: AfterProcessingTime(10_000), late: AfterCount(1) }),
 *       accumulationMode: "ACCUMULATING",
 *       allowedLatenessMillis: 5 * 60_000,
 *     }));
 *
 * Triggers are plain data (a tree), so the same description reaches any runner. Each pane's
 * PaneInfo (first/last, EARLY/ON_TIME/LATE, index) is visible to DoFns as `ctx.pane`.
 * A runner evaluates a window's trigger once per bundle of elements (and when the window's
 * timers are due), so a pane holds every element of the bundles since the last one.
 * "Once" triggers (AfterCount, AfterProcessingTime, AfterWatermark without late firings,
 * AfterFirst, AfterAll, AfterEach) finish after firing, OrFinally when its finally trigger
 * fires; the window is then closed and later data for it is dropped. Wrap them in Repeatedly to
 * keep firing. A grouping's output keeps the trigger (as in Beam Python, which has no
 * continuation triggers), so a later grouping fires with the same one.
 *
 * @category Windowing
 */

/**
 * A trigger: a tree of these nodes, made by the functions of the same names (`AfterWatermark`,
 * `AfterCount`, ...) and passed to `Window.into(fn, { trigger })`.
 */
export type Trigger =
  | {
      /** The default trigger. */
      readonly kind: "default";
    }
  | {
      /** AfterWatermark. */
      readonly kind: "afterWatermark";
      /** Fires before the on-time pane. */
      readonly early?: Trigger;
      /** Fires after it, for late data. */
      readonly late?: Trigger;
    }
  | {
      /** AfterProcessingTime. */
      readonly kind: "afterProcessingTime";
      /** Processing time after the pane's first element. */
      readonly delayMillis: number;
      /** Then rounded up to the next multiple of this period since its offset (Beam Java's `alignedTo`). */
      readonly alignedTo?: ProcessingTimeAlignment;
    }
  | {
      /** AfterCount. */
      readonly kind: "afterCount";
      /** Elements in the pane. */
      readonly count: number;
    }
  | {
      /** Repeatedly. */
      readonly kind: "repeatedly";
      /** The trigger repeated. */
      readonly trigger: Trigger;
    }
  | {
      /** AfterFirst. */
      readonly kind: "afterFirst";
      /** Fires when any of these fires. */
      readonly triggers: readonly Trigger[];
    }
  | {
      /** AfterAll. */
      readonly kind: "afterAll";
      /** Fires when all of these have fired. */
      readonly triggers: readonly Trigger[];
    }
  | {
      /** AfterEach. */
      readonly kind: "afterEach";
      /** Fire one after the other. */
      readonly triggers: readonly Trigger[];
    }
  | {
      /** OrFinally (Beam Java's `main.orFinally(finally)`, Beam Python's `OrFinally(main, finally)`). */
      readonly kind: "orFinally";
      /** Fires the panes, as often as it fires. */
      readonly main: Trigger;
      /** Fires a last pane and finishes the window; it sees every element, across the main trigger's panes. */
      readonly finally: Trigger;
    }
  | {
      /** Never (Beam Java's `Never.ever()`): no firing; the window's data comes out once, when it expires. */
      readonly kind: "never";
    };

/** Fires when the watermark passes the end of the window, then for every late element: Repeatedly(AfterWatermark()). */
export function DefaultTrigger(): Trigger {
  return { kind: "default" };
}

/**
 * Never fires (Beam Java's `Never.ever()`): each window's data comes out in one pane when the
 * window expires (its end plus the allowed lateness), late data included, and nothing before.
 */
export function Never(): Trigger {
  return { kind: "never" };
}

/** Early and late firings around the on-time pane of AfterWatermark. */
export interface AfterWatermarkOptions {
  /** Fires (repeatedly) before the watermark passes the end of the window. */
  readonly early?: Trigger;
  /** Fires (repeatedly) for late data after the on-time pane, within the allowed lateness. */
  readonly late?: Trigger;
}

/**
 * Fires when the watermark passes the end of the window (the on-time pane), with optional
 * repeated early and late firings. `AfterWatermark()` alone finishes after the on-time pane.
 */
export function AfterWatermark(options: AfterWatermarkOptions = {}): Trigger {
  return { kind: "afterWatermark", ...(options.early !== undefined ? { early: options.early } : {}), ...(options.late !== undefined ? { late: options.late } : {}) };
}

/** Processing-time boundaries: `offsetMillis + k * periodMillis` for every integer k. */
export interface ProcessingTimeAlignment {
  /** The distance between boundaries (positive). */
  readonly periodMillis: number;
  /** A boundary (0 when absent: boundaries are multiples of the period since the epoch). */
  readonly offsetMillis?: number;
}

/** How AfterProcessingTime rounds its firing time. */
export interface AfterProcessingTimeOptions {
  /**
   * Fire at the first boundary at or after the first element's arrival plus the delay (Beam
   * Java's `plusDelayOf(delay).alignedTo(period, offset)`), so that the panes of every key and
   * window fire together, e.g. on the minute.
   */
  readonly alignedTo?: ProcessingTimeAlignment;
}

/**
 * Fires once `delayMillis` of processing time has passed since the first element of the pane
 * (and, with `alignedTo`, at the next boundary of the alignment from then).
 */
export function AfterProcessingTime(delayMillis: number, options: AfterProcessingTimeOptions = {}): Trigger {
  if (!(Number.isInteger(delayMillis) && delayMillis >= 0)) throw new RangeError(`AfterProcessingTime delay must be a non-negative integer, got ${delayMillis}`);
  const a = options.alignedTo;
  if (a === undefined) return { kind: "afterProcessingTime", delayMillis };
  if (!(Number.isInteger(a.periodMillis) && a.periodMillis > 0)) throw new RangeError(`AfterProcessingTime alignedTo.periodMillis must be a positive integer, got ${a.periodMillis}`);
  const offsetMillis = a.offsetMillis ?? 0;
  if (!Number.isInteger(offsetMillis)) throw new RangeError(`AfterProcessingTime alignedTo.offsetMillis must be an integer, got ${offsetMillis}`);
  return { kind: "afterProcessingTime", delayMillis, alignedTo: { periodMillis: a.periodMillis, offsetMillis } };
}

/** The first boundary of `a` at or after `t` (Beam Java's AlignFn: an aligned time stays as it is). */
export function alignProcessingTime(t: number, a: ProcessingTimeAlignment): number {
  const period = a.periodMillis;
  const since = (((t - (a.offsetMillis ?? 0)) % period) + period) % period;
  return since === 0 ? t : t + period - since;
}

/** Fires once the pane holds at least `count` elements. */
export function AfterCount(count: number): Trigger {
  if (!(Number.isInteger(count) && count > 0)) throw new RangeError(`AfterCount needs a positive integer, got ${count}`);
  return { kind: "afterCount", count };
}

/** Fires every time `trigger` would fire, forever. */
export function Repeatedly(trigger: Trigger): Trigger {
  return { kind: "repeatedly", trigger };
}

/** Fires once, when the first of the triggers fires. */
export function AfterFirst(...triggers: Trigger[]): Trigger {
  if (triggers.length === 0) throw new RangeError("AfterFirst needs at least one trigger");
  return { kind: "afterFirst", triggers };
}

/** Fires once, when every one of the triggers has fired. */
export function AfterAll(...triggers: Trigger[]): Trigger {
  if (triggers.length === 0) throw new RangeError("AfterAll needs at least one trigger");
  return { kind: "afterAll", triggers };
}

/** Fires each trigger in turn: the first until it fires, then the second, and so on. */
export function AfterEach(...triggers: Trigger[]): Trigger {
  if (triggers.length === 0) throw new RangeError("AfterEach needs at least one trigger");
  return { kind: "afterEach", triggers };
}

/**
 * Fires whenever `main` fires, until `final` fires: that pane is the window's last (the window is
 * closed). `main` finishing finishes it too. Unlike every other trigger, `final` counts from the
 * window's first element, not from the last pane: `OrFinally(Repeatedly(AfterCount(2)),
 * AfterCount(5))` fires a pane per two elements and closes the window at the fifth.
 *
 * `final` must be able to finish (Beam Java takes a `OnceTrigger` there): not the default
 * trigger, `Repeatedly`, or `AfterWatermark` with late firings.
 */
export function OrFinally(main: Trigger, final: Trigger): Trigger {
  if (neverFinishes(final)) {
    throw new RangeError(
      `OrFinally's finally trigger ${describeTrigger(final)} never finishes, so it would never end the main trigger's firings; give a trigger that finishes (AfterCount, AfterProcessingTime, AfterWatermark() without late firings, or AfterFirst/AfterAll/AfterEach of such)`,
    );
  }
  return { kind: "orFinally", main, finally: final };
}

/** Whether a trigger can never finish on its own (a window under it closes only when it expires). */
function neverFinishes(t: Trigger): boolean {
  switch (t.kind) {
    case "default":
    case "repeatedly":
    case "never":
      return true;
    case "afterWatermark":
      return t.late !== undefined;
    case "afterCount":
    case "afterProcessingTime":
      return false;
    case "afterFirst":
      return t.triggers.every(neverFinishes);
    case "afterAll":
    case "afterEach":
      return t.triggers.some(neverFinishes);
    case "orFinally":
      return neverFinishes(t.main) && neverFinishes(t.finally);
  }
}

/** A stable text form of a trigger for fingerprints and error messages. */
export function describeTrigger(t: Trigger): string {
  switch (t.kind) {
    case "default":
      return "Default";
    case "afterWatermark":
      return `AfterWatermark(${t.early ? `early=${describeTrigger(t.early)}` : ""}${t.early && t.late ? "," : ""}${t.late ? `late=${describeTrigger(t.late)}` : ""})`;
    case "afterProcessingTime":
      return `AfterProcessingTime(${t.delayMillis}${t.alignedTo !== undefined ? `,alignedTo=${t.alignedTo.periodMillis}+${t.alignedTo.offsetMillis ?? 0}` : ""})`;
    case "afterCount":
      return `AfterCount(${t.count})`;
    case "repeatedly":
      return `Repeatedly(${describeTrigger(t.trigger)})`;
    case "afterFirst":
      return `AfterFirst(${t.triggers.map(describeTrigger).join(",")})`;
    case "afterAll":
      return `AfterAll(${t.triggers.map(describeTrigger).join(",")})`;
    case "afterEach":
      return `AfterEach(${t.triggers.map(describeTrigger).join(",")})`;
    case "orFinally":
      return `OrFinally(${describeTrigger(t.main)},${describeTrigger(t.finally)})`;
    case "never":
      return "Never";
  }
}

/**
 * Whether two triggers fire the same way, so their collections may be flattened together (Beam
 * Java's `Trigger.isCompatible`, which Flatten checks): the same kind of trigger with the same
 * parameters (count, delay) and pairwise compatible sub-triggers, early and late firings
 * included. An absent trigger is the default trigger.
 */
export function triggersCompatible(a: Trigger | undefined, b: Trigger | undefined): boolean {
  const x = a ?? DefaultTrigger();
  const y = b ?? DefaultTrigger();
  const sub = (s: Trigger | undefined, t: Trigger | undefined): boolean => (s === undefined) === (t === undefined) && (s === undefined || triggersCompatible(s, t));
  const all = (s: readonly Trigger[], t: readonly Trigger[]): boolean => s.length === t.length && s.every((u, i) => triggersCompatible(u, t[i]));
  switch (x.kind) {
    case "default":
      return y.kind === "default";
    case "afterWatermark":
      return y.kind === "afterWatermark" && sub(x.early, y.early) && sub(x.late, y.late);
    case "afterProcessingTime":
      return (
        y.kind === "afterProcessingTime" &&
        x.delayMillis === y.delayMillis &&
        x.alignedTo?.periodMillis === y.alignedTo?.periodMillis &&
        (x.alignedTo?.offsetMillis ?? 0) === (y.alignedTo?.offsetMillis ?? 0)
      );
    case "afterCount":
      return y.kind === "afterCount" && x.count === y.count;
    case "repeatedly":
      return y.kind === "repeatedly" && triggersCompatible(x.trigger, y.trigger);
    case "afterFirst":
    case "afterAll":
    case "afterEach":
      return (y.kind === "afterFirst" || y.kind === "afterAll" || y.kind === "afterEach") && y.kind === x.kind && all(x.triggers, y.triggers);
    case "orFinally":
      return y.kind === "orFinally" && triggersCompatible(x.main, y.main) && triggersCompatible(x.finally, y.finally);
    case "never":
      return y.kind === "never";
  }
}

/**
 * Whether a grouping under this trigger may drop data because the trigger finishes (Beam
 * Python's `TriggerFn.may_lose_data` returning MAY_FINISH): once a window's trigger has finished,
 * later data for the window is dropped. `Repeatedly` and the default trigger never finish;
 * `AfterCount` and `AfterProcessingTime` do; `AfterWatermark` finishes only before late data can
 * arrive when there is no allowed lateness, and its late firings repeat; `AfterFirst` finishes
 * when any of its triggers may, `AfterAll` and `AfterEach` when all of theirs may. `OrFinally`
 * finishes when either of its triggers may (Beam Python's OrFinally is an AfterAny; Beam Java's
 * `OrFinallyTrigger.mayFinish` is the same).
 */
export function triggerMayFinish(t: Trigger, allowedLatenessMillis: number): boolean {
  switch (t.kind) {
    case "default":
    case "repeatedly":
    case "never":
      return false;
    case "afterCount":
    case "afterProcessingTime":
      return true;
    case "afterWatermark":
      return allowedLatenessMillis > 0 && t.late === undefined;
    case "afterFirst":
      return t.triggers.some((s) => triggerMayFinish(s, allowedLatenessMillis));
    case "orFinally":
      return triggerMayFinish(t.main, allowedLatenessMillis) || triggerMayFinish(t.finally, allowedLatenessMillis);
    case "afterAll":
    case "afterEach":
      return t.triggers.every((s) => triggerMayFinish(s, allowedLatenessMillis));
  }
}

/**
 * The watermark past which `t` is sure to have fired for a window ending at `windowMax` (its
 * maximum timestamp), or undefined if nothing makes it fire: Beam Java's
 * `Trigger.getWatermarkThatGuaranteesFiring`. A runner uses it to tell when a triggered side
 * input has no pane to wait for in a window: until then, an empty side-input window may still
 * fill. Only the watermark guarantees a firing: counts and processing time may never come.
 */
export function watermarkThatGuaranteesFiring(t: Trigger | undefined, windowMax: Instant): Instant | undefined {
  if (t === undefined) return windowMax;
  const all = (ts: readonly Trigger[]): (Instant | undefined)[] => ts.map((s) => watermarkThatGuaranteesFiring(s, windowMax));
  switch (t.kind) {
    case "default":
    case "afterWatermark":
      return windowMax;
    case "afterCount":
    case "afterProcessingTime":
    case "never":
      return undefined;
    case "repeatedly":
      return watermarkThatGuaranteesFiring(t.trigger, windowMax);
    case "afterEach":
      return watermarkThatGuaranteesFiring(t.triggers[0], windowMax);
    case "afterFirst": {
      // The first of its triggers to be sure to fire.
      const known = all(t.triggers).filter((w): w is Instant => w !== undefined);
      return known.length === 0 ? undefined : Math.min(...known);
    }
    case "afterAll": {
      // Only once every one of them is sure to have fired.
      const each = all(t.triggers);
      return each.some((w) => w === undefined) ? undefined : Math.max(...(each as Instant[]));
    }
    case "orFinally": {
      const known = all([t.main, t.finally]).filter((w): w is Instant => w !== undefined);
      return known.length === 0 ? undefined : Math.min(...known);
    }
  }
}
