/**
 * A selection of the Beam Python fn_runner_test.py ports (test/conformance/beam_py_fn_runner_*.test.ts,
 * fn_runner_programs.ts) end to end on Prism over LOOPBACK when its launcher is set (see
 * real_runners.test.ts): timers, state, splittable DoFns that checkpoint, windowed and multimap
 * side inputs and sessions give Beam Python's expected outputs, as on the DirectRunner; a gauge
 * reaches the job's metrics; a job that fails in user code reports the user's stack.
 *
 *   BEAMLINE_PRISM=/path/to/prism/run.sh
 */
import { strict as assert } from "node:assert";
import * as path from "node:path";
import "../../runners/direct";
import { PortableRunner } from "../../runners/portable/portable_runner";
import { readShards } from "../helpers";
import { FN_RUNNER_EXPECTED, fnRunnerFailingProgram, fnRunnerMetricsProgram, fnRunnerProgram } from "./fn_runner_programs";
import { REAL_RUNNERS, realRunnerSession } from "./real_runner_launch";

for (const runner of REAL_RUNNERS.filter((r) => r.name === "Prism")) {
  describe(`On a real Beam runner: ${runner.name} (LOOPBACK): Beam Python fn_runner_test.py cases`, function () {
    this.timeout(120_000);
    const { tmp, options, runRemote } = realRunnerSession(runner, "beamline-real-fn-runner-");

    it("timers, state, checkpointing SDFs (a run that ends by itself truncates nothing), side inputs, sessions: Beam Python's expected outputs, as on the DirectRunner", async () => {
      const out = (where: string) => ({ output: path.join(tmp, "fn", where) });
      assert.equal(await (await fnRunnerProgram.run(out("direct"), { runner: "DirectRunner" })).waitUntilFinish(), "DONE");
      assert.deepEqual(readShards(path.join(out("direct").output, "out")), FN_RUNNER_EXPECTED);
      await runRemote(fnRunnerProgram.create(out("remote"), options("fn-runner")));
      assert.deepEqual(readShards(path.join(out("remote").output, "out")), FN_RUNNER_EXPECTED);
    });

    it("test_metrics, test_sdf_with_sdf_initiated_checkpointing: counters (also one in a checkpointing splittable DoFn) and the gauge reach the job's metrics", async () => {
      const result = await new PortableRunner({ log: () => undefined, cancelOnInterrupt: false }).run(fnRunnerMetricsProgram.create({}, options("fn-runner-metrics")));
      assert.equal(await result.waitUntilFinish(), "DONE");
      assert.equal(result.metrics.counterTotal("ns", "counter"), 6);
      assert.deepEqual(result.metrics.gauges({ name: "gauge" }).map((g) => g.value.value), [3]);
      assert.equal(result.metrics.counterTotal("ns", "my_counter"), "abcdefghijklmnopqrstuvwxyz".length);
    });

    it("test_error_traceback_includes_user_code: the job's error shows first, second and third", async () => {
      const result = await new PortableRunner({ log: () => undefined, cancelOnInterrupt: false }).run(fnRunnerFailingProgram.create({}, options("fn-runner-failing")));
      const error = await result.waitUntilFinish().then(
        () => assert.fail("the job succeeded"),
        (e: Error) => e,
      );
      for (const fn of ["first", "second", "third", "StageC"]) assert.match(error.message, new RegExp(`\\b${fn}\\b`), `${fn} in ${error.message}`);
    });
  });
}
