import { strict as assert } from "node:assert";
import { Combine, Combiners, FixedWindows, GroupByKey, kv, KV, Window } from "../../lib";
import { AfterCount, AfterWatermark } from "../../lib/model/triggers";
import { SlidingWindows } from "../../lib/model/sliding_sessions";
import { TestStream } from "../../lib/testing/test_stream";
import { runDirect } from "../helpers";
import { collect, Observed, paneOf } from "./collect";

const sorted = (g: KV<string, number[]>): KV<string, number[]> => kv(g.key, [...g.value].sort((a, b) => a - b));

describe("Streaming DirectRunner: windows and the default trigger", () => {
  it("fires fixed windows on time when the watermark passes their end", async () => {
    const out: Observed<KV<string, number[]>>[] = [];
    const result = await runDirect((p) => {
      const grouped = p
        .apply(
          TestStream.create<KV<string, number>>()
            .addElements({ value: kv("a", 1), timestamp: 1 }, { value: kv("a", 2), timestamp: 2 }, { value: kv("b", 12), timestamp: 12 })
            .advanceWatermarkTo(10)
            .addElements({ value: kv("a", 15), timestamp: 15 })
            .advanceWatermarkToInfinity(),
        )
        .apply(Window.into(new FixedWindows(10)))
        .apply(GroupByKey.create())
        .map("Sort", sorted);
      collect(grouped, out);
    });
    assert.equal(await result.waitUntilFinish(), "DONE");
    const rows = out.map((o) => `${o.value.key}=${o.value.value.join(",")}@${o.timestamp} ${o.window} ${paneOf(o.pane)}`).sort();
    assert.deepEqual(rows, ["a=1,2@9 0:10 ON_TIME#0/0 first last", "a=15@19 10:20 ON_TIME#0/0 first last", "b=12@19 10:20 ON_TIME#0/0 first last"]);
  });

  it("assigns sliding windows (each element in size/period windows)", async () => {
    const out: Observed<KV<string, number[]>>[] = [];
    await (
      await runDirect((p) => {
        const grouped = p
          .apply(TestStream.create<KV<string, number>>().addElements({ value: kv("k", 7), timestamp: 7 }, { value: kv("k", 12), timestamp: 12 }).advanceWatermarkToInfinity())
          .apply(Window.into(new SlidingWindows(10, 5)))
          .apply(GroupByKey.create())
          .map("Sort", sorted);
        collect(grouped, out);
      })
    ).waitUntilFinish();
    const rows = out.map((o) => `${o.window}=${o.value.value.join(",")}`).sort();
    assert.deepEqual(rows, ["0:10=7", "10:20=12", "5:15=7,12"]);
  });
});

describe("Streaming DirectRunner: early, on-time and late panes", () => {
  const script = () =>
    TestStream.create<KV<string, number>>()
      .addElements({ value: kv("a", 1), timestamp: 1 }, { value: kv("a", 2), timestamp: 2 }) // early pane (count 2)
      .addElements({ value: kv("a", 3), timestamp: 3 })
      .advanceWatermarkTo(10) // on-time pane
      .addElements({ value: kv("a", 4), timestamp: 4 }) // late, within the allowed lateness: late pane
      .advanceWatermarkTo(40) // the window [0,10) expires at 9 + 20
      .addElements({ value: kv("a", 5), timestamp: 5 }) // dropped
      .advanceWatermarkToInfinity();

  for (const mode of ["DISCARDING", "ACCUMULATING"] as const) {
    it(`emits early, on-time and late panes (${mode}) and drops data past the allowed lateness`, async () => {
      const out: Observed<KV<string, number>>[] = [];
      const result = await runDirect((p) => {
        const sums = p
          .apply(script())
          .apply(
            Window.into(new FixedWindows(10), {
              trigger: AfterWatermark({ early: AfterCount(2), late: AfterCount(1) }),
              accumulationMode: mode,
              allowedLatenessMillis: 20,
            }),
          )
          .apply("Sum", Combine.perKey(Combiners.sum()));
        collect(sums, out);
      });
      assert.equal(await result.waitUntilFinish(), "DONE");
      const rows = out.map((o) => `${o.value.value}@${o.timestamp} ${paneOf(o.pane)}`);
      const expected =
        mode === "DISCARDING"
          ? ["3@9 EARLY#0/-1 first", "3@9 ON_TIME#1/0", "4@9 LATE#2/1"]
          : ["3@9 EARLY#0/-1 first", "6@9 ON_TIME#1/0", "10@9 LATE#2/1"];
      assert.deepEqual(rows, expected);
      assert.equal(result.metrics.counterTotal("beamline", "droppedDueToLateness", "Sum"), 1);
    });
  }
});
