/**
 * The text side of RowJson (row_json.ts): a strict JSON parser that keeps each number's text (so
 * integers are told from floating point and no digit of a long is lost, as Jackson's tree nodes
 * do), Java's text forms of numbers (Double/Float.toString, BigDecimal.toString) and strings
 * (Jackson's escapes), and of date-times: Joda's Instant for DATETIME and java.time's
 * LocalDate/LocalTime/LocalDateTime for the SqlTypes logical types.
 */
import { formatDecimal, parseDecimal } from "../coders/row";

/** Parsing or writing failed (Java's RowJson.UnsupportedRowJsonException); `message` is Java's. */
export class UnsupportedRowJsonError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = "UnsupportedRowJsonError";
  }
}

/** The URNs of Java's SqlTypes DATE, TIME and DATETIME logical types, which RowJson writes as ISO strings. */
export const JAVA_SQL_TYPES: ReadonlySet<string> = new Set(["beam:logical_type:date:v1", "beam:logical_type:time:v1", "beam:logical_type:datetime:v1"]);

// ---- A JSON parser that keeps each number's text (Jackson tells integers from floating point, and a long from a double) ----

/** A parsed JSON value. */
export type Json =
  | { readonly kind: "OBJECT"; readonly fields: ReadonlyMap<string, Json> }
  | { readonly kind: "ARRAY"; readonly items: readonly Json[] }
  | { readonly kind: "STRING"; readonly text: string }
  | { readonly kind: "NUMBER"; readonly text: string; readonly integral: boolean }
  | { readonly kind: "BOOLEAN"; readonly value: boolean }
  | { readonly kind: "NULL" };

export class JsonSyntaxError extends Error {}

const NUMBER = /-?(?:0|[1-9]\d*)(\.\d+)?([eE][+-]?\d+)?/y;

/** Parses JSON text strictly (RFC 8259); throws JsonSyntaxError saying where. */
export function parseJson(text: string): Json {
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
export function parseSqlValue(urn: string, text: string): unknown {
  if (urn === "beam:logical_type:date:v1") return parseLocalDate(text);
  if (urn === "beam:logical_type:time:v1") return parseLocalTime(text);
  const t = text.indexOf("T");
  if (t < 0) throw new UnsupportedRowJsonError(`Text '${text}' could not be parsed as a date-time (write it like "2021-11-18T08:45:38")`);
  return { Date: parseLocalDate(text.slice(0, t)), Time: parseLocalTime(text.slice(t + 1)) };
}

/** The ISO string of a SqlTypes value's representation, as Java's toString writes it. */
export function formatSqlValue(urn: string, v: unknown, where: string): string {
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

// ---- Java's text of numbers and strings ----

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
