/**
 * Beam Java's ParDoTest timer output-timestamp cases as the oracle (testOutputTimestampDefault,
 * testNoOutputTimestampDefault, testOutOfBoundsEventTimeTimerHold,
 * testOutOfBoundsProcessingTimeTimerHold, testOutputTimestamp): `withOutputTimestamp(t)` stamps
 * onTimer's outputs and holds the watermark at t; `withNoOutputTimestamp()` holds nothing and its
 * onTimer may not output; out-of-bounds output timestamps fail when the timer is set.
 */
import { strict as assert } from "node:assert";
import { Combine, Combiners, Create, FixedWindows, kv, ParDo, StatefulDoFn, TestStream, TimerSpec, Window, type KV, type StatefulProcessContext, type TimerContext } from "../../lib";
import { outputsOf, runError } from "./beam_helpers";

/** Sets timer "foo" (event or processing time) as `set` says, and outputs ctx.timestamp from onTimer. */
class TimerFn extends StatefulDoFn<string, number, number> {
  readonly foo: TimerSpec;
  constructor(
    domain: "EVENT_TIME" | "PROCESSING_TIME",
    private readonly set: (ctx: StatefulProcessContext<number>, spec: TimerSpec) => void,
  ) {
    super();
    this.foo = domain === "EVENT_TIME" ? TimerSpec.eventTime("foo") : TimerSpec.processingTime("foo");
  }
  process(_e: KV<string, number>, ctx: StatefulProcessContext<number>): void {
    this.set(ctx, this.foo);
  }
  onTimer(_name: string, ctx: TimerContext<string, number>): void {
    ctx.output(ctx.timestamp);
  }
}

const oneAt3 = () => Create.timestamped([{ value: kv("hello", 1), timestamp: 3 }]);
const stream = () => TestStream.create<KV<string, number>>().addElements({ value: kv("hello", 1), timestamp: 3 }).advanceWatermarkToInfinity();

describe("Beam conformance: timer output timestamps (ParDoTest)", () => {
  for (const [mode, source] of [["bounded", oneAt3], ["unbounded", stream]] as const) {
    it(`testOutputTimestampDefault (${mode}): onTimer's output carries the timer's output timestamp`, async () => {
      const out = await outputsOf(source(), (c) => c.apply("first", ParDo.of(new TimerFn("EVENT_TIME", (ctx, t) => ctx.timer(t).withOutputTimestamp(ctx.timestamp + 5).set(ctx.timestamp + 10)))));
      assert.deepEqual(out.map((o) => [o.value, o.timestamp]), [[8, 8]]);
    });
  }

  it("onTimer's ctx.timestamp is the output timestamp and ctx.fireTimestamp the firing time (Java's @Timestamp and fireTimestamp()), in both clocks", async () => {
    const seen: string[] = [];
    class Both extends StatefulDoFn<string, number, string> {
      readonly event = TimerSpec.eventTime("event");
      readonly processing = TimerSpec.processingTime("processing");
      readonly quiet = TimerSpec.eventTime("quiet");
      process(_e: KV<string, number>, ctx: StatefulProcessContext<string>): void {
        ctx.timer(this.event).withOutputTimestamp(ctx.timestamp + 5).set(ctx.timestamp + 10);
        ctx.timer(this.processing).offset(250);
        ctx.timer(this.quiet).withNoOutputTimestamp().set(ctx.timestamp + 20);
      }
      onTimer(timer: string, ctx: TimerContext<string, string>): void {
        const line = `${timer} ${ctx.timeDomain} timestamp=${ctx.timestamp} fired=${ctx.fireTimestamp}`;
        if (timer === "quiet") seen.push(line); // it may not output: it has no output timestamp
        else ctx.output(line);
      }
    }
    const stream = TestStream.create<KV<string, number>>().addElements({ value: kv("hello", 1), timestamp: 3 }).advanceProcessingTime(1_000).advanceWatermarkToInfinity();
    const out = await outputsOf(stream, (c) => c.apply("Both", ParDo.of(new Both())));
    assert.deepEqual(out.map((o) => `${o.value}@${o.timestamp}`).sort(), ["event EVENT_TIME timestamp=8 fired=13@8", "processing PROCESSING_TIME timestamp=3 fired=250@3"]);
    assert.deepEqual(seen, ["quiet EVENT_TIME timestamp=23 fired=23"], "a timer without an output timestamp reports its firing time");
  });

  it("testNoOutputTimestampDefault: an output from onTimer of a timer without an output timestamp fails, naming the step and the fix", async () => {
    const err = await runError((p) => {
      p.apply(oneAt3()).apply("OutputsOnTimer", ParDo.of(new TimerFn("EVENT_TIME", (ctx, t) => ctx.timer(t).withNoOutputTimestamp().set(ctx.timestamp + 10))));
    });
    assert.match(err.message, /OutputsOnTimer/);
    assert.match(err.message, /withNoOutputTimestamp\(\), which has no output timestamp/);
  });

  it("testOutOfBoundsEventTimeTimerHold: an output timestamp after the firing time fails when set", async () => {
    const err = await runError((p) => {
      // In fixed windows: the global window's end is past 2^53 ms, where + 1 is lost to rounding.
      p.apply(oneAt3())
        .apply(Window.into(new FixedWindows(1000)))
        .apply("Late", ParDo.of(new TimerFn("EVENT_TIME", (ctx, t) => ctx.timer(t).withOutputTimestamp(ctx.window.maxTimestamp() + 1).set(ctx.window.maxTimestamp()))));
    });
    assert.match(err.message, /Late.*timer 'foo' with output timestamp 1000, after the timer's firing time 999/s);
  });

  it("testOutOfBoundsProcessingTimeTimerHold: an output timestamp after the window's expiry fails when set", async () => {
    const err = await runError((p) => {
      p.apply(oneAt3())
        .apply(Window.into(new FixedWindows(1000)))
        .apply("Late", ParDo.of(new TimerFn("PROCESSING_TIME", (ctx, t) => ctx.timer(t).withOutputTimestamp(ctx.window.maxTimestamp() + 1).offset(1000))));
    });
    assert.match(err.message, /Late.*timer 'foo' with output timestamp 1000, after the expiration of its window/s);
  });

  it("an output timestamp before the input's (minus the allowed skew) fails when set", async () => {
    const err = await runError((p) => {
      p.apply(oneAt3()).apply("Early", ParDo.of(new TimerFn("EVENT_TIME", (ctx, t) => ctx.timer(t).withOutputTimestamp(ctx.timestamp - 1).set(ctx.timestamp + 10))));
    });
    assert.match(err.message, /Early.*output timestamp 2, earlier than the current input's timestamp 3/s);
  });

  it("testOutputTimestamp: the hold keeps a downstream window open until the timer fires; its output is on time there", async () => {
    // A processing-time timer set by an element at 3 ms, holding at 12 ms: its output falls in the
    // window [10, 20 ms) downstream (the default hold, 3 ms, would put it in [0, 10)), and that
    // window must wait for it although the watermark reaches 20 ms before the timer fires.
    const s = TestStream.create<KV<string, number>>()
      .addElements({ value: kv("hello", 1), timestamp: 3 })
      .advanceWatermarkTo(20)
      .advanceProcessingTime(1000)
      .advanceWatermarkToInfinity();
    const out = await outputsOf(s, (c) =>
      c
        .apply("Hold", ParDo.of(new TimerFn("PROCESSING_TIME", (ctx, t) => ctx.timer(t).withOutputTimestamp(ctx.timestamp + 9).offset(500))))
        .apply(Window.into(new FixedWindows(10)))
        .apply(Combine.globally(Combiners.count(), { withoutDefaults: true })),
    );
    assert.deepEqual(out.map((o) => `${o.window} ${o.value} ${o.pane.timing}`), ["10:20 1 ON_TIME"]);
  });
});
