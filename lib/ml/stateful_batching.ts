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
 * The mechanism is GroupIntoBatches' and BatchElements' (lib/transforms/batch_state.ts).
 *
 * The timers hold the step's output watermark (the processing-time one at its earliest element's
 * timestamp, the window one at the window's end), so results keep their own element's timestamp
 * and window, as without this option, and a grouping downstream does not drop them as late.
 * The model runs in the same step (fused with the buffering, as Beam's runners fuse BatchElements
 * with the inference DoFn), so the adaptive batch size sees each batch's model time.
 */
import type { BundleContext, RuntimeContext } from "../model/dofn";
import type { StatefulProcessContext } from "../model/state";
import { BatchingDoFn, type Buffered } from "../transforms/batch_state";
import type { FailedInference } from "./model_handler";
import type { RunInferenceDoFn } from "./inference_dofn";

/** Keys elements per worker process, as BatchElements does (Beam's WithSharedKey). */
export { keyByProcess, WithProcessKey } from "../transforms/batch_elements";

type Failed<E> = { failed: FailedInference<E> };

/** Buffers a window's elements in state (../transforms/batch_state) until the batch is full, has waited long enough, or the window ends; then infers on them. */
export class StatefulRunInferenceDoFn<E, R> extends BatchingDoFn<string, E, R, Failed<E>> {
  constructor(
    private readonly inference: RunInferenceDoFn<E, unknown, unknown, unknown, R, unknown>,
    maxBatchDurationMillis: number,
  ) {
    // The window's end, not its expiry: results keep their elements' timestamps, which a
    // grouping downstream would find late after the end.
    super({ maxCount: () => inference.targetBatchSize, maxBufferingMillis: maxBatchDurationMillis, allowedLatenessMillis: 0 });
  }

  setup(runtime: RuntimeContext): void {
    this.inference.setup(runtime);
  }

  startBundle(ctx: BundleContext<R, Failed<E>>): void {
    this.inference.startBundle(ctx);
  }

  protected emitBatch(_key: string, batch: readonly Buffered<E>[], _earliest: number, ctx: StatefulProcessContext<R, Failed<E>>): Promise<void> {
    return this.inference.inferBuffered(batch, ctx.window);
  }

  finishBundle(ctx: BundleContext<R, Failed<E>>): Promise<void> {
    return this.inference.finishBundle(ctx);
  }
}
