/**
 * ApproximateUnique on portable runners and across worker threads: its combine goes out as a
 * `combine_per_key` with a CombinePayload naming the CombineFn and the accumulator coder (the
 * default JS value coder, which carries the sample's bigint hashes), so runners lift it; run by
 * the test runner lifting it (accumulators cross the runner encoded by that coder) or not, and by
 * the DirectRunner on two worker threads, the program writes the DirectRunner's output.
 */
import { strict as assert } from "node:assert";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import "../../runners/direct";
import { JS_VALUE_URN } from "../../lib/coders/js_value";
import { runnerApi } from "../../runners/portable/protos";
import { dockerEnvironment } from "../../runners/portable/environments";
import { translatePipeline } from "../../runners/portable/translate";
import { URNS } from "../../runners/portable/urns";
import { FnHarness } from "../../runners/worker/harness";
import { FnApiServer } from "../worker/fn_server";
import { readShards } from "../helpers";
import { executePipeline } from "./mini_runner";
import { APPROXIMATE_UNIQUE_EXACT, approximateUniqueProgram } from "./approximate_unique_programs";

/** The lines that are exact, and the sampled estimate (checked against Java's bound: 300 distinct, a sample of 64). */
function checkOutput(lines: readonly string[], what: string): string {
  const sampled = lines.filter((l) => l.startsWith("sampled="));
  assert.deepEqual(
    lines.filter((l) => !l.startsWith("sampled=")),
    APPROXIMATE_UNIQUE_EXACT,
    what,
  );
  assert.equal(sampled.length, 1, `${what}: ${lines.join("; ")}`);
  const estimate = Number(sampled[0]!.slice("sampled=".length));
  assert.ok(Math.abs(estimate - 300) / 300 < 2 / Math.sqrt(64), `${what}: estimate ${estimate} of 300 distinct is not within 2 / sqrt(64)`);
  return sampled[0]!;
}

describe("portable translation and worker threads: ApproximateUnique", function () {
  this.timeout(60_000);
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), "beamline-approximate-unique-"));
  after(() => fs.rmSync(tmp, { recursive: true, force: true }));

  it("sends each combine as combine_per_key with the CombineFn's name and the JS value accumulator coder; lifted when asked", () => {
    for (const liftCombiners of [false, true]) {
      const c = translatePipeline(approximateUniqueProgram.create({ output: path.join(tmp, "x") }), dockerEnvironment(), { liftCombiners }).proto.components!;
      const byName = (name: string) => Object.values(c.transforms).find((t) => t.uniqueName === name)!;
      for (const name of ["Exact/CountGlobalUniqueValues/CombinePerKey", "PerKey/CountPerKeyUniqueValues", "PerWindow/CountGlobalUniqueValues/CombinePerKey"]) {
        const t = byName(name);
        assert.equal(t?.spec?.urn, URNS.combinePerKey, name);
        const payload = runnerApi.CombinePayload.fromBinary(t.spec!.payload);
        assert.equal(payload.combineFn!.urn, URNS.combineFnByName, name);
        // The accumulator coder: the JS value coder (bigints survive it), as the runner sees it.
        const coder = c.coders[payload.accumulatorCoderId]!;
        const inner = coder.spec!.urn === "beam:coder:length_prefix:v1" ? c.coders[coder.componentCoderIds[0]!]!.spec!.urn : coder.spec!.urn;
        assert.equal(inner, JS_VALUE_URN, `${name}: accumulator coder ${coder.spec!.urn}`);
        const phases = t.subtransforms.map((id) => c.transforms[id]!.spec!.urn);
        if (liftCombiners) assert.deepEqual(phases, [URNS.precombine, URNS.gbk, URNS.mergeAccumulators, URNS.extractOutputs], name);
        else assert.ok(!phases.includes(URNS.precombine), name);
      }
    }
  });

  it("gives the DirectRunner's output on two worker threads, and on a portable runner that lifts the combines or not", async () => {
    const directOut = path.join(tmp, "direct", "unique");
    assert.equal(await (await approximateUniqueProgram.run({ output: directOut }, { runner: "DirectRunner" })).waitUntilFinish(), "DONE");
    const sampled = checkOutput(readShards(directOut), "direct");

    // Every bundle in a worker thread: accumulators cross threads encoded.
    const threadsOut = path.join(tmp, "threads", "unique");
    const threads = await approximateUniqueProgram.run({ output: threadsOut }, { runner: "DirectRunner", directNumWorkers: 2, directWorkerThreads: "always" });
    assert.equal(await threads.waitUntilFinish(), "DONE", threads.error?.message);
    assert.equal(checkOutput(readShards(threadsOut), "two worker threads"), sampled, "the same bytes hash the same on every worker");

    for (const liftCombines of [true, false]) {
      const flags = { output: path.join(tmp, `portable-${liftCombines}`, "unique") };
      const fn = await FnApiServer.start();
      const harness = new FnHarness({ workerId: "w-unique", controlUrl: fn.url, loadPipeline: () => approximateUniqueProgram.create(flags), runId: `unique-${liftCombines}` }).start();
      try {
        const proto = translatePipeline(approximateUniqueProgram.create(flags), dockerEnvironment()).proto;
        await executePipeline(proto, fn, () => undefined, () => false, { liftCombines });
        assert.equal(checkOutput(readShards(flags.output), `portable, lifting ${liftCombines}`), sampled);
      } finally {
        await harness.stop();
        await fn.stop();
      }
    }
  });
});
