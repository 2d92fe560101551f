/**
 * Sets, Mean/Sum/Min/Max, Flatten.iterables and Filter's comparisons end to end on real Beam
 * runners over LOOPBACK, when their launchers are set (see real_runners.test.ts), compared with
 * Beam's expected outputs and the DirectRunner's.
 *
 *   BEAMLINE_PRISM=/path/to/prism/run.sh
 *   BEAMLINE_BEAM_PYTHON_JOB_SERVER=/path/to/beampy/run_job_server.sh
 */
import { strict as assert } from "node:assert";
import * as path from "node:path";
import "../../runners/direct";
import { readShards } from "../helpers";
import { CORE_TRANSFORMS_EXPECTED, coreTransformsProgram } from "./core_transforms_programs";
import { REAL_RUNNERS, realRunnerSession } from "./real_runner_launch";

for (const runner of REAL_RUNNERS) {
  describe(`On a real Beam runner: ${runner.name} (LOOPBACK): Sets, Mean/Sum/Min/Max, Flatten.iterables, Filter's comparisons`, function () {
    this.timeout(120_000);
    const { tmp, options, runRemote } = realRunnerSession(runner, "beamline-real-core-transforms-");

    it("gives Beam's expected outputs, as the DirectRunner does (rows and varint bigints in their coders)", async () => {
      const out = (where: string) => ({ output: path.join(tmp, "core", where) });
      assert.equal(await (await coreTransformsProgram.run(out("direct"), { runner: "DirectRunner" })).waitUntilFinish(), "DONE");
      await runRemote(coreTransformsProgram.create(out("remote"), options("core-transforms")));
      assert.deepEqual(readShards(path.join(out("direct").output, "out")), CORE_TRANSFORMS_EXPECTED);
      assert.deepEqual(readShards(path.join(out("remote").output, "out")), CORE_TRANSFORMS_EXPECTED);
    });
  });
}
