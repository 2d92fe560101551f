/**
 * Window (the transform) against Beam Java's WindowTest as the oracle: the strategy Window.into
 * sets, Window.configure (Beam Java's `Window.configure()`: a trigger, lateness or mode for
 * already-windowed input, keeping its window function and windows), the output timestamp of a
 * grouping, and grouping again after re-windowing. Batch and streaming where they run.
 *
 * Beam Java and Python differ on what `Window.into(fn)` keeps of its input's strategy: Java keeps
 * the trigger, mode and (the larger) allowed lateness it is not given, Python's WindowInto resets
 * them to the defaults. Beamline's Window.into follows Python's WindowInto, which its signature
 * mirrors; Window.configure is where Java's propagation applies.
 */
import { strict as assert } from "node:assert";
import {
  AfterCount,
  AfterWatermark,
  Create,
  FixedWindows,
  GroupByKey,
  kv,
  ParDo,
  Repeatedly,
  SlidingWindows,
  TestStream,
  Window,
  WithKeys,
  type KV,
  type PCollection,
} from "../../lib";
import type { Pipeline } from "../../lib/model/pipeline";
import { labelledOutputs, timestamped, type Mode } from "./beam_helpers";
import type { Observed } from "../streaming/collect";

const MINUTE = 60_000;
const described = (o: Observed<unknown>): string => `${o.window} ${o.pane.timing} ${JSON.stringify(o.value)}`;

describe("Beam Window (WindowTest.java): the windowing strategy", () => {
  it("testWindowIntoSetWindowfn, testWindowIntoTriggersAndAccumulating", async () => {
    await labelledOutputs((p) => {
      const fixed10 = new FixedWindows(10 * MINUTE);
      const plain = p.apply(Create.of("hello", "world")).apply(Window.into(fixed10)).windowing;
      assert.equal(plain.windowFn, fixed10);
      assert.equal(plain.trigger?.kind ?? "default", "default");
      assert.equal(plain.accumulationMode, "DISCARDING");
      const trigger = Repeatedly(AfterCount(5));
      const set = p.apply("Create2", Create.of("hello", "world")).apply("Window2", Window.into(fixed10, { trigger, accumulationMode: "ACCUMULATING", allowedLatenessMillis: 0 })).windowing;
      assert.equal(set.windowFn, fixed10);
      assert.deepEqual(set.trigger, trigger);
      assert.equal(set.accumulationMode, "ACCUMULATING");
    });
  });

  it("testWindowPropagatesEachPart, testWindowIntoAssignesLongerAllowedLateness: Window.configure keeps what it is not given; lateness only grows", async () => {
    await labelledOutputs((p) => {
      const fixed10 = new FixedWindows(10 * MINUTE);
      const trigger = Repeatedly(AfterCount(5));
      const w = p
        .apply(Create.of("hello", "world"))
        .apply("Window", Window.into(fixed10))
        .apply("Mode", Window.configure({ accumulationMode: "ACCUMULATING" }))
        .apply("Lateness", Window.configure({ allowedLatenessMillis: 24 * 60 * MINUTE }))
        .apply("Trigger", Window.configure({ trigger })).windowing;
      assert.equal(w.windowFn, fixed10);
      assert.deepEqual(w.trigger, trigger);
      assert.equal(w.accumulationMode, "ACCUMULATING");
      assert.equal(w.allowedLatenessMillis, 24 * 60 * MINUTE);
      const shorter = p
        .apply("Create2", Create.of("hello"))
        .apply("Window25", Window.into(new FixedWindows(25 * MINUTE), { allowedLatenessMillis: 24 * 60 * MINUTE, trigger, accumulationMode: "ACCUMULATING" }))
        .apply("Shorter", Window.configure({ allowedLatenessMillis: 60 * MINUTE })).windowing;
      assert.equal(shorter.allowedLatenessMillis, 24 * 60 * MINUTE);
    });
  });
});

for (const mode of ["batch", "streaming"] as const) {
  describe(`Beam Window (WindowTest.java) in pipelines, ${mode}`, () => {
    const input = (p: Pipeline): PCollection<KV<number, string>> =>
      timestamped(p, "Input", mode, [
        { value: kv(0, "hello"), timestamp: 0 },
        { value: kv(0, "goodbye"), timestamp: 10 },
      ]);

    it("testTimestampCombinerDefault, testTimestampCombinerEndOfWindow: a group is stamped at its window's end", async () => {
      const r = await labelledOutputs((p, out) => {
        const i = input(p);
        out("Default", i.apply(Window.into(new FixedWindows(10 * MINUTE))).apply(GroupByKey.create()));
        out("EndOfWindow", i.apply("EOW", Window.into(new FixedWindows(10 * MINUTE), { timestampCombiner: "END_OF_WINDOW" })).apply("GBK2", GroupByKey.create()));
      }, (o) => String(o.timestamp));
      assert.deepEqual(r, { Default: [String(10 * MINUTE - 1)], EndOfWindow: [String(10 * MINUTE - 1)] });
    });

    it("testNoWindowFnDoesNotReassignWindows: Window.configure leaves each element in its windows (Window.into assigns again)", async () => {
      const r = await labelledOutputs((p, out) => {
        // Two sliding windows per element: configure keeps the two copies, Window.into makes four.
        const sliding = timestamped(p, "Input", mode, [{ value: "a", timestamp: 7 }]).apply(Window.into(new SlidingWindows(10, 5)));
        const configured = sliding.apply(Window.configure({ trigger: Repeatedly(AfterCount(1)), accumulationMode: "ACCUMULATING" }));
        out("Configured", configured);
        out("Reassigned", sliding.apply("Again", Window.into(new SlidingWindows(10, 5))));
        // A grouping after configure groups the two copies apart, each in its window.
        out("Grouped", configured.apply(WithKeys.of<string, string>("k")).apply(GroupByKey.create()).apply("Reconfigure", Window.configure({ allowedLatenessMillis: 0 })));
      }, (o) => `${o.window} ${JSON.stringify(o.value)}`);
      assert.deepEqual(r["Configured"], ['0:10 "a"', '5:15 "a"']);
      assert.deepEqual(r["Reassigned"], ['0:10 "a"', '0:10 "a"', '5:15 "a"', '5:15 "a"']);
      // One group of one "a" per window (in streaming the accumulating on-time pane repeats it).
      assert.deepEqual([...new Set(r["Grouped"])], ['0:10 {"key":"k","value":["a"]}', '5:15 {"key":"k","value":["a"]}']);
    });

    it("groups again after re-windowing into larger windows", async () => {
      const r = await labelledOutputs((p, out) => {
        const words = timestamped(p, "Words", mode, [
          { value: kv("k", 1), timestamp: 1_000 },
          { value: kv("k", 2), timestamp: 61_000 },
          { value: kv("k", 3), timestamp: 125_000 },
        ]);
        const perMinute = words.apply(Window.into(new FixedWindows(MINUTE))).apply(GroupByKey.create());
        const sums = perMinute.apply("Sum", ParDo.into<KV<string, number>>().of((g: KV<string, number[]>, ctx) => ctx.output(kv(g.key, g.value.reduce((a, b) => a + b, 0)))));
        out("PerFiveMinutes", sums.apply("Rewindow", Window.into(new FixedWindows(5 * MINUTE))).apply("GroupAgain", GroupByKey.create()));
      }, (o) => `${o.window} ${JSON.stringify((o.value as KV<string, number[]>).value.slice().sort())}`);
      assert.deepEqual(r, { PerFiveMinutes: [`0:${5 * MINUTE} [1,2,3]`] });
    });
  });
}

describe("Beam Window: Window.configure on already-windowed input, streaming", () => {
  it("a trigger set by Window.configure fires in the input's windows", async () => {
    const stream = TestStream.create<string>()
      .advanceWatermarkTo(0)
      .addElements({ value: "a", timestamp: 1_000 })
      .addElements({ value: "b", timestamp: 2_000 })
      .advanceWatermarkTo(MINUTE)
      .addElements({ value: "late", timestamp: 3_000 })
      .advanceWatermarkToInfinity();
    const r = await labelledOutputs((p, out) => {
      const grouped = p
        .apply(stream)
        .apply(Window.into(new FixedWindows(MINUTE)))
        .apply(Window.configure({ trigger: AfterWatermark({ early: AfterCount(1), late: AfterCount(1) }), accumulationMode: "ACCUMULATING", allowedLatenessMillis: MINUTE }))
        .apply(WithKeys.of<string, string>("k"))
        .apply(GroupByKey.create());
      out("Grouped", grouped.apply("Values", ParDo.into<string>().of((g: KV<string, string[]>, ctx) => ctx.output([...g.value].sort().join(",")))));
    }, described);
    assert.deepEqual(r["Grouped"], [`0:${MINUTE} EARLY "a"`, `0:${MINUTE} EARLY "a,b"`, `0:${MINUTE} LATE "a,b,late"`, `0:${MINUTE} ON_TIME "a,b"`]);
  });
});
