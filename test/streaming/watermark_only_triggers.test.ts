import { strict as assert } from "node:assert";
import { AfterAll, AfterWatermark, FixedWindows, Repeatedly } from "../../lib";
import type { KV } from "../../lib/model/window";
import { TestStream } from "../../lib/testing/test_stream";
import { el, groupedPanes, UNSAFE_TRIGGERS } from "./collect";

/**
 * A grouping whose trigger reads only the watermark (the default trigger, AfterWatermark() alone)
 * skips the per-bundle evaluation of windows the watermark has not passed (grouping_panes.ts,
 * evaluateTouched). The same triggers written so that they see elements (Repeatedly(...),
 * AfterAll(...)) take the full evaluation: both must give the same panes, on time, late and
 * dropped, over several bundles and keys.
 */
function script(): TestStream<KV<string, number>> {
  return TestStream.create<KV<string, number>>()
    .addElements(el("a", 1), el("b", 2), el("a", 3)) // new states of [0, 10)
    .addElements(el("a", 4), el("b", 5)) // the same states again (the skipped evaluation)
    .addElements(el("a", 12)) // a new window
    .advanceWatermarkTo(10) // [0, 10) on time
    .addElements(el("a", 6)) // late, within the allowed lateness
    .addElements(el("a", 7), el("b", 8)) // late again
    .addElements(el("a", 13)) // [10, 20), the watermark not past it
    .advanceWatermarkTo(200) // [10, 20) on time; [0, 10) expires
    .addElements(el("a", 9)) // past the allowed lateness: dropped
    .advanceWatermarkToInfinity();
}

describe("streaming DirectRunner: triggers that read only the watermark", () => {
  it("the default trigger gives the panes of Repeatedly(AfterWatermark())", async () => {
    const windowFn = new FixedWindows(10);
    const fast = await groupedPanes(script(), windowFn, { allowedLatenessMillis: 100 });
    const full = await groupedPanes(script(), windowFn, { trigger: Repeatedly(AfterWatermark()), allowedLatenessMillis: 100 });
    assert.deepEqual(fast.rows, [
      "a:1,3,4 0:10 ON_TIME#0/0 first",
      "b:2,5 0:10 ON_TIME#0/0 first",
      "a:6 0:10 LATE#1/1",
      "a:7 0:10 LATE#2/2",
      "b:8 0:10 LATE#1/1",
      // Fired and expired by the same watermark advance: its last pane.
      "a:12,13 10:20 ON_TIME#0/0 first last",
    ]);
    assert.equal(fast.metrics.counterTotal("beamline", "droppedDueToLateness", "GroupByKey"), 1);
    assert.deepEqual(full.rows, fast.rows);
  });

  it("AfterWatermark() alone gives the panes of AfterAll(AfterWatermark())", async () => {
    const windowFn = new FixedWindows(10);
    const fast = await groupedPanes(script(), windowFn, { trigger: AfterWatermark(), allowedLatenessMillis: 100 }, UNSAFE_TRIGGERS);
    const full = await groupedPanes(script(), windowFn, { trigger: AfterAll(AfterWatermark()), allowedLatenessMillis: 100 }, UNSAFE_TRIGGERS);
    assert.ok(fast.rows.length > 0);
    assert.deepEqual(full.rows, fast.rows);
  });
});
