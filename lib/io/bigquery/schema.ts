/**
 * BigQuery schemas and values: parsing Beam-style schema strings, typing rows read from the API,
 * encoding rows for writes, and checking rows against a schema before they are staged.
 *
 * Values read (cells arrive as strings in the API's f/v format):
 *
 * | BigQuery type            | JS value                                                          |
 * |--------------------------|-------------------------------------------------------------------|
 * | INTEGER / INT64          | `number` when it is a safe integer (|n| ≤ 2^53 − 1), else `bigint` |
 * | FLOAT / FLOAT64          | `number` (also NaN, ±Infinity)                                    |
 * | NUMERIC / BIGNUMERIC     | `string` (exact decimal text)                                      |
 * | BOOLEAN / BOOL           | `boolean`                                                         |
 * | STRING                   | `string`                                                          |
 * | BYTES                    | `Uint8Array` (a Buffer)                                            |
 * | TIMESTAMP                | `Date` (millisecond precision: microseconds are truncated)        |
 * | DATE, DATETIME, TIME     | `string` as BigQuery prints it (`2024-01-31`, `2024-01-31T10:00:00`) |
 * | GEOGRAPHY, JSON          | `string` (WKT, JSON text)                                         |
 * | RECORD / STRUCT          | a nested plain object                                             |
 * | mode REPEATED            | an array                                                          |
 * | NULL                     | `null`                                                            |
 *
 * Values written: the same types are accepted (bigint and Date included); numbers and strings
 * are also accepted where BigQuery accepts them (an integer as "42", a timestamp as an ISO string;
 * a number for a TIMESTAMP is read by BigQuery as epoch seconds).
 */
import { ValidationError } from "../../model/errors";

/** One column of a table schema (the shape of the BigQuery API's TableFieldSchema). */
export interface TableFieldSchema {
  readonly name: string;
  readonly type: string;
  readonly mode?: "NULLABLE" | "REQUIRED" | "REPEATED";
  readonly fields?: readonly TableFieldSchema[];
  readonly description?: string;
}

/** A table schema. */
export interface TableSchema {
  readonly fields: readonly TableFieldSchema[];
}

/** A row value as read from or written to BigQuery. */
export type BigQueryValue = null | boolean | number | bigint | string | Date | Uint8Array | readonly BigQueryValue[] | { readonly [column: string]: BigQueryValue };

/** A table row: column name → value. */
export type BigQueryRow = { readonly [column: string]: BigQueryValue };

/** Why BigQuery (or the pre-check) rejected a row. */
export interface RowError {
  /** BigQuery's reason code, e.g. "invalid", "stopped". */
  readonly reason: string;
  readonly message: string;
  /** The column concerned, when known. */
  readonly location?: string;
}

const TYPE_ALIASES: Record<string, string> = {
  INT64: "INTEGER",
  INT: "INTEGER",
  FLOAT64: "FLOAT",
  BOOL: "BOOLEAN",
  STRUCT: "RECORD",
  BIGDECIMAL: "BIGNUMERIC",
  DECIMAL: "NUMERIC",
};
const KNOWN_TYPES = new Set(["STRING", "BYTES", "INTEGER", "FLOAT", "NUMERIC", "BIGNUMERIC", "BOOLEAN", "TIMESTAMP", "DATE", "TIME", "DATETIME", "GEOGRAPHY", "JSON", "RECORD"]);

function canonicalType(type: string): string {
  const t = type.toUpperCase();
  return TYPE_ALIASES[t] ?? t;
}

/**
 * A schema from a Beam-style string (`"ID:INTEGER, P0:FLOAT, name:STRING"`; a column without a
 * type is STRING; NULLABLE mode) or an object (`{fields: [{name, type, mode}]}`), checked.
 */
export function parseSchema(schema: string | TableSchema): TableSchema {
  if (typeof schema !== "string") {
    for (const f of schema.fields) checkField(f);
    return schema;
  }
  const fields: TableFieldSchema[] = [];
  for (const part of schema.split(",")) {
    const item = part.trim();
    if (item === "") continue;
    const [name, type = "STRING", extra] = item.split(":").map((s) => s.trim());
    if (extra !== undefined || !name) throw new ValidationError(`Invalid BigQuery schema entry '${item}' in '${schema}': write NAME:TYPE, e.g. 'ID:INTEGER, P0:FLOAT'.`);
    const field: TableFieldSchema = { name, type: canonicalType(type), mode: "NULLABLE" };
    checkField(field);
    fields.push(field);
  }
  if (fields.length === 0) throw new ValidationError(`The BigQuery schema '${schema}' names no columns: write e.g. 'ID:INTEGER, P0:FLOAT'.`);
  return { fields };
}

function checkField(f: TableFieldSchema): void {
  if (!/^[A-Za-z_][A-Za-z0-9_]*$/.test(f.name)) {
    throw new ValidationError(`Invalid BigQuery column name '${f.name}': use letters, digits and underscores, not starting with a digit.`);
  }
  const t = canonicalType(f.type);
  if (!KNOWN_TYPES.has(t)) {
    throw new ValidationError(`Unknown BigQuery type '${f.type}' for column '${f.name}'; use one of ${[...KNOWN_TYPES].join(", ")}.`);
  }
  for (const sub of f.fields ?? []) checkField(sub);
}

// ---------------------------------------------------------------------------------------------
// Reading: f/v cells → typed values

/** A cell as the API returns it. */
export type Cell = { readonly v: unknown };

function convertScalar(type: string, v: unknown): BigQueryValue {
  if (v === null || v === undefined) return null;
  const s = String(v);
  switch (canonicalType(type)) {
    case "INTEGER": {
      const n = Number(s);
      return Number.isSafeInteger(n) ? n : BigInt(s);
    }
    case "FLOAT":
      return Number(s);
    case "BOOLEAN":
      return s === "true" || s === "TRUE" || s === "1";
    case "TIMESTAMP": {
      // int64 microseconds (useInt64Timestamp), or float seconds / ISO text from older paths.
      if (/^-?\d+$/.test(s)) return new Date(Number(BigInt(s) / 1000n));
      if (/^-?\d+(\.\d+)?(e[+-]?\d+)?$/i.test(s)) return new Date(Math.trunc(Number(s) * 1000));
      return new Date(s);
    }
    case "BYTES":
      return Buffer.from(s, "base64");
    default:
      return s;
  }
}

function convertField(field: TableFieldSchema, v: unknown): BigQueryValue {
  if (v === null || v === undefined) return field.mode === "REPEATED" ? [] : null;
  if (field.mode === "REPEATED") return (v as Cell[]).map((c) => convertValue(field, c.v));
  return convertValue(field, v);
}

function convertValue(field: TableFieldSchema, v: unknown): BigQueryValue {
  if (v === null || v === undefined) return null;
  if (canonicalType(field.type) === "RECORD") return rowFromCells(field.fields ?? [], (v as { f: Cell[] }).f);
  return convertScalar(field.type, v);
}

/** Types one API row (`{f: [{v}, ...]}`) by the schema, column by position. */
export function rowFromCells(fields: readonly TableFieldSchema[], cells: readonly Cell[]): BigQueryRow {
  const row: Record<string, BigQueryValue> = {};
  for (let i = 0; i < fields.length; i++) row[fields[i]!.name] = convertField(fields[i]!, cells[i]?.v);
  return row;
}

// ---------------------------------------------------------------------------------------------
// Writing: typed values → JSON, and the pre-check

/** A row as a line of newline-delimited JSON (the load-job format), values in their JSON form (see toJsonValue). */
export function rowJsonLine(row: object): string {
  // Most rows hold only strings, finite numbers and booleans, whose JSON form is themselves: one
  // JSON.stringify then, without building a converted copy of the row first.
  if (typeof (row as { toJSON?: unknown }).toJSON === "function") return JSON.stringify(toJsonValue(row)) + "\n";
  for (const k in row) {
    const v: unknown = (row as Record<string, unknown>)[k];
    if (!(typeof v === "string" || (typeof v === "number" && Number.isFinite(v)) || typeof v === "boolean" || v === null)) return JSON.stringify(toJsonValue(row)) + "\n";
  }
  return JSON.stringify(row) + "\n";
}

/** The JSON form BigQuery accepts for a value (bigint → decimal string, Date → ISO, bytes → base64). */
export function toJsonValue(v: unknown): unknown {
  if (v === null || v === undefined) return null;
  if (typeof v === "bigint") return v.toString();
  if (v instanceof Date) return v.toISOString();
  if (v instanceof Uint8Array) return Buffer.from(v.buffer, v.byteOffset, v.byteLength).toString("base64");
  if (Array.isArray(v)) return v.map(toJsonValue);
  if (typeof v === "number" && !Number.isFinite(v)) return String(v);
  if (typeof v === "object") {
    const out: Record<string, unknown> = {};
    for (const [k, x] of Object.entries(v as Record<string, unknown>)) out[k] = toJsonValue(x);
    return out;
  }
  return v;
}

const INT64_MIN = -(2n ** 63n);
const INT64_MAX = 2n ** 63n - 1n;
// The text forms BigQuery's loads accept for civil dates and times.
const DATE_TEXT = /^\d{4}-\d{1,2}-\d{1,2}$/;
const DATETIME_TEXT = /^(\d{4}-\d{1,2}-\d{1,2})(?:[T ](\d{1,2}:\d{1,2}(?::\d{1,2}(?:\.\d{1,6})?)?))?$/;
const TIME_TEXT = /^\d{1,2}:\d{1,2}(?::\d{1,2}(?:\.\d{1,6})?)?$/;

/** Whether `Y-M-D` (already matched by DATE_TEXT) is a day of the calendar, years 1 to 9999. */
function validDate(text: string): boolean {
  const [y, m, d] = text.split("-").map(Number) as [number, number, number];
  const date = new Date(Date.UTC(2000, m - 1, d));
  date.setUTCFullYear(y);
  return y >= 1 && date.getUTCFullYear() === y && date.getUTCMonth() === m - 1 && date.getUTCDate() === d;
}

/** Whether `H:M[:S[.f]]` (absent: midnight) is a time of day. */
function validTime(text: string | undefined): boolean {
  if (text === undefined) return true;
  const [h, m, sec] = text.split(":").map(Number) as [number, number, number | undefined];
  return h <= 23 && m <= 59 && (sec === undefined || sec < 60);
}

/** What is wrong with a value for a column of (canonical) type `type`, if anything. */
function scalarProblem(type: string, v: unknown): string | undefined {
  switch (type) {
    case "INTEGER": {
      const n = typeof v === "bigint" ? v : typeof v === "number" && Number.isInteger(v) ? BigInt(v) : typeof v === "string" && /^[+-]?\d+$/.test(v.trim()) ? BigInt(v.trim()) : undefined;
      if (n === undefined) return "is not an integer";
      // Beyond INT64 BigQuery cannot store it, and one such row would fail a whole load job.
      return n < INT64_MIN || n > INT64_MAX ? "is outside the INT64 range (-2^63 to 2^63-1); use a NUMERIC or STRING column" : undefined;
    }
    case "FLOAT":
    case "NUMERIC":
    case "BIGNUMERIC":
      if (typeof v === "number" || typeof v === "bigint" || (typeof v === "string" && v.trim() !== "" && !Number.isNaN(Number(v)))) return undefined;
      return "is not a number";
    case "BOOLEAN":
      // BigQuery also converts 1 and 0 (numbers or text) to BOOLEAN.
      if (typeof v === "boolean" || v === 1 || v === 0 || (typeof v === "string" && /^(true|false|1|0)$/i.test(v.trim()))) return undefined;
      return "is not a boolean";
    case "TIMESTAMP":
      if (v instanceof Date ? !Number.isNaN(v.getTime()) : typeof v === "number" ? Number.isFinite(v) : typeof v === "string" && !Number.isNaN(Date.parse(v))) {
        return undefined;
      }
      return "is not a timestamp (use a Date, an ISO 8601 string or epoch seconds)";
    case "BYTES":
      return v instanceof Uint8Array || (typeof v === "string" && /^[A-Za-z0-9+/=_-]*$/.test(v)) ? undefined : "is not bytes (use a Uint8Array or base64 text)";
    case "DATE":
      return typeof v === "string" && DATE_TEXT.test(v.trim()) && validDate(v.trim()) ? undefined : "is not a date (YYYY-MM-DD)";
    case "DATETIME": {
      const m = typeof v === "string" ? DATETIME_TEXT.exec(v.trim()) : null;
      return m !== null && validDate(m[1]!) && validTime(m[2]) ? undefined : "is not a datetime (YYYY-MM-DD[ HH:MM[:SS[.ffffff]]])";
    }
    case "TIME":
      return typeof v === "string" && TIME_TEXT.test(v.trim()) && validTime(v.trim()) ? undefined : "is not a time (HH:MM[:SS[.ffffff]])";
    case "STRING":
    case "GEOGRAPHY":
      return typeof v === "string" ? undefined : "is not a string";
    default:
      return undefined;
  }
}

function describe(v: unknown): string {
  if (typeof v === "string") return JSON.stringify(v.length > 40 ? v.slice(0, 40) + "…" : v);
  if (typeof v === "bigint") return `${v}n`;
  if (v instanceof Date) return v.toISOString();
  if (typeof v === "object" && v !== null) return Array.isArray(v) ? "an array" : "an object";
  return String(v);
}

/** A field list's column names and canonical types, worked out once per schema rather than per row. */
const fieldLists = new WeakMap<readonly TableFieldSchema[], { readonly names: ReadonlySet<string>; readonly types: readonly string[] }>();

function fieldListOf(fields: readonly TableFieldSchema[]): { readonly names: ReadonlySet<string>; readonly types: readonly string[] } {
  let info = fieldLists.get(fields);
  if (info === undefined) fieldLists.set(fields, (info = { names: new Set(fields.map((f) => f.name)), types: fields.map((f) => canonicalType(f.type)) }));
  return info;
}

function checkFields(fields: readonly TableFieldSchema[], row: unknown, path: string, errors: RowError[]): void {
  if (typeof row !== "object" || row === null || Array.isArray(row)) {
    errors.push({ reason: "invalid", message: `${path || "the row"} is not an object`, ...(path ? { location: path } : {}) });
    return;
  }
  const { names, types } = fieldListOf(fields);
  for (const key of Object.keys(row)) {
    if (!names.has(key)) errors.push({ reason: "invalid", message: `no such field: ${path}${key}`, location: path + key });
  }
  for (let i = 0; i < fields.length; i++) {
    const f = fields[i]!;
    const v = (row as Record<string, unknown>)[f.name];
    if (v === null || v === undefined) {
      if (f.mode === "REQUIRED") errors.push({ reason: "invalid", message: `missing required field ${path + f.name}`, location: path + f.name });
    } else if (f.mode !== "REPEATED") {
      checkValue(f, types[i]!, v, path, errors);
    } else if (!Array.isArray(v)) {
      errors.push({ reason: "invalid", message: `${path + f.name} is REPEATED but the value is not an array`, location: path + f.name });
    } else {
      for (const x of v) checkValue(f, types[i]!, x, path, errors);
    }
  }
}

function checkValue(f: TableFieldSchema, type: string, x: unknown, path: string, errors: RowError[]): void {
  const location = path + f.name;
  if (type === "RECORD") return checkFields(f.fields ?? [], x, location + ".", errors);
  const problem = scalarProblem(type, x);
  if (problem !== undefined) errors.push({ reason: "invalid", message: `${location}: ${describe(x)} ${problem} (column type ${f.type})`, location });
}

/** The reasons a row does not fit the schema (empty when it fits). */
export function checkRow(schema: TableSchema, row: unknown): RowError[] {
  const errors: RowError[] = [];
  checkFields(schema.fields, row, "", errors);
  return errors;
}
