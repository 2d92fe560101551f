/**
 * AfterProcessingTime with alignment (Beam Java's `AfterProcessingTime.pastFirstElementInPane()
 * .plusDelayOf(delay).alignedTo(period, offset)`) on the streaming DirectRunner: the firing time,
 * the first element's arrival plus the delay, is rounded up to the next boundary
 * `offset + k * period` (an aligned time stays as it is: runners-core's AlignFn). Virtual
 * processing time starts at 0.
 */
import { strict as assert } from "node:assert";
import { GlobalWindows, KV } from "../../lib";
import { AfterProcessingTime, alignProcessingTime, Repeatedly } from "../../lib/model/triggers";
import { TestStream } from "../../lib/testing/test_stream";
import { el, groupedPanes } from "./collect";

describe("Streaming DirectRunner: AfterProcessingTime aligned to a period", () => {
  it("rounds up to the next boundary, as Beam Java's AlignFn (an aligned time stays)", () => {
    const minute = { periodMillis: 60_000 };
    assert.deepEqual([0, 1, 59_999, 60_000, 60_001].map((t) => alignProcessingTime(t, minute)), [0, 60_000, 60_000, 60_000, 120_000]);
    // TriggerTranslationTest's alignment: a 5 ms period from 27.
    const odd = { periodMillis: 5, offsetMillis: 27 };
    assert.deepEqual([27, 28, 31, 32, 33, 3].map((t) => alignProcessingTime(t, odd)), [27, 32, 32, 32, 37, 7]);
  });

  it("fires every key's pane at the boundary after its first element, not a delay after it", async () => {
    const script = TestStream.create<KV<string, number>>()
      .advanceProcessingTime(30)
      .addElements(el("a", 1)) // at 30: a's pane fires at 100 (unaligned it would fire at once)
      .advanceProcessingTime(50)
      .addElements(el("b", 2)) // at 80: b's pane fires at 100 too
      .advanceProcessingTime(19) // 99: nothing yet
      .addElements(el("a", 3))
      .advanceProcessingTime(1) // 100: both fire
      .addElements(el("a", 4)) // at 100, an aligned time: fires at once
      .addElements(el("a", 5)) // at 100 again: the next pane also fires at once
      .advanceProcessingTime(1)
      .addElements(el("b", 6)) // at 101: fires at 200
      .advanceProcessingTime(98) // 199: not yet
      .addElements(el("b", 7))
      .advanceProcessingTime(1) // 200
      .advanceWatermarkToInfinity();
    const { rows } = await groupedPanes(script, new GlobalWindows(), { trigger: Repeatedly(AfterProcessingTime(0, { alignedTo: { periodMillis: 100 } })) });
    assert.deepEqual(rows, [
      "a:1,3 global EARLY#0/-1 first",
      "b:2 global EARLY#0/-1 first",
      "a:4 global EARLY#1/-1",
      "a:5 global EARLY#2/-1",
      "b:6,7 global EARLY#1/-1",
      // The global window's end: its (empty) on-time panes.
      "a: global ON_TIME#3/0 last",
      "b: global ON_TIME#2/0 last",
    ]);
  });

  it("adds the delay first, then aligns (plusDelayOf(delay).alignedTo(period, offset))", async () => {
    const script = TestStream.create<KV<string, number>>()
      .advanceProcessingTime(10)
      .addElements(el("k", 1)) // 10 + 50 = 60, aligned to 10 + k * 100: 110
      .advanceProcessingTime(99) // 109: not yet
      .addElements(el("k", 2))
      .advanceProcessingTime(1) // 110: fires
      .addElements(el("k", 3)) // 110 + 50 = 160: 210
      .advanceProcessingTime(99)
      .addElements(el("k", 4))
      .advanceProcessingTime(1) // 210
      .advanceWatermarkToInfinity();
    const { rows } = await groupedPanes(script, new GlobalWindows(), {
      trigger: Repeatedly(AfterProcessingTime(50, { alignedTo: { periodMillis: 100, offsetMillis: 10 } })),
    });
    assert.deepEqual(rows, ["k:1,2 global EARLY#0/-1 first", "k:3,4 global EARLY#1/-1", "k: global ON_TIME#2/0 last"]);
  });
});
