/**
 * RenameFields and AddFields: Beam Java's schema transforms that reshape rows in place, over
 * plain-object rows.
 *
 * ```ts
 * events.apply(RenameFields.create<Event>().rename("userName", "userId").rename("location.country", "countryCode"));
 * events.apply(AddFields.create<Event>().field("score", FieldType.DOUBLE).field("location.zip", FieldType.STRING, "none"));
 * ```
 *
 * A nested rename keeps the field where it is and changes its last name only (Java: "the nested
 * prefix does not need to be specified again"); every path names a field of the input, as Java
 * resolves them all against the input schema (renames apply deepest first). A new field is null
 * unless given a default (Java makes it nullable then), goes after the fields of its row, and a
 * new nested field whose parent row does not exist creates that row. Through arrays and maps of
 * rows both apply to every element; a null row stays null.
 *
 * When the input's coder is a RowCoder, paths are checked against its schema at construction and
 * the output gets the RowCoder of the new schema.
 */
import { PipelineConstructionError } from "../model/errors";
import type { PCollection } from "../model/pcollection";
import { PTransform } from "../model/transform";
import { FieldType, Schema, type SchemaField } from "../coders/schema";
import { parsePath, rowSchemaOf, setRowCoder, unknownField, type Added, type FieldPath, type ParsedPath, type Renamed } from "./schema_paths";

/** A field type with the row schemas inside it (through arrays and maps) replaced by `fn`'s. */
function mapRowType(t: FieldType<unknown>, fn: (s: Schema<object>) => Schema<object>, what: string): FieldType<unknown> {
  const s = t.spec;
  let out: FieldType<unknown>;
  if (s.kind === "row") out = FieldType.row(fn(s.schema));
  else if (s.kind === "array") out = FieldType.array(mapRowType(s.element, fn, what));
  else if (s.kind === "iterable") out = FieldType.iterable(mapRowType(s.element, fn, what));
  else if (s.kind === "map") out = FieldType.map(s.key, mapRowType(s.value, fn, what));
  else throw new PipelineConstructionError(what);
  return t.nullable ? FieldType.nullable(out) : out;
}

/** `fn` applied to every row inside a value (through arrays and maps); null stays null. */
function mapRows(v: unknown, fn: (row: Record<string, unknown>) => Record<string, unknown>): unknown {
  if (v === null || v === undefined) return v ?? null;
  if (Array.isArray(v)) return v.map((e) => mapRows(e, fn));
  if (v instanceof Map) return new Map([...v].map(([k, e]) => [k, mapRows(e, fn)]));
  return fn(v as Record<string, unknown>);
}

/** Re-creates a schema with other fields (keeping nothing of the old one's proto or id: the fields changed). */
const withFields = (fields: readonly SchemaField[]): Schema<object> => Schema.fromFields(fields);

/** One rename: the field at `path` gets the last name `to`. */
interface Rename {
  readonly path: ParsedPath;
  readonly to: string;
}

function renameRow(row: Record<string, unknown>, segs: readonly string[], i: number, to: string): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  const seg = segs[i]!;
  for (const [k, v] of Object.entries(row)) {
    if (k !== seg) out[k] = v;
    else if (i === segs.length - 1) out[to] = v;
    else out[k] = mapRows(v, (r) => renameRow(r, segs, i + 1, to));
  }
  return out;
}

function renameSchema(schema: Schema<object>, r: Rename, i: number, where: string, fullName: string): Schema<object> {
  const seg = r.path.segments[i]!;
  if (!schema.fields.some((f) => f.name === seg)) throw unknownField(where, r.path, i, schema, fullName);
  const last = i === r.path.segments.length - 1;
  if (last && r.to !== seg && schema.fields.some((f) => f.name === r.to)) {
    throw new PipelineConstructionError(`${where}: cannot rename '${r.path.text}' to '${r.to}': its row already has a field '${r.to}'; choose another name, or rename or drop that field first`, fullName);
  }
  return withFields(
    schema.fields.map((f) => {
      if (f.name !== seg) return f;
      if (last) return { ...f, name: r.to };
      const notRow = `${where}: '${r.path.segments.slice(0, i + 1).join(".")}' (in '${r.path.text}') is not a row, so it has no field '${r.path.segments[i + 1]}' to rename; rename '${r.path.segments.slice(0, i + 1).join(".")}' itself`;
      return { ...f, type: mapRowType(f.type, (s) => renameSchema(s, r, i + 1, where, fullName), notRow) };
    }),
  );
}

/** The number of dots in a path (its depth below the top level). */
type Depth<P extends string, Acc extends unknown[] = []> = P extends `${string}.${infer R}` ? Depth<R, [...Acc, 0]> : Acc["length"];

/** The renames of Rs at depth D applied to O, in order. */
type RenameAtDepth<O, Rs extends readonly (readonly [string, string])[], D extends number> = Rs extends readonly [infer H, ...infer Rest extends readonly (readonly [string, string])[]]
  ? H extends readonly [infer P extends string, infer N extends string]
    ? RenameAtDepth<Depth<P> extends D ? Renamed<O, P, N> : O, Rest, D>
    : O
  : O;

/** T with every rename of Rs applied, deepest first, so that each path names a field of T (as Java resolves them all against the input schema). */
export type RenamedAll<T, Rs extends readonly (readonly [string, string])[]> = RenameAtDepth<RenameAtDepth<RenameAtDepth<RenameAtDepth<RenameAtDepth<T, Rs, 4>, Rs, 3>, Rs, 2>, Rs, 1>, Rs, 0>;

/**
 * Renames fields of each row (Beam Java's RenameFields). Made by `RenameFields.create<T>().rename(...)`;
 * Rs are the renames as (path, new name) pairs, the output row type is `RenamedAll<T, Rs>`.
 */
export class RenameFields<T, Rs extends readonly (readonly [string, string])[]> extends PTransform<PCollection<T>, PCollection<RenamedAll<T, Rs>>> {
  private constructor(private readonly renames: readonly Rename[]) {
    super("RenameFields");
  }

  /** A RenameFields for rows of type T, renaming nothing yet. */
  static create<T>(): RenameFields<T, []> {
    return new RenameFields<T, []>([]);
  }

  /**
   * Renames the field at `path` of the input rows to `to`; `"a.b"` → `to` keeps it inside `a`.
   * Every path names a field of the input, as in Java: `.rename("nested", "n").rename("nested.x", "y")`.
   */
  rename<P extends FieldPath<T>, N extends string>(path: P, to: N): RenameFields<T, [...Rs, [P, N]]> {
    const parsed = parsePath(path, "RenameFields.rename");
    if (parsed.segments.includes("*")) throw new PipelineConstructionError(`RenameFields.rename: '${path}' is a wildcard; name the one field to rename`);
    if (to === "" || to.includes(".")) throw new PipelineConstructionError(`RenameFields.rename: the new name of '${path}' is '${to}'; give a field name without '.' (a nested field keeps its place)`);
    return new RenameFields<T, [...Rs, [P, N]]>([...this.renames, { path: parsed, to }]);
  }

  expand(input: PCollection<T>): PCollection<RenamedAll<T, Rs>> {
    const fullName = input.pipeline.currentNode().fullName;
    const where = `RenameFields(${this.renames.map((r) => `${r.path.text} → ${r.to}`).join(", ")})`;
    if (this.renames.length === 0) throw new PipelineConstructionError(`${where} renames nothing; add a rename with .rename(path, newName)`, fullName);
    // Deepest first: a rename only changes the last name of its path, so the shallower paths still name fields of the input.
    const renames = [...this.renames].sort((a, b) => b.path.segments.length - a.path.segments.length);
    const schema = rowSchemaOf(input);
    const out = input.map("RenameFields", (row: T) => renames.reduce((r, x) => renameRow(r, x.path.segments, 0, x.to), row as Record<string, unknown>) as RenamedAll<T, Rs>);
    if (schema !== undefined) setRowCoder(out as PCollection<unknown>, renames.reduce((s, r) => renameSchema(s, r, 0, where, fullName), schema));
    return out;
  }
}

/** One new field: where, its type, and its value in every row. */
interface NewField {
  readonly path: ParsedPath;
  readonly type: FieldType<unknown>;
  readonly value: unknown;
}

function addToRow(row: Record<string, unknown>, segs: readonly string[], i: number, value: unknown): Record<string, unknown> {
  const seg = segs[i]!;
  if (i === segs.length - 1) return { ...row, [seg]: value };
  if (!(seg in row)) return { ...row, [seg]: addToRow({}, segs, i + 1, value) };
  return { ...row, [seg]: mapRows(row[seg], (r) => addToRow(r, segs, i + 1, value)) };
}

function addToSchema(schema: Schema<object>, n: NewField, i: number, where: string, fullName: string): Schema<object> {
  const seg = n.path.segments[i]!;
  const existing = schema.fields.find((f) => f.name === seg);
  if (i === n.path.segments.length - 1) {
    if (existing !== undefined) throw new PipelineConstructionError(`${where}: the rows already have a field '${n.path.text}'; add it under another name, or drop or rename the existing one first`, fullName);
    return withFields([...schema.fields, { name: seg, type: n.type }]);
  }
  // A parent that does not exist is created, nullable as Java creates it.
  if (existing === undefined) return withFields([...schema.fields, { name: seg, type: FieldType.nullable(FieldType.row(addToSchema(withFields([]), n, i + 1, where, fullName))) }]);
  const notRow = `${where}: '${n.path.segments.slice(0, i + 1).join(".")}' (in '${n.path.text}') is not a row, so no field can be added inside it; add '${n.path.segments.slice(i + 1).join(".")}' somewhere else`;
  return withFields(schema.fields.map((f) => (f !== existing ? f : { ...f, type: mapRowType(f.type, (s) => addToSchema(s, n, i + 1, where, fullName), notRow) })));
}

/** Adds fields to each row (Beam Java's AddFields). Made by `AddFields.create<T>().field(...)`; O is the output row type. */
export class AddFields<T, O> extends PTransform<PCollection<T>, PCollection<O>> {
  private constructor(private readonly added: readonly NewField[]) {
    super("AddFields");
  }

  /** An AddFields for rows of type T, adding nothing yet. */
  static create<T>(): AddFields<T, T> {
    return new AddFields<T, T>([]);
  }

  /**
   * Adds a field at `path` (`"zip"`, or `"location.zip"` inside a row) of type `type`: null in
   * every row (the field is nullable, as Java makes it), or `defaultValue` when given.
   */
  field<P extends string, V>(path: P, type: FieldType<V>): AddFields<T, Added<O, P, V | null>>;
  field<P extends string, V>(path: P, type: FieldType<V>, defaultValue: V): AddFields<T, Added<O, P, V>>;
  field<P extends string, V>(path: P, type: FieldType<V>, defaultValue?: V): AddFields<T, Added<O, P, V>> {
    const parsed = parsePath(path, "AddFields.field");
    if (parsed.segments.includes("*")) throw new PipelineConstructionError(`AddFields.field: '${path}' is a wildcard; name the one field to add`);
    if (defaultValue === null && !type.nullable) {
      throw new PipelineConstructionError(`AddFields.field: '${path}' is given the default null but its type is not nullable; give FieldType.nullable(type), or leave the default out (the field is then nullable and null)`);
    }
    const given = defaultValue !== undefined && defaultValue !== null;
    const field: NewField = { path: parsed, type: given || type.nullable ? type : FieldType.nullable(type), value: given ? defaultValue : null };
    return new AddFields<T, Added<O, P, V>>([...this.added, field]);
  }

  expand(input: PCollection<T>): PCollection<O> {
    const fullName = input.pipeline.currentNode().fullName;
    const added = this.added;
    const where = `AddFields(${added.map((a) => a.path.text).join(", ")})`;
    if (added.length === 0) throw new PipelineConstructionError(`${where} adds no field; add one with .field(name, FieldType.X)`, fullName);
    const schema = rowSchemaOf(input);
    const out = input.map("AddFields", (row: T) => added.reduce((r, a) => addToRow(r, a.path.segments, 0, a.value), row as Record<string, unknown>) as O);
    if (schema !== undefined) setRowCoder(out as PCollection<unknown>, added.reduce((s, a) => addToSchema(s, a, 0, where, fullName), schema));
    return out;
  }
}

