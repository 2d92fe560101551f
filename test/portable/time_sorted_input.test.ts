/**
 * requiresTimeSortedInput and requiresStableInput on portable runners: translated into the
 * ParDoPayload (requires_time_sorted_input, requires_stable_input) and the pipeline's
 * requirements (beam:requirement:pardo:time_sorted_input:v1, ...:stable_input:v1), as Beam Java's
 * ParDoTranslation does. Prism sorts a time-sorted DoFn's input, and refuses stable input; Beam
 * Python 2.66's job service refuses both (its FnApiRunner supports neither requirement). Those
 * runs need the launchers (see real_runners.test.ts):
 *
 *   BEAMLINE_PRISM=/path/to/prism/run.sh
 *   BEAMLINE_BEAM_PYTHON_JOB_SERVER=/path/to/beampy/run_job_server.sh
 */
import { strict as assert } from "node:assert";
import * as path from "node:path";
import "../../runners/direct";
import { dockerEnvironment } from "../../runners/portable/environments";
import { runnerApi } from "../../runners/portable/protos";
import { translatePipeline } from "../../runners/portable/translate";
import { readShards } from "../helpers";
import { REAL_RUNNERS, realRunnerSession } from "./real_runner_launch";
import { stableInputProgram, TIME_SORTED_COUNT, timeSortedProgram } from "./time_sorted_programs";

const TIME_SORTED = "beam:requirement:pardo:time_sorted_input:v1";
const STABLE = "beam:requirement:pardo:stable_input:v1";

function parDoPayload(proto: ReturnType<typeof translatePipeline>["proto"], uniqueName: string) {
  const t = Object.values(proto.components!.transforms).find((x) => x.uniqueName === uniqueName)!;
  return runnerApi.ParDoPayload.fromBinary(t.spec!.payload);
}

describe("portable translation: requiresTimeSortedInput and requiresStableInput", () => {
  it("sets ParDoPayload.requires_time_sorted_input and the pipeline's requirement", () => {
    const { proto } = translatePipeline(timeSortedProgram.create({ output: "/tmp/unused" }), dockerEnvironment("beamline/worker:test"));
    const payload = parDoPayload(proto, "Sorted");
    assert.equal(payload.requiresTimeSortedInput, true);
    assert.equal(payload.requiresStableInput, false);
    assert.ok(proto.requirements.includes(TIME_SORTED));
    assert.ok(!proto.requirements.includes(STABLE));
  });

  it("sets ParDoPayload.requires_stable_input and the pipeline's requirement", () => {
    const { proto } = translatePipeline(stableInputProgram.create({ output: "/tmp/unused" }), dockerEnvironment("beamline/worker:test"));
    const payload = parDoPayload(proto, "Stable");
    assert.equal(payload.requiresStableInput, true);
    assert.equal(payload.requiresTimeSortedInput, false);
    assert.ok(proto.requirements.includes(STABLE));
    assert.ok(!proto.requirements.includes(TIME_SORTED));
  });
});

const ALL_ONES = Array.from({ length: TIME_SORTED_COUNT }, () => "1");

for (const runner of REAL_RUNNERS) {
  describe(`On a real Beam runner: ${runner.name} (LOOPBACK): requiresTimeSortedInput and requiresStableInput`, function () {
    this.timeout(120_000);
    const { tmp, options, runRemote } = realRunnerSession(runner, "beamline-real-time-sorted-");
    const prism = runner.name === "Prism";

    it(prism ? "sorts each key's input by timestamp, as the DirectRunner does" : "refuses a time-sorted DoFn, naming the requirement", async () => {
      const out = (where: string) => ({ output: path.join(tmp, "sorted", where) });
      assert.equal(await (await timeSortedProgram.run(out("direct"), { runner: "DirectRunner" })).waitUntilFinish(), "DONE");
      assert.deepEqual(readShards(path.join(out("direct").output, "diffs")), ALL_ONES);
      const remote = runRemote(timeSortedProgram.create(out("remote"), options("time-sorted")));
      if (!prism) return void (await assert.rejects(remote, new RegExp(TIME_SORTED)));
      await remote;
      assert.deepEqual(readShards(path.join(out("remote").output, "diffs")), ALL_ONES);
    });

    it("refuses a DoFn that requires stable input, naming the requirement", async () => {
      await assert.rejects(runRemote(stableInputProgram.create({ output: path.join(tmp, "stable") }, options("stable-input"))), new RegExp(STABLE));
    });
  });
}
