/**
 * Select, DropFields, RenameFields, AddFields, Join and CoGroup over RowCoder rows end to end on real Beam
 * runners over LOOPBACK, when their launchers are set (see real_runners.test.ts), compared with
 * Beam's expected outputs and the DirectRunner's: every output is a beam:coder:row:v1 collection
 * the runner groups by its row encoding.
 *
 *   BEAMLINE_PRISM=/path/to/prism/run.sh
 *   BEAMLINE_BEAM_PYTHON_JOB_SERVER=/path/to/beampy/run_job_server.sh
 */
import { strict as assert } from "node:assert";
import * as path from "node:path";
import "../../runners/direct";
import { readShards } from "../helpers";
import { REAL_RUNNERS, realRunnerSession } from "./real_runner_launch";
import { SCHEMA_TRANSFORMS_EXPECTED, schemaTransformsProgram } from "./schema_transforms_programs";

for (const runner of REAL_RUNNERS) {
  describe(`On a real Beam runner: ${runner.name} (LOOPBACK): Select, DropFields, RenameFields, AddFields, Join, CoGroup over RowCoder rows`, function () {
    this.timeout(120_000);
    const { tmp, options, runRemote } = realRunnerSession(runner, "beamline-real-schema-transforms-");

    it("gives Beam's expected outputs, as the DirectRunner does", async () => {
      const out = (where: string) => ({ output: path.join(tmp, "schema", where) });
      assert.equal(await (await schemaTransformsProgram.run(out("direct"), { runner: "DirectRunner" })).waitUntilFinish(), "DONE");
      assert.deepEqual(readShards(path.join(out("direct").output, "out")), SCHEMA_TRANSFORMS_EXPECTED);
      await runRemote(schemaTransformsProgram.create(out("remote"), options("schema-transforms")));
      assert.deepEqual(readShards(path.join(out("remote").output, "out")), SCHEMA_TRANSFORMS_EXPECTED);
    });
  });
}
