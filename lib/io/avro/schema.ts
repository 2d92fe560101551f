/**
 * Avro schemas as avsc types, with Beamline's value mapping:
 * - records, maps → plain JS objects; arrays → arrays; bytes, fixed → Buffer; enums → strings;
 *   null → null; unions → the branch's value, except unions avsc cannot tell apart by JS type
 *   (e.g. two records, or int and double), which are `{ "<branch name>": value }` as in Avro's JSON
 *   encoding. A union of long with int, float or double reads as the branch's value, but cannot be
 *   written with a number both branches accept (avsc reports the conversion as ambiguous);
 * - long: `longs: "number"` (default) reads JS numbers and fails, naming the value's place, on a
 *   long beyond ±2^53 (Number.MAX_SAFE_INTEGER) that a number would round; `longs: "bigint"` reads
 *   every long as a bigint (and writes bigints or safe integer numbers), so all 64 bits survive.
 */
import type * as avsc from "avsc";

/** How Avro longs map to JavaScript: "number" (default; safe integers only) or "bigint" (every long). */
export type AvroLongs = "number" | "bigint";

/** An Avro schema: its JSON as an object, or as a string of JSON. */
export type AvroSchema = string | Record<string, unknown> | readonly unknown[];

let loaded: typeof avsc | undefined;
/** avsc, loaded on first use (a pipeline without Avro never loads it). */
export function avro(): typeof avsc {
  return (loaded ??= require("avsc") as typeof avsc);
}

const MIN = BigInt(Number.MIN_SAFE_INTEGER);
const MAX = BigInt(Number.MAX_SAFE_INTEGER);
const I64_MIN = -(1n << 63n);
const I64_MAX = (1n << 63n) - 1n;

function longBytes(n: bigint | number): Buffer {
  const buf = Buffer.alloc(8);
  buf.writeBigInt64LE(BigInt(n));
  return buf;
}

const longTypes: Partial<Record<AvroLongs, avsc.types.LongType>> = {};
/**
 * avsc's long type for a mapping (avsc's documented `LongType.__with` hook). Numbers are ours too:
 * avsc's own long type stops at ±(2^53 − 2), one short of Number.MAX_SAFE_INTEGER, and its error
 * ("potential precision loss") does not say what to do.
 */
function longType(longs: AvroLongs): avsc.types.LongType {
  const compare = (a: bigint | number, b: bigint | number): number => (a < b ? -1 : a > b ? 1 : 0);
  if (longs === "bigint") {
    return (longTypes.bigint ??= avro().types.LongType.__with({
      fromBuffer: (buf: Buffer) => buf.readBigInt64LE(),
      toBuffer: longBytes,
      fromJSON: (v: unknown) => BigInt(v as number | string),
      toJSON: (n: bigint) => (n >= MIN && n <= MAX ? Number(n) : n.toString()),
      isValid: (n: unknown) => (typeof n === "bigint" && n >= I64_MIN && n <= I64_MAX) || (typeof n === "number" && Number.isSafeInteger(n)),
      compare,
    }));
  }
  return (longTypes.number ??= avro().types.LongType.__with({
    fromBuffer: (buf: Buffer) => {
      const n = buf.readBigInt64LE();
      if (n < MIN || n > MAX) throw new RangeError(`the long ${n} is beyond ±(2^53 − 1), where JS numbers lose precision; read with longs: "bigint"`);
      return Number(n);
    },
    toBuffer: longBytes,
    fromJSON: (v: unknown) => Number(v),
    toJSON: (n: number) => n,
    isValid: (n: unknown) => typeof n === "number" && Number.isSafeInteger(n),
    compare,
  }));
}

/** The schema's JSON object (parsing a string). */
export function schemaJson(schema: AvroSchema): unknown {
  return typeof schema === "string" ? (schema.trim().startsWith("{") || schema.trim().startsWith("[") || schema.trim().startsWith('"') ? JSON.parse(schema) : schema) : schema;
}

/** The avsc type of a schema, with the long mapping. */
export function avroType(schema: AvroSchema, longs: AvroLongs = "number"): avsc.Type {
  const registry: Record<string, avsc.Type> = { long: longType(longs) };
  return avro().Type.forSchema(schemaJson(schema) as avsc.Schema, { registry, wrapUnions: "auto" });
}

/** A decoded value as plain JS: avsc's record (and wrapped-union) class instances become plain objects. */
export function plain(value: unknown): unknown {
  if (value === null || typeof value !== "object" || Buffer.isBuffer(value)) return value;
  if (Array.isArray(value)) {
    for (let i = 0; i < value.length; i++) value[i] = plain(value[i]);
    return value;
  }
  const out: Record<string, unknown> = {};
  for (const key of Object.keys(value)) out[key] = plain((value as Record<string, unknown>)[key]);
  return out;
}

/** Why `value` does not fit `type`: the first bad value's field path, the value and the type expected; undefined if it fits. */
export function explainInvalid(type: avsc.Type, value: unknown): string | undefined {
  let problem: string | undefined;
  const ok = type.isValid(value, {
    errorHook: (path: string[], bad: unknown, badType: avsc.Type) => {
      if (problem !== undefined) return;
      const where = path.length === 0 ? "the record itself" : `field ${path.join(".")}`;
      const expected = badType.typeName === "abstract:long" ? "long" : (badType.branchName ?? badType.typeName);
      problem = `${where} is ${show(bad)}, which is not a valid ${expected}${expected === "long" && typeof bad === "number" ? " (a long must be an integer within ±(2^53 − 1) as a number, or a bigint with longs: \"bigint\")" : ""}`;
    },
  });
  return ok ? undefined : (problem ?? "it does not match the schema");
}

function show(value: unknown): string {
  if (value === undefined) return "undefined (missing)";
  if (typeof value === "bigint") return `${value}n`;
  if (Buffer.isBuffer(value)) return `<Buffer of ${value.length} bytes>`;
  try {
    const text = JSON.stringify(value);
    return text.length > 80 ? `${text.slice(0, 77)}...` : text;
  } catch {
    return String(value);
  }
}
