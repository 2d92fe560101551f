/**
 * PCollection<T>: an immutable, possibly unbounded collection of timestamped, windowed
 * elements of type T, produced by one transform and consumed by any number of others.
 */
import type { Coder } from "../coders/coder";
import type { Pipeline, TransformNode } from "./pipeline";
import type { POutput, PTransform } from "./transform";
import { GLOBAL_WINDOWING, WindowingStrategy } from "./windowing";
import { FilterTransform, FlatMapTransform, MapTransform } from "./elementwise";

/** The input of a pipeline's first transforms (sources): what `pipeline.apply` applies them to. */
export class PBegin {
  /**
   * Makes PBegin nominal: a PCollection also has `pipeline` and `apply`, so without a private
   * member it would pass for a PBegin, and a source (`Create.of(...)`) would type-check when
   * applied to a collection.
   */
  private readonly beginsPipeline = true;

  /** @internal */
  constructor(
    /** The pipeline the transforms are applied to. */
    readonly pipeline: Pipeline,
  ) {}

  /** Applies a source (a transform of `PBegin`); its name is the transform's label or class name. */
  apply<Out extends POutput>(transform: PTransform<PBegin, Out>): Out;
  /** Applies a source under an explicit name. */
  apply<Out extends POutput>(label: string, transform: PTransform<PBegin, Out>): Out;
  apply<Out extends POutput>(a: string | PTransform<PBegin, Out>, b?: PTransform<PBegin, Out>): Out {
    return typeof a === "string" ? this.pipeline.applyTransform(a, b!, this) : this.pipeline.applyTransform(undefined, a, this);
  }
}

/** A function from an element to a value, used by `map`. */
export type MapFn<T, U> = (element: T) => U;

/**
 * An immutable, possibly unbounded collection of timestamped, windowed elements of type `T`,
 * produced by one transform and read by any number of others. Continue it with `map`, `flatMap`,
 * `filter`, `apply` or `pipe`:
 *
 * ```ts
 * const lengths: PCollection<number> = words.map("Length", (w) => w.length);
 * const counts = words.apply("Count", Count.perElement());   // PCollection<KV<string, number>>
 * ```
 */
export class PCollection<T> {
  private coderValue: Coder<T> | undefined;

  /** @internal Created by the pipeline when a transform declares an output. */
  constructor(
    /** The pipeline this collection belongs to. */
    readonly pipeline: Pipeline,
    /** Unique, deterministic id: `<producer full name>.<output tag>`. */
    readonly id: string,
    /** @internal */
    readonly producer: TransformNode,
    /** The producer's output tag for this collection. */
    readonly tag: string,
    /** The windowing of the elements. */
    public windowing: WindowingStrategy = GLOBAL_WINDOWING,
    /** False for unbounded (streaming) collections. */
    public isBounded = true,
  ) {}

  /** The coder elements are encoded with when they cross a process or a shuffle. */
  get coder(): Coder<T> | undefined {
    return this.coderValue;
  }

  /** Sets the coder of this collection (before it is consumed). */
  setCoder(coder: Coder<T>): this {
    this.coderValue = coder;
    return this;
  }

  /** Applies a transform; the name is the transform's label or class name. */
  apply<Out extends POutput>(transform: PTransform<PCollection<T>, Out>): Out;
  /** Applies a transform under an explicit name. */
  apply<Out extends POutput>(label: string, transform: PTransform<PCollection<T>, Out>): Out;
  apply<Out extends POutput>(a: string | PTransform<PCollection<T>, Out>, b?: PTransform<PCollection<T>, Out>): Out {
    return typeof a === "string" ? this.pipeline.applyTransform(a, b!, this) : this.pipeline.applyTransform(undefined, a, this);
  }

  /**
   * Chains transforms: `pc.pipe(a, b, c)` is `pc.apply(a).apply(b).apply(c)`. Each stage must
   * accept what the previous one produces (the element types are checked and inferred stage by
   * stage, so `Window.into(...)` or `GroupByKey.create()` need no type arguments here).
   */
  pipe<A extends POutput>(t1: PTransform<PCollection<T>, A>): A;
  pipe<A, B extends POutput>(t1: PTransform<PCollection<T>, PCollection<A>>, t2: PTransform<PCollection<A>, B>): B;
  pipe<A, B, C extends POutput>(
    t1: PTransform<PCollection<T>, PCollection<A>>,
    t2: PTransform<PCollection<A>, PCollection<B>>,
    t3: PTransform<PCollection<B>, C>,
  ): C;
  pipe<A, B, C, D extends POutput>(
    t1: PTransform<PCollection<T>, PCollection<A>>,
    t2: PTransform<PCollection<A>, PCollection<B>>,
    t3: PTransform<PCollection<B>, PCollection<C>>,
    t4: PTransform<PCollection<C>, D>,
  ): D;
  pipe<A, B, C, D, E extends POutput>(
    t1: PTransform<PCollection<T>, PCollection<A>>,
    t2: PTransform<PCollection<A>, PCollection<B>>,
    t3: PTransform<PCollection<B>, PCollection<C>>,
    t4: PTransform<PCollection<C>, PCollection<D>>,
    t5: PTransform<PCollection<D>, E>,
  ): E;
  pipe<A, B, C, D, E, F extends POutput>(
    t1: PTransform<PCollection<T>, PCollection<A>>,
    t2: PTransform<PCollection<A>, PCollection<B>>,
    t3: PTransform<PCollection<B>, PCollection<C>>,
    t4: PTransform<PCollection<C>, PCollection<D>>,
    t5: PTransform<PCollection<D>, PCollection<E>>,
    t6: PTransform<PCollection<E>, F>,
  ): F;
  // Each overload above checks its stages; at run time a stage only ever receives the previous output.
  pipe(...transforms: PTransform<never, POutput>[]): POutput {
    let current: POutput = this as PCollection<unknown>;
    for (const t of transforms) current = (current as PCollection<unknown>).apply(t as PTransform<PCollection<unknown>, POutput>);
    return current;
  }

  /** One output per element, like Array.prototype.map. */
  map<U>(fn: MapFn<T, U>): PCollection<U>;
  map<U>(label: string, fn: MapFn<T, U>): PCollection<U>;
  map<U>(a: string | MapFn<T, U>, b?: MapFn<T, U>): PCollection<U> {
    const [label, fn] = typeof a === "string" ? [a, b!] : [undefined, a];
    return this.pipeline.applyTransform(label, new MapTransform<T, U>(fn, label), this);
  }

  /** Zero or more outputs per element, like Array.prototype.flatMap (any iterable may be returned). */
  flatMap<U>(fn: MapFn<T, Iterable<U>>): PCollection<U>;
  flatMap<U>(label: string, fn: MapFn<T, Iterable<U>>): PCollection<U>;
  flatMap<U>(a: string | MapFn<T, Iterable<U>>, b?: MapFn<T, Iterable<U>>): PCollection<U> {
    const [label, fn] = typeof a === "string" ? [a, b!] : [undefined, a];
    return this.pipeline.applyTransform(label, new FlatMapTransform<T, U>(fn, label), this);
  }

  /** Keeps the elements for which the predicate is true, like Array.prototype.filter. */
  filter<S extends T>(predicate: (element: T) => element is S): PCollection<S>;
  filter(predicate: (element: T) => boolean): PCollection<T>;
  filter<S extends T>(label: string, predicate: (element: T) => element is S): PCollection<S>;
  filter(label: string, predicate: (element: T) => boolean): PCollection<T>;
  filter(a: string | ((element: T) => boolean), b?: (element: T) => boolean): PCollection<T> {
    const [label, fn] = typeof a === "string" ? [a, b!] : [undefined, a];
    return this.pipeline.applyTransform(label, new FilterTransform<T>(fn, label), this);
  }

  /**
   * This collection as users know it, for messages: the output of the outermost transform that
   * returns it (`the output of 'Factor'` for `p.apply("Factor", Create.of(2))`, whose producing
   * primitive is 'Factor/Values'), with its tag when it is one of several.
   */
  describe(): string {
    let node = this.producer;
    while (node.parent !== undefined && !node.parent.isRoot() && [...node.parent.outputs.values()].includes(this as PCollection<unknown>)) node = node.parent;
    const tag = [...node.outputs].find(([, pc]) => pc === (this as PCollection<unknown>))?.[0] ?? this.tag;
    return node.outputs.size > 1 || tag !== "main" ? `output '${tag}' of '${node.fullName}'` : `the output of '${node.fullName}'`;
  }

  /** `PCollection(<id>)`. */
  toString(): string {
    return `PCollection(${this.id})`;
  }
}
