/**
 * OrFinally on the streaming DirectRunner, after Beam's tests of it: runners-core's
 * OrFinallyStateMachineTest (each case below names the one it follows) and the semantics of
 * Beam's OrFinallyStateMachine: it fires when the main trigger fires, and fires a last pane and
 * closes the window when the finally trigger fires; the finally trigger counts from the window's
 * first element, across the main trigger's panes.
 */
import { strict as assert } from "node:assert";
import { FixedWindows, GlobalWindows, kv, KV, Sessions } from "../../lib";
import { ByteReader, ByteWriter } from "../../lib/coders/byte_io";
import { MetricsContainer, systemCounterKey } from "../../lib/model/metrics";
import { ElementMeta, GlobalWindow, NO_FIRING } from "../../lib/model/window";
import type { WindowingStrategy } from "../../lib/model/windowing";
import { deterministicKeyCoder } from "../../runners/executor/default_coders";
import { DROPPED_CLOSED, GroupNode } from "../../runners/streaming/grouping";
import { AfterCount, AfterEach, AfterProcessingTime, AfterWatermark, OrFinally, Repeatedly } from "../../lib/model/triggers";
import { TestStream } from "../../lib/testing/test_stream";
import { droppedClosed, el, groupedPanes, UNSAFE_TRIGGERS } from "./collect";

describe("Streaming DirectRunner: OrFinally", () => {
  it("fires and finishes when the main trigger fires and finishes (testActualFiresAndFinishes)", async () => {
    const script = TestStream.create<KV<string, number>>()
      .addElements(el("k", 1)) // not yet
      .addElements(el("k", 2)) // AfterCount(2) fires and finishes: so does OrFinally
      .addElements(el("k", 3)) // dropped: the window is closed
      .advanceWatermarkToInfinity();
    const { rows, metrics } = await groupedPanes(script, new FixedWindows(100), { trigger: OrFinally(AfterCount(2), AfterCount(100)) }, UNSAFE_TRIGGERS);
    assert.deepEqual(rows, ["k:1,2 0:100 EARLY#0/-1 first last"]);
    assert.equal(droppedClosed(metrics), 1);
  });

  it("fires without finishing when the main trigger fires without finishing (testActualFiresOnly)", async () => {
    const script = TestStream.create<KV<string, number>>()
      .addElements(el("k", 1))
      .addElements(el("k", 2)) // the main trigger fires
      .addElements(el("k", 3), el("k", 4)) // and again; the finally trigger (100 elements) never fires
      .advanceWatermarkToInfinity();
    const { rows, metrics } = await groupedPanes(script, new FixedWindows(100), { trigger: OrFinally(Repeatedly(AfterCount(2)), AfterCount(100)) }, UNSAFE_TRIGGERS);
    // Neither trigger fires at the end of the window; it expires there (no allowed lateness) with
    // its last pane, on time and empty, as Beam's ReduceFnRunner emits it (FIRE_ALWAYS on-time behaviour).
    assert.deepEqual(rows, ["k:1,2 0:100 EARLY#0/-1 first", "k:3,4 0:100 EARLY#1/-1", "k: 0:100 ON_TIME#2/0 last"]);
    assert.equal(droppedClosed(metrics), 0);
  });

  it("fires a last pane when the finally trigger fires, counting elements across the main trigger's panes (testActualFiresButUntilFinishes)", async () => {
    const script = TestStream.create<KV<string, number>>()
      .addElements(el("k", 1))
      .addElements(el("k", 2)) // the main trigger fires: [1, 2]
      .addElements(el("k", 3)) // the third element of the window: the finally trigger fires, [3] is the last pane
      .addElements(el("k", 4)) // dropped
      .advanceWatermarkToInfinity();
    const { rows, metrics } = await groupedPanes(script, new FixedWindows(10), { trigger: OrFinally(Repeatedly(AfterCount(2)), AfterCount(3)) }, UNSAFE_TRIGGERS);
    assert.deepEqual(rows, ["k:1,2 0:10 EARLY#0/-1 first", "k:3 0:10 EARLY#1/-1 last"]);
    assert.equal(droppedClosed(metrics), 1);
  });

  it("Repeatedly(AfterCount(1)) until AfterWatermark(): an early pane per element, then a last on-time pane (no unsafe-trigger flag needed without allowed lateness)", async () => {
    const script = TestStream.create<KV<string, number>>()
      .addElements(el("k", 1))
      .addElements(el("k", 2))
      .advanceWatermarkTo(10) // the finally trigger: the on-time pane, empty (FIRE_ALWAYS) and last
      .addElements(el("k", 15))
      .advanceWatermarkToInfinity();
    const { rows } = await groupedPanes(script, new FixedWindows(10), { trigger: OrFinally(Repeatedly(AfterCount(1)), AfterWatermark()) });
    assert.deepEqual(rows, ["k:1 0:10 EARLY#0/-1 first", "k:2 0:10 EARLY#1/-1", "k: 0:10 ON_TIME#2/0 last", "k:15 10:20 EARLY#0/-1 first", "k: 10:20 ON_TIME#1/0 last"]);
  });

  it("a processing-time finally trigger closes the window when it is due, even with no element pending", async () => {
    const script = TestStream.create<KV<string, number>>()
      .addElements(el("k", 1)) // pane [1]; the finally trigger is due at processing time 100
      .advanceProcessingTime(100) // the finally trigger fires: the window closes (nothing to emit)
      .addElements(el("k", 2)) // dropped
      .advanceWatermarkToInfinity();
    const { rows, metrics } = await groupedPanes(script, new GlobalWindows(), { trigger: OrFinally(Repeatedly(AfterCount(1)), AfterProcessingTime(100)) }, UNSAFE_TRIGGERS);
    assert.deepEqual(rows, ["k:1 global EARLY#0/-1 first"]);
    assert.equal(droppedClosed(metrics), 1);
  });

  it("in a sequence over sessions, an OrFinally that finished in one merging window is active again in the merged one (testShouldFireAfterMerge)", async () => {
    const script = TestStream.create<KV<string, number>>()
      .addElements(el("k", 1)) // session [1, 11)
      .advanceWatermarkTo(11) // AfterWatermark ends the OrFinally there: on-time pane [1]; the sequence moves on
      .addElements(el("k", 5)) // session [5, 15), still at the OrFinally: merged into [1, 15), where it is not finished
      .addElements(el("k", 1), el("k", 2), el("k", 3), el("k", 4)) // five elements in the merged window: AfterCount(5) fires
      .addElements(el("k", 6)) // now Repeatedly(AfterCount(1)): a pane per element (of [1, 16), a new window)
      .advanceWatermarkToInfinity(); // [1, 16) expires: its on-time pane, empty and last
    const { rows } = await groupedPanes(script, new Sessions(10), {
      trigger: AfterEach(OrFinally(AfterCount(5), AfterWatermark()), Repeatedly(AfterCount(1))),
      allowedLatenessMillis: 100,
    });
    assert.deepEqual(rows, ["k:1 1:11 ON_TIME#0/0 first", "k:1,2,3,4,5 1:15 EARLY#0/-1 first", "k:6 1:16 EARLY#0/-1 first", "k: 1:16 ON_TIME#1/0 last"]);
  });
});

describe("Streaming GroupByKey state: OrFinally across a checkpoint", () => {
  const windowing: WindowingStrategy = {
    windowFn: new GlobalWindows(),
    trigger: OrFinally(Repeatedly(AfterCount(1)), AfterProcessingTime(100)),
    timestampCombiner: "END_OF_WINDOW",
    accumulationMode: "DISCARDING",
    allowedLatenessMillis: 0,
  };
  const meta: ElementMeta = { timestamp: 1, windows: [GlobalWindow.INSTANCE], pane: NO_FIRING };
  const groupInto = (panes: string[]): GroupNode =>
    new GroupNode("Group", windowing, deterministicKeyCoder(), undefined, { receive: (v: unknown) => void panes.push(JSON.stringify(v)) }, new MetricsContainer("Group"));

  it("a restored window whose processing-time finally trigger comes due with nothing pending still closes", async () => {
    const before: string[] = [];
    const group = groupInto(before);
    await group.receive(kv("k", 1), meta);
    await group.advance({ inputWatermark: 0, processingTime: 0 }); // pane [1]; the finally trigger is due at 100
    assert.deepEqual(before, ['{"key":"k","value":[1]}']);
    const w = new ByteWriter();
    group.snapshot(w);

    const after: string[] = [];
    const restored = groupInto(after);
    restored.restore(new ByteReader(w.finish()));
    await restored.advance({ inputWatermark: 0, processingTime: 100 }); // the finally trigger fires: closed
    await restored.receive(kv("k", 2), meta); // dropped
    await restored.advance({ inputWatermark: 0, processingTime: 101 });
    assert.deepEqual(after, []);
    assert.equal(restored.metrics.counters.get(systemCounterKey(DROPPED_CLOSED)), 1);
  });
});
