/**
 * Receivers: how operators of a fused stage hand elements to each other.
 *
 * `receive` returns nothing when the element was handled synchronously, or a promise when
 * some operator downstream is async. Operators collect such promises and return them upward,
 * so a synchronous chain never allocates a promise per element, and an async one applies
 * backpressure to its producer (the producer awaits before sending the next element).
 */
import type { ElementMeta } from "../../lib/model/window";

export type MaybePromise = void | Promise<void>;

/**
 * Accepts elements of one PCollection. The value and its metadata travel separately so that
 * element-wise steps pass the input's metadata object on unchanged instead of allocating a
 * windowed value per output (a WindowedValue is itself valid metadata).
 */
export interface Receiver {
  receive(value: unknown, meta: ElementMeta): MaybePromise;
  /**
   * Optional: `values[from .. to)`, all with the one (read-only) metadata object `meta`, exactly
   * as `receive` of each in turn would take them, each awaited before the next when it returns a
   * promise. A driver hands a source's run of elements sharing a timestamp over this way: a call
   * per run instead of a call per element through every receiver that passes runs on.
   */
  receiveRun?(values: readonly unknown[], from: number, to: number, meta: ElementMeta): MaybePromise;
}

/**
 * The rest of a run (`receiveRun`) once an element's receive returned a promise: each awaited
 * before the next element, as a producer awaiting each element would (backpressure, order).
 * Loops over `receive` are written out in each receiver (one call site per receiver class).
 */
export async function receiveRest(r: Receiver, pending: Promise<void>, values: readonly unknown[], from: number, to: number, meta: ElementMeta): Promise<void> {
  await pending;
  for (let i = from; i < to; i++) {
    const p = r.receive(values[i], meta);
    if (p !== undefined) await p;
  }
}

/** Sends each element to several consumers (a fork in the graph). */
export class FanOut implements Receiver {
  constructor(private readonly targets: readonly Receiver[]) {}
  receive(value: unknown, meta: ElementMeta): MaybePromise {
    let pending: Promise<void>[] | undefined;
    try {
      for (const t of this.targets) {
        const r = t.receive(value, meta);
        if (r !== undefined) (pending ??= []).push(r);
      }
    } catch (e) {
      // The consumers before the one that threw may still be working on the element.
      return failAfter(pending === undefined ? undefined : settleAll(pending), e);
    }
    return pending === undefined ? undefined : settleAll(pending);
  }
}

/** Counts the elements of a PCollection in a cell the driver reads (progress, monitoring infos). */
export class CountingReceiver implements Receiver {
  constructor(
    private readonly count: { n: number },
    private readonly next: Receiver,
  ) {}
  receive(value: unknown, meta: ElementMeta): MaybePromise {
    this.count.n++;
    return this.next.receive(value, meta);
  }
  receiveRun(values: readonly unknown[], from: number, to: number, meta: ElementMeta): MaybePromise {
    const next = this.next;
    if (next.receiveRun === undefined) {
      for (let i = from; i < to; i++) {
        const p = this.receive(values[i], meta);
        if (p !== undefined) return receiveRest(this, p, values, i + 1, to, meta);
      }
      return undefined;
    }
    // Counted as the run is handed on (an element that throws fails the bundle, whose counts
    // then include the rest of its run).
    this.count.n += to - from;
    return next.receiveRun(values, from, to, meta);
  }
}

/** Drops elements of a PCollection nothing consumes. */
export const DISCARD: Receiver = { receive: () => undefined };

/** One receiver for a list of consumers. */
export function receiverFor(targets: readonly Receiver[]): Receiver {
  if (targets.length === 0) return DISCARD;
  if (targets.length === 1) return targets[0]!;
  return new FanOut(targets);
}

/** Waits for all promises, rejecting with the first error (after all have settled). */
export async function settleAll(promises: readonly Promise<void>[]): Promise<void> {
  const results = await Promise.allSettled(promises);
  for (const r of results) if (r.status === "rejected") throw r.reason;
}

/** Waits for both (either may be absent), rejecting with the first one's error only after both have settled. */
export function settleEach(first: Promise<void> | undefined, second: Promise<void> | undefined): Promise<void> | undefined {
  if (first === undefined) return second;
  if (second === undefined) return first;
  return settleAll([first, second]);
}

/** Collects the promises of async downstream work triggered during one call. */
export class PendingWork {
  private promises: Promise<void>[] | undefined;
  add(r: MaybePromise): void {
    if (r !== undefined) (this.promises ??= []).push(r);
  }
  /** The collected promises as one (undefined if none), and a fresh collector state. */
  take(): Promise<void> | undefined {
    const p = this.promises;
    this.promises = undefined;
    return p === undefined ? undefined : p.length === 1 ? p[0] : settleAll(p);
  }
  get isEmpty(): boolean {
    return this.promises === undefined;
  }
  /**
   * Fails a call that threw part way through its outputs: `error` is thrown at once when nothing
   * is pending, else rejected once what the earlier outputs started downstream has settled. Async
   * steps queue elements that arrive while they are busy; dropping those promises would let the
   * runner end the bundle and tear the steps down while their queued calls still run (Beam's
   * teardown is an instance's last call: a file sink would open a file after it and leak it).
   * `before`: what the call's outputs started before it went async (an async method that rejected).
   */
  failAfter(error: unknown, before?: Promise<void>): never | Promise<never> {
    const now = this.take();
    return failAfter(settleEach(before, now), error);
  }
}

/** `error`, thrown at once without `pending`, else rejected after `pending` settles (see PendingWork.failAfter). */
export function failAfter(pending: Promise<void> | undefined, error: unknown): never | Promise<never> {
  if (pending === undefined) throw error;
  const fail = (): never => {
    throw error;
  };
  return pending.then(fail, fail);
}
