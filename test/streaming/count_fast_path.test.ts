import { strict as assert } from "node:assert";
import { AfterCount, AfterWatermark, Combine, Count, FixedWindows, Window } from "../../lib";
import type { CombineFn } from "../../lib/model/combine_fn";
import type { WindowIntoOptions } from "../../lib/model/primitives";
import type { KV } from "../../lib/model/window";
import { TestStream } from "../../lib/testing/test_stream";
import { runDirect } from "../helpers";
import { collect, el, type Observed, paneOf } from "./collect";

/**
 * A streaming Count.perKey adds 1 to a key's accumulator without calling the CombineFn
 * (grouping.ts, `counting`). A CombineFn that counts the same way, but is not Count's, takes the
 * general path: both must give the same panes (on time, early, late, after a trigger finished)
 * and drop the same elements.
 */
const userCount: CombineFn<number, number, number> = {
  createAccumulator: () => 0,
  addInput: (acc) => acc + 1,
  mergeAccumulators: (accs) => [...accs].reduce((a, b) => a + b, 0),
  extractOutput: (acc) => acc,
};

function script(): TestStream<KV<string, number>> {
  return TestStream.create<KV<string, number>>()
    .addElements(el("a", 1), el("b", 2), el("a", 3))
    .addElements(el("a", 4), el("b", 5), el("a", 5))
    .addElements(el("a", 12))
    .advanceWatermarkTo(10) // [0, 10) on time
    .addElements(el("a", 6)) // late, within the allowed lateness
    .addElements(el("a", 7), el("b", 8))
    .addElements(el("a", 13), el("a", 14), el("b", 15))
    .advanceWatermarkTo(200) // [10, 20) on time; [0, 10) expires
    .addElements(el("a", 9)) // past the allowed lateness: dropped
    .advanceWatermarkToInfinity();
}

async function counted(
  count: "Count.perKey" | "user CombineFn",
  options: WindowIntoOptions,
): Promise<{ rows: string[]; dropped: (counter: string) => number }> {
  const out: Observed<KV<string, number>>[] = [];
  const result = await runDirect((p) => {
    const windowed = p.apply(script()).apply(Window.into(new FixedWindows(10), options));
    collect(windowed.apply(count === "Count.perKey" ? Count.perKey<string, number>() : Combine.perKey<string, number, number, number>(userCount)), out);
  });
  assert.equal(await result.waitUntilFinish(), "DONE");
  const step = count === "Count.perKey" ? "CountPerKey/CombinePerKey" : "CombinePerKey";
  return {
    rows: out.map((o) => `${o.value.key}:${o.value.value} ${o.window} ${paneOf(o.pane)}`),
    dropped: (counter) => result.metrics.counterTotal("beamline", counter, step),
  };
}

describe("streaming DirectRunner: Count.perKey's accumulators", () => {
  it("the default trigger: the panes of a CombineFn that counts", async () => {
    const fast = await counted("Count.perKey", { allowedLatenessMillis: 100 });
    const general = await counted("user CombineFn", { allowedLatenessMillis: 100 });
    assert.deepEqual(fast.rows, [
      "a:4 0:10 ON_TIME#0/0 first",
      "b:2 0:10 ON_TIME#0/0 first",
      "a:1 0:10 LATE#1/1",
      "a:1 0:10 LATE#2/2",
      "b:1 0:10 LATE#1/1",
      "a:3 10:20 ON_TIME#0/0 first last",
      "b:1 10:20 ON_TIME#0/0 first last",
    ]);
    assert.equal(fast.dropped("droppedDueToLateness"), 1);
    assert.deepEqual(general.rows, fast.rows);
    assert.equal(general.dropped("droppedDueToLateness"), 1);
  });

  it("AfterWatermark() alone: elements after its pane are dropped as closed, as with any CombineFn", async () => {
    const options: WindowIntoOptions = { trigger: AfterWatermark(), allowedLatenessMillis: 100 };
    const fast = await counted("Count.perKey", options);
    const general = await counted("user CombineFn", options);
    assert.deepEqual(fast.rows, ["a:4 0:10 ON_TIME#0/0 first last", "b:2 0:10 ON_TIME#0/0 first last", "a:3 10:20 ON_TIME#0/0 first last", "b:1 10:20 ON_TIME#0/0 first last"]);
    assert.equal(fast.dropped("droppedDueToClosedWindow"), 3);
    assert.deepEqual(general.rows, fast.rows);
    assert.equal(general.dropped("droppedDueToClosedWindow"), 3);
  });

  it("early and late firings, accumulating: each pane counts everything so far", async () => {
    const options: WindowIntoOptions = { trigger: AfterWatermark({ early: AfterCount(2), late: AfterCount(1) }), accumulationMode: "ACCUMULATING", allowedLatenessMillis: 100 };
    const fast = await counted("Count.perKey", options);
    const general = await counted("user CombineFn", options);
    assert.deepEqual(fast.rows, [
      "a:2 0:10 EARLY#0/-1 first",
      "a:4 0:10 EARLY#1/-1",
      "b:2 0:10 EARLY#0/-1 first",
      "a:4 0:10 ON_TIME#2/0",
      "b:2 0:10 ON_TIME#1/0",
      "a:5 0:10 LATE#3/1",
      "a:6 0:10 LATE#4/2",
      "b:3 0:10 LATE#2/1",
      "a:3 10:20 EARLY#0/-1 first",
      "a:3 10:20 ON_TIME#1/0 last",
      "b:1 10:20 ON_TIME#0/0 first last",
    ]);
    assert.deepEqual(general.rows, fast.rows);
  });
});
