/**
 * Values as ReadFromParquet gives them: hyparquet's decoded values made plain (null for missing,
 * int64 per the `int64` option, timestamps floored to the millisecond) and decimals exact.
 *
 * hyparquet turns DECIMAL columns into JS numbers (losing digits beyond 2^53 and showing 0.1 as
 * 0.1000000000000000055…); Beam Python gives `decimal.Decimal`. So the footer handed to hyparquet
 * has the decimal annotations taken off (it then gives the unscaled integers: bytes, numbers or
 * bigints) and they are turned into exact decimal strings here, with the scale from the footer.
 */
import type { FileMetaData, SchemaElement, SchemaTree } from "hyparquet" with { "resolution-mode": "import" };
import { hyparquet } from "./library";
import { decimalString } from "./primitives";
import type { ParquetInt64 } from "./schema";

/** `n / d` rounded down (bigint division rounds toward zero). */
function floorDiv(n: bigint, d: bigint): bigint {
  const q = n / d;
  return n % d !== 0n && n < 0n ? q - 1n : q;
}

/**
 * Timestamps finer than a millisecond as the Date of the millisecond they fall in: rounded down,
 * so an instant before 1970 stays before its neighbours (hyparquet's own parsers round toward
 * zero, which moves -0.5 ms to the epoch). INT96 timestamps (pyarrow's
 * `use_deprecated_int96_timestamps`) go through the nanosecond one.
 */
export const TIMESTAMP_PARSERS = {
  timestampFromMicroseconds: (micros: bigint): Date => new Date(Number(floorDiv(micros, 1000n))),
  timestampFromNanoseconds: (nanos: bigint): Date => new Date(Number(floorDiv(nanos, 1_000_000n))),
};

/** A read value as Beamline gives it: null for missing, int64 per the option, nested values alike. */
export function plainValue(v: unknown, int64: ParquetInt64, where: () => string): unknown {
  if (v === undefined || v === null) return null;
  if (typeof v === "bigint") {
    if (int64 === "bigint") return v;
    if (v > BigInt(Number.MAX_SAFE_INTEGER) || v < BigInt(Number.MIN_SAFE_INTEGER)) {
      throw new RangeError(`${where()} holds ${v}, beyond the integers a JS number holds exactly (±2^53); read with { int64: "bigint" }`);
    }
    return Number(v);
  }
  if (Array.isArray(v)) return v.map((e) => plainValue(e, int64, where));
  if (v instanceof Uint8Array || v instanceof Date) return v;
  if (ArrayBuffer.isView(v)) return Array.from(v as unknown as ArrayLike<unknown>, (e) => plainValue(e, int64, where));
  if (typeof v === "object") {
    const out: Record<string, unknown> = {};
    for (const [k, e] of Object.entries(v as Record<string, unknown>)) out[k] = plainValue(e, int64, where);
    return out;
  }
  return v;
}

const isDecimal = (e: SchemaElement): boolean => e.converted_type === "DECIMAL" || e.logical_type?.type === "DECIMAL";

/** A footer whose decimal columns hyparquet reads as their unscaled integers (the input when it has none). */
export function withoutDecimalAnnotations(metadata: FileMetaData): FileMetaData {
  if (!metadata.schema.some(isDecimal)) return metadata;
  return { ...metadata, schema: metadata.schema.map((e) => (isDecimal(e) ? { ...e, converted_type: undefined, logical_type: undefined } : e)) };
}

/** Big-endian two's complement bytes as a bigint. */
function signedBytes(bytes: Uint8Array): bigint {
  let v = 0n;
  for (const b of bytes) v = (v << 8n) | BigInt(b);
  const bits = BigInt(bytes.length * 8);
  return bytes.length > 0 && bytes[0]! >= 0x80 ? v - (1n << bits) : v;
}

type Convert = (v: unknown) => unknown;

function converter(node: SchemaTree): Convert | undefined {
  const e = node.element;
  if (node.children.length === 0) {
    if (!isDecimal(e)) return undefined;
    const scale = e.scale ?? (e.logical_type?.type === "DECIMAL" ? e.logical_type.scale : 0) ?? 0;
    return (v) => {
      if (v === null || v === undefined) return v;
      const unscaled = v instanceof Uint8Array ? signedBytes(v) : BigInt(v as number | bigint);
      return decimalString(unscaled, scale);
    };
  }
  if (e.converted_type === "LIST" || e.logical_type?.type === "LIST") {
    const repeated = node.children[0]!;
    const elementNode = repeated.children.length === 1 ? repeated.children[0]! : repeated;
    const element = converter(elementNode);
    if (element === undefined) return undefined;
    return (v) => (Array.isArray(v) ? v.map(element) : v);
  }
  if (e.converted_type === "MAP" || e.logical_type?.type === "MAP") return undefined; // maps pass through as hyparquet gives them
  const fields = struct(node.children);
  return fields === undefined ? undefined : (v) => (v !== null && typeof v === "object" ? fields(v as Record<string, unknown>) : v);
}

function struct(children: SchemaTree[]): ((v: Record<string, unknown>) => Record<string, unknown>) | undefined {
  const parts = children.map((c) => [c.element.name, converter(c)] as const).filter((p): p is readonly [string, Convert] => p[1] !== undefined);
  if (parts.length === 0) return undefined;
  return (v) => {
    const out = { ...v };
    for (const [name, convert] of parts) if (name in out) out[name] = convert(out[name]);
    return out;
  };
}

/** The conversion of a row's decimals to strings, or undefined when the file has none (the footer as read, with its annotations). */
export function decimalRowConverter(metadata: FileMetaData): ((row: Record<string, unknown>) => Record<string, unknown>) | undefined {
  if (!metadata.schema.some(isDecimal)) return undefined;
  return struct(hyparquet().parquetSchema(metadata).children);
}
