/**
 * The root elements of a stage, handed out in chunks to the bundles processing them at once (this
 * thread's and worker threads'), so that bundles that finish early take more and all end together.
 */
import type { WindowedValue } from "../../lib/model/window";

/**
 * Chunks per participant when the element count is known: enough to even out uneven elements, and
 * one element per chunk for a few heavy ones (a read's 32 byte ranges per reader), so that the
 * participants end within one element of each other.
 */
const CHUNKS_PER_PARTICIPANT = 32;
/** Elements per chunk at most (and when the count is unknown, e.g. a shuffle read back from disk). */
const MAX_CHUNK = 4096;
const UNKNOWN_COUNT_CHUNK = 1024;

export class WorkQueue {
  private readonly iterator: Iterator<WindowedValue<unknown>>;
  private readonly chunkSize: number;
  private lookahead: IteratorResult<WindowedValue<unknown>>;
  /** Chunks handed out so far. */
  taken = 0;
  private failure: { error: unknown } | undefined;

  constructor(
    elements: Iterable<WindowedValue<unknown>>,
    /** How many elements there are, when known (lists, an in-memory shuffle). */
    private readonly count: number | undefined,
    participants: number,
  ) {
    this.iterator = elements[Symbol.iterator]();
    this.lookahead = this.iterator.next();
    this.chunkSize = count === undefined ? UNKNOWN_COUNT_CHUNK : Math.max(1, Math.min(MAX_CHUNK, Math.floor(count / (participants * CHUNKS_PER_PARTICIPANT))));
  }

  /** Whether every element has been handed out (or the stage failed). */
  get exhausted(): boolean {
    return this.failure !== undefined || this.lookahead.done === true;
  }

  /** Elements per chunk (the last may have fewer). */
  get elementsPerChunk(): number {
    return this.chunkSize;
  }

  /** Elements not yet handed out, when the count is known. */
  get elementsLeft(): number | undefined {
    if (this.exhausted) return 0;
    return this.count === undefined ? undefined : Math.max(0, this.count - this.taken * this.chunkSize);
  }

  /** Chunks not yet handed out, when the count is known. */
  get chunksLeft(): number | undefined {
    if (this.exhausted) return 0;
    if (this.count === undefined) return undefined;
    return Math.ceil(Math.max(0, this.count - this.taken * this.chunkSize) / this.chunkSize);
  }

  /** The next chunk, or undefined once all are handed out. Throws the stage's failure once it failed. */
  take(): WindowedValue<unknown>[] | undefined {
    if (this.failure !== undefined) throw this.failure.error;
    if (this.lookahead.done === true) return undefined;
    const chunk: WindowedValue<unknown>[] = [];
    let next: IteratorResult<WindowedValue<unknown>> = this.lookahead;
    while (next.done !== true && chunk.length < this.chunkSize) {
      chunk.push(next.value);
      next = this.iterator.next();
    }
    this.lookahead = next;
    this.taken++;
    return chunk;
  }

  /** Stops handing out chunks: the stage failed with `error` (the first failure is kept). */
  abort(error: unknown): void {
    this.failure ??= { error };
  }

  get failed(): boolean {
    return this.failure !== undefined;
  }
}
