/**
 * Beam Java's fluent PAssert: `PAssert.that(pc).inOnTimePane(w).containsInAnyOrder(...)`.
 *
 * Each check (`containsInAnyOrder`, `empty`, `satisfies`, `isEqualTo`, ...) adds one assertion
 * transform, named `PAssert$<n>` in the order they are added to the pipeline. The `in...` methods
 * return a new assert narrowed to one window and some of its panes (see PaneSelection); the
 * checks return the same assert, so several can be chained. A failure fails the run with the
 * reason (by default the collection's name), the window and pane, and what was wrong. As in
 * Beam, a check on a window holding no data sees no elements: `empty()` passes there and
 * `containsInAnyOrder(x)` fails.
 */
import { isDeepStrictEqual } from "node:util";
import { previewValue } from "../model/errors";
import { Flatten } from "../model/primitives";
import type { PCollection } from "../model/pcollection";
import type { Pipeline } from "../model/pipeline";
import { PTransform } from "../model/transform";
import { BoundedWindow, GlobalWindow, KV } from "../model/window";
import { AssertionScope, PaneSelection, checkNotRun, checkReified, checkScope, describeScope } from "./assert_windows";
import { equalTo, listPreview, Matcher, stableKey } from "./passert";

/** Assertions on every element of a collection, or of one window's panes (Beam Java's `PAssert.IterableAssert`). */
export interface IterableAssert<T> {
  /** Only the elements in `window`, all its panes together. */
  inWindow(window: BoundedWindow): IterableAssert<T>;
  /** Only the elements in `window`, which must fire exactly once: a value in any other pane fails the run. */
  inOnlyPane(window: BoundedWindow): IterableAssert<T>;
  /** Only the elements of `window`'s final pane (see Beam's ClosingBehavior: with FIRE_IF_NON_EMPTY there may be none). */
  inFinalPane(window: BoundedWindow): IterableAssert<T>;
  /** Only the elements of `window`'s on-time pane. */
  inOnTimePane(window: BoundedWindow): IterableAssert<T>;
  /** Only the elements of `window`'s early panes, together. */
  inEarlyPane(window: BoundedWindow): IterableAssert<T>;
  /** Only the elements of `window`'s late panes, together. */
  inLatePane(window: BoundedWindow): IterableAssert<T>;
  /** Only the elements of `window`'s panes that are not late, together. */
  inCombinedNonLatePanes(window: BoundedWindow): IterableAssert<T>;
  /** Only the elements of the global window's early panes (those fired before the end of time). */
  inEarlyGlobalWindowPanes(): IterableAssert<T>;
  /** Exactly these elements, in any order, duplicates counted (Beam's `containsInAnyOrder`). */
  containsInAnyOrder(...expected: T[]): this;
  /** No elements. */
  empty(): this;
  /** `check(elements)` returns without throwing. */
  satisfies(check: (actual: readonly T[]) => void): this;
  /** The elements pass `matcher` (`equalTo`, `hasSize`, ...). */
  matches(matcher: Matcher<T>): this;
}

/** Assertions on the single element of a collection, or of one window's panes (Beam Java's `PAssert.SingletonAssert`). */
export interface SingletonAssert<T> {
  /** Only the element in `window`, all its panes together. */
  inWindow(window: BoundedWindow): SingletonAssert<T>;
  /** Only the element in `window`, which must fire exactly once. */
  inOnlyPane(window: BoundedWindow): SingletonAssert<T>;
  /** Only the element of `window`'s final pane. */
  inFinalPane(window: BoundedWindow): SingletonAssert<T>;
  /** Only the element of `window`'s on-time pane. */
  inOnTimePane(window: BoundedWindow): SingletonAssert<T>;
  /** Only the element of `window`'s early panes. */
  inEarlyPane(window: BoundedWindow): SingletonAssert<T>;
  /** Only the element of `window`'s late panes. */
  inLatePane(window: BoundedWindow): SingletonAssert<T>;
  /** The value equals `expected` (deep equality). */
  isEqualTo(expected: T): this;
  /** The value does not equal `notExpected` (deep equality). */
  notEqualTo(notExpected: T): this;
  /** `check(value)` returns without throwing. */
  satisfies(check: (actual: T) => void): this;
}

/** What a check sees, from the scope's elements: a value, or why there is none. */
type Extract<T, A> = (elements: readonly T[]) => { readonly value: A } | { readonly failure: string };

const counts = new WeakMap<Pipeline, number>();

/** `PAssert$<n>`, numbered per pipeline so a pipeline rebuilt (on a worker) names its assertions the same. */
function nextAssertionName(p: Pipeline): string {
  const n = counts.get(p) ?? 0;
  counts.set(p, n + 1);
  return `PAssert$${n}`;
}

/** The assertion transform: checks `check(extract(scope's elements))`. */
class GroupThenAssert<T, A> extends PTransform<PCollection<T>, void> {
  constructor(
    private readonly scope: AssertionScope,
    private readonly reason: string,
    private readonly extract: Extract<T, A>,
    private readonly check: (actual: A) => string | undefined,
  ) {
    super("PAssert");
  }
  expand(input: PCollection<T>): void {
    const where = `${this.reason}${describeScope(this.scope)}`;
    checkReified(input, this.scope, where, (reified) => {
      const got = this.extract(reified.map((r) => r.value));
      const failure = "failure" in got ? got.failure : this.check(got.value);
      return failure === undefined ? undefined : `${where}: ${failure}`;
    });
  }
}

/** Runs `check`, turning what it throws into a failure message. */
function throwsNot<A>(check: (actual: A) => void): (actual: A) => string | undefined {
  return (actual) => {
    try {
      check(actual);
      return undefined;
    } catch (e) {
      return e instanceof Error ? e.message : String(e);
    }
  };
}

/** The scope for a window and pane selection, checked now so a mistake fails where the assertion is written. */
function scoped(window: BoundedWindow, pane: PaneSelection, reason: string): AssertionScope {
  const scope = { window, pane };
  checkScope(scope, `PAssert (${reason})`);
  return scope;
}

abstract class ScopedAssert<T, A> {
  constructor(
    protected readonly actual: PCollection<T>,
    protected readonly reason: string,
    protected readonly scope: AssertionScope,
    protected readonly extract: Extract<T, A>,
  ) {}
  protected add(check: (actual: A) => string | undefined): this {
    checkNotRun(this.actual.pipeline, `An assertion (${this.reason})`);
    this.actual.apply(nextAssertionName(this.actual.pipeline), new GroupThenAssert<T, A>(this.scope, this.reason, this.extract, check));
    return this;
  }
}

class ContentsAssert<T, E> extends ScopedAssert<T, readonly E[]> implements IterableAssert<E> {
  private narrow(window: BoundedWindow, pane: PaneSelection): IterableAssert<E> {
    return new ContentsAssert<T, E>(this.actual, this.reason, scoped(window, pane, this.reason), this.extract);
  }
  inWindow(w: BoundedWindow): IterableAssert<E> {
    return this.narrow(w, "all");
  }
  inOnlyPane(w: BoundedWindow): IterableAssert<E> {
    return this.narrow(w, "only");
  }
  inFinalPane(w: BoundedWindow): IterableAssert<E> {
    return this.narrow(w, "final");
  }
  inOnTimePane(w: BoundedWindow): IterableAssert<E> {
    return this.narrow(w, "onTime");
  }
  inEarlyPane(w: BoundedWindow): IterableAssert<E> {
    return this.narrow(w, "early");
  }
  inLatePane(w: BoundedWindow): IterableAssert<E> {
    return this.narrow(w, "late");
  }
  inCombinedNonLatePanes(w: BoundedWindow): IterableAssert<E> {
    return this.narrow(w, "nonLate");
  }
  inEarlyGlobalWindowPanes(): IterableAssert<E> {
    return this.narrow(GlobalWindow.INSTANCE, "early");
  }
  containsInAnyOrder(...expected: E[]): this {
    const matcher = equalTo(expected);
    return this.add((actual) => {
      const failure = matcher.check(actual);
      return failure === undefined ? undefined : `Expected: iterable with items ${listPreview(expected)} in any order, but ${failure}`;
    });
  }
  empty(): this {
    return this.containsInAnyOrder();
  }
  satisfies(check: (actual: readonly E[]) => void): this {
    return this.add(throwsNot(check));
  }
  matches(matcher: Matcher<E>): this {
    return this.add((actual) => {
      const failure = matcher.check(actual);
      return failure === undefined ? undefined : `${matcher.description} failed: ${failure}`;
    });
  }
}

class ValueAssert<T, A> extends ScopedAssert<T, A> implements SingletonAssert<A> {
  private narrow(window: BoundedWindow, pane: PaneSelection): SingletonAssert<A> {
    return new ValueAssert<T, A>(this.actual, this.reason, scoped(window, pane, this.reason), this.extract);
  }
  inWindow(w: BoundedWindow): SingletonAssert<A> {
    return this.narrow(w, "all");
  }
  inOnlyPane(w: BoundedWindow): SingletonAssert<A> {
    return this.narrow(w, "only");
  }
  inFinalPane(w: BoundedWindow): SingletonAssert<A> {
    return this.narrow(w, "final");
  }
  inOnTimePane(w: BoundedWindow): SingletonAssert<A> {
    return this.narrow(w, "onTime");
  }
  inEarlyPane(w: BoundedWindow): SingletonAssert<A> {
    return this.narrow(w, "early");
  }
  inLatePane(w: BoundedWindow): SingletonAssert<A> {
    return this.narrow(w, "late");
  }
  isEqualTo(expected: A): this {
    return this.add((actual) => (isDeepStrictEqual(actual, expected) ? undefined : `Expected: <${previewValue(expected, 200)}> but: was <${previewValue(actual, 200)}>`));
  }
  notEqualTo(notExpected: A): this {
    return this.add((actual) => (isDeepStrictEqual(actual, notExpected) ? `Expected: not <${previewValue(notExpected, 200)}> but: was <${previewValue(actual, 200)}>` : undefined));
  }
  satisfies(check: (actual: A) => void): this {
    return this.add(throwsNot(check));
  }
}

const ALL: AssertionScope = {};

function all<T>(xs: readonly T[]): { value: readonly T[] } {
  return { value: xs };
}

/** Beam's getOnlyElement, with Beam Java's messages. */
function only<T>(xs: readonly T[]): { value: T } | { failure: string } {
  if (xs.length === 0) return { failure: "expected singleton PCollection but was: empty PCollection" };
  if (xs.length > 1) return { failure: `expected one element but was: <${xs.slice(0, 10).map((x) => previewValue(x, 80)).join(", ")}${xs.length > 10 ? ", ..." : ""}>` };
  return { value: xs[0]! };
}

/** The KVs as a map; a key twice fails, as Beam's `View.asMap()` refuses it. Keys are compared by value. */
function asMap<K, V>(kvs: readonly KV<K, V>[]): { value: Map<K, V> } | { failure: string } {
  const byKey = new Map<string, KV<K, V>>();
  for (const e of kvs) {
    const id = keyId(e.key);
    const seen = byKey.get(id);
    if (seen !== undefined) return { failure: `duplicate values for key ${previewValue(e.key, 80)}: ${previewValue(seen.value, 80)} and ${previewValue(e.value, 80)} (use thatMultimap for several values per key)` };
    byKey.set(id, e);
  }
  return { value: new Map([...byKey.values()].map((e) => [e.key, e.value])) };
}

/** The KVs as a map of each key's values (Beam's `View.asMultimap()`). */
function asMultimap<K, V>(kvs: readonly KV<K, V>[]): { value: Map<K, V[]> } {
  const byKey = new Map<string, { key: K; values: V[] }>();
  for (const e of kvs) {
    const id = keyId(e.key);
    const entry = byKey.get(id);
    if (entry === undefined) byKey.set(id, { key: e.key, values: [e.value] });
    else entry.values.push(e.value);
  }
  return { value: new Map([...byKey.values()].map((e) => [e.key, e.values])) };
}

/** Keys are one entry when equal by value (as Beam compares their encodings). */
function keyId(k: unknown): string {
  return stableKey(k);
}

function reasonFor(pc: PCollection<unknown>, reason: string | undefined): string {
  return reason ?? `PAssert on ${pc.describe()}`;
}

/**
 * Beam Java's PAssert, fluent: build an assert for a collection, narrow it to a window's panes,
 * then add checks. Each check is an assertion transform `PAssert$<n>`.
 *
 * ```ts
 * PAssert.that(sums).inOnTimePane(new IntervalWindow(0, 60_000)).containsInAnyOrder(3);
 * PAssert.thatSingleton(total).isEqualTo(10);
 * PAssert.thatMap(counts).isEqualTo(new Map([["a", 2], ["b", 1]]));
 * ```
 */
export const PAssert = {
  /** Assertions on the elements of `actual` (`reason` starts the failure message; default: the collection's name). */
  that<T>(actual: PCollection<T>, reason?: string): IterableAssert<T> {
    return new ContentsAssert<T, T>(actual, reasonFor(actual, reason), ALL, all);
  },
  /** Assertions on the single element of `actual`: none or several fail the check. */
  thatSingleton<T>(actual: PCollection<T>, reason?: string): SingletonAssert<T> {
    return new ValueAssert<T, T>(actual, reasonFor(actual, reason), ALL, only);
  },
  /** Assertions on the elements of the single iterable in `actual`. */
  thatSingletonIterable<T>(actual: PCollection<Iterable<T>>, reason?: string): IterableAssert<T> {
    return new ContentsAssert<Iterable<T>, T>(actual, reasonFor(actual, reason), ALL, (xs) => {
      const one = only(xs);
      return "failure" in one ? one : { value: [...one.value] };
    });
  },
  /** Assertions on `actual` as a map (one value per key; a key twice fails the check). */
  thatMap<K, V>(actual: PCollection<KV<K, V>>, reason?: string): SingletonAssert<Map<K, V>> {
    return new ValueAssert<KV<K, V>, Map<K, V>>(actual, reasonFor(actual, reason), ALL, asMap);
  },
  /** Assertions on `actual` as a map of each key's values (in no particular order). */
  thatMultimap<K, V>(actual: PCollection<KV<K, V>>, reason?: string): SingletonAssert<Map<K, V[]>> {
    return new ValueAssert<KV<K, V>, Map<K, V[]>>(actual, reasonFor(actual, reason), ALL, asMultimap);
  },
  /** Assertions on the elements of several collections together (flattened). */
  thatFlattened<T>(actual: readonly PCollection<T>[], reason?: string): IterableAssert<T> {
    if (actual.length === 0) throw new TypeError("PAssert.thatFlattened needs at least one collection");
    const p = actual[0]!.pipeline;
    const flat = p.apply(nextAssertionName(p).replace("PAssert", "PAssertFlatten"), Flatten.pCollections(...actual));
    return new ContentsAssert<T, T>(flat, reason ?? `PAssert on the flattened ${actual.map((pc) => pc.describe()).join(", ")}`, ALL, all);
  },
};
