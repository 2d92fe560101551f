/**
 * Beam Python's fn_runner_test.py (FnApiRunnerTest) user state and timer cases, and
 * portable_runner_test.py's test_pardo_state_with_custom_key_coder: a combining and a
 * read-modify-write state read back at once, timers set twice (the last set wins) that set
 * themselves again, a timer cleared after it was set, a bag buffer flushed by a timer in the
 * global window and in 1 s windows (state and timers kept per window), dynamic timers (Beamline's
 * timer families), and state under 100 keys. On the DirectRunner in batch, in streaming and with
 * --direct_num_workers 2; the state-only cases also through the Fn API harness (the test runner in
 * mini_runner.ts fires no timers; Prism runs the timer cases, real_runner_fn_runner.test.ts).
 * Python's timestamps are seconds; here they are milliseconds.
 */
import { strict as assert } from "node:assert";
import { Create, FixedWindows, GlobalWindows, Impulse, kv, ParDo, TestStream, Window, type KV } from "../../lib";
import { StatefulDoFn, TimerSpec, type StatefulProcessContext, type TimerContext } from "../../lib/model/state";
import { AddIndex, BufferDoFn, ClearingTimerDoFn, DynamicTimerDoFn, RunningIndex, TimerDoFn } from "./fn_runner_dofns";
import { labelledOutputs } from "./beam_helpers";
import { DIRECT_ONLY, EVERYWHERE, jsonSorted, outputsOn, type Where } from "./fn_runner_helpers";

/** The bag buffer's outputs: each element once, at most 3 per output, and (windowed) each output from one window. */
function checkBuffered(actual: readonly string[][], windowed: boolean): void {
  assert.deepEqual(actual.flat().sort(), [..."abcdefgh"], JSON.stringify(actual));
  assert.equal(Math.max(...actual.map((b) => b.length)), 3, JSON.stringify(actual));
  if (windowed) for (const b of actual) assert.equal(new Set(b.map((e) => e.charCodeAt(0) % 2)).size, 1, JSON.stringify(b));
}

function cases(where: Where): void {
  const on = (places: readonly Where[]) => (places.includes(where) ? it : () => undefined);
  const run = (build: Parameters<typeof outputsOn>[1], format?: Parameters<typeof outputsOn>[2]) => outputsOn(where, build, format);

  on(EVERYWHERE)("test_pardo_state_only, test_pardo_state_with_custom_key_coder: combining and read-modify-write state", async () => {
    const n = 200;
    const split = n / 2;
    const r = await run((p, out) => {
      out("AddIndex", p.apply("Create", Create.of(kv("A", "a"), kv("A", "a"), kv("B", "b"), kv("B", "b"), kv("B", "b"))).apply("AddIndex", ParDo.of(new AddIndex())));
      const inputs = Array.from({ length: n }, (_, i) => kv(i % split, String(i % split)));
      out("CustomKey", p.apply("Impulse", Impulse.create()).flatMap("Input", () => inputs).apply("RunningIndex", ParDo.of(new RunningIndex())));
    });
    assert.deepEqual(r.AddIndex, jsonSorted([["A", "a", 1, "a:1"], ["A", "a", 2, "a:2"], ["B", "b", 1, "b:1"], ["B", "b", 2, "b:2"], ["B", "b", 3, "b:3"]]));
    assert.deepEqual(r.CustomKey, jsonSorted(Array.from({ length: n }, (_, i) => [i % split, String(i % split), Math.floor(i / split) + 1])));
  });

  on(DIRECT_ONLY)("test_pardo_timers, test_pardo_timers_clear: the last set wins, a timer may set itself again, a cleared timer never fires", async () => {
    const r = await run(
      (p, out) => {
        const input = p.apply("Create", Create.of(kv("k1", 10), kv("k2", 100)));
        out("Timers", input.apply("Timers", ParDo.of(new TimerDoFn())));
        out("Clear", input.apply("Clear", ParDo.of(new ClearingTimerDoFn())));
      },
      (o) => `${String(o.value)}@${o.timestamp}`,
    );
    assert.deepEqual(r, { Timers: ["fired@20", "fired@200", "fired@40", "fired@400"].sort(), Clear: ["fired@20", "fired@200"] });
  });

  for (const windowed of [false, true]) {
    on(DIRECT_ONLY)(`${windowed ? "test_windowed_pardo_state_timers" : "test_pardo_state_timers"}: a bag buffer flushed by size and by a timer`, async () => {
      const r = await run((p, out) => {
        const elements = p.apply("Create", Create.timestamped([..."abcdefgh"].map((e) => ({ value: e, timestamp: (e.charCodeAt(0) % 2) * 1000 }))));
        const windowedElements = windowed ? elements.apply("Window", Window.into(new FixedWindows(1000))) : elements.apply("Window", Window.into(new GlobalWindows()));
        out("Buffered", windowedElements.map("Key", (x: string) => kv("key", x)).apply("Buffer", ParDo.of(new BufferDoFn())));
      });
      checkBuffered(r.Buffered!.map((s) => JSON.parse(s) as string[]), windowed);
    });
  }

  on(DIRECT_ONLY)("test_pardo_dynamic_timer: a timer per tag", async () => {
    const r = await run((p, out) => out("Dynamic", p.apply("Create", Create.of(kv("key1", 10), kv("key2", 20), kv("key3", 30))).apply("Dynamic", ParDo.of(new DynamicTimerDoFn()))));
    assert.deepEqual(r.Dynamic, jsonSorted([["key1", 10], ["key2", 20], ["key3", 30]]));
  });
}

for (const where of EVERYWHERE) {
  describe(`Beam Python fn_runner_test.py (FnApiRunnerTest) state and timers: ${where}`, function () {
    this.timeout(60_000);
    cases(where);
  });
}

describe("Beam Python fn_runner_test.py (FnApiRunnerTest) state and timers: TestStream", () => {
  it("test_teststream_pardo_timers (skipped in Beam: no TestStream in that runner): timers fire as the watermark passes them", async () => {
    const stream = TestStream.create<KV<string, number>>()
      .addElements({ value: kv("k1", 10), timestamp: 0 })
      .advanceWatermarkTo(100)
      .addElements({ value: kv("k2", 100), timestamp: 100 })
      .advanceWatermarkTo(1000)
      .advanceWatermarkToInfinity();
    // Python's TimerDoFn there only sets ts then 2 ts and outputs "fired" (its expected list, in a comment: 20 and 200).
    class SetTwice extends StatefulDoFn<string, number, string> {
      readonly timer = TimerSpec.eventTime("timer");
      process(e: KV<string, number>, ctx: StatefulProcessContext<string>): void {
        ctx.timer(this.timer).set(e.value);
        ctx.timer(this.timer).set(2 * e.value);
      }
      onTimer(_name: string, ctx: TimerContext<string, string>): void {
        ctx.output("fired");
      }
    }
    const r = await labelledOutputs((p, out) => out("Fired", p.apply(stream).apply("Timers", ParDo.of(new SetTwice()))), (o) => `${String(o.value)}@${o.timestamp}`);
    assert.deepEqual(r.Fired, ["fired@20", "fired@200"]);
  });
});
