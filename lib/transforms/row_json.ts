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
import {
  formatIsoInstant,
  formatSqlValue,
  JAVA_SQL_TYPES,
  javaBigDecimalToString,
  javaFloatingToString,
  jsonString,
  JsonSyntaxError,
  parseIsoInstant,
  parseJson,
  parseSqlValue,
  UnsupportedRowJsonError,
  type Json,
} from "./row_json_text";

export { UnsupportedRowJsonError };

/** How JSON may represent a null field (Java's RowJsonDeserializer.NullBehavior). */
export type NullBehavior = "ACCEPT_MISSING_OR_NULL" | "REQUIRE_NULL" | "REQUIRE_MISSING";

// ---- Schema support (Java's RowJson.verifySchemaSupported) ----

const SUPPORTED = "[BYTE, INT16, INT32, INT64, FLOAT, DOUBLE, BOOLEAN, STRING, DECIMAL, DATETIME]";

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

// ---- Serializer (Java's RowJsonSerializer with Jackson's default generator) ----


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
