/**
 * The official Beam TypeScript SDK's own tests (sdks/typescript/test: primitives_test.ts,
 * combine_test.ts, wordcount.ts, docs/programming_guide.ts), ported to Beamline's API as
 * docs/migration.md maps it (the pipelines are in beam_typescript_sdk_programs.ts). Each runs on
 * the DirectRunner with one worker and with two (`--direct_num_workers 2`, every bundle in worker
 * threads that rebuild the program, so elements cross threads encoded as on a cluster).
 *
 * Not ported, as implementation details of that SDK: serialize_test.ts (closure serialization:
 * Beamline workers re-run the program instead), worker_test.ts (its worker's operator wiring),
 * the "liquid sharding" ULR test's forced split timings (its DoFn, and what holds for any
 * bundling, are ported), the expansion checks of the coders its graph picks (Beamline picks
 * coders when a runner translates the graph; the Impulse case checks what Beam's model fixes,
 * one empty byte array), and the cross-language Python transforms (no counterpart: see
 * docs/migration.md). io_test.ts is in beam_typescript_sdk_io.test.ts.
 */
import { strict as assert } from "node:assert";
import type { PipelineOptions } from "../../lib/model/options";
import { beamTypeScriptSdkProgram, CASES, METRICS_NAMESPACE, type CaseName } from "./beam_typescript_sdk_programs";

const runs: { name: string; options: Partial<PipelineOptions> }[] = [
  { name: "1 worker", options: {} },
  { name: "--direct_num_workers 2", options: { directNumWorkers: 2, directWorkerThreads: "always" } },
];

const run = async (name: CaseName, options: Partial<PipelineOptions>) => {
  const result = await beamTypeScriptSdkProgram.run({ case: name, dir: "" }, options);
  await result.waitUntilFinish();
  return result;
};

for (const { name: runName, options } of runs) {
  describe(`Beam TypeScript SDK tests, ported (${runName})`, () => {
    it("fails on bad assert: a wrong assertThat fails the run (primitives_test.ts's check that its checks can fail)", async () => {
      const failed = await run("fails on bad assert", options).then(
        () => undefined,
        (e: Error) => e,
      );
      assert.ok(failed, "the run succeeded with a wrong assertion");
      assert.match(failed.message, /AssertThat/);
    });

    it("runs a map with counters: the counter and distribution updated in a map function", async () => {
      const result = await run("runs a map with counters", options);
      assert.equal(result.metrics.counterTotal(METRICS_NAMESPACE, "myCounter"), 1 + 2 + 3);
      const dists = result.metrics.distributions({ namespace: METRICS_NAMESPACE, name: "myDist" });
      assert.equal(dists.length, 1);
      assert.deepEqual(dists[0]!.value, { count: 3, sum: 6, min: 1, max: 3 });
    });

    for (const name of Object.keys(CASES) as CaseName[]) {
      if (name === "fails on bad assert" || name === "runs a map with counters") continue;
      it(name, () => run(name, options));
    }
  });
}

