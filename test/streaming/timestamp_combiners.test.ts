/**
 * Timestamp combiners on every grouping path (issue 9, items 3 and 6): batch GroupByKey, batch
 * Combine.perKey (lifted: the precombine before the shuffle must keep the timestamp its
 * combiner needs), streaming GroupByKey and Combine; and the combiners Beam has that the
 * runner API cannot carry are refused when the pipeline is built.
 */
import { strict as assert } from "node:assert";
import { Combine, Combiners, Create, FixedWindows, GroupByKey, kv, KV, PCollection, Pipeline, Window } from "../../lib";
import { PipelineConstructionError } from "../../lib/model/errors";
import type { TimestampCombiner } from "../../lib/model/windowing";
import { TestStream } from "../../lib/testing/test_stream";
import { MetricsContainer } from "../../lib/model/metrics";
import { ElementMeta, IntervalWindow, NO_FIRING } from "../../lib/model/window";
import { deterministicKeyCoder } from "../../runners/executor/default_coders";
import { PrecombineStep } from "../../runners/executor/combine_phases";
import { runDirect } from "../helpers";
import { collect, Observed } from "./collect";

const input = [
  { value: kv("a", 5), timestamp: 5 },
  { value: kv("a", 2), timestamp: 2 },
  { value: kv("a", 7), timestamp: 7 },
  { value: kv("b", 13), timestamp: 13 },
];

const expected: Record<TimestampCombiner, string[]> = {
  END_OF_WINDOW: ["a@9", "b@19"],
  EARLIEST: ["a@2", "b@13"],
  LATEST: ["a@7", "b@13"],
};

type Source = (p: Pipeline) => PCollection<KV<string, number>>;
const batch: Source = (p) => p.apply(Create.timestamped(input));
const streaming: Source = (p) => p.apply(TestStream.create<KV<string, number>>().addElements(...input).advanceWatermarkToInfinity());

async function stamps(source: Source, combiner: TimestampCombiner, grouping: "GroupByKey" | "Combine"): Promise<string[]> {
  const out: Observed<KV<string, unknown>>[] = [];
  const result = await runDirect((p) => {
    const windowed = source(p).apply(Window.into(new FixedWindows(10), { timestampCombiner: combiner }));
    const grouped: PCollection<KV<string, unknown>> =
      grouping === "GroupByKey" ? windowed.apply(GroupByKey.create()) : windowed.apply("Sum", Combine.perKey(Combiners.sum()));
    collect(grouped, out);
  });
  assert.equal(await result.waitUntilFinish(), "DONE");
  return out.map((o) => `${o.value.key}@${o.timestamp}`).sort();
}

describe("Timestamp combiners on every grouping path", () => {
  for (const combiner of ["END_OF_WINDOW", "EARLIEST", "LATEST"] as const) {
    for (const [label, source] of [
      ["batch", batch],
      ["streaming", streaming],
    ] as const) {
      for (const grouping of ["GroupByKey", "Combine"] as const) {
        it(`${combiner}: ${label} ${grouping} stamps each window's result with ${combiner}`, async () => {
          assert.deepEqual(await stamps(source, combiner, grouping), expected[combiner]);
        });
      }
    }
  }

  it("the Fn API worker's precombine stamps each accumulator with its combiner (the runner's grouping combines those)", () => {
    for (const combiner of ["END_OF_WINDOW", "EARLIEST", "LATEST"] as const) {
      const out: ElementMeta[] = [];
      const step = new PrecombineStep("Sum/Precombine", Combiners.sum(), deterministicKeyCoder(), { receive: (_v, meta) => void out.push(meta) }, new MetricsContainer("S"), combiner);
      const window = new IntervalWindow(0, 10);
      step.startBundle();
      for (const t of [5, 2, 7]) step.receive(kv("a", t), { timestamp: t, windows: [window], pane: NO_FIRING });
      step.finishBundle();
      assert.deepEqual(out.map((m) => m.timestamp), [{ END_OF_WINDOW: 9, EARLIEST: 2, LATEST: 7 }[combiner]], combiner);
    }
  });

  it("refuses a timestamp combiner the runner API cannot carry (OUTPUT_AT_EARLIEST_TRANSFORMED) when the pipeline is built", () => {
    for (const bad of ["OUTPUT_AT_EARLIEST_TRANSFORMED", "OUTPUT_AT_EOW", "latest"]) {
      assert.throws(
        () => Pipeline.build({}, (p) => p.apply(Create.of([1])).apply(Window.into(new FixedWindows(10), { timestampCombiner: bad as TimestampCombiner }))),
        (e: unknown) => {
          assert.ok(e instanceof PipelineConstructionError, String(e));
          assert.match(e.message, new RegExp(`timestampCombiner '${bad}'`));
          assert.match(e.message, /"END_OF_WINDOW", "EARLIEST" or "LATEST"/);
          return true;
        },
      );
    }
    assert.throws(
      () => Pipeline.build({}, (p) => p.apply(Create.of([1])).apply(Window.into(new FixedWindows(10), { timestampCombiner: "OUTPUT_AT_EARLIEST_TRANSFORMED" as TimestampCombiner }))),
      /OUTPUT_AT_EARLIEST_TRANSFORMED.*EARLIEST/s,
    );
  });
});
