/**
 * `beam:coder:row:v1` (beam_runner_api.proto StandardCoders.ROW): rows of a Beam schema
 * (schema.ts), with the wire format Beam Java's RowCoder and Python's RowCoderImpl share:
 *
 * - varint(number of fields), so readers can tell rows written before fields were appended;
 * - the null bitmap as nested bytes: bit i (byte i/8, bit i%8, least significant first) is set
 *   when field i (in schema order) is null; no bytes at all when nothing is null;
 * - each non-null field, nested, in encoding-position order (schema order unless the schema sets
 *   encoding_position). Field types map to coders as the proto lists (INT32/INT64 varint,
 *   DOUBLE double, STRING string_utf8, BOOLEAN bool, BYTES bytes, arrays and iterables iterable
 *   with a known length, maps int32(size) then keys and values, nested rows row), plus Java's
 *   and Python's for the rest: BYTE one byte, INT16 two bytes big-endian, FLOAT four bytes
 *   big-endian; nullable elements, keys and values inside arrays and maps use the nullable coder;
 *   millis_instant is an 8-byte shifted timestamp (Python's TimestampCoder, Java's InstantCoder);
 *   decimal is varint(scale) then the unscaled value's two's-complement bytes, nested (Java's
 *   BigDecimalCoder, Python's DecimalCoder); other logical types use their representation's coder.
 *
 * A row with fewer fields than the schema (an older writer) decodes with the missing fields null.
 */
import { ByteReader, ByteWriter } from "./byte_io";
import { Coder, CoderContext } from "./coder";
import { CoderError, describeValue } from "./errors";
import { BigIntVarIntCoder, BoolCoder, BytesCoder, DoubleCoder, StringUtf8Coder } from "./primitive";
import { FieldType, LOGICAL_TYPE_URNS, ROW_URN, Schema } from "./schema";
import { schemaToProto } from "./schema_proto";
import { IterableCoder, NullableCoder } from "./structural";
import { readTimestampExact, timestampToInt64 } from "./timestamp";

export { ROW_URN };

const NO_COMPONENTS: readonly Coder<unknown>[] = Object.freeze([]);

function wrong(what: string, expected: string, value: unknown): CoderError {
  return new CoderError(`RowCoder: ${what} must be ${expected}, got ${describeValue(value)} (${typeof value})`);
}

function integer(what: string, value: unknown, min: number, max: number): number {
  if (typeof value !== "number" || !Number.isInteger(value) || value < min || value > max) throw wrong(what, `an integer from ${min} to ${max}`, value);
  return value;
}

function byteCoder(what: string): Coder<number> {
  return {
    urn: "beamline:coder:row_field:byte",
    components: NO_COMPONENTS,
    deterministic: true,
    encode: (v, out) => out.writeByte(integer(what, v, -128, 127) & 0xff),
    decode: (input) => (input.readByte() << 24) >> 24,
  };
}

function int16Coder(what: string): Coder<number> {
  return {
    urn: "beamline:coder:row_field:int16",
    components: NO_COMPONENTS,
    deterministic: true,
    encode: (v, out) => {
      const n = integer(what, v, -32768, 32767) & 0xffff;
      out.writeByte(n >> 8);
      out.writeByte(n & 0xff);
    },
    decode: (input) => (((input.readByte() << 8) | input.readByte()) << 16) >> 16,
  };
}

/** INT32 as Java's VarIntCoder and Python's VarInt32Coder: negative values as their unsigned 32 bits (5 bytes). */
function int32Coder(what: string): Coder<number> {
  return {
    urn: "beamline:coder:row_field:int32",
    components: NO_COMPONENTS,
    deterministic: true,
    encode: (v, out) => out.writeVarInt(integer(what, v, -0x80000000, 0x7fffffff) >>> 0),
    decode: (input) => {
      // The low 32 bits, as Java's VarInt.decodeInt (a 10-byte varint of a negative int32 also reads right).
      const v = input.readVarIntOrBigInt();
      return typeof v === "number" ? Number(BigInt.asIntN(32, BigInt(v))) : Number(BigInt.asIntN(32, v));
    },
  };
}

function float32Coder(what: string): Coder<number> {
  const buf = new DataView(new ArrayBuffer(4));
  return {
    urn: "beamline:coder:row_field:float",
    components: NO_COMPONENTS,
    deterministic: false,
    encode: (v, out) => {
      if (typeof v !== "number") throw wrong(what, "a number", v);
      buf.setFloat32(0, v);
      for (let i = 0; i < 4; i++) out.writeByte(buf.getUint8(i));
    },
    decode: (input) => {
      for (let i = 0; i < 4; i++) buf.setUint8(i, input.readByte());
      return buf.getFloat32(0);
    },
  };
}

function checked<T>(what: string, inner: Coder<T>, check: (v: unknown) => boolean, expected: string): Coder<T> {
  return {
    urn: inner.urn,
    components: NO_COMPONENTS,
    deterministic: inner.deterministic,
    encode: (v, out, context) => {
      if (!check(v)) throw wrong(what, expected, v);
      inner.encode(v, out, context);
    },
    decode: (input, context) => inner.decode(input, context),
  };
}

/** `beam:coder:row:v1` map fields: int32(size), then each key and value nested. Decodes to a Map. */
class MapFieldCoder<K, V> implements Coder<Map<K, V>> {
  readonly urn = "beamline:coder:row_field:map";
  readonly components = NO_COMPONENTS;
  readonly deterministic = false; // entry order is the Map's, not a canonical one (as Java's MapCoder)
  constructor(
    readonly what: string,
    readonly keyCoder: Coder<K>,
    readonly valueCoder: Coder<V>,
  ) {}
  encode(value: Map<K, V>, out: ByteWriter): void {
    if (!(value instanceof Map)) throw wrong(this.what, "a Map", value);
    out.writeInt32BE(value.size);
    for (const [k, v] of value) {
      this.keyCoder.encode(k, out, "nested");
      this.valueCoder.encode(v, out, "nested");
    }
  }
  decode(input: ByteReader): Map<K, V> {
    const at = input.offset;
    const n = input.readInt32BE();
    if (n < 0) throw new CoderError(`RowCoder: ${this.what} at offset ${at} has negative size ${n}; the data was written by another coder`);
    const m = new Map<K, V>();
    for (let i = 0; i < n; i++) {
      const k = this.keyCoder.decode(input, "nested");
      m.set(k, this.valueCoder.decode(input, "nested"));
    }
    return m;
  }
}

const MICROS_PER_SECOND = 1000000n;

/** micros_instant: Row(seconds, micros) with 0 ≤ micros < 10^6, as Java's MicrosInstant; a bigint of epoch micros here. */
function microsInstantCoder(what: string): Coder<bigint> {
  return {
    urn: "beamline:coder:row_field:micros_instant",
    components: NO_COMPONENTS,
    deterministic: true,
    encode: (v, out) => {
      if (typeof v !== "bigint") throw wrong(what, "a bigint of epoch microseconds", v);
      let seconds = v / MICROS_PER_SECOND;
      let micros = v % MICROS_PER_SECOND;
      if (micros < 0n) {
        seconds -= 1n;
        micros += MICROS_PER_SECOND;
      }
      out.writeVarInt(2);
      out.writeByte(0);
      out.writeVarInt64(seconds);
      out.writeVarInt64(micros);
    },
    decode: (input) => {
      const [seconds, micros] = decodeRowValues(input, MICROS_FIELDS, `${what} (micros_instant)`);
      return (seconds as bigint) * MICROS_PER_SECOND + (micros as bigint);
    },
  };
}

const MICROS_FIELDS = [BigIntVarIntCoder.INSTANCE, BigIntVarIntCoder.INSTANCE] as const;

/** Reads a row's values in wire order without a schema object (the fixed rows of logical types). */
function decodeRowValues(input: ByteReader, coders: readonly Coder<unknown>[], what: string): unknown[] {
  const n = input.readVarInt();
  const mask = input.readBytes(input.readVarInt());
  if (n !== coders.length) throw new CoderError(`RowCoder: ${what} has ${n} fields, expected ${coders.length}`);
  return coders.map((c, i) => {
    if ((mask[i >> 3] ?? 0) & (1 << (i & 7))) throw new CoderError(`RowCoder: ${what} has a null field`);
    return c.decode(input, "nested");
  });
}

/** millis_instant: an 8-byte shifted timestamp (Java's InstantCoder); a number of epoch millis here. */
function millisInstantCoder(what: string): Coder<number> {
  return {
    urn: "beamline:coder:row_field:millis_instant",
    components: NO_COMPONENTS,
    deterministic: true,
    encode: (v, out) => {
      if (typeof v !== "number" || !Number.isSafeInteger(v)) throw wrong(what, "a safe integer of epoch milliseconds", v);
      out.writeUint64BE(timestampToInt64(v) + (1n << 63n));
    },
    decode: (input) => {
      const v = readTimestampExact(input);
      if (typeof v !== "number") throw new CoderError(`RowCoder: ${what} holds ${v} ms since the epoch, beyond the safe integers a number can hold`);
      return v;
    },
  };
}

/** Parses a decimal string ("-100.123", "1.5e3") into its unscaled value and scale, as Java's BigDecimal(String). */
export function parseDecimal(s: string): { unscaled: bigint; scale: number } {
  const m = /^([+-]?)(\d*)(?:\.(\d*))?(?:[eE]([+-]?\d+))?$/.exec(s.trim());
  if (m === null || (m[2] === "" && (m[3] ?? "") === "")) throw new CoderError(`RowCoder: '${s}' is not a decimal number (write it like "-100.123" or "1.5E+3")`);
  const frac = m[3] ?? "";
  const unscaled = BigInt(`${m[1] === "-" ? "-" : ""}${m[2] || "0"}${frac}`);
  return { unscaled, scale: frac.length - Number(m[4] ?? 0) };
}

/** The decimal string of unscaled × 10^-scale, plain for scale ≥ 0 (Java's BigDecimal.toPlainString), "xE+n" otherwise. */
export function formatDecimal(unscaled: bigint, scale: number): string {
  const neg = unscaled < 0n;
  const digits = (neg ? -unscaled : unscaled).toString();
  if (scale <= 0) return `${neg ? "-" : ""}${digits}${scale < 0 ? `E+${-scale}` : ""}`;
  const padded = digits.padStart(scale + 1, "0");
  return `${neg ? "-" : ""}${padded.slice(0, padded.length - scale)}.${padded.slice(padded.length - scale)}`;
}

function decimalCoder(what: string): Coder<string> {
  return {
    urn: "beamline:coder:row_field:decimal",
    components: NO_COMPONENTS,
    deterministic: true,
    encode: (v, out) => {
      if (typeof v !== "string") throw wrong(what, "a decimal string", v);
      const { unscaled, scale } = parseDecimal(v);
      if (scale < -0x80000000 || scale > 0x7fffffff) throw wrong(what, "a decimal whose scale fits an int32", v);
      // The scale is an int32 varint (Java's BigDecimalCoder): a negative one as its unsigned 32 bits.
      out.writeVarInt(scale >>> 0);
      // Minimal two's complement, big-endian: bitLength / 8 + 1 bytes (Java's BigInteger.toByteArray).
      const magnitude = unscaled < 0n ? -unscaled - 1n : unscaled;
      const bitLength = magnitude === 0n ? 0 : magnitude.toString(2).length;
      const size = (bitLength >> 3) + 1;
      const bytes = Buffer.from(BigInt.asUintN(size * 8, unscaled).toString(16).padStart(size * 2, "0"), "hex");
      out.writeVarInt(bytes.length);
      out.writeBytes(bytes);
    },
    decode: (input) => {
      // The low 32 bits: Java writes a negative scale in 5 bytes, Python in 10; both read right.
      const raw = input.readVarIntOrBigInt();
      const scale = Number(BigInt.asIntN(32, BigInt(raw)));
      const bytes = input.readBytes(input.readVarInt());
      let unscaled = bytes.length === 0 ? 0n : BigInt(`0x${Buffer.from(bytes).toString("hex")}`);
      if (bytes.length > 0) unscaled = BigInt.asIntN(bytes.length * 8, unscaled);
      return formatDecimal(unscaled, scale);
    },
  };
}

/** fixed_char/var_char/fixed_bytes/var_bytes: the representation's coder, with the length rules of Java's FixedString/VariableString/FixedBytes/VariableBytes. */
function sizedCoder(what: string, urn: string, n: number): Coder<unknown> {
  const chars = urn === LOGICAL_TYPE_URNS.fixedChar || urn === LOGICAL_TYPE_URNS.varChar;
  const fixed = urn === LOGICAL_TYPE_URNS.fixedChar || urn === LOGICAL_TYPE_URNS.fixedBytes;
  const pad = (v: string | Uint8Array): string | Uint8Array => {
    if (!fixed || v.length === n) return v;
    if (typeof v === "string") return v.padEnd(n, " ");
    const out = new Uint8Array(n);
    out.set(v);
    return out;
  };
  const inner: Coder<string | Uint8Array> = (chars ? StringUtf8Coder.INSTANCE : BytesCoder.INSTANCE) as Coder<string | Uint8Array>;
  const expected = chars ? `a string of at most ${n} characters` : `a Uint8Array of at most ${n} bytes`;
  const ok = (v: unknown): v is string | Uint8Array => (chars ? typeof v === "string" : v instanceof Uint8Array) && (v as string | Uint8Array).length <= n;
  return {
    urn: `beamline:coder:row_field:${urn}`,
    components: NO_COMPONENTS,
    deterministic: true,
    encode: (v, out) => {
      if (!ok(v)) throw wrong(what, expected, v);
      inner.encode(pad(v), out, "nested");
    },
    decode: (input) => {
      const v = inner.decode(input, "nested");
      if (v.length > n) throw new CoderError(`RowCoder: ${what} holds ${v.length} ${chars ? "characters" : "bytes"}, more than its logical type ${urn} allows (${n})`);
      return pad(v);
    },
  };
}

/** The coder of a field type, nullable ones wrapped in the nullable coder (inside arrays and maps). */
function elementCoder(t: FieldType<unknown>, what: string): Coder<unknown> {
  const c = fieldCoder(t, what);
  return t.nullable ? (new NullableCoder(c) as Coder<unknown>) : c;
}

/** The coder of a field type's non-null values. */
export function fieldCoder(t: FieldType<unknown>, what: string): Coder<unknown> {
  const s = t.spec;
  switch (s.kind) {
    case "atomic":
      switch (s.atomic) {
        case "BYTE":
          return byteCoder(what) as Coder<unknown>;
        case "INT16":
          return int16Coder(what) as Coder<unknown>;
        case "INT32":
          return int32Coder(what) as Coder<unknown>;
        case "INT64":
          return checked(what, BigIntVarIntCoder.INSTANCE, (v) => typeof v === "bigint", "a bigint") as Coder<unknown>;
        case "FLOAT":
          return float32Coder(what) as Coder<unknown>;
        case "DOUBLE":
          return checked(what, DoubleCoder.INSTANCE, (v) => typeof v === "number", "a number") as Coder<unknown>;
        case "STRING":
          return checked(what, StringUtf8Coder.INSTANCE, (v) => typeof v === "string", "a string") as Coder<unknown>;
        case "BOOLEAN":
          return checked(what, BoolCoder.INSTANCE, (v) => typeof v === "boolean", "a boolean") as Coder<unknown>;
        case "BYTES":
          return checked(what, BytesCoder.INSTANCE, (v) => v instanceof Uint8Array, "a Uint8Array") as Coder<unknown>;
      }
      break;
    case "array":
    case "iterable":
      return new IterableCoder(elementCoder(s.element, `${what}[]`)) as Coder<unknown>;
    case "map":
      return new MapFieldCoder(what, elementCoder(s.key, `${what} (key)`), elementCoder(s.value, `${what} (value)`)) as Coder<unknown>;
    case "row":
      return new RowCoder(s.schema, what) as Coder<unknown>;
    case "logical":
      switch (s.urn) {
        case LOGICAL_TYPE_URNS.millisInstant:
          return millisInstantCoder(what) as Coder<unknown>;
        case LOGICAL_TYPE_URNS.microsInstant:
          return microsInstantCoder(what) as Coder<unknown>;
        case LOGICAL_TYPE_URNS.decimal:
          return decimalCoder(what) as Coder<unknown>;
        case LOGICAL_TYPE_URNS.fixedChar:
        case LOGICAL_TYPE_URNS.varChar:
        case LOGICAL_TYPE_URNS.fixedBytes:
        case LOGICAL_TYPE_URNS.varBytes:
          if (typeof s.argument?.value === "number") return sizedCoder(what, s.urn, s.argument.value);
          break;
      }
      // A logical type this SDK has no value type for: Beam encodes it with its representation's coder.
      return fieldCoder(s.representation, what);
  }
  throw new CoderError(`RowCoder: ${what} has a field type this SDK cannot encode`);
}

/**
 * `beam:coder:row:v1` for rows of `schema`: plain objects keyed by field name (see schema.ts
 * for each type's TypeScript value). Build it with `RowCoder.of(schema)`; a runner's
 * `beam:coder:row:v1` is rebuilt from its Schema payload by the coder registry.
 */
export class RowCoder<R extends object = Record<string, unknown>> implements Coder<R> {
  /** `beam:coder:row:v1`. */
  readonly urn = ROW_URN;
  /** None: the schema (the payload) describes the fields. */
  readonly components = NO_COMPONENTS;
  /** Whether every field's coder is deterministic (no FLOAT, DOUBLE or map fields, among others), so rows can be grouping keys. */
  readonly deterministic: boolean;
  private readonly coders: readonly Coder<unknown>[];
  private readonly names: readonly string[];
  /** wireOrder[k]: the schema index of the k-th field on the wire. */
  private readonly wireOrder: readonly number[];
  private readonly nullable: readonly boolean[];
  private readonly anyNullable: boolean;
  private schemaPayload: Uint8Array | undefined;

  constructor(
    /** The schema of the rows. */
    readonly schema: Schema<R>,
    /** Where this row sits, for errors ("row" at the top). */
    private readonly where = "row",
  ) {
    this.names = schema.fields.map((f) => f.name);
    this.coders = schema.fields.map((f) => fieldCoder(f.type, `${where}.${f.name}`));
    this.nullable = schema.fields.map((f) => f.type.nullable);
    this.anyNullable = this.nullable.some((n) => n);
    this.deterministic = this.coders.every((c) => c.deterministic);
    const positions = schema.encodingPositions;
    const order = schema.fields.map((_, i) => i);
    if (positions !== undefined) order.sort((a, b) => positions[a]! - positions[b]!);
    this.wireOrder = order;
  }

  /** The row coder of `schema` (its rows: `Schema.of`'s inferred row type). */
  static of<R extends object>(schema: Schema<R>): RowCoder<R> {
    return new RowCoder(schema);
  }

  /** The Schema proto (the coder's payload in the pipeline proto). */
  get payload(): Uint8Array {
    return (this.schemaPayload ??= schemaToProto(this.schema));
  }

  /** Writes a row (the same bytes in both contexts: a row is self-delimiting). */
  encode(value: R, out: ByteWriter, _context: CoderContext): void {
    if (value === null || typeof value !== "object") throw new CoderError(`RowCoder can only encode row objects keyed by field name (${this.names.join(", ")}), got ${describeValue(value)} at ${this.where}`);
    const row = value as Record<string, unknown>;
    const n = this.names.length;
    out.writeVarInt(n);
    let mask: Uint8Array | undefined;
    if (this.anyNullable) {
      for (let i = 0; i < n; i++) {
        const v = row[this.names[i]!];
        if (v === null || v === undefined) (mask ??= new Uint8Array((n + 7) >> 3))[i >> 3]! |= 1 << (i & 7);
      }
    }
    if (mask === undefined) out.writeByte(0);
    else {
      out.writeVarInt(mask.length);
      out.writeBytes(mask);
    }
    for (const i of this.wireOrder) {
      const v = row[this.names[i]!];
      if (v === null || v === undefined) {
        if (!this.nullable[i]) throw new CoderError(`RowCoder: ${this.where}.${this.names[i]} is ${v === null ? "null" : "missing"}, but the field is not nullable; declare it FieldType.nullable(...) or give it a value`);
        continue;
      }
      this.coders[i]!.encode(v, out, "nested");
    }
  }

  /** Reads a row: an object with every schema field, null where the row has none. */
  decode(input: ByteReader, _context: CoderContext): R {
    const n = this.names.length;
    const encoded = input.readVarInt();
    const mask = input.readBytes(input.readVarInt());
    const values: unknown[] = new Array<unknown>(n).fill(null);
    // Fields past the schema's (a newer writer) cannot be skipped without their types: read what this schema knows.
    const count = Math.min(n, encoded);
    for (let k = 0; k < count; k++) {
      const i = this.wireOrder[k]!;
      if ((mask[i >> 3] ?? 0) & (1 << (i & 7))) continue;
      values[i] = this.coders[i]!.decode(input, "nested");
    }
    const row: Record<string, unknown> = {};
    for (let i = 0; i < n; i++) row[this.names[i]!] = values[i];
    return row as R;
  }
}
