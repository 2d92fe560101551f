/**
 * Map, FlatMap and Filter, called directly: no context object, no promise, one output object
 * per element. This is the hot path of most pipelines.
 */
import type { ElementwiseFn } from "../../lib/model/pipeline";
import { MetricsContainer, setActiveContainer } from "../../lib/model/metrics";
import type { WindowedValue } from "../../lib/model/window";
import { checkNotMutated, snapshotForMutation } from "./checks";
import { Operator, wrapUserError } from "./operator";
import type { InputChecks } from "./pardo_operator";
import { MaybePromise, PendingWork, Receiver } from "./receiver";

export class ElementwiseOperator implements Operator {
  private readonly pending = new PendingWork();

  constructor(
    readonly transformName: string,
    private readonly spec: ElementwiseFn,
    private readonly next: Receiver,
    private readonly metrics: MetricsContainer,
    private readonly checks: InputChecks | undefined,
  ) {}

  setup(): MaybePromise {
    return undefined;
  }
  startBundle(): MaybePromise {
    this.checks?.sampler.resetForBundle();
    return undefined;
  }
  finishBundle(): MaybePromise {
    return undefined;
  }
  teardown(): MaybePromise {
    return undefined;
  }

  receive(wv: WindowedValue<unknown>): MaybePromise {
    const snapshot = this.checks !== undefined && this.checks.sampler.shouldCheck() ? snapshotForMutation(this.checks.inputCoder, wv.value) : undefined;
    const previous = setActiveContainer(this.metrics);
    let result: MaybePromise;
    try {
      switch (this.spec.type) {
        case "map":
          result = this.next.receive({ value: this.spec.fn(wv.value), timestamp: wv.timestamp, windows: wv.windows, pane: wv.pane });
          break;
        case "filter":
          result = this.spec.fn(wv.value) ? this.next.receive(wv) : undefined;
          break;
        case "flatMap": {
          const pending = this.pending;
          for (const value of this.spec.fn(wv.value)) {
            pending.add(this.next.receive({ value, timestamp: wv.timestamp, windows: wv.windows, pane: wv.pane }));
          }
          result = pending.take();
          break;
        }
      }
    } catch (e) {
      throw wrapUserError(this.transformName, "process", e, wv);
    } finally {
      setActiveContainer(previous);
    }
    if (snapshot !== undefined) checkNotMutated(this.transformName, this.checks!.inputCoder, wv.value, snapshot);
    return result;
  }
}
