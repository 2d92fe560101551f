/**
 * CoGroup: Beam Java's schema CoGroup, an equijoin of any number of row collections by fields.
 *
 * ```ts
 * p.apply(CoGroup.join({ pc1, pc2, pc3 }, By.fieldNames("user", "country")));   // { key: { user; country }; pc1: R1[]; pc2: R2[]; pc3: R3[] }
 * p.apply(CoGroup.join({ pc1: By.fieldNames("referringUser"), pc2: By.fieldNames("user") }, { pc1, pc2 }).crossProductJoin());
 * ```
 *
 * As Java's: by default one output per key, `{ key, [tag]: rows[] }` (the key a record named as
 * Select names the first tag's key fields, tags in sorted order as Java's); `crossProductJoin()`
 * outputs one `{ [tag]: row }` per combination of the key's rows, and an input marked
 * `withOptionalParticipation()` takes part as null when it has no row for the key (inputs not
 * so marked must have one: Join's inner and outer joins are such cross products). Keys compare by
 * value, nulls equal. When every input's coder is a RowCoder, key fields are checked against the
 * schemas at construction and the output gets a RowCoder (Java's output schema).
 */
import { FieldType, Schema, type SchemaField } from "../coders/schema";
import { PipelineConstructionError } from "../model/errors";
import type { PBegin, PCollection } from "../model/pcollection";
import { ParDo } from "../model/pardo";
import { PTransform } from "../model/transform";
import { kv, type KV } from "../model/window";
import { CoGroupByKey } from "./co_group_by_key";
import { leafName, parsePath, rowSchemaOf, selectFromSchema, setRowCoder, valueAt, type ParsedPath } from "./schema_paths";

/** The key fields of an input, and whether it may be missing from a key's cross product (Java's `CoGroup.By`). */
export class By<F extends readonly string[] = readonly string[], O extends boolean = boolean> {
  private constructor(
    /** The key fields, as field paths. */
    readonly fields: F,
    /** Whether the input takes part as null when it has no row for a key (crossProductJoin). */
    readonly optional: O,
  ) {}

  /** Joins on these fields (Java's `By.fieldNames`). */
  static fieldNames<const F extends readonly string[]>(...fields: F): By<F, false> {
    if (fields.length === 0) throw new PipelineConstructionError('By.fieldNames needs at least one key field, e.g. By.fieldNames("user")');
    return new By(fields, false);
  }

  /** The input may have no row for a key: it takes part in the cross product as null (Java's `withOptionalParticipation`). */
  withOptionalParticipation(): By<F, true> {
    return new By(this.fields, true);
  }
}

/** The inputs of a CoGroup: collections of rows by tag. */
export type CoGroupInputs = { readonly [tag: string]: PCollection<object> };
type RowOf<P> = P extends PCollection<infer T> ? T : never;
type LastName<N extends string> = N extends `${string}.${infer L}` ? LastName<L> : N;
/** The key record: each key field by its last name, typed when it is a top-level field of the inputs (unknown for nested paths). */
type KeyOf<R extends CoGroupInputs, F extends readonly string[]> = { [N in F[number] as LastName<N>]: N extends keyof RowOf<R[keyof R]> ? RowOf<R[keyof R]>[N] : unknown };

/** One output of a CoGroup: the key, and each input's rows for it. */
export type CoGrouped<R extends CoGroupInputs, K> = {
  /** The key: the key fields' values, named after the first tag's key fields (tags in sorted order). */
  key: K;
} & { [T in keyof R]: RowOf<R[T]>[] };
/** One output of a cross-product CoGroup: a row of each input, null for an optional input without one. */
export type CoGroupCrossed<R extends CoGroupInputs, Opt extends keyof R> = { [T in keyof R]: RowOf<R[T]> | (T extends Opt ? null : never) };

interface Plan {
  readonly tags: readonly string[];
  readonly keys: readonly (readonly ParsedPath[])[];
  readonly optional: readonly boolean[];
}

/** Groups rows of several collections by key fields (Java's `CoGroup.join`). Apply it to the pipeline; made by `CoGroup.join`. */
export class CoGroupTransform<R extends CoGroupInputs, Out> extends PTransform<PBegin, PCollection<Out>> {
  /** @internal Use CoGroup.join. */
  constructor(
    private readonly inputs: R,
    private readonly plan: Plan,
    private readonly cross: boolean,
  ) {
    super(cross ? "CoGroup.crossProductJoin" : "CoGroup");
  }

  /** @internal The inputs are inputs of the application (it is applied to the pipeline). */
  override additionalInputs(): readonly PCollection<unknown>[] {
    return Object.values(this.inputs) as PCollection<unknown>[];
  }

  expand(input: PBegin): PCollection<Out> {
    const fullName = input.pipeline.currentNode().fullName;
    const { tags, keys, optional } = this.plan;
    const where = `CoGroup(${tags.map((t, i) => `${t}: ${keys[i]!.map((k) => k.text).join(", ")}`).join("; ")})`;
    const pcs = tags.map((t) => this.inputs[t]!);
    const schemas = pcs.map((pc) => rowSchemaOf(pc));
    const keyFields = schemas.map((s, i) => (s === undefined ? undefined : keys[i]!.map((k) => selectFromSchema(s, k, `${where} input '${tags[i]}'`, fullName)[0]!)));
    const typed = keyFields.filter((f): f is SchemaField[] => f !== undefined);
    for (const f of typed) {
      f.forEach((field, j) => {
        const first = typed[0]![j]!;
        if (JSON.stringify(field.type.spec) !== JSON.stringify(first.type.spec)) {
          throw new PipelineConstructionError(`${where}: key field ${j + 1} has different types in the inputs (${first.name}, ${field.name}); join on fields of one type`, fullName);
        }
      });
    }
    const keyed = Object.fromEntries(tags.map((t, i) => [t, pcs[i]!.map(`Key[${t}]`, (row: object): KV<unknown[], object> => kv(keys[i]!.map((k) => valueAt(row, k.segments) ?? null), row))]));
    const grouped = input.pipeline.apply("CoGroupByKey", CoGroupByKey.of(keyed));
    const names = keys[0]!.map(leafName);
    let out: PCollection<Out>;
    if (!this.cross) {
      out = grouped.map("ToRows", (g: KV<unknown[], Record<string, object[]>>) => {
        const key: Record<string, unknown> = {};
        names.forEach((n, j) => (key[n] = g.key[j]));
        return { key, ...Object.fromEntries(tags.map((t) => [t, g.value[t]!])) } as Out;
      });
    } else {
      out = grouped.apply(
        "CrossProduct",
        ParDo.into<Out>().of((g: KV<unknown[], Record<string, object[]>>, ctx) => {
          const lists = tags.map((t, i) => (g.value[t]!.length === 0 && optional[i] ? [null] : g.value[t]!));
          const walk = (i: number, acc: Record<string, unknown>): void => {
            if (i === tags.length) {
              ctx.output({ ...acc } as Out);
              return;
            }
            for (const row of lists[i]!) walk(i + 1, { ...acc, [tags[i]!]: row });
          };
          walk(0, {});
        }),
      );
    }
    if (schemas.every((s) => s !== undefined)) {
      const keySchema = Schema.fromFields(keyFields[0]!.map((f, j) => ({ ...f, name: names[j]! })));
      const fields: SchemaField[] = this.cross
        ? tags.map((t, i) => ({ name: t, type: optional[i] ? FieldType.nullable(FieldType.row(schemas[i]!)) : FieldType.row(schemas[i]!) }))
        : [{ name: "key", type: FieldType.row(keySchema) }, ...tags.map((t, i) => ({ name: t, type: FieldType.iterable(FieldType.row(schemas[i]!)) }))];
      setRowCoder(out as PCollection<unknown>, Schema.fromFields(fields));
    }
    return out;
  }
}

/** A CoGroup to apply as it is (one output per key) or to expand with `crossProductJoin()`. */
export class CoGroupJoin<R extends CoGroupInputs, K, Opt extends keyof R> extends CoGroupTransform<R, CoGrouped<R, K>> {
  /** @internal Use CoGroup.join. */
  constructor(
    private readonly ins: R,
    private readonly joinPlan: Plan,
  ) {
    super(ins, joinPlan, false);
  }

  /** One output per combination of a key's rows, `{ [tag]: row }` (Java's `crossProductJoin`). */
  crossProductJoin(): CoGroupTransform<R, CoGroupCrossed<R, Opt>> {
    return new CoGroupTransform<R, CoGroupCrossed<R, Opt>>(this.ins, this.joinPlan, true);
  }
}

type OptionalTags<B> = { [T in keyof B]: B[T] extends By<readonly string[], true> ? T : never }[keyof B];

function plan(inputs: CoGroupInputs, byOf: (tag: string) => By | undefined): Plan {
  const tags = Object.keys(inputs).sort(); // Java's sorted tags: the key is named after the first
  if (tags.length === 0) throw new PipelineConstructionError("CoGroup.join needs at least one input, e.g. CoGroup.join({ pc1, pc2 }, By.fieldNames(\"user\"))");
  const bys = tags.map((t) => {
    const by = byOf(t);
    if (by === undefined) throw new PipelineConstructionError(`CoGroup.join: input '${t}' has no key fields; give By.fieldNames(...) for every input, or one By for all`);
    return by;
  });
  const keys = bys.map((b) => b.fields.map((f) => parsePath(f, "CoGroup.join")));
  keys.forEach((k, i) => {
    if (k.length !== keys[0]!.length) throw new PipelineConstructionError(`CoGroup.join: input '${tags[i]}' has ${k.length} key field(s) but '${tags[0]}' has ${keys[0]!.length}; give every input as many key fields, in the same order`);
    if (k.some((p) => leafName(p) === "*")) throw new PipelineConstructionError(`CoGroup.join: a key field of '${tags[i]}' is a wildcard; name each key field`);
  });
  return { tags, keys, optional: bys.map((b) => b.optional) };
}

/**
 * Groups the inputs (rows by tag) by key fields: one By for every input
 * (`CoGroup.join({ pc1, pc2 }, By.fieldNames("user"))`), or a By per input
 * (`CoGroup.join({ pc1, pc2 }, { pc1: By.fieldNames("referrer"), pc2: By.fieldNames("user") })`).
 */
function join<R extends CoGroupInputs, const F extends readonly string[], O extends boolean>(inputs: R, by: By<F, O>): CoGroupJoin<R, KeyOf<R, F>, O extends true ? keyof R : never>;
function join<R extends CoGroupInputs, B extends { readonly [T in keyof R]: By }>(inputs: R, by: B): CoGroupJoin<R, Record<string, unknown>, OptionalTags<B> & keyof R>;
function join(inputs: CoGroupInputs, by: By | { readonly [tag: string]: By }): CoGroupJoin<CoGroupInputs, never, never> {
  return new CoGroupJoin<CoGroupInputs, never, never>(inputs, plan(inputs, (t) => (by instanceof By ? by : by[t])));
}

/** Beam Java's schema CoGroup (see the module doc). */
export const CoGroup = {
  join,
  /** Key fields of an input (Java's `CoGroup.By`). */
  By,
} as const;
