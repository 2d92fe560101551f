/**
 * `beam:coder:state_backed_iterable:v1` (beam_runner_api.proto, StandardCoders): an iterable of
 * which a runner may send only a prefix inline. The wire form is the iterable's
 * (BEAM_PORTABILITY.md §4.7), except that the unknown-length form's terminating varint(0) may be
 * replaced by varint(-1), varint(len(token)), token: an opaque token naming the rest of the
 * iterable in the runner's state, read over the Fn API State API as a `StateKey.Runner` whose key
 * is the token (Beam Java's StateBackedIterable, Python's IterableStateReader).
 *
 * Decoding is synchronous and the State API is not, so a token is not fetched here: the decoder
 * returns the inline prefix as an array and hands the token, with that array, to the
 * continuation collector the Fn API worker installs around its decode (see
 * `collectingContinuations`); the worker fetches the rest and appends it to the array before the
 * element reaches the pipeline. Outside such a decode a token is an error: only a runner's
 * GroupByKey output carries one, and only a worker can resolve it.
 */
import { ByteReader, ByteWriter } from "./byte_io";
import { Coder, CoderContext } from "./coder";
import { CoderError, describeValue } from "./errors";
import { readIterableElements, writeIterable } from "./structural";

export const STATE_BACKED_ITERABLE_URN = "beam:coder:state_backed_iterable:v1";

/** The part of a decoded iterable that is still in the runner's state. */
export interface StateContinuation {
  /** The runner's opaque token: the key of the `StateKey.Runner` to read. */
  readonly token: Uint8Array;
  /** The decoded iterable, holding its inline prefix: the fetched elements are appended to it. */
  readonly into: unknown[];
  /** Decodes each fetched element (the state holds them nested, back to back). */
  readonly elementCoder: Coder<unknown>;
}

let collector: ((c: StateContinuation) => void) | undefined;

/**
 * Runs `decode` with the continuation tokens it meets passed to `collect` (the Fn API worker's
 * hook). Decoding is synchronous, so the collector is in force exactly during `decode`.
 */
export function collectingContinuations<T>(collect: (c: StateContinuation) => void, decode: () => T): T {
  const previous = collector;
  collector = collect;
  try {
    return decode();
  } finally {
    collector = previous;
  }
}

/**
 * Installs `collect` as the continuation collector and returns the one it replaces (restore it
 * right after the synchronous decode). The allocation-free form of `collectingContinuations`,
 * for the worker's per-element decode loop.
 */
export function swapContinuationCollector(collect: ((c: StateContinuation) => void) | undefined): ((c: StateContinuation) => void) | undefined {
  const previous = collector;
  collector = collect;
  return previous;
}

/** Appends the elements of a fetched continuation (nested encodings, back to back) to its iterable. */
export function appendContinuation(c: StateContinuation, bytes: Uint8Array): void {
  const r = new ByteReader(bytes);
  while (!r.atEnd()) c.into.push(c.elementCoder.decode(r, "nested"));
}

/**
 * `beam:coder:state_backed_iterable:v1` over arrays. Encodes the known-length iterable form (a
 * runner-side optimisation that an SDK never needs to produce); decodes every form: known length,
 * unknown length, and unknown length ending in a state token (resolved by the Fn API worker).
 */
export class StateBackedIterableCoder<T> implements Coder<T[]> {
  readonly urn = STATE_BACKED_ITERABLE_URN;
  readonly components: readonly Coder<unknown>[];
  readonly deterministic: boolean;

  constructor(
    /** The coder of each element. */
    readonly elementCoder: Coder<T>,
  ) {
    this.components = [elementCoder];
    this.deterministic = elementCoder.deterministic;
  }

  encode(value: Iterable<T>, out: ByteWriter, _context: CoderContext): void {
    if (Array.isArray(value)) writeIterable(out, value as readonly T[], this.elementCoder);
    else if (value !== null && typeof value === "object" && Symbol.iterator in value) writeIterable(out, Array.from(value), this.elementCoder);
    else throw new CoderError(`StateBackedIterableCoder can only encode arrays or iterables, got ${describeValue(value)}`);
  }

  decode(input: ByteReader, _context: CoderContext): T[] {
    const start = input.offset;
    const n = input.readInt32BE();
    if (n !== -1) return readIterableElements(input, this.elementCoder, n, start);
    const out: T[] = [];
    for (;;) {
      const blockAt = input.offset;
      const count = input.readVarIntOrBigInt();
      if (count === 0) return out;
      if (count === -1) {
        const token = input.readBytes(input.readVarInt());
        const collect = collector;
        if (collect === undefined) {
          throw new CoderError(
            `State-backed iterable at offset ${start} ends in a state token (${token.length} bytes) naming the rest of its elements in the runner's state; ` +
              `only the Fn API worker can fetch them (over the State API). Decode it inside the worker, or have the runner send the iterable whole`,
          );
        }
        collect({ token, into: out as unknown[], elementCoder: this.elementCoder as Coder<unknown> });
        return out;
      }
      if (typeof count !== "number" || count < 0) {
        throw new CoderError(`State-backed iterable block at offset ${blockAt} has count ${count}; only a count ≥ 0 or -1 (a state token follows) is valid. The data is corrupt or was written by another coder`);
      }
      for (let i = 0; i < count; i++) out.push(this.elementCoder.decode(input, "nested"));
    }
  }
}
