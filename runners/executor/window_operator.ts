/** Window.into: reassigns each element's windows from its timestamp. */
import type { WindowFn } from "../../lib/model/windowing";
import type { ElementMeta } from "../../lib/model/window";
import { BasicOperator, wrapUserError } from "./operator";
import type { MaybePromise, Receiver } from "./receiver";

export class WindowIntoOperator extends BasicOperator {
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
    return this.next.receive(value, { timestamp: meta.timestamp, windows, pane: meta.pane });
  }
}
