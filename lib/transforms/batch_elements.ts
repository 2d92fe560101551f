/**
 * BatchElements (Beam Python's `beam.BatchElements`): batches a collection's elements, without
 * keys, for downstream steps whose cost is `fixed cost + elements × per-element cost`.
 *
 *     texts.apply(BatchElements.of())                                         // PCollection<string[]>
 *     texts.apply(BatchElements.of({ minBatchSize: 10, maxBatchSize: 10 }))    // fixed size
 *     texts.apply(BatchElements.of({ maxBatchSize: 1 << 20, elementSizeFn: (s: string) => s.length }))
 *     events.apply(BatchElements.of({ maxBatchDurationSecs: 5 }))              // across bundles (streaming)
 *
 * Batch sizes adapt between `minBatchSize` and `maxBatchSize` (./batch_size_estimator, shared
 * with RunInference), timing how long each batch takes to hand on: the synchronous work of the
 * steps the runner fuses after it (Beam times its fused downstream the same way); what an async
 * step awaits is not seen, as an output cannot wait for it. A batch never mixes windows (./window_batches, also
 * RunInference's); each goes out in its window. `elementSizeFn` weighs elements: a batch is full
 * at a total size of the target, and an element that would take a batch past it first sends the
 * batch on.
 *
 * Without `maxBatchDurationSecs` a batch never outlives its bundle: it is sent on when full, when
 * more than 10 windows have a batch waiting (the fullest goes), or at the bundle's end, at its
 * window's last timestamp (the global window's too), as Beam's. With it, elements are keyed per
 * worker process (Beam's WithSharedKey) and buffered in state across bundles (./batch_state,
 * GroupIntoBatches' mechanism) until the batch is full, has waited that long in processing time,
 * or its window ends, and stamped as Beam's stateful BatchElements stamps them (emitBatch below).
 */
import { randomUUID } from "node:crypto";
import type { Coder } from "../coders/coder";
import { JsValueCoder } from "../coders/js_value";
import { StringUtf8Coder } from "../coders/primitive";
import { IterableCoder, KVCoder } from "../coders/structural";
import { DoFn, type BundleContext, type ProcessContext, type RuntimeContext } from "../model/dofn";
import { PipelineConstructionError } from "../model/errors";
import { ParDo } from "../model/pardo";
import type { PCollection } from "../model/pcollection";
import type { StatefulProcessContext } from "../model/state";
import { PTransform } from "../model/transform";
import { kv, type BoundedWindow, type Instant, type KV } from "../model/window";
import { BatchingDoFn, type Buffered, type FlushCause } from "./batch_state";
import { BatchSizeEstimator, estimatorOptionsProblem, type BatchSizeEstimatorOptions } from "./batch_size_estimator";
import { MAX_LIVE_WINDOWS, WindowBatches } from "./window_batches";

/** BatchElements' options: Beam Python's arguments, in camelCase. */
export interface BatchElementsOptions<T> extends Omit<BatchSizeEstimatorOptions, "ignoreFirstNSeenPerBatchSize"> {
  /**
   * Batch across bundles, waiting at most this long in processing time (Beam's
   * `max_batch_duration_secs`); unset (the default): batches within bundles.
   */
  readonly maxBatchDurationSecs?: number;
  /** An element's size toward the batch size (Beam's `element_size_fn`; default: each counts 1). */
  readonly elementSizeFn?: (element: T) => number;
}

/**
 * This process's key (Beam's SharedKey: one per worker process). Every element of a process gets
 * it, so its elements batch together; each process keeps its own batches.
 */
const PROCESS_KEY = randomUUID();

/** Keys every element with its worker process's key (Beam's WithSharedKey); BatchElements' and RunInference's state is per key. */
export class WithProcessKey<E> extends DoFn<E, KV<string, E>> {
  process(element: E, ctx: ProcessContext<KV<string, E>>): void {
    ctx.output(kv(PROCESS_KEY, element));
  }
}

/**
 * Keys a collection by its worker process's key (WithProcessKey), declaring the key a string
 * (Beam's StrUtf8Coder, as Beam Python's WithSharedKey): the stateful step after it is keyed by
 * it, and a runner that decodes timers itself (Beam Python's FnApiRunner) builds their key coder
 * from this one, so it must be one of Beam's.
 */
export function keyByProcess<E>(input: PCollection<E>, name: string): PCollection<KV<string, E>> {
  const valueCoder = (input.coder ?? JsValueCoder.INSTANCE) as Coder<E>;
  return input.apply(name, ParDo.of(new WithProcessKey<E>())).setCoder(new KVCoder(StringUtf8Coder.INSTANCE, valueCoder));
}

const unitSize = (): number => 1;

/** An element's size, checked: a size that is not a finite number of 0 or more would make batches that never fill. */
function sizer<T>(fn: ((element: T) => number) | undefined): (element: T) => number {
  if (fn === undefined) return unitSize;
  return (element) => {
    const size = fn(element);
    if (!(typeof size === "number" && Number.isFinite(size) && size >= 0)) {
      throw new Error(`BatchElements' elementSizeFn returned ${String(size)}; it must return a finite number of 0 or more`);
    }
    return size;
  };
}

function estimatorOf<T>(options: BatchElementsOptions<T>): BatchSizeEstimator {
  const { maxBatchDurationSecs: _duration, elementSizeFn: _size, ...estimator } = options;
  return new BatchSizeEstimator(estimator);
}

/** Batches within a bundle, per window (Beam's `_WindowAwareBatchingDoFn`; the global window is one more window). */
class BatchElementsDoFn<T> extends DoFn<T, T[]> {
  private estimator: BatchSizeEstimator | undefined;
  private batches = new WindowBatches<T>();
  private target = 1;
  private bundle: BundleContext<T[]> | undefined;
  private readonly sizeOf: (element: T) => number;

  constructor(private readonly options: BatchElementsOptions<T>) {
    super();
    this.sizeOf = sizer(options.elementSizeFn);
  }

  setup(_runtime: RuntimeContext): void {
    this.estimator = estimatorOf(this.options);
  }

  startBundle(ctx: BundleContext<T[]>): void {
    this.bundle = ctx;
    this.batches = new WindowBatches<T>(this.sizeOf);
    this.target = this.estimator!.nextBatchSize();
    // The first batch of a bundle often pays for setup downstream: its timing is left out.
    this.estimator!.ignoreNextTiming();
  }

  process(element: T, ctx: ProcessContext<T[]>): void {
    const size = this.sizeOf(element);
    const waiting = this.batches.get(ctx.window);
    if (waiting !== undefined && waiting.size + size > this.target) this.flush(waiting.window);
    const batch = this.batches.add(ctx.window, element, size);
    if (batch.size >= this.target) this.flush(ctx.window);
    else if (this.batches.liveWindows > MAX_LIVE_WINDOWS) this.flush(this.batches.fullest()!.window);
  }

  finishBundle(ctx: BundleContext<T[]>): void {
    this.bundle = ctx;
    for (const batch of this.batches.all()) this.flush(batch.window, false);
    this.target = this.estimator!.nextBatchSize();
    this.bundle = undefined;
  }

  /** Sends a window's batch on, at the window's last timestamp, timing it; then picks the next size. */
  private flush(window: BoundedWindow, nextSize = true): void {
    const size = this.batches.get(window)?.size ?? 0;
    const items = this.batches.take(window);
    if (items.length === 0) return;
    this.estimator!.time(size, () => this.bundle!.output(items, { timestamp: window.maxTimestamp(), window }));
    if (nextSize) this.target = this.estimator!.nextBatchSize();
  }
}

/** Batches across bundles, in state per process key and window (Beam's stateful BatchElements). */
class StatefulBatchElementsDoFn<T> extends BatchingDoFn<string, T, T[]> {
  private estimator: BatchSizeEstimator | undefined;
  private target = 1;
  private readonly sizeOf: (element: T) => number;

  constructor(private readonly options: BatchElementsOptions<T>) {
    // Flushed at the window's end (not its expiry): what is left goes out at the window's last timestamp.
    super({ maxCount: () => 1, sizeOf: options.elementSizeFn === undefined ? undefined : sizer(options.elementSizeFn), maxBufferingMillis: options.maxBatchDurationSecs! * 1000, allowedLatenessMillis: 0 });
    this.sizeOf = sizer(options.elementSizeFn);
  }

  setup(_runtime: RuntimeContext): void {
    this.estimator = estimatorOf(this.options);
  }

  /** As within bundles: a size per bundle, and the bundle's first timing left out. */
  startBundle(): void {
    this.target = this.estimator!.nextBatchSize();
    this.estimator!.ignoreNextTiming();
  }

  protected maxCount(): number {
    return this.target;
  }

  /**
   * Stamps a batch as Beam Python's stateful BatchElements does (util.py
   * `_pardo_stateful_batch_elements`): a batch that fills goes out from process() at the arriving
   * element's timestamp; one the buffering timer flushes at that timer's hold, the timestamp of the
   * batch's first element (Prism's, and the Beam model's, output time of a processing-time timer);
   * one flushed at the window's end at the window's last timestamp. Each is at or after the
   * batch's hold (batch_state.ts), so none is late downstream.
   */
  protected emitBatch(_key: string, batch: readonly Buffered<T>[], _earliest: Instant, ctx: StatefulProcessContext<T[]>, cause: FlushCause): void {
    const items = batch.map((b) => b.element);
    const size = items.reduce((s, e) => s + this.sizeOf(e), 0);
    const timestamp = cause === "full" ? ctx.timestamp : cause === "buffering" ? batch[0]!.timestamp : ctx.window.maxTimestamp();
    this.estimator!.time(size, () => ctx.outputWithTimestamp(items, timestamp));
    this.target = this.estimator!.nextBatchSize();
  }
}

/** Batches of a collection's elements (see the module comment); build it with `BatchElements.of(options)`. */
export class BatchElements<T> extends PTransform<PCollection<T>, PCollection<T[]>> {
  private constructor(private readonly options: BatchElementsOptions<T>) {
    super("BatchElements");
  }

  /** `BatchElements.of({ minBatchSize, maxBatchSize, ... })`: every option may be left out (Beam's defaults). */
  static of<T>(options: BatchElementsOptions<T> = {}): BatchElements<T> {
    const problem = estimatorOptionsProblem(options);
    if (problem !== undefined) throw new PipelineConstructionError(`BatchElements: ${problem}`);
    const duration = options.maxBatchDurationSecs;
    if (duration !== undefined && !(typeof duration === "number" && duration > 0 && Number.isFinite(duration))) {
      throw new PipelineConstructionError(`BatchElements: maxBatchDurationSecs must be a positive number of seconds, got ${String(duration)}; leave it unset to batch within bundles`);
    }
    for (const name of ["elementSizeFn", "clock"] as const) {
      if (options[name] !== undefined && typeof options[name] !== "function") throw new PipelineConstructionError(`BatchElements: ${name} must be a function, got ${typeof options[name]}`);
    }
    return new BatchElements<T>(options);
  }

  expand(input: PCollection<T>): PCollection<T[]> {
    const out =
      this.options.maxBatchDurationSecs === undefined
        ? input.apply("ParDo(BatchElementsDoFn)", ParDo.of(new BatchElementsDoFn<T>(this.options)))
        : keyByProcess(input, "WithSharedKey").apply("ParDo(StatefulBatchElementsDoFn)", ParDo.of(new StatefulBatchElementsDoFn<T>(this.options)));
    const coder = input.coder;
    if (coder !== undefined) out.setCoder(new IterableCoder(coder) as unknown as Coder<T[]>);
    return out;
  }
}
