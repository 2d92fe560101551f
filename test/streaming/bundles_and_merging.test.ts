/**
 * Trigger evaluation per bundle and trigger state across session merges (issue 9, items 2 and
 * 4), as Beam's runners-core (ReduceFnRunner, the trigger state machines' onMerge) does it.
 */
import { strict as assert } from "node:assert";
import { GlobalWindows, KV } from "../../lib";
import { AfterCount, AfterEach, AfterWatermark, Repeatedly } from "../../lib/model/triggers";
import { Sessions, SlidingWindows } from "../../lib/model/sliding_sessions";
import { TestStream } from "../../lib/testing/test_stream";
import { droppedClosed, el, groupedPanes, UNSAFE_TRIGGERS } from "./collect";

const panes = groupedPanes;
const closed = droppedClosed;

describe("Triggers are evaluated once per bundle (as Beam's runners do)", () => {
  it("AfterCount(2) over a bundle of 3 fires one pane of 3", async () => {
    const script = TestStream.create<KV<string, number>>().addElements(el("k", 1), el("k", 2), el("k", 3)).addElements(el("k", 4), el("k", 5)).advanceWatermarkToInfinity();
    const { rows } = await panes(script, new GlobalWindows(), { trigger: Repeatedly(AfterCount(2)) });
    assert.deepEqual(rows, ["k:1,2,3 global EARLY#0/-1 first", "k:4,5 global EARLY#1/-1", "k: global ON_TIME#2/0 last"]);
  });

  it("a trigger that fires once loses nothing of its bundle: SlidingWindows(10 s, 5 s) with AfterCount(1) and addElements(a@3, a@2, a@2)", async () => {
    const script = TestStream.create<KV<string, number>>().addElements(el("a", 3000), el("a", 2000), el("a", 2000)).advanceWatermarkToInfinity();
    const { rows, metrics } = await panes(script, new SlidingWindows(10_000, 5_000), { trigger: AfterCount(1) }, UNSAFE_TRIGGERS);
    assert.deepEqual([...rows].sort(), ["a:2000,2000,3000 -5000:5000 EARLY#0/-1 first last", "a:2000,2000,3000 0:10000 EARLY#0/-1 first last"]);
    assert.equal(closed(metrics), 0);
  });
});

describe("Session windows: merging and triggers", () => {
  it("late data merging into a fired session fires the late trigger at once, as a new window (pane index 0)", async () => {
    const script = TestStream.create<KV<string, number>>()
      .addElements(el("a", 1), el("b", 21))
      .advanceWatermarkTo(20) // a's session [1, 11) fires on time
      .addElements(el("a", 5)) // late: [5, 15) merges with [1, 11) into [1, 15), whose end has passed
      .advanceWatermarkTo(40) // b's session [21, 31) fires on time
      .advanceWatermarkToInfinity();
    for (const [mode, merged] of [
      ["DISCARDING", "a:5"],
      ["ACCUMULATING", "a:1,5"],
    ] as const) {
      const { rows } = await panes(script, new Sessions(10), { trigger: AfterWatermark({ late: AfterCount(1) }), allowedLatenessMillis: 100, accumulationMode: mode });
      assert.deepEqual(rows, ["a:1 1:11 ON_TIME#0/0 first", `${merged} 1:15 LATE#0/0 first`, "b:21 21:31 ON_TIME#0/0 first"], mode);
    }
  });

  it("a merged window is a new window for pane numbering", async () => {
    const script = TestStream.create<KV<string, number>>()
      .addElements(el("a", 1)) // [1, 11): early pane 0
      .addElements(el("a", 8)) // [8, 18) merges: [1, 18) is new, its first early pane is index 0
      .addElements(el("a", 12)) // inside [1, 18): [1, 22), new again
      .advanceWatermarkToInfinity();
    const { rows } = await panes(script, new Sessions(10), { trigger: AfterWatermark({ early: AfterCount(1) }) });
    assert.deepEqual(rows, ["a:1 1:11 EARLY#0/-1 first", "a:8 1:18 EARLY#0/-1 first", "a:12 1:22 EARLY#0/-1 first", "a: 1:22 ON_TIME#1/0 last"]);
  });

  it("AfterEach(AfterCount(2), AfterCount(3)) keeps its place across merges (trigger states merge)", async () => {
    const script = TestStream.create<KV<string, number>>()
      .addElements(el("a", 1), el("a", 2)) // [1, 12): AfterCount(2) fires; AfterCount(3) is next
      .addElements(el("a", 15)) // a separate session [15, 25), still at AfterCount(2) with 1
      .addElements(el("a", 11)) // [11, 21) bridges both: [1, 25) is at AfterCount(3) with 2 (15 and 11)
      .addElements(el("a", 16)) // 3: fires, and the sequence is done
      .addElements(el("a", 17)) // [17, 27) overlaps the closed [1, 26), which no longer merges: a new session
      .advanceWatermarkToInfinity();
    const { rows, metrics } = await panes(script, new Sessions(10), { trigger: AfterEach(AfterCount(2), AfterCount(3)) }, UNSAFE_TRIGGERS);
    assert.deepEqual(rows, ["a:1,2 1:12 EARLY#0/-1 first", "a:11,15,16 1:26 EARLY#0/-1 first last", "a:17 17:27 ON_TIME#0/0 first last"]);
    assert.equal(closed(metrics), 0);
  });

  it("Repeatedly(AfterEach(AfterCount(2), AfterCount(3))) keeps firing across merges", async () => {
    const script = TestStream.create<KV<string, number>>()
      .addElements(el("a", 1), el("a", 2)) // [1, 12): fires [1, 2]
      .addElements(el("a", 15)) // [15, 25)
      .addElements(el("a", 11)) // bridges: [1, 25) at AfterCount(3) with 2
      .addElements(el("a", 16)) // fires [11, 15, 16]; the sequence starts over
      .addElements(el("a", 17), el("a", 18)) // AfterCount(2): fires
      .addElements(el("a", 19), el("a", 20)) // AfterCount(3) has 2
      .addElements(el("a", 21)) // fires
      .advanceWatermarkToInfinity();
    const { rows } = await panes(script, new Sessions(10), { trigger: Repeatedly(AfterEach(AfterCount(2), AfterCount(3))) });
    assert.deepEqual(rows, [
      "a:1,2 1:12 EARLY#0/-1 first",
      "a:11,15,16 1:26 EARLY#0/-1 first",
      "a:17,18 1:28 EARLY#0/-1 first",
      "a:19,20,21 1:31 EARLY#0/-1 first",
      "a: 1:31 ON_TIME#1/0 last",
    ]);
  });

  it("an element overlapping a session whose trigger has finished starts a new session (Beam Java's MergingActiveWindowSet)", async () => {
    const script = TestStream.create<KV<string, number>>()
      .addElements(el("a", 1), el("a", 3)) // [1, 13): AfterCount(2) fires and finishes
      .addElements(el("a", 5)) // [5, 15) overlaps the closed [1, 13): a new session, not dropped
      .addElements(el("a", 1)) // [1, 11) is inside the closed [1, 13) but not the same window: merges with [5, 15) into [1, 15)
      .advanceWatermarkToInfinity();
    const { rows, metrics } = await panes(script, new Sessions(10), { trigger: AfterCount(2) }, UNSAFE_TRIGGERS);
    assert.deepEqual(rows, ["a:1,3 1:13 EARLY#0/-1 first last", "a:1,5 1:15 EARLY#0/-1 first last"]);
    assert.equal(closed(metrics), 0);
  });
});
