/**
 * Window.into on elements that are in several windows (issue 9, item 1): Beam re-assigns each
 * windowed value per window it was in, so an element in three sliding windows is three elements
 * after a re-windowing into fixed windows, on every path that runs WindowInto.
 */
import { strict as assert } from "node:assert";
import { Create, FixedWindows, GroupByKey, kv, KV, PCollection, Pipeline, Window } from "../../lib";
import { SlidingWindows } from "../../lib/model/sliding_sessions";
import { ElementMeta, GLOBAL_WINDOWS, NO_FIRING } from "../../lib/model/window";
import { TestStream } from "../../lib/testing/test_stream";
import { WindowIntoOperator } from "../../runners/executor/window_operator";
import { runDirect } from "../helpers";
import { collect, Observed } from "./collect";

const rows = (out: Observed<KV<string, number[]>>[]): string[] => out.map((o) => `${o.value.key} ${o.window} ${[...o.value.value].sort((a, b) => a - b).join(",")}`).sort();

describe("Window.into after a window fn that assigns several windows", () => {
  it("the shared WindowInto operator emits one copy per input window", () => {
    const seen: ElementMeta[] = [];
    const op = new WindowIntoOperator("W", new FixedWindows(5), { receive: (_v, meta) => void seen.push(meta) });
    const sliding = new SlidingWindows(6, 2).assignWindows(3);
    assert.equal(sliding.length, 3);
    op.receive("x", { timestamp: 3, windows: sliding, pane: NO_FIRING });
    assert.deepEqual(
      seen.map((m) => m.windows.map((w) => w.id()).join("+")),
      ["0:5", "0:5", "0:5"],
    );
    seen.length = 0;
    op.receive("y", { timestamp: 7, windows: GLOBAL_WINDOWS, pane: NO_FIRING });
    assert.deepEqual(seen.map((m) => m.windows.map((w) => w.id()).join("+")), ["5:10"]);
  });

  const input = [
    { value: kv("k", 3), timestamp: 3 },
    { value: kv("k", 8), timestamp: 8 },
  ];
  for (const [path, source] of [
    ["the batch DirectRunner", (p: Pipeline): PCollection<KV<string, number>> => p.apply(Create.timestamped(input))],
    ["the streaming driver", (p: Pipeline): PCollection<KV<string, number>> => p.apply(TestStream.create<KV<string, number>>().addElements(...input).advanceWatermarkToInfinity())],
  ] as const) {
    it(`keeps every copy on ${path}`, async () => {
      const out: Observed<KV<string, number[]>>[] = [];
      const result = await runDirect((p) => {
        const grouped = source(p)
          .apply("Sliding", Window.into(new SlidingWindows(6, 2)))
          .apply("Fixed", Window.into(new FixedWindows(5)))
          .apply(GroupByKey.create());
        collect(grouped, out);
      });
      assert.equal(await result.waitUntilFinish(), "DONE");
      assert.deepEqual(rows(out), ["k 0:5 3,3,3", "k 5:10 8,8,8"]);
    });
  }
});
