/**
 * JsonToRow (with its failed-lines output), ToJson and Cast end to end on real Beam runners over
 * LOOPBACK, when their launchers are set (see real_runners.test.ts), compared with Beam Java's
 * expected outputs and the DirectRunner's: the parsed rows, the failed lines and the cast rows all
 * cross the runner as beam:coder:row:v1 collections it groups by their encoding.
 *
 *   BEAMLINE_PRISM=/path/to/prism/run.sh
 *   BEAMLINE_BEAM_PYTHON_JOB_SERVER=/path/to/beampy/run_job_server.sh
 */
import { strict as assert } from "node:assert";
import * as path from "node:path";
import "../../runners/direct";
import { readShards } from "../helpers";
import { JSON_CAST_EXPECTED, jsonCastProgram } from "./json_cast_programs";
import { REAL_RUNNERS, realRunnerSession } from "./real_runner_launch";

for (const runner of REAL_RUNNERS) {
  describe(`On a real Beam runner: ${runner.name} (LOOPBACK): JsonToRow, ToJson, Cast over RowCoder rows`, function () {
    this.timeout(120_000);
    const { tmp, options, runRemote } = realRunnerSession(runner, "beamline-real-json-cast-");

    it("gives Beam Java's outputs, as the DirectRunner does", async () => {
      const out = (where: string) => ({ output: path.join(tmp, "json", where) });
      assert.equal(await (await jsonCastProgram.run(out("direct"), { runner: "DirectRunner" })).waitUntilFinish(), "DONE");
      assert.deepEqual(readShards(path.join(out("direct").output, "out")), JSON_CAST_EXPECTED);
      await runRemote(jsonCastProgram.create(out("remote"), options("json-cast")));
      assert.deepEqual(readShards(path.join(out("remote").output, "out")), JSON_CAST_EXPECTED);
    });
  });
}
