/**
 * Beam Java's ParDoTest.TimerTests cases beam_timers.test.ts and beam_timer_output_timestamps.test.ts
 * do not port: timers after a GroupByKey, the key in onTimer, setting and clearing timers in each
 * time domain (a timer cleared by an earlier timer that became due in the same advance of the
 * clock does not fire), a timer set within the allowed lateness, and a processing-time timer's
 * output timestamp holding a later step's event-time timer. With Beam's scripts and expected
 * outputs; in batch on one worker and on two where the case runs from Create.
 *
 * The set/clear tests are generated per time domain; they port testSetAndClearEventTimeTimer,
 * testSetAndClearProcessingTimeTimer, testClearUnsetEventTimeTimer, testClearUnsetProcessingTimeTimer,
 * testSetEventTimerAfterClear, testSetProcessingTimerAfterClear, testClearEventTimeTimer and
 * testClearProcessingTimeTimer.
 */
import { strict as assert } from "node:assert";
import { Create, FixedWindows, GroupByKey, kv, KV, MIN_TIMESTAMP, ParDo, Window } from "../../lib";
import { StatefulDoFn, StatefulProcessContext, StateSpec, TimerContext, TimerSpec } from "../../lib/model/state";
import { TestStream } from "../../lib/testing/test_stream";
import { labelledOutputs, outputsOf, valuesOf } from "./beam_helpers";

type Domain = "EVENT_TIME" | "PROCESSING_TIME";
const spec = (domain: Domain, id: string): TimerSpec => (domain === "EVENT_TIME" ? TimerSpec.eventTime(id) : TimerSpec.processingTime(id));

/** Beam's stream for the set/clear cases: one element (or two), then each clock past the timers. */
function setClearStream(domain: Domain, values: number[]): TestStream<KV<string, number>> {
  const s = TestStream.create<KV<string, number>>().advanceWatermarkTo(0).addElements(...values.map((v) => ({ value: kv("hello", v), timestamp: 0 })));
  return (domain === "EVENT_TIME" ? s.advanceWatermarkTo(1000) : s.advanceProcessingTime(120_000).advanceProcessingTime(120_000)).advanceWatermarkToInfinity();
}

describe("Beam Java ParDoTest.TimerTests (the cases beam_timers.test.ts does not port)", () => {
  for (const workers of [1, 2]) {
    it(`testGbkFollowedByUserTimers: a timer set after a GroupByKey fires (Create, ${workers} worker(s))`, async () => {
      class AfterGbk extends StatefulDoFn<string, number[], number> {
        readonly foo = TimerSpec.eventTime("foo");
        process(_e: KV<string, number[]>, ctx: StatefulProcessContext<number>): void {
          ctx.timer(this.foo).offset(1000);
          ctx.output(3);
        }
        onTimer(_t: string, ctx: TimerContext<string, number>): void {
          if (ctx.timeDomain === "EVENT_TIME") ctx.output(42);
        }
      }
      const out = await labelledOutputs(
        (p, collectAs) => collectAs("out", p.apply("Create", Create.of(kv("hello", 37))).apply("GroupByKey", GroupByKey.create<string, number>()).apply("Timers", ParDo.of(new AfterGbk()))),
        undefined,
        { directNumWorkers: workers },
      );
      assert.deepEqual(out.out, ["3", "42"]);
    });

    it(`testKeyInOnTimer: onTimer sees the key of its timer (Create, ${workers} worker(s))`, async () => {
      class KeyFn extends StatefulDoFn<string, number, number> {
        readonly foo = TimerSpec.eventTime("foo");
        process(_e: KV<string, number>, ctx: StatefulProcessContext<number>): void {
          ctx.timer(this.foo).set(1);
        }
        onTimer(_t: string, ctx: TimerContext<string, number>): void {
          ctx.output(Number.parseInt(ctx.key, 10));
        }
      }
      const out = await labelledOutputs((p, collectAs) => collectAs("out", p.apply("Create", Create.of(kv("1", 37), kv("2", 3))).apply("Key", ParDo.of(new KeyFn()))), undefined, { directNumWorkers: workers });
      assert.deepEqual(out.out, ["1", "2"]);
    });
  }

  for (const domain of ["EVENT_TIME", "PROCESSING_TIME"] as const) {
    const name = domain === "EVENT_TIME" ? "EventTime" : "ProcessingTime";

    it(`testSetAndClear${name}Timer, testClearUnset${name}Timer, testSet${domain === "EVENT_TIME" ? "Event" : "Processing"}TimerAfterClear`, async () => {
      /** `ops` per element: "set" = offset(1s), "clear"; onTimer outputs 42. */
      class SetClear extends StatefulDoFn<string, number, number> {
        readonly timer = spec(domain, "timer");
        constructor(private readonly ops: readonly ("set" | "clear")[]) {
          super();
        }
        process(_e: KV<string, number>, ctx: StatefulProcessContext<number>): void {
          for (const op of this.ops) {
            if (op === "set") ctx.timer(this.timer).offset(1000);
            else ctx.timer(this.timer).clear();
          }
          ctx.output(3);
        }
        onTimer(_t: string, ctx: TimerContext<string, number>): void {
          ctx.output(42);
        }
      }
      const setThenClear = await outputsOf(setClearStream(domain, [37]), (c) => c.apply("SetClear", ParDo.of(new SetClear(["set", "clear"]))));
      assert.deepEqual(valuesOf(setThenClear), ["3"], "set then clear: no firing");
      const clearUnset = await outputsOf(setClearStream(domain, [37]), (c) => c.apply("ClearUnset", ParDo.of(new SetClear(["clear"]))));
      assert.deepEqual(valuesOf(clearUnset), ["3"], "clearing a timer never set: no firing");
      const clearThenSet = await outputsOf(setClearStream(domain, [37, 38]), (c) => c.apply("ClearSet", ParDo.of(new SetClear(["clear", "set"]))));
      assert.deepEqual(valuesOf(clearThenSet), ["3", "3", "42"], "clear then set, twice: one firing");
    });

    it(`testClear${name}Timer: a timer cleared by the onTimer of one due before it does not fire, though both became due at once`, async () => {
      class ClearOther extends StatefulDoFn<string, number, number> {
        readonly timer = spec(domain, "timer");
        readonly clearTimer = spec(domain, "clear-timer");
        process(_e: KV<string, number>, ctx: StatefulProcessContext<number>): void {
          ctx.timer(this.timer).offset(1000);
          ctx.timer(this.clearTimer).offset(2000);
          ctx.output(3);
        }
        onTimer(timer: string, ctx: TimerContext<string, number>): void {
          if (timer === "timer") {
            ctx.output(42);
            ctx.timer(this.clearTimer).clear();
          } else {
            ctx.output(43);
          }
        }
      }
      // Event time: Beam's watermark goes to 1s then to infinity; processing time: one advance
      // of two minutes makes both timers due together.
      const out = await outputsOf(setClearStream(domain, [37]), (c) => c.apply("ClearOther", ParDo.of(new ClearOther())));
      assert.deepEqual(valuesOf(out), ["3", "42"]);
    });
  }

  it("testEventTimeTimerSetWithinAllowedLateness: a timer after the window's end but within the lateness fires, at its time", async () => {
    class Lateness extends StatefulDoFn<string, number, string> {
      readonly foo = TimerSpec.eventTime("foo");
      process(_e: KV<string, number>, ctx: StatefulProcessContext<string>): void {
        ctx.timer(this.foo).set(ctx.timestamp + 10_000);
        ctx.output(`3@${ctx.timestamp}`);
      }
      onTimer(_t: string, ctx: TimerContext<string, string>): void {
        ctx.output(`42@${ctx.timestamp}`);
      }
    }
    const stream = TestStream.create<KV<string, number>>().advanceWatermarkTo(5000).addElements({ value: kv("hello", 37), timestamp: 5000 }).advanceWatermarkTo(60_000).advanceWatermarkToInfinity();
    const out = await outputsOf(stream, (c) =>
      c.apply("Window", Window.into(new FixedWindows(10_000), { accumulationMode: "DISCARDING", allowedLatenessMillis: 10_000 })).apply("Lateness", ParDo.of(new Lateness())),
    );
    assert.deepEqual(valuesOf(out), ["3@5000", "42@15000"]);
  });

  it("testOutputTimestampWithProcessingTime: a processing-time timer's output timestamp holds the next step's event-time timer", async () => {
    // The first step's timer (due at 10s of processing time) holds its output watermark at the
    // element's time + 5s; the second step's event-time timer at 8 ms may not fire until that
    // hold goes, so the second element (after the watermark reached 11 ms) finds it not fired.
    // Java's TestStream.addElements(kv) stamps elements at the minimum timestamp, as here.
    class First extends StatefulDoFn<string, number, KV<string, number>> {
      readonly foo = TimerSpec.processingTime("foo");
      process(_e: KV<string, number>, ctx: StatefulProcessContext<KV<string, number>>): void {
        ctx.timer(this.foo).withOutputTimestamp(ctx.timestamp + 5000).offset(10_000);
        ctx.output(kv("foo", 100));
      }
      onTimer(): void {}
    }
    class Second extends StatefulDoFn<string, number, number> {
      readonly foo = TimerSpec.eventTime("foo");
      readonly fired = StateSpec.value<boolean>("timerFired");
      process(_e: KV<string, number>, ctx: StatefulProcessContext<number>): void {
        if (ctx.state(this.fired).read() === true) throw new Error("the second step's timer fired while the first step's timer held the watermark");
        ctx.timer(this.foo).set(8);
      }
      onTimer(_t: string, ctx: TimerContext<string, number>): void {
        ctx.state(this.fired).write(true);
        ctx.output(100);
      }
    }
    const stream = TestStream.create<KV<string, number>>()
      .advanceProcessingTime(1000)
      .addElements({ value: kv("key", 1), timestamp: MIN_TIMESTAMP })
      .advanceProcessingTime(9000)
      .advanceWatermarkTo(11)
      .addElements({ value: kv("key", 1), timestamp: MIN_TIMESTAMP })
      .advanceProcessingTime(100_000)
      .advanceWatermarkToInfinity();
    const out = await outputsOf(stream, (c) => c.apply("first", ParDo.of(new First())).apply("second", ParDo.of(new Second())));
    assert.deepEqual(valuesOf(out), ["100"]);
  });
});
