/**
 * The SDK steps of Reshuffle's expansion (runners/portable/reshuffle_expansion.ts): the runner
 * groups reified elements in the global window; these put each element's timestamp, window and
 * pane into its value before, and back after.
 */
import { GLOBAL_WINDOWS, KV, kv, NO_FIRING, type ElementMeta, type WindowedValue } from "../../lib/model/window";
import { BasicOperator } from "./operator";
import { MaybePromise, PendingWork, Receiver } from "./receiver";
import { notKv } from "./combine_operator";

/** KV(k, v) in window w at t → KV(k, WindowedValue(v, t, [w], pane)) in the global window at t (one per window). */
export class ReifyMetadataOperator extends BasicOperator {
  private readonly pending = new PendingWork();
  constructor(
    readonly transformName: string,
    private readonly next: Receiver,
  ) {
    super();
  }
  receive(element: unknown, meta: ElementMeta): MaybePromise {
    if (typeof element !== "object" || element === null || !("key" in element)) throw notKv(this.transformName, element);
    const e = element as KV<unknown, unknown>;
    const global = { timestamp: meta.timestamp, windows: GLOBAL_WINDOWS, pane: NO_FIRING };
    try {
      for (const w of meta.windows) {
        const reified: WindowedValue<unknown> = { value: e.value, timestamp: meta.timestamp, windows: [w], pane: meta.pane };
        this.pending.add(this.next.receive(kv(e.key, reified), global));
      }
    } catch (err) {
      // The copies before the one that failed may be queued in async steps: fail after them.
      return this.pending.failAfter(err);
    }
    return this.pending.take();
  }
}

/** KV(k, [WindowedValue(v, t, ws, pane), ...]) → KV(k, [v]) at t in ws with its pane, for each value. */
export class RestoreMetadataOperator extends BasicOperator {
  private readonly pending = new PendingWork();
  constructor(
    readonly transformName: string,
    private readonly next: Receiver,
  ) {
    super();
  }
  receive(element: unknown): MaybePromise {
    if (typeof element !== "object" || element === null || !("key" in element)) throw notKv(this.transformName, element);
    const e = element as KV<unknown, Iterable<WindowedValue<unknown>>>;
    try {
      for (const wv of e.value) this.pending.add(this.next.receive(kv(e.key, [wv.value]), wv));
    } catch (err) {
      // As in ReifyMetadataOperator: the values before the one that failed go first.
      return this.pending.failAfter(err);
    }
    return this.pending.take();
  }
}
