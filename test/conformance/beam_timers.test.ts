/**
 * Beam's own tests of timers, as the oracle: the pipelines of Beam Java's ParDoTest.TimerTests
 * that Beamline's API can express, with Beam's expected outputs, in batch (Create) and streaming
 * (TestStream) where Beam runs them so (Beam Python's: beam_timers_python.test.ts). Each test names the Beam test it mirrors. (Not mirrored: `align`,
 * `withOutputTimestamp`, timer families and OnWindowExpiration, which Beamline's API does not have.)
 */
import { strict as assert } from "node:assert";
import { Create, FixedWindows, kv, KV, MAX_TIMESTAMP, MIN_TIMESTAMP, ParDo, SlidingWindows, Window } from "../../lib";
import { StatefulDoFn, StatefulProcessContext, StateSpec, TimerContext, TimerSpec } from "../../lib/model/state";
import { TestStream } from "../../lib/testing/test_stream";
import { MetricsContainer } from "../../lib/model/metrics";
import { defaultOptions } from "../../lib/model/options";
import { IntervalWindow, NO_FIRING } from "../../lib/model/window";
import { deterministicKeyCoder } from "../../runners/executor/default_coders";
import { InMemoryStateAndTimers } from "../../runners/executor/in_memory_state";
import type { Receiver } from "../../runners/executor/receiver";
import { AnyStatefulDoFn, StatefulParDoOperator } from "../../runners/executor/stateful_operator";
import { statefulTimeAware } from "../../runners/streaming/graph";
import { runOk } from "../helpers";
import { collect, Observed } from "../streaming/collect";
import { outputsOf, Source, valuesOf } from "./beam_helpers";

/** Outputs 3 per element and sets a timer `offset(1000)`; onTimer outputs 42 if in `domain`. */
class ThreeThenFortyTwo extends StatefulDoFn<string, number, number> {
  readonly timer: TimerSpec;
  constructor(domain: "EVENT_TIME" | "PROCESSING_TIME") {
    super();
    this.timer = domain === "EVENT_TIME" ? TimerSpec.eventTime("foo") : TimerSpec.processingTime("foo");
  }
  process(_e: KV<string, number>, ctx: StatefulProcessContext<number>): void {
    ctx.timer(this.timer).offset(1000);
    ctx.output(3);
  }
  onTimer(_t: string, ctx: TimerContext<string, number>): void {
    if (ctx.timeDomain === this.timer.domain) ctx.output(42);
  }
}

/** Beam's TwoTimerTest: two event-time timers setting each other, from `start` to `end`. */
class TwoTimers extends StatefulDoFn<string, string, string> {
  readonly t1 = TimerSpec.eventTime("t1");
  readonly t2 = TimerSpec.eventTime("t2");
  readonly count = StateSpec.value<number>("count");
  constructor(
    private readonly start: number,
    private readonly end: number,
  ) {
    super();
  }
  process(_e: KV<string, string>, ctx: StatefulProcessContext<string>): void {
    ctx.state(this.count).write(0);
    ctx.timer(this.t1).set(this.start);
    ctx.timer(this.t2).set(this.end + 1); // after the end: timers must still fire in time order
  }
  onTimer(timer: string, ctx: TimerContext<string, string>): void {
    const current = ctx.state(this.count).read()!;
    if (timer === "t1") {
      ctx.timer(this.t2).set(ctx.timestamp);
      ctx.output(`t1:${current}:${ctx.timestamp - this.start}`);
      return;
    }
    if (ctx.timestamp < this.end) {
      ctx.state(this.count).write(current + 1);
      ctx.timer(this.t1).set(ctx.timestamp + 1);
    } else {
      ctx.state(this.count).write(-1);
    }
    ctx.output(`t2:${current}:${ctx.timestamp - this.start}`);
  }
}

/** Beam's testEventTimeTimerOrdering DoFn: flushes a bag in timestamp order, one timer at a time. */
class OrderedFlush extends StatefulDoFn<string, string, string> {
  readonly append = TimerSpec.eventTime("append");
  readonly gc = TimerSpec.eventTime("gc");
  readonly bag = StateSpec.bag<{ value: string; ts: number }>("bag");
  readonly minTs = StateSpec.value<number>("minTs");
  constructor(
    private readonly gcAt: number,
    private readonly n: number,
  ) {
    super();
  }
  process(e: KV<string, string>, ctx: StatefulProcessContext<string>): void {
    const min = ctx.state(this.minTs).read() ?? MAX_TIMESTAMP;
    if (min === MAX_TIMESTAMP) ctx.timer(this.gc).set(this.gcAt);
    if (min > ctx.timestamp) {
      ctx.state(this.minTs).write(ctx.timestamp);
      ctx.timer(this.append).set(ctx.timestamp);
    }
    ctx.state(this.bag).add({ value: e.value, ts: ctx.timestamp });
  }
  onTimer(timer: string, ctx: TimerContext<string, string>): void {
    const all = [...ctx.state(this.bag).read()].sort((a, b) => a.ts - b.ts);
    if (timer === "gc") {
      ctx.output(`${all.map((v) => v.value).join(":")}:cleanup`);
      ctx.state(this.bag).clear();
      return;
    }
    const flush = all.filter((v) => v.ts <= ctx.timestamp);
    ctx.output(flush.map((v) => v.value).join(":"));
    if (flush.length < this.n) ctx.timer(this.append).set(ctx.timestamp + 1000);
  }
}

describe("Beam conformance: timers (ParDoTest.TimerTests)", () => {
  it("testEventTimeTimerBounded: an event-time timer offset from the element fires in a bounded pipeline", async () => {
    const out = await outputsOf(Create.of(kv("hello", 37)), (c) => c.apply("Timers", ParDo.of(new ThreeThenFortyTwo("EVENT_TIME"))));
    assert.deepEqual(valuesOf(out), ["3", "42"]);
  });

  it("testEventTimeTimerUnbounded: the same under a TestStream", async () => {
    const stream = TestStream.create<KV<string, number>>().advanceWatermarkTo(0).addElements({ value: kv("hello", 37), timestamp: 0 }).advanceWatermarkTo(1000).advanceWatermarkToInfinity();
    const out = await outputsOf(stream, (c) => c.apply("Timers", ParDo.of(new ThreeThenFortyTwo("EVENT_TIME"))));
    assert.deepEqual(valuesOf(out), ["3", "42"]);
  });

  it("testSimpleProcessingTimerTimer: a processing-time timer fires when processing time passes it", async () => {
    const stream = TestStream.create<KV<string, number>>().addElements({ value: kv("hello", 37), timestamp: 0 }).advanceProcessingTime(60_000).advanceWatermarkToInfinity();
    const out = await outputsOf(stream, (c) => c.apply("Timers", ParDo.of(new ThreeThenFortyTwo("PROCESSING_TIME"))));
    assert.deepEqual(valuesOf(out), ["3", "42"]);
  });

  it("testEventTimeTimerAbsolute: a timer at the global window's last moment fires", async () => {
    class AtEnd extends StatefulDoFn<string, number, number> {
      readonly timer = TimerSpec.eventTime("foo");
      process(_e: KV<string, number>, ctx: StatefulProcessContext<number>): void {
        ctx.timer(this.timer).set(ctx.window.maxTimestamp());
        ctx.output(3);
      }
      onTimer(_t: string, ctx: TimerContext<string, number>): void {
        ctx.output(42);
      }
    }
    const out = await outputsOf(Create.of(kv("hello", 37)), (c) => c.apply("Timers", ParDo.of(new AtEnd())));
    assert.deepEqual(valuesOf(out), ["3", "42"]);
  });

  it("testOutOfBoundsEventTimeTimer: a timer after the window's expiration is refused, naming timer and expiration", async () => {
    const messages: string[] = [];
    class OutOfBounds extends StatefulDoFn<string, number, number> {
      readonly timer = TimerSpec.eventTime("foo");
      process(_e: KV<string, number>, ctx: StatefulProcessContext<number>): void {
        try {
          ctx.timer(this.timer).set(ctx.window.maxTimestamp() + 1);
          messages.push("no error");
        } catch (e) {
          messages.push((e as Error).message);
        }
      }
      onTimer(): void {}
    }
    // Beam's test is in the global window; here a fixed window, as its maximum timestamp + 1 ms is
    // beyond what a double holds exactly (window.ts).
    await outputsOf(Create.timestamped([{ value: kv("hello", 37), timestamp: 5 }]), (c) => c.apply(Window.into(new FixedWindows(10))).apply("Timers", ParDo.of(new OutOfBounds())));
    assert.equal(messages.length, 1);
    assert.match(messages[0]!, /timer/);
    assert.match(messages[0]!, /expiration/);
  });

  it("testTimerReceivedInOriginalWindow: each sliding window of the element gets its own firing in that window", async () => {
    class WindowOfTimer extends StatefulDoFn<string, number, string> {
      readonly timer = TimerSpec.eventTime("foo");
      process(_e: KV<string, number>, ctx: StatefulProcessContext<string>): void {
        ctx.timer(this.timer).offset(1000);
      }
      onTimer(_t: string, ctx: TimerContext<string, string>): void {
        ctx.output(ctx.window.id());
      }
    }
    const out = await outputsOf(Create.timestamped([{ value: kv("hello", 24), timestamp: 0 }]), (c) =>
      c.apply(Window.into(new SlidingWindows(180_000, 60_000))).apply("Timers", ParDo.of(new WindowOfTimer())),
    );
    assert.deepEqual(out.map((o) => `${o.value} in ${o.window}`).sort(), ["-120000:60000 in -120000:60000", "-60000:120000 in -60000:120000", "0:180000 in 0:180000"]);
  });

  it("testEventTimeTimerLoop: onTimer re-sets its own timer until the count reaches 5", async () => {
    class Loop extends StatefulDoFn<string, number, number> {
      readonly loop = TimerSpec.eventTime("timer");
      readonly count = StateSpec.value<number>("count");
      process(_e: KV<string, number>, ctx: StatefulProcessContext<number>): void {
        ctx.timer(this.loop).offset(1);
      }
      onTimer(_t: string, ctx: TimerContext<string, number>): void {
        const count = ctx.state(this.count).read() ?? 0;
        if (count < 5) {
          ctx.output(count);
          ctx.state(this.count).write(count + 1);
          ctx.timer(this.loop).offset(1);
        }
      }
    }
    const out = await outputsOf(Create.of(kv("hello", 42)), (c) => c.apply("Loop", ParDo.of(new Loop())));
    assert.deepEqual(valuesOf(out), ["0", "1", "2", "3", "4"]);
  });

  it("testEventTimeTimerMultipleKeys: every key's end-of-window timer fires once, with its own state", async () => {
    class PerKey extends StatefulDoFn<string, number, KV<string, number>> {
      readonly timer = TimerSpec.eventTime("foo");
      readonly key = StateSpec.value<string>("sizzle");
      process(e: KV<string, number>, ctx: StatefulProcessContext<KV<string, number>>): void {
        ctx.timer(this.timer).set(ctx.window.maxTimestamp());
        ctx.state(this.key).write(e.key);
        ctx.output(kv(e.key, e.value + 5000));
      }
      onTimer(_t: string, ctx: TimerContext<string, KV<string, number>>): void {
        ctx.output(kv(ctx.state(this.key).read()!, 4093));
      }
    }
    const input: KV<string, number>[] = [];
    const expected: string[] = [];
    for (let key = 0; key < 50; key++) {
      expected.push(`${key}=4093`);
      for (let i = 0; i < 15; i++) {
        input.push(kv(String(key), i));
        expected.push(`${key}=${i + 5000}`);
      }
    }
    input.reverse();
    const out = await outputsOf(Create.from(input), (c) => c.apply("PerKey", ParDo.of(new PerKey())));
    assert.deepEqual(out.map((o) => `${o.value.key}=${o.value.value}`).sort(), expected.sort());
  });

  it("testOutputTimestampDefault: onTimer's timestamp and outputs are the event-time timer's firing time", async () => {
    class Fire extends StatefulDoFn<string, number, number> {
      readonly timer = TimerSpec.eventTime("foo");
      process(_e: KV<string, number>, ctx: StatefulProcessContext<number>): void {
        ctx.timer(this.timer).set(ctx.timestamp + 10);
      }
      onTimer(_t: string, ctx: TimerContext<string, number>): void {
        ctx.output(ctx.timestamp);
      }
    }
    for (const source of [Create.timestamped([{ value: kv("hello", 1), timestamp: 3 }]), TestStream.create<KV<string, number>>().addElements({ value: kv("hello", 1), timestamp: 3 }).advanceWatermarkToInfinity()]) {
      const out = await outputsOf(source, (c) => c.apply("First", ParDo.of(new Fire())));
      assert.deepEqual(out.map((o) => `${o.value}@${o.timestamp}`), ["13@13"]);
    }
  });

  it("testProcessingTimeTimerCanBeReset / testEventTimeTimerCanBeReset: setting a timer again replaces it", async () => {
    class Reset extends StatefulDoFn<string, string, string> {
      constructor(readonly timer: TimerSpec) {
        super();
      }
      process(e: KV<string, string>, ctx: StatefulProcessContext<string>): void {
        ctx.timer(this.timer).offset(1000);
        ctx.output(e.value);
      }
      onTimer(_t: string, ctx: TimerContext<string, string>): void {
        ctx.output("timer_output");
      }
    }
    const two = (w: (s: TestStream<KV<string, string>>) => TestStream<KV<string, string>>): TestStream<KV<string, string>> =>
      w(TestStream.create<KV<string, string>>()).addElements({ value: kv("key", "input1"), timestamp: 0 }).addElements({ value: kv("key", "input2"), timestamp: 0 });
    const processing = await outputsOf(two((s) => s).advanceProcessingTime(60_000).advanceWatermarkToInfinity(), (c) => c.apply("Reset", ParDo.of(new Reset(TimerSpec.processingTime("foo")))));
    assert.deepEqual(valuesOf(processing), ["input1", "input2", "timer_output"]);
    const event = await outputsOf(two((s) => s.advanceWatermarkTo(0)).advanceWatermarkToInfinity(), (c) => c.apply("Reset", ParDo.of(new Reset(TimerSpec.eventTime("foo")))));
    assert.deepEqual(valuesOf(event), ["input1", "input2", "timer_output"]);
  });

  it("duplicateTimerSetting: a timer set twice in one call fires once", async () => {
    class Twice extends StatefulDoFn<string, string, string> {
      readonly timer = TimerSpec.eventTime("timer");
      process(_e: KV<string, string>, ctx: StatefulProcessContext<string>): void {
        ctx.timer(this.timer).offset(10 * 60_000);
        ctx.timer(this.timer).offset(30 * 60_000);
      }
      onTimer(_t: string, ctx: TimerContext<string, string>): void {
        ctx.output("It works");
      }
    }
    const stream = TestStream.create<KV<string, string>>().addElements({ value: kv("key1", "v1"), timestamp: 0 }).advanceWatermarkToInfinity();
    const out = await outputsOf(stream, (c) => c.apply("Twice", ParDo.of(new Twice())));
    assert.deepEqual(valuesOf(out), ["It works"]);
  });

  it("testTwoTimersSettingEachOther (TestStream, Create): timers fire in time order, including ones set by onTimer", async () => {
    const now = 1_500_000_000_000;
    const expected: string[] = [];
    for (let e = 0; e <= 100; e++) expected.push(`t1:${e}:${e}`, `t2:${e}:${e}`);
    const sources: Source<KV<string, string>>[] = [TestStream.create<KV<string, string>>().addElements({ value: kv("", ""), timestamp: 0 }).advanceWatermarkToInfinity(), Create.of(kv("", ""))];
    for (const source of sources) {
      const out = await outputsOf(source, (c) => c.apply("TwoTimers", ParDo.of(new TwoTimers(now, now + 100))));
      assert.deepEqual(valuesOf(out), expected.sort());
    }
  });

  it("testEventTimeTimerOrdering (TestStream, Create): a timer re-set by onTimer flushes the bag in order", async () => {
    const n = 100;
    const now = 1_500_000_000_000;
    let stream = TestStream.create<KV<string, string>>().advanceWatermarkTo(0);
    const elements: { value: KV<string, string>; timestamp: number }[] = [];
    for (let i = 0; i < n; i++) {
      const e = { value: kv("dummy", String(i)), timestamp: now + i * 1000 };
      elements.push(e);
      stream = stream.addElements(e);
      if ((i + 1) % 10 === 0) stream = stream.advanceWatermarkTo(now + (i + 1) * 1000);
    }
    const expected: string[] = [];
    for (let i = 0; i <= n; i++) {
      const upTo = Array.from({ length: Math.min(n - 1, i) + 1 }, (_, k) => String(k));
      expected.push(upTo.join(":") + (i === n ? ":cleanup" : ""));
    }
    for (const source of [stream.advanceWatermarkToInfinity(), Create.timestamped(elements)] as Source<KV<string, string>>[]) {
      const out = await outputsOf(source, (c) => c.apply("Ordered", ParDo.of(new OrderedFlush(now + (n + 1) * 1000, n))));
      assert.deepEqual(valuesOf(out), [...expected].sort());
    }
  });

  it("testClearTimer: a timer cleared by another timer's onTimer, or set and cleared by one element, does not fire", async () => {
    class Clearing extends StatefulDoFn<string, number, string> {
      readonly first = TimerSpec.eventTime("first");
      readonly second = TimerSpec.eventTime("second");
      readonly third = TimerSpec.eventTime("third");
      process(_e: KV<string, number>, ctx: StatefulProcessContext<string>): void {
        ctx.timer(this.first).set(10);
        ctx.timer(this.second).set(20);
        ctx.timer(this.third).set(30);
        ctx.timer(this.third).clear();
      }
      onTimer(timer: string, ctx: TimerContext<string, string>): void {
        if (timer === "first") ctx.timer(this.second).clear();
        ctx.output(`${timer}@${ctx.timestamp}`);
      }
    }
    for (const source of [Create.timestamped([{ value: kv("k", 1), timestamp: 0 }]), TestStream.create<KV<string, number>>().addElements({ value: kv("k", 1), timestamp: 0 }).advanceWatermarkTo(15).advanceWatermarkToInfinity()] as Source<KV<string, number>>[]) {
      const out = await outputsOf(source, (c) => c.apply("Clearing", ParDo.of(new Clearing())));
      assert.deepEqual(valuesOf(out), ["first@10"]);
    }
  });

  it("testPipelineOptionsParameterOnTimer: onTimer sees the pipeline's options", async () => {
    class Options extends StatefulDoFn<string, number, string> {
      readonly timer = TimerSpec.eventTime("thisTimer");
      process(_e: KV<string, number>, ctx: StatefulProcessContext<string>): void {
        ctx.timer(this.timer).set(ctx.window.maxTimestamp());
      }
      onTimer(_t: string, ctx: TimerContext<string, string>): void {
        ctx.output(String(ctx.runtime.options.jobName));
      }
    }
    const out: Observed<string>[] = [];
    await runOk((p) => collect(p.apply(Create.of(kv("a", 0))).apply("Options", ParDo.of(new Options())), out), { jobName: "not fake anymore" });
    assert.deepEqual(valuesOf(out), ["not fake anymore"]);
  });

  it("StatefulDoFnRunner: a processing-time timer of an expired window does not fire (its state is gone)", async () => {
    const stream = TestStream.create<KV<string, number>>()
      .addElements({ value: kv("expires", 1), timestamp: 1 }, { value: kv("lives", 25), timestamp: 25 })
      .advanceWatermarkTo(20) // [0, 10) expires with its pending processing-time timer; [20, 30) does not
      .advanceProcessingTime(60_000)
      .advanceWatermarkToInfinity();
    const out = await outputsOf(stream, (c) => c.apply(Window.into(new FixedWindows(10))).apply("Timers", ParDo.of(new ThreeThenFortyTwo("PROCESSING_TIME"))));
    assert.deepEqual(
      out.map((o) => `${o.value} ${o.window}`).sort(),
      ["3 0:10", "3 20:30", "42 20:30"],
    );
  });

  it("StatefulDoFnRunner: ...also when the watermark passes its window's expiry in the same step as processing time passes it", async () => {
    // A real-time source moves both clocks between two steps; TestStream moves one per event.
    const runtime = { options: defaultOptions(), runId: "t", transformName: "Timers", reportOutputs: () => undefined };
    const state = new InMemoryStateAndTimers(deterministicKeyCoder(), 0);
    const seen: string[] = [];
    const sink: Receiver = { receive: (v, meta) => void seen.push(`${String(v)} ${meta.windows.map((w) => w.id()).join()}`) };
    const op = new StatefulParDoOperator("Timers", new ThreeThenFortyTwo("PROCESSING_TIME") as unknown as AnyStatefulDoFn, new Map([["main", sink]]), undefined, new MetricsContainer("Timers"), runtime, { state, timers: state }, 0);
    const timers = statefulTimeAware(state, op);
    await op.startBundle();
    await op.receive(kv("expires", 1), { timestamp: 1, windows: [new IntervalWindow(0, 10)], pane: NO_FIRING });
    await op.receive(kv("lives", 25), { timestamp: 25, windows: [new IntervalWindow(20, 30)], pane: NO_FIRING });
    await op.finishBundle();
    await timers.advance({ inputWatermark: 20, processingTime: 60_000 });
    assert.deepEqual(seen.sort(), ["3 0:10", "3 20:30", "42 20:30"]);
    assert.equal(state.slotCount, 1);
  });

  it("keeps MIN_TIMESTAMP-based offsets exact (testEventTimeTimerBounded's element is at the minimum timestamp)", async () => {
    class When extends StatefulDoFn<string, number, number> {
      readonly timer = TimerSpec.eventTime("foo");
      process(_e: KV<string, number>, ctx: StatefulProcessContext<number>): void {
        ctx.timer(this.timer).offset(1000);
      }
      onTimer(_t: string, ctx: TimerContext<string, number>): void {
        ctx.output(ctx.timestamp - MIN_TIMESTAMP);
      }
    }
    const out = await outputsOf(Create.of(kv("hello", 37)), (c) => c.apply("When", ParDo.of(new When())));
    assert.deepEqual(valuesOf(out), ["1000"]);
  });
});
