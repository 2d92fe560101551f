/**
 * Timer families (dynamic timer tags) end to end on real Beam runners over LOOPBACK, when their
 * launchers are set (see real_runners.test.ts): each (key, window, family, tag) fires on its own,
 * reset and cleared per tag, as on the DirectRunner.
 *
 *   BEAMLINE_PRISM=/path/to/prism/run.sh
 *
 * Prism only: Beam Python 2.66's job service cannot run a stateful DoFn with timers keyed by
 * Beamline's own coders (its FnApiRunner decodes timer streams with SDK coders it does not know;
 * real_runners.test.ts, noTimersWithSdkKeyCoders).
 */
import { strict as assert } from "node:assert";
import * as path from "node:path";
import "../../runners/direct";
import { readShards } from "../helpers";
import { REAL_RUNNERS, realRunnerSession } from "./real_runner_launch";
import { TIMER_FAMILY_EXPECTED, timerFamilyProgram } from "./timer_family_programs";

for (const runner of REAL_RUNNERS.filter((r) => r.name === "Prism")) {
  describe(`On a real Beam runner: ${runner.name} (LOOPBACK): timer families`, function () {
    this.timeout(120_000);
    const { tmp, options, runRemote } = realRunnerSession(runner, "beamline-real-timer-families-");

    it("fires each tag of a family on its own, as the DirectRunner does", async () => {
      const out = (where: string) => ({ output: path.join(tmp, "families", where) });
      assert.equal(await (await timerFamilyProgram.run(out("direct"), { runner: "DirectRunner" })).waitUntilFinish(), "DONE");
      await runRemote(timerFamilyProgram.create(out("remote"), options("timer-families")));
      assert.deepEqual(readShards(path.join(out("direct").output, "timers")), TIMER_FAMILY_EXPECTED);
      assert.deepEqual(readShards(path.join(out("remote").output, "timers")), TIMER_FAMILY_EXPECTED);
    });
  });
}
