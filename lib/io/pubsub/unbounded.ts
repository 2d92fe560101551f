/**
 * The unbounded Pub/Sub source behind ReadFromPubSub's streaming mode: pulls with a PubSubReader
 * and emits each message with its ack id as the receipt. The runner hands receipts back only
 * after the bundle that processed the messages completed (sinks flushed), and only then are they
 * acknowledged: at-least-once, never ack-before-work. While pulled messages wait, their leases
 * are extended; the watermark is the oldest unacknowledged publish (or event) time.
 *
 * On drain every emitted message has been committed by the time the source closes; on cancel or
 * failure the uncommitted ones are nacked (redelivered at once). A subscription the source
 * created for a topic is deleted when it closes.
 */
import type { Instant } from "../../model/window";
import type { SourceOutcome, UnboundedSource, UnboundedSourceContext } from "../../testing/test_stream";
import { PubSubReader, type PubSubReaderOptions } from "./reader";

/** Messages requested per pull (also bounds what one pull adds to the runner's queue). */
const PULL_BATCH = 500;
/** Pause after an empty pull (abortable), so an idle subscription is not polled in a tight loop. */
const IDLE_PAUSE_MS = 100;

function pause(ms: number, signal: AbortSignal): Promise<void> {
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

/** A real-time source reading a subscription (or a fresh subscription to a topic). */
export function pubSubSource<T>(options: PubSubReaderOptions): UnboundedSource<T> {
  return {
    async read(ctx: UnboundedSourceContext<T>): Promise<void> {
      const reader = await PubSubReader.open<T>(options);
      const report = (): void => {
        const w: Instant = reader.watermark();
        if (Number.isFinite(w)) ctx.advanceWatermark(w);
      };
      ctx.onCommit(async (receipts) => {
        await reader.commit(receipts as string[]);
        report();
      });
      ctx.onClose(async (outcome: SourceOutcome) => {
        // After a drain nothing is outstanding; after a cancel or failure close() nacks what is.
        void outcome;
        await reader.close();
      });
      while (!ctx.signal.aborted) {
        const batch = await reader.pull(PULL_BATCH, 10_000);
        for (const m of batch) await ctx.emit(m.value, m.timestamp, m.ackId);
        report();
        if (batch.length === 0) await pause(IDLE_PAUSE_MS, ctx.signal);
      }
    },
  };
}
