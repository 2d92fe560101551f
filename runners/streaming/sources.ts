/**
 * The sources of a streaming run: TestStream scripts replayed in virtual time, and real-time
 * unbounded sources feeding a bounded queue (emit() waits while it is full: backpressure).
 */
import type { SourceCheckpoints, SourceOutcome, UnboundedSource, UnboundedSourceContext } from "../../lib/io/read_unbounded";
import type { TestStreamEvent } from "../../lib/testing/test_stream";
import { Instant, MAX_TIMESTAMP, MIN_TIMESTAMP } from "../../lib/model/window";
import { inStep, type MetricsContainer } from "../../lib/model/metrics";
import { SourceBundle, SourceQueue } from "./source_queue";

/** How many elements a real-time source may have queued before emit() waits. */
export const SOURCE_QUEUE_LIMIT = 4096;

/** What emit() returns while there is room: one settled promise, not one per element. */
const ROOM = Promise.resolve();

/** Replays a TestStream's events one at a time. */
export class TestStreamReplay {
  /** The index of the next event (saved in checkpoints). */
  next = 0;
  watermark: Instant = MIN_TIMESTAMP;
  constructor(
    readonly unitName: string,
    readonly outputId: string,
    private readonly events: readonly TestStreamEvent<unknown>[],
  ) {}
  get done(): boolean {
    return this.next >= this.events.length;
  }
  /** The next event, or a final advance to infinity if the script did not end with one. */
  take(): TestStreamEvent<unknown> | undefined {
    if (this.next < this.events.length) return this.events[this.next++];
    if (this.watermark < MAX_TIMESTAMP) return { kind: "watermark", watermark: MAX_TIMESTAMP };
    return undefined;
  }
}

/** A running real-time source. */
export class LiveSource {
  private readonly queue = new SourceQueue();
  private commitHandler: ((receipts: readonly unknown[]) => Promise<void>) | undefined;
  private checkpointHandler: ((covered: readonly unknown[]) => Uint8Array) | undefined;
  /** Receipts of processed elements waiting for a checkpoint to cover them (runs with checkpoints). */
  private held: unknown[] = [];
  private closeHandler: ((outcome: SourceOutcome) => Promise<void>) | undefined;
  private closed = false;
  private waiters: (() => void)[] = [];
  private wake: (() => void) | undefined;
  /** The source's latest watermark report (restored from a checkpoint on a resumed run). */
  reportedWatermark: Instant | undefined;
  private readonly controller = new AbortController();
  finished = false;
  error: unknown;
  watermark: Instant = MIN_TIMESTAMP;
  private reading: Promise<void> | undefined;

  constructor(
    readonly unitName: string,
    readonly outputId: string,
    private readonly source: UnboundedSource<unknown>,
    /** The read step's metrics (what the source counts through `withMetrics`). */
    private readonly metrics: MetricsContainer,
  ) {}

  /** Starts reading; `checkpoints` (runs that take checkpoints): the stable id and the mark restored, if any. */
  start(onActivity: () => void, checkpoints?: { readonly stableId: string; readonly resumed: boolean; readonly restoredMark: Uint8Array | undefined }): void {
    this.wake = onActivity;
    const resumable: SourceCheckpoints | undefined =
      checkpoints === undefined
        ? undefined
        : {
            ...checkpoints,
            onCheckpoint: (handler) => {
              this.checkpointHandler = handler;
            },
          };
    const ctx: UnboundedSourceContext<unknown> = {
      emit: (value, timestamp, receipt) => {
        if (this.finished && this.controller.signal.aborted) return ROOM;
        this.queue.add(value, timestamp ?? Date.now(), receipt);
        return this.afterEmit();
      },
      emitAll: (values, timestamps, receipts) => {
        if (this.finished && this.controller.signal.aborted) return ROOM;
        const n = values.length;
        if (typeof timestamps === "object" && timestamps.length !== n) {
          return Promise.reject(new Error(`emitAll got ${n} values but ${timestamps.length} timestamps: give one timestamp per value, or one for all`));
        }
        if (receipts !== undefined && receipts.length !== n) {
          return Promise.reject(new Error(`emitAll got ${n} values but ${receipts.length} receipts: give one receipt per value (undefined for none)`));
        }
        this.queue.addAll(values, timestamps ?? Date.now(), receipts);
        return this.afterEmit();
      },
      advanceWatermark: (w) => {
        if (this.reportedWatermark === undefined || w > this.reportedWatermark) this.reportedWatermark = w;
        this.wake?.();
      },
      signal: this.controller.signal,
      withMetrics: (fn) => inStep(this.metrics, fn),
      onCommit: (handler) => {
        this.commitHandler = handler;
      },
      onClose: (handler) => {
        this.closeHandler = handler;
      },
      ...(resumable !== undefined ? { checkpoints: resumable } : {}),
    };
    this.reading = (async () => {
      try {
        await this.source.read(ctx);
      } catch (e) {
        this.error = e;
      } finally {
        this.finished = true;
        this.wake?.();
      }
    })();
  }

  /** After queueing: wakes the driver; the promise emit() returns (waits while the queue is full). */
  private afterEmit(): Promise<void> {
    this.wake?.();
    if (this.queue.length < SOURCE_QUEUE_LIMIT) return ROOM;
    return new Promise<void>((resolve) => this.waiters.push(resolve));
  }

  /** Tells the source to stop reading and waits until it has; the signal's reason says why (a drain lets a source read what it owes first). */
  async stop(reason: "drain" | "cancel" | "failed"): Promise<void> {
    this.controller.abort(reason);
    this.releaseWaiters();
    await this.reading;
  }

  /** Takes up to `max` queued elements (one bundle) and their receipts; lets blocked emitters continue. */
  takeBundle(max: number): SourceBundle {
    const bundle = this.queue.take(max);
    if (this.queue.length < SOURCE_QUEUE_LIMIT) this.releaseWaiters();
    return bundle;
  }

  /** A bundle taken from this source has gone through the graph: the queue may fill its array again. */
  recycle(bundle: SourceBundle): void {
    this.queue.recycle(bundle);
  }

  /** Tells the source that a bundle holding these receipts completed. */
  async commit(receipts: readonly unknown[]): Promise<void> {
    if (receipts.length > 0 && this.commitHandler !== undefined) await this.commitHandler(receipts);
  }

  /** Keeps the receipts of a completed bundle until a checkpoint covers them. */
  hold(receipts: readonly unknown[]): void {
    for (const r of receipts) this.held.push(r);
  }

  /**
   * Whether a restart from a checkpoint gets this source's elements since it again: the source
   * gave a checkpoint handler (its elements are acknowledged only once a checkpoint covers them,
   * the rest is given back on close), or it emitted nothing.
   */
  get rewindable(): boolean {
    return this.checkpointHandler !== undefined || !this.queue.everQueued;
  }

  /** Whether processed elements wait for a checkpoint. */
  get holding(): boolean {
    return this.held.length > 0;
  }

  /** The source's mark for a checkpoint covering the held receipts (empty if the source gives none). */
  checkpointMark(): Uint8Array {
    return this.checkpointHandler?.(this.held) ?? new Uint8Array(0);
  }

  /** The checkpoint covering the held receipts is durable: commits them. */
  async commitHeld(): Promise<void> {
    const receipts = this.held;
    this.held = [];
    await this.commit(receipts);
  }

  /** Tells the source the run ended (once); elements still queued are dropped from this run and given back by the source. */
  async close(outcome: SourceOutcome): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.queue.clear();
    this.held = [];
    if (this.closeHandler !== undefined) await this.closeHandler(outcome);
  }

  /**
   * The source's watermark as a checkpoint keeps it: its report, held at the elements still
   * queued. Those are not in the checkpoint (a restart gets them from the source again, e.g. as
   * Pub/Sub redeliveries), and the source may have reported past them once it handed them over:
   * a resumed run starting from the report would find them late when they come back.
   */
  get checkpointWatermark(): Instant | undefined {
    return this.reportedWatermark === undefined ? undefined : Math.min(this.reportedWatermark, this.queue.minTimestamp);
  }

  get queued(): number {
    return this.queue.length;
  }

  /** The watermark after the queued elements: the source's report, else its initial watermark, else processing time; never past queued data. */
  computeWatermark(now: Instant): Instant {
    if (this.finished && this.queue.length === 0) return MAX_TIMESTAMP;
    const w = this.reportedWatermark ?? this.source.initialWatermark ?? now;
    return Math.min(w, this.queue.minTimestamp);
  }

  private releaseWaiters(): void {
    const ws = this.waiters;
    this.waiters = [];
    for (const w of ws) w();
  }
}
