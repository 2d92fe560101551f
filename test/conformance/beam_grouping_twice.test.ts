/**
 * What a second grouping does with a first grouping's output, where Beam Java and Beam Python
 * differ (Beamline follows Python; README.md, "Windowing and triggers", says so):
 *
 * - Triggers. Beam Java sets a GroupByKey's output trigger to its input trigger's continuation
 *   (GroupByKey.updateWindowingStrategy: AfterCount(n) → AfterCount(1), AfterProcessingTime →
 *   AfterSynchronizedProcessingTime, AfterWatermark's early/late firings → theirs, the default
 *   stays the default), so a later grouping fires as soon as an upstream pane arrives. Beam
 *   Python's GroupByKey output keeps its input's windowing (PTransform.get_windowing), trigger
 *   included; its trigger.py has no continuation triggers, and a Python pipeline's later
 *   groupings fire by the same trigger on any runner (the translated strategy carries it).
 * - Merged windows. Beam Java marks a grouping's output over merging windows (Sessions) as
 *   already merged, so a second grouping keeps each merged window as it is
 *   (GroupByKeyTest.testWindowFnPostMerging: 5, 9, 3); Beam Python's strategy has no such mark
 *   (Windowing.to_runner_api always says NEEDS_MERGE, with a TODO to prohibit implicit
 *   multi-level merging), so the second grouping merges overlapping sessions again (8, 9).
 *
 * Cases that agree under both (GroupByKeyTest's processing-time ones) are asserted as Beam's.
 */
import { strict as assert } from "node:assert";
import { AfterCount, AfterProcessingTime, Combine, Combiners, FixedWindows, kv, Repeatedly, Sessions, TestStream, Window, type KV, type PCollection } from "../../lib";
import type { Pipeline } from "../../lib/model/pipeline";
import { paneOf, type Observed } from "../streaming/collect";
import { labelledOutputs, timestamped } from "./beam_helpers";

const sumGlobally = (pc: PCollection<number>, label: string): PCollection<number> => pc.apply(label, Combine.globally(Combiners.sum(), { withoutDefaults: true }));
const withPane = (o: Observed<unknown>): string => `${JSON.stringify(o.value)} ${paneOf(o.pane)}`;

describe("Beam: a grouping after a grouping", () => {
  for (const mode of ["batch", "streaming"] as const) {
    it(`testWindowFnPostMerging: the second grouping merges overlapping sessions again, as Beam Python (${mode})`, async () => {
      const r = await labelledOutputs((p: Pipeline, out) => {
        const sessions = timestamped(p, "Start", mode, [
          { value: kv("foo", 1), timestamp: 1 },
          { value: kv("foo", 4), timestamp: 4 },
          { value: kv("bar", 3), timestamp: 3 },
          { value: kv("foo", 9), timestamp: 9 },
        ]).apply("Sessions", Window.into(new Sessions(4)));
        const grouped = sessions.apply("FirstGrouping", Combine.perKey(Combiners.toList<number>()));
        // The grouping's output keeps the window function (Beam Java: the same, marked as merged).
        assert.equal(grouped.windowing.windowFn, sessions.windowing.windowFn);
        const sums = grouped
          .flatMap("Explode", (g: KV<string, number[]>) => g.value)
          .map("SameKey", (x: number) => kv("bizzle", x))
          .apply("SummedGrouping", Combine.perKey(Combiners.sum()))
          .map("Sums", (s: KV<string, number>) => s.value);
        out("Sums", sums);
      }, (o) => `${o.window} ${String(o.value)}`);
      // Beam Java: ["1:8 5", "3:7 3", "9:13 9"] (the first grouping's windows, kept).
      assert.deepEqual(r, { Sums: ["1:8 8", "9:13 9"] });
    });
  }

  it("two triggered groupings in a row: the second fires by the same trigger, as Beam Python (Beam Java: AfterCount(1))", async () => {
    // One element per bundle; Repeatedly(AfterCount(2)) on a global window that ends with the input.
    const script = TestStream.create<number>()
      .addElements({ value: 1, timestamp: 0 })
      .addElements({ value: 2, timestamp: 0 })
      .addElements({ value: 3, timestamp: 0 })
      .addElements({ value: 4, timestamp: 0 })
      .advanceWatermarkToInfinity();
    const r = await labelledOutputs((p, out) => {
      const input = p.apply(script).apply("Pairs", Window.configure({ trigger: Repeatedly(AfterCount(2)), accumulationMode: "DISCARDING" }));
      const first = sumGlobally(input, "FirstSum");
      out("First", first);
      assert.equal(first.windowing.trigger, input.windowing.trigger, "the grouping's output keeps its input's trigger");
      out("Second", sumGlobally(first, "SecondSum"));
    }, withPane);
    // The first sum fires per two elements: 3, then 7, then its on-time pane at the end of the
    // window (empty, emitted as Beam's OnTimeBehavior.FIRE_ALWAYS does). The second fires once
    // it has two of those: 10, then the rest at the end (Beam Java's continuation AfterCount(1)
    // would fire 3, then 7, as they come).
    assert.deepEqual(r, { First: ["0 ON_TIME#2/0 last", "3 EARLY#0/-1 first", "7 EARLY#1/-1"], Second: ["0 ON_TIME#1/0 last", "10 EARLY#0/-1 first"] });
  });

  it("testAfterProcessingTimeContinuationTriggerEarly: data from a processing-time trigger flows through a second grouping in an early pane", async () => {
    const script = TestStream.create<number>().advanceWatermarkTo(0).addElements({ value: 42, timestamp: 0 }).advanceProcessingTime(10).advanceProcessingTime(500).advanceWatermarkToInfinity();
    const r = await labelledOutputs((p, out) => {
      const input = p.apply(script).apply(
        "Triggered",
        Window.configure({ trigger: Repeatedly(AfterProcessingTime(1)), accumulationMode: "ACCUMULATING", onTimeBehavior: "FIRE_IF_NON_EMPTY", allowedLatenessMillis: 0 }),
      );
      out("Sums", sumGlobally(sumGlobally(input, "TriggeredSum"), "SecondTriggeredSum"));
    }, withPane);
    assert.deepEqual(
      r.Sums!.filter((s) => s.includes("EARLY")).map((s) => s.split(" ")[0]),
      ["42"],
      `panes: ${r.Sums!.join(", ")}`,
    );
  });

  it("testCombiningAccumulatingProcessingTime: a processing-time firing after the window expired emits nothing more", async () => {
    const script = TestStream.create<number>()
      .advanceWatermarkTo(0)
      .addElements({ value: 2, timestamp: 2 }, { value: 5, timestamp: 5 })
      .advanceWatermarkTo(100)
      .advanceProcessingTime(10)
      .advanceWatermarkToInfinity();
    const r = await labelledOutputs((p, out) => {
      const input = p.apply(script).apply(
        "Triggered",
        Window.into(new FixedWindows(100), { timestampCombiner: "EARLIEST", accumulationMode: "ACCUMULATING", allowedLatenessMillis: 0, trigger: Repeatedly(AfterProcessingTime(10)) }),
      );
      out("Sums", sumGlobally(input, "Sum"));
    }, (o) => String(o.value));
    assert.deepEqual(r, { Sums: ["7"] });
  });
});
