/**
 * BigQuery value typing. Three representations meet here:
 * - input values (insertAll JSON, NDJSON and CSV loads): native JSON or strings, to be validated;
 * - stored values: normalised and JSON-serialisable (INTEGER and TIMESTAMP as decimal strings so
 *   int64 survives, TIMESTAMP as microseconds since the epoch);
 * - REST cells: `{v: "..."}` with every scalar a string, TIMESTAMP as integer micros (the clients
 *   ask for `formatOptions.useInt64Timestamp=true` and parse with `BigInt`).
 */

export interface FieldSchema {
  name: string;
  type: string;
  mode?: string;
  fields?: FieldSchema[];
  description?: string;
}

export type StoredValue = null | string | number | boolean | StoredValue[] | { [name: string]: StoredValue };
export type StoredRow = Record<string, StoredValue>;

/** A REST table cell: `{v: string | null | Cell[] | {f: Cell[]}}`. */
export interface Cell {
  v: string | null | Cell[] | { f: Cell[] };
}

/** A value that does not fit its column; `location` names the field (dotted for nested ones). */
export class ValueError extends Error {
  constructor(
    message: string,
    readonly location: string,
  ) {
    super(message);
  }
}

/** Canonical type names: the API accepts both legacy (INTEGER) and standard SQL (INT64) names. */
export function canonicalType(type: string): string {
  const upper = type.toUpperCase();
  const aliases: Record<string, string> = { INT64: "INTEGER", FLOAT64: "FLOAT", BOOL: "BOOLEAN", STRUCT: "RECORD", DECIMAL: "NUMERIC", BIGDECIMAL: "BIGNUMERIC" };
  return aliases[upper] ?? upper;
}

const KNOWN_TYPES = new Set(["STRING", "BYTES", "INTEGER", "FLOAT", "NUMERIC", "BIGNUMERIC", "BOOLEAN", "TIMESTAMP", "DATE", "TIME", "DATETIME", "GEOGRAPHY", "JSON", "RECORD", "INTERVAL", "RANGE"]);

/** BigQuery allows RECORD columns nested this deep. */
const MAX_NESTING = 15;
const MODES = new Set(["NULLABLE", "REQUIRED", "REPEATED"]);

/** Checks a schema from a request and returns it with canonical types and modes. */
export function normaliseSchema(fields: unknown, path = "", depth = 1): FieldSchema[] {
  if (!Array.isArray(fields)) throw new ValueError("Schema fields must be an array", path || "schema");
  if (depth > MAX_NESTING) throw new ValueError(`Field ${path.slice(0, -1)} is nested more than ${MAX_NESTING} levels deep`, path.slice(0, -1));
  const seen = new Set<string>();
  return fields.map((raw: unknown) => {
    if (raw === null || typeof raw !== "object" || Array.isArray(raw)) throw new ValueError(`Invalid schema field: expected an object, got ${raw === null ? "null" : typeof raw}`, path || "schema");
    const f = raw as Record<string, unknown>;
    if (typeof f.name !== "string" || !/^[A-Za-z_][A-Za-z0-9_]*$/.test(f.name)) throw new ValueError(`Invalid field name "${String(f.name)}"`, path || "schema");
    const name = f.name;
    const lower = name.toLowerCase();
    if (seen.has(lower)) throw new ValueError(`Duplicate column name: ${name}`, path + name);
    seen.add(lower);
    if (f.type !== undefined && f.type !== null && typeof f.type !== "string") throw new ValueError(`Invalid field type for field ${name}: expected a string`, path + name);
    if (f.mode !== undefined && f.mode !== null && typeof f.mode !== "string") throw new ValueError(`Invalid mode for field ${name}: expected a string`, path + name);
    const type = canonicalType((f.type as string | undefined) ?? "STRING");
    if (!KNOWN_TYPES.has(type)) throw new ValueError(`Invalid field type ${String(f.type)} for field ${name}`, path + name);
    const mode = ((f.mode as string | undefined) ?? "NULLABLE").toUpperCase();
    if (!MODES.has(mode)) throw new ValueError(`Invalid mode ${mode} for field ${name} (NULLABLE, REQUIRED or REPEATED)`, path + name);
    const out: FieldSchema = { name, type, mode };
    if (typeof f.description === "string" && f.description) out.description = f.description;
    if (type === "RECORD") out.fields = normaliseSchema(f.fields ?? [], `${path}${name}.`, depth + 1);
    return out;
  });
}

// ---- input → stored ----

const INT64_MIN = -(2n ** 63n);
const INT64_MAX = 2n ** 63n - 1n;

/** Converts a row from insertAll or a load to stored form, or throws ValueError. */
export function convertRow(input: Record<string, unknown>, fields: FieldSchema[], ignoreUnknownValues: boolean, path = ""): StoredRow {
  const byName = new Map(fields.map((f) => [f.name.toLowerCase(), f]));
  for (const key of Object.keys(input)) {
    if (!byName.has(key.toLowerCase()) && !ignoreUnknownValues) throw new ValueError(`no such field: ${path}${key}.`, path + key);
  }
  const lowerInput = new Map(Object.entries(input).map(([k, v]) => [k.toLowerCase(), v]));
  const row: StoredRow = {};
  for (const field of fields) {
    row[field.name] = convertField(lowerInput.get(field.name.toLowerCase()), field, ignoreUnknownValues, path + field.name);
  }
  return row;
}

function convertField(value: unknown, field: FieldSchema, ignoreUnknown: boolean, location: string): StoredValue {
  if (field.mode === "REPEATED") {
    if (value === undefined || value === null) return [];
    if (!Array.isArray(value)) throw new ValueError(`Non-array value for repeated field: ${location}.`, location);
    return value.map((element) => {
      if (element === null || element === undefined) throw new ValueError(`Null value in repeated field: ${location}.`, location);
      return convertScalar(element, field, ignoreUnknown, location);
    });
  }
  if (value === undefined || value === null) {
    if (field.mode === "REQUIRED") throw new ValueError(`Missing required field: ${location}.`, location);
    return null;
  }
  if (Array.isArray(value)) throw new ValueError(`Array specified for non-repeated field: ${location}.`, location);
  return convertScalar(value, field, ignoreUnknown, location);
}

function convertScalar(value: unknown, field: FieldSchema, ignoreUnknown: boolean, location: string): StoredValue {
  const bad = (what: string): never => {
    throw new ValueError(`Cannot convert value to ${what}: ${typeof value === "object" ? JSON.stringify(value) : String(value)} (field ${location}).`, location);
  };
  const text = typeof value === "string" ? value.trim() : undefined;
  switch (field.type) {
    case "STRING":
    case "GEOGRAPHY":
      if (typeof value === "object") return bad("string");
      return String(value);
    case "JSON":
      return typeof value === "string" ? value : JSON.stringify(value);
    case "BYTES":
      if (typeof value !== "string" || !/^[A-Za-z0-9+/=_-]*$/.test(value)) return bad("bytes (base64)");
      return value;
    case "INTEGER": {
      let n: bigint | undefined;
      if (typeof value === "number" && Number.isInteger(value)) n = BigInt(value);
      else if (text !== undefined && /^[+-]?\d+$/.test(text)) n = BigInt(text);
      if (n === undefined || n < INT64_MIN || n > INT64_MAX) return bad("integer");
      return String(n);
    }
    case "FLOAT": {
      if (typeof value === "number") return value;
      if (text !== undefined && text !== "") {
        if (/^[+-]?(inf|infinity)$/i.test(text)) return text.startsWith("-") ? "-Infinity" : "Infinity";
        if (/^nan$/i.test(text)) return "NaN";
        const n = Number(text);
        if (!Number.isNaN(n)) return n;
      }
      return bad("float");
    }
    case "NUMERIC":
    case "BIGNUMERIC":
      if (typeof value === "number" && Number.isFinite(value)) return String(value);
      if (text !== undefined && /^[+-]?(\d+\.?\d*|\.\d+)(e[+-]?\d+)?$/i.test(text)) return text;
      return bad("numeric");
    case "BOOLEAN":
      if (typeof value === "boolean") return value;
      if (value === 1 || value === 0) return value === 1;
      if (text !== undefined && /^(true|false|1|0)$/i.test(text)) return /^(true|1)$/i.test(text);
      return bad("boolean");
    case "TIMESTAMP": {
      const micros = typeof value === "number" ? secondsToMicros(value) : text !== undefined ? parseTimestampMicros(text) : undefined;
      return micros === undefined ? bad("timestamp") : micros.toString();
    }
    case "DATE": {
      const m = text !== undefined ? /^(\d{4})-(\d{1,2})-(\d{1,2})$/.exec(text) : null;
      if (!m || !validDate(+m[1], +m[2], +m[3])) return bad("date");
      return `${m[1]}-${pad(+m[2])}-${pad(+m[3])}`;
    }
    case "DATETIME": {
      const m = text !== undefined ? /^(\d{4})-(\d{1,2})-(\d{1,2})(?:[T ](\d{1,2}):(\d{2})(?::(\d{2})(\.\d{1,6})?)?)?$/.exec(text) : null;
      if (!m || !validDate(+m[1], +m[2], +m[3])) return bad("datetime");
      return `${m[1]}-${pad(+m[2])}-${pad(+m[3])}T${pad(+(m[4] ?? 0))}:${m[5] ?? "00"}:${m[6] ?? "00"}${m[7] ?? ""}`;
    }
    case "TIME": {
      const m = text !== undefined ? /^(\d{1,2}):(\d{2})(?::(\d{2})(\.\d{1,6})?)?$/.exec(text) : null;
      if (!m || +m[1] > 23) return bad("time");
      return `${pad(+m[1])}:${m[2]}:${m[3] ?? "00"}${m[4] ?? ""}`;
    }
    case "RECORD":
      if (typeof value !== "object" || value === null) return bad("record");
      return convertRow(value as Record<string, unknown>, field.fields ?? [], ignoreUnknown, `${location}.`);
    default:
      return typeof value === "string" ? value : JSON.stringify(value);
  }
}

const pad = (n: number): string => String(n).padStart(2, "0");

function validDate(y: number, m: number, d: number): boolean {
  const date = new Date(Date.UTC(y, m - 1, d));
  return date.getUTCFullYear() === y && date.getUTCMonth() === m - 1 && date.getUTCDate() === d;
}

function secondsToMicros(seconds: number): bigint | undefined {
  if (!Number.isFinite(seconds)) return undefined;
  return BigInt(Math.round(seconds * 1e6));
}

/**
 * Parses BigQuery's timestamp literals to microseconds since the epoch, exactly (no float rounding):
 * `2024-01-02 03:04:05.123456 UTC`, `2024-01-02T03:04:05Z`, `...+02:00`, a bare date, or
 * seconds since the epoch as a number string.
 */
export function parseTimestampMicros(text: string): bigint | undefined {
  if (/^[+-]?\d+(\.\d+)?(e[+-]?\d+)?$/i.test(text)) return secondsToMicros(Number(text));
  const m = /^(\d{4})-(\d{1,2})-(\d{1,2})(?:[T ](\d{1,2}):(\d{2})(?::(\d{2})(?:\.(\d{1,9}))?)?)?\s*(Z|UTC|[+-]\d{1,2}(?::?\d{2})?)?$/i.exec(text.trim());
  if (!m || !validDate(+m[1], +m[2], +m[3])) return undefined;
  const ms = Date.UTC(+m[1], +m[2] - 1, +m[3], +(m[4] ?? 0), +(m[5] ?? 0), +(m[6] ?? 0));
  let micros = BigInt(ms) * 1000n + BigInt((m[7] ?? "").padEnd(6, "0").slice(0, 6) || "0");
  const zone = m[8];
  if (zone && !/^(z|utc)$/i.test(zone)) {
    const z = /^([+-])(\d{1,2})(?::?(\d{2}))?$/.exec(zone);
    if (!z) return undefined;
    const offsetMinutes = (+z[2] * 60 + +(z[3] ?? 0)) * (z[1] === "-" ? -1 : 1);
    micros -= BigInt(offsetMinutes) * 60_000_000n;
  }
  return micros;
}

// ---- stored → REST cells ----

export interface CellOptions {
  /** true (the clients' default): TIMESTAMP as integer micros; false: float seconds. */
  useInt64Timestamp: boolean;
}

export function rowToCells(row: StoredRow, fields: FieldSchema[], opts: CellOptions): { f: Cell[] } {
  return { f: fields.map((field) => valueToCell(row[field.name] ?? null, field, opts)) };
}

function valueToCell(value: StoredValue, field: FieldSchema, opts: CellOptions): Cell {
  if (field.mode === "REPEATED") {
    const items = Array.isArray(value) ? value : [];
    return { v: items.map((item) => scalarToCell(item, field, opts)) };
  }
  return scalarToCell(value, field, opts);
}

function scalarToCell(value: StoredValue, field: FieldSchema, opts: CellOptions): Cell {
  if (value === null || value === undefined) return { v: null };
  if (field.type === "RECORD") return { v: rowToCells(value as StoredRow, field.fields ?? [], opts) };
  if (field.type === "TIMESTAMP" && !opts.useInt64Timestamp) {
    const micros = BigInt(value as string);
    const sign = micros < 0n ? "-" : "";
    const abs = micros < 0n ? -micros : micros;
    return { v: `${sign}${abs / 1_000_000n}.${String(abs % 1_000_000n).padStart(6, "0")}` };
  }
  if (typeof value === "object") return { v: JSON.stringify(value) };
  return { v: String(value) };
}
