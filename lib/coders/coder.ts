/**
 * Coder<T>: how elements of type T become bytes when they cross a process, a shuffle or a
 * runner. Beam's standard coders have exact wire formats (see standard.ts); SDK-private coders
 * have `beamline:coder:...` URNs and reach runners length-prefixed.
 */
import { ByteReader, ByteWriter } from "./byte_io";
import { CoderError } from "./errors";

export { CoderError } from "./errors";

/**
 * "outer": the value is the last thing in the stream (bytes and strings need no length);
 * "nested": the value must be self-delimiting. On the Fn API data plane every element is nested.
 */
export type CoderContext = "nested" | "outer";

/** Encodes values of type T to bytes and back. */
export interface Coder<T> {
  /** Beam URN, or "beamline:coder:<name>:v1" for SDK-private coders. */
  readonly urn: string;
  /** Component coders (kv: [key, value]); empty for leaf coders. */
  readonly components: readonly Coder<unknown>[];
  /** Payload of the coder in the pipeline proto, if any. */
  readonly payload?: Uint8Array;
  /** Equal values always encode to equal bytes (safe for grouping keys). */
  readonly deterministic: boolean;
  /** Appends the encoding of `value` to `out`. */
  encode(value: T, out: ByteWriter, context: CoderContext): void;
  /** Reads one value from `input`; in the outer context it may consume everything left. */
  decode(input: ByteReader, context: CoderContext): T;
}

/** Writers larger than this are not kept for reuse by encodeToBytes (avoid pinning memory). */
const MAX_SPARE_CAPACITY = 1 << 20;
let spare: ByteWriter | undefined = new ByteWriter(1024);

/** Encodes one value to a fresh byte array (outer context unless told otherwise). */
export function encodeToBytes<T>(coder: Coder<T>, value: T, context: CoderContext = "outer"): Uint8Array {
  // Reuse one writer; a reentrant call (a coder calling encodeToBytes) gets a fresh one.
  const w = spare ?? new ByteWriter();
  spare = undefined;
  try {
    coder.encode(value, w, context);
    return w.finish();
  } finally {
    w.reset();
    if (w.capacity <= MAX_SPARE_CAPACITY) spare = w;
  }
}

/**
 * Decodes one value (outer context unless told otherwise). Throws a CoderError if bytes remain
 * after an outer decode: they were written by a different coder.
 */
export function decodeFromBytes<T>(coder: Coder<T>, bytes: Uint8Array, context: CoderContext = "outer"): T {
  const r = new ByteReader(bytes);
  const value = coder.decode(r, context);
  if (context === "outer" && !r.atEnd()) {
    throw new CoderError(
      `${coder.urn} decoded a value from the first ${r.offset} of ${bytes.length} bytes and left ${r.remaining} unread: ` +
        `the bytes were written by a different coder (check that the encoding and decoding coders match)`,
    );
  }
  return value;
}
