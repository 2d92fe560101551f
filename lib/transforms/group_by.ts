/**
 * GroupBy (Beam Python's schema-less `beam.GroupBy`): groups elements by a key computed from each,
 * optionally aggregating fields of each group into records.
 *
 * ```ts
 * orders.apply(GroupBy.by((o) => o.country));                      // KV<string, Order[]>
 * orders.apply(GroupBy.by("country"));                             // the same, by field name
 * orders.apply(GroupBy.fields({ country: "country", big: (o) => o.amount > 100 }));   // KV<{ country; big }, Order[]>
 * orders.apply(GroupBy.by((o) => o.country).aggregateField((o) => o.amount, Combiners.sum(), "total"));   // { key, total }
 * ```
 *
 * As in Beam Python, a single key is the key itself (named `key`, or its field's name, in
 * aggregated records); several named keys, or `forceTupleKeys()`, make it a record of them. Keys
 * are compared by value (records with equal fields are one key). Aggregating is a
 * `Combine.perKey` of one CombineFn per field (Python's TupleCombineFn), so runners lift it.
 */
import { withCombineLifecycle } from "../model/combine_lifecycle";
import type { CombineFn } from "../model/combine_fn";
import { PipelineConstructionError } from "../model/errors";
import { PCollection } from "../model/pcollection";
import { GroupByKey } from "../model/primitives";
import { PTransform } from "../model/transform";
import { KV, kv } from "../model/window";
import { Combine, iterableCombineFn } from "./combine";

/** What a key (or aggregated field) is computed by: a field name of the element, or a function of it. */
export type FieldSpec<T> = (keyof T & string) | ((element: T) => unknown);

/** The value a FieldSpec gives for an element. */
export type FieldValue<T, F> = F extends (element: T) => infer R ? R : F extends keyof T ? T[F] : never;

/** The key record of named key specs: `{ country: "country", big: (o) => boolean }` → `{ country: string; big: boolean }`. */
export type KeyRecordOf<T, S> = { [P in keyof S]: FieldValue<T, S[P]> };

/** Makes GroupBy transforms for elements of type T (`GroupBy.of<T>()`). */
export interface GroupByBuilder<T> {
  /** Groups by a field (named so in aggregated records) or by a function (named `key`). */
  by<F extends keyof T & string>(field: F): GroupBy<T, T[F], { [P in F]: T[F] }>;
  /** Groups by a field (named so in aggregated records) or by a function (named `key`). */
  by<K>(key: (element: T) => K): GroupBy<T, K, { key: K }>;
  /** Groups by several named keys, each a field name or a function; the key is their record. */
  fields<S extends Record<string, FieldSpec<T>>>(keys: S): GroupBy<T, KeyRecordOf<T, S>, KeyRecordOf<T, S>>;
}

type Extractor = (element: unknown) => unknown;

function extractor<T>(spec: FieldSpec<T>): Extractor {
  if (typeof spec === "function") return spec as Extractor;
  return (element) => (element as Record<string, unknown>)[spec];
}

/** A named key or aggregated field and how it is computed. */
interface NamedField {
  /** Its name in key records and aggregated records. */
  readonly name: string;
  /** Computes it from an element. */
  readonly get: Extractor;
}

/** One aggregation: a field, its CombineFn and where its result goes. */
interface Aggregation {
  /** Computes the aggregated value from an element. */
  readonly get: Extractor;
  /** Combines the values of a group. */
  readonly fn: CombineFn<unknown, unknown, unknown>;
  /** The result's field name. */
  readonly dest: string;
}

function keyRecord(keys: readonly NamedField[], element: unknown): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const k of keys) out[k.name] = k.get(element);
  return out;
}

/**
 * Groups elements by a key: T → KV<K, T[]>, where K is the single key or, with several named keys
 * or `forceTupleKeys()`, the record of them (R). Made by `GroupBy.by` and `GroupBy.fields`.
 */
export class GroupBy<T, K, R extends object> extends PTransform<PCollection<T>, PCollection<KV<K, T[]>>> {
  private constructor(
    private readonly keys: readonly NamedField[],
    private readonly tupleKeys: boolean,
  ) {
    super("GroupBy");
  }

  /**
   * Groups by what a function of each element returns (named `key` in aggregated records):
   * `pc.apply(GroupBy.by((o) => o.country))`. In a chain (`.aggregateField(...)`) type the
   * parameter, `GroupBy.by((o: Order) => o.country)`, or start from `GroupBy.of<Order>()`.
   */
  static by<T, K>(key: (element: T) => K): GroupBy<T, K, { key: K }> {
    return GroupBy.of<T>().by(key);
  }

  /** Groups by several named key functions; the key is their record (see `GroupBy.of<T>().fields` for field names too). */
  static fields<T, S extends Record<string, (element: T) => unknown>>(keys: S): GroupBy<T, KeyRecordOf<T, S>, KeyRecordOf<T, S>> {
    return GroupBy.of<T>().fields(keys);
  }

  /**
   * GroupBy for elements of type T, keyed by field names or functions:
   * `GroupBy.of<Order>().by("country")`, `GroupBy.of<Order>().fields({ country: "country", big: (o) => o.amount > 100 })`.
   */
  static of<T>(): GroupByBuilder<T> {
    return {
      by: ((key: FieldSpec<T>) => new GroupBy([{ name: typeof key === "string" ? key : "key", get: extractor<T>(key) }], false)) as GroupByBuilder<T>["by"],
      fields: <S extends Record<string, FieldSpec<T>>>(keys: S) => {
        const named = Object.entries(keys).map(([name, spec]) => ({ name, get: extractor<T>(spec) }));
        if (named.length === 0) throw new PipelineConstructionError('GroupBy.fields needs at least one named key, e.g. GroupBy.of<Order>().fields({ country: "country" })');
        return new GroupBy<T, KeyRecordOf<T, S>, KeyRecordOf<T, S>>(named, true);
      },
    };
  }

  /**
   * No key: the whole input is one group (Beam Python's `GroupBy()` with no fields, Beam
   * TypeScript's `groupGlobally()`). Mostly used to aggregate:
   * `GroupBy.globally<Order>().aggregateField("amount", Combiners.sum(), "total")` → one record
   * `{ total }` per window with input. As in Python, an empty input gives nothing (for a default
   * value over an empty global window use `Combine.globally`); alone, it gives `KV<{}, T[]>`.
   */
  static globally<T>(): GroupBy<T, Record<string, never>, {}> {
    return new GroupBy<T, Record<string, never>, {}>([], true);
  }

  /** The key is always the record of the named keys, even for one (Python's `force_tuple_keys()`). */
  forceTupleKeys(): GroupBy<T, R, R> {
    return new GroupBy<T, R, R>(this.keys, true);
  }

  /**
   * Aggregates a field of each group with a CombineFn into the field `dest` of the group's record
   * (Python's `aggregate_field(field, combine_fn, dest)`); call again for more fields. The output
   * is one record per group: the key fields, then the aggregates.
   */
  aggregateField<F extends keyof T & string, A, O, D extends string>(field: F, fn: CombineFn<T[F], A, O>, dest: D): GroupAndAggregate<T, R & { [P in D]: O }>;
  aggregateField<V, A, O, D extends string>(field: (element: T) => V, fn: CombineFn<V, A, O>, dest: D): GroupAndAggregate<T, R & { [P in D]: O }>;
  aggregateField<F extends keyof T & string, D extends string>(field: F, fn: (values: T[F][]) => T[F], dest: D): GroupAndAggregate<T, R & { [P in D]: T[F] }>;
  aggregateField<V, D extends string>(field: (element: T) => V, fn: (values: V[]) => V, dest: D): GroupAndAggregate<T, R & { [P in D]: V }>;
  aggregateField<A, O, D extends string>(field: FieldSpec<T>, fn: CombineFn<never, A, O> | ((values: never[]) => unknown), dest: D): GroupAndAggregate<T, R & { [P in D]: O }> {
    return GroupAndAggregate.create<T, R>(this.keys, []).aggregateField(field as (element: T) => never, fn as CombineFn<never, A, O>, dest);
  }

  expand(input: PCollection<T>): PCollection<KV<K, T[]>> {
    const keys = this.keys;
    const single = !this.tupleKeys && keys.length === 1 ? keys[0]!.get : undefined;
    return input
      .map("AddKeys", (x: T) => kv((single !== undefined ? single(x) : keyRecord(keys, x)) as K, x))
      .apply("GroupByKey", GroupByKey.create());
  }
}

/** Groups and aggregates fields into one record per group (type R). Made by `GroupBy...aggregateField`. */
export class GroupAndAggregate<T, R extends object> extends PTransform<PCollection<T>, PCollection<R>> {
  private constructor(
    private readonly keys: readonly NamedField[],
    private readonly aggregations: readonly Aggregation[],
  ) {
    super("GroupByAggregate");
  }

  /** @internal Use GroupBy...aggregateField. */
  static create<T, R extends object>(keys: readonly NamedField[], aggregations: readonly Aggregation[]): GroupAndAggregate<T, R> {
    return new GroupAndAggregate<T, R>(keys, aggregations);
  }

  /** Aggregates one more field into `dest` (see GroupBy.aggregateField). */
  aggregateField<F extends keyof T & string, A, O, D extends string>(field: F, fn: CombineFn<T[F], A, O>, dest: D): GroupAndAggregate<T, R & { [P in D]: O }>;
  aggregateField<V, A, O, D extends string>(field: (element: T) => V, fn: CombineFn<V, A, O>, dest: D): GroupAndAggregate<T, R & { [P in D]: O }>;
  aggregateField<F extends keyof T & string, D extends string>(field: F, fn: (values: T[F][]) => T[F], dest: D): GroupAndAggregate<T, R & { [P in D]: T[F] }>;
  aggregateField<V, D extends string>(field: (element: T) => V, fn: (values: V[]) => V, dest: D): GroupAndAggregate<T, R & { [P in D]: V }>;
  aggregateField<A, O, D extends string>(field: FieldSpec<T>, fn: CombineFn<never, A, O> | ((values: never[]) => unknown), dest: D): GroupAndAggregate<T, R & { [P in D]: O }> {
    const taken = [...this.keys.map((k) => k.name), ...this.aggregations.map((a) => a.dest)];
    if (taken.includes(dest)) {
      throw new PipelineConstructionError(
        `GroupBy.aggregateField: the output field '${dest}' is already a key or aggregate of this GroupBy (${taken.join(", ")}); give each aggregate its own dest name`,
      );
    }
    // A plain function of the values is Python's callable: buffered and reduced (CallableWrapperCombineFn).
    const combineFn = typeof fn === "function" ? iterableCombineFn(fn as (values: unknown[]) => unknown) : (fn as unknown as CombineFn<unknown, unknown, unknown>);
    const aggregation: Aggregation = { get: extractor(field), fn: withCombineLifecycle(combineFn), dest };
    return new GroupAndAggregate<T, R & { [P in D]: O }>(this.keys, [...this.aggregations, aggregation]);
  }

  expand(input: PCollection<T>): PCollection<R> {
    const keys = this.keys;
    const aggs = this.aggregations;
    return input
      .map("KeyAndValues", (x: T) => kv(keyRecord(keys, x), aggs.map((a) => a.get(x))))
      .apply("CombinePerKey", Combine.perKey(tupleCombineFn(aggs.map((a) => a.fn))))
      .map("ToRecord", (e: KV<Record<string, unknown>, unknown[]>) => {
        const out: Record<string, unknown> = { ...e.key };
        aggs.forEach((a, i) => (out[a.dest] = e.value[i]));
        return out as R;
      });
  }
}

/** One CombineFn per position of an array input (Beam Python's TupleCombineFn). */
function tupleCombineFn(fns: readonly CombineFn<unknown, unknown, unknown>[]): CombineFn<unknown[], unknown[], unknown[]> {
  const compacting = fns.some((f) => f.compact !== undefined);
  return {
    createAccumulator: () => fns.map((f) => f.createAccumulator()),
    addInput: (acc, xs) => fns.map((f, i) => f.addInput(acc[i], xs[i])),
    mergeAccumulators: (accs) => {
      const all = [...accs];
      return fns.map((f, i) => f.mergeAccumulators(all.map((a) => a[i])));
    },
    extractOutput: (acc) => fns.map((f, i) => f.extractOutput(acc[i])),
    ...(compacting ? { compact: (acc: unknown[]) => fns.map((f, i) => (f.compact ? f.compact(acc[i]) : acc[i])) } : {}),
  };
}
