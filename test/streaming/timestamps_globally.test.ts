import { strict as assert } from "node:assert";
import { Combine, Combiners, FixedWindows, GlobalWindows, GroupByKey, kv, KV, Window } from "../../lib";
import type { TimestampCombiner } from "../../lib/model/windowing";
import { AfterCount, AfterWatermark, Repeatedly } from "../../lib/model/triggers";
import { Create, GLOBAL_WINDOW_MAX_TIMESTAMP, MIN_TIMESTAMP } from "../../lib";
import { TestStream, TimestampedElement } from "../../lib/testing/test_stream";
import { runDirect } from "../helpers";
import { collect, Observed, paneOf } from "./collect";

const el = (key: string, t: number): TimestampedElement<KV<string, number>> => ({ value: kv(key, t), timestamp: t });
const sorted = (g: KV<string, number[]>): KV<string, number[]> => kv(g.key, [...g.value].sort((a, b) => a - b));

/** Runs `script` through fixed windows of 10 with `combiner` and a GroupByKey; rows "values@timestamp pane". */
async function grouped(script: TestStream<KV<string, number>>, options: Parameters<typeof Window.into>[1]): Promise<string[]> {
  const out: Observed<KV<string, number[]>>[] = [];
  const result = await runDirect((p) => {
    const g = p.apply(script).apply(Window.into(new FixedWindows(10), options)).apply(GroupByKey.create()).map("Sort", sorted);
    collect(g, out);
  });
  assert.equal(await result.waitUntilFinish(), "DONE");
  return out.map((o) => `${o.value.key}:${o.value.value.join(",")}@${o.timestamp} ${paneOf(o.pane)}`);
}

describe("Streaming DirectRunner: timestamp combiners", () => {
  const three = () => TestStream.create<KV<string, number>>().addElements(el("a", 5), el("a", 2), el("a", 7), el("b", 13)).advanceWatermarkToInfinity();

  for (const [combiner, a, b] of [
    ["END_OF_WINDOW", 9, 19],
    ["EARLIEST", 2, 13],
    ["LATEST", 7, 13],
  ] as [TimestampCombiner, number, number][]) {
    it(`stamps a pane with ${combiner} of its elements' timestamps`, async () => {
      const rows = await grouped(three(), { timestampCombiner: combiner });
      assert.deepEqual(rows.sort(), [`a:2,5,7@${a} ON_TIME#0/0 first last`, `b:13@${b} ON_TIME#0/0 first last`]);
    });
  }

  it("uses only the elements of each pane (early, then on time)", async () => {
    const script = TestStream.create<KV<string, number>>()
      .addElements(el("a", 5), el("a", 2))
      .addElements(el("a", 7)) // early pane (count 3 at the end of this bundle)
      .addElements(el("a", 6))
      .advanceWatermarkTo(10)
      .advanceWatermarkToInfinity();
    const options = (timestampCombiner: TimestampCombiner) => ({ timestampCombiner, trigger: AfterWatermark({ early: AfterCount(3) }) });
    assert.deepEqual(await grouped(script, options("EARLIEST")), ["a:2,5,7@2 EARLY#0/-1 first", "a:6@6 ON_TIME#1/0 last"]);
    assert.deepEqual(await grouped(script, options("LATEST")), ["a:2,5,7@7 EARLY#0/-1 first", "a:6@6 ON_TIME#1/0 last"]);
  });

  it("gives a late pane the end of its window: late data cannot hold the watermark", async () => {
    const script = TestStream.create<KV<string, number>>().addElements(el("a", 5)).advanceWatermarkTo(15).addElements(el("a", 3)).advanceWatermarkToInfinity();
    for (const timestampCombiner of ["EARLIEST", "LATEST"] as const) {
      assert.deepEqual(await grouped(script, { timestampCombiner, allowedLatenessMillis: 100 }), ["a:5@5 ON_TIME#0/0 first", "a:3@9 LATE#1/1"]);
    }
  });

  it("gives an element behind the output watermark no hold: its pane takes the end of the window", async () => {
    // The window [0, 10) is still open at watermark 6 but the step's output watermark is 6: an
    // element at 4 would make a pane the next step sees as late; Beam stamps it at the end of the window.
    const script = TestStream.create<KV<string, number>>().advanceWatermarkTo(6).addElements(el("a", 4), el("a", 8)).advanceWatermarkToInfinity();
    assert.deepEqual(await grouped(script, { timestampCombiner: "EARLIEST" }), ["a:4,8@8 ON_TIME#0/0 first last"]);
    const alone = TestStream.create<KV<string, number>>().advanceWatermarkTo(6).addElements(el("a", 4)).advanceWatermarkToInfinity();
    assert.deepEqual(await grouped(alone, { timestampCombiner: "EARLIEST" }), ["a:4@9 ON_TIME#0/0 first last"]);
  });

  for (const [combiner, expected] of [
    ["EARLIEST", ["0:5 a:2,8", "10:15 b:12"]],
    ["LATEST", ["10:15 b:12", "5:10 a:2,8"]],
  ] as [TimestampCombiner, string[]][]) {
    it(`holds the output watermark until the pane fires (${combiner}): the next grouping sees it on time`, async () => {
      const out: Observed<KV<string, number[]>>[] = [];
      const result = await runDirect((p) => {
        const first = p
          .apply(
            TestStream.create<KV<string, number>>()
              .addElements(el("a", 2), el("a", 8))
              .advanceWatermarkTo(9) // [0, 10) not yet due; without a hold the output watermark would reach 9
              .addElements(el("b", 12))
              .advanceWatermarkTo(10)
              .advanceWatermarkToInfinity(),
          )
          .apply("Window10", Window.into(new FixedWindows(10), { timestampCombiner: combiner }))
          .apply("First", GroupByKey.create())
          .map("Flat", (g: KV<string, number[]>) => kv(g.key, [...g.value].sort((x, y) => x - y).join(",")));
        const second = first.apply("Window5", Window.into(new FixedWindows(5))).apply("Second", GroupByKey.create());
        collect(second, out as unknown as Observed<KV<string, string[]>>[]);
      });
      assert.equal(await result.waitUntilFinish(), "DONE");
      assert.deepEqual(out.map((o) => `${o.window} ${o.value.key}:${(o.value.value as unknown as string[]).join("|")}`).sort(), expected);
      assert.equal(result.metrics.counterTotal("beamline", "droppedDueToLateness", "Second"), 0);
    });
  }
});

describe("Streaming DirectRunner: Combine.globally", () => {
  it("with fixed windows (withoutDefaults) emits one result per non-empty window and nothing for empty ones", async () => {
    const out: Observed<number>[] = [];
    const result = await runDirect((p) => {
      const sums = p
        .apply(
          TestStream.create<number>()
            .addElements({ value: 1, timestamp: 1 }, { value: 2, timestamp: 5 })
            .advanceWatermarkTo(15) // [10, 20) stays empty
            .addElements({ value: 30, timestamp: 25 })
            .advanceWatermarkToInfinity(),
        )
        .apply(Window.into(new FixedWindows(10)))
        .apply(Combine.globally(Combiners.sum(), { withoutDefaults: true }));
      collect(sums, out);
    });
    assert.equal(await result.waitUntilFinish(), "DONE");
    assert.deepEqual(
      out.map((o) => `${o.window}=${o.value}@${o.timestamp} ${paneOf(o.pane)}`),
      ["0:10=3@9 ON_TIME#0/0 first last", "20:30=30@29 ON_TIME#0/0 first last"],
    );
  });

  it("refuses defaults over non-global windows at construction", async () => {
    await assert.rejects(
      () =>
        runDirect((p) => {
          p.apply(TestStream.create<number>().advanceWatermarkToInfinity()).apply(Window.into(new FixedWindows(10))).apply(Combine.globally(Combiners.sum()));
        }),
      /withoutDefaults/,
    );
  });

  // Beam Java's Combine.globally flattens the combined result with the default branch: results
  // keep the grouping's timestamp and pane, and a triggered global window emits each pane as it
  // fires (not only once the side input that decides on the default is complete).
  it("in a triggered global window emits each pane of the combine with its pane and timestamp", async () => {
    const out: Observed<number>[] = [];
    const result = await runDirect((p) => {
      const sum = p
        .apply(
          TestStream.create<number>()
            .addElements({ value: 1, timestamp: 1 }, { value: 2, timestamp: 2 })
            .advanceWatermarkTo(10)
            .addElements({ value: 3, timestamp: 11 }, { value: 4, timestamp: 12 })
            .advanceWatermarkToInfinity(),
        )
        .apply(Window.into(new GlobalWindows(), { trigger: Repeatedly(AfterCount(2)) }))
        .apply(Combine.globally(Combiners.sum()));
      collect(sum, out);
    });
    assert.equal(await result.waitUntilFinish(), "DONE");
    assert.deepEqual(
      out.map((o) => `${o.value}@${o.timestamp} ${paneOf(o.pane)}`),
      // The grouping's panes as they are, its (empty) on-time pane at the end included (FIRE_ALWAYS).
      [`3@${GLOBAL_WINDOW_MAX_TIMESTAMP} EARLY#0/-1 first`, `7@${GLOBAL_WINDOW_MAX_TIMESTAMP} EARLY#1/-1`, `0@${GLOBAL_WINDOW_MAX_TIMESTAMP} ON_TIME#2/0 last`],
    );
  });

  it("in a bounded pipeline stamps the result as its grouping does, and only the default at the minimum timestamp", async () => {
    const out: Observed<number>[] = [];
    const result = await runDirect((p) => {
      collect(p.apply("Nums", Create.of(1, 2, 3)).apply("Sum", Combine.globally(Combiners.sum())), out, "CollectSum");
      collect(p.apply("None", Create.of<number>()).apply("SumNone", Combine.globally(Combiners.sum())), out, "CollectNone");
    });
    assert.equal(await result.waitUntilFinish(), "DONE");
    assert.deepEqual(out.map((o) => `${o.value}@${o.timestamp} ${paneOf(o.pane)}`).sort(), [
      `0@${MIN_TIMESTAMP} UNKNOWN#0/0 first last`,
      `6@${GLOBAL_WINDOW_MAX_TIMESTAMP} ON_TIME#0/0 first last`,
    ]);
  });

  // An unbounded input in the global window needs a trigger to be grouped (as in Beam);
  // AfterWatermark() fires, as the default trigger would, once the stream ends.
  it("in the global window emits the default for an empty stream once it ends", async () => {
    const out: Observed<number>[] = [];
    const result = await runDirect((p) => {
      const sum = p
        .apply(TestStream.create<number>().advanceWatermarkTo(100).advanceWatermarkToInfinity())
        .apply(Window.into(new GlobalWindows(), { trigger: AfterWatermark() }))
        .apply(Combine.globally(Combiners.sum()));
      collect(sum, out);
    });
    assert.equal(await result.waitUntilFinish(), "DONE");
    assert.deepEqual(out.map((o) => `${o.value} ${o.window}`), ["0 global"]);
  });

  it("in the global window emits the combined value, and no default, for a non-empty stream", async () => {
    const out: Observed<number>[] = [];
    const result = await runDirect((p) => {
      const sum = p
        .apply(TestStream.create<number>().addElements({ value: 4, timestamp: 1 }).addElements({ value: 5, timestamp: 50 }).advanceWatermarkToInfinity())
        .apply(Window.into(new GlobalWindows(), { trigger: AfterWatermark() }))
        .apply(Combine.globally(Combiners.sum()));
      collect(sum, out);
    });
    assert.equal(await result.waitUntilFinish(), "DONE");
    assert.deepEqual(out.map((o) => `${o.value} ${o.window}`), ["9 global"]);
  });
});
