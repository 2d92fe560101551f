/**
 * The primitive column types of WriteToParquet's schemas, by pyarrow's names (`str(pa_type)`), and
 * how each is written: its Parquet schema element (physical type and the logical annotation
 * pyarrow writes, so pyarrow, Spark and hyparquet read the same logical type back) and the check
 * and conversion of a JS value into what hyparquet-writer encodes.
 *
 * Decimals (`decimal128(p, s)`) are exact decimal strings ("-12.30"), as Beam Python gives
 * `decimal.Decimal`: a JS number cannot hold 38 digits, and a string keeps the scale visible.
 * They are written as pyarrow writes decimal128: FIXED_LEN_BYTE_ARRAY of the fewest bytes that
 * hold `p` digits, big-endian two's complement of the unscaled value.
 */
import type { SchemaElement } from "hyparquet" with { "resolution-mode": "import" };

/** A decimal column, `decimal128(precision, scale)` as pyarrow prints it (the space is optional). */
export type ParquetDecimalType = `decimal128(${number}, ${number})` | `decimal128(${number},${number})`;
/** A fixed-size binary column, `fixed_size_binary[n]` as pyarrow prints `pa.binary(n)`. */
export type ParquetFixedType = `fixed_size_binary[${number}]`;

/** The primitive types (pyarrow's names) besides decimals and fixed-size binaries. */
export const SIMPLE_PRIMITIVES = [
  "bool",
  "int8",
  "int16",
  "int32",
  "int64",
  "uint8",
  "uint16",
  "uint32",
  "uint64",
  "float",
  "double",
  "string",
  "binary",
  "date32",
  "timestamp[ms]",
  "timestamp[us]",
  "timestamp[ns]",
  "time32[ms]",
  "time64[us]",
] as const;

type Simple = (typeof SIMPLE_PRIMITIVES)[number];

/** A primitive type, parsed: its name and, for decimals and fixed binaries, their parameters. */
export type Primitive = { readonly kind: Simple } | { readonly kind: "decimal"; readonly precision: number; readonly scale: number } | { readonly kind: "fixed"; readonly length: number };

const SIMPLE: ReadonlySet<string> = new Set(SIMPLE_PRIMITIVES);

/** The type named `name`, or undefined when it names none. */
export function parsePrimitive(name: string): Primitive | undefined {
  if (SIMPLE.has(name)) return { kind: name as Simple };
  const d = /^decimal128\((\d+), ?(\d+)\)$/.exec(name);
  if (d !== null) return { kind: "decimal", precision: Number(d[1]), scale: Number(d[2]) };
  const f = /^fixed_size_binary\[(\d+)\]$/.exec(name);
  if (f !== null) return { kind: "fixed", length: Number(f[1]) };
  return undefined;
}

/** Why a parsed type cannot be written, or undefined when it can. */
export function primitiveProblem(p: Primitive): string | undefined {
  if (p.kind === "decimal") {
    // pyarrow's decimal128 holds 1..38 digits; the scale may not exceed the precision.
    if (p.precision < 1 || p.precision > 38) return `a decimal128 precision is 1..38, got ${p.precision}`;
    if (p.scale > p.precision) return `a decimal128 scale is at most its precision (${p.precision}), got ${p.scale}`;
  }
  if (p.kind === "fixed" && p.length < 1) return `a fixed_size_binary length is at least 1, got ${p.length}`;
  return undefined;
}

/** The names accepted, for errors. */
export const PRIMITIVE_NAMES = `${SIMPLE_PRIMITIVES.join(", ")}, decimal128(p, s), fixed_size_binary[n]`;

/** The bytes pyarrow gives a decimal of `precision` digits: the fewest that hold ±(10^p - 1). */
export function decimalBytes(precision: number): number {
  const max = 10n ** BigInt(precision) - 1n;
  let n = 1;
  while (2n ** BigInt(8 * n - 1) - 1n < max) n++;
  return n;
}

const integer = (bitWidth: number, isSigned: boolean, converted: SchemaElement["converted_type"]) => ({ converted_type: converted, logical_type: { type: "INTEGER" as const, bitWidth, isSigned } });

const isTimestamp = (p: Primitive): boolean => p.kind === "timestamp[ms]" || p.kind === "timestamp[us]" || p.kind === "timestamp[ns]";

/** A marker on the elements of INT96 timestamp columns (written as 12-byte fixed binaries, typed INT96 in the footer: ./int96). */
export const INT96_COLUMN = "beamline:int96";

/** The Parquet schema element of a primitive column, as pyarrow writes the type (timestamps as INT96 with `int96`, as pyarrow's use_deprecated_int96_timestamps). */
export function primitiveElement(name: string, p: Primitive, repetition: "REQUIRED" | "OPTIONAL", int96 = false): SchemaElement {
  const base = { name, repetition_type: repetition } as const;
  if (int96 && isTimestamp(p)) return { ...base, type: "FIXED_LEN_BYTE_ARRAY", type_length: 12, [INT96_COLUMN]: true } as SchemaElement;
  switch (p.kind) {
    case "bool":
      return { ...base, type: "BOOLEAN" };
    case "int8":
      return { ...base, type: "INT32", ...integer(8, true, "INT_8") };
    case "int16":
      return { ...base, type: "INT32", ...integer(16, true, "INT_16") };
    case "int32":
      return { ...base, type: "INT32" };
    case "int64":
      return { ...base, type: "INT64" };
    case "uint8":
      return { ...base, type: "INT32", ...integer(8, false, "UINT_8") };
    case "uint16":
      return { ...base, type: "INT32", ...integer(16, false, "UINT_16") };
    case "uint32":
      return { ...base, type: "INT32", ...integer(32, false, "UINT_32") };
    case "uint64":
      return { ...base, type: "INT64", ...integer(64, false, "UINT_64") };
    case "float":
      return { ...base, type: "FLOAT" };
    case "double":
      return { ...base, type: "DOUBLE" };
    case "string":
      return { ...base, type: "BYTE_ARRAY", converted_type: "UTF8", logical_type: { type: "STRING" } };
    case "binary":
      return { ...base, type: "BYTE_ARRAY" };
    case "date32":
      return { ...base, type: "INT32", converted_type: "DATE", logical_type: { type: "DATE" } };
    case "timestamp[ms]":
      return { ...base, type: "INT64", converted_type: "TIMESTAMP_MILLIS", logical_type: { type: "TIMESTAMP", isAdjustedToUTC: true, unit: "MILLIS" } };
    case "timestamp[us]":
      return { ...base, type: "INT64", converted_type: "TIMESTAMP_MICROS", logical_type: { type: "TIMESTAMP", isAdjustedToUTC: true, unit: "MICROS" } };
    case "timestamp[ns]":
      // Parquet's NANOS unit has no converted type (pyarrow writes none either).
      return { ...base, type: "INT64", logical_type: { type: "TIMESTAMP", isAdjustedToUTC: true, unit: "NANOS" } };
    case "time32[ms]":
      return { ...base, type: "INT32", converted_type: "TIME_MILLIS", logical_type: { type: "TIME", isAdjustedToUTC: true, unit: "MILLIS" } };
    case "time64[us]":
      return { ...base, type: "INT64", converted_type: "TIME_MICROS", logical_type: { type: "TIME", isAdjustedToUTC: true, unit: "MICROS" } };
    case "decimal":
      return { ...base, type: "FIXED_LEN_BYTE_ARRAY", type_length: decimalBytes(p.precision), converted_type: "DECIMAL", scale: p.scale, precision: p.precision, logical_type: { type: "DECIMAL", scale: p.scale, precision: p.precision } };
    case "fixed":
      return { ...base, type: "FIXED_LEN_BYTE_ARRAY", type_length: p.length };
  }
}

/** The name of a parsed type, as in schemas. */
export function primitiveName(p: Primitive): string {
  if (p.kind === "decimal") return `decimal128(${p.precision}, ${p.scale})`;
  if (p.kind === "fixed") return `fixed_size_binary[${p.length}]`;
  return p.kind;
}

/** A problem with a value: its path and what was wrong. */
export class RowMismatch extends Error {}

/** A short description of a value for errors. */
export function show(v: unknown): string {
  if (typeof v === "bigint") return `${v}n`;
  if (typeof v === "string") return JSON.stringify(v.length > 40 ? `${v.slice(0, 40)}…` : v);
  if (v instanceof Date) return `Date(${Number.isNaN(v.getTime()) ? "invalid" : v.toISOString()})`;
  if (v instanceof Uint8Array) return `${v.constructor.name}(${v.length})`;
  if (Array.isArray(v)) return `an array of ${v.length}`;
  if (v !== null && typeof v === "object") return "an object";
  return String(v);
}

const DAY_MS = 86_400_000;
const INT64_MIN = -(2n ** 63n);
const INT64_MAX = 2n ** 63n - 1n;

const inRange = (v: unknown, min: number, max: number): v is number => typeof v === "number" && Number.isInteger(v) && v >= min && v <= max;

/** The unscaled value of decimal string `v` at `scale`, or a reason it does not fit. */
export function unscaledDecimal(v: string, precision: number, scale: number): bigint | string {
  const m = /^([+-]?)(\d*)(?:\.(\d*))?$/.exec(v.trim());
  if (m === null || (m[2] === "" && (m[3] ?? "") === "")) return "a decimal string such as \"-12.34\"";
  const whole = m[2] === "" ? "0" : m[2]!;
  let frac = m[3] ?? "";
  // Digits beyond the scale may only be zeros: pyarrow refuses to round ("would cause data loss").
  if (frac.length > scale) {
    if (/[^0]/.test(frac.slice(scale))) return `at most ${scale} digits after the point (the value would be rounded)`;
    frac = frac.slice(0, scale);
  }
  const digits = (whole + frac.padEnd(scale, "0")).replace(/^0+(?=\d)/, "");
  if (digits.replace(/^0+/, "").length > precision) return `at most ${precision} digits in all`;
  const unscaled = BigInt(digits);
  return m[1] === "-" ? -unscaled : unscaled;
}

/** Decimal string of an unscaled value (Python's str of a Decimal: exactly `scale` digits after the point). */
export function decimalString(unscaled: bigint, scale: number): string {
  const neg = unscaled < 0n;
  const digits = (neg ? -unscaled : unscaled).toString().padStart(scale + 1, "0");
  const s = scale === 0 ? digits : `${digits.slice(0, digits.length - scale)}.${digits.slice(digits.length - scale)}`;
  return neg ? `-${s}` : s;
}

const NANOS_PER_DAY = 86_400_000_000_000n;
const JULIAN_EPOCH_DAY = 2_440_588n;

/** An INT96 timestamp's 12 bytes: nanoseconds within the day (8, little-endian), then the Julian day (4). */
export function int96Bytes(nanos: bigint): Uint8Array {
  const day = nanos >= 0n ? nanos / NANOS_PER_DAY : -((-nanos + NANOS_PER_DAY - 1n) / NANOS_PER_DAY);
  const out = Buffer.alloc(12);
  out.writeBigUInt64LE(nanos - day * NANOS_PER_DAY, 0);
  out.writeUInt32LE(Number(day + JULIAN_EPOCH_DAY), 8);
  return new Uint8Array(out.buffer, out.byteOffset, 12);
}

/** Checks value `v` of a primitive column and converts it to what hyparquet-writer encodes (timestamps as INT96 bytes with `int96`). */
export function normalizePrimitive(p: Primitive, v: unknown, path: string, int96 = false): unknown {
  if (int96 && isTimestamp(p)) {
    const t = normalizePrimitive(p, v, path);
    const perUnit = p.kind === "timestamp[ms]" ? 1_000_000n : p.kind === "timestamp[us]" ? 1000n : 1n;
    return int96Bytes(t instanceof Date ? BigInt(t.getTime()) * 1_000_000n : (t as bigint) * perUnit);
  }
  const bad = (want: string): never => {
    throw new RowMismatch(`${path} is ${show(v)}, but the column is ${primitiveName(p)} (${want})`);
  };
  const int64 = (min: bigint, max: bigint, range: string): bigint => {
    const b = typeof v === "bigint" ? v : typeof v === "number" && Number.isSafeInteger(v) ? BigInt(v) : bad("a bigint, or a number that is a safe integer");
    return b >= min && b <= max ? b : bad(`within ${range}`);
  };
  switch (p.kind) {
    case "bool":
      return typeof v === "boolean" ? v : bad("a boolean");
    case "int8":
      return inRange(v, -128, 127) ? v : bad("an integer number within -128..127");
    case "int16":
      return inRange(v, -32768, 32767) ? v : bad("an integer number within -32768..32767");
    case "int32":
      return inRange(v, -(2 ** 31), 2 ** 31 - 1) ? v : bad("an integer number within ±2^31");
    case "uint8":
      return inRange(v, 0, 255) ? v : bad("an integer number within 0..255");
    case "uint16":
      return inRange(v, 0, 65535) ? v : bad("an integer number within 0..65535");
    case "uint32":
      // hyparquet-writer moves UINT_32 into INT32 bits itself.
      return inRange(v, 0, 2 ** 32 - 1) ? v : bad("an integer number within 0..2^32-1");
    case "int64":
      return int64(INT64_MIN, INT64_MAX, "the signed 64-bit range");
    case "uint64":
      return int64(0n, 2n ** 64n - 1n, "0..2^64-1"); // hyparquet-writer stores UINT_64 in INT64 bits itself
    case "float":
    case "double":
      return typeof v === "number" ? v : bad("a number");
    case "string":
      return typeof v === "string" ? v : bad("a string");
    case "binary":
      return v instanceof Uint8Array ? v : bad("a Uint8Array or Buffer");
    case "fixed":
      return v instanceof Uint8Array && v.length === p.length ? v : bad(`a Uint8Array of exactly ${p.length} bytes`);
    case "date32": {
      if (!(v instanceof Date) || Number.isNaN(v.getTime())) return bad("a valid Date at midnight UTC");
      const t = v.getTime();
      // A time of day would be dropped silently: pyarrow's date32 holds days only.
      return t % DAY_MS === 0 ? t / DAY_MS : bad("a Date at midnight UTC, e.g. new Date(\"2024-03-01\"); a date32 holds no time of day");
    }
    case "timestamp[ms]":
    case "timestamp[us]":
    case "timestamp[ns]":
      if (v instanceof Date) return Number.isNaN(v.getTime()) ? bad("a valid Date") : v;
      // An integer is a count of the column's unit since the epoch, as pyarrow takes one (and as
      // the rows of Beam's millis_instant hold instants: epoch milliseconds).
      if (typeof v === "number" && Number.isSafeInteger(v)) return BigInt(v);
      if (typeof v === "bigint" && v >= INT64_MIN && v <= INT64_MAX) return v;
      return bad(`a Date, or an integer count of ${p.kind.slice(10, 12)} since the epoch`);
    case "time32[ms]":
      return inRange(v, 0, DAY_MS - 1) ? v : bad("milliseconds since midnight, an integer number within 0..86399999");
    case "time64[us]": {
      const us = int64(0n, BigInt(DAY_MS) * 1000n - 1n, "0..86399999999 (microseconds since midnight)");
      return us;
    }
    case "decimal": {
      if (typeof v !== "string") return bad("a decimal string such as \"12.30\" (a JS number cannot hold every decimal exactly)");
      const u = unscaledDecimal(v, p.precision, p.scale);
      return typeof u === "bigint" ? u : bad(u);
    }
  }
}

/** Estimated bytes of a value in Arrow's in-memory layout (for the row group buffer, as Beam Python sums its record batches' buffers). */
export function primitiveBytes(p: Primitive, v: unknown): number {
  switch (p.kind) {
    case "bool":
      return 0.125;
    case "int8":
    case "uint8":
      return 1;
    case "int16":
    case "uint16":
      return 2;
    case "string":
      return 4 + (typeof v === "string" ? Buffer.byteLength(v) : 0); // offset + bytes
    case "binary":
      return 4 + (v instanceof Uint8Array ? v.length : 0);
    case "fixed":
      return p.length;
    case "decimal":
      return 16;
    case "int32":
    case "uint32":
    case "float":
    case "date32":
    case "time32[ms]":
      return 4;
    default:
      return 8;
  }
}
