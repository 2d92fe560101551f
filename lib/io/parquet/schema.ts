/**
 * Parquet schemas for WriteToParquet: the column types of Beam Python's pyarrow schemas, spelled
 * as a plain object (column name → type) so a schema given `as const` types the rows at compile
 * time (ParquetRow), and turned into Parquet's schema elements for the writer. Rows are checked
 * against the schema before anything is written (`rowNormalizer`), with the path of the first
 * value that does not fit.
 *
 * pyarrow type → here: `pa.bool_()` "bool", `pa.int32()` "int32", `pa.int64()` "int64",
 * `pa.float32()` "float", `pa.float64()` "double", `pa.string()` "string", `pa.binary()` "binary",
 * `pa.timestamp("ms", tz="UTC")` "timestamp[ms]", `pa.timestamp("us", tz="UTC")` "timestamp[us]",
 * `pa.list_(t)` `{ list: t }`, `pa.struct([...])` `{ struct: { ... } }`. A field is REQUIRED
 * unless `nullable: true` (pyarrow's fields are nullable by default; here null must be asked for,
 * so that row types carry `| null` only where a column may hold nulls).
 */
import type { SchemaElement } from "hyparquet" with { "resolution-mode": "import" };

/** A Parquet column's value type (pyarrow's names; timestamps are UTC instants, written from Dates). */
export type ParquetPrimitive = "bool" | "int32" | "int64" | "float" | "double" | "string" | "binary" | "timestamp[ms]" | "timestamp[us]";

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

type PrimitiveValue<P, L> = P extends "bool" ? boolean : P extends "int32" | "float" | "double" ? number : P extends "int64" ? L : P extends "string" ? string : P extends "binary" ? Uint8Array : P extends "timestamp[ms]" | "timestamp[us]" ? Date : never;
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

const PRIMITIVES: ReadonlySet<string> = new Set(["bool", "int32", "int64", "float", "double", "string", "binary", "timestamp[ms]", "timestamp[us]"]);

interface Described {
  readonly kind: "primitive" | "list" | "struct";
  readonly nullable: boolean;
  readonly type?: ParquetPrimitive;
  readonly element?: ParquetField;
  readonly fields?: ParquetSchema;
}

function describe(field: ParquetField, path: string): Described {
  if (typeof field === "string") {
    if (!PRIMITIVES.has(field)) throw new Error(`column ${path}: unknown type '${field}' (use ${[...PRIMITIVES].join(", ")}, { list }, or { struct })`);
    return { kind: "primitive", nullable: false, type: field };
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

function primitiveElement(name: string, type: ParquetPrimitive, repetition: "REQUIRED" | "OPTIONAL"): SchemaElement {
  const base = { name, repetition_type: repetition } as const;
  switch (type) {
    case "bool":
      return { ...base, type: "BOOLEAN" };
    case "int32":
      return { ...base, type: "INT32" };
    case "int64":
      return { ...base, type: "INT64" };
    case "float":
      return { ...base, type: "FLOAT" };
    case "double":
      return { ...base, type: "DOUBLE" };
    case "string":
      return { ...base, type: "BYTE_ARRAY", converted_type: "UTF8", logical_type: { type: "STRING" } };
    case "binary":
      return { ...base, type: "BYTE_ARRAY" };
    case "timestamp[ms]":
      return { ...base, type: "INT64", converted_type: "TIMESTAMP_MILLIS", logical_type: { type: "TIMESTAMP", isAdjustedToUTC: true, unit: "MILLIS" } };
    case "timestamp[us]":
      return { ...base, type: "INT64", converted_type: "TIMESTAMP_MICROS", logical_type: { type: "TIMESTAMP", isAdjustedToUTC: true, unit: "MICROS" } };
  }
}

function fieldElements(name: string, field: ParquetField): SchemaElement[] {
  const d = describe(field, name);
  const repetition = d.nullable ? "OPTIONAL" : "REQUIRED";
  if (d.kind === "primitive") return [primitiveElement(name, d.type!, repetition)];
  if (d.kind === "list") {
    // The three-level list of the Parquet spec, as pyarrow writes it (list → repeated "list" → "element").
    return [
      { name, repetition_type: repetition, converted_type: "LIST", logical_type: { type: "LIST" }, num_children: 1 },
      { name: "list", repetition_type: "REPEATED", num_children: 1 },
      ...fieldElements("element", d.element!),
    ];
  }
  const names = Object.keys(d.fields!);
  return [{ name, repetition_type: repetition, num_children: names.length }, ...names.flatMap((n) => fieldElements(n, d.fields![n]!))];
}

/** The schema as Parquet's flattened schema elements (depth first, the root first). */
export function schemaElements(schema: ParquetSchema): SchemaElement[] {
  const names = Object.keys(schema);
  return [{ name: "schema", num_children: names.length }, ...names.flatMap((n) => fieldElements(n, schema[n]!))];
}

function show(v: unknown): string {
  if (typeof v === "bigint") return `${v}n`;
  if (typeof v === "string") return JSON.stringify(v.length > 40 ? `${v.slice(0, 40)}…` : v);
  if (v instanceof Date) return `Date(${Number.isNaN(v.getTime()) ? "invalid" : v.toISOString()})`;
  if (v instanceof Uint8Array) return `${v.constructor.name}(${v.length})`;
  if (Array.isArray(v)) return `an array of ${v.length}`;
  if (v !== null && typeof v === "object") return "an object";
  return String(v);
}

const INT32_MIN = -(2 ** 31);
const INT32_MAX = 2 ** 31 - 1;
const INT64_MIN = -(2n ** 63n);
const INT64_MAX = 2n ** 63n - 1n;

/** A problem with a value: its path and what was wrong. */
export class RowMismatch extends Error {}

function normalizePrimitive(type: ParquetPrimitive, v: unknown, path: string): unknown {
  const bad = (want: string): never => {
    throw new RowMismatch(`${path} is ${show(v)}, but the column is ${type} (${want})`);
  };
  switch (type) {
    case "bool":
      return typeof v === "boolean" ? v : bad("a boolean");
    case "int32":
      return typeof v === "number" && Number.isInteger(v) && v >= INT32_MIN && v <= INT32_MAX ? v : bad("an integer number within ±2^31");
    case "int64":
      if (typeof v === "bigint") return v >= INT64_MIN && v <= INT64_MAX ? v : bad("within the signed 64-bit range");
      return typeof v === "number" && Number.isSafeInteger(v) ? BigInt(v) : bad("a bigint, or a number that is a safe integer");
    case "float":
    case "double":
      return typeof v === "number" ? v : bad("a number");
    case "string":
      return typeof v === "string" ? v : bad("a string");
    case "binary":
      return v instanceof Uint8Array ? v : bad("a Uint8Array or Buffer");
    case "timestamp[ms]":
    case "timestamp[us]":
      return v instanceof Date && !Number.isNaN(v.getTime()) ? v : bad("a valid Date");
  }
}

/** Checks and normalizes one value; `path` names it in errors. */
type Normalizer = (v: unknown, path: string) => unknown;

/** The field's normalizer, built once per schema (a write checks every value of every row). */
function fieldNormalizer(field: ParquetField, where: string): Normalizer {
  const d = describe(field, where);
  let inner: Normalizer;
  if (d.kind === "primitive") {
    const type = d.type!;
    inner = (v, path) => normalizePrimitive(type, v, path);
  } else if (d.kind === "list") {
    const element = fieldNormalizer(d.element!, `${where}[]`);
    inner = (v, path) => {
      if (!Array.isArray(v)) throw new RowMismatch(`${path} is ${show(v)}, but the column is a list (an array)`);
      return v.map((e, i) => element(e, `${path}[${i}]`));
    };
  } else {
    inner = structNormalizer(d.fields!, false);
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

function structNormalizer(fields: ParquetSchema, isRow: boolean): Normalizer {
  const names = Object.keys(fields);
  const normalizers = names.map((n) => fieldNormalizer(fields[n]!, n));
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
export function rowNormalizer(schema: ParquetSchema): (row: unknown) => Record<string, unknown> {
  const normalize = structNormalizer(schema, true);
  return (row) => normalize(row, "") as Record<string, unknown>;
}
