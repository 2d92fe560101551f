/**
 * Combining: CombinePerKey / CombineGlobally with a CombineFn, the usual combiners, and Count.
 *
 * Runners lift combines: inputs are partially combined before the shuffle (one accumulator per
 * key and window per bundle) and accumulators are merged after it, so a `Combine.perKey(sum)`
 * shuffles one value per key per bundle instead of every element.
 */
import { withCombineLifecycle } from "../model/combine_lifecycle";
import { encodeToBytes } from "../coders/coder";
import { DeterministicJsValueCoder } from "../coders/js_value";
import type { CombineFn, CombineFnLike, CombineFnWithContext } from "../model/combine_fn";
import { DoFn, ProcessContext, SideInputTypes } from "../model/dofn";
import { PipelineConstructionError } from "../model/errors";
import { PCollection } from "../model/pcollection";
import { ParDo } from "../model/pardo";
import { Flatten, GroupByKey, Impulse } from "../model/primitives";
import { AsIterable, SideInputViews } from "../model/side_inputs";
import { PTransform } from "../model/transform";
import { KV, kv } from "../model/window";
import type * as WithContext from "./combine_with_context";

/** The combine-with-side-inputs module, loaded by the pipelines whose combines read side inputs. */
function withContext(): typeof WithContext {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  return require("./combine_with_context") as typeof WithContext;
}
import type { CombinePerKeyWithHotKeyFanout, HotKeyFanout } from "./hot_key_fanout";

export type { CombineContext, CombineFn, CombineFnWithContext } from "../model/combine_fn";

/** The side inputs of a combine, by name (as a ParDo's): `{ sideInputs: { threshold: AsSingleton(pc) } }`. */
export interface CombineSideInputOptions<Sides extends SideInputTypes> {
  /**
   * The side inputs the CombineFnWithContext reads, by name; its methods read them as
   * `ctx.sideInputs.threshold`, typed from the view, in the window being combined. A combine with
   * side inputs is not lifted (see combine_with_context.ts).
   */
  readonly sideInputs: SideInputViews<Sides>;
}

/** Runs a CombineFn over all values at once (what a runner does after the shuffle without lifting). */
export function combineAll<In, Acc, Out>(fn: CombineFn<In, Acc, Out>, values: Iterable<In>): Out {
  let acc = fn.createAccumulator();
  for (const v of values) acc = fn.addInput(acc, v);
  return fn.extractOutput(acc);
}

/** Combines the values of each key: KV<K, In> → KV<K, Out>. Made by `Combine.perKey(fn)`. */
export class CombinePerKey<K, In, Acc, Out, Sides extends SideInputTypes = {}> extends PTransform<PCollection<KV<K, In>>, PCollection<KV<K, Out>>> {
  /** @internal Use Combine.perKey. */
  constructor(
    /** The aggregation (a plain CombineFn when there are no side inputs). */
    readonly combineFn: CombineFnWithContext<In, Acc, Out, Sides>,
    /** The side inputs its methods read, by name (`Combine.perKey(fn, { sideInputs })`). */
    readonly sideInputs?: SideInputViews<Sides>,
    /** The default name of its applications (`Mean.perKey()` gives "MeanPerKey"). */
    label = "CombinePerKey",
  ) {
    super(label);
    // Its setup runs before its first use wherever it is called (see combine_lifecycle.ts).
    this.combineFn = withCombineLifecycle(combineFn);
    if (sideInputs !== undefined) withContext().checkedCombineSideInputs(sideInputs, "Combine.perKey");
  }
  expand(input: PCollection<KV<K, In>>): PCollection<KV<K, Out>> {
    if (this.sideInputs !== undefined) {
      // Not a combine_per_key composite: runners would lift it into phases that have no side
      // inputs. A GroupByKey and a ParDo reading the side inputs, as Beam Python builds it.
      const combine = ParDo.of(new (withContext().CombineGroupsWithContext)<K, In, Acc, Out, Sides>(this.combineFn), { sideInputs: this.sideInputs } as never);
      return input.apply("GroupByKey", GroupByKey.create()).apply("Combine", combine as unknown as PTransform<PCollection<KV<K, In[]>>, PCollection<KV<K, Out>>>);
    }
    const node = input.pipeline.currentNode();
    node.composite = { urn: "beam:transform:combine_per_key:v1", combineFn: this.combineFn as unknown as CombineFnLike };
    // Without side inputs the fn is a plain CombineFn (Combine.perKey's overloads), called without a context.
    const fn = this.combineFn as unknown as CombineFn<In, Acc, Out>;
    return input
      .apply("GroupByKey", GroupByKey.create())
      .map("Combine", (group: KV<K, In[]>) => kv(group.key, combineAll(fn, group.value)));
  }

  /**
   * The same combine, with each key whose values are many spread over intermediate keys first
   * (Beam's `withHotKeyFanout`): a key's values are pre-combined under `fanout` intermediate keys
   * and the accumulators merged per key after, so no one worker combines all of a hot key's
   * values. `fanout` is a number for every key or a function of the key; 1 or less means no
   * fanout for that key. `pairs.apply(Combine.perKey(Combiners.sum()).withHotKeyFanout(10))`.
   */
  withHotKeyFanout<K2 extends K = K>(fanout: HotKeyFanout<K2>): CombinePerKeyWithHotKeyFanout<K2, In, Acc, Out, Sides> {
    // Loaded on first use: most programs never fan out (and a word count starts without it).
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const { CombinePerKeyWithHotKeyFanout: WithFanout } = require("./hot_key_fanout") as typeof import("./hot_key_fanout");
    return new WithFanout<K2, In, Acc, Out, Sides>(this.combineFn, fanout, this.sideInputs);
  }
}

/**
 * Combines all elements (per window) into one; an empty global-window input gives the combine of
 * nothing. Made by `Combine.globally(fn)`.
 */
export class CombineGlobally<In, Acc, Out, Sides extends SideInputTypes = {}> extends PTransform<PCollection<In>, PCollection<Out>> {
  /** @internal Use Combine.globally. */
  constructor(
    /** The aggregation (a plain CombineFn when there are no side inputs). */
    readonly combineFn: CombineFnWithContext<In, Acc, Out, Sides>,
    /** Whether an empty input gives the combine of nothing (false with `withoutDefaults`). */
    readonly insertDefault = true,
    /** The side inputs its methods read, by name (`Combine.globally(fn, { sideInputs })`). */
    readonly sideInputs?: SideInputViews<Sides>,
    /** Intermediate keys to pre-combine over first (`withFanout`; below 2: none). */
    readonly fanout = 0,
    /** The default name of its applications (`Mean.globally()` gives "MeanGlobally"). */
    label = "CombineGlobally",
  ) {
    super(label);
    this.combineFn = withCombineLifecycle(combineFn);
    if (sideInputs !== undefined) withContext().checkedCombineSideInputs(sideInputs, "Combine.globally");
  }

  /**
   * The same combine, pre-combined first under `fanout` intermediate keys (Beam Java's
   * `withFanout`, Python's `with_fanout`), so no one worker combines every element: each bundle's
   * elements are combined under one of `fanout` random keys, and the accumulators merged into the
   * one result per window after. Below 2, no fanout. Side inputs and defaults are kept.
   */
  withFanout(fanout: number): CombineGlobally<In, Acc, Out, Sides> {
    if (!Number.isInteger(fanout)) throw new PipelineConstructionError(`Combine.globally(fn).withFanout needs an integer (below 2 for no fanout), got ${String(fanout)}`);
    return new CombineGlobally<In, Acc, Out, Sides>(this.combineFn, this.insertDefault, this.sideInputs, fanout, this.label);
  }

  expand(input: PCollection<In>): PCollection<Out> {
    const node = input.pipeline.currentNode();
    if (this.sideInputs === undefined) node.composite = { urn: "beam:transform:combine_globally:v1", combineFn: this.combineFn as unknown as CombineFnLike };
    const perKey = new CombinePerKey<null, In, Acc, Out, Sides>(this.combineFn, this.sideInputs);
    const combined = input
      .map("KeyAll", (x: In) => kv(null, x))
      .apply("CombinePerKey", this.fanout >= 2 ? perKey.withHotKeyFanout(this.fanout) : perKey)
      .map("Unkey", (r: KV<null, Out>) => r.value);
    if (!this.insertDefault) return combined;
    if (input.windowing.windowFn.urn !== "beam:window_fn:global_windows:v1") {
      throw new PipelineConstructionError(
        "Combine.globally over non-global windows cannot emit a default for empty windows; use Combine.globally(fn, { withoutDefaults: true }) " +
          "(empty windows then give nothing), or, to read the combine of nothing for empty windows as a side input (Beam's asSingletonView), " +
          "AsSingleton(input.apply(Combine.globally(fn, { withoutDefaults: true })), { default: fn.extractOutput(fn.createAccumulator()) })",
        node.fullName,
      );
    }
    // As Beam Java does: the combined results flow on as they are (with the grouping's timestamp
    // and pane, each pane as its trigger fires), and a separate branch emits the default only if
    // they turn out empty. Routing the results themselves through the side input would lose their
    // panes and timestamps and, in a triggered global window, hold them until the input ends.
    const view = AsIterable(combined);
    const fn = this.combineFn;
    // The combined results are read under a name the combine's own side inputs do not use.
    let name = "combined";
    while (this.sideInputs !== undefined && name in this.sideInputs) name += "_";
    // With side inputs, the combine of nothing reads them (in the global window), as Beam Python's.
    const defaultIfEmpty = input.pipeline
      .apply("DefaultImpulse", Impulse.create())
      .apply(
        "InjectDefault",
        ParDo.of(
          new InjectDefault<Out, Sides>(name, (ctx) => {
            const cctx = withContext().contextOf(ctx);
            return fn.extractOutput(fn.createAccumulator(cctx), cctx);
          }),
          { sideInputs: { ...this.sideInputs, [name]: view } } as never,
        ),
      );
    if (combined.coder !== undefined) defaultIfEmpty.setCoder(combined.coder);
    // As Beam Java: the default takes the combined results' windowing (trigger included), so the
    // two flatten together (Flatten refuses inputs with incompatible triggers).
    defaultIfEmpty.windowing = combined.windowing;
    return combined.apply("FlattenDefault", Flatten.with(defaultIfEmpty));
  }
}

/** Emits the combine of nothing when the combined results (its side input `name`) are empty. */
class InjectDefault<Out, Sides extends SideInputTypes> extends DoFn<Uint8Array, Out, {}, Sides> {
  constructor(
    private readonly name: string,
    private readonly makeDefault: (ctx: ProcessContext<Out, {}, Sides>) => Out,
  ) {
    super();
  }
  process(_impulse: Uint8Array, ctx: ProcessContext<Out, {}, Sides>): void {
    const combined = (ctx.sideInputs as Record<string, readonly Out[]>)[this.name]!;
    if (combined.length === 0) ctx.output(this.makeDefault(ctx));
  }
}

/** How many values a function's accumulator holds before it reduces them to one (Beam Python's CallableWrapperCombineFn's). */
const CALLABLE_BUFFER_SIZE = 10;

/**
 * The CombineFn of a plain function of values (Beam Python's CallableWrapperCombineFn, Java's
 * IterableCombineFn): its accumulator buffers values and reduces them with the function when the
 * buffer is full; merging reduces all the accumulators' values at once, and the output is the
 * function of what is left. So the function must be associative and commutative, and its output
 * a value it accepts again (a sum, a max, a join), as Beam requires.
 */
export function iterableCombineFn<V>(fn: (values: V[]) => V): CombineFn<V, V[], V> {
  return {
    createAccumulator: () => [],
    addInput: (acc, x) => {
      acc.push(x);
      return acc.length > CALLABLE_BUFFER_SIZE ? [fn(acc)] : acc;
    },
    mergeAccumulators: (accs) => {
      const all: V[] = [];
      for (const a of accs) all.push(...a);
      return [fn(all)];
    },
    extractOutput: (acc) => fn(acc),
    compact: (acc) => (acc.length > 1 ? [fn(acc)] : acc),
  };
}

/** The CombineFn of `fn`: `fn` itself, or the iterableCombineFn of a plain function. */
function combineFnOf<In, Acc, Out, Sides extends SideInputTypes>(fn: CombineFnWithContext<In, Acc, Out, Sides> | ((values: In[]) => In)): CombineFnWithContext<In, Acc, Out, Sides> {
  return typeof fn === "function" ? (iterableCombineFn(fn) as unknown as CombineFnWithContext<In, Acc, Out, Sides>) : fn;
}

function perKey<K, In, Acc, Out, Sides extends SideInputTypes>(
  fn: CombineFnWithContext<In, Acc, Out, Sides> | ((values: In[]) => In),
  options?: Partial<CombineSideInputOptions<Sides>>,
): CombinePerKey<K, In, Acc, Out, Sides> {
  return new CombinePerKey<K, In, Acc, Out, Sides>(combineFnOf(fn), options?.sideInputs);
}

function globally<In, Acc, Out, Sides extends SideInputTypes>(
  fn: CombineFnWithContext<In, Acc, Out, Sides> | ((values: In[]) => In),
  options: Partial<CombineSideInputOptions<Sides>> & { readonly withoutDefaults?: boolean } = {},
): CombineGlobally<In, Acc, Out, Sides> {
  return new CombineGlobally<In, Acc, Out, Sides>(combineFnOf(fn), options.withoutDefaults !== true, options.sideInputs);
}

/**
 * Combining transforms (Beam's CombinePerKey and CombineGlobally), lifted by runners: inputs are
 * combined partially before the shuffle and the accumulators merged after it.
 *
 * ```ts
 * pairs.apply("SumPerKey", Combine.perKey(Combiners.sum()));   // KV<K, number> → KV<K, number>
 * nums.apply("Max", Combine.globally(Combiners.max()));        // one value per window
 * ```
 */
export const Combine = {
  /**
   * Combines the values of each key (per window): `KV<K, In>` → `KV<K, Out>`. `fn` is a
   * CombineFn, or a plain function of an array of values (Beam Python's `CombinePerKey(sum)`,
   * Java's `Combine.perKey(SerializableFunction)`): `Combine.perKey((xs: number[]) => Math.max(...xs))`,
   * reducing buffers of values and then the partial results, so it must be associative and
   * commutative, as Beam requires. With
   * `{ sideInputs: { name: view } }`, a CombineFnWithContext reads them in the window being
   * combined (Beam Java's `withSideInputs`); such a combine is not lifted.
   */
  perKey: perKey as {
    <K, In, Acc, Out>(fn: CombineFn<In, Acc, Out>): CombinePerKey<K, In, Acc, Out>;
    <K, V>(fn: (values: V[]) => V): CombinePerKey<K, V, V[], V>;
    <K, In, Acc, Out, Sides extends SideInputTypes>(fn: CombineFnWithContext<In, Acc, Out, Sides>, options: CombineSideInputOptions<Sides>): CombinePerKey<K, In, Acc, Out, Sides>;
  },
  /**
   * Combines all elements (per window) into one; `fn` a CombineFn or a plain function of an
   * array of values, as `perKey` (Python's `CombineGlobally(sum)`). An empty input in the global window gives the
   * combine of nothing (e.g. a sum of 0); over other windows pass `{ withoutDefaults: true }`,
   * and empty windows then give nothing. With `sideInputs`, as `perKey` (the combine of nothing
   * then reads them in the global window).
   */
  globally: globally as {
    <In, Acc, Out>(fn: CombineFn<In, Acc, Out>, options?: { readonly withoutDefaults?: boolean }): CombineGlobally<In, Acc, Out>;
    <V>(fn: (values: V[]) => V, options?: { readonly withoutDefaults?: boolean }): CombineGlobally<V, V[], V>;
    <In, Acc, Out, Sides extends SideInputTypes>(
      fn: CombineFnWithContext<In, Acc, Out, Sides>,
      options: CombineSideInputOptions<Sides> & { readonly withoutDefaults?: boolean },
    ): CombineGlobally<In, Acc, Out, Sides>;
  },
};

/** A CombineFn from an associative, commutative binary function and its identity. */
export function binaryCombineFn<T>(combine: (a: T, b: T) => T, identity: () => T): CombineFn<T, T, T> {
  return {
    createAccumulator: identity,
    addInput: (acc, x) => combine(acc, x),
    mergeAccumulators: (accs) => {
      let result = identity();
      for (const a of accs) result = combine(result, a);
      return result;
    },
    extractOutput: (acc) => acc,
  };
}

/** Sentinel-free min/max accumulator: undefined until the first input. */
function extremum<T>(
  better: (a: T, b: T) => boolean,
): CombineFn<
  T,
  {
    /** The best value so far. */
    v?: T;
    /** Whether there was any input. */
    has: boolean;
  },
  T | undefined
> {
  return {
    createAccumulator: () => ({ has: false }),
    addInput: (acc, x) => {
      if (!acc.has || better(x, acc.v as T)) {
        acc.v = x;
        acc.has = true;
      }
      return acc;
    },
    mergeAccumulators: (accs) => {
      const out: { v?: T; has: boolean } = { has: false };
      for (const a of accs) if (a.has && (!out.has || better(a.v as T, out.v as T))) Object.assign(out, { v: a.v, has: true });
      return out;
    },
    extractOutput: (acc) => acc.v,
  };
}

function naturalLess<T>(a: T, b: T): boolean {
  return (a as unknown as number) < (b as unknown as number);
}

/**
 * A key under which values equal as Beam compares them (by value) are one: a primitive as itself
 * (as a Map compares it), an object or array by its deterministic encoding, so `[1, 2]` and a
 * decoded copy of it (accumulators cross the shuffle encoded) are the same member. Strings that
 * could look like an encoding are escaped so the two never collide.
 */
function valueKey(x: unknown): unknown {
  if (typeof x === "string") return x.startsWith("\u0000") ? `\u0000${x}` : x;
  if (typeof x !== "object" || x === null) return x;
  return `\u0000o${Buffer.from(encodeToBytes(DeterministicJsValueCoder.INSTANCE, x)).toString("base64")}`;
}

/**
 * @internal The `addInput` of `Combiners.count()`: a runner that finds it on a CombineFn may add 1
 * per element itself (no call, no metrics scope: it runs no user code and cannot throw).
 */
export const countAddInput = (acc: number): number => acc + 1;

/** The usual CombineFns. */
export const Combiners = {
  /** Sum of numbers (0 for none). */
  sum: (): CombineFn<number, number, number> => binaryCombineFn((a, b) => a + b, () => 0),
  /** Number of elements. */
  count: <T = unknown>(): CombineFn<T, number, number> => ({
    createAccumulator: () => 0,
    addInput: countAddInput,
    mergeAccumulators: (accs) => {
      let n = 0;
      for (const a of accs) n += a;
      return n;
    },
    extractOutput: (acc) => acc,
  }),
  /** Arithmetic mean (NaN for no elements). */
  mean: (): CombineFn<
    number,
    {
      /** Sum of the inputs. */
      sum: number;
      /** Number of inputs. */
      count: number;
    },
    number
  > => ({
    createAccumulator: () => ({ sum: 0, count: 0 }),
    addInput: (acc, x) => {
      acc.sum += x;
      acc.count++;
      return acc;
    },
    mergeAccumulators: (accs) => {
      const out = { sum: 0, count: 0 };
      for (const a of accs) {
        out.sum += a.sum;
        out.count += a.count;
      }
      return out;
    },
    extractOutput: (acc) => (acc.count === 0 ? NaN : acc.sum / acc.count),
  }),
  /** Smallest element by `<` or a comparator (undefined for none). */
  min: <T = number>(compare?: (a: T, b: T) => number) => extremum<T>(compare ? (a, b) => compare(a, b) < 0 : naturalLess),
  /** Largest element by `>` or a comparator (undefined for none). */
  max: <T = number>(compare?: (a: T, b: T) => number) => extremum<T>(compare ? (a, b) => compare(a, b) > 0 : (a, b) => naturalLess(b, a)),
  /** The n largest elements, largest first (by `compare`, default natural order). */
  top: <T>(n: number, compare: (a: T, b: T) => number = (a, b) => (naturalLess(a, b) ? -1 : naturalLess(b, a) ? 1 : 0)): CombineFn<T, T[], T[]> => {
    if (!(Number.isInteger(n) && n >= 0)) throw new RangeError(`Combiners.top needs an integer count, 0 or more (0 gives empty lists, as Beam's Top); got ${n}`);
    const trim = (xs: T[]): T[] => {
      xs.sort((a, b) => compare(b, a));
      if (xs.length > n) xs.length = n;
      return xs;
    };
    return {
      createAccumulator: () => [],
      addInput: (acc, x) => {
        acc.push(x);
        return acc.length > 2 * n ? trim(acc) : acc;
      },
      mergeAccumulators: (accs) => {
        const all: T[] = [];
        for (const a of accs) all.push(...a);
        return trim(all);
      },
      extractOutput: (acc) => trim([...acc]),
      compact: (acc) => trim(acc),
    };
  },
  /** The n smallest elements, smallest first. */
  smallest: <T>(n: number, compare: (a: T, b: T) => number = (a, b) => (naturalLess(a, b) ? -1 : naturalLess(b, a) ? 1 : 0)) =>
    Combiners.top<T>(n, (a, b) => compare(b, a)),
  /**
   * The KVs as a Map from key to value (Beam Python's `ToDict`); of KVs with equal keys one is
   * kept, which is arbitrary, as in Beam. Keys are compared by value (`[1, 2]` and another
   * `[1, 2]` are one key); the Map you get compares object keys by identity, as Maps do.
   */
  toDict: <K, V>(): CombineFn<KV<K, V>, Map<unknown, KV<K, V>>, Map<K, V>> => ({
    createAccumulator: () => new Map(),
    addInput: (acc, x) => acc.set(valueKey(x.key), x),
    mergeAccumulators: (accs) => {
      const out = new Map<unknown, KV<K, V>>();
      for (const a of accs) for (const [k, e] of a) out.set(k, e);
      return out;
    },
    extractOutput: (acc) => new Map([...acc.values()].map((e) => [e.key, e.value])),
  }),
  /**
   * The distinct elements as a Set (Beam Python's `ToSet`). Elements are compared by value, as
   * Beam compares them (`[1, 2]` twice is one member).
   */
  toSet: <T>(): CombineFn<T, Map<unknown, T>, Set<T>> => ({
    createAccumulator: () => new Map(),
    addInput: (acc, x) => acc.set(valueKey(x), x),
    mergeAccumulators: (accs) => {
      const out = new Map<unknown, T>();
      for (const a of accs) for (const [k, x] of a) out.set(k, x);
      return out;
    },
    extractOutput: (acc) => new Set(acc.values()),
  }),
  /** All elements as an array. */
  toList: <T>(): CombineFn<T, T[], T[]> => ({
    createAccumulator: () => [],
    addInput: (acc, x) => {
      acc.push(x);
      return acc;
    },
    mergeAccumulators: (accs) => {
      const out: T[] = [];
      for (const a of accs) out.push(...a);
      return out;
    },
    extractOutput: (acc) => acc,
  }),
};

/** Counting transforms. */
export const Count = {
  /** KV of each distinct element and its number of occurrences. */
  perElement<T>(): PTransform<PCollection<T>, PCollection<KV<T, number>>> {
    return new (class CountPerElement extends PTransform<PCollection<T>, PCollection<KV<T, number>>> {
      expand(input: PCollection<T>): PCollection<KV<T, number>> {
        return input.map("PairWithOne", (x: T) => kv(x, 1)).apply("CombinePerKey", Combine.perKey(Combiners.sum()));
      }
    })("CountPerElement");
  },
  /** KV of each key and its number of values. */
  perKey<K, V>(): PTransform<PCollection<KV<K, V>>, PCollection<KV<K, number>>> {
    return new (class CountPerKey extends PTransform<PCollection<KV<K, V>>, PCollection<KV<K, number>>> {
      expand(input: PCollection<KV<K, V>>): PCollection<KV<K, number>> {
        return input.apply("CombinePerKey", Combine.perKey(Combiners.count()));
      }
    })("CountPerKey");
  },
  /** The number of elements. */
  globally<T>(): PTransform<PCollection<T>, PCollection<number>> {
    return new (class CountGlobally extends PTransform<PCollection<T>, PCollection<number>> {
      expand(input: PCollection<T>): PCollection<number> {
        return input.apply("CombineGlobally", Combine.globally(Combiners.count()));
      }
    })("CountGlobally");
  },
};
