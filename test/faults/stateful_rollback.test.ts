/**
 * Fault suite: a stateful DoFn with a dead-letter policy (`withExceptionHandling`) that writes its
 * state and sets a timer, then throws. As in Beam, the failed element has no effect: its state
 * writes (value, bag, combining, map) and its timer are rolled back, not only its outputs.
 */
import { strict as assert } from "node:assert";
import { Combiners, FailedElement, FixedWindows, kv, KV, ParDo, Window } from "../../lib";
import { StatefulDoFn, StatefulProcessContext, StateSpec, TimerContext, TimerSpec } from "../../lib/model/state";
import { TestStream } from "../../lib/testing/test_stream";
import { runDirect } from "../helpers";

/** Counts each key's values in every kind of state; throws after writing them for values ending in 7. */
class CountThenThrow extends StatefulDoFn<string, number, string> {
  readonly count = StateSpec.value<number>("count");
  readonly values = StateSpec.bag<number>("values");
  readonly sum = StateSpec.combining("sum", Combiners.sum());
  readonly seen = StateSpec.map<number, boolean>("seen");
  readonly flush = TimerSpec.eventTime("flush");
  readonly early = TimerSpec.eventTime("early");
  process(e: KV<string, number>, ctx: StatefulProcessContext<string>): void {
    const count = ctx.state(this.count);
    count.write((count.read() ?? 0) + 1);
    ctx.state(this.values).add(e.value);
    ctx.state(this.sum).add(e.value);
    ctx.state(this.seen).put(e.value, true);
    ctx.timer(this.flush).set(ctx.window.maxTimestamp());
    if (e.value % 10 === 7) {
      ctx.timer(this.early).set(ctx.window.maxTimestamp() - 1); // a timer only failed elements set: must never fire
      ctx.state(this.values).clear();
      throw new Error(`bad value ${e.value}`);
    }
  }
  onTimer(timer: string, ctx: TimerContext<string, string>): void {
    const values = ctx.state(this.values).read();
    ctx.output(`${timer} ${ctx.key}: count=${ctx.state(this.count).read()} values=${values.length} sum=${ctx.state(this.sum).read()} distinct=${ctx.state(this.seen).entries().length}`);
  }
}

describe("faults: a stateful DoFn that throws after writing state, with withExceptionHandling", function () {
  this.timeout(60_000);

  it("rolls back the failed element's state writes and timers: only the other elements count", async () => {
    const out: string[] = [];
    const failed: FailedElement<KV<string, number>>[] = [];
    const N = 200;
    const result = await runDirect((p) => {
      const counted = p
        .apply(
          TestStream.create<KV<string, number>>()
            .addElements(...Array.from({ length: N }, (_, i) => ({ value: kv(i % 2 === 0 ? "even" : "odd", i), timestamp: i })))
            .advanceWatermarkToInfinity(),
        )
        .apply(Window.into(new FixedWindows(1000)))
        .apply("Count", ParDo.of(new CountThenThrow()).withExceptionHandling());
      counted.main.apply("Keep", ParDo.of((s: string) => void out.push(s)));
      counted.failed.apply("KeepFailed", ParDo.of((f: FailedElement<KV<string, number>>) => void failed.push(f)));
    });
    assert.equal(await result.waitUntilFinish(), "DONE");
    // Values ending in 7 are odd: 20 of the 100 odd values fail.
    assert.equal(failed.length, 20);
    const odd = Array.from({ length: N }, (_, i) => i).filter((i) => i % 2 === 1 && i % 10 !== 7);
    const oddSum = odd.reduce((a, b) => a + b, 0);
    const evenSum = Array.from({ length: N / 2 }, (_, i) => 2 * i).reduce((a, b) => a + b, 0);
    assert.deepEqual(out.sort(), [`flush even: count=100 values=100 sum=${evenSum} distinct=100`, `flush odd: count=80 values=80 sum=${oddSum} distinct=80`]);
  });
});
