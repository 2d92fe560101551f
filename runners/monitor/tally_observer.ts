/**
 * The monitor's hooks in the executor's graph builder (EdgeObserver): each PCollection's
 * elements are counted in the thread's tally row, and each consumer is marked as the step
 * executing while it receives an element (what the sampler credits time to, and log lines are
 * attributed to).
 *
 * Both without receivers of their own where the executor can: the counts are cells of the row
 * that producers increment (`counter`), and the operators that take a register write their step
 * into it themselves (`stepMark`). The others get an EnterStep receiver on their input edge.
 */
import type { ElementMeta } from "../../lib/model/window";
import type { EdgeObserver, Step } from "../executor/graph_builder";
import type { StepMark } from "../executor/operator";
import type { MaybePromise, Receiver } from "../executor/receiver";
import type { ThreadTally } from "./execution_tally";

class EnterStep implements Receiver {
  constructor(
    private readonly tally: ThreadTally,
    private readonly step: number,
    private readonly next: Receiver,
  ) {}
  receive(value: unknown, meta: ElementMeta): MaybePromise {
    const previous = this.tally.enter(this.step);
    try {
      return this.next.receive(value, meta);
    } finally {
      this.tally.exit(previous);
    }
  }
}

export class TallyObserver implements EdgeObserver {
  readonly counter?: (pcollId: string) => { n: number } | undefined;

  constructor(
    private readonly tally: ThreadTally,
    /** Count elements per PCollection here (false where the driver counts them itself). */
    countElements: boolean,
  ) {
    if (countElements) this.counter = (pcollId) => tally.counter(pcollId);
  }

  edge(_pcollId: string, consumer: Step, target: Receiver): Receiver {
    const step = this.tally.stepId(consumer.name);
    return step < 0 ? target : new EnterStep(this.tally, step, target);
  }

  stepMark(step: Step): StepMark | undefined {
    return this.tally.stepMark(step.name);
  }
}
