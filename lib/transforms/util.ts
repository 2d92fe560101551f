/**
 * Everyday transforms: Create, Reshuffle, Distinct, WithKeys, Keys, Values, KvSwap, Partition. Each is
 * made by a static factory (`Create.of(1, 2)`, `Partition.of(2, fn)`), as in Beam Java.
 */
import { DoFn, ProcessContext, type BundleContext, type SideInputTypes } from "../model/dofn";
import { GlobalWindows, type WindowFn, type WindowingStrategy } from "../model/windowing";
import type { SideInputViews } from "../model/side_inputs";
import { PipelineConstructionError } from "../model/errors";
import { PBegin, PCollection } from "../model/pcollection";
import { ParDo } from "../model/pardo";
import { GroupByKey, Impulse } from "../model/primitives";
import { PTransform } from "../model/transform";
import { AfterCount, Repeatedly } from "../model/triggers";
import type { CombineFn } from "../model/combine_fn";
import type { VarIntCoder } from "../coders/primitive";
import { KVCoder } from "../coders/structural";
import type { Coder } from "../coders/coder";
import { DeterministicJsValueCoder } from "../coders/js_value";
import { Combine } from "./combine";
import { BoundedWindow, GlobalWindow, Instant, IntervalWindow, KV, kv, MAX_TIMESTAMP } from "../model/window";

/** A value with an event timestamp, for `Create.timestamped`. */
export interface TimestampedValue<T> {
  /** The element. */
  readonly value: T;
  /** Its event time (epoch milliseconds). */
  readonly timestamp: Instant;
}

/**
 * A bounded PCollection of the given values (in the global window, at the minimum timestamp):
 * `p.apply(Create.of(1, 2, 3))`, `Create.from(array)`, `Create.timestamped([{ value, timestamp }])`.
 */
export class Create<T> extends PTransform<PBegin, PCollection<T>> {
  private constructor(
    /** The values. */
    readonly values: readonly T[],
  ) {
    super("Create");
  }
  expand(input: PBegin): PCollection<T> {
    const values = this.values;
    return input.apply("Impulse", Impulse.create()).flatMap("Values", () => values);
  }

  /** `Create.of(1, 2, 3)` (like Array.of). */
  static of<T>(...values: T[]): Create<T> {
    return new Create(values);
  }

  /** `Create.from(array)`: the values of an array or other iterable (like Array.from). */
  static from<T>(values: Iterable<T>): Create<T> {
    return new Create([...values]);
  }

  /**
   * Values at given timestamps in given windows (Beam Java's `Create.windowedValues`, for tests):
   * the output is windowed by `windowFn` (default: the global window), each value staying in the
   * windows it names rather than being assigned by its timestamp, as after `Window.into`. The
   * windows must be of the kind `windowFn` makes (interval windows for fixed, sliding and session
   * windows).
   *
   * ```ts
   * p.apply(Create.windowedValues([{ value: "a", timestamp: 5, windows: [new IntervalWindow(0, 10)] }], new FixedWindows(10)));
   * ```
   */
  static windowedValues<T>(values: readonly WindowedValueOf<T>[], windowFn: WindowFn = new GlobalWindows()): PTransform<PBegin, PCollection<T>> {
    values.forEach((v, i) => {
      if (v.windows.length === 0) throw new PipelineConstructionError(`Create.windowedValues: value ${i} has no window; give it at least one`);
      for (const w of v.windows) {
        const problem = foreignWindow(w, windowFn);
        if (problem !== undefined) throw new PipelineConstructionError(`Create.windowedValues: value ${i} ${problem}; give windows of its kind, or the window fn that makes them`);
      }
    });
    const windowing: WindowingStrategy = { windowFn, timestampCombiner: "END_OF_WINDOW", accumulationMode: "DISCARDING", allowedLatenessMillis: 0 };
    return new (class CreateWindowedValues extends PTransform<PBegin, PCollection<T>> {
      expand(input: PBegin): PCollection<T> {
        const out = input.apply("Impulse", Impulse.create()).apply("Values", ParDo.of(new EmitWindowedValues<T>(values)));
        out.windowing = windowing;
        return out;
      }
    })("Create");
  }

  /** Values with event timestamps (for windowing tests). */
  static timestamped<T>(values: readonly TimestampedValue<T>[]): PTransform<PBegin, PCollection<T>> {
    return new (class CreateTimestamped extends PTransform<PBegin, PCollection<T>> {
      expand(input: PBegin): PCollection<T> {
        return input.apply("Impulse", Impulse.create()).apply(
          "Values",
          ParDo.into<T>().of((_, ctx) => {
            for (const v of values) ctx.outputWithTimestamp(v.value, v.timestamp);
          }),
        );
      }
    })("Create");
  }
}

/** A value in given windows, for `Create.windowedValues` (Beam Java's WindowedValue without a pane). */
export interface WindowedValueOf<T> {
  /** The element. */
  readonly value: T;
  /** Its event time (epoch milliseconds). */
  readonly timestamp: Instant;
  /** The windows it is in (at least one), of the kind the window fn makes. */
  readonly windows: readonly BoundedWindow[];
}

/** Outputs the values in their windows, from the bundle that received the impulse. */
class EmitWindowedValues<T> extends DoFn<Uint8Array, T> {
  private impulsed = false;
  constructor(private readonly values: readonly WindowedValueOf<T>[]) {
    super();
  }
  process(): void {
    this.impulsed = true;
  }
  // A process context places outputs in the input's window only; a bundle context places each
  // where it says (and without a pane, as Beam's WindowedValue of NO_FIRING).
  finishBundle(ctx: BundleContext<T>): void {
    if (!this.impulsed) return;
    this.impulsed = false;
    for (const v of this.values) for (const window of v.windows) ctx.output(v.value, { timestamp: v.timestamp, window });
  }
}

/** Why `window` is not one `windowFn` makes (undefined when it is). */
function foreignWindow(window: BoundedWindow, windowFn: WindowFn): string | undefined {
  const ok = windowFn.windowCoderUrn === "beam:coder:global_window:v1" ? window instanceof GlobalWindow : window instanceof IntervalWindow;
  if (ok) return undefined;
  const shown = window instanceof IntervalWindow ? `[${window.start}, ${window.end})` : window instanceof GlobalWindow ? "the global window" : window.id();
  return `is in window ${shown}, which ${windowFn.constructor.name} does not make`;
}

/**
 * Redistributes elements across workers and breaks fusion (so a slow step after a fan-out runs
 * in parallel). Elements keep their timestamps and windows.
 */
export class Reshuffle<T> extends PTransform<PCollection<T>, PCollection<T>> {
  private constructor(private readonly numBuckets = 1024) {
    super("Reshuffle");
  }

  /** Beam Java's name: each element gets a random key for the shuffle, dropped after it. */
  static viaRandomKey<T>(): Reshuffle<T> {
    return new Reshuffle<T>();
  }

  /**
   * The random keys are drawn from `n` values (default 1024), so the shuffle makes at most `n`
   * groups: Beam Java's `Reshuffle.viaRandomKey().withNumBuckets(n)`, Beam Python's
   * `Reshuffle(num_buckets=n)`. `n` must be an integer greater than 0.
   */
  withNumBuckets(n: number): Reshuffle<T> {
    if (!(Number.isInteger(n) && n > 0)) throw new PipelineConstructionError(`Reshuffle.withNumBuckets needs an integer greater than 0, got ${String(n)}`);
    return new Reshuffle<T>(n);
  }

  expand(input: PCollection<T>): PCollection<T> {
    const node = input.pipeline.currentNode();
    node.composite = { urn: "beam:transform:reshuffle:v1" };
    let counter = 0;
    const buckets = this.numBuckets;
    const keyed = input.map("AddRandomKey", (x: T) => kv((counter = (counter * 1103515245 + 12345) & 0x7fffffff) % buckets, x));
    // As Beam Java's Reshuffle.viaRandomKey: the keyed elements are KV(varint, the input's coder),
    // so a runner that runs the expansion (it encodes them) encodes the values as the input does;
    // the default coder cannot stand in for one set explicitly (reified windows, class instances).
    if (input.coder !== undefined) {
      // Loaded only here: a read's Reshuffle (of elements without a coder) runs in every word count.
      // eslint-disable-next-line @typescript-eslint/no-require-imports
      const varInt = (require("../coders/primitive") as { VarIntCoder: typeof VarIntCoder }).VarIntCoder.INSTANCE;
      keyed.setCoder(new KVCoder(varInt, input.coder));
    }
    const out = groupForShuffle(keyed, input.windowing).flatMap("DropKey", (group: KV<number, T[]>) => group.value);
    if (input.coder !== undefined) out.setCoder(input.coder);
    return out;
  }
}

/**
 * @internal The GroupByKey of a Reshuffle or Redistribute, over `keyed`, a collection made inside
 * the transform (its windowing is set here). As Beam's: the grouping fires for every element (its
 * own trigger, discarding, no element late), whatever the input's windowing, so it passes elements
 * on at once and is valid on unbounded input in the global window; its output gets the input's
 * windowing back.
 */
export function groupForShuffle<K, V>(keyed: PCollection<KV<K, V>>, inputWindowing: WindowingStrategy): PCollection<KV<K, V[]>> {
  keyed.windowing = {
    windowFn: inputWindowing.windowFn,
    trigger: Repeatedly(AfterCount(1)),
    accumulationMode: "DISCARDING",
    timestampCombiner: "EARLIEST",
    allowedLatenessMillis: MAX_TIMESTAMP,
  };
  const grouped = keyed.apply("GroupByKey", GroupByKey.create<K, V>());
  grouped.windowing = inputWindowing;
  return grouped;
}

/**
 * The distinct elements (compared by their deterministic encoding), once per window. As Beam
 * Java's Distinct: an element is emitted from its first pane only, so a trigger that fires a
 * window several times (early panes, accumulating, late data) does not repeat it.
 */
export class Distinct<T> extends PTransform<PCollection<T>, PCollection<T>> {
  private constructor() {
    super("Distinct");
  }

  /** `pcoll.apply(Distinct.create())`. */
  static create<T>(): Distinct<T> {
    return new Distinct<T>();
  }

  /**
   * One element per representative value (Beam Java's `Distinct.withRepresentativeValueFn`):
   * elements with equal `fn(element)` (compared by encoding) count as duplicates, and one of them,
   * any one, is kept, per window and from the first pane only, as `create()`.
   * `events.apply(Distinct.withRepresentativeValueFn((e) => e.id))`.
   */
  static withRepresentativeValueFn<T, Id>(fn: (element: T) => Id): PTransform<PCollection<T>, PCollection<T>> {
    if (typeof fn !== "function") throw new PipelineConstructionError(`Distinct.withRepresentativeValueFn needs a function of the element, got ${String(fn)}`);
    return new DistinctByRepresentative(fn);
  }

  expand(input: PCollection<T>): PCollection<T> {
    const out = input
      .map("PairWithNull", (x: T) => kv(x, null))
      .apply("GroupByKey", GroupByKey.create())
      .apply(
        "Key",
        ParDo.into<T>().of((g: KV<T, null[]>, ctx) => {
          if (ctx.pane.isFirst) ctx.output(g.key);
        }),
      );
    if (input.coder !== undefined) out.setCoder(input.coder);
    return out;
  }
}

/** Any one of a key's values: its accumulator holds the first it is given (Java's `(left, right) -> left`). */
function anyOneFn<T>(): CombineFn<T, T[], T[]> {
  return {
    createAccumulator: () => [],
    addInput: (acc, x) => (acc.length === 0 ? [x] : acc),
    mergeAccumulators: (accs) => {
      for (const a of accs) if (a.length > 0) return a;
      return [];
    },
    extractOutput: (acc) => acc,
  };
}

/** Distinct by a function's value: one element of each representative value (see Distinct.withRepresentativeValueFn). */
class DistinctByRepresentative<T, Id> extends PTransform<PCollection<T>, PCollection<T>> {
  constructor(private readonly fn: (element: T) => Id) {
    super("Distinct");
  }

  expand(input: PCollection<T>): PCollection<T> {
    const fn = this.fn;
    const out = input
      .map("KeyByRepresentativeValue", (x: T) => kv(fn(x), x))
      .apply("OneValuePerKey", Combine.perKey<Id, T, T[], T[]>(anyOneFn<T>()))
      .apply(
        "KeepFirstPane",
        // A pane after the first repeats a value already out; a pane with no input (a discarding
        // trigger's on-time firing after early ones took every element) has none to output.
        ParDo.into<T>().of((e: KV<Id, T[]>, ctx) => {
          if (ctx.pane.isFirst && e.value.length > 0) ctx.output(e.value[0]!);
        }),
      );
    if (input.coder !== undefined) out.setCoder(input.coder);
    return out;
  }
}

/** Keys each element by a function of it: T → KV<K, T>. */
export class WithKeys<T, K> extends PTransform<PCollection<T>, PCollection<KV<K, T>>> {
  private constructor(
    private readonly keyFn: (element: T, sideInputs: Readonly<Record<string, unknown>>) => K,
    private readonly sideInputs?: SideInputViews<Record<string, unknown>>,
  ) {
    super("WithKeys");
  }

  /** `words.apply(WithKeys.of((w) => w[0]))`. */
  static of<T, K>(keyFn: (element: T) => K): WithKeys<T, K>;
  /**
   * A key function that reads side inputs (Beam Python's `WithKeys(fn, *side_inputs)`): its
   * second argument holds each side input by name, seen from the element's window, as a DoFn's
   * `ctx.sideInputs`. `pc.apply(WithKeys.of((x, s) => x + s.offset, { sideInputs: { offset: AsSingleton(offsets) } }))`.
   */
  static of<T, K, Sides extends SideInputTypes>(keyFn: (element: T, sideInputs: Readonly<Sides>) => K, options: { readonly sideInputs: SideInputViews<Sides> }): WithKeys<T, K>;
  /**
   * `words.apply(WithKeys.of("all"))`: every element under one key (Beam Java's
   * `WithKeys.of(key)`; null too). A function is taken as a key function, never as the key.
   */
  static of<T, K>(key: K extends (...args: never[]) => unknown ? never : K): WithKeys<T, K>;
  static of<T, K>(keyOrFn: ((element: T, sideInputs: Readonly<Record<string, unknown>>) => K) | K, options?: { readonly sideInputs: SideInputViews<object> }): WithKeys<T, K> {
    if (typeof keyOrFn === "function") return new WithKeys(keyOrFn as (element: T, sideInputs: Readonly<Record<string, unknown>>) => K, options?.sideInputs as SideInputViews<Record<string, unknown>> | undefined);
    const key = keyOrFn;
    return new WithKeys(() => key);
  }

  expand(input: PCollection<T>): PCollection<KV<K, T>> {
    const keyFn = this.keyFn;
    const out =
      this.sideInputs === undefined
        ? input.map("AddKeys", (x: T) => kv(keyFn(x, {}), x))
        : input.apply(
            "AddKeys",
            ParDo.into<KV<K, T>>().of((x: T, ctx: ProcessContext<KV<K, T>, {}, Record<string, unknown>>) => ctx.output(kv(keyFn(x, ctx.sideInputs), x)), { sideInputs: this.sideInputs }),
          );
    // As Beam Java's WithKeys (KvCoder of the key coder and the input's): a coder set upstream
    // (reified windows, class instances) stays the values' coder; keys take the default one.
    if (input.coder !== undefined) out.setCoder(new KVCoder(DeterministicJsValueCoder.INSTANCE as Coder<K>, input.coder));
    return out;
  }
}

/** The keys of a KV collection. */
export class Keys<K> extends PTransform<PCollection<KV<K, unknown>>, PCollection<K>> {
  private constructor() {
    super("Keys");
  }

  /** `pairs.apply(Keys.create())`. */
  static create<K>(): Keys<K> {
    return new Keys<K>();
  }

  expand(input: PCollection<KV<K, unknown>>): PCollection<K> {
    const out = input.map("Keys", (e: KV<K, unknown>) => e.key);
    // As Beam Java's Keys, whose output coder is the KvCoder's key coder.
    if (input.coder instanceof KVCoder) out.setCoder(input.coder.keyCoder as Coder<K>);
    return out;
  }
}

/** The values of a KV collection. */
export class Values<V> extends PTransform<PCollection<KV<unknown, V>>, PCollection<V>> {
  private constructor() {
    super("Values");
  }

  /** `pairs.apply(Values.create())`. */
  static create<V>(): Values<V> {
    return new Values<V>();
  }

  expand(input: PCollection<KV<unknown, V>>): PCollection<V> {
    const out = input.map("Values", (e: KV<unknown, V>) => e.value);
    // As Beam Java's Values: a value coder set upstream (reified windows, class instances) stays.
    if (input.coder instanceof KVCoder) out.setCoder(input.coder.valueCoder as Coder<V>);
    return out;
  }
}

/** Swaps the key and value of each element: KV<K, V> → KV<V, K> (Beam's KvSwap). */
export class KvSwap<K, V> extends PTransform<PCollection<KV<K, V>>, PCollection<KV<V, K>>> {
  private constructor() {
    super("KvSwap");
  }

  /** `pairs.apply(KvSwap.create())`: the types come from where it is applied. */
  static create<K, V>(): KvSwap<K, V> {
    return new KvSwap<K, V>();
  }

  expand(input: PCollection<KV<K, V>>): PCollection<KV<V, K>> {
    // No coder from the input's: its value coder need not be deterministic, as a key coder must.
    return input.map("KvSwap", (e: KV<K, V>) => kv(e.value, e.key));
  }
}

/** A partition function: the partition index of an element, reading the declared side inputs. */
export type PartitionFn<T, Sides extends SideInputTypes = {}> = (element: T, numPartitions: number, sideInputs: Readonly<Sides>) => number;

class PartitionDoFn<T> extends DoFn<T, T, Record<string, T>, Record<string, unknown>> {
  constructor(
    private readonly n: number,
    private readonly fn: PartitionFn<T, Record<string, unknown>>,
  ) {
    super();
  }
  process(element: T, ctx: ProcessContext<T, Record<string, T>, Record<string, unknown>>): void {
    const i = this.fn(element, this.n, ctx.sideInputs);
    if (!(Number.isInteger(i) && i >= 0 && i < this.n)) {
      throw new RangeError(`Partition function returned ${i}; it must return an integer in [0, ${this.n})`);
    }
    ctx.outputTo(`p${i}`, element);
  }
}

/**
 * Splits a collection into `n` by a function returning the partition index of each element,
 * which may read side inputs (Beam Java's `Partition.of(n, fn, requiresSideInputs(...))`, Beam
 * Python's `Partition(fn, n, *side_inputs)`):
 *
 * ```ts
 * const [below, above] = students.apply(Partition.of(2, (grade, _n, s) => (grade < s.pass ? 0 : 1), { sideInputs: { pass: AsSingleton(passMark) } }));
 * ```
 */
export class Partition<T> extends PTransform<PCollection<T>, PCollection<T>[]> {
  private constructor(
    private readonly n: number,
    private readonly fn: PartitionFn<T, Record<string, unknown>>,
    private readonly sideInputs: SideInputViews<object> | undefined,
  ) {
    super("Partition");
  }

  /**
   * `nums.apply(Partition.of(2, (n) => n % 2))`: an array of `n` collections. With
   * `{ sideInputs: { name: view } }`, the function's third argument holds each side input by
   * name, as a DoFn's `ctx.sideInputs` (seen from the element's window).
   */
  static of<T, Sides extends SideInputTypes = {}>(n: number, fn: PartitionFn<T, Sides>, options: { readonly sideInputs?: SideInputViews<Sides> } = {}): Partition<T> {
    if (!(Number.isInteger(n) && n > 0)) throw new PipelineConstructionError(`Partition needs a positive number of partitions, got ${n}`);
    return new Partition(n, fn as unknown as PartitionFn<T, Record<string, unknown>>, options.sideInputs);
  }

  expand(input: PCollection<T>): PCollection<T>[] {
    const tags = Array.from({ length: this.n }, (_, i) => `p${i}`);
    const doFn = new PartitionDoFn<T>(this.n, this.fn);
    const parDo = this.sideInputs !== undefined ? ParDo.of(doFn, { sideInputs: this.sideInputs as SideInputViews<Record<string, unknown>> }) : ParDo.of(doFn, {});
    const outs = input.apply("ParDo", parDo.withOutputs(...tags)) as unknown as Record<string, PCollection<T>>;
    return tags.map((t) => outs[t]!);
  }
}
