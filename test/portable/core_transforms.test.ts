/**
 * Beam's core shorthand transforms (Sets, Mean/Sum/Min/Max, Flatten.iterables, Filter's
 * comparisons) as composites of the primitives portable runners execute: the same program's output
 * on the DirectRunner, on its worker threads (--direct_num_workers 2, every bundle in a worker),
 * and through the Fn API harness, loaded from the job's options as a LOOPBACK worker loads it,
 * with combines lifted (as Prism and Dataflow) and not (as Flink and Spark).
 */
import { strict as assert } from "node:assert";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import "../../runners/direct";
import { dockerEnvironment } from "../../runners/portable/environments";
import { translatePipeline } from "../../runners/portable/translate";
import { URNS } from "../../runners/portable/urns";
import { startProgramHarness } from "../worker/program_harness";
import { FnApiServer } from "../worker/fn_server";
import { readShards } from "../helpers";
import { executePipeline } from "./mini_runner";
import { CORE_TRANSFORMS_EXPECTED, coreTransformsProgram } from "./core_transforms_programs";

describe("portable: Sets, Mean/Sum/Min/Max, Flatten.iterables, Filter's comparisons", function () {
  this.timeout(60_000);
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), "beamline-core-transforms-"));
  after(() => fs.rmSync(tmp, { recursive: true, force: true }));

  it("DirectRunner, on one thread and on two worker threads: Beam's expected outputs", async () => {
    for (const [where, options] of [["direct", {}], ["threads", { directNumWorkers: 2, directWorkerThreads: "always" as const }]] as const) {
      const output = path.join(tmp, where);
      assert.equal(await (await coreTransformsProgram.run({ output }, { runner: "DirectRunner", ...options })).waitUntilFinish(), "DONE");
      assert.deepEqual(readShards(path.join(output, "out")), CORE_TRANSFORMS_EXPECTED, where);
    }
  });

  it("translates to primitives (the shorthand combines as lifted combine composites)", () => {
    const c = translatePipeline(coreTransformsProgram.create({ output: tmp }), dockerEnvironment()).proto.components!;
    const urnOf = (name: string) => Object.values(c.transforms).find((t) => t.uniqueName === name)?.spec?.urn;
    // Globally, as Combine.globally: a lifted combine per key (of one key) inside.
    for (const name of ["MeanGlobally", "SumGlobally", "MinGlobally", "MaxGlobally"]) assert.equal(urnOf(`${name}/CombinePerKey`), URNS.combinePerKey, name);
    for (const name of ["MeanPerKey", "SumPerKey", "MinPerKey", "MaxPerKey"]) assert.equal(urnOf(name), URNS.combinePerKey, name);
    assert.equal(urnOf("IntersectAll/GroupByKey"), URNS.gbk);
    assert.equal(urnOf("IntersectAll/Flatten"), URNS.flatten);
  });

  for (const liftCombines of [true, false]) {
    it(`through the Fn API harness (a LOOPBACK worker loading the program), combines ${liftCombines ? "lifted" : "not lifted"}: the DirectRunner's output`, async () => {
      const flags = { output: path.join(tmp, `portable-${liftCombines}`) };
      const p = coreTransformsProgram.create(flags);
      const fn = await FnApiServer.start();
      const harness = startProgramHarness(p, fn.url, `core-transforms-${liftCombines}`, `w-core-${liftCombines}`);
      try {
        await executePipeline(translatePipeline(p, dockerEnvironment()).proto, fn, () => undefined, () => false, { liftCombines });
        assert.deepEqual(readShards(path.join(flags.output, "out")), CORE_TRANSFORMS_EXPECTED);
      } finally {
        await harness.stop();
        await fn.stop();
      }
    });
  }
});
