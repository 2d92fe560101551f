/**
 * Map, FlatMap and Filter, called directly: no context object, no promise, one output object
 * per element. This is the hot path of most pipelines.
 */
import type { ElementwiseFn } from "../../lib/model/pipeline";
import { activeMetrics, MetricsContainer } from "../../lib/model/metrics";
import type { Coder } from "../../lib/coders/coder";
import type { ElementMeta } from "../../lib/model/window";
import { CheckSampler, checkCoderRoundTrip, checkNotMutated, snapshotForMutation } from "./checks";
import { BasicOperator, wrapUserError } from "./operator";
import type { InputChecks } from "./pardo_operator";
import { MaybePromise, PendingWork, Receiver } from "./receiver";

/** Sampled check that outputs survive their PCollection's coder. */
export interface OutputChecks {
  readonly pcollId: string;
  readonly coder: Coder<unknown>;
  readonly sampler: CheckSampler;
}

export class ElementwiseOperator extends BasicOperator {
  private readonly pending = new PendingWork();
  readonly receive: (value: unknown, meta: ElementMeta) => MaybePromise;

  constructor(
    readonly transformName: string,
    private readonly spec: ElementwiseFn,
    private readonly next: Receiver,
    private readonly metrics: MetricsContainer,
    private readonly checks: InputChecks | undefined,
    private readonly outputChecks: OutputChecks | undefined,
  ) {
    super();
    this.receive = this.makeReceive();
  }

  startBundle(): MaybePromise {
    this.checks?.sampler.resetForBundle();
    this.outputChecks?.sampler.resetForBundle();
    return undefined;
  }

  /**
   * Specialised per kind at construction, so the hot path has no switch; one closure per element
   * and step (the sampled checks inline), as every call level costs on the hottest path.
   */
  private makeReceive(): (value: unknown, meta: ElementMeta) => MaybePromise {
    const spec = this.spec;
    const oc = this.outputChecks;
    const name = this.transformName;
    const next = this.next;
    const metrics = this.metrics;
    const checks = this.checks;
    /** A copy of the input to compare with after the call, when the mutation check samples it (only objects can be mutated). */
    const snapshotOf = (value: unknown): Uint8Array | undefined =>
      checks !== undefined && typeof value === "object" && value !== null && checks.sampler.shouldCheck() ? snapshotForMutation(checks.inputCoder, value) : undefined;
    switch (spec.type) {
      case "map": {
        const fn = spec.fn;
        return (value, meta) => {
          const snapshot = checks === undefined ? undefined : snapshotOf(value);
          const previous = activeMetrics.container;
          activeMetrics.container = metrics;
          let result: MaybePromise;
          try {
            const out = fn(value);
            if (oc !== undefined && oc.sampler.shouldCheck()) checkCoderRoundTrip(name, oc.pcollId, oc.coder, out);
            result = next.receive(out, meta);
          } catch (e) {
            throw wrapUserError(name, "process", e, value);
          } finally {
            // Restored even on failure: a stale container would take updates of later async code.
            activeMetrics.container = previous;
          }
          if (snapshot !== undefined) checkNotMutated(name, checks!.inputCoder, value, snapshot);
          return result;
        };
      }
      case "filter": {
        const fn = spec.fn;
        return (value, meta) => {
          const snapshot = checks === undefined ? undefined : snapshotOf(value);
          const previous = activeMetrics.container;
          activeMetrics.container = metrics;
          let result: MaybePromise = undefined;
          try {
            if (fn(value)) {
              if (oc !== undefined && oc.sampler.shouldCheck()) checkCoderRoundTrip(name, oc.pcollId, oc.coder, value);
              result = next.receive(value, meta);
            }
          } catch (e) {
            throw wrapUserError(name, "process", e, value);
          } finally {
            activeMetrics.container = previous;
          }
          if (snapshot !== undefined) checkNotMutated(name, checks!.inputCoder, value, snapshot);
          return result;
        };
      }
      case "flatMap": {
        const fn = spec.fn;
        const pending = this.pending;
        const send = (v: unknown, meta: ElementMeta): void => {
          if (oc !== undefined && oc.sampler.shouldCheck()) checkCoderRoundTrip(name, oc.pcollId, oc.coder, v);
          pending.add(next.receive(v, meta));
        };
        return (value, meta) => {
          const snapshot = checks === undefined ? undefined : snapshotOf(value);
          const previous = activeMetrics.container;
          activeMetrics.container = metrics;
          let result: MaybePromise;
          try {
            const out = fn(value);
            if (Array.isArray(out)) {
              if (oc === undefined) for (let i = 0; i < out.length; i++) pending.add(next.receive(out[i], meta));
              else for (let i = 0; i < out.length; i++) send(out[i], meta);
            } else {
              for (const v of out) send(v, meta);
            }
            result = pending.take();
          } catch (e) {
            throw wrapUserError(name, "process", e, value);
          } finally {
            activeMetrics.container = previous;
          }
          if (snapshot !== undefined) checkNotMutated(name, checks!.inputCoder, value, snapshot);
          return result;
        };
      }
    }
  }
}
