/**
 * The mechanism shared by `assertThat` and `PAssert`: which elements an assertion sees (one
 * window, some of its panes) and how they reach the check, following Beam Java's PAssert.
 *
 * Beam Java reifies each element's window and pane (GatherAllPanes), keeps the elements of the
 * asserted window (FilterWindows), picks panes by their PaneInfo (PaneExtractors), and groups
 * what is left into one iterable, together with an empty dummy in the asserted window so that
 * the check runs, on an empty iterable, even when the window holds no data. Here the kept
 * elements are re-windowed into the global window with the default trigger and read as a side
 * input by one check element from Impulse: the check runs once, when the input is complete
 * (after its last pane, late ones included), on everything kept, possibly nothing.
 */
import { Coder } from "../coders/coder";
import { JsValueCoder } from "../coders/js_value";
import { ValueInSingleWindow, ValueInSingleWindowCoder } from "../coders/value_in_single_window";
import { GlobalWindowCoder, IntervalWindowCoder } from "../coders/windowed";
import { DoFn, ProcessContext } from "../model/dofn";
import { PCollection } from "../model/pcollection";
import { ParDo } from "../model/pardo";
import { Impulse, Window } from "../model/primitives";
import { AsIterable } from "../model/side_inputs";
import { BoundedWindow, GlobalWindow, IntervalWindow, PaneInfo } from "../model/window";
import { GlobalWindows } from "../model/windowing";
import { PipelineConstructionError, previewValue } from "../model/errors";
import type { Pipeline } from "../model/pipeline";

/**
 * Which panes of a window an assertion sees (Beam Java's PAssert `in...Pane` methods):
 * - `"all"`: every pane, concatenated (`inWindow`);
 * - `"only"`: the window must fire exactly once; a value from any other pane fails the run (`inOnlyPane`);
 * - `"onTime"`: the pane fired when the watermark passed the window's end (`inOnTimePane`);
 * - `"final"`: the window's last pane (`inFinalPane`);
 * - `"early"`: every pane fired before the watermark passed the end (`inEarlyPane`);
 * - `"late"`: every pane fired after it, for late data (`inLatePane`);
 * - `"nonLate"`: every pane that is not late (`inCombinedNonLatePanes`).
 *
 * Elements no trigger produced (from Create, or a ParDo of ungrouped data) are in a pane of
 * timing UNKNOWN that is both first and last: `"all"`, `"only"` and `"final"` see them, `"onTime"`,
 * `"early"` and `"late"` do not, and `"nonLate"` does, as in Beam.
 */
export type PaneSelection = "all" | "only" | "onTime" | "final" | "early" | "late" | "nonLate";

/** The part of a collection an assertion sees: every element (the default), or one window's panes. */
export interface AssertionScope {
  /** Only elements in this window (compared by value: an equal `IntervalWindow`, or `GlobalWindow.INSTANCE`). */
  readonly window?: BoundedWindow;
  /** Which of the window's panes (default `"all"`); needs `window`. */
  readonly pane?: PaneSelection;
}

const PANE_WORDS: Record<PaneSelection, string> = {
  all: "all panes",
  only: "its only pane",
  onTime: "the on-time pane",
  final: "the final pane",
  early: "early panes",
  late: "late panes",
  nonLate: "non-late panes",
};

const PANE_SELECTIONS = Object.keys(PANE_WORDS) as PaneSelection[];

/** A window for messages: `[start, end)` in ISO 8601, or `GlobalWindow`. */
export function windowName(w: BoundedWindow): string {
  return w instanceof GlobalWindow ? "GlobalWindow" : String(w);
}

/** ` in window [a, b) (the on-time pane)`, for messages; empty for the whole collection. */
export function describeScope(scope: AssertionScope): string {
  if (scope.window === undefined) return "";
  const w = scope.window instanceof GlobalWindow ? "the global window" : `window ${windowName(scope.window)}`;
  return ` in ${w}${scope.pane === undefined || scope.pane === "all" ? "" : ` (${PANE_WORDS[scope.pane]})`}`;
}

/**
 * Refuses an assertion on a pipeline already run: it would never be checked, and the test would
 * pass whatever the data (Beam Python's assert_that raises RuntimeError here since 2.60.0).
 */
export function checkNotRun(p: Pipeline, what: string): void {
  if (!p.hasRun) return;
  throw new PipelineConstructionError(
    `${what} was added after the pipeline was run, so it would never be checked and the test would pass whatever the data. ` +
      "Add assertions before p.run() (a second run() would check it, on a second run of the whole pipeline).",
  );
}

/** Checks a scope when the assertion is built, so a mistake fails the construction, naming the assertion. */
export function checkScope(scope: AssertionScope, where: string): void {
  if (scope.pane !== undefined && !PANE_SELECTIONS.includes(scope.pane)) {
    throw new TypeError(`${where}: pane must be one of ${PANE_SELECTIONS.map((p) => `"${p}"`).join(", ")}, got ${JSON.stringify(scope.pane)}`);
  }
  if (scope.pane !== undefined && scope.window === undefined) {
    throw new TypeError(`${where}: pane "${scope.pane}" needs a window: pass inWindow (GlobalWindow.INSTANCE for the global window)`);
  }
  if (scope.window !== undefined && !(scope.window instanceof IntervalWindow || scope.window instanceof GlobalWindow)) {
    throw new TypeError(`${where}: inWindow must be an IntervalWindow or GlobalWindow.INSTANCE, got ${previewValue(scope.window, 80)}`);
  }
}

/** Whether an element of `pane` is seen under `selection`; "only" throws for a pane that is not the only one. */
function paneSelected(selection: PaneSelection, pane: PaneInfo, value: unknown, reason: string): boolean {
  switch (selection) {
    case "all":
      return true;
    case "only":
      if (!pane.isFirst || !pane.isLast) {
        throw new PAssertionError(
          `${reason}: expected elements to be produced by a trigger that fires at most once, but got a value ` +
            `${previewValue(value, 80)} in a pane that is ${pane.isFirst ? "not the last pane" : "not the first pane"} (pane ${pane.index}, ${pane.timing})`,
        );
      }
      return true;
    case "onTime":
      return pane.timing === "ON_TIME";
    case "final":
      return pane.isLast;
    case "early":
      return pane.timing === "EARLY";
    case "late":
      return pane.timing === "LATE";
    case "nonLate":
      return pane.timing !== "LATE";
  }
}

/** Thrown inside the pipeline when an assertion fails. */
export class PAssertionError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "PAssertionError";
  }
}

/** Keeps the elements of the scope's window and panes, each with its timestamp, window and pane. */
class SelectFn<T> extends DoFn<T, ValueInSingleWindow<T>> {
  private readonly windowId: string | undefined;
  private readonly pane: PaneSelection;
  constructor(
    scope: AssertionScope,
    private readonly reason: string,
  ) {
    super();
    this.windowId = scope.window?.id();
    this.pane = scope.pane ?? "all";
  }
  process(value: T, ctx: ProcessContext<ValueInSingleWindow<T>>): void {
    if (this.windowId !== undefined && ctx.window.id() !== this.windowId) return;
    if (!paneSelected(this.pane, ctx.pane, value, this.reason)) return;
    ctx.output({ value, timestamp: ctx.timestamp, window: ctx.window, pane: ctx.pane });
  }
}

/** Runs `check` once, on every gathered element (maybe none); a failure throws a PAssertionError. */
class CheckFn<A> extends DoFn<Uint8Array, never, {}, { actual: readonly A[] }> {
  constructor(private readonly check: (actual: readonly A[]) => string | undefined) {
    super();
  }
  process(_: Uint8Array, ctx: ProcessContext<never, {}, { actual: readonly A[] }>): void {
    const failure = this.check(ctx.sideInputs.actual);
    if (failure !== undefined) throw new PAssertionError(failure);
  }
}

/**
 * Within the assertion's composite: gathers the scope's elements of `input`, reified with their
 * windows and panes, and runs `check` on all of them once the input is complete. `check` returns
 * a failure message (the whole message the run fails with) or undefined.
 */
export function checkReified<T>(input: PCollection<T>, scope: AssertionScope, reason: string, check: (actual: readonly ValueInSingleWindow<T>[]) => string | undefined): void {
  const windowCoder = (input.windowing.windowFn.windowCoderUrn === "beam:coder:global_window:v1" ? GlobalWindowCoder.INSTANCE : IntervalWindowCoder.INSTANCE) as Coder<BoundedWindow>;
  const selected = input
    .apply("Select", ParDo.of(new SelectFn<T>(scope, reason)))
    .setCoder(new ValueInSingleWindowCoder<T>(input.coder ?? (new JsValueCoder() as Coder<T>), windowCoder));
  // Into the global window with the default trigger, whatever the input's windowing and
  // trigger: the side input is then complete only when the input is (as Beam's Never-triggered
  // grouping), not at the first pane of a triggered input.
  const gathered = selected.apply("Gather", Window.into<ValueInSingleWindow<T>>(new GlobalWindows()));
  input.pipeline.apply("Impulse", Impulse.create()).apply("Check", ParDo.of(new CheckFn<ValueInSingleWindow<T>>(check), { sideInputs: { actual: AsIterable(gathered) } }));
}

/** Like checkReified, on the values only. */
export function checkValues<T>(input: PCollection<T>, scope: AssertionScope, reason: string, check: (actual: readonly T[]) => string | undefined): void {
  checkReified(input, scope, reason, (reified) => check(reified.map((r) => r.value)));
}
