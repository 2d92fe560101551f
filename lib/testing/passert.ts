/**
 * PAssert-style assertions on PCollection contents, usable on any runner: the check runs inside
 * the pipeline, and a failed check fails the run with the transform's name and a diff.
 *
 *     assertThat(counts, equalTo([kv("a", 2), kv("b", 1)]));
 */
import { isDeepStrictEqual } from "node:util";
import { DoFn, ProcessContext } from "../model/dofn";
import { PCollection } from "../model/pcollection";
import { ParDo } from "../model/pardo";
import { Impulse, Window } from "../model/primitives";
import { GlobalWindows } from "../model/windowing";
import { AsIterable } from "../model/side_inputs";
import { PTransform } from "../model/transform";
import { previewValue } from "../model/errors";

/** Checks the full contents of a PCollection; returns a failure message or undefined. */
export interface Matcher<T> {
  /** What it checks, for failure messages. */
  readonly description: string;
  /** Why `actual` (every element of the collection) fails the check, or undefined if it passes. */
  check(actual: readonly T[]): string | undefined;
}

/** Thrown inside the pipeline when an assertion fails. */
export class PAssertionError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "PAssertionError";
  }
}

function multisetDiff<T>(actual: readonly T[], expected: readonly T[]): { missing: T[]; unexpected: T[] } {
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

function stableKey(v: unknown): string {
  return JSON.stringify(v, (_k, x: unknown) => {
    if (typeof x === "bigint") return `${x}n`;
    if (x !== null && typeof x === "object" && !Array.isArray(x) && !(x instanceof Uint8Array)) {
      return Object.fromEntries(Object.entries(x as Record<string, unknown>).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)));
    }
    return x;
  }) ?? "undefined";
}

function listPreview(xs: readonly unknown[], max = 10): string {
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

class CheckDoFn<T> extends DoFn<Uint8Array, never, {}, { actual: readonly T[] }> {
  constructor(private readonly matcher: Matcher<T>) {
    super();
  }
  process(_: Uint8Array, ctx: ProcessContext<never, {}, { actual: readonly T[] }>): void {
    const failure = this.matcher.check(ctx.sideInputs.actual);
    if (failure !== undefined) throw new PAssertionError(`${this.matcher.description} failed: ${failure}`);
  }
}

/**
 * Asserts on the whole contents of `pcoll` (all windows together) when the pipeline runs; a
 * failure fails the run with the step's name and a diff. Works on every runner. The assertion
 * is a transform named `label`: give each one in a pipeline its own.
 *
 * ```ts
 * assertThat(counts, equalTo([kv("a", 2), kv("b", 1)]));
 * assertThat(words, hasSize(3), "ThreeWords");
 * ```
 */
export function assertThat<T>(pcoll: PCollection<T>, matcher: Matcher<T>, label = "AssertThat"): void {
  pcoll.apply(
    label,
    new (class AssertThat extends PTransform<PCollection<T>, void> {
      expand(input: PCollection<T>): void {
        // Elements of every window are checked together.
        const global = input.windowing.windowFn.urn === "beam:window_fn:global_windows:v1" ? input : input.apply("Unwindow", Window.into(new GlobalWindows()));
        input.pipeline.apply("Impulse", Impulse.create()).apply("Check", ParDo.of(new CheckDoFn<T>(matcher), { sideInputs: { actual: AsIterable(global) } }));
      }
    })(),
  );
}
