import { strict as assert } from "node:assert";
import { AfterCount, AfterWatermark, Combine, Count, FixedWindows, Window } from "../../lib";
import { SlidingWindows } from "../../lib/model/sliding_sessions";
import { type BoundedWindow, kv } from "../../lib/model/window";
import { DeterministicJsValueCoder } from "../../lib/coders/js_value";
import { stateKeyOf } from "../../runners/streaming/grouping_state";
import { AfterProcessingTime } from "../../lib";
import type { CombineFn } from "../../lib/model/combine_fn";
import type { WindowIntoOptions } from "../../lib/model/primitives";
import type { KV } from "../../lib/model/window";
import { TestStream } from "../../lib/testing/test_stream";
import { runDirect } from "../helpers";
import { collect, el, type Observed, paneOf, UNSAFE_TRIGGERS } from "./collect";
import type { PipelineOptions } from "../../lib/model/options";

/**
 * A streaming Count.perKey adds 1 to a key's accumulator without calling the CombineFn
 * (grouping.ts, `counting`). A CombineFn that counts the same way, but is not Count's, takes the
 * general path: both must give the same panes (on time, early, late, after a trigger finished)
 * and drop the same elements.
 */
/**
 * Sliding windows whose window objects are the same for every element in them (a window fn may
 * keep them), earliest first: an element's first window is then often the one the element before
 * went to last.
 */
class CachedSlidingWindows extends SlidingWindows {
  private readonly cache = new Map<string, BoundedWindow>();
  assignWindows(timestamp: number): readonly BoundedWindow[] {
    const windows = super.assignWindows(timestamp).map((w) => this.cache.get(w.id()) ?? (this.cache.set(w.id(), w), w));
    return [...windows].sort((a, b) => a.maxTimestamp() - b.maxTimestamp());
  }
}

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
  pipelineOptions: Partial<PipelineOptions> = {},
): Promise<{ rows: string[]; dropped: (counter: string) => number }> {
  const out: Observed<KV<string, number>>[] = [];
  const result = await runDirect((p) => {
    const windowed = p.apply(script()).apply(Window.into(new FixedWindows(10), options));
    collect(windowed.apply(count === "Count.perKey" ? Count.perKey<string, number>() : Combine.perKey<string, number, number, number>(userCount)), out);
  }, pipelineOptions);
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
    const fast = await counted("Count.perKey", options, UNSAFE_TRIGGERS);
    const general = await counted("user CombineFn", options, UNSAFE_TRIGGERS);
    assert.deepEqual(fast.rows, ["a:4 0:10 ON_TIME#0/0 first last", "b:2 0:10 ON_TIME#0/0 first last", "a:3 10:20 ON_TIME#0/0 first last", "b:1 10:20 ON_TIME#0/0 first last"]);
    assert.equal(fast.dropped("droppedDueToClosedWindow"), 3);
    assert.deepEqual(general.rows, fast.rows);
    assert.equal(general.dropped("droppedDueToClosedWindow"), 3);
  });

  it("keys of every kind and elements in several windows: Count's short path (string keys in the live window) against a CombineFn", async () => {
    // String keys take receive's short path; a key starting with NUL, numbers and objects are
    // encoded, and an element in two sliding windows is in more than the live window: those
    // take the general path. All must count as a CombineFn that counts does.
    // The last key is a string spelled as the state id of 7 (a string key starting with NUL is encoded, as 7 is).
    const keys: unknown[] = ["a", "\u0000a", 7, { id: 1 }, "b", stateKeyOf(7, new DeterministicJsValueCoder())];
    const elements = Array.from({ length: 40 }, (_, i) => ({ value: kv(keys[i % keys.length], i), timestamp: i % 23 }));
    // One key, one after the other, each element's first sliding window the last one of the element before.
    elements.push({ value: kv("a", 40), timestamp: 7 }, { value: kv("a", 41), timestamp: 12 }, { value: kv("a", 42), timestamp: 17 });
    const run = async (count: "Count.perKey" | "user CombineFn", windowFn: FixedWindows | SlidingWindows, trigger?: WindowIntoOptions["trigger"], combiner?: WindowIntoOptions["timestampCombiner"]): Promise<string[]> => {
      const out: Observed<KV<unknown, number>>[] = [];
      const stream = TestStream.create<KV<unknown, number>>()
        .addElements(...elements.slice(0, 15))
        .advanceProcessingTime(1000)
        .addElements(...elements.slice(15, 30))
        .advanceProcessingTime(1000)
        .advanceWatermarkTo(15)
        .addElements(...elements.slice(30))
        .advanceWatermarkToInfinity();
      const result = await runDirect((p) => {
        const windowed = p.apply(stream).apply(Window.into(windowFn, { allowedLatenessMillis: 5, ...(trigger !== undefined ? { trigger } : {}), ...(combiner !== undefined ? { timestampCombiner: combiner } : {}) }));
        collect(windowed.apply(count === "Count.perKey" ? Count.perKey<unknown, number>() : Combine.perKey<unknown, number, number, number>(userCount)), out);
        // AfterWatermark() alone (one of the triggers compared) finishes with lateness allowed.
      }, UNSAFE_TRIGGERS);
      assert.equal(await result.waitUntilFinish(), "DONE");
      return out.map((o) => `${JSON.stringify(o.value.key)}:${o.value.value} ${o.window} ${paneOf(o.pane)} @${o.timestamp}`).sort();
    };
    const total = (rows: string[]): number => rows.reduce((n, r) => n + Number(/:(\d+) /.exec(r)![1]), 0);
    for (const [windowFn, trigger, expected, combiner] of [
      // Elements 30..42 come at watermark 15: those before 10 (four) are past [0, 10)'s lateness.
      [new FixedWindows(10), undefined, 39, undefined],
      [new SlidingWindows(10, 5), undefined, 2 * 43 - 4, undefined], // [0, 10) drops them, [5, 15) does not
      [new CachedSlidingWindows(10, 5), undefined, 2 * 43 - 4, undefined],
      [new FixedWindows(10), AfterWatermark(), 39, undefined],
      [new FixedWindows(10), AfterWatermark({ early: AfterProcessingTime(500) }), 39, undefined],
      [new FixedWindows(10), undefined, 39, "EARLIEST"],
      [new FixedWindows(10), undefined, 39, "LATEST"],
    ] as const) {
      const fast = await run("Count.perKey", windowFn, trigger, combiner);
      assert.deepEqual(fast, await run("user CombineFn", windowFn, trigger, combiner));
      assert.equal(total(fast), expected);
      for (const key of ['"a"', '"\\u0000a"', "7", '{"id":1}', '"b"', JSON.stringify(keys[5])]) assert.ok(fast.some((r) => r.startsWith(`${key}:`)), `a pane of key ${key}`);
    }
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
