/**
 * The lifted phases of combine_per_key a runner may ask an SDK harness to run
 * (BEAM_PORTABILITY.md §1.5): precombine, merge accumulators, extract outputs, combine grouped
 * values and convert to accumulators. Precombine reuses the PrecombineOperator of the in-process
 * drivers, emitting its accumulators downstream instead of into a shuffle.
 */
import type { Coder } from "../../lib/coders/coder";
import type { CombineFnLike } from "../../lib/model/combine_fn";
import { MetricsContainer, setActiveContainer } from "../../lib/model/metrics";
import type { TimestampCombiner } from "../../lib/model/windowing";
import { BoundedWindow, ElementMeta, Instant, kv, NO_FIRING } from "../../lib/model/window";
import { combineAll } from "../../lib/transforms/combine";
import { asKv, GroupingSink, PrecombineOperator } from "./combine_operator";
import { BasicOperator, StepMark, wrapUserError } from "./operator";
import { MaybePromise, PendingWork, Receiver } from "./receiver";

/** Emits each precombined accumulator as KV(key, acc) downstream. */
class EmitSink implements GroupingSink {
  readonly pending = new PendingWork();
  constructor(private readonly next: Receiver) {}
  add(_groupId: string, key: unknown, window: BoundedWindow, timestamp: Instant, value: unknown): void {
    this.pending.add(this.next.receive(kv(key, value), { timestamp, windows: [window], pane: NO_FIRING }));
  }
}

/** Precombine: KV<K, I> → KV<K, A>, one accumulator per key and window per bundle. */
export class PrecombineStep extends BasicOperator {
  private readonly inner: PrecombineOperator;
  private readonly sink: EmitSink;
  constructor(
    readonly transformName: string,
    fn: CombineFnLike,
    keyCoder: Coder<unknown>,
    next: Receiver,
    metrics: MetricsContainer,
    timestampCombiner?: TimestampCombiner,
    mark?: StepMark,
  ) {
    super();
    this.sink = new EmitSink(next);
    this.inner = new PrecombineOperator(transformName, fn, keyCoder, this.sink, metrics, undefined, timestampCombiner, mark);
  }
  startBundle(): MaybePromise {
    return this.inner.startBundle();
  }
  receive(value: unknown, meta: ElementMeta): MaybePromise {
    try {
      // Flushes its accumulators downstream once it holds too many keys.
      this.inner.receive(value, meta);
    } catch (e) {
      return this.sink.pending.failAfter(e);
    }
    return this.sink.pending.take();
  }
  finishBundle(): MaybePromise {
    try {
      this.inner.finishBundle();
    } catch (e) {
      // An accumulator failed downstream: those emitted before it may be queued in async steps (PendingWork.failAfter).
      return this.sink.pending.failAfter(e);
    }
    return this.sink.pending.take();
  }
}

/** The per-element phases after the grouping (one KV in, one KV out, key kept). */
export type CombinePhase = "mergeAccumulators" | "extractOutputs" | "combineGroupedValues" | "convertToAccumulators";

const PHASES: Readonly<Record<CombinePhase, (fn: CombineFnLike, value: unknown) => unknown>> = {
  mergeAccumulators: (fn, accs) => fn.mergeAccumulators(accs as Iterable<unknown>),
  extractOutputs: (fn, acc) => fn.extractOutput(acc),
  combineGroupedValues: (fn, values) => combineAll(fn, values as Iterable<unknown>),
  convertToAccumulators: (fn, v) => fn.addInput(fn.createAccumulator(), v),
};

/** Merge / extract / combine-grouped / convert: applies one phase of the CombineFn to each KV's value. */
export class CombinePhaseOperator extends BasicOperator {
  private readonly apply: (fn: CombineFnLike, value: unknown) => unknown;
  constructor(
    readonly transformName: string,
    phase: CombinePhase,
    private readonly fn: CombineFnLike,
    private readonly next: Receiver,
    private readonly metrics: MetricsContainer,
  ) {
    super();
    this.apply = PHASES[phase];
  }
  receive(element: unknown, meta: ElementMeta): MaybePromise {
    const e = asKv(this.transformName, element);
    const previous = setActiveContainer(this.metrics);
    let out: unknown;
    try {
      out = this.apply(this.fn, e.value);
    } catch (err) {
      throw wrapUserError(this.transformName, "combine", err, e.key);
    } finally {
      setActiveContainer(previous);
    }
    return this.next.receive(kv(e.key, out), meta);
  }
}
