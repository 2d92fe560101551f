/** Map, FlatMap and Filter: ParDos whose function the runner calls directly (no context object). */
import type { FieldFilter } from "../transforms/field_filter";
import type { PCollection } from "./pcollection";
import { labelForFunction } from "./naming";
import { PTransform } from "./transform";
import type { ExceptionHandlingOptions } from "./dead_letter";
import type { ProcessContext } from "./dofn";
import type { WithFailures } from "./pardo";

/** What `withExceptionHandling()` of map, flatMap and filter gives: `{ main, failed }`. */
export type ElementwiseWithFailures<T, U> = PTransform<PCollection<T>, WithFailures<ElementwiseOutput<U>, T>>;

/** The main output of map, flatMap and filter. */
export type ElementwiseOutput<U> = {
  /** The outputs of the elements that did not fail. */
  readonly main: PCollection<U>;
};

/**
 * The transform as a ParDo of `process` with a dead-letter output (Beam Python's
 * `beam.Map(fn).with_exception_handling()`, Java's `MapElements...exceptionsVia`), under the same label.
 */
class WithExceptionHandling<T, U> extends PTransform<PCollection<T>, WithFailures<{ main: PCollection<U> }, T>> {
  constructor(
    label: string,
    private readonly process: (element: T, ctx: ProcessContext<U>) => void,
    private readonly options: ExceptionHandlingOptions<T>,
    private readonly keepsCoder: boolean,
  ) {
    super(label);
  }
  expand(input: PCollection<T>): WithFailures<{ main: PCollection<U> }, T> {
    // Loaded here: ParDo builds on the model modules that load this one.
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const { expandWithExceptionHandling } = require("./pardo") as typeof import("./pardo");
    const outs = expandWithExceptionHandling<T, U>(input, this.process, this.options);
    if (this.keepsCoder && input.coder !== undefined) outs.main.setCoder(input.coder as never);
    return outs;
  }
}

function declareElementwise<T, U>(
  input: PCollection<T>,
  elementwise: { type: "map" | "flatMap" | "filter"; fn: Function },
): PCollection<U> {
  const node = input.pipeline.currentNode();
  node.primitive = {
    kind: "pardo",
    elementwise: elementwise as never,
    sideInputs: [],
    outputTags: ["main"],
  };
  return input.pipeline.createOutput<U>(node, "main", input.windowing, input.isBounded);
}

/** One output per element. */
export class MapTransform<T, U> extends PTransform<PCollection<T>, PCollection<U>> {
  constructor(
    /** The function applied to each element. */
    readonly fn: (element: T) => U,
    label?: string,
  ) {
    super(label ?? labelForFunction("Map", fn));
  }
  expand(input: PCollection<T>): PCollection<U> {
    return declareElementwise<T, U>(input, { type: "map", fn: this.fn });
  }
  /**
   * The same map with a dead-letter output for elements whose function throws: `{ main, failed }`
   * (see `ParDo.withExceptionHandling` for the options). It runs as a ParDo, not fused.
   */
  withExceptionHandling(options: ExceptionHandlingOptions<T> = {}): ElementwiseWithFailures<T, U> {
    const fn = this.fn;
    return new WithExceptionHandling<T, U>(this.label!, (x, ctx) => ctx.output(fn(x)), options, false);
  }
}

/** Zero or more outputs per element. */
export class FlatMapTransform<T, U> extends PTransform<PCollection<T>, PCollection<U>> {
  constructor(
    /** The function whose iterable gives each element's outputs. */
    readonly fn: (element: T) => Iterable<U>,
    label?: string,
  ) {
    super(label ?? labelForFunction("FlatMap", fn));
  }
  expand(input: PCollection<T>): PCollection<U> {
    return declareElementwise<T, U>(input, { type: "flatMap", fn: this.fn });
  }
  /** The same flatMap with a dead-letter output (see MapTransform.withExceptionHandling); an element whose iteration throws fails as a whole. */
  withExceptionHandling(options: ExceptionHandlingOptions<T> = {}): ElementwiseWithFailures<T, U> {
    const fn = this.fn;
    return new WithExceptionHandling<T, U>(
      this.label!,
      (x, ctx) => {
        for (const y of fn(x)) ctx.output(y);
      },
      options,
      false,
    );
  }
}

/** The elements for which a predicate holds. */
export class FilterTransform<T> extends PTransform<PCollection<T>, PCollection<T>> {
  constructor(
    /** The predicate: the elements for which it is true are kept. */
    readonly fn: (element: T) => boolean,
    label?: string,
  ) {
    super(label ?? labelForFunction("Filter", fn));
  }
  expand(input: PCollection<T>): PCollection<T> {
    const out = declareElementwise<T, T>(input, { type: "filter", fn: this.fn });
    if (input.coder !== undefined) out.setCoder(input.coder);
    return out;
  }
  /** The same filter with a dead-letter output for elements whose predicate throws (see MapTransform.withExceptionHandling). */
  withExceptionHandling(options: ExceptionHandlingOptions<T> = {}): ElementwiseWithFailures<T, T> {
    const fn = this.fn;
    return new WithExceptionHandling<T, T>(
      this.label!,
      (x, ctx) => {
        if (fn(x)) ctx.output(x);
      },
      options,
      true,
    );
  }
}

/** A label from the function's name or short source, else `kind` (a label given to `apply` replaces it). */
function defaultLabel(kind: string, fn: Function): string {
  try {
    return labelForFunction(kind, fn);
  } catch {
    return kind;
  }
}

/**
 * `pc.map(fn)` as a transform (Beam Java's MapElements, Python's `beam.Map`), to apply, compose,
 * or give a dead-letter output: `pc.apply("Parse", MapElements.via(parse).withExceptionHandling())`.
 */
export const MapElements = {
  /** One output per element: `fn(element)`. */
  via: <T, U>(fn: (element: T) => U): MapTransform<T, U> => new MapTransform<T, U>(fn, defaultLabel("Map", fn)),
};

/** `pc.flatMap(fn)` as a transform (Beam Java's FlatMapElements, Python's `beam.FlatMap`). */
export const FlatMapElements = {
  /** The elements of the iterable `fn(element)` returns. */
  via: <T, U>(fn: (element: T) => Iterable<U>): FlatMapTransform<T, U> => new FlatMapTransform<T, U>(fn, defaultLabel("FlatMap", fn)),
};

/** Values Filter's comparisons order naturally (by `<`; numbers as Java's `Double.compare`). */
export type Comparable = number | bigint | string | boolean | Date;

/** The element type a comparison filter applies to: a literal value's type widened (`5` filters numbers). */
export type ComparableOf<T extends Comparable> = T extends number ? number : T extends string ? string : T extends bigint ? bigint : T extends boolean ? boolean : T;

/**
 * Java's natural order of two comparable values: numbers as `Double.compare` (NaN above every
 * number and equal to itself, -0 below 0), so `Filter.equal(NaN)` keeps NaNs as Java's does;
 * other values by `<` (Dates by their time).
 */
function naturalCompare(a: Comparable, b: Comparable): number {
  if (typeof a === "number" && typeof b === "number") {
    if (a < b) return -1;
    if (a > b) return 1;
    if (a === b) return a !== 0 ? 0 : Object.is(a, b) ? 0 : Object.is(a, -0) ? -1 : 1;
    return Number.isNaN(a) ? (Number.isNaN(b) ? 0 : 1) : -1;
  }
  return a < b ? -1 : a > b ? 1 : 0;
}

/** A comparison filter: the elements whose order against `value` `holds`, labelled `Filter(x < 5)`. */
function comparison<T extends Comparable>(op: string, value: T, holds: (order: number) => boolean): FilterTransform<T> {
  if (value === undefined || value === null) throw new TypeError(`Filter: the value to compare with (x ${op} value) is ${String(value)}; give a number, bigint, string, boolean or Date`);
  const shown = typeof value === "string" ? JSON.stringify(value) : value instanceof Date ? value.toISOString() : typeof value === "bigint" ? `${value}n` : String(value);
  return new FilterTransform<T>((x: T) => holds(naturalCompare(x, value)), `Filter(x ${op} ${shown.length <= 40 ? shown : "value"})`);
}

/**
 * `pc.filter(predicate)` as a transform (Beam Java's Filter, Python's `beam.Filter`), and Java's
 * comparisons with a value in natural order: `Filter.lessThan(5)`, `greaterThan`, `lessThanEq`,
 * `greaterThanEq`, `equal`.
 */
export const Filter = {
  /** The elements for which `predicate` is true. */
  by: <T>(predicate: (element: T) => boolean): FilterTransform<T> => new FilterTransform<T>(predicate, defaultLabel("Filter", predicate)),
  /** The elements less than `value` (Java's `Filter.lessThan`). */
  lessThan: <T extends Comparable>(value: T): FilterTransform<ComparableOf<T>> => comparison<ComparableOf<T>>("<", value as ComparableOf<T>, (order) => order < 0),
  /** The elements greater than `value` (Java's `Filter.greaterThan`). */
  greaterThan: <T extends Comparable>(value: T): FilterTransform<ComparableOf<T>> => comparison<ComparableOf<T>>(">", value as ComparableOf<T>, (order) => order > 0),
  /** The elements less than or equal to `value` (Java's `Filter.lessThanEq`). */
  lessThanEq: <T extends Comparable>(value: T): FilterTransform<ComparableOf<T>> => comparison<ComparableOf<T>>("<=", value as ComparableOf<T>, (order) => order <= 0),
  /** The elements greater than or equal to `value` (Java's `Filter.greaterThanEq`). */
  greaterThanEq: <T extends Comparable>(value: T): FilterTransform<ComparableOf<T>> => comparison<ComparableOf<T>>(">=", value as ComparableOf<T>, (order) => order >= 0),
  /** The elements equal to `value` in natural order (Java's `Filter.equal`; Dates by their time). */
  equal: <T extends Comparable>(value: T): FilterTransform<ComparableOf<T>> => comparison<ComparableOf<T>>("==", value as ComparableOf<T>, (order) => order === 0),
  /**
   * Rows kept by predicates of their fields (Beam Java's schema `Filter.create()`):
   * `Filter.create<User>().whereFieldName("age", (a) => a >= 18)`, `.whereFieldNames(["a", "b"], (r) => ...)`
   * (see lib/transforms/field_filter, loaded on first use).
   */
  create: <T>(): FieldFilter<T> => new (require("../transforms/field_filter") as typeof import("../transforms/field_filter")).FieldFilter<T>([]),
};
