/**
 * Map, FlatMap and Filter, called directly: no context object, no promise, one output object
 * per element. This is the hot path of most pipelines.
 */
import type { ElementwiseFn } from "../../lib/model/pipeline";
import { activeMetrics, MetricsContainer } from "../../lib/model/metrics";
import type { Coder } from "../../lib/coders/coder";
import type { ElementMeta } from "../../lib/model/window";
import { CheckSampler, checkCoderRoundTrip, checkNotMutated, coderCheckMayFail, snapshotForMutation } from "./checks";
import { BasicOperator, StepMark, wrapUserError } from "./operator";
import type { InputChecks } from "./pardo_operator";
import { MaybePromise, PendingWork, Receiver, receiveRest } from "./receiver";

/** Sampled check that outputs survive their PCollection's coder. */
export interface OutputChecks {
  readonly pcollId: string;
  readonly coder: Coder<unknown>;
  readonly sampler: CheckSampler;
}

export class ElementwiseOperator extends BasicOperator {
  private readonly pending = new PendingWork();
  readonly receive: (value: unknown, meta: ElementMeta) => MaybePromise;
  /** Map only: a run of elements sharing one metadata object (see Receiver.receiveRun); undefined for the others. */
  readonly receiveRun: ((values: readonly unknown[], from: number, to: number, meta: ElementMeta) => MaybePromise) | undefined;

  constructor(
    readonly transformName: string,
    private readonly spec: ElementwiseFn,
    private readonly next: Receiver,
    private readonly metrics: MetricsContainer,
    private readonly checks: InputChecks | undefined,
    private readonly outputChecks: OutputChecks | undefined,
    /** The output PCollection's element count (the driver's cell), kept here rather than by a receiver of its own. */
    private readonly outputCount: { n: number } = { n: 0 },
    /** The monitor's step register, written here rather than by a receiver in front of this operator. */
    private readonly mark: StepMark | undefined = undefined,
  ) {
    super();
    this.receive = this.makeReceive();
    this.receiveRun = spec.type === "map" ? this.makeReceiveRun(spec.fn) : undefined;
  }

  startBundle(): MaybePromise {
    this.checks?.sampler.resetForBundle();
    this.outputChecks?.sampler.resetForBundle();
    return undefined;
  }

  /**
   * A Map over a run: what `receive` does per element, in one loop. The metrics container (and
   * the monitor's step mark) is set once for the run rather than per element (nothing but this
   * step's function and what it feeds runs in between); each element's errors are wrapped as
   * `receive` wraps them, and its mutation check runs after what it fed downstream, outside
   * that wrapping, as in `receive`. The loop's body is the Map closures' of `makeReceive` written
   * out again, as those are twice: a shared helper would be a call per element on the hottest path.
   */
  private makeReceiveRun(fn: (value: unknown) => unknown): (values: readonly unknown[], from: number, to: number, meta: ElementMeta) => MaybePromise {
    const oc = this.outputChecks;
    const name = this.transformName;
    const next = this.next;
    const count = this.outputCount;
    const metrics = this.metrics;
    const checks = this.checks;
    const mark = this.mark;
    return (values, from, to, meta) => {
      const previous = activeMetrics.container;
      activeMetrics.container = metrics;
      let previousStep = -1;
      if (mark !== undefined) {
        previousStep = mark.register[0]!;
        mark.register[0] = mark.step;
      }
      try {
        for (let i = from; i < to; i++) {
          const value = values[i];
          const snapshot =
            checks !== undefined && typeof value === "object" && value !== null && checks.sampler.shouldCheck() ? snapshotForMutation(checks.inputCoder, value) : undefined;
          let result: MaybePromise;
          try {
            const out = fn(value);
            count.n++;
            if (oc !== undefined && (typeof out === "object" ? out !== null : coderCheckMayFail(out)) && oc.sampler.shouldCheck()) checkCoderRoundTrip(name, oc.pcollId, oc.coder, out);
            result = next.receive(out, meta);
          } catch (e) {
            throw wrapUserError(name, "process", e, value);
          }
          if (snapshot !== undefined) checkNotMutated(name, checks!.inputCoder, value, snapshot);
          // Downstream is async: the rest of the run element by element, each after the one before.
          if (result !== undefined) return receiveRest(this, result, values, i + 1, to, meta);
        }
        return undefined;
      } finally {
        activeMetrics.container = previous;
        if (mark !== undefined) mark.register[0] = previousStep;
      }
    };
  }

  /**
   * Specialised per kind at construction, so the hot path has no switch; the sampled output check
   * inline (not a receiver of its own), as every call level costs on the hottest path.
   */
  private makeReceive(): (value: unknown, meta: ElementMeta) => MaybePromise {
    const spec = this.spec;
    const oc = this.outputChecks;
    const name = this.transformName;
    const next = this.next;
    const count = this.outputCount;
    /** Counts an output, and checks it against its coder (sampled). */
    const checkOutput = (v: unknown): void => {
      count.n++;
      if (coderCheckMayFail(v) && oc!.sampler.shouldCheck()) checkCoderRoundTrip(name, oc!.pcollId, oc!.coder, v);
    };
    const metrics = this.metrics;
    const checks = this.checks;
    const mark = this.mark;
    // The commonest step in one closure: a call less per element than the others' apply. Twice,
    // with and without the monitor's step mark: in one closure, the mark's code made unmonitored
    // wordcount miss TurboFan's inlining budget further down the chain (~100 instructions per word
    // more), and a wrapper closure setting the mark lost what monitored runs gain from it.
    if (spec.type === "map" && mark !== undefined) {
      const fn = spec.fn;
      const register = mark.register;
      const step = mark.step;
      return (value, meta) => {
        const snapshot =
          checks !== undefined && typeof value === "object" && value !== null && checks.sampler.shouldCheck() ? snapshotForMutation(checks.inputCoder, value) : undefined;
        const previous = activeMetrics.container;
        activeMetrics.container = metrics;
        const previousStep = register[0]!;
        register[0] = step;
        let result: MaybePromise;
        try {
          const out = fn(value);
          count.n++;
          if (oc !== undefined && (typeof out === "object" ? out !== null : coderCheckMayFail(out)) && oc.sampler.shouldCheck()) checkCoderRoundTrip(name, oc.pcollId, oc.coder, out);
          result = next.receive(out, meta);
        } catch (e) {
          throw wrapUserError(name, "process", e, value);
        } finally {
          activeMetrics.container = previous;
          register[0] = previousStep;
        }
        if (snapshot !== undefined) checkNotMutated(name, checks!.inputCoder, value, snapshot);
        return result;
      };
    }
    if (spec.type === "map") {
      const fn = spec.fn;
      return (value, meta) => {
        const snapshot =
          checks !== undefined && typeof value === "object" && value !== null && checks.sampler.shouldCheck() ? snapshotForMutation(checks.inputCoder, value) : undefined;
        const previous = activeMetrics.container;
        activeMetrics.container = metrics;
        let result: MaybePromise;
        try {
          const out = fn(value);
          count.n++;
          // checkOutput's test written out (objects first: a call less per element).
          if (oc !== undefined && (typeof out === "object" ? out !== null : coderCheckMayFail(out)) && oc.sampler.shouldCheck()) checkCoderRoundTrip(name, oc.pcollId, oc.coder, out);
          result = next.receive(out, meta);
        } catch (e) {
          throw wrapUserError(name, "process", e, value);
        } finally {
          activeMetrics.container = previous;
        }
        if (snapshot !== undefined) checkNotMutated(name, checks!.inputCoder, value, snapshot);
        return result;
      };
    }
    let apply: (value: unknown, meta: ElementMeta) => MaybePromise;
    switch (spec.type) {
      case "filter": {
        const fn = spec.fn;
        apply = (value, meta) => {
          if (!fn(value)) return undefined;
          if (oc !== undefined) checkOutput(value);
          else count.n++;
          return next.receive(value, meta);
        };
        break;
      }
      case "flatMap": {
        const fn = spec.fn;
        const pending = this.pending;
        apply = (value, meta) => {
          const out = fn(value);
          if (Array.isArray(out)) {
            if (oc === undefined)
              for (let i = 0; i < out.length; i++) {
                count.n++;
                pending.add(next.receive(out[i], meta));
              }
            else
              for (let i = 0; i < out.length; i++) {
                checkOutput(out[i]);
                pending.add(next.receive(out[i], meta));
              }
          } else {
            for (const v of out) {
              if (oc !== undefined) checkOutput(v);
              else count.n++;
              pending.add(next.receive(v, meta));
            }
          }
          return pending.take();
        };
        break;
      }
    }
    return (value, meta) => {
      // Only objects can be mutated; primitives skip the sampler entirely.
      const snapshot =
        checks !== undefined && typeof value === "object" && value !== null && checks.sampler.shouldCheck() ? snapshotForMutation(checks.inputCoder, value) : undefined;
      const previous = activeMetrics.container;
      activeMetrics.container = metrics;
      // The monitor's step (written out: no helper call on the hot path).
      let previousStep = -1;
      if (mark !== undefined) {
        previousStep = mark.register[0]!;
        mark.register[0] = mark.step;
      }
      let result: MaybePromise;
      try {
        result = apply(value, meta);
      } catch (e) {
        // A FlatMap's earlier outputs may be queued in async steps downstream: fail after them.
        return this.pending.failAfter(wrapUserError(name, "process", e, value));
      } finally {
        // Restored even on failure: a stale container would take updates of later async code.
        activeMetrics.container = previous;
        if (mark !== undefined) mark.register[0] = previousStep;
      }
      if (snapshot !== undefined) checkNotMutated(name, checks!.inputCoder, value, snapshot);
      return result;
    };
  }
}
