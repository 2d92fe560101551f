/**
 * A selection of the Beam Java ValidatesRunner cases ported in test/conformance/beam_java_*.test.ts
 * (java_conformance_programs.ts), end to end on Prism over LOOPBACK when its launcher is set (see
 * real_runners.test.ts), compared with Beam Java's expected outputs and the DirectRunner's: the
 * harness gives the same results on a real runner as in process.
 *
 *   BEAMLINE_PRISM=/path/to/prism/run.sh
 */
import { strict as assert } from "node:assert";
import * as path from "node:path";
import "../../runners/direct";
import { readShards } from "../helpers";
import { JAVA_CONFORMANCE_EXPECTED, javaConformanceProgram } from "./java_conformance_programs";
import { REAL_RUNNERS, realRunnerSession } from "./real_runner_launch";

for (const runner of REAL_RUNNERS.filter((r) => r.name === "Prism")) {
  describe(`On a real Beam runner: ${runner.name} (LOOPBACK): Beam Java ValidatesRunner cases (views, windowing, Reshuffle, Top, timers, tagged timestamps, Flatten coders)`, function () {
    this.timeout(120_000);
    const { tmp, options, runRemote } = realRunnerSession(runner, "beamline-real-java-conformance-");

    it("gives Beam Java's expected outputs, as the DirectRunner does", async () => {
      const out = (where: string) => ({ output: path.join(tmp, "java", where) });
      assert.equal(await (await javaConformanceProgram.run(out("direct"), { runner: "DirectRunner" })).waitUntilFinish(), "DONE");
      assert.deepEqual(readShards(path.join(out("direct").output, "out")), JAVA_CONFORMANCE_EXPECTED);
      await runRemote(javaConformanceProgram.create(out("remote"), options("java-conformance")));
      assert.deepEqual(readShards(path.join(out("remote").output, "out")), JAVA_CONFORMANCE_EXPECTED);
    });
  });
}
