/**
 * Beam Python's userstate_test.py (StatefulDoFnOnDirectRunnerTest, StatefulDoFnTest) cases not in
 * beam_timers_python.test.ts / beam_state.test.ts: ReadModifyWriteState (Beamline's ValueState),
 * its clearing, CombiningValueState flushed by a timer, one callback for two timers, and the check
 * that a stateful DoFn's input is keyed. TestStream scripts as Python's (times in ms here, seconds
 * there); the batch forms run with one worker and with --direct_num_workers 2.
 */
import { strict as assert } from "node:assert";
import { Combiners, Create, ParDo, TestStream, kv, type KV, type PCollection, type Pipeline } from "../../lib";
import { StatefulDoFn, StateSpec, TimerSpec, type StatefulProcessContext, type TimerContext } from "../../lib/model/state";
import { labelledOutputs, outputsOf } from "./beam_helpers";
import { runDirect } from "../helpers";

const aStream = (): TestStream<KV<string, number>> =>
  TestStream.create<KV<string, number>>()
    .advanceWatermarkTo(0)
    .addElements({ value: kv("a", 1), timestamp: 0 })
    .advanceWatermarkTo(10)
    .addElements({ value: kv("a", 3), timestamp: 10 })
    .advanceWatermarkTo(20)
    .addElements({ value: kv("a", 5), timestamp: 20 })
    .advanceWatermarkToInfinity();

class ReadModifyWrite extends StatefulDoFn<string, number, string> {
  readonly value = StateSpec.value<string>("value");
  process(e: KV<string, number>, ctx: StatefulProcessContext<string>): void {
    const last = ctx.state(this.value);
    last.write(`${e.key}:${e.value}`);
    ctx.output(last.read()!);
  }
}

class ClearingReadModifyWrite extends StatefulDoFn<string, number, string> {
  readonly value = StateSpec.value<string>("value");
  process(e: KV<string, number>, ctx: StatefulProcessContext<string>): void {
    const last = ctx.state(this.value);
    const before = last.read();
    if (before !== undefined) ctx.output(before);
    last.clear();
    // Python's "%s:%s" % (None, v): a cleared state reads as nothing.
    last.write(`${last.read() === undefined ? "None" : String(last.read())}:${e.value}`);
    if (e.value === 5) ctx.output(last.read()!);
  }
}

class CombiningFlushedByTimer extends StatefulDoFn<string, number, string> {
  readonly buffer = StateSpec.combining("buffer", Combiners.toList<number>());
  readonly expiry = TimerSpec.eventTime("expiry1");
  process(e: KV<string, number>, ctx: StatefulProcessContext<string>): void {
    ctx.state(this.buffer).add(e.value);
    ctx.timer(this.expiry).set(20);
  }
  onTimer(_timer: string, ctx: TimerContext<string, string>): void {
    ctx.output([...ctx.state(this.buffer).read()].sort((a, b) => a - b).join(""));
  }
}

/** Python's `@on_timer(EMIT_TWICE_TIMER) @on_timer(EMIT_TIMER)` on one method: onTimer gets either name. */
class TwoTimersOneFunction extends StatefulDoFn<string, string, string> {
  readonly bag = StateSpec.bag<string>("bag_state");
  readonly emit = TimerSpec.eventTime("emit_timer");
  readonly emitTwice = TimerSpec.eventTime("clear_timer");
  process(e: KV<string, string>, ctx: StatefulProcessContext<string>): void {
    ctx.state(this.bag).add(e.value);
    ctx.timer(this.emitTwice).set(100);
    ctx.timer(this.emit).set(1000);
  }
  onTimer(_timer: string, ctx: TimerContext<string, string>): void {
    for (const v of ctx.state(this.bag).read()) ctx.output(v);
  }
}

describe("Beam Python userstate_test.py (StatefulDoFnOnDirectRunnerTest), streaming", () => {
  it("test_simple_read_modify_write_stateful_dofn", async () => {
    const out = await outputsOf(aStream(), (c) => c.apply(ParDo.of(new ReadModifyWrite())));
    assert.deepEqual(out.map((o) => o.value), ["a:1", "a:3", "a:5"]);
  });

  it("test_clearing_read_modify_write_state", async () => {
    const out = await outputsOf(aStream(), (c) => c.apply(ParDo.of(new ClearingReadModifyWrite())));
    assert.deepEqual(out.map((o) => o.value), ["None:1", "None:3", "None:5"]);
  });

  it("test_simple_stateful_dofn_combining: the timer flushes the combined buffer, then again with a late addition", async () => {
    const stream = TestStream.create<number>()
      .advanceWatermarkTo(10)
      .addElements({ value: 1, timestamp: 10 }, { value: 2, timestamp: 10 })
      .addElements({ value: 3, timestamp: 10 })
      .advanceWatermarkTo(25)
      .addElements({ value: 4, timestamp: 25 })
      .advanceWatermarkToInfinity();
    const out = await outputsOf(stream, (c) => c.map("Key", (x: number) => kv("mykey", x)).apply(ParDo.of(new CombiningFlushedByTimer())));
    assert.deepEqual(out.map((o) => o.value), ["123", "1234"]);
  });

  it("test_two_timers_one_function: each of two timers runs the one callback", async () => {
    const stream = TestStream.create<KV<string, string>>().advanceWatermarkTo(0).addElements({ value: kv("key", "value"), timestamp: 0 }).advanceWatermarkTo(100).advanceWatermarkToInfinity();
    const out = await outputsOf(stream, (c) => c.apply(ParDo.of(new TwoTimersOneFunction())));
    assert.deepEqual(out.map((o) => o.value), ["value", "value"]);
  });
});

for (const workers of [1, 2] as const) {
  describe(`Beam Python userstate_test.py, batch, --direct_num_workers ${workers}`, () => {
    it("test_simple_stateful_dofn_combining, test_two_timers_one_function over Create: timers fire once the input is done", async () => {
      const r = await labelledOutputs(
        (p, out) => {
          out("Combining", p.apply("Numbers", Create.of(1, 2, 3, 4)).map("Key", (x: number) => kv("mykey", x)).apply("Combine", ParDo.of(new CombiningFlushedByTimer())));
          out("TwoTimers", p.apply("Values", Create.of(kv("key", "value"))).apply("TwoTimers", ParDo.of(new TwoTimersOneFunction())));
        },
        undefined,
        { directNumWorkers: workers },
      );
      assert.deepEqual(r, { Combining: ['"1234"'], TwoTimers: ['"value"', '"value"'] });
    });
  });
}

describe("Beam Python userstate_test.py (StatefulDoFnTest)", () => {
  it("test_stateful_dofn_nonkeyed_input: a stateful DoFn over elements that are not key-value pairs is refused, naming the transform", async () => {
    class Stateful extends StatefulDoFn<unknown, unknown, string> {
      readonly s = StateSpec.value<string>("s");
      process(): void {}
    }
    let error: Error | undefined;
    try {
      // TypeScript refuses this when it is written typed; a program in plain JavaScript is checked when it runs.
      const numbers = (p: Pipeline): PCollection<KV<unknown, unknown>> => p.apply(Create.of(1, 2, 3)) as unknown as PCollection<KV<unknown, unknown>>;
      await (await runDirect((p) => numbers(p).apply("StatefulOnNumbers", ParDo.of(new Stateful())))).waitUntilFinish();
    } catch (e) {
      error = e as Error;
    }
    assert.ok(error !== undefined, "the pipeline ran");
    assert.match(error.message, /StatefulOnNumbers/);
    assert.match(error.message, /is not a KV/);
  });
});
