/**
 * Window.into: reassigns each element's windows from its timestamp.
 *
 * An element in several windows (after sliding windows) is several windowed values in Beam's
 * model, and each is re-assigned on its own: after `SlidingWindows(6, 2)` then
 * `Window.into(new FixedWindows(5))`, an element that was in three sliding windows is three
 * elements of its fixed window. Every runner path (batch, streaming, Fn API worker) runs this.
 */
import type { WindowFn } from "../../lib/model/windowing";
import type { ElementMeta } from "../../lib/model/window";
import { BasicOperator, wrapUserError } from "./operator";
import { MaybePromise, PendingWork, Receiver } from "./receiver";

export class WindowIntoOperator extends BasicOperator {
  private readonly pending = new PendingWork();
  constructor(
    readonly transformName: string,
    private readonly windowFn: WindowFn,
    private readonly next: Receiver,
  ) {
    super();
  }
  startBundle(): MaybePromise {
    return undefined;
  }
  teardown(): MaybePromise {
    return undefined;
  }
  receive(value: unknown, meta: ElementMeta): MaybePromise {
    let windows: ElementMeta["windows"];
    try {
      windows = this.windowFn.assignWindows(meta.timestamp);
    } catch (e) {
      // A WindowFn may be user code: name this step, not the one whose output is being windowed.
      throw wrapUserError(this.transformName, "process", e, value);
    }
    if (meta.windows.length <= 1) return this.next.receive(value, { timestamp: meta.timestamp, windows, pane: meta.pane });
    // One copy per window the element was in (the window fns we have assign by timestamp alone).
    for (let i = 0; i < meta.windows.length; i++) this.pending.add(this.next.receive(value, { timestamp: meta.timestamp, windows, pane: meta.pane }));
    return this.pending.take();
  }
}
