import { strict as assert } from "node:assert";
import { FixedWindows } from "../../lib";
import type { KV } from "../../lib/model/window";
import { TestStream } from "../../lib/testing/test_stream";
import { el, groupedPanes } from "./collect";

/**
 * A grouping skips the expiry check for elements of the window the elements before them went to
 * (grouping_windows.ts, `liveWindow`), and checks that window again when the watermark moves. Window.into
 * hands consecutive elements of one fixed window the same window object, before and after the
 * watermark passes the window's expiry: the later ones must still be dropped as late.
 */
describe("streaming DirectRunner: the window of the elements before", () => {
  it("an element of it that arrives after the window expired is dropped as late", async () => {
    const script = TestStream.create<KV<string, number>>()
      .addElements(el("a", 1), el("b", 2))
      .advanceWatermarkTo(5) // not expired: the next element is on time
      .addElements(el("a", 3))
      .advanceWatermarkTo(200) // [0, 10) fires and expires
      .addElements(el("a", 4), el("b", 5)) // the same window object as the elements before
      .addElements(el("a", 250)) // another window
      .advanceWatermarkToInfinity();
    const { rows, metrics } = await groupedPanes(script, new FixedWindows(10), { allowedLatenessMillis: 0 });
    assert.deepEqual(rows, ["a:1,3 0:10 ON_TIME#0/0 first last", "b:2 0:10 ON_TIME#0/0 first last", "a:250 250:260 ON_TIME#0/0 first last"]);
    assert.equal(metrics.counterTotal("beamline", "droppedDueToLateness", "GroupByKey"), 2);
  });

  it("with allowed lateness, it is a late pane of the same window", async () => {
    const script = TestStream.create<KV<string, number>>()
      .addElements(el("a", 1))
      .advanceWatermarkTo(50) // [0, 10) fires, and stays for 100 ms of allowed lateness
      .addElements(el("a", 2))
      .advanceWatermarkTo(200) // now it expires
      .addElements(el("a", 3))
      .advanceWatermarkToInfinity();
    const { rows, metrics } = await groupedPanes(script, new FixedWindows(10), { allowedLatenessMillis: 100 });
    assert.deepEqual(rows, ["a:1 0:10 ON_TIME#0/0 first", "a:2 0:10 LATE#1/1"]);
    assert.equal(metrics.counterTotal("beamline", "droppedDueToLateness", "GroupByKey"), 1);
  });
});
