/**
 * Shared memory between the coordinator and one worker thread's bundle, so that neither waits for
 * the other's event loop at the end of a stage (each turns it only between chunks of its own).
 *
 * The worker keeps a chunk or two ahead, sent when it asked. A chunk sent is settled once: the
 * worker claims it as it starts on it, or the coordinator, out of chunks of its own, takes it back
 * and runs it itself (an atomic compare-and-exchange decides which, so each chunk runs once). And
 * once the stage's queue is empty the worker ends its bundle as soon as it has run every chunk
 * sent to it, without asking for more.
 *
 * Cells: [0] the stage has no more chunks to send; [1] chunks sent to this bundle; then a ring of
 * slots, one per chunk in flight (its sequence number + 1 while unsettled, 0 once the worker
 * claimed it, minus that once taken back).
 */
import { InternalError } from "../../lib/model/errors";

const NO_MORE = 0;
const SENT = 1;
const FIRST_SLOT = 2;
/** Chunks in flight at most (a worker asks for more only while it holds fewer than AHEAD unstarted). */
const SLOTS = 8;
/** Unstarted chunks a worker keeps: two, so that a coordinator turning its event loop only between long chunks of its own does not leave it waiting. */
export const AHEAD = 2;

export class ChunkHandover {
  private readonly cells: Int32Array;

  constructor(readonly buffer: SharedArrayBuffer = new SharedArrayBuffer(4 * (FIRST_SLOT + SLOTS))) {
    this.cells = new Int32Array(buffer);
  }

  private slot(seq: number): number {
    return FIRST_SLOT + (seq % SLOTS);
  }

  // The coordinator's side.

  /** Records chunk `seq` (0, 1, 2, ... in order) as sent, before it is posted. */
  sent(seq: number): void {
    const slot = this.slot(seq);
    const before = Atomics.load(this.cells, slot);
    if (before > 0) throw new InternalError(`a DirectRunner worker thread was sent chunk ${seq} while chunk ${before - 1} was still unsettled`);
    Atomics.store(this.cells, slot, seq + 1);
    Atomics.store(this.cells, SENT, seq + 1);
  }

  /** Takes chunk `seq` back if the worker has not started it; true if it is now the coordinator's to run. */
  takeBack(seq: number): boolean {
    return Atomics.compareExchange(this.cells, this.slot(seq), seq + 1, -(seq + 1)) === seq + 1;
  }

  /** Whether chunk `seq` was claimed by the worker or taken back. */
  settled(seq: number): boolean {
    return Atomics.load(this.cells, this.slot(seq)) !== seq + 1;
  }

  /** The stage's queue is empty: nothing more will be sent (wakes a worker waiting for a chunk). */
  noMore(): void {
    if (Atomics.exchange(this.cells, NO_MORE, 1) === 0) Atomics.notify(this.cells, NO_MORE);
  }

  // The worker's side.

  /** Claims chunk `seq` as the worker starts on it; false if the coordinator took it back. */
  claim(seq: number): boolean {
    return Atomics.compareExchange(this.cells, this.slot(seq), seq + 1, 0) === seq + 1;
  }

  /** Whether the worker, having received `received` chunks, will be sent no more. */
  finished(received: number): boolean {
    // NO_MORE is set after the last chunk's SENT count (sequentially consistent atomics), so a
    // chunk still on its way is always counted here.
    return Atomics.load(this.cells, NO_MORE) === 1 && Atomics.load(this.cells, SENT) === received;
  }

  /** Settles when the coordinator says nothing more will be sent (at once if it has). */
  async untilNoMore(): Promise<void> {
    const w = Atomics.waitAsync(this.cells, NO_MORE, 0);
    if (w.async) await w.value;
  }
}
