import { strict as assert } from "node:assert";
import { Combiners, FixedWindows, kv, KV, ParDo, Window } from "../../lib";
import { StatefulDoFn, StatefulProcessContext, StateSpec, TimerContext, TimerSpec } from "../../lib/model/state";
import { TestStream } from "../../lib/testing/test_stream";
import { MetricsContainer } from "../../lib/model/metrics";
import { defaultOptions } from "../../lib/model/options";
import { IntervalWindow, NO_FIRING } from "../../lib/model/window";
import { deterministicKeyCoder } from "../../runners/executor/default_coders";
import { DISCARD } from "../../runners/executor/receiver";
import { GroupNode } from "../../runners/streaming/grouping";
import { InMemoryStateAndTimers } from "../../runners/executor/in_memory_state";
import { AnyStatefulDoFn, StatefulParDoOperator } from "../../runners/executor/stateful_operator";
import { statefulTimeAware } from "../../runners/streaming/graph";
import { runDirect } from "../helpers";
import { collect, Observed } from "./collect";

/** Buffers each key's values and flushes them, sorted, when the watermark passes the window's end. */
class BufferUntilEndOfWindow extends StatefulDoFn<string, number, KV<string, number[]>> {
  readonly buffer = StateSpec.bag<number>("buffer");
  readonly flush = TimerSpec.eventTime("flush");
  process(e: KV<string, number>, ctx: StatefulProcessContext<KV<string, number[]>>): void {
    ctx.state(this.buffer).add(e.value);
    ctx.timer(this.flush).set(ctx.window.maxTimestamp());
  }
  onTimer(timer: string, ctx: TimerContext<string, KV<string, number[]>>): void {
    assert.equal(timer, "flush");
    const values = [...ctx.state(this.buffer).read()].sort((a, b) => a - b);
    ctx.output(kv(ctx.key, values));
    ctx.state(this.buffer).clear();
  }
}

/** Counts per key with value, combining and map state; reports on a processing-time timer. */
class CountAndReport extends StatefulDoFn<string, number, string> {
  readonly count = StateSpec.value<number>("count");
  readonly sum = StateSpec.combining("sum", Combiners.sum());
  readonly seen = StateSpec.map<number, boolean>("seen");
  readonly report = TimerSpec.processingTime("report");
  process(e: KV<string, number>, ctx: StatefulProcessContext<string>): void {
    const count = ctx.state(this.count);
    count.write((count.read() ?? 0) + 1);
    ctx.state(this.sum).add(e.value);
    ctx.state(this.seen).put(e.value, true);
    ctx.timer(this.report).offset(1000);
  }
  onTimer(_timer: string, ctx: TimerContext<string, string>): void {
    const distinct = ctx.state(this.seen).entries().length;
    ctx.output(`${ctx.key}: n=${ctx.state(this.count).read()} sum=${ctx.state(this.sum).read()} distinct=${distinct} at=${ctx.processingTime}`);
  }
}

describe("Streaming DirectRunner: stateful DoFns", () => {
  it("flushes a per-key buffer with an event-time timer, per window, and clears state when the window expires", async () => {
    const out: Observed<KV<string, number[]>>[] = [];
    const result = await runDirect((p) => {
      const flushed = p
        .apply(
          TestStream.create<KV<string, number>>()
            .addElements({ value: kv("a", 3), timestamp: 3 }, { value: kv("a", 1), timestamp: 1 }, { value: kv("b", 2), timestamp: 2 })
            .addElements({ value: kv("a", 12), timestamp: 12 })
            .advanceWatermarkTo(9) // nothing yet: the timer at 9 fires once the watermark passes 9
            .advanceWatermarkTo(10)
            .addElements({ value: kv("a", 4), timestamp: 4 }) // window [0, 10) expired: dropped
            .advanceWatermarkToInfinity(),
        )
        .apply(Window.into(new FixedWindows(10)))
        .apply("Buffer", ParDo.of(new BufferUntilEndOfWindow()));
      collect(flushed, out);
    });
    assert.equal(await result.waitUntilFinish(), "DONE");
    assert.deepEqual(
      out.map((o) => `${o.value.key}=${o.value.value.join(",")}@${o.timestamp} ${o.window}`),
      ["a=1,3@9 0:10", "b=2@9 0:10", "a=12@19 10:20"],
    );
    assert.equal(result.metrics.counterTotal("beamline", "droppedDueToLateness", "Buffer"), 1);
  });

  it("keeps value, combining and map state per key and fires processing-time timers in virtual time", async () => {
    const out: Observed<string>[] = [];
    const result = await runDirect((p) => {
      const reports = p
        .apply(
          TestStream.create<KV<string, number>>()
            .addElements({ value: kv("a", 5), timestamp: 1 }, { value: kv("a", 5), timestamp: 2 }, { value: kv("b", 1), timestamp: 2 })
            .advanceProcessingTime(500)
            .addElements({ value: kv("a", 7), timestamp: 3 }) // resets a's timer to 1500
            .advanceProcessingTime(600) // 1100: b reports
            .advanceProcessingTime(400) // 1500: a reports
            .advanceWatermarkToInfinity(),
        )
        .apply("Count", ParDo.of(new CountAndReport()));
      collect(reports, out);
    });
    assert.equal(await result.waitUntilFinish(), "DONE");
    assert.deepEqual(
      out.map((o) => o.value),
      ["b: n=1 sum=1 distinct=1 at=1100", "a: n=3 sum=17 distinct=2 at=1500"],
    );
  });
});

describe("Streaming DirectRunner: state garbage collection", () => {
  it("drops a key's state and timers once its window expires (end of window + allowed lateness)", async () => {
    const windowing = { windowFn: new FixedWindows(10), timestampCombiner: "END_OF_WINDOW", accumulationMode: "DISCARDING", allowedLatenessMillis: 5 } as const;
    const runtime = { options: defaultOptions(), runId: "t", transformName: "S", reportOutputs: () => undefined };
    const state = new InMemoryStateAndTimers(deterministicKeyCoder(), windowing.allowedLatenessMillis);
    const op = new StatefulParDoOperator("S", new BufferUntilEndOfWindow() as unknown as AnyStatefulDoFn, new Map([["main", DISCARD]]), undefined, new MetricsContainer("S"), runtime, { state, timers: state }, windowing.allowedLatenessMillis);
    const timers = statefulTimeAware(state, op);
    const group = new GroupNode("G", windowing, deterministicKeyCoder(), undefined, DISCARD, new MetricsContainer("G"));
    const meta = { timestamp: 3, windows: [new IntervalWindow(0, 10)], pane: NO_FIRING };
    await op.startBundle();
    await op.receive(kv("a", 3), meta);
    await group.receive(kv("a", 3), meta);
    assert.equal(state.slotCount, 1);
    assert.equal(group.stateCount, 1);
    assert.equal(timers.hold(), 9, "the pending event-time timer holds the output watermark");
    await timers.advance({ inputWatermark: 14, processingTime: 0 }); // timer fired; window not yet expired (9 + 5)
    await group.advance({ inputWatermark: 14, processingTime: 0 });
    assert.equal(state.slotCount, 1);
    assert.equal(group.stateCount, 1);
    await timers.advance({ inputWatermark: 15, processingTime: 0 });
    await group.advance({ inputWatermark: 15, processingTime: 0 });
    assert.equal(state.slotCount, 0);
    assert.equal(group.stateCount, 0);
  });
});
