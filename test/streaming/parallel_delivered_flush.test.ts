/**
 * On an instance of a parallel run, a stateful ParDo whose DoFn outputs in finishBundle must hold
 * its output watermark while it has taken in elements in the running bundle, whether they came
 * from this instance's input or were delivered by the keyed exchange from a peer (which puts them
 * straight into the step, past this instance's count of the input PCollection). Otherwise the
 * delivery's watermark (sent by the peer after the data) moves the step's output watermark past
 * what finishBundle is about to emit, and a downstream grouping drops it as late.
 *
 * The driver is run in this thread with a stand-in for the keyed exchange (the KeyedRouting a
 * worker thread's instance gets): every key is this instance's, and a peer's delivery (one
 * element for the stateful step, then the peer's watermarks at the end of time) is scripted.
 */
import { strict as assert } from "node:assert";
import "../../runners/direct";
import { Count, FixedWindows, kv, KV, Window } from "../../lib";
import type { BundleContext } from "../../lib/model/dofn";
import { MetricsContainer, systemCounterKey } from "../../lib/model/metrics";
import { Pipeline } from "../../lib/model/pipeline";
import type { PCollection } from "../../lib/model/pcollection";
import { ParDo } from "../../lib/model/pardo";
import { StatefulDoFn, type StatefulProcessContext } from "../../lib/model/state";
import { TestStream } from "../../lib/testing/test_stream";
import { type BoundedWindow, type Instant, IntervalWindow, MAX_TIMESTAMP, MIN_TIMESTAMP, NO_FIRING } from "../../lib/model/window";
import type { Receiver } from "../../runners/executor/receiver";
import { StreamingExecution } from "../../runners/streaming/driver";
import type { KeyedRouting } from "../../runners/streaming/parallel/exchange";
import { collect, type Observed } from "./collect";

/** Buffers a bundle's elements in memory and emits them from finishBundle (a batching stateful DoFn). */
class EmitAtBundleEnd extends StatefulDoFn<string, number, KV<string, number>> {
  private buffered: { e: KV<string, number>; t: Instant; w: BoundedWindow }[] = [];
  startBundle(): void {
    this.buffered = [];
  }
  process(e: KV<string, number>, ctx: StatefulProcessContext<KV<string, number>>): void {
    this.buffered.push({ e, t: ctx.timestamp, w: ctx.window });
  }
  finishBundle(ctx: BundleContext<KV<string, number>>): void {
    for (const b of this.buffered) ctx.output(b.e, { timestamp: b.t, window: b.w });
  }
}

/** The keyed exchange of an instance whose peer sends one element for `Batch`, then ends. */
class OnePeerDelivery implements KeyedRouting {
  private readonly targets = new Map<string, Receiver>();
  private readonly remote = new Map<string, Instant>();
  private inbound = true;
  private readonly delivered = new Map<string, number>();
  wrap(unitName: string, _input: PCollection<unknown>, target: Receiver): Receiver {
    this.targets.set(unitName, target);
    this.remote.set(unitName, MIN_TIMESTAMP);
    return target;
  }
  inputWatermark(unitName: string, local: Instant): Instant {
    return Math.min(local, this.remote.get(unitName) ?? MIN_TIMESTAMP);
  }
  flush(): void {}
  get hasInbound(): boolean {
    return this.inbound;
  }
  async deliver(): Promise<void> {
    this.inbound = false;
    // As KeyedExchange.deliver: the data into the step, then the watermarks sent after it.
    const batch = [...this.targets.keys()].find((n) => n.endsWith("Batch"))!;
    this.delivered.set(batch, (this.delivered.get(batch) ?? 0) + 1);
    await this.targets.get(batch)!.receive(kv("a", 5), { timestamp: 5, windows: [new IntervalWindow(0, 10)], pane: NO_FIRING });
    for (const name of this.remote.keys()) this.remote.set(name, MAX_TIMESTAMP);
  }
  deliveredTo(unitName: string): number {
    return this.delivered.get(unitName) ?? 0;
  }
  readonly congested = false;
  get settled(): boolean {
    return !this.inbound;
  }
  onActivity(): void {}
}

describe("streaming driver on a parallel instance: finishBundle outputs of elements delivered by the keyed exchange", () => {
  it("reach the downstream grouping before its watermark passes them (nothing dropped as late)", async () => {
    const out: Observed<KV<string, number>>[] = [];
    const pipeline = Pipeline.build({}, (p) => {
      const counted = p
        // This instance's own input is past the window before the peer's element arrives.
        .apply("Events", TestStream.create<KV<string, number>>().advanceWatermarkTo(100))
        .apply("Window", Window.into(new FixedWindows(10)))
        .apply("Batch", ParDo.of(new EmitAtBundleEnd()))
        .apply("Count", Count.perKey<string, number>());
      collect(counted, out);
    });
    const containers = new Map<string, MetricsContainer>();
    const execution = new StreamingExecution(pipeline, { runId: "delivered-flush", handleSignals: false, exchange: new OnePeerDelivery() }, containers, []);
    assert.equal(await execution.run(), "DONE", execution.error?.message);
    const late = [...containers].reduce((n, [step, c]) => n + (step.startsWith("Count") ? (c.counters.get(systemCounterKey("droppedDueToLateness")) ?? 0) : 0), 0);
    assert.deepEqual(
      out.map((o) => `${o.window} ${o.value.key}=${o.value.value}`),
      ["0:10 a=1"],
      `the peer's element is counted in its window (dropped as late: ${late})`,
    );
  });
});
