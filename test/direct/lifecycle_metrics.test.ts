/**
 * Metrics updated in lifecycle methods land on their own step: after an await in an async
 * setup/startBundle/finishBundle (of a plain or a stateful DoFn, on the batch and the streaming
 * driver), and in synchronous ones, which run without an AsyncLocalStorage scope.
 */
import { strict as assert } from "node:assert";
import { Create, DoFn, kv, KV, Metrics, ParDo } from "../../lib";
import { StatefulDoFn, StatefulProcessContext, StateSpec } from "../../lib/model/state";
import { TestStream } from "../../lib/testing/test_stream";
import { runOk } from "../helpers";

const tick = (): Promise<void> => new Promise<void>((resolve) => setImmediate(resolve));

class AsyncLifecycle extends DoFn<number, number> {
  private readonly setups = Metrics.counter("life", "setup");
  private readonly bundles = Metrics.counter("life", "bundles");
  private readonly finished = Metrics.counter("life", "finished");
  async setup(): Promise<void> {
    await tick();
    this.setups.inc();
  }
  async startBundle(): Promise<void> {
    await tick();
    this.bundles.inc();
  }
  process(n: number, ctx: { output(v: number): void }): void {
    ctx.output(n);
  }
  async finishBundle(): Promise<void> {
    await tick();
    this.finished.inc();
  }
}

class SyncLifecycle extends DoFn<number, number> {
  private readonly bundles = Metrics.counter("life", "bundles");
  startBundle(): void {
    this.bundles.inc();
  }
  process(n: number, ctx: { output(v: number): void }): void {
    ctx.output(n);
  }
}

class StatefulAsyncLifecycle extends StatefulDoFn<string, number, number> {
  readonly seen = StateSpec.value<number>("seen");
  private readonly bundles = Metrics.counter("life", "bundles");
  async startBundle(): Promise<void> {
    await tick();
    this.bundles.inc();
  }
  process(e: KV<string, number>, ctx: StatefulProcessContext<number>): void {
    ctx.state(this.seen).write(e.value);
    ctx.output(e.value);
  }
}

describe("DirectRunner: metrics from lifecycle methods", () => {
  it("attributes updates after awaits in async lifecycle methods, and from sync ones, to their own step", async () => {
    const result = await runOk((p) => {
      p.apply(Create.of(1, 2, 3)).apply("Async", ParDo.of(new AsyncLifecycle())).apply("Sync", ParDo.of(new SyncLifecycle()));
    });
    const counter = (step: string, name: string): number => result.metrics.counters({ step, name }).reduce((a, c) => a + c.value, 0);
    assert.equal(counter("Async", "setup"), 1);
    assert.ok(counter("Async", "bundles") >= 1);
    assert.equal(counter("Async", "finished"), counter("Async", "bundles"), "one finishBundle per bundle");
    assert.equal(counter("Sync", "bundles"), counter("Async", "bundles"), "the fused step ran the same bundles");
    assert.equal(result.metrics.counterTotal("life", "setup"), 1, "nothing was attributed to another step");
  });

  it("attributes an async startBundle of a stateful DoFn on the streaming driver", async () => {
    const result = await runOk((p) => {
      p.apply("Events", TestStream.create<KV<string, number>>().addElements({ value: kv("a", 1), timestamp: 1 }).advanceWatermarkToInfinity()).apply("Stateful", ParDo.of(new StatefulAsyncLifecycle()));
    });
    const bundles = result.metrics.counters({ step: "Stateful", name: "bundles" });
    assert.equal(bundles.length, 1);
    assert.ok(bundles[0]!.value >= 1);
  });
});
