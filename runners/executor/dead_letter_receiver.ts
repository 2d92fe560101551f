/** The receivers of a ParDo's dead-letter outputs: they count what is rejected, and fail the run if nothing reads it. */
import type { MetricsContainer } from "../../lib/model/metrics";
import { deadLetterOutputs, type DeadLetterOutput, previewRejected, REJECTED_COUNTER_KEY, RejectedElementError, rejectionReason } from "../../lib/model/dead_letter";
import type { ElementMeta } from "../../lib/model/window";
import { DISCARD, type MaybePromise, type Receiver } from "./receiver";

/** Counts what goes to the step's dead-letter outputs, and fails the run if nothing reads one. */
export function withDeadLetterChecks(transformName: string, doFn: object, outputs: ReadonlyMap<string, Receiver>, metrics: MetricsContainer): ReadonlyMap<string, Receiver> {
  const declared = deadLetterOutputs(doFn, transformName);
  if (declared.length === 0) return outputs;
  const checked = new Map(outputs);
  for (const d of declared) checked.set(d.tag, new DeadLetterReceiver(transformName, d, outputs.get(d.tag) ?? DISCARD, metrics));
  return checked;
}

class DeadLetterReceiver implements Receiver {
  /** Unread and not ignored: the first rejected element fails the run. */
  private readonly failOnRejection: boolean;
  constructor(
    private readonly transformName: string,
    private readonly output: DeadLetterOutput,
    private readonly next: Receiver,
    private readonly metrics: MetricsContainer,
  ) {
    this.failOnRejection = !output.consumed && output.spec.ignoreUnread !== true;
  }
  receive(value: unknown, meta: ElementMeta): MaybePromise {
    this.metrics.incCounter(REJECTED_COUNTER_KEY, 1);
    if (this.failOnRejection) {
      throw new RejectedElementError(this.transformName, this.output.tag, rejectionReason(this.output.spec, value), previewRejected(value));
    }
    return this.next.receive(value, meta);
  }
}
