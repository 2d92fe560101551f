/**
 * Select and DropFields: the projections of Beam's schema transforms over plain-object rows.
 *
 * ```ts
 * events.apply(Select.fields("userId", "location.city"));           // { userId; city }
 * events.apply(Select.fields("userId", { big: (e) => e.amount > 100, id: "eventId" }));   // Python's beam.Select("userId", big=..., id="eventId")
 * events.apply(Select.create<Event>().withFieldNameAs("location.city", "town"));           // { town }
 * events.apply(DropFields.fields("location"));                      // Omit<Event, "location">
 * ```
 *
 * As Beam Java's Select names them, a nested path's field is named by its last name and comes
 * out at the top level (`"location.city"` → `city`; two selections that would get one name are an
 * error at construction: rename one with `withFieldNameAs`); `"a.*"` brings all of `a`'s fields
 * up; through an array or map of rows a path gives the array or map of the values. Fields of the
 * output come in Java's order: the top-level ones first, then the nested ones. DropFields is the
 * complement, as Java's: the fields not dropped, a row with some fields dropped replaced by its
 * other fields.
 *
 * When the input's coder is a RowCoder, paths are checked against its schema at construction and
 * the output gets the RowCoder of the selected schema (named expressions have no schema type, so
 * a Select with one keeps the default coder).
 */
import { PipelineConstructionError } from "../model/errors";
import type { PCollection } from "../model/pcollection";
import { PTransform } from "../model/transform";
import { Schema, type SchemaField } from "../coders/schema";
import {
  checkUniqueNames,
  firstRow,
  leafName,
  parsePath,
  rowSchemaIn,
  rowSchemaOf,
  selectFromSchema,
  setRowCoder,
  valueAt,
  type Dropped,
  type FieldPath,
  type ParsedPath,
  type Selected,
  type Simplify,
  type ValueAt,
} from "./schema_paths";

/** Python's named expressions of `beam.Select(b=...)`: each output field from a field path or a function of the row. */
export type NamedExpressions<T> = {
  /** The output field `name`: the value at a field path of the row, or what a function of the row returns. */
  readonly [name: string]: FieldPath<T> | ((row: T) => unknown);
};

/** The fields named expressions give. */
export type ExpressionFields<T, E> = { [K in keyof E]: E[K] extends (row: T) => infer R ? R : E[K] extends string ? ValueAt<T, E[K]> : never };

/** One output field: a path (named by its last name unless renamed) or a function. */
type Item = { readonly path: ParsedPath; readonly name?: string } | { readonly name: string; readonly fn: (row: unknown) => unknown };

/** One output field as the DoFn computes it. */
interface Step {
  readonly name: string;
  readonly get: (row: unknown) => unknown;
}

const pathStep = (name: string, segments: readonly string[]): Step => ({ name, get: (row) => valueAt(row, segments) });

function project(row: unknown, steps: readonly Step[]): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const s of steps) out[s.name] = s.get(row);
  return out;
}

/** Java's order: top-level selections first, then nested ones, each in the order given. */
const nested = (i: Item): boolean => "path" in i && i.path.segments.length > 1;
const javaOrder = <I extends Item>(items: readonly I[]): I[] => [...items.filter((i) => !nested(i)), ...items.filter(nested)];

/** Expands a `*` path against an element's own fields (no schema to read them from). */
function wildcardSteps(row: unknown, path: ParsedPath): Step[] {
  const prefix = path.segments.slice(0, -1);
  const names = Object.keys(firstRow(valueAt(row, prefix)) ?? {});
  return names.map((n) => pathStep(n, [...prefix, n]));
}

/**
 * Selects fields of each row into a new row (Beam Java's `Select.fieldNames`, Python's
 * `beam.Select`). Made by `Select.fields` and `Select.create`; O is the output row type.
 */
export class Select<T, O> extends PTransform<PCollection<T>, PCollection<O>> {
  private constructor(private readonly items: readonly Item[]) {
    super("Select");
  }

  /**
   * The fields at these paths (Java's `Select.fieldNames`): `Select.fields("a", "b")` gives
   * `Pick<T, "a" | "b">`, `"loc.city"` a field `city`, `"loc.*"` all of `loc`'s fields. A last
   * argument of named expressions adds Python's keyword fields: `Select.fields("a", { b: (r) => r.x * 2, c: "x" })`.
   */
  static fields<T, const P extends readonly (FieldPath<T> | "*")[]>(...paths: P): Select<T, Selected<T, P>>;
  static fields<T, const P extends readonly (FieldPath<T> | "*")[], E extends NamedExpressions<T>>(...args: [...P, E]): Select<T, Simplify<Selected<T, P> & ExpressionFields<T, E>>>;
  static fields<T>(...args: readonly unknown[]): Select<T, unknown> {
    const where = "Select.fields";
    const items: Item[] = [];
    for (const a of args) {
      if (typeof a === "string") items.push({ path: parsePath(a, where) });
      else if (typeof a === "object" && a !== null && a === args[args.length - 1]) {
        for (const [name, e] of Object.entries(a)) {
          if (typeof e === "string") items.push({ path: parsePath(e, where), name });
          else if (typeof e === "function") items.push({ name, fn: e as (row: unknown) => unknown });
          else throw new PipelineConstructionError(`${where}: the expression of '${name}' must be a field path or a function of the row, got ${typeof e}`);
        }
      } else throw new PipelineConstructionError(`${where}: each argument must be a field path, and only the last may be named expressions ({ name: path or function }); got ${typeof a}`);
    }
    if (items.length === 0) throw new PipelineConstructionError(`${where} needs at least one field, e.g. Select.fields("userId") or Select.fields("*")`);
    return new Select<T, unknown>(items);
  }

  /** A Select of no fields yet, for rows of type T: add fields with `withFieldNameAs` (Java's `Select.create()`). */
  static create<T>(): Select<T, {}> {
    return new Select<T, {}>([]);
  }

  /** Adds the field at `path`, named `name` in the output (Java's `withFieldNameAs`; also resolves a clash of two last names). */
  withFieldNameAs<P extends FieldPath<T>, N extends string>(path: P, name: N): Select<T, Simplify<O & { [K in N]: ValueAt<T, P> }>> {
    const parsed = parsePath(path, "Select.withFieldNameAs");
    if (parsed.segments[parsed.segments.length - 1] === "*") {
      throw new PipelineConstructionError(`Select.withFieldNameAs: '${path}' selects several fields, so it cannot be given one name; name one field, or use Select.fields("${path}")`);
    }
    return new Select(javaOrder([...this.items, { path: parsed, name }]));
  }

  expand(input: PCollection<T>): PCollection<O> {
    const fullName = input.pipeline.currentNode().fullName;
    const where = `Select(${this.items.map((i) => i.name ?? ("path" in i ? i.path.text : "")).join(", ")})`;
    if (this.items.length === 0) throw new PipelineConstructionError(`${where} selects no fields; add some with withFieldNameAs, or use Select.fields(...)`, fullName);
    const schema = rowSchemaOf(input);
    const items = javaOrder(this.items);
    const fix = 'give one another name with Select.create<T>().withFieldNameAs(path, "newName") (Java\'s withFieldNameAs)';
    if (schema !== undefined) {
      const fields: SchemaField[] = [];
      const steps: Step[] = [];
      let typed = true;
      for (const item of items) {
        if ("fn" in item) {
          typed = false;
          steps.push({ name: item.name, get: item.fn });
          continue;
        }
        const selected = selectFromSchema(schema, item.path, where, fullName);
        const prefix = item.path.segments.slice(0, -1);
        for (const f of selected) {
          const name = item.name ?? f.name;
          fields.push({ ...f, name });
          steps.push(pathStep(name, leafName(item.path) === "*" ? [...prefix, f.name] : item.path.segments));
        }
      }
      checkUniqueNames(steps.map((s) => s.name), where, fullName, fix);
      const out = input.map("Select", (row: T) => project(row, steps) as O);
      if (typed) setRowCoder(out as PCollection<unknown>, Schema.fromFields(fields));
      return out;
    }
    checkUniqueNames(items.filter((i) => !("path" in i) || leafName(i.path) !== "*").map((i) => i.name ?? leafName((i as { path: ParsedPath }).path)), where, fullName, fix);
    const wild = items.some((i) => "path" in i && leafName(i.path) === "*");
    const fixed: Step[] = items.map((i) => ("fn" in i ? { name: i.name, get: i.fn } : pathStep(i.name ?? leafName(i.path), i.path.segments)));
    if (!wild) return input.map("Select", (row: T) => project(row, fixed) as O);
    return input.map("Select", (row: T) => project(row, items.flatMap((i, k) => ("path" in i && leafName(i.path) === "*" ? wildcardSteps(row, i.path) : [fixed[k]!]))) as O);
  }
}

/** Drops fields of each row (Beam Java's DropFields): the complement of a Select. Made by `DropFields.fields`. */
export class DropFields<T, O> extends PTransform<PCollection<T>, PCollection<O>> {
  private constructor(private readonly paths: readonly ParsedPath[]) {
    super("DropFields");
  }

  /**
   * Drops the fields at these paths: `DropFields.fields("a")` gives `Omit<T, "a">`; `"loc.zip"`
   * replaces `loc` by its other fields, at the top level, as Java's DropFields.
   */
  static fields<T, const P extends readonly FieldPath<T>[]>(...paths: P): DropFields<T, Dropped<T, P[number]>> {
    if (paths.length === 0) throw new PipelineConstructionError('DropFields.fields needs at least one field to drop, e.g. DropFields.fields("location")');
    return new DropFields<T, Dropped<T, P[number]>>(paths.map((p) => parsePath(p, "DropFields.fields")));
  }

  expand(input: PCollection<T>): PCollection<O> {
    const fullName = input.pipeline.currentNode().fullName;
    const where = `DropFields(${this.paths.map((p) => p.text).join(", ")})`;
    for (const p of this.paths) if (p.segments.includes("*")) throw new PipelineConstructionError(`${where}: '${p.text}' is a wildcard; name the fields to drop`, fullName);
    const drops = this.paths.map((p) => p.segments);
    const schema = rowSchemaOf(input);
    if (schema !== undefined) {
      for (const p of this.paths) selectFromSchema(schema, p, where, fullName); // fails on an unknown field
      const kept = javaOrder(complement(schema.fieldNames, drops, (prefix) => schemaAt(schema, prefix)?.fieldNames ?? []).map((s) => ({ path: { text: s.join("."), segments: s } })));
      const fields = kept.flatMap((k) => selectFromSchema(schema, k.path, where, fullName));
      const steps = kept.map((k) => pathStep(leafName(k.path), k.path.segments));
      checkUniqueNames(steps.map((s) => s.name), where, fullName, "drop one of them too, or rename one first with RenameFields");
      const out = input.map("DropFields", (row: T) => project(row, steps) as O);
      setRowCoder(out as PCollection<unknown>, Schema.fromFields(fields));
      return out;
    }
    return input.map("DropFields", (row: T) => {
      const kept = complement(Object.keys(row as object), drops, (prefix) => Object.keys(firstRow(valueAt(row, prefix)) ?? {}));
      const ordered = [...kept.filter((k) => k.length === 1), ...kept.filter((k) => k.length > 1)];
      return project(row, ordered.map((k) => pathStep(k[k.length - 1]!, k))) as O;
    });
  }
}

/** The row schema at a path of row fields, or undefined. */
function schemaAt(schema: Schema<object>, prefix: readonly string[]): Schema<object> | undefined {
  let s: Schema<object> | undefined = schema;
  for (const seg of prefix) {
    const f: SchemaField | undefined = s?.fields.find((x) => x.name === seg);
    s = f === undefined ? undefined : rowSchemaIn(f.type);
  }
  return s;
}

/** The paths of the fields not dropped, in field order (Java's DropFields complement). */
function complement(names: readonly string[], drops: readonly (readonly string[])[], namesAt: (prefix: readonly string[]) => readonly string[], prefix: readonly string[] = []): string[][] {
  const out: string[][] = [];
  for (const n of names) {
    if (drops.some((d) => d.length === 1 && d[0] === n)) continue;
    const nested = drops.filter((d) => d.length > 1 && d[0] === n).map((d) => d.slice(1));
    if (nested.length === 0) out.push([n]);
    else {
      const at = [...prefix, n];
      for (const rest of complement(namesAt(at), nested, namesAt, at)) out.push([n, ...rest]);
    }
  }
  return out;
}

