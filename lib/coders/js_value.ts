/**
 * The default coder for arbitrary plain JS values, and its deterministic variant for keys.
 *
 * Format: one tag byte, then the value; self-delimiting, so the nested and outer contexts are the
 * same. Supported:
 *
 * - undefined, null, booleans;
 * - numbers: integers 0..127 in the tag byte, other safe integers as varints, everything else
 *   (fractions, -0, NaN, ±Infinity, huge values) as an 8-byte double, so every number survives;
 * - bigint; strings (UTF-8; a lone surrogate becomes U+FFFD);
 * - Uint8Array (decodes as Uint8Array), Buffer (decodes as Buffer), the other standard typed
 *   arrays (decoded with the same class; requires a little-endian host, as all Node targets are);
 * - arrays (holes are encoded as undefined; non-index properties are dropped);
 * - plain objects (prototype Object.prototype or null; own enumerable string keys; symbol keys are
 *   dropped; decoded with Object.prototype);
 * - Date, Map, Set.
 *
 * Class instances, boxed primitives, functions, symbols, WeakMaps, DataViews and other exotic
 * objects throw a CoderError naming the value's path and type: they would not survive being
 * rebuilt on another worker. Cycles are reported as nesting deeper than MAX_DEPTH.
 *
 * Tags: 00 undefined, 01 null, 02 false, 03 true, 04 varint (integer ≥ 128), 05 varint of −n
 * (negative integer), 06 double, 07/08 bigint ≥ 0 / < 0 (varint length + big-endian magnitude),
 * 09 string (varint length + UTF-8), 0a Uint8Array, 0b Buffer (varint length + bytes),
 * 0c typed array (kind byte + varint byte length + little-endian elements), 0d Date (double),
 * 10 array (varint count + values), 11 object (varint count + (nested UTF-8 key, value)*),
 * 12 Map (varint size + (key, value)*), 13 Set (varint size + values), 40–7f string of
 * (tag − 0x40) UTF-8 bytes, 80–ff the integer tag − 0x80.
 */
import { ByteReader, ByteWriter } from "./byte_io";
import { Coder, CoderContext } from "./coder";
import { CoderError, describeValue } from "./errors";

/** The URN of JsValueCoder (Beamline's own coder of plain JavaScript values). */
export const JS_VALUE_URN = "beamline:coder:jsvalue:v1";
/** The URN of DeterministicJsValueCoder (plain JavaScript values, one encoding per value). */
export const DETERMINISTIC_JS_VALUE_URN = "beamline:coder:jsvalue_deterministic:v1";

/** Values nested deeper than this are rejected (it almost always means a cycle). */
export const MAX_DEPTH = 1000;

const T_UNDEFINED = 0x00;
const T_NULL = 0x01;
const T_FALSE = 0x02;
const T_TRUE = 0x03;
const T_UINT = 0x04;
const T_NEGINT = 0x05;
const T_DOUBLE = 0x06;
const T_BIGINT_POS = 0x07;
const T_BIGINT_NEG = 0x08;
const T_STRING = 0x09;
const T_BYTES = 0x0a;
const T_BUFFER = 0x0b;
const T_TYPED = 0x0c;
const T_DATE = 0x0d;
const T_ARRAY = 0x10;
const T_OBJECT = 0x11;
const T_MAP = 0x12;
const T_SET = 0x13;
const T_SHORT_STRING = 0x40;
const T_SMALL_INT = 0x80;
/** Strings this short have at most 63 UTF-8 bytes, so their length fits a T_SHORT_STRING tag. */
const SHORT_STRING_UNITS = 21;

type TypedArrayConstructor =
  | Int8ArrayConstructor
  | Uint8ClampedArrayConstructor
  | Int16ArrayConstructor
  | Uint16ArrayConstructor
  | Int32ArrayConstructor
  | Uint32ArrayConstructor
  | Float32ArrayConstructor
  | Float64ArrayConstructor
  | BigInt64ArrayConstructor
  | BigUint64ArrayConstructor;

/** Typed-array classes by kind byte (index); kind 0 is unused (Uint8Array has its own tag). */
const TYPED_ARRAYS: readonly (TypedArrayConstructor | undefined)[] = [
  undefined,
  Int8Array,
  Uint8ClampedArray,
  Int16Array,
  Uint16Array,
  Int32Array,
  Uint32Array,
  Float32Array,
  Float64Array,
  BigInt64Array,
  BigUint64Array,
];
const TYPED_KIND = new Map<object, number>(TYPED_ARRAYS.flatMap((c, kind) => (c ? [[c.prototype, kind] as [object, number]] : [])));
const LITTLE_ENDIAN = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;

/** An unencodable value found while encoding; turned into a CoderError with its path at the top. */
class Unencodable {
  readonly path: string[] = [];
  constructor(readonly problem: string) {}
}

function withPath(e: unknown, segment: string): unknown {
  if (e instanceof Unencodable) e.path.push(segment);
  return e;
}

function keySegment(k: string): string {
  return /^[A-Za-z_$][\w$]*$/.test(k) ? `.${k}` : `[${JSON.stringify(k)}]`;
}

function unsupported(v: unknown): Unencodable {
  return new Unencodable(typeof v === "object" && v !== null ? describeValue(v) : `a ${typeof v} (${describeValue(v)})`);
}

function toCoderError(e: unknown, urn: string): unknown {
  if (!(e instanceof Unencodable)) return e;
  const segments = e.path.reverse();
  const path = "value" + (segments.length > 12 ? segments.slice(0, 12).join("") + `…(${segments.length - 12} levels more)` : segments.join(""));
  return new CoderError(
    `${urn} cannot encode ${e.problem} at ${path}. Elements that cross workers must be plain data ` +
      `(objects, arrays, strings, numbers, booleans, bigint, null, undefined, Uint8Array/Buffer and other typed arrays, Date, Map, Set): ` +
      `convert it to a plain object or array, or give the PCollection a coder for this type with setCoder()`,
  );
}

function writeValue(out: ByteWriter, v: unknown, det: boolean, depth: number): void {
  switch (typeof v) {
    case "string":
      writeString(out, v);
      return;
    case "number":
      writeNumber(out, v);
      return;
    case "boolean":
      out.writeByte(v ? T_TRUE : T_FALSE);
      return;
    case "undefined":
      out.writeByte(T_UNDEFINED);
      return;
    case "object":
      if (v === null) out.writeByte(T_NULL);
      else writeObject(out, v, det, depth);
      return;
    case "bigint":
      writeBigInt(out, v);
      return;
    default:
      throw unsupported(v);
  }
}

function writeString(out: ByteWriter, s: string): void {
  if (s.length <= SHORT_STRING_UNITS) {
    const at = out.length;
    out.writeByte(T_SHORT_STRING);
    const n = out.writeUtf8(s);
    if (n !== 0) out.patchByte(at, T_SHORT_STRING | n);
  } else {
    out.writeByte(T_STRING);
    out.writeUtf8Nested(s);
  }
}

function writeNumber(out: ByteWriter, n: number): void {
  if (Number.isSafeInteger(n) && (n !== 0 || 1 / n > 0)) {
    if (n >= 0) {
      if (n < 0x80) {
        out.writeByte(T_SMALL_INT | n);
      } else {
        out.writeByte(T_UINT);
        out.writeVarInt(n);
      }
    } else {
      out.writeByte(T_NEGINT);
      out.writeVarInt(-n);
    }
    return;
  }
  out.writeByte(T_DOUBLE);
  writeDouble(out, n);
}

/** Writes a double with NaN canonicalised (7ff8000000000000). */
function writeDouble(out: ByteWriter, n: number): void {
  out.writeDoubleBE(n === n ? n : NaN);
}

function writeBigInt(out: ByteWriter, v: bigint): void {
  const negative = v < 0n;
  out.writeByte(negative ? T_BIGINT_NEG : T_BIGINT_POS);
  if (v === 0n) {
    out.writeByte(0);
    return;
  }
  let hex = (negative ? -v : v).toString(16);
  if (hex.length & 1) hex = "0" + hex;
  out.writeVarInt(hex.length >> 1);
  out.writeBytes(Buffer.from(hex, "hex"));
}

/** Sorts keys by UTF-16 code units (as Array#sort does), with an insertion sort for small objects. */
function sortKeys(keys: string[]): void {
  const n = keys.length;
  if (n > 16) {
    keys.sort();
    return;
  }
  for (let i = 1; i < n; i++) {
    const k = keys[i];
    let j = i - 1;
    while (j >= 0 && keys[j] > k) {
      keys[j + 1] = keys[j];
      j--;
    }
    keys[j + 1] = k;
  }
}

function writeObject(out: ByteWriter, v: object, det: boolean, depth: number): void {
  if (depth >= MAX_DEPTH) {
    throw new Unencodable(`a value nested more than ${MAX_DEPTH} levels deep (does it contain a cycle?)`);
  }
  const proto: unknown = Object.getPrototypeOf(v);
  if (proto === Object.prototype || proto === null) {
    const o = v as Record<string, unknown>;
    const keys = Object.keys(o);
    if (det) sortKeys(keys);
    const n = keys.length;
    out.writeByte(T_OBJECT);
    out.writeVarInt(n);
    for (let i = 0; i < n; i++) {
      const k = keys[i];
      out.writeUtf8Nested(k);
      try {
        writeValue(out, o[k], det, depth + 1);
      } catch (e) {
        throw withPath(e, keySegment(k));
      }
    }
    return;
  }
  if (proto === Array.prototype) {
    const a = v as unknown[];
    const n = a.length;
    out.writeByte(T_ARRAY);
    out.writeVarInt(n);
    for (let i = 0; i < n; i++) {
      try {
        writeValue(out, a[i], det, depth + 1);
      } catch (e) {
        throw withPath(e, `[${i}]`);
      }
    }
    return;
  }
  if (proto === Uint8Array.prototype || proto === Buffer.prototype) {
    const bytes = v as Uint8Array;
    out.writeByte(proto === Buffer.prototype ? T_BUFFER : T_BYTES);
    out.writeVarInt(bytes.length);
    out.writeBytes(bytes);
    return;
  }
  if (proto === Date.prototype) {
    out.writeByte(T_DATE);
    writeDouble(out, (v as Date).getTime());
    return;
  }
  if (proto === Map.prototype) {
    writeMapOrSet(out, v as Map<unknown, unknown>, true, det, depth);
    return;
  }
  if (proto === Set.prototype) {
    writeMapOrSet(out, v as Set<unknown>, false, det, depth);
    return;
  }
  const kind = TYPED_KIND.get(proto as object);
  if (kind !== undefined) {
    writeTypedArray(out, v as InstanceType<TypedArrayConstructor>, kind, det);
    return;
  }
  throw unsupported(v);
}

function writeTypedArray(out: ByteWriter, a: InstanceType<TypedArrayConstructor>, kind: number, det: boolean): void {
  if (!LITTLE_ENDIAN) throw new Unencodable(`${describeValue(a)} on a big-endian host (typed arrays other than Uint8Array need a little-endian host)`);
  if (det && (a instanceof Float32Array || a instanceof Float64Array) && a.some((x) => x !== x)) {
    // Canonicalise NaN payloads so equal arrays give equal bytes.
    const copy = a.slice();
    for (let i = 0; i < copy.length; i++) if (copy[i] !== copy[i]) copy[i] = NaN;
    a = copy;
  }
  out.writeByte(T_TYPED);
  out.writeByte(kind);
  out.writeVarInt(a.byteLength);
  out.writeBytes(new Uint8Array(a.buffer, a.byteOffset, a.byteLength));
}

function writeMapOrSet(out: ByteWriter, c: Map<unknown, unknown> | Set<unknown>, isMap: boolean, det: boolean, depth: number): void {
  out.writeByte(isMap ? T_MAP : T_SET);
  out.writeVarInt(c.size);
  if (!det) {
    let i = 0;
    if (isMap) {
      for (const [k, val] of c as Map<unknown, unknown>) {
        try {
          writeValue(out, k, det, depth + 1);
          writeValue(out, val, det, depth + 1);
        } catch (e) {
          throw withPath(e, `<map entry ${i}>`);
        }
        i++;
      }
    } else {
      for (const m of c as Set<unknown>) {
        try {
          writeValue(out, m, det, depth + 1);
        } catch (e) {
          throw withPath(e, `<set member ${i}>`);
        }
        i++;
      }
    }
    return;
  }
  // Deterministic: encode each entry separately, then write them sorted by their bytes. Encodings
  // are prefix-free, so this orders Map entries by key bytes, then by value bytes.
  const scratch = new ByteWriter(64);
  const bounds: number[] = [];
  let i = 0;
  for (const entry of isMap ? (c as Map<unknown, unknown>).entries() : (c as Set<unknown>).values()) {
    bounds.push(scratch.length);
    try {
      if (isMap) {
        const [k, val] = entry as [unknown, unknown];
        writeValue(scratch, k, det, depth + 1);
        writeValue(scratch, val, det, depth + 1);
      } else {
        writeValue(scratch, entry, det, depth + 1);
      }
    } catch (e) {
      throw withPath(e, isMap ? `<map entry ${i}>` : `<set member ${i}>`);
    }
    i++;
  }
  bounds.push(scratch.length);
  const bytes = scratch.view();
  const slices = Array.from({ length: c.size }, (_, j) => bytes.subarray(bounds[j], bounds[j + 1]));
  slices.sort(Buffer.compare);
  for (const s of slices) out.writeBytes(s);
}

/**
 * Decoded object keys, by a hash of their bytes. Reusing the same (already internalized) string
 * for a repeated key saves a string allocation and a string-table lookup per property.
 */
const KEY_CACHE_SIZE = 4096;
const MAX_CACHED_KEY_BYTES = 24;
const keyCache: (string | undefined)[] = new Array<string | undefined>(KEY_CACHE_SIZE).fill(undefined);

function readKey(input: ByteReader): string {
  const n = input.readVarInt();
  if (n > MAX_CACHED_KEY_BYTES || n > input.remaining) return input.readUtf8(n);
  const bytes = input.bytes;
  const p = input.offset;
  let h = n;
  let any = 0;
  for (let i = 0; i < n; i++) {
    const b = bytes[p + i];
    any |= b;
    h = (Math.imul(h, 31) + b) | 0;
  }
  if (any >= 0x80) return input.readUtf8(n); // only ASCII keys are cached
  const slot = (h ^ (h >>> 12)) & (KEY_CACHE_SIZE - 1);
  const cached = keyCache[slot];
  if (cached !== undefined && cached.length === n) {
    let i = 0;
    while (i < n && cached.charCodeAt(i) === bytes[p + i]) i++;
    if (i === n) {
      input.skip(n);
      return cached;
    }
  }
  const key = input.readUtf8(n);
  keyCache[slot] = key;
  return key;
}

function readCount(input: ByteReader, what: string): number {
  const at = input.offset;
  const n = input.readVarInt();
  // Every element takes at least one byte: a larger count means corrupt data.
  if (n > input.remaining) {
    throw new CoderError(`JsValueCoder: ${what} at offset ${at} claims ${n} elements but only ${input.remaining} bytes remain (corrupt or truncated data)`);
  }
  return n;
}

function readValue(input: ByteReader, depth: number): unknown {
  const tag = input.readByte();
  if (tag >= T_SMALL_INT) return tag - T_SMALL_INT;
  if (tag >= T_SHORT_STRING) return input.readUtf8(tag - T_SHORT_STRING);
  switch (tag) {
    case T_UNDEFINED:
      return undefined;
    case T_NULL:
      return null;
    case T_FALSE:
      return false;
    case T_TRUE:
      return true;
    case T_UINT:
      return input.readVarInt();
    case T_NEGINT:
      return -input.readVarInt();
    case T_DOUBLE:
      return input.readDoubleBE();
    case T_BIGINT_POS:
    case T_BIGINT_NEG: {
      const n = input.readVarInt();
      if (n === 0) return 0n;
      const magnitude = BigInt("0x" + Buffer.from(input.readView(n)).toString("hex"));
      return tag === T_BIGINT_NEG ? -magnitude : magnitude;
    }
    case T_STRING:
      return input.readUtf8Nested();
    case T_BYTES:
      return input.readBytes(input.readVarInt());
    case T_BUFFER:
      return Buffer.from(input.readView(input.readVarInt()));
    case T_TYPED:
      return readTypedArray(input);
    case T_DATE:
      return new Date(input.readDoubleBE());
    default:
      break;
  }
  if (depth >= MAX_DEPTH) throw new CoderError(`JsValueCoder: value nested more than ${MAX_DEPTH} levels deep at offset ${input.offset - 1} (corrupt data?)`);
  switch (tag) {
    case T_ARRAY: {
      const n = readCount(input, "array");
      const a: unknown[] = [];
      for (let i = 0; i < n; i++) a.push(readValue(input, depth + 1));
      return a;
    }
    case T_OBJECT: {
      const n = readCount(input, "object");
      const o: Record<string, unknown> = {};
      for (let i = 0; i < n; i++) {
        const k = readKey(input);
        const val = readValue(input, depth + 1);
        if (k === "__proto__") Object.defineProperty(o, k, { value: val, enumerable: true, writable: true, configurable: true });
        else o[k] = val;
      }
      return o;
    }
    case T_MAP: {
      const n = readCount(input, "Map");
      const m = new Map<unknown, unknown>();
      for (let i = 0; i < n; i++) {
        const k = readValue(input, depth + 1);
        m.set(k, readValue(input, depth + 1));
      }
      return m;
    }
    case T_SET: {
      const n = readCount(input, "Set");
      const s = new Set<unknown>();
      for (let i = 0; i < n; i++) s.add(readValue(input, depth + 1));
      return s;
    }
    default:
      throw new CoderError(
        `JsValueCoder: unknown tag 0x${tag.toString(16).padStart(2, "0")} at offset ${input.offset - 1}: ` +
          `the bytes were not written by ${JS_VALUE_URN} (check that the PCollection's coder matches the data)`,
      );
  }
}

function readTypedArray(input: ByteReader): unknown {
  const at = input.offset - 1;
  const kind = input.readByte();
  const ctor = TYPED_ARRAYS[kind];
  if (ctor === undefined) throw new CoderError(`JsValueCoder: unknown typed-array kind ${kind} at offset ${at} (corrupt data?)`);
  const byteLength = input.readVarInt();
  if (byteLength % ctor.BYTES_PER_ELEMENT !== 0) {
    throw new CoderError(`JsValueCoder: ${ctor.name} at offset ${at} has ${byteLength} bytes, not a multiple of ${ctor.BYTES_PER_ELEMENT} (corrupt data?)`);
  }
  if (!LITTLE_ENDIAN) throw new CoderError(`JsValueCoder: decoding ${ctor.name} needs a little-endian host`);
  const buffer = new ArrayBuffer(byteLength); // a fresh, aligned copy
  new Uint8Array(buffer).set(input.readView(byteLength));
  return new ctor(buffer, 0, byteLength / ctor.BYTES_PER_ELEMENT);
}

/**
 * The default coder for elements: any plain JS value (see the module doc for what is supported).
 * Not deterministic: object keys keep their insertion order, so equal objects can encode
 * differently. Use DeterministicJsValueCoder for grouping keys.
 */
export class JsValueCoder<T = unknown> implements Coder<T> {
  /** The shared instance (the coder holds no state). */
  static readonly INSTANCE = new JsValueCoder<unknown>();
  readonly urn: string = JS_VALUE_URN;
  readonly components: readonly Coder<unknown>[] = [];
  readonly deterministic: boolean = false;

  encode(value: T, out: ByteWriter, _context: CoderContext): void {
    try {
      writeValue(out, value, false, 0);
    } catch (e) {
      throw toCoderError(e, this.urn);
    }
  }

  decode(input: ByteReader, _context: CoderContext): T {
    return readValue(input, 0) as T;
  }
}

/**
 * JsValueCoder's format with canonical ordering, for grouping keys: object keys sorted, Map
 * entries and Set members sorted by their encoded bytes, NaN canonicalised. Accepts exactly the
 * values JsValueCoder accepts, and decodes both coders' bytes. 0 and -0 encode differently.
 */
export class DeterministicJsValueCoder<T = unknown> implements Coder<T> {
  /** The shared instance (the coder holds no state). */
  static readonly INSTANCE = new DeterministicJsValueCoder<unknown>();
  readonly urn: string = DETERMINISTIC_JS_VALUE_URN;
  readonly components: readonly Coder<unknown>[] = [];
  readonly deterministic: boolean = true;

  encode(value: T, out: ByteWriter, _context: CoderContext): void {
    try {
      writeValue(out, value, true, 0);
    } catch (e) {
      throw toCoderError(e, this.urn);
    }
  }

  decode(input: ByteReader, _context: CoderContext): T {
    return readValue(input, 0) as T;
  }
}
