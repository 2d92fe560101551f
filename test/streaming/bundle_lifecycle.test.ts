import { strict as assert } from "node:assert";
import { DoFn, FixedWindows, ParDo, TestStream, Window, kv } from "../../lib";
import type { KV } from "../../lib/model/window";
import { StatefulDoFn, StatefulProcessContext, StateSpec, TimerContext, TimerSpec } from "../../lib/model/state";
import { runDirect } from "../helpers";

/**
 * The streaming driver runs one small bundle per TestStream event (or per batch a source
 * queued). A DoFn sees only the bundles that bring it elements or timers, as in Beam, where a
 * runner hands a step bundles of its own input: its startBundle (which may open a connection)
 * and finishBundle (which may flush) run once per bundle with work, not once per driver bundle.
 */

/** Logs its lifecycle calls in order. */
class LogsBundles extends DoFn<KV<string, number>, KV<string, number>> {
  constructor(private readonly log: string[]) {
    super();
  }
  startBundle(): void {
    this.log.push("start");
  }
  process(e: KV<string, number>): void {
    this.log.push(`process ${e.value}`);
  }
  finishBundle(): void {
    this.log.push("finish");
  }
}

/** Logs its lifecycle calls; sets a timer at the window's end. */
class LogsBundlesAndTimers extends StatefulDoFn<string, number, KV<string, number>> {
  readonly seen = StateSpec.value<number>("seen");
  readonly end = TimerSpec.eventTime("end");
  constructor(private readonly log: string[]) {
    super();
  }
  startBundle(): void {
    this.log.push("start");
  }
  process(e: KV<string, number>, ctx: StatefulProcessContext<KV<string, number>>): void {
    this.log.push(`process ${e.value}`);
    ctx.state(this.seen).write(e.value);
    ctx.timer(this.end).set(ctx.window.maxTimestamp());
  }
  onTimer(_t: string, ctx: TimerContext<string, KV<string, number>>): void {
    this.log.push(`timer ${ctx.state(this.seen).read()}`);
  }
  finishBundle(): void {
    this.log.push("finish");
  }
}

/** Elements in two events, with watermark and processing-time events between and after them. */
function stream(): TestStream<KV<string, number>> {
  return TestStream.create<KV<string, number>>()
    .advanceWatermarkTo(0)
    .advanceProcessingTime(1000)
    .addElements({ value: kv("a", 1), timestamp: 1 })
    .advanceWatermarkTo(2)
    .advanceWatermarkTo(3)
    .advanceProcessingTime(1000)
    .addElements({ value: kv("a", 5), timestamp: 5 }, { value: kv("a", 6), timestamp: 6 })
    .advanceWatermarkTo(7)
    .advanceWatermarkTo(50)
    .advanceProcessingTime(1000)
    .advanceWatermarkToInfinity();
}

describe("streaming driver: DoFn bundles", () => {
  it("start and finish only around bundles that bring the DoFn elements (2 of the stream's 11 events)", async () => {
    const log: string[] = [];
    const result = await runDirect((p) => {
      p.apply(stream()).apply("Logs", ParDo.of(new LogsBundles(log)));
    });
    assert.equal(await result.waitUntilFinish(), "DONE");
    assert.deepEqual(log, ["start", "process 1", "finish", "start", "process 5", "process 6", "finish"]);
  });

  it("a bundle that only fires a timer starts and finishes around onTimer", async () => {
    const log: string[] = [];
    const result = await runDirect((p) => {
      p.apply(stream())
        .apply(Window.into(new FixedWindows(10)))
        .apply("LogsTimers", ParDo.of(new LogsBundlesAndTimers(log)));
    });
    assert.equal(await result.waitUntilFinish(), "DONE");
    // The window [0, 10) ends when the watermark passes 9, in the event that moves it to 50.
    assert.deepEqual(log, ["start", "process 1", "finish", "start", "process 5", "process 6", "finish", "start", "timer 6", "finish"]);
  });
});
