/**
 * PAssert-style assertions on PCollection contents, usable on any runner: the check runs inside
 * the pipeline, and a failed check fails the run with the transform's name and a diff.
 *
 *     assertThat(counts, equalTo([kv("a", 2), kv("b", 1)]));
 */
import { isDeepStrictEqual } from "node:util";
import type { ValueInSingleWindow } from "../coders/value_in_single_window";
import { DoFn, ProcessContext } from "../model/dofn";
import { PCollection } from "../model/pcollection";
import { ParDo } from "../model/pardo";
import { Impulse } from "../model/primitives";
import { AsIterable } from "../model/side_inputs";
import { PTransform } from "../model/transform";
import { previewValue } from "../model/errors";
import { BoundedWindow, Instant, NO_FIRING, PaneInfo } from "../model/window";
import { AssertionScope, PaneSelection, PAssertionError, checkNotRun, checkReified, checkScope, describeScope, windowName } from "./assert_windows";

/** Checks the full contents of a PCollection; returns a failure message or undefined. */
export interface Matcher<T> {
  /** What it checks, for failure messages. */
  readonly description: string;
  /** Why `actual` (every element of the collection) fails the check, or undefined if it passes. */
  check(actual: readonly T[]): string | undefined;
}

export { PAssertionError };
export type { PaneSelection };

/** @internal Which expected elements are missing from `actual`, and which actual ones were not expected (deep equality, duplicates counted). */
export function multisetDiff<T>(actual: readonly T[], expected: readonly T[]): { missing: T[]; unexpected: T[] } {
  const remaining = [...actual];
  const missing: T[] = [];
  const byJson = new Map<string, number[]>();
  remaining.forEach((v, i) => {
    const k = stableKey(v);
    const list = byJson.get(k);
    if (list === undefined) byJson.set(k, [i]);
    else list.push(i);
  });
  const used = new Set<number>();
  for (const e of expected) {
    const candidates = byJson.get(stableKey(e)) ?? [];
    const idx = candidates.find((i) => !used.has(i) && isDeepStrictEqual(remaining[i], e));
    if (idx === undefined) missing.push(e);
    else used.add(idx);
  }
  const unexpected = remaining.filter((_, i) => !used.has(i));
  return { missing, unexpected };
}

/** @internal A key equal for values equal by value (object keys sorted). */
export function stableKey(v: unknown): string {
  return JSON.stringify(v, (_k, x: unknown) => {
    if (typeof x === "bigint") return `${x}n`;
    if (x !== null && typeof x === "object" && !Array.isArray(x) && !(x instanceof Uint8Array)) {
      return Object.fromEntries(Object.entries(x as Record<string, unknown>).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)));
    }
    return x;
  }) ?? "undefined";
}

/** @internal */
export function listPreview(xs: readonly unknown[], max = 10): string {
  const shown = xs.slice(0, max).map((x) => previewValue(x, 80));
  return `[${shown.join(", ")}${xs.length > max ? `, ... ${xs.length - max} more` : ""}]`;
}

/**
 * The PCollection holds exactly these elements, in any order (duplicates count): Beam's
 * `PAssert.that(pc).containsInAnyOrder(...)` and Beam Python's `equal_to`.
 */
export function equalTo<T>(expected: readonly T[]): Matcher<T> {
  return {
    description: `equalTo(${expected.length} elements)`,
    check(actual) {
      const { missing, unexpected } = multisetDiff(actual, expected);
      if (missing.length === 0 && unexpected.length === 0) return undefined;
      return (
        `expected ${expected.length} elements, got ${actual.length}.` +
        (missing.length ? `\n  missing (${missing.length}): ${listPreview(missing)}` : "") +
        (unexpected.length ? `\n  unexpected (${unexpected.length}): ${listPreview(unexpected)}` : "")
      );
    },
  };
}

/**
 * The PCollection contains at least these elements (and maybe others). Unlike Beam's
 * `containsInAnyOrder`, which requires exactly them: for that, use `equalTo`.
 */
export function containsInAnyOrder<T>(expected: readonly T[]): Matcher<T> {
  return {
    description: `contains(${expected.length} elements)`,
    check(actual) {
      const { missing } = multisetDiff(actual, expected);
      return missing.length === 0 ? undefined : `missing ${missing.length} of ${expected.length} expected elements: ${listPreview(missing)}`;
    },
  };
}

/** The PCollection is empty. */
export function isEmpty<T>(): Matcher<T> {
  return {
    description: "isEmpty()",
    check: (actual) => (actual.length === 0 ? undefined : `expected no elements, got ${actual.length}: ${listPreview(actual)}`),
  };
}

/** The PCollection has exactly n elements. */
export function hasSize<T>(n: number): Matcher<T> {
  return {
    description: `hasSize(${n})`,
    check: (actual) => (actual.length === n ? undefined : `expected ${n} elements, got ${actual.length}`),
  };
}

/** A custom check: `satisfies(xs => { assert...(xs) })` — throw to fail. */
export function satisfies<T>(check: (actual: readonly T[]) => void, description = "satisfies(fn)"): Matcher<T> {
  return {
    description,
    check(actual) {
      try {
        check(actual);
        return undefined;
      } catch (e) {
        return e instanceof Error ? e.message : String(e);
      }
    },
  };
}

/**
 * A matcher of elements with their windows and panes (`equalToPerWindow`), usable with or without
 * `reifyWindows`: `assertThat` always passes it the elements reified (as Beam Python's
 * assert_that does for `equal_to_per_window`). Its `check` takes either form so that it fits
 * both `assertThat` signatures; it is called with reified elements.
 */
export interface WindowedMatcher<T> {
  /** What it checks, for failure messages. */
  readonly description: string;
  /** Marks the matcher as one of reified elements. */
  readonly reifyWindows: true;
  /** Why the reified elements fail the check, or undefined if they pass. */
  check(actual: readonly (T | ValueInSingleWindow<T>)[]): string | undefined;
}

/**
 * An element with its timestamp, window and pane, to compare reified elements with (Beam
 * Python's `TestWindowedValue`; the pane defaults to that of elements no trigger produced).
 */
export function windowedValue<T>(value: T, timestamp: Instant, window: BoundedWindow, pane: PaneInfo = NO_FIRING): ValueInSingleWindow<T> {
  return { value, timestamp, window, pane };
}

/**
 * Each listed window holds exactly its elements (in any order, duplicates counted), and no
 * element is in a window that is not listed: Beam Python's `equal_to_per_window`. Windows are
 * compared by value; a listed window may hold `[]`. All panes of a window count together.
 *
 * ```ts
 * assertThat(sums, equalToPerWindow([[new IntervalWindow(0, 60_000), [3]], [new IntervalWindow(60_000, 120_000), [5]]]));
 * ```
 */
export function equalToPerWindow<T>(expected: Iterable<readonly [BoundedWindow, readonly T[]]>): WindowedMatcher<T> {
  const windows = [...expected];
  return {
    description: `equalToPerWindow(${windows.length} windows)`,
    reifyWindows: true,
    check(elements) {
      // assertThat reifies the elements for this matcher (see WindowedMatcher).
      const actual = elements as readonly ValueInSingleWindow<T>[];
      const byWindow = new Map<string, T[]>();
      for (const e of actual) {
        const id = e.window.id();
        if (!windows.some(([w]) => w.id() === id)) {
          return `window ${windowName(e.window)} (of element ${previewValue(e.value, 80)}) is not one of the expected windows: ${windows.map(([w]) => windowName(w)).join(", ")}`;
        }
        const list = byWindow.get(id);
        if (list === undefined) byWindow.set(id, [e.value]);
        else list.push(e.value);
      }
      const failures: string[] = [];
      for (const [w, want] of windows) {
        const got = byWindow.get(w.id()) ?? [];
        const { missing, unexpected } = multisetDiff(got, want);
        if (missing.length === 0 && unexpected.length === 0) continue;
        failures.push(
          `in window ${windowName(w)}: expected ${want.length} elements, got ${got.length}.` +
            (missing.length ? ` missing (${missing.length}): ${listPreview(missing)}` : "") +
            (unexpected.length ? ` unexpected (${unexpected.length}): ${listPreview(unexpected)}` : ""),
        );
      }
      return failures.length === 0 ? undefined : failures.join("\n  ");
    },
  };
}

/** Options of `assertThat`. */
export interface AssertThatOptions {
  /** The assertion's transform name (default "AssertThat"); one in use gets `_2`, `_3`, ... (as Beam Python's assert_that). */
  readonly label?: string;
  /** Check only the elements in this window (Beam Java's `PAssert.that(pc).inWindow(w)`); with no data there, the matcher sees `[]`. */
  readonly inWindow?: BoundedWindow;
  /** Which of the window's panes (default `"all"`); needs `inWindow` (`GlobalWindow.INSTANCE` for the global window). */
  readonly pane?: PaneSelection;
  /**
   * Check each window's elements (all its panes) on their own, failing naming the window (Beam
   * Python's `use_global_window=False`). Windows without elements are not checked.
   */
  readonly perWindow?: boolean;
  /** Pass the matcher each element with its timestamp, window and pane (Beam Python's `reify_windows=True`). */
  readonly reifyWindows?: boolean;
}

/**
 * Asserts on the contents of `pcoll` when the pipeline runs; a failure fails the run with the
 * step's name and a diff. Works on every runner. By default the matcher sees every element of
 * every window and pane together; `inWindow` and `pane` narrow that to one window's panes (Beam
 * Java's `inWindow`, `inOnTimePane`, ...), `perWindow` checks each window on its own, and
 * `reifyWindows` (or a windowed matcher such as `equalToPerWindow`) passes elements with their
 * timestamps, windows and panes. The assertion is a transform named by its label; a label in
 * use gets `_2`, `_3`, ... appended, as in Beam Python. With `reifyWindows: true` the matcher is one of `ValueInSingleWindow<T>`
 * (annotate an inline `satisfies` callback's parameter: `(all: readonly ValueInSingleWindow<T>[]) => ...`).
 *
 * ```ts
 * assertThat(counts, equalTo([kv("a", 2), kv("b", 1)]));
 * assertThat(words, hasSize(3), "ThreeWords");
 * assertThat(sums, equalTo([7]), { label: "LateSum", inWindow: new IntervalWindow(0, 60_000), pane: "late" });
 * ```
 */
export function assertThat<T>(pcoll: PCollection<T>, matcher: Matcher<T>, options?: string | (AssertThatOptions & { readonly reifyWindows?: false })): void;
export function assertThat<T>(pcoll: PCollection<T>, matcher: Matcher<ValueInSingleWindow<T>>, options: AssertThatOptions & { readonly reifyWindows: true }): void;
export function assertThat<T>(pcoll: PCollection<T>, matcher: Matcher<T> | Matcher<ValueInSingleWindow<T>>, options: string | AssertThatOptions = {}): void {
  const o: AssertThatOptions = typeof options === "string" ? { label: options } : options;
  const label = o.label ?? "AssertThat";
  const reify = o.reifyWindows === true || (matcher as Partial<WindowedMatcher<T>>).reifyWindows === true;
  const scope: AssertionScope = { ...(o.inWindow !== undefined ? { window: o.inWindow } : {}), ...(o.pane !== undefined ? { pane: o.pane } : {}) };
  checkScope(scope, `assertThat '${label}'`);
  checkNotRun(pcoll.pipeline, `assertThat '${label}' on ${pcoll.describe()}`);
  pcoll.apply(pcoll.pipeline.unusedLabel(label), new AssertThat<T>(matcher as Matcher<unknown>, scope, reify, o.perWindow === true));
}

class AssertThat<T> extends PTransform<PCollection<T>, void> {
  constructor(
    private readonly matcher: Matcher<unknown>,
    private readonly scope: AssertionScope,
    private readonly reify: boolean,
    private readonly perWindow: boolean,
  ) {
    super("AssertThat");
  }
  expand(input: PCollection<T>): void {
    const { matcher, scope, reify, perWindow } = this;
    const w = input.windowing;
    const plain = scope.window === undefined && !reify && !perWindow;
    if (plain && w.windowFn.urn === "beam:window_fn:global_windows:v1" && (w.trigger === undefined || w.trigger.kind === "default")) {
      // Unwindowed, untriggered data is complete in the global window's side input as it is.
      input.pipeline.apply("Impulse", Impulse.create()).apply("Check", ParDo.of(new CheckDoFn<T>(matcher as Matcher<T>), { sideInputs: { actual: AsIterable(input) } }));
      return;
    }
    const run = (xs: readonly unknown[], where: string): string | undefined => {
      const failure = matcher.check(xs);
      return failure === undefined ? undefined : `${matcher.description} failed${where}: ${failure}`;
    };
    checkReified(input, scope, `assertThat on ${input.describe()}${describeScope(scope)}`, (reified) => {
      if (!perWindow) return run(reify ? reified : reified.map((r) => r.value), describeScope(scope));
      const byWindow = new Map<string, ValueInSingleWindow<T>[]>();
      for (const r of reified) {
        const list = byWindow.get(r.window.id());
        if (list === undefined) byWindow.set(r.window.id(), [r]);
        else list.push(r);
      }
      const failures = [...byWindow.values()].flatMap((rs) => run(reify ? rs : rs.map((r) => r.value), ` in window ${windowName(rs[0]!.window)}`) ?? []);
      return failures.length === 0 ? undefined : failures.join("\n");
    });
  }
}

class CheckDoFn<T> extends DoFn<Uint8Array, never, {}, { actual: readonly T[] }> {
  constructor(private readonly matcher: Matcher<T>) {
    super();
  }
  process(_: Uint8Array, ctx: ProcessContext<never, {}, { actual: readonly T[] }>): void {
    const failure = this.matcher.check(ctx.sideInputs.actual);
    if (failure !== undefined) throw new PAssertionError(`${this.matcher.description} failed: ${failure}`);
  }
}
