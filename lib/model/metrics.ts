/**
 * User metrics: counters, distributions, gauges, string sets and bounded tries by namespace and
 * name, attributed to the transform whose code updates them.
 *
 * Declare a metric anywhere (typically as a DoFn field) and update it from DoFn methods:
 *
 *     class ExtractWords extends DoFn<string, string> {
 *       private readonly empty = Metrics.counter("wordcount", "emptyLines");
 *       process(line: string, ctx: ProcessContext<string>) { if (!line) this.empty.inc(); ... }
 *     }
 *
 * Runners set the active container before calling user code, so the update lands on the step
 * that ran it. Methods that return promises run inside an AsyncLocalStorage scope so updates
 * after an `await` still land on the right step; synchronous code pays only a variable read.
 */
import { AsyncLocalStorage } from "node:async_hooks";
import { BoundedTrieData, type BoundedTrieResult } from "./bounded_trie";

export type { BoundedTriePath, BoundedTrieResult } from "./bounded_trie";

/** The name of a metric. */
export interface MetricName {
  /** Groups related metrics, e.g. the DoFn's class name; Beamline's own use "beamline". */
  readonly namespace: string;
  /** The metric's name within its namespace. */
  readonly name: string;
}

/** Summary of a distribution's observed values. */
export interface DistributionResult {
  /** How many values were reported. */
  readonly count: number;
  /** Their sum. */
  readonly sum: number;
  /** The smallest. */
  readonly min: number;
  /** The largest. */
  readonly max: number;
}

/** The latest value set on a gauge. */
export interface GaugeResult {
  /** The latest value. */
  readonly value: number;
  /** When it was set (epoch milliseconds). */
  readonly timestamp: number;
}

/**
 * The distinct strings added to a string set, sorted (Beam's StringSetResult is a set; sorted so
 * results compare and print the same on every run).
 */
export type StringSetResult = readonly string[];

/**
 * Beam's StringSetData.STRING_SET_SIZE_LIMIT (Java and Python alike): once the lengths of a
 * string set's strings add up to more than this, further strings are dropped, in a cell as
 * strings are added and when cells of bundles and workers are combined.
 */
export const STRING_SET_SIZE_LIMIT = 1_000_000;

/** @internal A string set's cell: its strings and the sum of their lengths (UTF-16 units, as Java's String.length). */
export interface StringSetCell {
  readonly values: Set<string>;
  size: number;
}

/** The metric cells of one step. */
export class MetricsContainer {
  readonly counters = new Map<string, number>();
  readonly distributions = new Map<string, { count: number; sum: number; min: number; max: number }>();
  readonly gauges = new Map<string, GaugeResult>();
  readonly stringSets = new Map<string, StringSetCell>();
  readonly boundedTries = new Map<string, BoundedTrieData>();

  constructor(readonly step: string) {}

  /** Empties every cell (a new bundle, or a retry starting from a saved state). */
  clear(): void {
    this.counters.clear();
    this.distributions.clear();
    this.gauges.clear();
    this.stringSets.clear();
    this.boundedTries.clear();
  }

  /** Adds a path to a bounded trie (trimmed to its bound, as Beam's BoundedTrieData.add). */
  addToBoundedTrie(key: string, segments: readonly string[]): void {
    let data = this.boundedTries.get(key);
    if (data === undefined) this.boundedTries.set(key, (data = new BoundedTrieData()));
    data.add(segments);
  }

  /** Merges a bounded trie's data (another bundle's or worker's) into this step's. */
  mergeBoundedTrie(key: string, other: BoundedTrieData): void {
    let data = this.boundedTries.get(key);
    if (data === undefined) this.boundedTries.set(key, (data = new BoundedTrieData()));
    data.merge(other);
  }

  incCounter(key: string, n: number): void {
    this.counters.set(key, (this.counters.get(key) ?? 0) + n);
  }

  updateDistribution(key: string, value: number): void {
    const d = this.distributions.get(key);
    if (d === undefined) this.distributions.set(key, { count: 1, sum: value, min: value, max: value });
    else {
      d.count++;
      d.sum += value;
      if (value < d.min) d.min = value;
      if (value > d.max) d.max = value;
    }
  }

  setGauge(key: string, value: number): void {
    this.gauges.set(key, { value, timestamp: Date.now() });
  }

  /** Adds strings to a string set, up to Beam's size limit (the cell exists even if none are given, as in Beam). */
  addToStringSet(key: string, values: Iterable<string>): void {
    let cell = this.stringSets.get(key);
    if (cell === undefined) this.stringSets.set(key, (cell = { values: new Set(), size: 0 }));
    addUntilCapacity(cell, values, this.step, key);
  }

  /** Adds another container's cells into this one (used when bundles report). */
  merge(other: MetricsContainer): void {
    for (const [k, v] of other.counters) this.incCounter(k, v);
    for (const [k, d] of other.distributions) {
      const mine = this.distributions.get(k);
      if (mine === undefined) this.distributions.set(k, { ...d });
      else {
        mine.count += d.count;
        mine.sum += d.sum;
        mine.min = Math.min(mine.min, d.min);
        mine.max = Math.max(mine.max, d.max);
      }
    }
    for (const [k, g] of other.gauges) {
      const mine = this.gauges.get(k);
      if (mine === undefined || mine.timestamp <= g.timestamp) this.gauges.set(k, g);
    }
    for (const [k, cell] of other.stringSets) this.addToStringSet(k, cell.values);
    for (const [k, data] of other.boundedTries) this.mergeBoundedTrie(k, data);
  }
}

/**
 * Beam's StringSetData.addUntilCapacity: a string new to the set adds its length to the size; the
 * one that takes the size past the limit is kept and the rest dropped, with one warning.
 */
function addUntilCapacity(cell: StringSetCell, values: Iterable<string>, step: string, key: string): void {
  if (cell.size > STRING_SET_SIZE_LIMIT) return;
  for (const v of values) {
    if (cell.values.has(v)) continue;
    cell.values.add(v);
    cell.size += v.length;
    if (cell.size > STRING_SET_SIZE_LIMIT) {
      const { namespace, name } = metricNameOf(key);
      process.stderr.write(
        `Warning: string set '${namespace}/${name}' of step '${step}' holds strings of ${cell.size} characters in all, ` +
          `past Beam's limit of ${STRING_SET_SIZE_LIMIT}: further strings are dropped. Add fewer or shorter strings (e.g. a category rather than each value).\n`,
      );
      return;
    }
  }
}

/**
 * The step an async continuation belongs to, carried by Node's AsyncLocalStorage: one frame per
 * scoped call of user code. A call that turned out synchronous has no continuations of its own,
 * so a continuation carrying its frame comes from a promise created by code it called.
 */
interface ScopeFrame {
  readonly container: MetricsContainer;
  returnedSync: boolean;
}

const asyncScope = new AsyncLocalStorage<ScopeFrame>();
/**
 * @internal The container synchronous user code updates: set by the runner for the duration of
 * each call into user code and restored after it, so it is only ever set while that code is on
 * the stack. Runners on hot paths write `activeMetrics.container` directly (a property write,
 * cheaper than a call per element) and must restore it (in a `finally`).
 */
export const activeMetrics: { container: MetricsContainer | undefined } = { container: undefined };
let asyncScopesOpen = 0;
/**
 * Steps whose method returned a promise from a direct call (before the runner knew the method
 * could be async), with how many such promises are pending.
 */
const unscopedPending = new Map<MetricsContainer, number>();

/** @internal Runners: make `container` the target of metric updates from synchronous user code. */
export function setActiveContainer(container: MetricsContainer | undefined): MetricsContainer | undefined {
  const previous = activeMetrics.container;
  activeMetrics.container = container;
  return previous;
}

/** @internal Whether a value returned by user code is a promise (or another thenable) to wait for. */
export function isThenable(value: unknown): value is PromiseLike<unknown> {
  return value !== undefined && value !== null && typeof (value as { then?: unknown }).then === "function";
}

/** Calls `fn` in a frame of `container`; the scope counts as open until a returned promise settles. */
function scoped<A, B, R>(container: MetricsContainer, fn: (this: unknown, a: A, b: B) => R, self: unknown, a: A, b: B): R {
  const frame: ScopeFrame = { container, returnedSync: false };
  asyncScopesOpen++;
  let result: R;
  try {
    result = asyncScope.run(frame, () => fn.call(self, a, b));
  } catch (e) {
    frame.returnedSync = true;
    closeScope();
    throw e;
  }
  if (isThenable(result)) Promise.resolve(result).then(closeScope, closeScope);
  else {
    frame.returnedSync = true;
    closeScope();
  }
  return result;
}

/**
 * @internal IO code: runs possibly-async work (e.g. a client call whose retries are counted) with
 * `container` as the target of its metric updates, across awaits, whatever scope the calling
 * method runs in.
 */
export function runInContainer<R>(container: MetricsContainer, fn: () => R): R {
  return scoped(container, fn as (this: unknown, a: undefined, b: undefined) => R, undefined, undefined, undefined);
}

const UNKNOWN = 0;
const SYNC = 1;
const ASYNC = 2;
/** Never scoped, never tracked: the method says where its updates after awaits go (`inStep`). */
const OWN = 3;

/**
 * @internal Set (to true) on a built-in DoFn whose methods may be async but attribute every metric
 * update after an await themselves: through `inStep` with the container `currentStep` gave them
 * when the call started, or by running work that counts in its async context (a client's retries)
 * under `runInContainer`. The runner then calls them without an AsyncLocalStorage scope: while one
 * is open Node's promise hooks are on, and a 5 MB word count whose text read (one async call per
 * byte range, all of the stage's elements emitted from inside it) ran in a scope took 1-2 % more
 * instructions (valgrind: 3.41-3.47 G against 3.36-3.39 G), all of it in V8's generic property
 * load (LoadIC: 134 M against 92 M).
 */
export const OWN_METRICS_ATTRIBUTION: unique symbol = Symbol("beamline.ownMetricsAttribution");

/** @internal The step a metric update made now would land on (to hand to `inStep` after an await). */
export function currentStep(): MetricsContainer | undefined {
  return activeContainer();
}

/** @internal Runs `fn` (synchronous) with its metric updates landing on `container`'s step. */
export function inStep<R>(container: MetricsContainer | undefined, fn: () => R): R {
  const previous = activeMetrics.container;
  activeMetrics.container = container;
  try {
    return fn();
  } finally {
    activeMetrics.container = previous;
  }
}

/**
 * @internal How a runner calls one user method (a DoFn's `process`, `setup`, ...) as code of
 * one step, so that its metric updates land on that step, after awaits too.
 *
 * Whether the method is async is learned from what it returns, never from how it was declared
 * (a plain function may return a promise, an `async` one may be wrapped):
 * - the first call runs in an AsyncLocalStorage scope; so does every call after one that
 *   returned a promise;
 * - a method that has only returned plain values is called directly: a scope costs a closure
 *   and a context switch per call, and while one is open Node's promise hooks make every await
 *   in the process several times slower;
 * - if a direct call returns a promise after all (a method that is async only now and then,
 *   like one flushing a batch), updates after its awaits go to its step, as long as no other
 *   step is in the same situation at the same time (otherwise they fail as unattributed). The
 *   limit: if that direct call ran inside the scope of another step's async call (fused after
 *   an async DoFn), its promise inherits that step's scope, and the updates of that one promise
 *   count there; scoping every direct call to rule this out would slow each synchronous DoFn
 *   fused after an async one (a text read, say) by half.
 */
export class UserMethodCaller {
  private mode: number;
  /** `ownAttribution`: the method attributes its updates after awaits itself (`OWN_METRICS_ATTRIBUTION`). */
  constructor(
    private readonly container: MetricsContainer,
    ownAttribution = false,
  ) {
    this.mode = ownAttribution ? OWN : UNKNOWN;
  }

  /** Calls `fn.call(self, a, b)`; returns what it returned (a thenable means async work). */
  invoke<A, B, R>(fn: (this: unknown, a: A, b: B) => R, self: unknown, a: A, b: B): R {
    const previous = activeMetrics.container;
    activeMetrics.container = this.container;
    try {
      if (this.mode === OWN) return fn.call(self, a, b);
      if (this.mode === SYNC) {
        const r = fn.call(self, a, b);
        if (isThenable(r)) {
          this.mode = ASYNC;
          trackUnscoped(this.container, r);
        }
        return r;
      }
      const r = scoped(this.container, fn, self, a, b);
      if (this.mode === UNKNOWN) this.mode = isThenable(r) ? ASYNC : SYNC;
      return r;
    } finally {
      activeMetrics.container = previous;
    }
  }
}

function trackUnscoped(container: MetricsContainer, pending: PromiseLike<unknown>): void {
  unscopedPending.set(container, (unscopedPending.get(container) ?? 0) + 1);
  const done = (): void => {
    const n = unscopedPending.get(container)! - 1;
    if (n === 0) unscopedPending.delete(container);
    else unscopedPending.set(container, n);
  };
  Promise.resolve(pending).then(done, done);
}

let disableScheduled = false;

/**
 * An enabled AsyncLocalStorage keeps Node's promise hooks on, which makes every await in the
 * process several times slower. Once no scope has been open for a turn of the event loop, the
 * storage is disabled; the next `run` enables it again.
 */
function closeScope(): void {
  asyncScopesOpen--;
  if (asyncScopesOpen > 0 || disableScheduled) return;
  disableScheduled = true;
  setImmediate(() => {
    disableScheduled = false;
    if (asyncScopesOpen === 0) asyncScope.disable();
  }).unref();
}

/**
 * The step an update belongs to: the one whose code the runner is calling right now (set only
 * while that call is on the stack, so the innermost step wins); else, after an await, the step
 * whose async call the continuation belongs to; else the step whose direct call returned an
 * unexpected promise.
 */
function activeContainer(): MetricsContainer | undefined {
  const current = activeMetrics.container;
  if (current !== undefined) return current;
  const frame = asyncScope.getStore();
  if (frame !== undefined && !frame.returnedSync) return frame.container;
  if (unscopedPending.size === 1) return unscopedPending.keys().next().value;
  return undefined;
}

/** @internal The cell key of a metric in a MetricsContainer. */
export function metricKey(namespace: string, name: string): string {
  return `${namespace}\u0000${name}`;
}

/** Namespace of the metrics runners report themselves. */
export const SYSTEM_NAMESPACE = "beamline";

/** @internal The cell key of a system counter. */
export function systemCounterKey(name: string): string {
  return metricKey(SYSTEM_NAMESPACE, name);
}

/** @internal Splits a cell key back into its name. */
export function metricNameOf(key: string): MetricName {
  const i = key.indexOf("\u0000");
  return { namespace: key.slice(0, i), name: key.slice(i + 1) };
}

function unattributed(kind: string, namespace: string, name: string): never {
  throw new Error(
    `${kind} '${namespace}/${name}' was updated outside a running transform. ` +
      `Update metrics only from DoFn methods (setup, startBundle, process, finishBundle) or CombineFn methods; ` +
      `work a method starts after an await must be part of the promise it returns, or it runs outside the transform.`,
  );
}

/** A sum of increments. Made by `Metrics.counter(namespace, name)`; update it from DoFn code. */
export class Counter implements MetricName {
  private readonly key: string;
  constructor(
    /** The metric's namespace. */
    readonly namespace: string,
    /** The metric's name. */
    readonly name: string,
  ) {
    this.key = metricKey(namespace, name);
  }
  /** Adds `n` (default 1) on the step whose code is running. */
  inc(n = 1): void {
    const c = activeContainer();
    if (c === undefined) unattributed("Counter", this.namespace, this.name);
    c.incCounter(this.key, n);
  }
  /** Subtracts `n` (default 1). */
  dec(n = 1): void {
    this.inc(-n);
  }
}

/** Count, sum, min and max of observed values. Made by `Metrics.distribution(namespace, name)`; update it from DoFn code. */
export class Distribution implements MetricName {
  private readonly key: string;
  constructor(
    /** The metric's namespace. */
    readonly namespace: string,
    /** The metric's name. */
    readonly name: string,
  ) {
    this.key = metricKey(namespace, name);
  }
  /** Reports one value. */
  update(value: number): void {
    const c = activeContainer();
    if (c === undefined) unattributed("Distribution", this.namespace, this.name);
    c.updateDistribution(this.key, value);
  }
}

/** The latest of the values set. Made by `Metrics.gauge(namespace, name)`; update it from DoFn code. */
export class Gauge implements MetricName {
  private readonly key: string;
  constructor(
    /** The metric's namespace. */
    readonly namespace: string,
    /** The metric's name. */
    readonly name: string,
  ) {
    this.key = metricKey(namespace, name);
  }
  /** Sets the current value. */
  set(value: number): void {
    const c = activeContainer();
    if (c === undefined) unattributed("Gauge", this.namespace, this.name);
    c.setGauge(this.key, value);
  }
}

/**
 * A set of distinct strings (e.g. the sources or sinks a step used). Made by
 * `Metrics.stringSet(namespace, name)`; update it from DoFn code. As in Beam, a string already in
 * the set adds nothing, and once the strings' lengths add up to more than 1,000,000 characters
 * (`STRING_SET_SIZE_LIMIT`) further strings are dropped.
 */
export class StringSet implements MetricName {
  private readonly key: string;
  constructor(
    /** The metric's namespace. */
    readonly namespace: string,
    /** The metric's name. */
    readonly name: string,
  ) {
    this.key = metricKey(namespace, name);
  }
  /** Adds the strings to the set on the step whose code is running. */
  add(...values: string[]): void {
    const c = activeContainer();
    if (c === undefined) unattributed("StringSet", this.namespace, this.name);
    c.addToStringSet(this.key, values);
  }
}

/**
 * A set of paths (e.g. the files or tables a step read, as segments), kept in a trie of at most
 * 100 leaves. Made by `Metrics.boundedTrie(namespace, name)`; update it from DoFn code. As in
 * Beam, past 100 distinct paths the largest subtree is replaced by its prefix, marked truncated
 * (it stands for every path under it), so the metric stays small whatever is added.
 */
export class BoundedTrie implements MetricName {
  private readonly key: string;
  constructor(
    /** The metric's namespace. */
    readonly namespace: string,
    /** The metric's name. */
    readonly name: string,
  ) {
    this.key = metricKey(namespace, name);
  }
  /** Adds the path made of `segments` on the step whose code is running (no segments: nothing). */
  add(...segments: string[]): void {
    const c = activeContainer();
    if (c === undefined) unattributed("BoundedTrie", this.namespace, this.name);
    c.addToBoundedTrie(this.key, segments);
  }
}

/**
 * Factory for user metrics (like Beam's `Metrics`). Declare them as DoFn fields and update them
 * in any DoFn method; updates are attributed to the step running the code:
 *
 * ```ts
 * class Parse extends DoFn<string, number> {
 *   private readonly malformed = Metrics.counter("Parse", "malformed");
 *   process(s: string, ctx: ProcessContext<number>) {
 *     const n = Number(s);
 *     if (Number.isNaN(n)) this.malformed.inc(); else ctx.output(n);
 *   }
 * }
 * // after the run: result.metrics.counterTotal("Parse", "malformed")
 * ```
 */
export const Metrics = {
  /** A counter (a sum of increments). */
  counter: (namespace: string, name: string): Counter => new Counter(namespace, name),
  /** A distribution (count, sum, min and max of reported values). */
  distribution: (namespace: string, name: string): Distribution => new Distribution(namespace, name),
  /** A gauge (the latest value set). */
  gauge: (namespace: string, name: string): Gauge => new Gauge(namespace, name),
  /** A string set (the distinct strings added; Beam's `Metrics.stringSet`). */
  stringSet: (namespace: string, name: string): StringSet => new StringSet(namespace, name),
  /** A bounded trie (paths of segments, at most 100 kept; Beam's `Metrics.boundedTrie`). */
  boundedTrie: (namespace: string, name: string): BoundedTrie => new BoundedTrie(namespace, name),
};

// MetricResults is not re-exported from here: a value re-export compiles to a getter redefining a
// property of this module's exports object, which turns that object into a dictionary, and then
// every `activeMetrics` read on the hot paths (each element of each step) is a generic property
// lookup (~100 instructions each). Import it from "./metric_results".
export type { MetricResult, MetricFilter } from "./metric_results";
