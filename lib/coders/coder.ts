/**
 * Coder<T>: how elements of type T become bytes when they cross a process, a shuffle or a
 * runner. Beam's standard coders have exact wire formats (see standard.ts); SDK-private coders
 * have `beamline:coder:...` URNs and reach runners length-prefixed.
 */
import { ByteReader, ByteWriter } from "./byte_io";

/**
 * "outer": the value is the last thing in the stream (bytes and strings need no length);
 * "nested": the value must be self-delimiting.
 */
export type CoderContext = "nested" | "outer";

export interface Coder<T> {
  /** Beam URN, or "beamline:coder:<name>:v1" for SDK-private coders. */
  readonly urn: string;
  /** Component coders (kv: [key, value]); empty for leaf coders. */
  readonly components: readonly Coder<unknown>[];
  /** Payload of the coder in the pipeline proto, if any. */
  readonly payload?: Uint8Array;
  /** Equal values always encode to equal bytes (safe for grouping keys). */
  readonly deterministic: boolean;
  encode(value: T, out: ByteWriter, context: CoderContext): void;
  decode(input: ByteReader, context: CoderContext): T;
}

/** A coder failed to encode or decode a value. */
export class CoderError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = "CoderError";
  }
}

const scratch = new ByteWriter(1024);
let scratchBusy = false;

/** Encodes one value to a fresh byte array. */
export function encodeToBytes<T>(coder: Coder<T>, value: T, context: CoderContext = "outer"): Uint8Array {
  if (scratchBusy) {
    const w = new ByteWriter();
    coder.encode(value, w, context);
    return w.finish();
  }
  scratchBusy = true;
  try {
    scratch.reset();
    coder.encode(value, scratch, context);
    return scratch.finish();
  } finally {
    scratchBusy = false;
  }
}

/** Decodes one value; in the outer context every byte must be consumed. */
export function decodeFromBytes<T>(coder: Coder<T>, bytes: Uint8Array, context: CoderContext = "outer"): T {
  const r = new ByteReader(bytes);
  const value = coder.decode(r, context);
  if (context === "outer" && !r.atEnd()) {
    throw new CoderError(`${coder.urn} left ${r.remaining} of ${bytes.length} bytes undecoded; the bytes were not written by this coder`);
  }
  return value;
}
