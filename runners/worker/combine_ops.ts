/**
 * The lifted components of combine_per_key a runner may ask the SDK to run
 * (BEAM_PORTABILITY.md §1.5): precombine, merge accumulators, extract outputs, combine grouped
 * values and convert to accumulators. Precombine reuses the executor's PrecombineOperator.
 */
import type { Coder } from "../../lib/coders/coder";
import type { CombineFnLike } from "../../lib/model/combine_fn";
import { MetricsContainer, setActiveContainer } from "../../lib/model/metrics";
import type { TimestampCombiner } from "../../lib/model/windowing";
import { BoundedWindow, ElementMeta, Instant, KV, kv, NO_FIRING } from "../../lib/model/window";
import { GroupingSink, notKv, PrecombineOperator } from "../executor/combine_operator";
import { Operator, wrapUserError } from "../executor/operator";
import { MaybePromise, PendingWork, Receiver } from "../executor/receiver";
import { URNS } from "../portable/urns";

/** Emits each precombined accumulator as KV(key, acc) downstream. */
class EmitSink implements GroupingSink {
  readonly pending = new PendingWork();
  constructor(private readonly next: Receiver) {}
  add(_groupId: string, key: unknown, window: BoundedWindow, timestamp: Instant, value: unknown): void {
    this.pending.add(this.next.receive(kv(key, value), { timestamp, windows: [window], pane: NO_FIRING }));
  }
}

/** Precombine: KV<K, I> → KV<K, A>, one accumulator per key and window per bundle. */
export class PrecombineStep implements Operator {
  private readonly inner: PrecombineOperator;
  private readonly sink: EmitSink;
  constructor(
    readonly transformName: string,
    fn: CombineFnLike,
    keyCoder: Coder<unknown>,
    next: Receiver,
    metrics: MetricsContainer,
    timestampCombiner?: TimestampCombiner,
  ) {
    this.sink = new EmitSink(next);
    this.inner = new PrecombineOperator(transformName, fn, keyCoder, this.sink, metrics, undefined, timestampCombiner);
  }
  setup(): MaybePromise {
    return this.inner.setup();
  }
  startBundle(): MaybePromise {
    return this.inner.startBundle();
  }
  receive(value: unknown, meta: ElementMeta): MaybePromise {
    this.inner.receive(value, meta);
    return this.sink.pending.take();
  }
  finishBundle(): MaybePromise {
    this.inner.finishBundle();
    return this.sink.pending.take();
  }
  teardown(): MaybePromise {
    return this.inner.teardown();
  }
}

type KvFn = (fn: CombineFnLike, value: unknown) => unknown;

const STEPS: Readonly<Record<string, KvFn>> = {
  [URNS.mergeAccumulators]: (fn, accs) => fn.mergeAccumulators(accs as Iterable<unknown>),
  [URNS.extractOutputs]: (fn, acc) => fn.extractOutput(acc),
  [URNS.combineGroupedValues]: (fn, values) => {
    let acc = fn.createAccumulator();
    for (const v of values as Iterable<unknown>) acc = fn.addInput(acc, v);
    return fn.extractOutput(acc);
  },
  [URNS.convertToAccumulators]: (fn, v) => fn.addInput(fn.createAccumulator(), v),
};

/** Whether `urn` is a per-element combine step this module implements. */
export function isKvCombineStep(urn: string): boolean {
  return urn in STEPS;
}

/** Merge / extract / combine-grouped / convert: one KV in, one KV out, key kept. */
export class KvCombineStep implements Operator {
  private readonly step: KvFn;
  constructor(
    readonly transformName: string,
    urn: string,
    private readonly fn: CombineFnLike,
    private readonly next: Receiver,
    private readonly metrics: MetricsContainer,
  ) {
    this.step = STEPS[urn]!;
  }
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
  receive(element: unknown, meta: ElementMeta): MaybePromise {
    if (typeof element !== "object" || element === null || !("key" in element)) throw notKv(this.transformName, element);
    const e = element as KV<unknown, unknown>;
    const previous = setActiveContainer(this.metrics);
    let out: unknown;
    try {
      out = this.step(this.fn, e.value);
    } catch (err) {
      throw wrapUserError(this.transformName, "combine", err, e.key);
    } finally {
      setActiveContainer(previous);
    }
    return this.next.receive(kv(e.key, out), meta);
  }
}
