/**
 * Batching in state, shared by GroupIntoBatches and the `maxBatchDurationSecs` of BatchElements
 * and RunInference: a stateful DoFn that buffers each key's elements per window in a bag and hands
 * a batch on when
 *
 * - it has the batch size (a count, or with `sizeOf` a total size, as BatchElements'
 *   `elementSizeFn`: an element that would take the batch past it first flushes the batch; read
 *   per element so BatchElements and RunInference can adapt it), or the byte
 *   limit: an element that would take the batch past the limit first flushes the batch before it
 *   (as Beam Java's GroupIntoBatches, so no batch of several elements exceeds the limit);
 * - `maxBufferingMillis` of processing time have passed since the batch's first element (a
 *   processing-time timer);
 * - the window expires (its end plus the allowed lateness: an event-time timer, as Beam Java's
 *   OnWindowExpiration), so no element is left in state when the runner collects it.
 *
 * Watermark holds: a batch holds the step's output watermark at its earliest timestamp until it is
 * emitted (Beam Java sets its timers `withOutputTimestamp`), so a batch stamped with that time is
 * on time downstream, even re-windowed into smaller windows. A processing-time timer holds the
 * watermark at the event time of the element that set it, so the buffering timer is set again
 * (same deadline) by every element earlier than the batch's earliest so far; without a buffering
 * duration, a processing-time timer that never fires in time (`watermark_hold`, as Beam Java's
 * hold timer, whose firing does nothing) holds it instead.
 */
import type { OutputTags } from "../model/dofn";
import { StatefulDoFn, StateSpec, TimerSpec, type StatefulProcessContext, type TimerContext } from "../model/state";
import { GLOBAL_WINDOW_MAX_TIMESTAMP, windowExpiry, type BoundedWindow, type Instant, type KV } from "../model/window";

/** An element waiting for its batch, with its own timestamp. */
export interface Buffered<V> {
  readonly element: V;
  readonly timestamp: Instant;
}

/** When a batch is complete. */
export interface BatchLimits<V> {
  /** The most elements in a batch (read at every element); with `sizeOf`, the most total size. */
  readonly maxCount: () => number;
  /** An element's size toward `maxCount` (default: each counts 1). */
  readonly sizeOf?: (element: V) => number;
  /** The most bytes in a batch, by `weigh` (undefined: no byte limit). */
  readonly maxBytes?: number;
  /** An element's weight toward `maxBytes`. */
  readonly weigh?: (element: V) => number;
  /** Processing time a batch may wait after its first element; 0: until its window expires. */
  readonly maxBufferingMillis: number;
  /** The input's allowed lateness: the window expires this long after its end. */
  readonly allowedLatenessMillis: number;
}

/** The hold timer's processing time: later than any run lasts. */
const NEVER: Instant = GLOBAL_WINDOW_MAX_TIMESTAMP;


/**
 * Why a batch is handed on: it filled (in process(), as an element arrived), its buffering time
 * passed (the processing-time timer), or its window ends (the event-time timer).
 */
export type FlushCause = "full" | "buffering" | "window_end";

/** Buffers elements per key and window until a batch is complete, then calls `emitBatch`. */
export abstract class BatchingDoFn<K, V, Out, Tags extends OutputTags = {}> extends StatefulDoFn<K, V, Out, Tags> {
  readonly buffer = StateSpec.bag<Buffered<V>>("values");
  readonly count = StateSpec.value<number>("count");
  readonly bytes = StateSpec.value<number>("bytes");
  /** The earliest timestamp in the batch: the buffering timer's hold, and GroupIntoBatches' output timestamp. */
  readonly earliest = StateSpec.value<number>("earliest");
  /** When the buffering timer fires (kept so an earlier element can set it again at the same time). */
  readonly deadline = StateSpec.value<number>("buffering_deadline");
  readonly expiry = TimerSpec.eventTime("window_end");
  readonly buffering = TimerSpec.processingTime("buffering_end");
  /** Holds the watermark when there is no buffering timer to (see the module comment). */
  readonly hold = TimerSpec.processingTime("watermark_hold");

  constructor(private readonly limits: BatchLimits<V>) {
    super();
  }

  /** The batch size now (the limits' maxCount; BatchElements' adapts it). */
  protected maxCount(): number {
    return this.limits.maxCount();
  }

  /**
   * Hands a complete batch on (in insertion order); `earliest` is the smallest timestamp in it.
   * With `cause` "full", `ctx` is the arriving element's; otherwise the timer's.
   */
  protected abstract emitBatch(key: K, batch: readonly Buffered<V>[], earliest: Instant, ctx: StatefulProcessContext<Out, Tags>, cause: FlushCause): void | Promise<void>;

  process(element: KV<K, V>, ctx: StatefulProcessContext<Out, Tags>): void | Promise<void> {
    const { maxBytes, weigh, maxBufferingMillis } = this.limits;
    const pending: Promise<void>[] = [];
    const flush = (): void => {
      const r = this.flush(element.key, ctx, "full");
      if (r !== undefined) pending.push(r);
    };
    const weight = maxBytes !== undefined && weigh !== undefined ? weigh(element.value) : 0;
    // Beam Java: an element that would take the batch past the byte limit first flushes it.
    if (maxBytes !== undefined && (ctx.state(this.bytes).read() ?? 0) + weight > maxBytes) flush();
    const size = this.limits.sizeOf?.(element.value) ?? 1;
    // Beam Python's BatchElements: likewise for an element that would take the batch past its size.
    if (this.limits.sizeOf !== undefined && ctx.state(this.earliest).read() !== undefined && (ctx.state(this.count).read() ?? 0) + size > this.maxCount()) flush();
    ctx.state(this.buffer).add({ element: element.value, timestamp: ctx.timestamp });
    const count = (ctx.state(this.count).read() ?? 0) + size;
    ctx.state(this.count).write(count);
    const bytes = (ctx.state(this.bytes).read() ?? 0) + weight;
    if (maxBytes !== undefined) ctx.state(this.bytes).write(bytes);
    const earliest = ctx.state(this.earliest).read();
    // The batch's first element (`earliest` is cleared with the batch).
    if (earliest === undefined) {
      ctx.state(this.earliest).write(ctx.timestamp);
      ctx.timer(this.expiry).set(windowExpiry(ctx.window, this.limits.allowedLatenessMillis));
      if (maxBufferingMillis > 0) {
        const deadline = ctx.processingTime + maxBufferingMillis;
        ctx.state(this.deadline).write(deadline);
        ctx.timer(this.buffering).set(deadline);
      } else {
        ctx.timer(this.hold).set(NEVER);
      }
    } else if (ctx.timestamp < earliest) {
      ctx.state(this.earliest).write(ctx.timestamp);
      // Setting a processing-time timer from this element moves its hold to this element's timestamp.
      const deadline = ctx.state(this.deadline).read();
      if (maxBufferingMillis === 0) ctx.timer(this.hold).set(NEVER);
      else if (deadline !== undefined) ctx.timer(this.buffering).set(deadline);
    }
    if (count >= this.maxCount() || (maxBytes !== undefined && bytes >= maxBytes)) flush();
    if (pending.length === 0) return undefined;
    return Promise.all(pending).then(() => undefined);
  }

  /** The buffering deadline passed, or the window expires: flush what is buffered. (The hold's firing, if a runner fires it, changes nothing.) */
  onTimer(timer: string, ctx: TimerContext<K, Out, Tags>): void | Promise<void> {
    if (timer === this.hold.name) return undefined;
    return this.flush(ctx.key, ctx, timer === this.buffering.name ? "buffering" : "window_end");
  }

  private flush(key: K, ctx: StatefulProcessContext<Out, Tags>, cause: FlushCause): void | Promise<void> {
    const batch = [...ctx.state(this.buffer).read()];
    const earliest = ctx.state(this.earliest).read();
    ctx.state(this.buffer).clear();
    ctx.state(this.count).clear();
    ctx.state(this.bytes).clear();
    ctx.state(this.earliest).clear();
    if (this.limits.maxBufferingMillis > 0) {
      ctx.state(this.deadline).clear();
      ctx.timer(this.buffering).clear();
    } else {
      ctx.timer(this.hold).clear();
    }
    if (batch.length === 0) return undefined;
    return this.emitBatch(key, batch, earliest ?? Math.min(...batch.map((b) => b.timestamp)), ctx, cause);
  }
}
