/**
 * Parquet schemas for WriteToParquet: the column types of Beam Python's pyarrow schemas, spelled
 * as a plain object (column name → type) so a schema given `as const` types the rows at compile
 * time (ParquetRow), and turned into Parquet's schema elements for the writer. Rows are checked
 * against the schema before anything is written (`rowNormalizer`), with the path of the first
 * value that does not fit.
 *
 * pyarrow type → here: the name pyarrow prints (`str(t)`): "bool", "int8" … "int64", "uint8" …
 * "uint64", "float", "double", "string", "binary", "fixed_size_binary[16]", "decimal128(10, 2)",
 * "date32", "timestamp[ms]" / "[us]" / "[ns]" (UTC), "time32[ms]", "time64[us]" (primitives.ts),
 * `pa.list_(t)` `{ list: t }`, `pa.struct([...])` `{ struct: { ... } }`. A field is REQUIRED
 * unless `nullable: true` (pyarrow's fields are nullable by default; here null must be asked for,
 * so that row types carry `| null` only where a column may hold nulls).
 */
import type { SchemaElement } from "hyparquet" with { "resolution-mode": "import" };
import { normalizePrimitive, type ParquetDecimalType, type ParquetFixedType, parsePrimitive, type Primitive, primitiveBytes, primitiveElement, PRIMITIVE_NAMES, primitiveProblem, RowMismatch, show, SIMPLE_PRIMITIVES } from "./primitives";

export { RowMismatch } from "./primitives";

/** A Parquet column's value type (pyarrow's names; timestamps are UTC instants, written from Dates). */
export type ParquetPrimitive = (typeof SIMPLE_PRIMITIVES)[number] | ParquetDecimalType | ParquetFixedType;

/** A primitive column that may be declared nullable: `{ type: "int32", nullable: true }`. */
export interface ParquetTypedField {
  /** The column's type. */
  readonly type: ParquetPrimitive;
  /** Whether the column may hold null (default false: REQUIRED). */
  readonly nullable?: boolean;
}

/** A list column (pyarrow's `pa.list_(t)`): `{ list: "string" }`. */
export interface ParquetListField {
  /** The elements' type (an element may be nullable on its own: `{ list: { type: "int64", nullable: true } }`). */
  readonly list: ParquetField;
  /** Whether the list itself may be null (default false). */
  readonly nullable?: boolean;
}

/** A struct column (pyarrow's `pa.struct([...])`): `{ struct: { city: "string" } }`. */
export interface ParquetStructField {
  /** The struct's fields, in order. */
  readonly struct: ParquetSchema;
  /** Whether the struct may be null (default false). */
  readonly nullable?: boolean;
}

/** A column's type: a primitive (REQUIRED), or an object saying it is nullable, a list or a struct. */
export type ParquetField = ParquetPrimitive | ParquetTypedField | ParquetListField | ParquetStructField;

/** The columns of a Parquet file, in order: name → type. */
export type ParquetSchema = { readonly [column: string]: ParquetField };

/** How INT64 columns read: "number" (default; beyond ±2^53 fails the read) or "bigint". */
export type ParquetInt64 = "number" | "bigint";

type PrimitiveValue<P, L> = P extends "bool"
  ? boolean
  : P extends "int8" | "int16" | "int32" | "uint8" | "uint16" | "uint32" | "float" | "double" | "time32[ms]"
    ? number
    : P extends "int64" | "uint64" | "time64[us]"
      ? L
      : P extends "string" | ParquetDecimalType
        ? string
        : P extends "binary" | ParquetFixedType
          ? Uint8Array
          : P extends "timestamp[ms]" | "timestamp[us]" | "timestamp[ns]" | "date32"
            ? Date
            : never;
type OrNull<F, V> = F extends { readonly nullable: true } ? V | null : V;
/** The JS value of a column of type F (int64 as L). */
export type ParquetFieldValue<F, L = number> = F extends ParquetPrimitive
  ? PrimitiveValue<F, L>
  : F extends ParquetTypedField
    ? OrNull<F, PrimitiveValue<F["type"], L>>
    : F extends ParquetListField
      ? OrNull<F, ParquetFieldValue<F["list"], L>[]>
      : F extends ParquetStructField
        ? OrNull<F, ParquetRow<F["struct"], L>>
        : never;
/** A row of schema S as a plain object (int64 columns as L: number, bigint, or either when writing). */
export type ParquetRow<S, L = number> = { -readonly [K in keyof S]: ParquetFieldValue<S[K], L> };

interface Described {
  readonly kind: "primitive" | "list" | "struct";
  readonly nullable: boolean;
  readonly type?: Primitive;
  readonly element?: ParquetField;
  readonly fields?: ParquetSchema;
}

function describe(field: ParquetField, path: string): Described {
  if (typeof field === "string") {
    const type = parsePrimitive(field);
    if (type === undefined) throw new Error(`column ${path}: unknown type '${field}' (use ${PRIMITIVE_NAMES}, { list }, or { struct })`);
    const problem = primitiveProblem(type);
    if (problem !== undefined) throw new Error(`column ${path}: ${problem}`);
    return { kind: "primitive", nullable: false, type };
  }
  if (field === null || typeof field !== "object") throw new Error(`column ${path}: a type must be a type name or an object, got ${String(field)}`);
  const nullable = field.nullable === true;
  if ("type" in field) return { ...describe(field.type, path), nullable };
  if ("list" in field) return { kind: "list", nullable, element: field.list };
  if ("struct" in field) return { kind: "struct", nullable, fields: field.struct };
  throw new Error(`column ${path}: an object type needs 'type', 'list' or 'struct'`);
}

/** Checks a schema (throws with the column's path when it is not one). */
export function checkSchema(schema: ParquetSchema, path = ""): void {
  if (schema === null || typeof schema !== "object" || Array.isArray(schema)) throw new Error("a Parquet schema is an object of column name → type");
  const names = Object.keys(schema);
  if (names.length === 0) throw new Error(`${path === "" ? "the schema" : `struct ${path}`} has no columns`);
  for (const name of names) {
    const d = describe(schema[name]!, path + name);
    if (d.kind === "list") checkSchema({ element: d.element! }, `${path}${name}.`);
    if (d.kind === "struct") checkSchema(d.fields!, `${path}${name}.`);
  }
}

/** How a schema is written: list elements named "element" (compliant) or "item"; timestamps as INT96. */
export interface ElementOptions {
  readonly compliant: boolean;
  readonly int96: boolean;
}

function fieldElements(name: string, field: ParquetField, options: ElementOptions): SchemaElement[] {
  const d = describe(field, name);
  const repetition = d.nullable ? "OPTIONAL" : "REQUIRED";
  if (d.kind === "primitive") return [primitiveElement(name, d.type!, repetition, options.int96)];
  if (d.kind === "list") {
    // The three-level list of the Parquet spec (list → repeated "list" → element). The element is
    // named "element" in the spec's compliant form (pyarrow's use_compliant_nested_type=True, its
    // default since pyarrow 13), "item" in Arrow's older form; readers take either.
    return [
      { name, repetition_type: repetition, converted_type: "LIST", logical_type: { type: "LIST" }, num_children: 1 },
      { name: "list", repetition_type: "REPEATED", num_children: 1 },
      ...fieldElements(options.compliant ? "element" : "item", d.element!, options),
    ];
  }
  const names = Object.keys(d.fields!);
  return [{ name, repetition_type: repetition, num_children: names.length }, ...names.flatMap((n) => fieldElements(n, d.fields![n]!, options))];
}

/** The schema as Parquet's flattened schema elements (depth first, the root first). */
export function schemaElements(schema: ParquetSchema, options: ElementOptions = { compliant: true, int96: false }): SchemaElement[] {
  const names = Object.keys(schema);
  return [{ name: "schema", num_children: names.length }, ...names.flatMap((n) => fieldElements(n, schema[n]!, options))];
}

/** Checks and normalizes one value; `path` names it in errors. */
type Normalizer = (v: unknown, path: string) => unknown;

/** The field's normalizer, built once per schema (a write checks every value of every row). */
function fieldNormalizer(field: ParquetField, where: string, int96: boolean): Normalizer {
  const d = describe(field, where);
  let inner: Normalizer;
  if (d.kind === "primitive") {
    const type = d.type!;
    inner = (v, path) => normalizePrimitive(type, v, path, int96);
  } else if (d.kind === "list") {
    const element = fieldNormalizer(d.element!, `${where}[]`, int96);
    inner = (v, path) => {
      if (!Array.isArray(v)) throw new RowMismatch(`${path} is ${show(v)}, but the column is a list (an array)`);
      return v.map((e, i) => element(e, `${path}[${i}]`));
    };
  } else {
    inner = structNormalizer(d.fields!, false, int96);
  }
  const nullable = d.nullable;
  return (v, path) => {
    if (v === null || v === undefined) {
      if (nullable) return null;
      throw new RowMismatch(`${path} is ${v === null ? "null" : "missing"}, but the column is not nullable (declare it { type, nullable: true } to allow nulls)`);
    }
    return inner(v, path);
  };
}

function structNormalizer(fields: ParquetSchema, isRow: boolean, int96: boolean): Normalizer {
  const names = Object.keys(fields);
  const normalizers = names.map((n) => fieldNormalizer(fields[n]!, n, int96));
  return (v, path) => {
    if (v === null || typeof v !== "object" || Array.isArray(v) || v instanceof Date || v instanceof Uint8Array) {
      throw new RowMismatch(`${isRow ? "the row" : path} is ${show(v)}, but ${isRow ? "a row" : "the column"} is a struct (a plain object of its fields)`);
    }
    const obj = v as Record<string, unknown>;
    const out: Record<string, unknown> = {};
    for (let i = 0; i < names.length; i++) {
      const name = names[i]!;
      // A row must have every column (Beam Python's sink takes row[name] for each); within a
      // struct a missing field is null, as pyarrow's Table.from_pylist reads it.
      if (isRow && !(name in obj)) throw new RowMismatch(`the row has no column '${name}' (every column of the schema must be given; null for a nullable one)`);
      out[name] = normalizers[i]!(obj[name], isRow ? name : `${path}.${name}`);
    }
    return out;
  };
}

/**
 * The check of rows: each row as the writer takes it (int64s as bigints), or a RowMismatch naming the first value
 * that does not fit the schema. Fields the schema lacks are not written, as in Beam Python's
 * WriteToParquet (which takes only the schema's columns of each row).
 */
export function rowNormalizer(schema: ParquetSchema, int96 = false): (row: unknown) => Record<string, unknown> {
  const normalize = structNormalizer(schema, true, int96);
  return (row) => normalize(row, "") as Record<string, unknown>;
}

/**
 * Estimated Arrow-layout bytes of a normalized row, for `rowGroupBufferSize` (Beam Python sums
 * the buffers of its pyarrow record batches): each value's width, a validity bit per nullable
 * value, 4 offset bytes per list.
 */
export function rowSizer(schema: ParquetSchema): (row: Record<string, unknown>) => number {
  const sizer = (field: ParquetField): ((v: unknown) => number) => {
    const d = describe(field, "");
    const validity = d.nullable ? 0.125 : 0;
    if (d.kind === "primitive") {
      const p = d.type!;
      return (v) => validity + (v === null ? 0 : primitiveBytes(p, v));
    }
    if (d.kind === "list") {
      const element = sizer(d.element!);
      return (v) => validity + 4 + (Array.isArray(v) ? v.reduce((n: number, e) => n + element(e), 0) : 0);
    }
    const fields = structSizer(d.fields!);
    return (v) => validity + (v === null ? 0 : fields(v as Record<string, unknown>));
  };
  const structSizer = (fields: ParquetSchema): ((v: Record<string, unknown>) => number) => {
    const parts = Object.keys(fields).map((n) => [n, sizer(fields[n]!)] as const);
    return (v) => parts.reduce((n, [name, size]) => n + size(v[name]), 0);
  };
  return structSizer(schema);
}
