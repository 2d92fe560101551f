/**
 * ReadUnbounded: a real-time unbounded source that runs until the source ends or the pipeline is
 * drained or cancelled. Its output is an UNBOUNDED PCollection, which the DirectRunner runs with
 * its streaming driver. Production sources (Pub/Sub) are built on it; tests script streams in
 * virtual time with TestStream instead.
 */
import { DoFn } from "../model/dofn";
import { PBegin, PCollection } from "../model/pcollection";
import { ParDo } from "../model/pardo";
import { Impulse } from "../model/primitives";
import { PTransform } from "../model/transform";
import type { Instant } from "../model/window";

/** URN of a Beamline real-time unbounded read. */
export const READ_UNBOUNDED_URN = "beamline:transform:read_unbounded:v1";

/**
 * How a real-time run ended, as told to a source's close handler. "restarting": a bundle failed
 * and the runner restarts the run in the process from its last checkpoint (`--direct_bundle_retries`):
 * give back what was not committed, as after "failed", but keep what the restarted read needs
 * (e.g. a subscription the source created).
 */
export type SourceOutcome = "drained" | "done" | "cancelled" | "failed" | "restarting";

/** What a real-time source can do while it reads. */
export interface UnboundedSourceContext<T> {
  /**
   * Emits an element (timestamp: now, by default). The promise resolves once the runner has
   * room for more: await it to get backpressure from slow steps.
   *
   * A `receipt` (e.g. a message's ack id) is handed back to the `onCommit` handler once the
   * element's effects are safe: without checkpoints, when the bundle that processed it has
   * completed (every step it reached has finished the bundle, sinks included); in a run that
   * takes checkpoints (`checkpoints` below), once a checkpoint holding its effects is durable.
   * Acknowledge upstream only then.
   */
  emit(value: T, timestamp?: Instant, receipt?: unknown): Promise<void>;
  /**
   * Emits a batch of elements (e.g. the messages of one pull), as `emit` would one by one, with
   * one promise for the batch: the runner takes the whole batch at once, so a source that reads
   * batches should hand them over this way rather than awaiting `emit` per element.
   * `timestamps`: one instant for all (default: now), or one per element; `receipts`, if given,
   * one per element (undefined entries: none).
   */
  emitAll(values: readonly T[], timestamps?: Instant | readonly Instant[], receipts?: readonly unknown[]): Promise<void>;
  /**
   * Declares that no element earlier than `watermark` will follow. Until the first call, the
   * watermark is the source's `initialWatermark`, or else follows the processing-time clock.
   */
  advanceWatermark(watermark: Instant): void;
  /**
   * Aborted when the run drains, is cancelled or fails: stop reading and return. On a drain its
   * `reason` is "drain": a source may first read what it owes (e.g. messages an earlier, crashed
   * run had leased and that are only now coming back), as that data was read, not yet processed.
   */
  readonly signal: AbortSignal;
  /** Registers the handler of committed receipts (called in order, one bundle at a time; an error fails the run). */
  onCommit(handler: (receipts: readonly unknown[]) => Promise<void>): void;
  /**
   * Registers a handler called once when the run has ended, after the last commit: release what
   * the source holds. After "drained" or "done" every emitted element was committed; after
   * "cancelled" or "failed" the uncommitted ones should be given back for redelivery.
   */
  onClose(handler: (outcome: SourceOutcome) => Promise<void>): void;
  /**
   * Runs `fn` at once with `Metrics` updates counted on the read step: a source's code runs
   * outside any step, so a counter it increments must go through here, e.g.
   * `ctx.withMetrics(() => malformed.inc())`. Updates `fn` makes after an await are not counted.
   */
  withMetrics<R>(fn: () => R): R;
  /** Set when the run takes checkpoints (the DirectRunner's `--checkpoint_dir`); see SourceCheckpoints. */
  readonly checkpoints?: SourceCheckpoints;
}

/**
 * What a source does to be resumable from a checkpoint (Beam's UnboundedSource CheckpointMark).
 * The runner checkpoints its state between bundles; the elements whose effects a checkpoint
 * holds are committed (`onCommit`) only once it is durable. After a crash, the run restarts from
 * the last checkpoint: elements not committed must come again (a queue redelivers what was not
 * acknowledged), and elements the checkpoint holds but that were not yet committed when the
 * process died must not be emitted twice, which is what the mark is for.
 */
export interface SourceCheckpoints {
  /** A name of this source that stays the same across restarts of the job (e.g. to name a subscription it creates). */
  readonly stableId: string;
  /**
   * Whether the run resumes from a checkpoint: an earlier run of this job may have died holding
   * elements (e.g. leased messages) that will come back once its hold on them lapses.
   */
  readonly resumed: boolean;
  /**
   * Whether checkpoints outlive the process (`--checkpoint_dir`). If not (checkpoints kept in
   * memory so that the runner can restart a failed run in the process), a later run never resumes
   * this one: release everything on a final close.
   */
  readonly durable?: boolean;
  /** The mark the source gave for the checkpoint the run resumed from; undefined on a fresh start or if it gave none. */
  readonly restoredMark: Uint8Array | undefined;
  /**
   * Registers the function called when a checkpoint is taken, with the receipts of the elements
   * it covers (emitted and processed since the previous one). It returns the source's mark:
   * what it needs after a restart from this checkpoint, e.g. the ids of the covered elements, to
   * drop their redeliveries. It must not commit anything itself: the receipts reach `onCommit`
   * once the checkpoint is durable.
   */
  onCheckpoint(handler: (covered: readonly unknown[]) => Uint8Array): void;
}

/** A real-time source: `read` emits until it is told to stop (or the data ends) and then resolves. */
export interface UnboundedSource<T> {
  /**
   * The watermark until the source first calls `ctx.advanceWatermark` (e.g. the event time of the
   * oldest data it will emit, or MIN_TIMESTAMP). Without it the watermark follows the clock, so a
   * source replaying past event times must set it, or its elements arrive late and are dropped.
   */
  readonly initialWatermark?: Instant;
  /** Reads and emits until the data ends or `ctx.signal` is aborted, then resolves. */
  read(ctx: UnboundedSourceContext<T>): Promise<void>;
}

/** @internal How a ReadUnbounded describes itself to runners. */
export interface ReadUnboundedSpec {
  readonly urn: typeof READ_UNBOUNDED_URN;
  readonly source: UnboundedSource<unknown>;
}

declare module "../model/pipeline" {
  interface CompositeSpecs {
    [READ_UNBOUNDED_URN]: ReadUnboundedSpec;
  }
}

class NoElements<T> extends DoFn<Uint8Array, T> {
  process(): void {}
}

/**
 * Reads an unbounded source in real time: the pipeline runs until the source ends, `drain()`
 * or `cancel()` is called on the result, or the process gets SIGINT/SIGTERM (drain; a second
 * signal cancels).
 *
 *     p.apply(ReadUnbounded.from<string>({
 *       async read(ctx) {
 *         while (!ctx.signal.aborted) await ctx.emit(await nextMessage());
 *       },
 *     }));
 *
 * A source that receives batches (a pull of many messages) hands each one over with
 * `await ctx.emitAll(batch)`: one promise per batch rather than per element.
 */
export class ReadUnbounded<T> extends PTransform<PBegin, PCollection<T>> {
  private constructor(private readonly source: UnboundedSource<T>) {
    super("ReadUnbounded");
  }
  /** `p.apply(ReadUnbounded.from<string>({ async read(ctx) { ... } }))`: an unbounded PCollection of what `read` emits. */
  static from<T>(source: UnboundedSource<T>): ReadUnbounded<T> {
    return new ReadUnbounded<T>(source);
  }
  expand(input: PBegin): PCollection<T> {
    const node = input.pipeline.currentNode();
    const spec: ReadUnboundedSpec = { urn: READ_UNBOUNDED_URN, source: this.source as UnboundedSource<unknown> };
    node.composite = spec;
    const out = input.apply("Impulse", Impulse.create()).apply("Read", ParDo.of(new NoElements<T>()));
    out.isBounded = false;
    return out;
  }
}

/** Resolves after `ms`, or at once when `signal` aborts: a source's wait that a stop cuts short. */
export function pauseUnlessAborted(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (signal.aborted) return resolve();
    const done = (): void => {
      clearTimeout(timer);
      signal.removeEventListener("abort", done);
      resolve();
    };
    const timer = setTimeout(done, ms);
    signal.addEventListener("abort", done);
  });
}
