/**
 * RunInference batching across bundles (Beam's BatchElements with `max_batch_duration_secs`).
 *
 * In streaming, bundles are small (often one element), and batches that end with their bundle
 * are as small. Like Beam, the elements are keyed per worker process (Beam's WithSharedKey) so
 * that state can hold them, then buffered per window in a bag until one of:
 * - the batch has the current batch size (adapted as without this option);
 * - `maxBatchDurationSecs` of processing time have passed since the batch's first element (a
 *   processing-time timer, set by that element);
 * - the window ends (an event-time timer at its end, so nothing waits past it).
 *
 * The timers hold the step's output watermark (the processing-time one at its first element's
 * timestamp, the window one at the window's end), so results keep their own element's timestamp
 * and window, as without this option, and a grouping downstream does not drop them as late.
 * The model runs in the same step (fused with the buffering, as Beam's runners fuse BatchElements
 * with the inference DoFn), so the adaptive batch size sees each batch's model time.
 */
import { randomUUID } from "node:crypto";
import { BundleContext, DoFn, ProcessContext, RuntimeContext } from "../model/dofn";
import { StatefulDoFn, StateSpec, TimerSpec, type StatefulProcessContext, type TimerContext } from "../model/state";
import { kv, type Instant, type KV } from "../model/window";
import type { FailedInference } from "./model_handler";
import type { RunInferenceDoFn } from "./run_inference";

/**
 * This process's key (Beam's SharedKey: one per worker process). Every element of a process gets
 * it, so its elements batch together; each process keeps its own batches.
 */
const PROCESS_KEY = randomUUID();

/** Keys every element with its worker process's key (Beam's WithSharedKey). */
export class WithProcessKey<E> extends DoFn<E, KV<string, E>> {
  process(element: E, ctx: ProcessContext<KV<string, E>>): void {
    ctx.output(kv(PROCESS_KEY, element));
  }
}

/** An element waiting for its batch, with its own timestamp (its result keeps it). */
interface Buffered<E> {
  readonly element: E;
  readonly timestamp: Instant;
}

type Failed<E> = { failed: FailedInference<E> };

/** Buffers a window's elements in state until the batch is full, has waited long enough, or the window ends; then infers on them. */
export class StatefulRunInferenceDoFn<E, R> extends StatefulDoFn<string, E, R, Failed<E>> {
  readonly buffer = StateSpec.bag<Buffered<E>>("values");
  readonly count = StateSpec.value<number>("count");
  readonly windowEnd = TimerSpec.eventTime("window_end");
  readonly buffering = TimerSpec.processingTime("buffering_end");

  constructor(
    private readonly inference: RunInferenceDoFn<E, unknown, unknown, unknown, R, unknown>,
    private readonly maxBatchDurationMillis: number,
  ) {
    super();
  }

  setup(runtime: RuntimeContext): void {
    this.inference.setup(runtime);
  }

  startBundle(ctx: BundleContext<R, Failed<E>>): void {
    this.inference.startBundle(ctx);
  }

  process(element: KV<string, E>, ctx: StatefulProcessContext<R, Failed<E>>): void | Promise<void> {
    ctx.timer(this.windowEnd).set(ctx.window.maxTimestamp());
    ctx.state(this.buffer).add({ element: element.value, timestamp: ctx.timestamp });
    const count = (ctx.state(this.count).read() ?? 0) + 1;
    ctx.state(this.count).write(count);
    // The batch's first element starts its clock.
    if (count === 1) ctx.timer(this.buffering).offset(this.maxBatchDurationMillis);
    if (count >= this.inference.targetBatchSize) return this.flush(ctx);
  }

  onTimer(_timer: string, ctx: TimerContext<string, R, Failed<E>>): void | Promise<void> {
    return this.flush(ctx);
  }

  private flush(ctx: StatefulProcessContext<R, Failed<E>>): Promise<void> | undefined {
    const batch = ctx.state(this.buffer).read();
    if (batch.length === 0) return undefined;
    ctx.state(this.buffer).clear();
    ctx.state(this.count).clear();
    ctx.timer(this.buffering).clear();
    return this.inference.inferBuffered(batch, ctx.window);
  }

  finishBundle(ctx: BundleContext<R, Failed<E>>): Promise<void> {
    return this.inference.finishBundle(ctx);
  }
}
