/**
 * Combines with side inputs and Combine.globally(fn).withFanout on a portable runner: a combine
 * with side inputs is translated as a GroupByKey and a ParDo that declares them (no
 * combine_per_key a runner would lift into phases without side inputs); run by the test runner
 * with and without combiner lifting, the program gives the DirectRunner's output.
 */
import { strict as assert } from "node:assert";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import "../../runners/direct";
import { dockerEnvironment } from "../../runners/portable/environments";
import { translatePipeline } from "../../runners/portable/translate";
import { URNS } from "../../runners/portable/urns";
import { FnHarness } from "../../runners/worker/harness";
import { FnApiServer } from "../worker/fn_server";
import { readShards } from "../helpers";
import { executePipeline } from "./mini_runner";
import { COMBINE_WITH_CONTEXT_EXPECTED, combineWithContextProgram } from "./combine_with_context_programs";

describe("portable translation: combining with side inputs, Combine.globally(fn).withFanout", function () {
  this.timeout(60_000);
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), "beamline-combine-context-"));
  after(() => fs.rmSync(tmp, { recursive: true, force: true }));

  it("translates a combine with side inputs as a GroupByKey and a ParDo with the side inputs, never a combine_per_key", () => {
    const c = translatePipeline(combineWithContextProgram.create({ output: tmp }), dockerEnvironment()).proto.components!;
    const byName = (name: string) => Object.values(c.transforms).find((t) => t.uniqueName === name)!;
    const perKey = byName("PerKey");
    assert.notEqual(perKey.spec?.urn, URNS.combinePerKey);
    assert.deepEqual(
      perKey.subtransforms.map((id) => [c.transforms[id]!.uniqueName, c.transforms[id]!.spec!.urn]),
      [
        ["PerKey/GroupByKey", URNS.gbk],
        ["PerKey/Combine", URNS.pardo],
      ],
    );
    assert.deepEqual(Object.keys(byName("PerKey/Combine").inputs).length, 2, "the main input and the side input");
    const underContext = Object.values(c.transforms).filter((t) => /^(PerKey|Hot|Globally|FixedPerKey|SessionsPerKey|Composed|FanoutWithContext)\//.test(t.uniqueName));
    assert.ok(underContext.every((t) => t.spec?.urn !== URNS.combinePerKey), "no combine_per_key under a combine with side inputs");
    // A fanout without side inputs pre-combines in ordinary (liftable) combine_per_key composites.
    assert.equal(byName("Mean/CombinePerKey/PreCombineHot").spec!.urn, URNS.combinePerKey);
  });

  for (const liftCombines of [true, false]) {
    it(`gives the DirectRunner's output on a runner that ${liftCombines ? "lifts" : "does not lift"} combines`, async () => {
      const direct = path.join(tmp, `direct-${liftCombines}`);
      assert.equal(await (await combineWithContextProgram.run({ output: direct }, { runner: "DirectRunner" })).waitUntilFinish(), "DONE");
      for (const [file, lines] of Object.entries(COMBINE_WITH_CONTEXT_EXPECTED)) assert.deepEqual(readShards(path.join(direct, file)), lines, `direct ${file}`);

      const flags = { output: path.join(tmp, `portable-${liftCombines}`) };
      const fn = await FnApiServer.start();
      const harness = new FnHarness({ workerId: "w-combine-context", controlUrl: fn.url, loadPipeline: () => combineWithContextProgram.create(flags), runId: "combine-context" }).start();
      try {
        const proto = translatePipeline(combineWithContextProgram.create(flags), dockerEnvironment()).proto;
        await executePipeline(proto, fn, () => undefined, () => false, { liftCombines });
        // The test runner groups by exact window and does not merge sessions (Prism does: real_runners.test.ts).
        for (const [file, lines] of Object.entries(COMBINE_WITH_CONTEXT_EXPECTED)) if (file !== "sessions") assert.deepEqual(readShards(path.join(flags.output, file)), lines, file);
      } finally {
        await harness.stop();
        await fn.stop();
      }
    });
  }
});
