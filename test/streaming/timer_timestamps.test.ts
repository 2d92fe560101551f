import { strict as assert } from "node:assert";
import { FixedWindows, GlobalWindows, GroupByKey, kv, KV, ParDo, Window } from "../../lib";
import { StatefulDoFn, StatefulProcessContext, StateSpec, TimerContext, TimerSpec } from "../../lib/model/state";
import { TestStream } from "../../lib/testing/test_stream";
import { runDirect } from "../helpers";
import { collect, Observed } from "./collect";

/** Buffers values and flushes them 100 ms of processing time after the first one. */
class FlushAfterDelay extends StatefulDoFn<string, number, KV<string, number>> {
  readonly buffer = StateSpec.bag<number>("buffer");
  readonly flush = TimerSpec.processingTime("flush");
  process(e: KV<string, number>, ctx: StatefulProcessContext<KV<string, number>>): void {
    if (ctx.state(this.buffer).isEmpty()) ctx.timer(this.flush).offset(100);
    ctx.state(this.buffer).add(e.value);
  }
  onTimer(_timer: string, ctx: TimerContext<string, KV<string, number>>): void {
    // As Beam Java's @Timestamp and fireTimestamp() in @OnTimer: the output timestamp (the event time of
    // the element that set the timer), and the processing time it fired at (0 + 100).
    assert.equal(ctx.timestamp, 3, "ctx.timestamp is the timer's output timestamp (both tests set it from an element at 3)");
    assert.equal(ctx.fireTimestamp, 100, "ctx.fireTimestamp is the processing time the timer was set for");
    for (const v of ctx.state(this.buffer).read()) ctx.output(kv(ctx.key, v));
    ctx.state(this.buffer).clear();
  }
}

describe("Streaming DirectRunner: outputs of processing-time timers", () => {
  it("carry the timestamp of the element that set the timer, inside its window", async () => {
    const out: Observed<KV<string, number>>[] = [];
    const result = await runDirect((p) => {
      const flushed = p
        .apply(TestStream.create<KV<string, number>>().addElements({ value: kv("a", 1), timestamp: 3 }).advanceProcessingTime(5_000).advanceWatermarkToInfinity())
        .apply(Window.into(new FixedWindows(10)))
        .apply("Flush", ParDo.of(new FlushAfterDelay()));
      collect(flushed, out);
    });
    assert.equal(await result.waitUntilFinish(), "DONE");
    assert.deepEqual(out.map((o) => `${o.value.value}@${o.timestamp} ${o.window}`), ["1@3 0:10"]);
  });

  it("hold the output watermark until the timer fires, so a later grouping does not drop them as late", async () => {
    const out: Observed<KV<string, number[]>>[] = [];
    const result = await runDirect((p) => {
      const grouped = p
        .apply(
          TestStream.create<KV<string, number>>()
            .addElements({ value: kv("a", 1), timestamp: 3 }, { value: kv("a", 2), timestamp: 4 })
            .advanceWatermarkTo(50) // the stateful step holds its output at 3 while the timer is pending
            .advanceProcessingTime(100)
            .advanceWatermarkToInfinity(),
        )
        .apply(Window.into(new GlobalWindows()))
        .apply("Flush", ParDo.of(new FlushAfterDelay()))
        .apply(Window.into(new FixedWindows(10)))
        .apply(GroupByKey.create());
      collect(grouped, out);
    });
    assert.equal(await result.waitUntilFinish(), "DONE");
    assert.deepEqual(out.map((o) => `${o.value.key}=${[...o.value.value].sort().join(",")} ${o.window} ${o.pane.timing}`), ["a=1,2 0:10 ON_TIME"]);
    assert.equal(result.metrics.counterTotal("beamline", "droppedDueToLateness", "GroupByKey"), 0);
  });
});
