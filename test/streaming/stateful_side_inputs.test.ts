/**
 * Stateful DoFns in bounded pipelines (run by the streaming driver to the end of their input)
 * and stateful DoFns reading side inputs: elements wait until their side-input windows are
 * complete (so both `process` and `onTimer`, whose timers those elements set, see complete side
 * inputs). As in Beam, the side inputs' watermarks do not hold the ParDo's input watermark:
 * its timers, late data and state collection follow the main input (and the elements held).
 */
import { strict as assert } from "node:assert";
import { AfterCount, AsMap, AsSingleton, Create, FixedWindows, GlobalWindows, kv, KV, ParDo, Repeatedly, Window } from "../../lib";
import { StatefulDoFn, StatefulProcessContext, StateSpec, TimerContext, TimerSpec } from "../../lib/model/state";
import { TestStream } from "../../lib/testing/test_stream";
import { runOk } from "../helpers";
import { SumToLimit } from "../portable/streaming_programs";
import { collect, Observed } from "./collect";

describe("Stateful DoFns in bounded pipelines and with side inputs", () => {
  it("runs a stateful DoFn in a bounded pipeline, with map and singleton side inputs", async () => {
    const out: Observed<string>[] = [];
    await runOk((p) => {
      const limits = AsMap(p.apply("Limits", Create.of(kv("a", 5), kv("b", 100))));
      const unit = AsSingleton(p.apply("Unit", Create.of("kg")));
      const values = p.apply("Values", Create.of(kv("a", 2), kv("a", 3), kv("a", 4), kv("b", 7)));
      collect(values.apply("Sum", ParDo.of(new SumToLimit(), { sideInputs: { limits, unit } })), out);
    });
    assert.deepEqual(out.map((o) => o.value).sort(), ["a left 4kg of 5", "a reached 5kg with 5", "b left 7kg of 100"]);
  });

  it("holds streaming elements and timers until the side inputs are complete for their windows", async () => {
    const out: Observed<string>[] = [];
    await runOk((p) => {
      // The side inputs come from a second TestStream whose watermark lags the main input's.
      const sides = p.apply(
        "Sides",
        TestStream.create<KV<string, number>>()
          .advanceWatermarkTo(5_000)
          .advanceWatermarkTo(8_000) // (the side data arrives after the main input's timers are due)
          .addElements({ value: kv("a", 5), timestamp: 1_000 }, { value: kv("b", 3), timestamp: 2_000 })
          .advanceWatermarkTo(30_000)
          .advanceWatermarkToInfinity(),
      );
      const windowedSides = sides.apply("SideWindows", Window.into(new FixedWindows(10_000)));
      const limits = AsMap(windowedSides);
      const unit = AsSingleton(p.apply("Unit", Create.of("kg")));
      const main = p.apply(
        "Main",
        TestStream.create<KV<string, number>>()
          .addElements({ value: kv("a", 2), timestamp: 1_500 }, { value: kv("a", 3), timestamp: 2_500 }, { value: kv("b", 1), timestamp: 3_000 })
          .advanceWatermarkTo(20_000) // the main input's timers are due; the side inputs are not complete yet
          .addElements({ value: kv("a", 9), timestamp: 21_000 }) // window [20s, 30s): no limit there
          .advanceWatermarkToInfinity(),
      );
      const sums = main.apply("Windows", Window.into(new FixedWindows(10_000))).apply("Sum", ParDo.of(new SumToLimit(), { sideInputs: { limits, unit } }));
      collect(sums, out);
    });
    const seen = out.map((o) => `${o.window} ${o.value} @${o.timestamp}`).sort();
    assert.deepEqual(seen, [
      "0:10000 a reached 5kg with 5 @2500",
      "0:10000 b left 1kg of 3 @9999",
      "20000:30000 a left 9kg of undefined @29999",
    ]);
  });

  it("fires event-time timers on the main input's watermark while a triggered side input is still running", async () => {
    // Beam (Java DirectRunner's WatermarkManager counts only non-side inputs): a slowly updating
    // side input never completes, yet the ParDo's timers fire and late data is dropped as the
    // main input's watermark advances.
    const out: Observed<string>[] = [];
    const result = await runOk((p) => {
      const config = p
        .apply(
          "Config",
          TestStream.create<string>()
            .addElements({ value: "v1", timestamp: 0 })
            .advanceProcessingTime(1)
            .advanceProcessingTime(1)
            .advanceProcessingTime(1)
            .addElements({ value: "v2", timestamp: 0 })
            .advanceWatermarkToInfinity(),
        )
        .apply("Latest", Window.into(new GlobalWindows(), { trigger: Repeatedly(AfterCount(1)) }));
      const cfg = AsSingleton(config, { default: "(none)" });
      const main = p.apply(
        "Main",
        TestStream.create<KV<string, number>>()
          .addElements({ value: kv("a", 1), timestamp: 1 })
          .advanceWatermarkTo(50) // a's timer (9) is due: the side input has its first pane (v1) and is still running
          .addElements({ value: kv("a", 2), timestamp: 2 }) // its window [0, 10) has expired: dropped
          .advanceWatermarkTo(60)
          .advanceWatermarkToInfinity(),
      );
      collect(main.apply("Windows", Window.into(new FixedWindows(10))).apply("Flush", ParDo.of(new FlushWithConfig(), { sideInputs: { cfg } })), out);
    });
    assert.deepEqual(out.map((o) => `${o.value} @${o.timestamp}`), ["a:1 with v1 @9"]);
    assert.equal(result.metrics.counterTotal("beamline", "droppedDueToLateness", "Flush"), 1);
  });
});

/** Counts a key's elements per window and reports the count with the side input at the window's end. */
class FlushWithConfig extends StatefulDoFn<string, number, string, {}, { cfg: string }> {
  readonly flush = TimerSpec.eventTime("flush");
  readonly count = StateSpec.value<number>("count");
  process(_e: KV<string, number>, ctx: StatefulProcessContext<string, {}, { cfg: string }>): void {
    ctx.state(this.count).write((ctx.state(this.count).read() ?? 0) + 1);
    ctx.timer(this.flush).set(ctx.window.maxTimestamp());
  }
  onTimer(_timer: string, ctx: TimerContext<string, string, {}, { cfg: string }>): void {
    ctx.output(`${ctx.key}:${ctx.state(this.count).read()} with ${ctx.sideInputs.cfg}`);
  }
}
