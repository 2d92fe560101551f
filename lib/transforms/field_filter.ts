/**
 * Filter with field predicates (Beam Java's schema `Filter.create().whereFieldName(...)`): keeps
 * the rows for which every predicate holds, each predicate of one field's value (a nested path
 * too: `"location.city"`) or of a row of several fields (`whereFieldNames(["a", "b"], (r) => ...)`,
 * the fields named as Select names them).
 *
 * ```ts
 * users.apply(Filter.create<User>().whereFieldName("country", (c) => c === "NO").whereFieldName("age", (a) => a >= 18));
 * ```
 *
 * Loaded on first use of `Filter.create` (lib/model/elementwise.ts). The output keeps the input's
 * coder; with a RowCoder input the fields are checked against its schema at construction.
 */
import { FilterTransform } from "../model/elementwise";
import { PipelineConstructionError } from "../model/errors";
import type { PCollection } from "../model/pcollection";
import { PTransform } from "../model/transform";
import { leafName, parsePath, rowSchemaOf, selectFromSchema, valueAt, type FieldPath, type ParsedPath, type Selected, type ValueAt } from "./schema_paths";

/** One predicate: of a field's value, or of the row of several fields. */
interface Predicate {
  readonly paths: readonly ParsedPath[];
  readonly fn: (value: unknown) => boolean;
  /** Whether fn takes the one field's value (whereFieldName) rather than a row of the fields. */
  readonly single: boolean;
}

/** Keeps the rows of type T for which every field predicate holds. Made by `Filter.create<T>()`. */
export class FieldFilter<T> extends PTransform<PCollection<T>, PCollection<T>> {
  /** @internal Use Filter.create<T>(). */
  constructor(private readonly predicates: readonly Predicate[]) {
    super("Filter");
  }

  /** Also requires `predicate` of the value at `path` (Java's `whereFieldName`). */
  whereFieldName<P extends FieldPath<T>>(path: P, predicate: (value: ValueAt<T, P>) => boolean): FieldFilter<T> {
    const parsed = parsePath(path, "Filter.whereFieldName");
    if (leafName(parsed) === "*") throw new PipelineConstructionError(`Filter.whereFieldName: '${path}' is a wildcard; name one field, or use whereFieldNames for several`);
    return new FieldFilter<T>([...this.predicates, { paths: [parsed], fn: predicate as (value: unknown) => boolean, single: true }]);
  }

  /** Also requires `predicate` of the row of the fields at `paths`, named as Select names them (Java's `whereFieldNames`). */
  whereFieldNames<const P extends readonly FieldPath<T>[]>(paths: P, predicate: (row: Selected<T, P>) => boolean): FieldFilter<T> {
    if (paths.length === 0) throw new PipelineConstructionError('Filter.whereFieldNames needs at least one field, e.g. whereFieldNames(["a", "b"], (r) => r.a > r.b)');
    const parsed = paths.map((p) => parsePath(p, "Filter.whereFieldNames"));
    const wild = parsed.find((p) => leafName(p) === "*");
    if (wild !== undefined) throw new PipelineConstructionError(`Filter.whereFieldNames: '${wild.text}' is a wildcard; name each field the predicate reads`);
    return new FieldFilter<T>([...this.predicates, { paths: parsed, fn: predicate as (value: unknown) => boolean, single: false }]);
  }

  expand(input: PCollection<T>): PCollection<T> {
    const fullName = input.pipeline.currentNode().fullName;
    const predicates = this.predicates;
    const where = `Filter(${predicates.flatMap((p) => p.paths.map((x) => x.text)).join(", ")})`;
    if (predicates.length === 0) throw new PipelineConstructionError(`${where} has no predicate; add one with whereFieldName(field, (value) => ...)`, fullName);
    const schema = rowSchemaOf(input);
    if (schema !== undefined) for (const p of predicates) for (const path of p.paths) selectFromSchema(schema, path, where, fullName);
    const holds = (row: T): boolean =>
      predicates.every((p) => {
        if (p.single) return p.fn(valueAt(row, p.paths[0]!.segments));
        const sub: Record<string, unknown> = {};
        for (const path of p.paths) sub[leafName(path)] = valueAt(row, path.segments);
        return p.fn(sub);
      });
    return input.apply("Filter", new FilterTransform<T>(holds, "Filter"));
  }
}
