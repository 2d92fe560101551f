/**
 * Beam Python's timer tests (userstate_test.py, StatefulDoFnOnDirectRunnerTest) as the oracle:
 * the same TestStream scripts and DoFns, with Beam's expected outputs.
 */
import { strict as assert } from "node:assert";
import { Create, FixedWindows, GlobalWindows, GroupByKey, kv, KV, ParDo, Window } from "../../lib";
import { StatefulDoFn, StatefulProcessContext, StateSpec, TimerContext, TimerSpec } from "../../lib/model/state";
import { TestStream } from "../../lib/testing/test_stream";
import { outputsOf, valuesOf } from "./beam_helpers";

describe("Beam conformance: timers (userstate_test.py)", () => {
  it("test_simple_stateful_dofn (Python): a timer fires once the watermark passes it; one set in the past fires at once", async () => {
    class Simple extends StatefulDoFn<string, number, string> {
      readonly buffer = StateSpec.bag<string>("buffer");
      readonly expiry = TimerSpec.eventTime("expiry");
      process(e: KV<string, number>, ctx: StatefulProcessContext<string>): void {
        ctx.state(this.buffer).add(`A${e.value}`);
        ctx.timer(this.expiry).set(20);
      }
      onTimer(_t: string, ctx: TimerContext<string, string>): void {
        ctx.output([...ctx.state(this.buffer).read()].sort().join(""));
      }
    }
    const stream = TestStream.create<number>()
      .advanceWatermarkTo(10)
      .addElements({ value: 1, timestamp: 10 }, { value: 2, timestamp: 10 })
      .addElements({ value: 3, timestamp: 10 })
      .advanceWatermarkTo(25)
      .addElements({ value: 4, timestamp: 25 })
      .advanceWatermarkToInfinity();
    const out = await outputsOf(stream, (c) => c.map("Key", (x: number) => kv("mykey", x)).apply("Simple", ParDo.of(new Simple())));
    assert.deepEqual(
      out.map((o) => o.value),
      ["A1A2A3", "A1A2A3A4"],
    );
  });

  it("test_timer_output_timestamp (Python): onTimer's outputs carry each timer's time", async () => {
    class ThreeTimers extends StatefulDoFn<string, number, string> {
      readonly t1 = TimerSpec.eventTime("emit1");
      readonly t2 = TimerSpec.eventTime("emit2");
      readonly t3 = TimerSpec.eventTime("emit3");
      process(_e: KV<string, number>, ctx: StatefulProcessContext<string>): void {
        ctx.timer(this.t1).set(10);
        ctx.timer(this.t2).set(20);
        ctx.timer(this.t3).set(30);
      }
      onTimer(timer: string, ctx: TimerContext<string, string>): void {
        ctx.output(timer.replace("emit", "timer"));
      }
    }
    const stream = TestStream.create<number>().advanceWatermarkTo(10).addElements({ value: 1, timestamp: 10 }).advanceWatermarkToInfinity();
    const out = await outputsOf(stream, (c) => c.map("Key", (x: number) => kv("mykey", x)).apply("Timers", ParDo.of(new ThreeTimers())));
    assert.deepEqual(out.map((o) => `${o.value}@${o.timestamp}`).sort(), ["timer1@10", "timer2@20", "timer3@30"]);
  });

  it("test_timer_output_timestamp_and_window (Python): onTimer sees its key, time and window", async () => {
    class InWindow extends StatefulDoFn<string, number, string> {
      readonly t1 = TimerSpec.eventTime("emit1");
      process(_e: KV<string, number>, ctx: StatefulProcessContext<string>): void {
        ctx.timer(this.t1).set(10);
      }
      onTimer(_t: string, ctx: TimerContext<string, string>): void {
        ctx.output(`timer1-${ctx.key} ${ctx.timestamp} ${ctx.window.id()}`);
      }
    }
    const stream = TestStream.create<number>().advanceWatermarkTo(10).addElements({ value: 1, timestamp: 10 }).advanceWatermarkToInfinity();
    const out = await outputsOf(stream, (c) =>
      c
        .map("Key", (x: number) => kv("mykey", x))
        .apply(Window.into(new FixedWindows(5)))
        .apply("InWindow", ParDo.of(new InWindow())),
    );
    assert.deepEqual(valuesOf(out), ["timer1-mykey 10 10:15"]);
  });

  it("test_hash_join (Python): a timer cleared by process does not fire; unmatched values are flushed by it", async () => {
    class HashJoin extends StatefulDoFn<string, string, string> {
      readonly buffer = StateSpec.bag<string>("buffer");
      readonly unmatched = TimerSpec.eventTime("unmatched");
      process(e: KV<string, string>, ctx: StatefulProcessContext<string>): void {
        const existing = ctx.state(this.buffer).read();
        if (existing.length === 0) {
          ctx.state(this.buffer).add(e.value);
          ctx.timer(this.unmatched).set(100);
        } else {
          ctx.output(`Record<${e.key},${existing[0]},${e.value}>`);
          ctx.state(this.buffer).clear();
          ctx.timer(this.unmatched).clear();
        }
      }
      onTimer(_t: string, ctx: TimerContext<string, string>): void {
        const buffered = ctx.state(this.buffer).read();
        assert.equal(buffered.length, 1, `${buffered}`);
        ctx.state(this.buffer).clear();
        ctx.output(`Unmatched<${buffered[0]}>`);
      }
    }
    const at = (t: number, ...pairs: [string, string][]): { value: KV<string, string>; timestamp: number }[] => pairs.map(([k, v]) => ({ value: kv(k, v), timestamp: t }));
    const stream = TestStream.create<KV<string, string>>()
      .advanceWatermarkTo(10)
      .addElements(...at(10, ["A", "a"], ["B", "b"]))
      .addElements(...at(10, ["A", "aa"], ["C", "c"]))
      .advanceWatermarkTo(25)
      .addElements(...at(25, ["A", "aaa"], ["B", "bb"]))
      .addElements(...at(25, ["D", "d"], ["D", "dd"], ["D", "ddd"], ["D", "dddd"]))
      .advanceWatermarkTo(125)
      .addElements(...at(125, ["C", "cc"]))
      .advanceWatermarkToInfinity();
    const out = await outputsOf(stream, (c) => c.apply("Join", ParDo.of(new HashJoin())));
    assert.deepEqual(valuesOf(out), ["Record<A,a,aa>", "Record<B,b,bb>", "Record<D,d,dd>", "Record<D,ddd,dddd>", "Unmatched<aaa>", "Unmatched<c>", "Unmatched<cc>"].sort());
  });

  it("test_generate_sequence_with_realtime_timer (Python): a processing-time timer re-set by onTimer, between elements", async () => {
    class Generate extends StatefulDoFn<string, number, string> {
      readonly emit = TimerSpec.processingTime("emit_timer");
      readonly count = StateSpec.combining("count_state", { createAccumulator: () => 0, addInput: (a: number) => a + 1, mergeAccumulators: (as: number[]) => as.reduce((x, y) => x + y, 0), extractOutput: (a: number) => a });
      process(e: KV<string, number>, ctx: StatefulProcessContext<string>): void {
        ctx.timer(this.emit).set(1); // absolute processing time, as the Python test does
        ctx.output(String(e.value));
      }
      onTimer(_t: string, ctx: TimerContext<string, string>): void {
        const count = ctx.state(this.count).read();
        if (count === 3) return;
        ctx.state(this.count).add(1);
        ctx.timer(this.emit).set(count + 2);
        ctx.output("value");
      }
    }
    const stream = TestStream.create<KV<string, number>>()
      .advanceWatermarkTo(0)
      .addElements({ value: kv("key", 0), timestamp: 0 })
      .advanceProcessingTime(1)
      .addElements({ value: kv("key", 1), timestamp: 0 })
      .advanceProcessingTime(1)
      .addElements({ value: kv("key", 2), timestamp: 0 })
      .advanceProcessingTime(1)
      .addElements({ value: kv("key", 3), timestamp: 0 })
      .advanceWatermarkToInfinity();
    const out = await outputsOf(stream, (c) => c.apply(Window.into(new GlobalWindows())).apply("Generate", ParDo.of(new Generate())));
    assert.deepEqual(
      out.map((o) => o.value),
      ["0", "value", "1", "value", "2", "value", "3"],
    );
  });

  it("test_stateful_sum_then_gbk (Python): onTimer's outputs, in the timer's window, reach a GroupByKey on time", async () => {
    class EmitAll extends StatefulDoFn<string, number, KV<string, number>> {
      readonly values = StateSpec.bag<number>("buffer");
      readonly emit = TimerSpec.eventTime("emit_timer");
      process(e: KV<string, number>, ctx: StatefulProcessContext<KV<string, number>>): void {
        ctx.state(this.values).add(e.value);
        if (ctx.state(this.values).read().length === 5) ctx.timer(this.emit).set(1);
        ctx.output(e);
      }
      onTimer(_t: string, ctx: TimerContext<string, KV<string, number>>): void {
        for (const v of ctx.state(this.values).read()) ctx.output(kv("key", v));
      }
    }
    const result = await outputsOf(Create.timestamped([1, 2, 3, 4, 5].map((v) => ({ value: kv("key", v), timestamp: 1 }))), (c) =>
      c
        .apply(Window.into(new FixedWindows(1)))
        .apply("EmitAll", ParDo.of(new EmitAll()))
        .apply(GroupByKey.create<string, number>())
        .map("Sort", (g: KV<string, number[]>) => `${g.key}:${[...g.value].sort((a, b) => a - b).join(",")}`),
    );
    assert.deepEqual(valuesOf(result), ["key:1,1,2,2,3,3,4,4,5,5"]);
  });

});
