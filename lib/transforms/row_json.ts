/**
 * Rows ↔ JSON as Beam Java's RowJson (RowJsonDeserializer, RowJsonSerializer,
 * RowJsonValueExtractors) does it, for JsonToRow and ToJson (json_rows.ts).
 *
 * Java's field types and what they are here (schema.ts):
 * - BYTE, INT16, INT32 ↔ JSON integers in range, numbers; INT64 ↔ JSON integers in the int64
 *   range, bigints (parsed from the number's text, so no digit is lost, and written unquoted in
 *   full, as Java's long); FLOAT, DOUBLE ↔ JSON numbers that convert without loss, written as Java's
 *   Float.toString/Double.toString ("102000.0", "1.0E10"; NaN and ±Infinity as the strings
 *   "NaN"/"Infinity", Jackson's default); BOOLEAN ↔ true/false only; STRING ↔ JSON strings only;
 *   DECIMAL ↔ any JSON number, a decimal string, written as Java's BigDecimal.toString ("1E+2");
 *   DATETIME is MILLIS_INSTANT ↔ an ISO-8601 string, written "2021-11-18T08:45:38.000Z".
 * - ARRAY/ITERABLE ↔ JSON arrays; ROW ↔ JSON objects (fields absent from the schema are ignored);
 *   a logical type Java does not special-case ↔ its representation (varChar, fixedChar: strings).
 * - Java's SqlTypes logical types, as FieldType.logical(urn, representation) holds them here:
 *   beam:logical_type:date:v1 (INT64 epoch day, a bigint) ↔ "2021-11-18"; beam:logical_type:time:v1
 *   (INT64 nano of day, a bigint) ↔ "08:45:38.123" (Java's LocalTime.toString); and
 *   beam:logical_type:datetime:v1 (a row { Date, Time } of those) ↔ "2021-11-18T08:45:38.123".
 * - Unsupported, as in Java: BYTES (and fixedBytes/varBytes), MAP; also MICROS_INSTANT (Java's
 *   java.time.Instant type is not JSON-convertible either).
 *
 * Where this differs from Java, on purpose: JSON text is parsed strictly (trailing text after the
 * value is an error, Jackson ignores it); a DECIMAL keeps the JSON number's exact digits (Java goes
 * through a double, so "0.1000" becomes 0.1 and digits past the 17th are lost); a JSON integer is
 * accepted by FLOAT/DOUBLE when the field holds it exactly (Java also rejects those outside the
 * int32 range); an ISO datetime without an offset is UTC (Java: the JVM's time zone).
 */
import { FieldType, LOGICAL_TYPE_URNS, Schema } from "../coders/schema";
import { formatDecimal, parseDecimal } from "../coders/row";

/** How JSON may represent a null field (Java's RowJsonDeserializer.NullBehavior). */
export type NullBehavior = "ACCEPT_MISSING_OR_NULL" | "REQUIRE_NULL" | "REQUIRE_MISSING";

/** Parsing or writing failed (Java's RowJson.UnsupportedRowJsonException); `message` is Java's. */
export class UnsupportedRowJsonError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = "UnsupportedRowJsonError";
  }
}

// ---- Schema support (Java's RowJson.verifySchemaSupported) ----

const SUPPORTED = "[BYTE, INT16, INT32, INT64, FLOAT, DOUBLE, BOOLEAN, STRING, DECIMAL, DATETIME]";
const JAVA_SQL_TYPES = new Set(["beam:logical_type:date:v1", "beam:logical_type:time:v1", "beam:logical_type:datetime:v1"]);

/** Java's TypeName of a field type, for messages. */
export function typeName(t: FieldType<unknown>): string {
  const s = t.spec;
  switch (s.kind) {
    case "atomic":
      return s.atomic;
    case "array":
      return "ARRAY";
    case "iterable":
      return "ITERABLE";
    case "map":
      return "MAP";
    case "row":
      return "ROW";
    case "logical":
      if (s.urn === LOGICAL_TYPE_URNS.decimal) return "DECIMAL";
      if (s.urn === LOGICAL_TYPE_URNS.millisInstant) return "DATETIME";
      return "LOGICAL_TYPE";
  }
}

function unsupported(t: FieldType<unknown>, name: string): string[] {
  const s = t.spec;
  switch (s.kind) {
    case "row":
      return s.schema.fields.flatMap((f) => unsupported(f.type, `${name}.${f.name}`));
    case "array":
    case "iterable":
      return unsupported(s.element, `${name}[]`);
    case "map":
      return [`${name}=MAP`];
    case "atomic":
      return s.atomic === "BYTES" ? [`${name}=BYTES`] : [];
    case "logical":
      if (s.urn === LOGICAL_TYPE_URNS.decimal || s.urn === LOGICAL_TYPE_URNS.millisInstant) return [];
      if (s.urn === LOGICAL_TYPE_URNS.microsInstant) return [`${name}=MICROS_INSTANT`];
      if (JAVA_SQL_TYPES.has(s.urn)) return [];
      return unsupported(s.representation, name);
  }
}

/** The fields of `schema` JSON cannot hold, as Java lists them (`f_bytes=BYTES`, `f_row.f_list[]=BYTES`); empty when all can. */
export function unsupportedFields(schema: Schema<object>): string[] {
  return schema.fields.flatMap((f) => unsupported(f.type, f.name));
}

/** Java's message for a schema with fields JSON cannot hold, or undefined. */
export function unsupportedSchemaMessage(schema: Schema<object>): string | undefined {
  const bad = unsupportedFields(schema);
  if (bad.length === 0) return undefined;
  return `Field type${bad.length > 1 ? "s" : ""} [${bad.join(", ")}] not supported when converting between JSON and Rows. Supported types are: ${SUPPORTED}`;
}

// ---- A JSON parser that keeps each number's text (Jackson tells integers from floating point, and a long from a double) ----

/** A parsed JSON value. */
type Json =
  | { readonly kind: "OBJECT"; readonly fields: ReadonlyMap<string, Json> }
  | { readonly kind: "ARRAY"; readonly items: readonly Json[] }
  | { readonly kind: "STRING"; readonly text: string }
  | { readonly kind: "NUMBER"; readonly text: string; readonly integral: boolean }
  | { readonly kind: "BOOLEAN"; readonly value: boolean }
  | { readonly kind: "NULL" };

class JsonSyntaxError extends Error {}

const NUMBER = /-?(?:0|[1-9]\d*)(\.\d+)?([eE][+-]?\d+)?/y;

/** Parses JSON text strictly (RFC 8259); throws JsonSyntaxError saying where. */
function parseJson(text: string): Json {
  let i = 0;
  const fail = (what: string): never => {
    throw new JsonSyntaxError(`${what} at offset ${i}${i < text.length ? ` ('${text.slice(i, i + 10)}')` : " (end of input)"}`);
  };
  const ws = (): void => {
    while (i < text.length && (text[i] === " " || text[i] === "\t" || text[i] === "\n" || text[i] === "\r")) i++;
  };
  const literal = (word: string): void => {
    if (text.startsWith(word, i)) i += word.length;
    else fail("unexpected token");
  };
  const string = (): string => {
    i++; // the opening quote
    let out = "";
    for (;;) {
      if (i >= text.length) fail("unterminated string");
      const c = text.charCodeAt(i);
      if (c === 0x22) {
        i++;
        return out;
      }
      if (c < 0x20) fail("unescaped control character in string");
      if (c !== 0x5c) {
        const start = i;
        while (i < text.length && text.charCodeAt(i) !== 0x22 && text.charCodeAt(i) !== 0x5c && text.charCodeAt(i) >= 0x20) i++;
        out += text.slice(start, i);
        continue;
      }
      const e = text[i + 1];
      i += 2;
      const simple: Record<string, string> = { '"': '"', "\\": "\\", "/": "/", b: "\b", f: "\f", n: "\n", r: "\r", t: "\t" };
      if (e !== undefined && e in simple) out += simple[e];
      else if (e === "u" && /^[0-9a-fA-F]{4}$/.test(text.slice(i, i + 4))) {
        out += String.fromCharCode(parseInt(text.slice(i, i + 4), 16));
        i += 4;
      } else fail("bad escape in string");
    }
  };
  const value = (depth: number): Json => {
    if (depth > 1000) fail("nesting deeper than 1000");
    ws();
    const c = text[i];
    if (c === "{") {
      i++;
      const fields = new Map<string, Json>();
      ws();
      if (text[i] === "}") {
        i++;
        return { kind: "OBJECT", fields };
      }
      for (;;) {
        ws();
        if (text[i] !== '"') fail("expected a field name");
        const k = string();
        ws();
        if (text[i] !== ":") fail("expected ':'");
        i++;
        fields.set(k, value(depth + 1)); // a repeated name: the last wins, as Jackson's tree
        ws();
        if (text[i] === ",") i++;
        else if (text[i] === "}") {
          i++;
          return { kind: "OBJECT", fields };
        } else fail("expected ',' or '}'");
      }
    }
    if (c === "[") {
      i++;
      const items: Json[] = [];
      ws();
      if (text[i] === "]") {
        i++;
        return { kind: "ARRAY", items };
      }
      for (;;) {
        items.push(value(depth + 1));
        ws();
        if (text[i] === ",") i++;
        else if (text[i] === "]") {
          i++;
          return { kind: "ARRAY", items };
        } else fail("expected ',' or ']'");
      }
    }
    if (c === '"') return { kind: "STRING", text: string() };
    if (c === "t") return literal("true"), { kind: "BOOLEAN", value: true };
    if (c === "f") return literal("false"), { kind: "BOOLEAN", value: false };
    if (c === "n") return literal("null"), { kind: "NULL" };
    NUMBER.lastIndex = i;
    const m = NUMBER.exec(text);
    if (m === null) return fail(i >= text.length ? "no JSON value" : "unexpected token");
    i += m[0].length;
    return { kind: "NUMBER", text: m[0], integral: m[1] === undefined && m[2] === undefined };
  };
  const v = value(0);
  ws();
  if (i < text.length) fail("unexpected text after the JSON value");
  return v;
}

// ---- Deserializer ----

const I32 = [-2147483648n, 2147483647n] as const;
const I64 = [-(1n << 63n), (1n << 63n) - 1n] as const;
const asText = (j: Json): string => (j.kind === "STRING" || j.kind === "NUMBER" ? j.text : j.kind === "BOOLEAN" ? String(j.value) : j.kind === "NULL" ? "null" : "");

function outOfRange(j: Json): never {
  throw new UnsupportedRowJsonError(`Value "${asText(j)}" is out of range for the type of the field defined in the row schema.`);
}

function integer(j: Json, lo: bigint, hi: bigint): bigint {
  if (j.kind !== "NUMBER" || !j.integral) return outOfRange(j);
  const v = BigInt(j.text);
  return v < lo || v > hi ? outOfRange(j) : v;
}

/** Java's validating extractor of one atomic (or DECIMAL/DATETIME) value. */
function primitive(j: Json, name: string): unknown {
  switch (name) {
    case "BYTE":
      return Number(integer(j, -128n, 127n));
    case "INT16":
      return Number(integer(j, -32768n, 32767n));
    case "INT32":
      return Number(integer(j, ...I32));
    case "INT64":
      return integer(j, ...I64);
    case "FLOAT":
    case "DOUBLE": {
      if (j.kind !== "NUMBER") return outOfRange(j);
      const d = Number(j.text);
      const v = name === "FLOAT" ? Math.fround(d) : d;
      // Integers: exactly held. Floating point: any for DOUBLE (Jackson's isDouble); for FLOAT, when the double survives float.
      if (j.integral) return BigInt(j.text) === (Number.isFinite(v) ? BigInt(v) : null) ? v + 0 : outOfRange(j); // + 0: "-0" is the integer 0, as Java's IntNode
      return name === "DOUBLE" || v === d || (Number.isNaN(v) && Number.isNaN(d)) ? v : outOfRange(j);
    }
    case "BOOLEAN":
      return j.kind === "BOOLEAN" ? j.value : outOfRange(j);
    case "STRING":
      return j.kind === "STRING" ? j.text : outOfRange(j);
    case "DECIMAL":
      if (j.kind !== "NUMBER") return outOfRange(j);
      return j.integral ? BigInt(j.text).toString() : normalizeDecimal(j.text);
    case "DATETIME":
      if (j.kind !== "STRING") return outOfRange(j);
      return parseIsoInstant(j.text);
  }
  throw new UnsupportedRowJsonError(`Unsupported field type ${name}`);
}

/** A JSON number's text as a decimal string with its exact digits and scale ("1.50e1" → "15.0"). */
function normalizeDecimal(text: string): string {
  const { unscaled, scale } = parseDecimal(text);
  return formatDecimal(unscaled, scale);
}

/** Parses `json` into a row of `schema` as Java's RowJsonDeserializer; throws UnsupportedRowJsonError with Java's message. */
export function jsonToRow(json: string, schema: Schema<object>, nullBehavior: NullBehavior): Record<string, unknown> {
  let tree: Json;
  try {
    tree = parseJson(json);
  } catch (e) {
    if (e instanceof JsonSyntaxError) throw new UnsupportedRowJsonError(`Unable to parse Row: ${e.message}`, { cause: e });
    throw e;
  }
  return extract("root", FieldType.row(schema), tree, nullBehavior) as Record<string, unknown>;
}

function extract(name: string, type: FieldType<unknown>, j: Json | undefined, nb: NullBehavior): unknown {
  if (type.nullable) {
    if (j === undefined) {
      if (nb === "REQUIRE_NULL") throw new UnsupportedRowJsonError(`Field '${name}' is not present in the JSON object.`);
      return null;
    }
    if (j.kind === "NULL") {
      if (nb === "REQUIRE_MISSING") throw new UnsupportedRowJsonError(`Field '${name}' has a null value in the JSON object.`);
      return null;
    }
  } else if (j === undefined) throw new UnsupportedRowJsonError(`Non-nullable field '${name}' is not present in the JSON object.`);
  else if (j.kind === "NULL") throw new UnsupportedRowJsonError(`Non-nullable field '${name}' has value null in the JSON object.`);
  const s = type.spec;
  if (s.kind === "row") {
    if (j.kind !== "OBJECT") {
      throw new UnsupportedRowJsonError(`Expected JSON object for field '${name}'. Unable to convert '${asText(j)}' to Beam Row, it is not a JSON object. Currently only JSON objects can be parsed to Beam Rows`);
    }
    const row: Record<string, unknown> = {};
    for (const f of s.schema.fields) row[f.name] = extract(f.name, f.type, j.fields.get(f.name), nb);
    return row;
  }
  if (s.kind === "array" || s.kind === "iterable") {
    if (j.kind !== "ARRAY") throw new UnsupportedRowJsonError(`Expected JSON array for field '${name}'. Instead got ${j.kind}`);
    return j.items.map((e) => extract(`${name}[]`, s.element, e, nb));
  }
  if (s.kind === "logical" && JAVA_SQL_TYPES.has(s.urn)) {
    try {
      if (j.kind !== "STRING") return outOfRange(j);
      return parseSqlValue(s.urn, j.text);
    } catch (e) {
      throw new UnsupportedRowJsonError(`Unable to get value from field '${name}'. Schema type 'LOGICAL_TYPE(${s.urn})'. JSON node type ${j.kind}`, { cause: e });
    }
  }
  if (s.kind === "logical" && s.urn !== LOGICAL_TYPE_URNS.decimal && s.urn !== LOGICAL_TYPE_URNS.millisInstant) {
    const v = extract(name, s.representation, j, nb);
    const n = s.argument?.value;
    if (typeof v === "string" && typeof n === "number" && v.length > n && (s.urn === LOGICAL_TYPE_URNS.fixedChar || s.urn === LOGICAL_TYPE_URNS.varChar)) {
      throw new UnsupportedRowJsonError(`Unable to get value from field '${name}'. Schema type '${s.urn}(${n})'. JSON node type STRING`, {
        cause: new UnsupportedRowJsonError(`Value "${v}" is longer than the ${n} characters the field holds.`),
      });
    }
    return v;
  }
  try {
    return primitive(j, typeName(type));
  } catch (e) {
    throw new UnsupportedRowJsonError(`Unable to get value from field '${name}'. Schema type '${typeName(type)}'. JSON node type ${j.kind}`, { cause: e });
  }
}

/** Java's message for a failure, with its cause's (Java keeps that only as the cause). */
export function describeFailure(e: unknown): string {
  if (!(e instanceof Error)) return String(e);
  const cause = e.cause instanceof Error && e instanceof UnsupportedRowJsonError && !e.message.startsWith("Unable to parse Row") ? `: ${e.cause.message}` : "";
  return `${e.message}${cause}`;
}

// ---- ISO-8601 instants (Java's Joda DateTime.parse and Instant.toString) ----

const ISO = /^([+-]?\d{4,})(?:-(\d{2})(?:-(\d{2}))?)?(?:T(\d{2})(?::(\d{2})(?::(\d{2})(?:[.,](\d+))?)?)?)?(Z|[+-]\d{2}(?::?\d{2})?)?$/;

/** Epoch milliseconds of an ISO-8601 date-time ("2021-11-18T08:45:38.000Z", "2021-11-18", "2021-11-18T10:45+02:00"). */
export function parseIsoInstant(text: string): number {
  const m = ISO.exec(text);
  const bad = (): never => {
    throw new UnsupportedRowJsonError(`Invalid format: "${text}" is not an ISO-8601 date-time (write it like "2021-11-18T08:45:38.000Z")`);
  };
  if (m === null) return bad();
  const [year, month = "01", day = "01", hour = "00", minute = "00", second = "00", fraction = "", zone = "Z"] = m.slice(1);
  const n = (s: string): number => Number(s);
  if (n(month) < 1 || n(month) > 12 || n(day) < 1 || n(hour) > 23 || n(minute) > 59 || n(second) > 59) return bad();
  const daysIn = new Date(Date.UTC(2000, n(month), 0)).getUTCDate();
  const y = n(year!);
  const leap = (y % 4 === 0 && y % 100 !== 0) || y % 400 === 0;
  if (n(day) > (n(month) === 2 ? (leap ? 29 : 28) : daysIn)) return bad();
  const d = new Date(0);
  d.setUTCFullYear(y, n(month) - 1, n(day));
  d.setUTCHours(n(hour), n(minute), n(second), n(fraction.padEnd(3, "0").slice(0, 3)));
  let offset = 0;
  if (zone !== "Z") {
    const z = /^([+-])(\d{2}):?(\d{2})?$/.exec(zone)!;
    offset = (z[1] === "-" ? -1 : 1) * (n(z[2]!) * 60 + n(z[3] ?? "0"));
  }
  return d.getTime() - offset * 60000;
}

/** Java's (Joda's) Instant.toString: "2021-11-18T08:45:38.000Z". */
export function formatIsoInstant(ms: number): string {
  const d = new Date(ms);
  const y = d.getUTCFullYear();
  const iso = d.toISOString();
  // toISOString writes years outside 0..9999 as ±YYYYYY; Joda writes the year's digits (4 at least) and a '-' for negative ones.
  if (y >= 0 && y <= 9999) return iso;
  return `${y < 0 ? "-" : ""}${String(Math.abs(y)).padStart(4, "0")}${iso.slice(iso.indexOf("-", 1))}`;
}

// ---- Java's LocalDate, LocalTime, LocalDateTime (the SqlTypes logical types), over their representations ----

const NANOS_PER_DAY = 86_400_000_000_000n;

/** Days since 1970-01-01 of a proleptic Gregorian date (Hinnant's days_from_civil). */
function epochDay(y: number, m: number, d: number): number {
  const yy = m <= 2 ? y - 1 : y;
  const era = Math.floor(yy / 400);
  const yoe = yy - era * 400;
  const doy = Math.floor((153 * (m + (m > 2 ? -3 : 9)) + 2) / 5) + d - 1;
  return era * 146097 + yoe * 365 + Math.floor(yoe / 4) - Math.floor(yoe / 100) + doy - 719468;
}

/** The date of a day since 1970-01-01 (Hinnant's civil_from_days). */
function civil(day: number): [number, number, number] {
  const z = day + 719468;
  const era = Math.floor(z / 146097);
  const doe = z - era * 146097;
  const yoe = Math.floor((doe - Math.floor(doe / 1460) + Math.floor(doe / 36524) - Math.floor(doe / 146096)) / 365);
  const doy = doe - (365 * yoe + Math.floor(yoe / 4) - Math.floor(yoe / 100));
  const mp = Math.floor((5 * doy + 2) / 153);
  const d = doy - Math.floor((153 * mp + 2) / 5) + 1;
  const m = mp < 10 ? mp + 3 : mp - 9;
  return [yoe + era * 400 + (m <= 2 ? 1 : 0), m, d];
}

const pad = (n: number | bigint, w: number): string => String(n).padStart(w, "0");

function parseLocalDate(text: string): bigint {
  const m = /^(\d{4}|[+-]\d{4,9})-(\d{2})-(\d{2})$/.exec(text);
  const y = Number(m?.[1]);
  const mo = Number(m?.[2]);
  const d = Number(m?.[3]);
  if (m === null || (m[1]!.length > 5 && m[1]![0] !== "+" && m[1]![0] !== "-") || mo < 1 || mo > 12 || d < 1 || civil(epochDay(y, mo, d))[2] !== d) {
    throw new UnsupportedRowJsonError(`Text '${text}' could not be parsed as a date (write it like "2021-11-18")`);
  }
  return BigInt(epochDay(y, mo, d));
}

function formatLocalDate(day: bigint): string {
  const [y, m, d] = civil(Number(day));
  const year = Math.abs(y) < 1000 ? `${y < 0 ? "-" : ""}${pad(Math.abs(y), 4)}` : y > 9999 ? `+${y}` : String(y);
  return `${year}-${pad(m, 2)}-${pad(d, 2)}`;
}

function parseLocalTime(text: string): bigint {
  const m = /^(\d{2}):(\d{2})(?::(\d{2})(?:\.(\d{1,9}))?)?$/.exec(text);
  if (m === null || Number(m[1]) > 23 || Number(m[2]) > 59 || Number(m[3] ?? 0) > 59) throw new UnsupportedRowJsonError(`Text '${text}' could not be parsed as a time (write it like "08:45:38.123")`);
  const seconds = BigInt(Number(m[1]) * 3600 + Number(m[2]) * 60 + Number(m[3] ?? 0));
  return seconds * 1_000_000_000n + BigInt((m[4] ?? "").padEnd(9, "0"));
}

/** Java's LocalTime.toString: "HH:mm", then ":ss" unless zero, then 3, 6 or 9 fraction digits as needed. */
function formatLocalTime(nanoOfDay: bigint): string {
  const nanos = nanoOfDay % 1_000_000_000n;
  const secs = Number(nanoOfDay / 1_000_000_000n);
  let out = `${pad(Math.floor(secs / 3600), 2)}:${pad(Math.floor(secs / 60) % 60, 2)}`;
  if (secs % 60 === 0 && nanos === 0n) return out;
  out += `:${pad(secs % 60, 2)}`;
  if (nanos === 0n) return out;
  const nine = pad(nanos, 9);
  return `${out}.${nanos % 1_000_000n === 0n ? nine.slice(0, 3) : nanos % 1000n === 0n ? nine.slice(0, 6) : nine}`;
}

/** A SqlTypes value's representation from its ISO string. */
function parseSqlValue(urn: string, text: string): unknown {
  if (urn === "beam:logical_type:date:v1") return parseLocalDate(text);
  if (urn === "beam:logical_type:time:v1") return parseLocalTime(text);
  const t = text.indexOf("T");
  if (t < 0) throw new UnsupportedRowJsonError(`Text '${text}' could not be parsed as a date-time (write it like "2021-11-18T08:45:38")`);
  return { Date: parseLocalDate(text.slice(0, t)), Time: parseLocalTime(text.slice(t + 1)) };
}

/** The ISO string of a SqlTypes value's representation, as Java's toString writes it. */
function formatSqlValue(urn: string, v: unknown, where: string): string {
  /** A bigint of the representation; a nano of day (max given) from 0 to below a day. */
  const int = (x: unknown, max?: bigint): bigint => {
    if (typeof x !== "bigint" || (max !== undefined && (x < 0n || x >= max))) {
      throw new UnsupportedRowJsonError(`${where} must hold a bigint as ${urn} represents it${max !== undefined ? ` (a nano of day from 0 to below ${max})` : ""}, got ${String(x)}`);
    }
    return x;
  };
  if (urn === "beam:logical_type:date:v1") return formatLocalDate(int(v));
  if (urn === "beam:logical_type:time:v1") return formatLocalTime(int(v, NANOS_PER_DAY));
  const row = (v ?? {}) as { Date?: unknown; Time?: unknown };
  return `${formatLocalDate(int(row.Date))}T${formatLocalTime(int(row.Time, NANOS_PER_DAY))}`;
}

// ---- Serializer (Java's RowJsonSerializer with Jackson's default generator) ----

/** Java's Double.toString (float: Float.toString) of a finite number: shortest digits, "1.0E10" outside [1e-3, 1e7). */
export function javaFloatingToString(v: number, float32: boolean): string {
  if (Object.is(v, -0)) return "-0.0";
  if (v === 0) return "0.0";
  let digits = "";
  let exp = 0;
  for (let p = 1; p <= 17; p++) {
    const s = Math.abs(v).toExponential(p - 1);
    const back = Number(s);
    if (float32 ? Math.fround(back) === Math.abs(v) : back === Math.abs(v)) {
      const [mant, e] = s.split("e");
      digits = mant!.replace(".", "");
      exp = Number(e);
      break;
    }
  }
  digits = digits.replace(/0+$/, "") || "0";
  const sign = v < 0 ? "-" : "";
  const abs = Math.abs(v);
  if (abs >= 1e-3 && abs < 1e7) {
    if (exp >= 0) {
      const int = digits.slice(0, exp + 1).padEnd(exp + 1, "0");
      const frac = digits.slice(exp + 1) || "0";
      return `${sign}${int}.${frac}`;
    }
    return `${sign}0.${"0".repeat(-exp - 1)}${digits}`;
  }
  return `${sign}${digits[0]}.${digits.slice(1) || "0"}E${exp}`;
}

/** Java's BigDecimal.toString of a decimal string: plain, or scientific when the scale is negative or the exponent below -6. */
export function javaBigDecimalToString(decimal: string): string {
  const { unscaled, scale } = parseDecimal(decimal);
  const neg = unscaled < 0n;
  const digits = (neg ? -unscaled : unscaled).toString();
  const adjusted = -scale + (digits.length - 1);
  if (scale >= 0 && adjusted >= -6) return formatDecimal(unscaled, scale);
  const mant = digits.length > 1 ? `${digits[0]}.${digits.slice(1)}` : digits;
  return `${neg ? "-" : ""}${mant}E${adjusted >= 0 ? "+" : ""}${adjusted}`;
}

/** A JSON string as Jackson writes it: `"` and `\` escaped, control characters as \n, \t, … or \u00XX (upper-case hex). */
export function jsonString(s: string): string {
  let out = '"';
  let start = 0;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c >= 0x20 && c !== 0x22 && c !== 0x5c) continue;
    out += s.slice(start, i);
    start = i + 1;
    const named: Record<number, string> = { 0x22: '\\"', 0x5c: "\\\\", 0x08: "\\b", 0x0c: "\\f", 0x0a: "\\n", 0x0d: "\\r", 0x09: "\\t" };
    out += named[c] ?? `\\u00${c.toString(16).toUpperCase().padStart(2, "0")}`;
  }
  return `${out}${s.slice(start)}"`;
}

function floating(v: number, float32: boolean): string {
  if (Number.isNaN(v)) return '"NaN"';
  if (!Number.isFinite(v)) return v > 0 ? '"Infinity"' : '"-Infinity"';
  return javaFloatingToString(float32 ? Math.fround(v) : v, float32);
}

/** The JSON of one value of `type` (not null). */
function writeValue(type: FieldType<unknown>, v: unknown, where: string): string {
  const s = type.spec;
  const wrong = (expected: string): never => {
    throw new UnsupportedRowJsonError(`${where} must be ${expected}, got ${typeof v === "bigint" ? `${v}n` : JSON.stringify(v) ?? String(v)} (${typeof v})`);
  };
  switch (s.kind) {
    case "row":
      return v !== null && typeof v === "object" ? writeRow(v as Record<string, unknown>, s.schema, where) : wrong("a row object");
    case "array":
    case "iterable":
      if (v === null || typeof v !== "object" || !(Symbol.iterator in v)) return wrong("an array");
      return `[${[...(v as Iterable<unknown>)].map((e, i) => (e === null || e === undefined ? "null" : writeValue(s.element, e, `${where}[${i}]`))).join(",")}]`;
    case "logical":
      if (s.urn === LOGICAL_TYPE_URNS.decimal) return typeof v === "string" ? javaBigDecimalToString(v) : wrong("a decimal string");
      if (s.urn === LOGICAL_TYPE_URNS.millisInstant) return typeof v === "number" && Number.isFinite(v) ? jsonString(formatIsoInstant(v)) : wrong("a number of epoch milliseconds");
      if (JAVA_SQL_TYPES.has(s.urn)) return jsonString(formatSqlValue(s.urn, v, where));
      return writeValue(s.representation, v, where);
    case "map":
      return wrong("of a type JSON can hold (MAP is not)");
    case "atomic":
      switch (s.atomic) {
        case "BYTE":
        case "INT16":
        case "INT32":
          return typeof v === "number" && Number.isInteger(v) ? String(v) : wrong("an integer");
        case "INT64":
          return typeof v === "bigint" ? v.toString() : wrong("a bigint");
        case "FLOAT":
        case "DOUBLE":
          return typeof v === "number" ? floating(v, s.atomic === "FLOAT") : wrong("a number");
        case "BOOLEAN":
          return typeof v === "boolean" ? String(v) : wrong("a boolean");
        case "STRING":
          return typeof v === "string" ? jsonString(v) : wrong("a string");
        case "BYTES":
          return wrong("of a type JSON can hold (BYTES is not)");
      }
  }
}

/** The JSON of a row of `schema`, as Java's RowJsonSerializer writes it: fields in schema order, nulls written as null. */
export function writeRow(row: Record<string, unknown>, schema: Schema<object>, where = "row"): string {
  const parts: string[] = [];
  for (const f of schema.fields) {
    const v = row[f.name];
    const at = `${where}.${f.name}`;
    if (v === null || v === undefined) {
      if (!f.type.nullable) throw new UnsupportedRowJsonError(`${at} is ${v === null ? "null" : "missing"}, but the field is not nullable`);
      parts.push(`${jsonString(f.name)}:null`);
    } else parts.push(`${jsonString(f.name)}:${writeValue(f.type, v, at)}`);
  }
  return `{${parts.join(",")}}`;
}
