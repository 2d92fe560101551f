/**
 * The monitor's hooks in the executor's graph builder (EdgeObserver): each PCollection's
 * elements are counted in the thread's tally row, and every edge into a consumer marks that
 * consumer as the step executing while it receives an element (what the sampler credits time
 * to, and log lines are attributed to).
 */
import type { ElementMeta } from "../../lib/model/window";
import type { EdgeObserver, Step } from "../executor/graph_builder";
import type { MaybePromise, Receiver } from "../executor/receiver";
import type { ThreadTally } from "./execution_tally";

class CountInto implements Receiver {
  constructor(
    private readonly tally: ThreadTally,
    private readonly cell: number,
    private readonly next: Receiver,
  ) {}
  receive(value: unknown, meta: ElementMeta): MaybePromise {
    this.tally.add(this.cell);
    return this.next.receive(value, meta);
  }
}

class EnterStep implements Receiver {
  constructor(
    private readonly tally: ThreadTally,
    readonly step: number,
    readonly next: Receiver,
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

/** CountInto and EnterStep in one receiver, for a PCollection with one consumer (a call per element and edge fewer). */
class CountAndEnter implements Receiver {
  constructor(
    private readonly tally: ThreadTally,
    private readonly cell: number,
    private readonly step: number,
    private readonly next: Receiver,
  ) {}
  receive(value: unknown, meta: ElementMeta): MaybePromise {
    this.tally.add(this.cell);
    const previous = this.tally.enter(this.step);
    try {
      return this.next.receive(value, meta);
    } finally {
      this.tally.exit(previous);
    }
  }
}

export class TallyObserver implements EdgeObserver {
  readonly pcollection?: (pcollId: string, receiver: Receiver) => Receiver;

  constructor(
    private readonly tally: ThreadTally,
    /** Count elements per PCollection here (false where the driver counts them itself). */
    countElements: boolean,
  ) {
    if (countElements) {
      this.pcollection = (pcollId, receiver) => {
        const cell = tally.pcollCell(pcollId);
        if (cell === undefined) return receiver;
        if (receiver instanceof EnterStep) return new CountAndEnter(tally, cell, receiver.step, receiver.next);
        return new CountInto(tally, cell, receiver);
      };
    }
  }

  edge(_pcollId: string, consumer: Step, target: Receiver): Receiver {
    const step = this.tally.stepId(consumer.name);
    return step < 0 ? target : new EnterStep(this.tally, step, target);
  }
}
