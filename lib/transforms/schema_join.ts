/**
 * Join: Beam Java's schema equijoin of two collections of rows by fields, each output a record
 * `{ lhs, rhs }` of the matching rows (Java's Join.LHS_TAG / RHS_TAG).
 *
 * ```ts
 * orders.apply(Join.innerJoin(users).using("userId"));                                   // { lhs: Order; rhs: User }
 * orders.apply(Join.leftOuterJoin(users).on(Join.FieldsEqual.left("buyer").right("id"))); // { lhs: Order; rhs: User | null }
 * orders.apply(Join.innerBroadcastJoin(countries).using("country"));                     // countries as a side input
 * ```
 *
 * As in Java: every pair of rows with equal key fields is one output (a cross product per key);
 * an outer join also outputs each unmatched row of its outer side(s) with null on the other side;
 * key fields are compared by value, nulls equal to nulls (Java compares the key rows). The
 * grouping joins are a CoGroupByKey, so they follow its windowing rules; the broadcast joins
 * (Java's innerBroadcastJoin, leftOuterBroadcastJoin) read the right side as a side input, for a
 * right side small enough to hold in memory. When both inputs' coders are RowCoders, key fields
 * are checked against their schemas at construction and the output gets the RowCoder of
 * `{ lhs: row, rhs: row }` (the outer sides nullable).
 */
import { encodeToBytes } from "../coders/coder";
import { DeterministicJsValueCoder } from "../coders/js_value";
import { FieldType, Schema, type FieldTypeSpec } from "../coders/schema";
import { PipelineConstructionError } from "../model/errors";
import type { PCollection } from "../model/pcollection";
import { ParDo } from "../model/pardo";
import { AsList } from "../model/side_inputs";
import { PTransform } from "../model/transform";
import { kv, type KV } from "../model/window";
import { CoGroupByKey } from "./co_group_by_key";
import { parsePath, rowSchemaOf, selectFromSchema, setRowCoder, valueAt, type FieldPath, type ParsedPath } from "./schema_paths";

/** Which rows a join outputs besides the matches: Java's JoinType. */
export type JoinKind = "inner" | "leftOuter" | "rightOuter" | "fullOuter";

/** One output of a join of L and R of this kind: `{ lhs, rhs }`, the outer sides nullable. */
export type JoinedRow<L, R, K extends JoinKind> = {
  /** The left-hand row (null in a right or full outer join's unmatched right rows). */
  lhs: K extends "rightOuter" | "fullOuter" ? L | null : L;
  /** The right-hand row (null in a left or full outer join's unmatched left rows). */
  rhs: K extends "leftOuter" | "fullOuter" ? R | null : R;
};

/** Which fields of each side must be equal (Java's `Join.FieldsEqual`): `FieldsEqual.left("a", "b").right("x", "y")`. */
export class FieldsEqual<LK extends readonly string[], RK extends readonly string[]> {
  private constructor(
    /** The left-hand key fields. */
    readonly lhs: LK,
    /** The right-hand key fields, one per left-hand one, in the same order. */
    readonly rhs: RK,
  ) {}

  /** The left-hand key fields; name the right-hand ones with `.right(...)`. */
  static left<const LK extends readonly string[]>(...fields: LK): FieldsEqual<LK, []> {
    return new FieldsEqual(fields, []);
  }

  /** The right-hand key fields, one per left-hand field, in the same order. */
  right<const RK extends readonly string[]>(...fields: RK): FieldsEqual<LK, RK> {
    return new FieldsEqual(this.lhs, fields);
  }
}

/** Makes a join of the collection it is applied to (the left side) with `rhs`; name the key fields with `using` or `on`. */
export class JoinBuilder<R, K extends JoinKind> {
  constructor(
    private readonly rhs: PCollection<R>,
    private readonly kind: K,
    private readonly broadcast: boolean,
  ) {}

  /** A natural join on fields both sides have (Java's `using`): `Join.innerJoin(users).using("userId", "country")`. */
  using<L, const F extends readonly (FieldPath<L> & FieldPath<R>)[]>(...fields: F): JoinTransform<L, R, K> {
    return this.make<L>(fields, fields);
  }

  /** A join on fields named differently on each side (Java's `on(FieldsEqual...)`). */
  on<L, const LK extends readonly FieldPath<L>[], const RK extends readonly FieldPath<R>[]>(fields: FieldsEqual<LK, RK>): JoinTransform<L, R, K> {
    return this.make<L>(fields.lhs, fields.rhs);
  }

  private make<L>(lhsKeys: readonly string[], rhsKeys: readonly string[]): JoinTransform<L, R, K> {
    const fields = { lhs: lhsKeys, rhs: rhsKeys };
    const where = `Join.${joinName(this.kind, this.broadcast)}`;
    if (fields.lhs.length === 0) throw new PipelineConstructionError(`${where} needs at least one key field, e.g. .using("userId")`);
    if (fields.lhs.length !== fields.rhs.length) {
      throw new PipelineConstructionError(
        `${where}: ${fields.lhs.length} left-hand key field(s) (${fields.lhs.join(", ")}) but ${fields.rhs.length} right-hand (${fields.rhs.join(", ")}); name one right-hand field per left-hand one, in the same order`,
      );
    }
    const parse = (p: string): ParsedPath => {
      const parsed = parsePath(p, where);
      if (parsed.segments.includes("*")) throw new PipelineConstructionError(`${where}: the key field '${p}' is a wildcard; name each key field`);
      return parsed;
    };
    return new JoinTransform<L, R, K>(this.rhs, this.kind, this.broadcast, fields.lhs.map(parse), fields.rhs.map(parse));
  }
}

const joinName = (kind: JoinKind, broadcast: boolean): string => (broadcast ? `${kind}BroadcastJoin` : `${kind}Join`);

/** The join itself, applied to the left-hand collection. Made by `Join.innerJoin(rhs).using(...)` and the like. */
export class JoinTransform<L, R, K extends JoinKind> extends PTransform<PCollection<L>, PCollection<JoinedRow<L, R, K>>> {
  /** @internal Use Join.innerJoin(...).using(...). */
  constructor(
    private readonly rhs: PCollection<R>,
    private readonly kind: K,
    private readonly broadcast: boolean,
    private readonly lhsKeys: readonly ParsedPath[],
    private readonly rhsKeys: readonly ParsedPath[],
  ) {
    super(`Join.${joinName(kind, broadcast)}`);
  }

  /** @internal The right-hand collection is an input of the application. */
  override additionalInputs(): readonly PCollection<unknown>[] {
    return [this.rhs as PCollection<unknown>];
  }

  expand(lhs: PCollection<L>): PCollection<JoinedRow<L, R, K>> {
    const fullName = lhs.pipeline.currentNode().fullName;
    const where = `Join.${joinName(this.kind, this.broadcast)}(${this.lhsKeys.map((k, i) => (k.text === this.rhsKeys[i]!.text ? k.text : `${k.text} = ${this.rhsKeys[i]!.text}`)).join(", ")})`;
    const ls = rowSchemaOf(lhs);
    const rs = rowSchemaOf(this.rhs);
    const lTypes = ls && this.lhsKeys.map((k) => selectFromSchema(ls, k, `${where} left-hand side`, fullName)[0]!.type);
    const rTypes = rs && this.rhsKeys.map((k) => selectFromSchema(rs, k, `${where} right-hand side`, fullName)[0]!.type);
    if (lTypes && rTypes) {
      lTypes.forEach((t, i) => {
        if (!sameValueType(t.spec, rTypes[i]!.spec)) {
          throw new PipelineConstructionError(
            `${where}: the key fields '${this.lhsKeys[i]!.text}' (left) and '${this.rhsKeys[i]!.text}' (right) have different types, so their values never compare equal; join on fields of one type, or convert one side first (a map)`,
            fullName,
          );
        }
      });
    }
    const lKey = keyFn(this.lhsKeys);
    const rKey = keyFn(this.rhsKeys);
    const kind = this.kind;
    const outer = { left: kind === "leftOuter" || kind === "fullOuter", right: kind === "rightOuter" || kind === "fullOuter" };
    let out: PCollection<JoinedRow<L, R, K>>;
    if (this.broadcast) {
      const side = AsList(this.rhs);
      out = lhs.apply(
        "Join",
        ParDo.into<JoinedRow<L, R, K>>().of(
          (row, ctx) => {
            const matches = indexOf(ctx.sideInputs.rhs, rKey).get(keyString(lKey(row))) ?? [];
            for (const r of matches) ctx.output({ lhs: row, rhs: r } as JoinedRow<L, R, K>);
            if (matches.length === 0 && outer.left) ctx.output({ lhs: row, rhs: null } as JoinedRow<L, R, K>);
          },
          { sideInputs: { rhs: side } },
        ),
      );
    } else {
      const keyedL = lhs.map("KeyLhs", (row: L): KV<unknown[], L> => kv(lKey(row), row));
      const keyedR = this.rhs.map("KeyRhs", (row: R): KV<unknown[], R> => kv(rKey(row), row));
      out = lhs.pipeline
        .apply("CoGroupByKey", CoGroupByKey.of({ lhs: keyedL, rhs: keyedR }))
        .apply(
          "CrossProduct",
          ParDo.into<JoinedRow<L, R, K>>().of((group, ctx) => {
            const { lhs: ls2, rhs: rs2 } = group.value;
            for (const l of ls2) for (const r of rs2) ctx.output({ lhs: l, rhs: r } as JoinedRow<L, R, K>);
            if (rs2.length === 0 && outer.left) for (const l of ls2) ctx.output({ lhs: l, rhs: null } as JoinedRow<L, R, K>);
            if (ls2.length === 0 && outer.right) for (const r of rs2) ctx.output({ lhs: null, rhs: r } as JoinedRow<L, R, K>);
          }),
        );
    }
    if (ls !== undefined && rs !== undefined) {
      const side = (s: Schema<object>, nullable: boolean): FieldType<unknown> => (nullable ? FieldType.nullable(FieldType.row(s)) : FieldType.row(s));
      setRowCoder(out as PCollection<unknown>, Schema.fromFields([
        { name: "lhs", type: side(ls, outer.right) },
        { name: "rhs", type: side(rs, outer.left) },
      ]));
    }
    return out;
  }
}

/** A row's key: its key fields' values in order (the same shape on both sides, whatever the fields are named). */
const keyFn =
  (keys: readonly ParsedPath[]) =>
  (row: unknown): unknown[] =>
    keys.map((k) => valueAt(row, k.segments) ?? null);

/** A key as GroupByKey compares it: by its deterministic encoding. */
const keyString = (key: unknown[]): string => Buffer.from(encodeToBytes(DeterministicJsValueCoder.INSTANCE, key)).toString("latin1");

/** The right-hand rows by key, built once per side-input value (per window) and kept while that value lives. */
const indexes = new WeakMap<object, Map<string, unknown[]>>();
function indexOf<R>(rows: readonly R[], key: (row: unknown) => unknown[]): Map<string, R[]> {
  let index = indexes.get(rows) as Map<string, R[]> | undefined;
  if (index === undefined) {
    index = new Map();
    for (const r of rows) {
      const k = keyString(key(r));
      const list = index.get(k);
      if (list === undefined) index.set(k, [r]);
      else list.push(r);
    }
    indexes.set(rows, index as Map<string, unknown[]>);
  }
  return index;
}

/** Whether two field types hold the same values (nullability aside): keys of one type on both sides. */
function sameValueType(a: FieldTypeSpec, b: FieldTypeSpec): boolean {
  if (a.kind !== b.kind) return false;
  if (a.kind === "atomic") return a.atomic === (b as typeof a).atomic;
  if (a.kind === "logical") return a.urn === (b as typeof a).urn;
  return true;
}

/** Beam Java's schema Join: equijoins of two collections of rows by fields (see the module doc). */
export const Join = {
  /** Rows of both sides with equal keys, paired. */
  innerJoin: <R>(rhs: PCollection<R>): JoinBuilder<R, "inner"> => new JoinBuilder(rhs, "inner", false),
  /** The inner join's pairs, and each left-hand row with no match paired with null. */
  leftOuterJoin: <R>(rhs: PCollection<R>): JoinBuilder<R, "leftOuter"> => new JoinBuilder(rhs, "leftOuter", false),
  /** The inner join's pairs, and each right-hand row with no match paired with null. */
  rightOuterJoin: <R>(rhs: PCollection<R>): JoinBuilder<R, "rightOuter"> => new JoinBuilder(rhs, "rightOuter", false),
  /** The inner join's pairs, and each row of either side with no match paired with null. */
  fullOuterJoin: <R>(rhs: PCollection<R>): JoinBuilder<R, "fullOuter"> => new JoinBuilder(rhs, "fullOuter", false),
  /** An inner join reading the (small) right-hand side as a side input: no shuffle of the left. */
  innerBroadcastJoin: <R>(rhs: PCollection<R>): JoinBuilder<R, "inner"> => new JoinBuilder(rhs, "inner", true),
  /** A left outer join reading the (small) right-hand side as a side input: no shuffle of the left. */
  leftOuterBroadcastJoin: <R>(rhs: PCollection<R>): JoinBuilder<R, "leftOuter"> => new JoinBuilder(rhs, "leftOuter", true),
  /** Key fields named differently on each side: `Join.FieldsEqual.left("user").right("userId")`. */
  FieldsEqual,
  /** The output field of the left-hand rows. */
  LHS_TAG: "lhs",
  /** The output field of the right-hand rows. */
  RHS_TAG: "rhs",
} as const;
