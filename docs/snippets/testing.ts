/** Snippets of docs/guide/09-testing.md. */
import {
  AfterWatermark,
  IntervalWindow,
  PAssert,
  equalToPerWindow,
  AfterCount,
  Combine,
  Combiners,
  Create,
  FixedWindows,
  Pipeline,
  TestStream,
  Window,
  assertThat,
  equalTo,
  kv,
  satisfies,
} from "beamline";
import type { KV, PipelineState } from "beamline";
import { CountWords } from "./transforms";

export async function testComposite(): Promise<PipelineState> {
  // [START assert_that]
  const p = Pipeline.create();
  const counts = p.apply("Lines", Create.of("a bb a", "bb ccc")).apply(new CountWords());
  assertThat(counts, equalTo([kv("a", 2), kv("bb", 2), kv("ccc", 1)]), "Counts");
  assertThat(counts.map("Total", (c) => c.value).apply(Combine.globally(Combiners.sum())), equalTo([5]), "Sum");
  assertThat(counts, satisfies((all) => {
    if (all.some((c) => c.value <= 0)) throw new Error("every count is positive");
  }), "Positive");   // a label names the assertion in failures (one in use gets _2, _3, ...)
  const state = await (await p.run()).waitUntilFinish();   // rejects with a diff if an assertion fails
  // [END assert_that]
  return state;
}

export async function testLateData(): Promise<PipelineState> {
  // [START test_stream]
  const MINUTE = 60_000;
  const p = Pipeline.create();
  const scores = p.apply("Scores", TestStream.create<KV<string, number>>()
    .addElements({ value: kv("red", 3), timestamp: 10_000 }, { value: kv("blue", 1), timestamp: 20_000 })
    .advanceWatermarkTo(MINUTE)                                // the first minute is complete
    .addElements({ value: kv("red", 4), timestamp: 30_000 })   // late, but within the allowed lateness
    .advanceWatermarkTo(3 * MINUTE)                            // past the allowed lateness: expired
    .addElements({ value: kv("red", 100), timestamp: 40_000 }) // too late: dropped, and counted
    .advanceWatermarkToInfinity());

  const totals = scores
    .apply("PerMinute", Window.into(new FixedWindows(MINUTE), {
      trigger: AfterWatermark({ late: AfterCount(1) }),
      allowedLatenessMillis: MINUTE,
      accumulationMode: "ACCUMULATING",
    }))
    .apply("Totals", Combine.perKey(Combiners.sum()));
  assertThat(totals, equalTo([kv("red", 3), kv("blue", 1), kv("red", 7)]));   // on time, then late
  const state = await (await p.run()).waitUntilFinish();   // virtual time: runs in milliseconds
  // [END test_stream]
  return state;
}

export async function testPanes(): Promise<PipelineState> {
  const MINUTE = 60_000;
  const p = Pipeline.create();
  const scores = p.apply("Scores", TestStream.create<KV<string, number>>()
    .addElements({ value: kv("red", 3), timestamp: 10_000 }, { value: kv("blue", 1), timestamp: 20_000 })
    .advanceWatermarkTo(MINUTE)
    .addElements({ value: kv("red", 4), timestamp: 30_000 })
    .advanceWatermarkToInfinity());
  const totals = scores
    .apply("PerMinute", Window.into(new FixedWindows(MINUTE), {
      trigger: AfterWatermark({ late: AfterCount(1) }),
      allowedLatenessMillis: MINUTE,
      accumulationMode: "ACCUMULATING",
    }))
    .apply("Totals", Combine.perKey(Combiners.sum()));
  // [START panes]
  const firstMinute = new IntervalWindow(0, MINUTE);
  PAssert.that(totals).inOnTimePane(firstMinute).containsInAnyOrder(kv("red", 3), kv("blue", 1));
  PAssert.that(totals).inLatePane(firstMinute).containsInAnyOrder(kv("red", 7));
  PAssert.that(totals).inWindow(new IntervalWindow(MINUTE, 2 * MINUTE)).empty();   // no data there: checked on []
  // the same with assertThat, and every window at once (Beam Python's equal_to_per_window):
  assertThat(totals, equalTo([kv("red", 7)]), { label: "Late", inWindow: firstMinute, pane: "late" });
  assertThat(totals, equalToPerWindow([[firstMinute, [kv("red", 3), kv("blue", 1), kv("red", 7)]]]), "PerWindow");
  // [END panes]
  return (await p.run()).waitUntilFinish();
}
