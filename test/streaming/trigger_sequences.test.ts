import { strict as assert } from "node:assert";
import { DoFn, FixedWindows, GlobalWindows, GroupByKey, KV, ParDo, PaneInfo, ProcessContext, Window } from "../../lib";
import { AfterAll, AfterCount, AfterEach, AfterFirst, AfterProcessingTime, AfterWatermark, Repeatedly } from "../../lib/model/triggers";
import { TestStream } from "../../lib/testing/test_stream";
import { runDirect } from "../helpers";
import { droppedClosed, el, groupedPanes, UNSAFE_TRIGGERS } from "./collect";

const panes = groupedPanes;
const closed = droppedClosed;

describe("Streaming DirectRunner: AfterEach, AfterFirst and AfterAll sequences", () => {
  it("AfterEach runs its triggers in turn (count, processing time, count) and then closes the window", async () => {
    const script = TestStream.create<KV<string, number>>()
      .addElements(el("k", 1))
      .addElements(el("k", 2)) // AfterCount(2): [1, 2]
      .addElements(el("k", 3)) // AfterProcessingTime(100) starts counting at this element (processing time 0)
      .advanceProcessingTime(50)
      .addElements(el("k", 4))
      .advanceProcessingTime(50) // 100 ms after element 3: [3, 4]
      .addElements(el("k", 5)) // AfterCount(1): [5], and AfterEach is finished
      .addElements(el("k", 6)) // dropped: the window is closed
      .advanceWatermarkToInfinity();
    const { rows, metrics } = await panes(script, new GlobalWindows(), { trigger: AfterEach(AfterCount(2), AfterProcessingTime(100), AfterCount(1)) }, UNSAFE_TRIGGERS);
    assert.deepEqual(rows, ["k:1,2 global EARLY#0/-1 first", "k:3,4 global EARLY#1/-1", "k:5 global EARLY#2/-1 last"]);
    assert.equal(closed(metrics), 1);
  });

  it("Repeatedly(AfterEach(...)) starts the sequence over after its last trigger", async () => {
    let script = TestStream.create<KV<string, number>>();
    for (let i = 1; i <= 8; i++) script = script.addElements(el("k", i));
    const { rows } = await panes(script.advanceWatermarkToInfinity(), new GlobalWindows(), { trigger: Repeatedly(AfterEach(AfterCount(1), AfterCount(2))) });
    // The 8th element waits for a second one that never comes; the window's end (end of time) flushes it.
    assert.deepEqual(rows, [
      "k:1 global EARLY#0/-1 first",
      "k:2,3 global EARLY#1/-1",
      "k:4 global EARLY#2/-1",
      "k:5,6 global EARLY#3/-1",
      "k:7 global EARLY#4/-1",
      "k:8 global ON_TIME#5/0 last",
    ]);
  });

  it("early firings of AfterWatermark repeat a whole AfterEach sequence, not its first step", async () => {
    let script = TestStream.create<KV<string, number>>();
    for (let i = 1; i <= 4; i++) script = script.addElements(el("k", i));
    const { rows } = await panes(script.advanceWatermarkTo(10).advanceWatermarkToInfinity(), new FixedWindows(10), {
      trigger: AfterWatermark({ early: AfterEach(AfterCount(1), AfterCount(2)) }),
    });
    assert.deepEqual(rows, ["k:1 0:10 EARLY#0/-1 first", "k:2,3 0:10 EARLY#1/-1", "k:4 0:10 EARLY#2/-1", "k: 0:10 ON_TIME#3/0 last"]);
  });

  it("AfterFirst(AfterWatermark, AfterCount) fires once, on whichever comes first, per window", async () => {
    const script = TestStream.create<KV<string, number>>()
      .addElements(el("k", 1), el("k", 2), el("k", 3)) // [0, 10): the count comes first
      .addElements(el("k", 11)) // [10, 20): the watermark comes first
      .addElements(el("k", 4)) // dropped: [0, 10) is closed
      .advanceWatermarkTo(25)
      .advanceWatermarkToInfinity();
    const { rows, metrics } = await panes(script, new FixedWindows(10), { trigger: AfterFirst(AfterWatermark(), AfterCount(3)), allowedLatenessMillis: 100 }, UNSAFE_TRIGGERS);
    assert.deepEqual(rows, ["k:1,2,3 0:10 EARLY#0/-1 first last", "k:11 10:20 ON_TIME#0/0 first last"]);
    assert.equal(closed(metrics), 1);
  });

  it("AfterAll(AfterWatermark, AfterCount) waits for both; the pane is on time while the window holds the watermark", async () => {
    const script = TestStream.create<KV<string, number>>()
      .addElements(el("k", 1))
      .advanceWatermarkTo(10) // the watermark passed, but only one element: no pane; the window still holds the output watermark
      .addElements(el("k", 5)) // the count is reached: fires
      .addElements(el("k", 6)) // dropped: finished
      .advanceWatermarkToInfinity();
    const { rows, metrics } = await panes(script, new FixedWindows(10), { trigger: AfterAll(AfterWatermark(), AfterCount(2)), allowedLatenessMillis: 100 }, UNSAFE_TRIGGERS);
    assert.deepEqual(rows, ["k:1,5 0:10 ON_TIME#0/0 first last"]);
    assert.equal(closed(metrics), 1);
  });

  it("Repeatedly(AfterAll(AfterCount, AfterProcessingTime)) needs both conditions for every pane", async () => {
    const script = TestStream.create<KV<string, number>>()
      .addElements(el("k", 1), el("k", 2)) // count reached, time not yet
      .advanceProcessingTime(100) // both: [1, 2]
      .addElements(el("k", 3)) // time starts again at 100
      .advanceProcessingTime(100) // time reached at 200, count not yet
      .addElements(el("k", 4)) // both: [3, 4]
      .addElements(el("k", 5))
      .advanceWatermarkToInfinity();
    const { rows } = await panes(script, new GlobalWindows(), { trigger: Repeatedly(AfterAll(AfterCount(2), AfterProcessingTime(100))) });
    assert.deepEqual(rows, ["k:1,2 global EARLY#0/-1 first", "k:3,4 global EARLY#1/-1", "k:5 global ON_TIME#2/0 last"]);
  });
});

/** Records what a DoFn sees as `ctx.pane` (and the values), in arrival order. */
class RecordPanes extends DoFn<KV<string, number[]>, never> {
  constructor(private readonly seen: { values: string; pane: PaneInfo }[]) {
    super();
  }
  process(g: KV<string, number[]>, ctx: ProcessContext<never>): void {
    this.seen.push({ values: [...g.value].sort((a, b) => a - b).join(","), pane: { ...ctx.pane } });
  }
}

describe("Streaming DirectRunner: pane info in DoFns after a GroupByKey", () => {
  it("shows index, first/last, timing and on-time index, directly and after a Map", async () => {
    const direct: { values: string; pane: PaneInfo }[] = [];
    const afterMap: { values: string; pane: PaneInfo }[] = [];
    const result = await runDirect((p) => {
      const grouped = p
        .apply(
          TestStream.create<KV<string, number>>()
            .addElements(el("k", 1)) // early pane 0
            .addElements(el("k", 2)) // early pane 1
            .advanceWatermarkTo(10) // on-time pane 2 (nothing new, but accumulating: [1, 2])
            .addElements(el("k", 3)) // late, waits for a second late element
            .advanceWatermarkTo(40) // the window expires: final pane 3 with what is pending
            .advanceWatermarkToInfinity(),
        )
        .apply(
          Window.into(new FixedWindows(10), {
            trigger: AfterWatermark({ early: AfterCount(1), late: AfterCount(2) }),
            accumulationMode: "ACCUMULATING",
            allowedLatenessMillis: 20,
          }),
        )
        .apply(GroupByKey.create());
      grouped.apply("Direct", ParDo.of(new RecordPanes(direct)));
      grouped.map("Identity", (g: KV<string, number[]>) => g).apply("AfterMap", ParDo.of(new RecordPanes(afterMap)));
    });
    assert.equal(await result.waitUntilFinish(), "DONE");
    const expected = [
      { values: "1", pane: { index: 0, isFirst: true, isLast: false, timing: "EARLY", onTimeIndex: -1 } },
      { values: "1,2", pane: { index: 1, isFirst: false, isLast: false, timing: "EARLY", onTimeIndex: -1 } },
      { values: "1,2", pane: { index: 2, isFirst: false, isLast: false, timing: "ON_TIME", onTimeIndex: 0 } },
      { values: "1,2,3", pane: { index: 3, isFirst: false, isLast: true, timing: "LATE", onTimeIndex: 1 } },
    ];
    assert.deepEqual(direct, expected);
    assert.deepEqual(afterMap, expected);
  });
});
