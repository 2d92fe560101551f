/**
 * Beam's standard bytes coder, in a module of its own: every pipeline's Impulse output has it, and
 * a small local run should not load the other standard coders for that.
 */
import { ByteReader, ByteWriter } from "./byte_io";
import { Coder, CoderContext } from "./coder";
import { CoderError, describeValue } from "./errors";

/** URN of Beam's standard bytes coder. */
export const BYTES_URN = "beam:coder:bytes:v1";

/** @internal A leaf coder's components: none. */
export const NO_COMPONENTS: readonly Coder<unknown>[] = Object.freeze([]);

/** @internal The error for a value a leaf coder cannot encode. */
export function wrongType(coder: string, expected: string, value: unknown): CoderError {
  return new CoderError(`${coder} can only encode ${expected}, got ${describeValue(value)} (${typeof value}); give the PCollection a coder that matches its elements`);
}

/**
 * `beam:coder:bytes:v1`: nested = varint(length) + bytes, outer = the bytes alone. Decodes to a
 * fresh Uint8Array (a copy, never a view of the input); encodes any Uint8Array, Buffer included.
 */
export class BytesCoder implements Coder<Uint8Array> {
  /** The shared instance (the coder holds no state). */
  static readonly INSTANCE = new BytesCoder();
  readonly urn = BYTES_URN;
  readonly components = NO_COMPONENTS;
  readonly deterministic = true;

  encode(value: Uint8Array, out: ByteWriter, context: CoderContext): void {
    if (!(value instanceof Uint8Array)) throw wrongType("BytesCoder", "Uint8Array/Buffer values", value);
    if (context === "nested") out.writeVarInt(value.length);
    out.writeBytes(value);
  }

  decode(input: ByteReader, context: CoderContext): Uint8Array {
    return input.readBytes(context === "nested" ? input.readVarInt() : input.remaining);
  }
}

