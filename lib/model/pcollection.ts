/**
 * PCollection<T>: an immutable, possibly unbounded collection of timestamped, windowed
 * elements of type T, produced by one transform and consumed by any number of others.
 */
import type { Coder } from "../coders/coder";
import type { Pipeline, TransformNode } from "./pipeline";
import type { PInput, POutput, PTransform } from "./transform";
import { GLOBAL_WINDOWING, WindowingStrategy } from "./windowing";
import { FilterTransform, FlatMapTransform, MapTransform } from "./elementwise";

/** The input of a pipeline's first transforms. */
export class PBegin {
  /** @internal */
  constructor(readonly pipeline: Pipeline) {}

  apply<Out extends POutput>(transform: PTransform<PBegin, Out>): Out;
  apply<Out extends POutput>(label: string, transform: PTransform<PBegin, Out>): Out;
  apply<Out extends POutput>(a: string | PTransform<PBegin, Out>, b?: PTransform<PBegin, Out>): Out {
    return typeof a === "string" ? this.pipeline.applyTransform(a, b!, this) : this.pipeline.applyTransform(undefined, a, this);
  }
}

/** A function from an element to a value, used by `map`. */
export type MapFn<T, U> = (element: T) => U;

export class PCollection<T> {
  private coderValue: Coder<T> | undefined;

  /** @internal Created by the pipeline when a transform declares an output. */
  constructor(
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

  /** Chains transforms: `pc.pipe(a, b, c)` is `pc.apply(a).apply(b).apply(c)`. */
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
  pipe(...transforms: PTransform<PInput, POutput>[]): POutput {
    let current: POutput = this as PCollection<unknown>;
    for (const t of transforms) current = (current as PCollection<unknown>).apply(t);
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

  toString(): string {
    return `PCollection(${this.id})`;
  }
}
