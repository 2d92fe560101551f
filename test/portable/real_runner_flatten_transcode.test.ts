/**
 * Flattens of inputs with different coders (flatten_transcode_programs.ts: Beam Python's
 * test_flatten_and_gbk and test_flattened_side_input with transcoding, Beam Java FlattenTest's
 * coder cases, two GroupByKey outputs with different value coders, KV and plain elements keyed
 * after the Flatten) end to end on each real runner whose launcher is set (see
 * real_runners.test.ts), over LOOPBACK: the DirectRunner's output, Beam's expectations. A plain
 * element flattened into a GroupByKey's input fails the job, naming the Flatten.
 *
 *   BEAMLINE_PRISM=/path/to/prism/run.sh
 *   BEAMLINE_BEAM_PYTHON_JOB_SERVER=/path/to/beampy/run_job_server.sh
 */
import { strict as assert } from "node:assert";
import * as path from "node:path";
import "../../runners/direct";
import { PortableRunner } from "../../runners/portable/portable_runner";
import { readShards } from "../helpers";
import { FLATTEN_TRANSCODE_EXPECTED, flattenPlainIntoGroupingProgram, flattenTranscodeProgram } from "./flatten_transcode_programs";
import { REAL_RUNNERS, realRunnerSession } from "./real_runner_launch";

for (const runner of REAL_RUNNERS) {
  describe(`On a real Beam runner: ${runner.name} (LOOPBACK): Flattens of inputs with different coders`, function () {
    this.timeout(180_000);
    const { tmp, options, runRemote } = realRunnerSession(runner, "beamline-real-flatten-transcode-");

    it("Beam's expected outputs, as on the DirectRunner", async () => {
      const out = (where: string) => ({ output: path.join(tmp, where) });
      assert.equal(await (await flattenTranscodeProgram.run(out("direct"), { runner: "DirectRunner" })).waitUntilFinish(), "DONE");
      assert.deepEqual(readShards(path.join(out("direct").output, "out")), FLATTEN_TRANSCODE_EXPECTED);
      await runRemote(flattenTranscodeProgram.create(out("remote"), options("flatten-transcode")));
      assert.deepEqual(readShards(path.join(out("remote").output, "out")), FLATTEN_TRANSCODE_EXPECTED);
    });

    it("a plain element flattened into a GroupByKey's input fails the job, naming the Flatten", async () => {
      const result = await new PortableRunner({ log: () => undefined, cancelOnInterrupt: false }).run(flattenPlainIntoGroupingProgram.create({}, options("flatten-plain-into-grouping")));
      const error = await result.waitUntilFinish().then(
        () => assert.fail("the job succeeded"),
        (e: Error) => e,
      );
      assert.match(error.message, /Flatten 'Mixed' received "not a pair"/, error.message);
    });
  });
}
