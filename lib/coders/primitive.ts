/**
 * Beam's standard leaf coders (bytes, string_utf8, varint, bool, double), with their exact wire
 * formats (BEAM_PORTABILITY.md §4.1–4.5).
 */
import { ByteReader, ByteWriter } from "./byte_io";
import { Coder, CoderContext } from "./coder";
import { BYTES_URN, BytesCoder, NO_COMPONENTS, wrongType } from "./bytes";
import { CoderError, describeValue } from "./errors";

export { BYTES_URN, BytesCoder };

/** URNs of Beam's standard leaf coders. */
export const STRING_UTF8_URN = "beam:coder:string_utf8:v1";
export const VARINT_URN = "beam:coder:varint:v1";
export const BOOL_URN = "beam:coder:bool:v1";
export const DOUBLE_URN = "beam:coder:double:v1";

const INT64_MIN = -(1n << 63n);
const INT64_MAX = (1n << 63n) - 1n;

/** `beam:coder:string_utf8:v1`: UTF-8 bytes, prefixed by varint(byte length) when nested. */
export class StringUtf8Coder implements Coder<string> {
  /** The shared instance (the coder holds no state). */
  static readonly INSTANCE = new StringUtf8Coder();
  readonly urn = STRING_UTF8_URN;
  readonly components = NO_COMPONENTS;
  readonly deterministic = true;

  encode(value: string, out: ByteWriter, context: CoderContext): void {
    if (typeof value !== "string") throw wrongType("StringUtf8Coder", "strings", value);
    if (context === "nested") out.writeUtf8Nested(value);
    else out.writeUtf8(value);
  }

  decode(input: ByteReader, context: CoderContext): string {
    return context === "nested" ? input.readUtf8Nested() : input.readUtf8Rest();
  }
}

/**
 * `beam:coder:varint:v1` over JS numbers: safe integers only (|n| ≤ 2^53 − 1). Negative values
 * take 10 bytes (two's complement, no zigzag). Use BigIntVarIntCoder for the full int64 range.
 */
export class VarIntCoder implements Coder<number> {
  /** The shared instance (the coder holds no state). */
  static readonly INSTANCE = new VarIntCoder();
  readonly urn = VARINT_URN;
  readonly components = NO_COMPONENTS;
  readonly deterministic = true;

  encode(value: number, out: ByteWriter, _context: CoderContext): void {
    if (!Number.isSafeInteger(value)) {
      throw new CoderError(
        `VarIntCoder can only encode safe integers (-(2^53 - 1) to 2^53 - 1), got ${describeValue(value)}. ` +
          `Use BigIntVarIntCoder (bigint values) for 64-bit integers, or DoubleCoder for fractional numbers`,
      );
    }
    out.writeVarInt(value);
  }

  decode(input: ByteReader, _context: CoderContext): number {
    return input.readVarInt();
  }
}

/**
 * `beam:coder:varint:v1` over bigint: the full signed int64 range (Beam's int64: Java's long,
 * Python's int). It shares its URN with VarIntCoder, so the proto cannot say which one a
 * PCollection has: the Fn API worker takes it from the SDK's coder of the PCollection
 * (registry.ts coderFromSpec's `like`).
 */
export class BigIntVarIntCoder implements Coder<bigint> {
  /** The shared instance (the coder holds no state). */
  static readonly INSTANCE = new BigIntVarIntCoder();
  readonly urn = VARINT_URN;
  readonly components = NO_COMPONENTS;
  readonly deterministic = true;

  encode(value: bigint, out: ByteWriter, _context: CoderContext): void {
    if (typeof value !== "bigint") throw wrongType("BigIntVarIntCoder", "bigint values (use VarIntCoder for numbers)", value);
    if (value < INT64_MIN || value > INT64_MAX) {
      throw new CoderError(`BigIntVarIntCoder can only encode signed 64-bit integers (-2^63 to 2^63 - 1), got ${value}n`);
    }
    out.writeVarInt64(value);
  }

  decode(input: ByteReader, _context: CoderContext): bigint {
    return input.readVarInt64();
  }
}

/** `beam:coder:bool:v1`: one byte, 00 = false, 01 = true (any other byte is rejected as corrupt). */
export class BoolCoder implements Coder<boolean> {
  /** The shared instance (the coder holds no state). */
  static readonly INSTANCE = new BoolCoder();
  readonly urn = BOOL_URN;
  readonly components = NO_COMPONENTS;
  readonly deterministic = true;

  encode(value: boolean, out: ByteWriter, _context: CoderContext): void {
    if (typeof value !== "boolean") throw wrongType("BoolCoder", "booleans", value);
    out.writeByte(value ? 1 : 0);
  }

  decode(input: ByteReader, _context: CoderContext): boolean {
    const b = input.readByte();
    if (b > 1) {
      throw new CoderError(`BoolCoder read byte 0x${b.toString(16)} at offset ${input.offset - 1}; only 00 and 01 are booleans (the data was written by a different coder)`);
    }
    return b === 1;
  }
}

/**
 * `beam:coder:double:v1`: IEEE-754 binary64, 8 bytes big-endian. Not deterministic (like Java's
 * DoubleCoder): 0 and -0 are equal but encode differently, and NaN payloads may vary.
 */
export class DoubleCoder implements Coder<number> {
  /** The shared instance (the coder holds no state). */
  static readonly INSTANCE = new DoubleCoder();
  readonly urn = DOUBLE_URN;
  readonly components = NO_COMPONENTS;
  readonly deterministic = false;

  encode(value: number, out: ByteWriter, _context: CoderContext): void {
    if (typeof value !== "number") throw wrongType("DoubleCoder", "numbers", value);
    out.writeDoubleBE(value);
  }

  decode(input: ByteReader, _context: CoderContext): number {
    return input.readDoubleBE();
  }
}
