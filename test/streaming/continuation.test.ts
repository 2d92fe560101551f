/**
 * A grouping's output keeps its input's windowing strategy, trigger included (issue 9, item 5):
 * Beamline does what Beam Python does (no continuation triggers; Beam Java would switch a
 * grouping's output to the trigger's continuation, e.g. AfterCount(n) to AfterCount(1)), on the
 * DirectRunner and in the windowing strategies a portable runner receives.
 */
import { strict as assert } from "node:assert";
import { Combine, Combiners, GlobalWindows, GroupByKey, kv, KV, Pipeline, Window } from "../../lib";
import { AfterCount, Repeatedly } from "../../lib/model/triggers";
import { TestStream } from "../../lib/testing/test_stream";
import { dockerEnvironment } from "../../runners/portable/environments";
import { runnerApi } from "../../runners/portable/protos";
import { translatePipeline } from "../../runners/portable/translate";
import { runDirect } from "../helpers";
import { collect, Observed } from "./collect";

/** Per-key sums with Repeatedly(AfterCount(2)), then every sum grouped under one key. */
function build(p: Pipeline, out?: Observed<KV<string, string[]>>[]): void {
  const line = (word: string, t: number) => ({ value: word, timestamp: t });
  const sums = p
    .apply(TestStream.create<string>().addElements(line("a", 1), line("a", 2)).addElements(line("b", 3), line("b", 4)).addElements(line("c", 5), line("c", 6)).advanceWatermarkToInfinity())
    // FIRE_IF_NON_EMPTY: no empty on-time panes (sums of nothing) when the global window ends.
    .apply(Window.into(new GlobalWindows(), { trigger: Repeatedly(AfterCount(2)), onTimeBehavior: "FIRE_IF_NON_EMPTY" }))
    .map("PairWithOne", (w: string) => kv(w, 1))
    .apply("SumPerWord", Combine.perKey(Combiners.sum()));
  const all = sums.map("ToOneKey", (s: KV<string, number>) => kv("all", `${s.key}:${s.value}`)).apply("GroupAll", GroupByKey.create());
  if (out !== undefined) collect(all, out);
}

describe("Continuation triggers: a grouping's output keeps its input's trigger (as in Beam Python)", () => {
  it("on the DirectRunner, the second grouping fires after AfterCount(2) of the first grouping's panes", async () => {
    const out: Observed<KV<string, string[]>>[] = [];
    const result = await runDirect((p) => build(p, out));
    assert.equal(await result.waitUntilFinish(), "DONE");
    // a:2 alone does not fire the second grouping (Beam Java's continuation AfterCount(1) would);
    // with b:2 it has 2. c:2 waits for the end of the global window.
    assert.deepEqual(
      out.map((o) => `${[...o.value.value].sort().join(",")} ${o.pane.timing}`),
      ["a:2,b:2 EARLY", "c:2 ON_TIME"],
    );
  });

  it("in the translated pipeline, each grouping's output has its input's windowing strategy", () => {
    const { proto, transformIds } = translatePipeline(Pipeline.build({}, (p) => build(p)), dockerEnvironment("beamline/worker:test"));
    const c = proto.components!;
    for (const name of ["SumPerWord", "GroupAll"]) {
      const t = c.transforms[transformIds.get(name)!]!;
      const input = c.pcollections[Object.values(t.inputs)[0]!]!;
      const output = c.pcollections[Object.values(t.outputs)[0]!]!;
      assert.equal(output.windowingStrategyId, input.windowingStrategyId, name);
      const ws = c.windowingStrategies[output.windowingStrategyId]!;
      assert.deepEqual(runnerApi.Trigger.toJson(ws.trigger!), { repeat: { subtrigger: { elementCount: { elementCount: 2 } } } }, name);
      assert.equal(ws.onTimeBehavior, runnerApi.OnTimeBehavior_Enum.FIRE_IF_NONEMPTY, name);
    }
  });
});
