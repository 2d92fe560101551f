/**
 * Timer families (dynamic timers) against Beam's own tests as the oracle: Beam Java's ParDoTest
 * TimerFamilyTests (testTimerFamilyEventTime, testTimerWithMultipleTimerFamily,
 * testTimerFamilyAndTimer, testTimerFamilyProcessingTime, bounded and unbounded) and Beam
 * Python's userstate_test dynamic timer cases (test_timer_default_tag,
 * test_dynamic_timer_simple_dofn, _clear_then_set_timer, _clear_timer, _multiple,
 * _and_simple_timer). Each (key, window, family, tag) is a timer of its own: set, reset and
 * cleared independently, with its own output timestamp. Batch (Create) and streaming
 * (TestStream); the DirectRunner runs both in one thread (a stateful step always goes to its
 * streaming driver, and a TestStream is one source), so parallel instances
 * (--direct_num_workers 2) are tested over Pub/Sub in test/streaming/parallel_timer_families.test.ts.
 */
import { strict as assert } from "node:assert";
import { Create, FixedWindows, kv, ParDo, StatefulDoFn, StateSpec, TestStream, TimerSpec, Window, type KV, type StatefulProcessContext, type TimerContext } from "../../lib";
import { labelledOutputs, outputsOf, runError, type Mode } from "./beam_helpers";

/** One element: KV("hello", 37) at `timestamp`, from Create (bounded) or a TestStream (unbounded). */
const hello = (mode: Mode, timestamp = 0) =>
  mode === "batch" ? Create.timestamped([{ value: kv("hello", 37), timestamp }]) : TestStream.create<KV<string, number>>().addElements({ value: kv("hello", 37), timestamp }).advanceWatermarkToInfinity();

/** Outputs as "value@timestamp", sorted. */
const stamped = (out: readonly { value: unknown; timestamp: number }[]): string[] => out.map((o) => `${String(o.value)}@${o.timestamp}`).sort();

/** Outputs (tag, output timestamp) from every timer of its families, as Python's emit_callback. */
abstract class EmitsTags<V> extends StatefulDoFn<string, V, string> {
  onTimer(timer: string, ctx: TimerContext<string, string>): void {
    ctx.output(`${timer}:${ctx.timerTag}`);
  }
}

describe("Beam conformance: timer families (ParDoTest TimerFamilyTests, userstate_test dynamic timers)", () => {
  for (const mode of ["batch", "streaming"] as const) {
    const bounded = mode === "batch" ? "Bounded" : "Unbounded";

    it(`testTimerFamilyEventTime${bounded}: two tags of one family both fire, onTimer told each tag`, async () => {
      class Fn extends StatefulDoFn<string, number, string> {
        readonly foo = TimerSpec.eventTimeFamily("foo");
        process(_e: KV<string, number>, ctx: StatefulProcessContext<string>): void {
          ctx.timer(this.foo, "timer1").set(1);
          ctx.timer(this.foo, "timer2").set(2);
          ctx.output("process");
        }
        onTimer(timer: string, ctx: TimerContext<string, string>): void {
          assert.equal(timer, "foo");
          ctx.output(ctx.timerTag);
        }
      }
      const out = await outputsOf(hello(mode), (c) => c.apply("Fn", ParDo.of(new Fn())));
      assert.deepEqual(stamped(out), ["process@0", "timer1@1", "timer2@2"], "each tag's output carries its own firing time");
    });

    it(`testTimerWithMultipleTimerFamily${bounded}: the same tag in two families is two timers`, async () => {
      class Fn extends StatefulDoFn<string, number, string> {
        readonly foo = TimerSpec.eventTimeFamily("foo");
        readonly bar = TimerSpec.eventTimeFamily("bar");
        process(_e: KV<string, number>, ctx: StatefulProcessContext<string>): void {
          ctx.timer(this.foo, "timer").set(1);
          ctx.timer(this.bar, "timer").set(2);
          ctx.output("process");
        }
        onTimer(timer: string, ctx: TimerContext<string, string>): void {
          ctx.output(`${timer}:${ctx.timerTag}`);
        }
      }
      const out = await outputsOf(hello(mode), (c) => c.apply("Fn", ParDo.of(new Fn())));
      assert.deepEqual(stamped(out), ["bar:timer@2", "foo:timer@1", "process@0"]);
    });

    it(`testTimerFamilyAndTimer${bounded}: a family's tag and a plain timer of the same name are distinct`, async () => {
      class Fn extends StatefulDoFn<string, number, string> {
        readonly foo = TimerSpec.eventTimeFamily("foo");
        readonly timer = TimerSpec.eventTime("timer");
        process(_e: KV<string, number>, ctx: StatefulProcessContext<string>): void {
          ctx.timer(this.foo, "timer").set(1);
          ctx.timer(this.timer).set(2);
          ctx.output("process");
        }
        onTimer(timer: string, ctx: TimerContext<string, string>): void {
          ctx.output(timer === "foo" ? `family:foo:${ctx.timerTag}` : `${timer}[${ctx.timerTag}]`);
        }
      }
      const out = await outputsOf(hello(mode), (c) => c.apply("Fn", ParDo.of(new Fn())));
      assert.deepEqual(stamped(out), ["family:foo:timer@1", "process@0", "timer[]@2"], "a plain timer's tag is empty");
    });
  }

  it("testTimerFamilyProcessingTime: a processing-time family's timer fires when processing time passes it", async () => {
    class Fn extends StatefulDoFn<string, number, number> {
      readonly foo = TimerSpec.processingTimeFamily("foo");
      process(_e: KV<string, number>, ctx: StatefulProcessContext<number>): void {
        ctx.timer(this.foo, "timerId1").offset(1_000);
        ctx.output(3);
      }
      onTimer(_timer: string, ctx: TimerContext<string, number>): void {
        if (ctx.timeDomain === "PROCESSING_TIME" && ctx.timerTag === "timerId1") ctx.output(42);
      }
    }
    const stream = TestStream.create<KV<string, number>>().addElements({ value: kv("hello", 37), timestamp: 0 }).advanceProcessingTime(2_000).advanceWatermarkToInfinity();
    const out = await outputsOf(stream, (c) => c.apply("Fn", ParDo.of(new Fn())));
    assert.deepEqual(stamped(out), ["3@0", "42@0"], "the processing-time timer's outputs carry the event time of what set it");
  });

  // ---- Beam Python's userstate_test ----

  it("test_timer_default_tag: the tag '' set twice is one timer, reset to the later time", async () => {
    class Fn extends EmitsTags<number> {
      readonly emit = TimerSpec.eventTimeFamily("emit");
      process(_e: KV<string, number>, ctx: StatefulProcessContext<string>): void {
        ctx.timer(this.emit, "").set(10);
        ctx.timer(this.emit, "").set(20);
      }
    }
    const stream = TestStream.create<KV<string, number>>().advanceWatermarkTo(10).addElements({ value: kv("mykey", 1), timestamp: 10 }).advanceWatermarkToInfinity();
    const out = await outputsOf(stream, (c) => c.apply("Fn", ParDo.of(new Fn())));
    assert.deepEqual(stamped(out), ["emit:@20"]);
  });

  it("test_dynamic_timer_simple_dofn: three tags fire at their own times", async () => {
    class Fn extends EmitsTags<number> {
      readonly emit = TimerSpec.eventTimeFamily("emit");
      process(_e: KV<string, number>, ctx: StatefulProcessContext<string>): void {
        ctx.timer(this.emit, "emit1").set(10);
        ctx.timer(this.emit, "emit2").set(20);
        ctx.timer(this.emit, "emit3").set(30);
      }
    }
    const stream = TestStream.create<KV<string, number>>().advanceWatermarkTo(10).addElements({ value: kv("mykey", 1), timestamp: 10 }).advanceWatermarkToInfinity();
    const out = await outputsOf(stream, (c) => c.apply("Fn", ParDo.of(new Fn())));
    assert.deepEqual(stamped(out), ["emit:emit1@10", "emit:emit2@20", "emit:emit3@30"]);
  });

  it("test_dynamic_timer_clear_then_set_timer: a tag set, cleared and set again fires once, at the last time; the other tags are untouched", async () => {
    class EmitTwoEvents extends StatefulDoFn<string, string, KV<string, string>> {
      readonly emitClear = TimerSpec.eventTime("emitclear");
      process(_e: KV<string, string>, ctx: StatefulProcessContext<KV<string, string>>): void {
        ctx.output(kv("1", "set"));
        ctx.timer(this.emitClear).set(1);
      }
      onTimer(_timer: string, ctx: TimerContext<string, KV<string, string>>): void {
        ctx.output(kv("1", "clear"));
      }
    }
    class Fn extends EmitsTags<string> {
      readonly emit = TimerSpec.eventTimeFamily("emit");
      process(e: KV<string, string>, ctx: StatefulProcessContext<string>): void {
        if (e.value === "set") {
          ctx.timer(this.emit, "emit1").set(10);
          ctx.timer(this.emit, "emit2").set(20);
        }
        if (e.value === "clear") {
          ctx.timer(this.emit, "emit3").set(30);
          ctx.timer(this.emit, "emit3").clear();
          ctx.timer(this.emit, "emit3").set(40);
        }
      }
    }
    const out = await outputsOf(Create.of(kv("1", "impulse")), (c) => c.apply("EmitTwoEvents", ParDo.of(new EmitTwoEvents())).apply("Fn", ParDo.of(new Fn())));
    assert.deepEqual(stamped(out), ["emit:emit1@10", "emit:emit2@20", "emit:emit3@40"]);
  });

  it("test_dynamic_timer_clear_timer: clearing one tag leaves the family's other tags set", async () => {
    class Fn extends EmitsTags<string> {
      readonly emit = TimerSpec.eventTimeFamily("emit");
      process(e: KV<string, string>, ctx: StatefulProcessContext<string>): void {
        if (e.value === "set") for (const [tag, t] of [["emit1", 10], ["emit2", 20], ["emit3", 30]] as const) ctx.timer(this.emit, tag).set(t);
        if (e.value === "clear") ctx.timer(this.emit, "emit3").clear();
      }
    }
    const stream = TestStream.create<KV<string, string>>()
      .advanceWatermarkTo(5)
      .addElements({ value: kv("mykey", "set"), timestamp: 5 })
      .advanceWatermarkTo(10)
      .addElements({ value: kv("mykey", "clear"), timestamp: 10 })
      .advanceWatermarkToInfinity();
    const out = await outputsOf(stream, (c) => c.apply("Fn", ParDo.of(new Fn())));
    assert.deepEqual(stamped(out), ["emit:emit1@10", "emit:emit2@20"]);
  });

  it("test_dynamic_timer_multiple: two families, three tags each, set in different orders", async () => {
    class Fn extends EmitsTags<number> {
      readonly emit1 = TimerSpec.eventTimeFamily("emit_family_1");
      readonly emit2 = TimerSpec.eventTimeFamily("emit_family_2");
      process(_e: KV<string, number>, ctx: StatefulProcessContext<string>): void {
        ctx.timer(this.emit1, "emit11").set(10);
        ctx.timer(this.emit1, "emit12").set(20);
        ctx.timer(this.emit1, "emit13").set(30);
        ctx.timer(this.emit2, "emit21").set(30);
        ctx.timer(this.emit2, "emit22").set(20);
        ctx.timer(this.emit2, "emit23").set(10);
      }
    }
    const stream = TestStream.create<KV<string, number>>().advanceWatermarkTo(5).addElements({ value: kv("mykey", 1), timestamp: 5 }).advanceWatermarkToInfinity();
    const out = await outputsOf(stream, (c) => c.apply("Fn", ParDo.of(new Fn())));
    assert.deepEqual(stamped(out), ["emit_family_1:emit11@10", "emit_family_1:emit12@20", "emit_family_1:emit13@30", "emit_family_2:emit21@30", "emit_family_2:emit22@20", "emit_family_2:emit23@10"]);
  });

  it("test_dynamic_timer_and_simple_timer: a family's tags and a plain timer together", async () => {
    class Fn extends EmitsTags<number> {
      readonly emit = TimerSpec.eventTimeFamily("emit");
      readonly gc = TimerSpec.eventTime("gc");
      process(_e: KV<string, number>, ctx: StatefulProcessContext<string>): void {
        for (const [tag, t] of [["emit1", 10], ["emit2", 20], ["emit3", 30]] as const) ctx.timer(this.emit, tag).set(t);
        ctx.timer(this.gc).set(40);
      }
    }
    const stream = TestStream.create<KV<string, number>>().advanceWatermarkTo(5).addElements({ value: kv("mykey", 1), timestamp: 5 }).advanceWatermarkToInfinity();
    const out = await outputsOf(stream, (c) => c.apply("Fn", ParDo.of(new Fn())));
    assert.deepEqual(stamped(out), ["emit:emit1@10", "emit:emit2@20", "emit:emit3@30", "gc:@40"]);
  });

  // ---- independence per key and window, output timestamps, state, errors ----

  /**
   * Per element (key, "tag,time"): sets that tag of the family, holding the output watermark at
   * time - 1; onTimer counts the key's firings in state and re-sets tag "again" once.
   */
  class PerTag extends StatefulDoFn<string, string, string> {
    readonly fired = StateSpec.value<number>("fired");
    readonly perTag = TimerSpec.eventTimeFamily("perTag");
    process(e: KV<string, string>, ctx: StatefulProcessContext<string>): void {
      const [tag, at] = e.value.split(",");
      const time = Number(at);
      ctx.timer(this.perTag, tag!).withOutputTimestamp(Math.max(ctx.timestamp, time - 1)).set(time);
    }
    onTimer(_timer: string, ctx: TimerContext<string, string>): void {
      ctx.state(this.fired).write((ctx.state(this.fired).read() ?? 0) + 1);
      ctx.output(`${ctx.key} ${ctx.window.maxTimestamp()} ${ctx.timerTag} fired=${ctx.fireTimestamp} n=${ctx.state(this.fired).read()}`);
      if (ctx.timerTag !== "again" && ctx.timerTag.startsWith("x")) ctx.timer(this.perTag, "again").set(ctx.window.maxTimestamp());
    }
  }

  const perTagInput = [
    { value: kv("a", "x,5"), timestamp: 1 },
    { value: kv("a", "y,6"), timestamp: 2 },
    { value: kv("a", "y,8"), timestamp: 3 }, // resets a's y in window 0..9
    { value: kv("b", "x,7"), timestamp: 1 }, // same tag, other key
    { value: kv("a", "x,15"), timestamp: 12 }, // same key and tag, other window
  ];
  const perTagExpected = [
    "a 19 again fired=19 n=2@19",
    "a 19 x fired=15 n=1@14",
    "a 9 again fired=9 n=3@9",
    "a 9 x fired=5 n=1@4",
    "a 9 y fired=8 n=2@7",
    "b 9 again fired=9 n=2@9",
    "b 9 x fired=7 n=1@6",
  ];

  for (const [label, options] of [
    ["batch", {}],
    ["streaming", { streaming: true }],
  ] as const) {
    it(`each (key, window, family, tag) is its own timer, with its own output timestamp: ${label}`, async () => {
      const out = await labelledOutputs(
        (p, collectAs) => {
          const input = "streaming" in options ? p.apply("Input", TestStream.create<KV<string, string>>().addElements(...perTagInput).advanceWatermarkToInfinity()) : p.apply("Input", Create.timestamped(perTagInput));
          collectAs("out", input.apply("Window", Window.into(new FixedWindows(10))).apply("PerTag", ParDo.of(new PerTag())));
        },
        (o) => `${String(o.value)}@${o.timestamp}`,
        options,
      );
      assert.deepEqual(out["out"], perTagExpected);
    });
  }

  it("a family's timer set past its window's expiry fails, naming the step, family and tag", async () => {
    class Late extends EmitsTags<number> {
      readonly f = TimerSpec.eventTimeFamily("f");
      process(_e: KV<string, number>, ctx: StatefulProcessContext<string>): void {
        ctx.timer(this.f, "tooLate").set(ctx.window.maxTimestamp() + 1);
      }
    }
    const err = await runError((p) => {
      p.apply(Create.timestamped([{ value: kv("a", 1), timestamp: 1 }]))
        .apply(Window.into(new FixedWindows(10)))
        .apply("LateTimer", ParDo.of(new Late()));
    });
    assert.match(err.message, /LateTimer.*event-time timer 'f' \(tag 'tooLate'\) for 10, after the expiration of its window/s);
  });

  it("a family used without a tag (an untyped caller) fails, naming the step and the fix", async () => {
    class NoTag extends EmitsTags<number> {
      readonly f = TimerSpec.eventTimeFamily("f");
      process(_e: KV<string, number>, ctx: StatefulProcessContext<string>): void {
        (ctx.timer as (spec: unknown) => { set(t: number): void })(this.f).set(5);
      }
    }
    const err = await runError((p) => void p.apply(Create.of(kv("a", 1))).apply("NoTag", ParDo.of(new NoTag())));
    assert.match(err.message, /NoTag.*timer family 'f' without a tag.*ctx\.timer\(spec, tag\)/s);
  });
});
