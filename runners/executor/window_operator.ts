/** Window.into: reassigns each element's windows from its timestamp. */
import type { WindowFn } from "../../lib/model/windowing";
import type { ElementMeta } from "../../lib/model/window";
import type { Operator } from "./operator";
import type { MaybePromise, Receiver } from "./receiver";

export class WindowIntoOperator implements Operator {
  constructor(
    readonly transformName: string,
    private readonly windowFn: WindowFn,
    private readonly next: Receiver,
  ) {}
  setup(): MaybePromise {
    return undefined;
  }
  startBundle(): MaybePromise {
    return undefined;
  }
  finishBundle(): MaybePromise {
    return undefined;
  }
  teardown(): MaybePromise {
    return undefined;
  }
  receive(value: unknown, meta: ElementMeta): MaybePromise {
    return this.next.receive(value, { timestamp: meta.timestamp, windows: this.windowFn.assignWindows(meta.timestamp), pane: meta.pane });
  }
}
