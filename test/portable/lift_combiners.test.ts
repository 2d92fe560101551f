/**
 * Combiner lifting before submission: CombinePerKey goes to portable runners as precombine →
 * GroupByKey → merge → extract, so a runner that does not lift (Flink, Spark; here the test
 * runner with lifting off) shuffles an accumulator per key and bundle instead of every element.
 */
import { strict as assert } from "node:assert";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import "../../runners/direct";
import { AfterCount, AfterWatermark, Combine, Combiners, Create, definePipeline, FixedWindows, KV, kv, OrFinally, Repeatedly, Window } from "../../lib";
import { WriteToText } from "../../lib/io/textio";
import { DEFAULT_INPUT, wordcount } from "../../pipelines/wordcount";
import { dockerEnvironment } from "../../runners/portable/environments";
import { liftableTrigger } from "../../runners/portable/lift_combiners";
import { triggerProto } from "../../runners/portable/windowing_proto";
import { translatePipeline } from "../../runners/portable/translate";
import { URNS } from "../../runners/portable/urns";
import { FnHarness } from "../../runners/worker/harness";
import { FnApiServer } from "../worker/fn_server";
import { readShards } from "../helpers";
import { executePipeline } from "./mini_runner";

/** Counts per key in 10 ms windows; `--trigger count2` fires every two elements. */
const windowedCounts = definePipeline({
  name: "portable-test-lift-triggers",
  description: "a combine under a trigger",
  flags: { trigger: { type: "string", describe: "none or count2", default: "none" } },
  build(root, flags) {
    root
      .apply("Words", Create.from(["a", "b", "a"]))
      .apply("Window", Window.into(new FixedWindows(10), flags.trigger === "count2" ? { trigger: Repeatedly(AfterCount(2)) } : {}))
      .map("Pair", (w: string) => kv(w, 1))
      .apply("Count", Combine.perKey<string, number, number, number>(Combiners.sum()))
      .map("Format", (e: KV<string, number>) => `${e.key}:${e.value}`)
      .apply("Write", WriteToText.to("/nonexistent/unused"));
  },
});

describe("portable translation: combiner lifting", function () {
  this.timeout(60_000);
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), "beamline-lift-"));
  after(() => fs.rmSync(tmp, { recursive: true, force: true }));

  it("sends CombinePerKey as precombine → GroupByKey → merge → extract, with Beam's coders and windowing", () => {
    const p = wordcount.create({ input: DEFAULT_INPUT, output: path.join(tmp, "x") });
    const c = translatePipeline(p, dockerEnvironment(), { liftCombiners: true }).proto.components!;
    const combine = Object.values(c.transforms).find((t) => t.uniqueName === "wordcount/GroupAndSum")!;
    assert.equal(combine.spec!.urn, URNS.combinePerKey);
    const steps = combine.subtransforms.map((id) => c.transforms[id]!);
    assert.deepEqual(
      steps.map((t) => [t.uniqueName, t.spec!.urn, t.environmentId]),
      [
        ["wordcount/GroupAndSum/Precombine", URNS.precombine, "beamline"],
        ["wordcount/GroupAndSum/Group", URNS.gbk, ""],
        ["wordcount/GroupAndSum/Merge", URNS.mergeAccumulators, "beamline"],
        ["wordcount/GroupAndSum/ExtractOutputs", URNS.extractOutputs, "beamline"],
      ],
    );
    // Chained: the composite's input → ... → the composite's output.
    assert.equal(Object.values(steps[0]!.inputs)[0], Object.values(combine.inputs)[0]);
    for (let i = 1; i < 4; i++) assert.equal(Object.values(steps[i]!.inputs)[0], Object.values(steps[i - 1]!.outputs)[0]);
    assert.equal(Object.values(steps[3]!.outputs)[0], Object.values(combine.outputs)[0]);
    for (const s of [steps[0]!, steps[2]!, steps[3]!]) assert.deepEqual(s.spec!.payload, combine.spec!.payload);
    // KV(key, accumulator) in, KV(key, iterable(accumulator)) out of the grouping.
    const coderOf = (t: (typeof steps)[number]): { urn: string; components: string[] } => {
      const coder = c.coders[c.pcollections[Object.values(t.outputs)[0]!]!.coderId]!;
      return { urn: coder.spec!.urn, components: coder.componentCoderIds.map((id) => c.coders[id]!.spec!.urn) };
    };
    assert.deepEqual(coderOf(steps[0]!), { urn: "beam:coder:kv:v1", components: ["beam:coder:length_prefix:v1", "beam:coder:length_prefix:v1"] });
    assert.deepEqual(coderOf(steps[1]!), { urn: "beam:coder:kv:v1", components: ["beam:coder:length_prefix:v1", "beam:coder:iterable:v1"] });
    // The original expansion (GroupByKey + Combine) is not sent.
    assert.ok(!Object.values(c.transforms).some((t) => t.uniqueName === "wordcount/GroupAndSum/GroupByKey"));
  });

  it("keeps the combine unlifted when a trigger counts elements, when streaming, and for Dataflow", () => {
    const lifted = (p: ReturnType<typeof windowedCounts.create>, liftCombiners = true): boolean => {
      const c = translatePipeline(p, dockerEnvironment(), { liftCombiners }).proto.components!;
      const combine = Object.values(c.transforms).find((t) => t.uniqueName === "Count")!;
      return combine.subtransforms.some((id) => c.transforms[id]!.spec!.urn === URNS.precombine);
    };
    assert.equal(lifted(windowedCounts.create({ trigger: "none" })), true);
    assert.equal(lifted(windowedCounts.create({ trigger: "count2" })), false);
    assert.equal(lifted(windowedCounts.create({ trigger: "none" }, { streaming: true })), false);
    assert.equal(lifted(windowedCounts.create({ trigger: "none" }), false), false);
    // Beam Python's rule: a trigger counting elements allows lifting only when it counts one at a time.
    assert.equal(liftableTrigger(triggerProto(Repeatedly(AfterCount(1)))), true);
    assert.equal(liftableTrigger(triggerProto(AfterCount(3))), false);
    // is_compatible_with_combiner_lifting knows no or_finally: never lifted.
    assert.equal(liftableTrigger(triggerProto(OrFinally(Repeatedly(AfterCount(1)), AfterWatermark()))), false);
  });

  it("on a runner that does not lift, shuffles one accumulator per word and bundle instead of every word, with the same output", async () => {
    const expectedDir = path.join(tmp, "direct");
    assert.equal(await (await wordcount.run({ input: DEFAULT_INPUT, output: path.join(expectedDir, "counts") }, { runner: "DirectRunner" })).waitUntilFinish(), "DONE");
    const expected = readShards(path.join(expectedDir, "counts"));
    const shuffledWith = async (liftCombiners: boolean): Promise<number> => {
      const flags = { input: DEFAULT_INPUT, output: path.join(tmp, String(liftCombiners), "counts") };
      const fn = await FnApiServer.start();
      const harness = new FnHarness({ workerId: "w-lift", controlUrl: fn.url, loadPipeline: () => wordcount.create(flags), runId: `lift-${liftCombiners}` }).start();
      try {
        const proto = translatePipeline(wordcount.create(flags), dockerEnvironment(), { liftCombiners }).proto;
        const report = await executePipeline(proto, fn, () => undefined, () => false, { liftCombines: false });
        assert.deepEqual(readShards(flags.output), expected);
        return report.shuffled;
      } finally {
        await harness.stop();
        await fn.stop();
      }
    };
    const unlifted = await shuffledWith(false);
    const lifted = await shuffledWith(true);
    process.stdout.write(`      shuffled elements: ${unlifted} without lifting, ${lifted} lifted (${(unlifted / lifted).toFixed(1)}x fewer)\n`);
    assert.equal(lifted, expected.length, "one accumulator per distinct word (the test runner runs a stage as one bundle)");
    assert.ok(unlifted > 5 * lifted);
  });
});
