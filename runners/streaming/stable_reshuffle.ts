/**
 * A Reshuffle in a streaming run that takes checkpoints (--checkpoint_dir, or the in-memory
 * snapshots of --direct_bundle_retries): a stable-input boundary.
 *
 * Beam's sinks rely on it: WriteToBigQuery tags rows with insertIds and WriteToPubSub gives
 * messages their idAttribute, each followed by a Reshuffle, so that work retried after a failure
 * reuses the ids and the service drops the copies. That holds because a runner makes what crossed
 * a Reshuffle durable before anything after it runs: on Dataflow it is a shuffle, committed with
 * the source's acknowledgements; Flink buffers a @RequiresStableInput step's input until a
 * checkpoint holds it. Passing elements straight on, a restart from a checkpoint would run the
 * work after the checkpoint again from the source, and the ids would be new.
 *
 * So elements wait here until a checkpoint holding them is written (they are part of it), and are
 * passed on only then: a run resumed from that checkpoint passes on the same elements, with the
 * ids they were given. Their output watermark is held at the oldest waiting element, so none turns
 * late downstream. The cost is latency: elements after a Reshuffle wait up to
 * --checkpoint_interval_ms, as in Flink. In virtual time (TestStreams only) the driver takes a
 * checkpoint before the script goes on instead, so no clock moves while they wait.
 */
import type { ByteReader, ByteWriter } from "../../lib/coders/byte_io";
import type { Coder } from "../../lib/coders/coder";
import type { ElementMeta, Instant, WindowedValue } from "../../lib/model/window";
import { type MaybePromise, PendingWork, type Receiver } from "../executor/receiver";
import type { Checkpointable } from "./checkpoint";
import type { TimeAware } from "./grouping";

export class CheckpointedReshuffle implements Receiver, TimeAware, Checkpointable {
  private waiting: WindowedValue<unknown>[] = [];
  private readonly pending = new PendingWork();

  constructor(
    private readonly next: Receiver,
    /** Of the waiting elements with their metadata (for checkpoints). */
    private readonly coder: Coder<WindowedValue<unknown>>,
  ) {}

  receive(value: unknown, meta: ElementMeta): MaybePromise {
    this.waiting.push({ value, timestamp: meta.timestamp, windows: meta.windows, pane: meta.pane });
    return undefined;
  }

  /** Nothing fires with time: elements go on only once a checkpoint holds them (`release`). */
  advance(): undefined {
    return undefined;
  }

  /** Whether elements wait for a checkpoint. */
  get holding(): boolean {
    return this.waiting.length > 0;
  }

  /**
   * A checkpoint holding the waiting elements is written: takes them, to pass on with `passOn`.
   * Every Reshuffle's are taken before any is passed on: what one passes on to another after it
   * is in no checkpoint yet, and waits there for the next.
   */
  takeWaiting(): WindowedValue<unknown>[] {
    const out = this.waiting;
    this.waiting = [];
    return out;
  }

  /** Passes on what `takeWaiting` took. Call inside a bundle. */
  async passOn(elements: readonly WindowedValue<unknown>[]): Promise<void> {
    try {
      for (const wv of elements) this.pending.add(this.next.receive(wv.value, wv));
    } catch (e) {
      // One failed downstream: those passed on before it may be queued in async steps (PendingWork.failAfter).
      await this.pending.failAfter(e);
    }
    await this.pending.take();
  }

  snapshot(w: ByteWriter): void {
    w.writeVarInt(this.waiting.length);
    for (const wv of this.waiting) this.coder.encode(wv, w, "nested");
  }

  restore(r: ByteReader): void {
    for (let n = r.readVarInt(); n > 0; n--) this.waiting.push(this.coder.decode(r, "nested"));
  }

  hold(): Instant {
    let h = Infinity;
    for (const wv of this.waiting) if (wv.timestamp < h) h = wv.timestamp;
    return h;
  }
}
