/**
 * The default coder for arbitrary plain JS values, and its deterministic variant for keys.
 *
 * Format: one tag byte, then the value. Self-delimiting, so nested and outer contexts are the
 * same. Supported: undefined, null, booleans, numbers (-0 and NaN kept), bigint, strings,
 * Uint8Array and Buffer, arrays (holes become undefined), plain objects (own enumerable string
 * keys), Date, Map, Set. Class instances, functions and symbols are rejected: they would not
 * survive being rebuilt on another worker.
 */
import { ByteReader, ByteWriter } from "./byte_io";
import { Coder, CoderContext, CoderError } from "./coder";

const enum Tag {
  Undefined = 0,
  Null = 1,
  False = 2,
  True = 3,
  Int = 4,
  Double = 5,
  String = 6,
  BigInt = 7,
  Bytes = 8,
  Array = 9,
  Object = 10,
  Date = 11,
  Map = 12,
  Set = 13,
  Buffer = 14,
}

const INT_LIMIT = 2 ** 52;

function describe(value: unknown): string {
  if (typeof value === "function") return `function ${(value as { name?: string }).name || "(anonymous)"}`;
  if (typeof value === "symbol") return "a symbol";
  const ctor = (value as object).constructor?.name;
  return ctor ? `an instance of class ${ctor}` : "an object with a custom prototype";
}

function unsupported(value: unknown): never {
  throw new CoderError(
    `cannot encode ${describe(value)}: only plain data (objects, arrays, strings, numbers, booleans, bigint, null, undefined, ` +
      `Uint8Array, Date, Map, Set) can cross workers. Convert it to plain data, or give the PCollection a coder with setCoder()`,
  );
}

function encodeValue(value: unknown, w: ByteWriter, sorted: boolean): void {
  switch (typeof value) {
    case "string":
      w.writeByte(Tag.String);
      w.writeUtf8Nested(value);
      return;
    case "number":
      if (Number.isInteger(value) && value > -INT_LIMIT && value < INT_LIMIT && !Object.is(value, -0)) {
        w.writeByte(Tag.Int);
        w.writeVarInt(value >= 0 ? value * 2 : -value * 2 - 1);
      } else {
        w.writeByte(Tag.Double);
        w.writeDoubleBE(Number.isNaN(value) ? NaN : value);
      }
      return;
    case "boolean":
      w.writeByte(value ? Tag.True : Tag.False);
      return;
    case "undefined":
      w.writeByte(Tag.Undefined);
      return;
    case "bigint":
      w.writeByte(Tag.BigInt);
      w.writeUtf8Nested(value.toString());
      return;
    case "object":
      break;
    default:
      unsupported(value);
  }
  if (value === null) {
    w.writeByte(Tag.Null);
    return;
  }
  if (Array.isArray(value)) {
    w.writeByte(Tag.Array);
    w.writeVarInt(value.length);
    for (let i = 0; i < value.length; i++) encodeValue(value[i], w, sorted);
    return;
  }
  const proto = Object.getPrototypeOf(value) as object | null;
  if (proto === Object.prototype || proto === null) {
    const keys = Object.keys(value);
    if (sorted) keys.sort();
    w.writeByte(Tag.Object);
    w.writeVarInt(keys.length);
    for (const k of keys) {
      w.writeUtf8Nested(k);
      encodeValue((value as Record<string, unknown>)[k], w, sorted);
    }
    return;
  }
  if (value instanceof Uint8Array) {
    w.writeByte(Buffer.isBuffer(value) ? Tag.Buffer : Tag.Bytes);
    w.writeVarInt(value.length);
    w.writeBytes(value);
    return;
  }
  if (value instanceof Date) {
    w.writeByte(Tag.Date);
    w.writeDoubleBE(value.getTime());
    return;
  }
  if (value instanceof Map) {
    w.writeByte(Tag.Map);
    w.writeVarInt(value.size);
    if (!sorted) {
      for (const [k, v] of value) {
        encodeValue(k, w, sorted);
        encodeValue(v, w, sorted);
      }
      return;
    }
    const entries = [...value].map(([k, v]) => ({ k: encodeSorted(k), v }));
    entries.sort((a, b) => Buffer.compare(a.k, b.k));
    for (const e of entries) {
      w.writeBytes(e.k);
      encodeValue(e.v, w, sorted);
    }
    return;
  }
  if (value instanceof Set) {
    w.writeByte(Tag.Set);
    w.writeVarInt(value.size);
    if (!sorted) {
      for (const v of value) encodeValue(v, w, sorted);
      return;
    }
    const members = [...value].map(encodeSorted).sort(Buffer.compare);
    for (const m of members) w.writeBytes(m);
    return;
  }
  unsupported(value);
}

function encodeSorted(value: unknown): Buffer {
  const w = new ByteWriter(64);
  encodeValue(value, w, true);
  return Buffer.from(w.finish());
}

function decodeValue(r: ByteReader): unknown {
  const tag = r.readByte();
  switch (tag) {
    case Tag.String:
      return r.readUtf8Nested();
    case Tag.Int: {
      const z = r.readVarInt();
      return z % 2 === 0 ? z / 2 : -(z + 1) / 2;
    }
    case Tag.Double:
      return r.readDoubleBE();
    case Tag.True:
      return true;
    case Tag.False:
      return false;
    case Tag.Null:
      return null;
    case Tag.Undefined:
      return undefined;
    case Tag.BigInt:
      return BigInt(r.readUtf8Nested());
    case Tag.Array: {
      const n = r.readVarInt();
      const out: unknown[] = new Array(n);
      for (let i = 0; i < n; i++) out[i] = decodeValue(r);
      return out;
    }
    case Tag.Object: {
      const n = r.readVarInt();
      const out: Record<string, unknown> = {};
      for (let i = 0; i < n; i++) {
        const k = r.readUtf8Nested();
        const v = decodeValue(r);
        if (k === "__proto__") Object.defineProperty(out, k, { value: v, enumerable: true, writable: true, configurable: true });
        else out[k] = v;
      }
      return out;
    }
    case Tag.Bytes:
      return r.readBytes(r.readVarInt());
    case Tag.Buffer:
      return Buffer.from(r.readBytes(r.readVarInt()));
    case Tag.Date:
      return new Date(r.readDoubleBE());
    case Tag.Map: {
      const n = r.readVarInt();
      const out = new Map<unknown, unknown>();
      for (let i = 0; i < n; i++) {
        const k = decodeValue(r);
        out.set(k, decodeValue(r));
      }
      return out;
    }
    case Tag.Set: {
      const n = r.readVarInt();
      const out = new Set<unknown>();
      for (let i = 0; i < n; i++) out.add(decodeValue(r));
      return out;
    }
    default:
      throw new CoderError(`unknown JS value tag ${tag} at offset ${r.offset - 1}: the bytes were not written by ${JS_VALUE_URN}`);
  }
}

export const JS_VALUE_URN = "beamline:coder:jsvalue:v1";
export const DETERMINISTIC_JS_VALUE_URN = "beamline:coder:jsvalue_deterministic:v1";

/** The default coder: any plain JS value. Not deterministic (object key order is kept). */
export class JsValueCoder implements Coder<unknown> {
  readonly urn = JS_VALUE_URN;
  readonly components: readonly Coder<unknown>[] = [];
  readonly deterministic = false;
  encode(value: unknown, out: ByteWriter, _context: CoderContext): void {
    encodeValue(value, out, false);
  }
  decode(input: ByteReader, _context: CoderContext): unknown {
    return decodeValue(input);
  }
}

/** The default key coder: like JsValueCoder, with object keys, Map entries and Set members sorted. */
export class DeterministicJsValueCoder implements Coder<unknown> {
  readonly urn = DETERMINISTIC_JS_VALUE_URN;
  readonly components: readonly Coder<unknown>[] = [];
  readonly deterministic = true;
  encode(value: unknown, out: ByteWriter, _context: CoderContext): void {
    encodeValue(value, out, true);
  }
  decode(input: ByteReader, _context: CoderContext): unknown {
    return decodeValue(input);
  }
}
