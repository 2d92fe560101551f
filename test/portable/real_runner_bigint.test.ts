/**
 * Bigints beyond 2^53 in BigIntVarIntCoder (beam:coder:varint:v1, Beam's int64) through
 * GroupByKey on real Beam runners over LOOPBACK: the runner groups by the varint bytes, and our
 * worker decodes them as the SDK's coder does (bigint_varint.test.ts). Each runner's test is
 * skipped unless its launcher's variable is set (real_runners.test.ts).
 */
import { strict as assert } from "node:assert";
import * as path from "node:path";
import "../../runners/direct";
import { readShards } from "../helpers";
import { BIGINT_EXPECTED, BIGINT_TIMER_EXPECTED, bigintProgram, bigintTimerProgram } from "./bigint_programs";
import { REAL_RUNNERS, realRunnerSession } from "./real_runner_launch";
import { SDF_BIGINT_EXPECTED, sdfBigintProgram } from "./sdf_bigint_programs";

/**
 * Beam 2.66's FnApiRunner runs a timer stage again and repeats its earlier outputs in side inputs
 * read from it, which WriteToText's Finalize is (real_runners.test.ts noSideInputAfterTimers).
 */
const NO_WRITE_AFTER_TIMERS: ReadonlySet<string> = new Set(["BEAMLINE_BEAM_PYTHON_JOB_SERVER"]);

for (const runner of REAL_RUNNERS) describe(`On a real Beam runner: ${runner.name} (LOOPBACK), int64 bigints`, function () {
  this.timeout(180_000);
  const { tmp, options, runRemote } = realRunnerSession(runner, "beamline-bigint-real-");

  it("bigints beyond 2^53 go through GroupByKey as keys and as values, and Combine.perKey as keys, and come out as bigints", async () => {
    await runRemote(bigintProgram.create({ output: tmp }, options("bigint-varint")));
    for (const [file, expected] of Object.entries(BIGINT_EXPECTED)) assert.deepEqual(readShards(path.join(tmp, file)), expected, file);
  });

  it("a stateful DoFn keyed by bigints gets its timers back with bigint keys (the timer coder's key is the input's key coder)", async function () {
    if (NO_WRITE_AFTER_TIMERS.has(runner.envVar)) {
      console.log(`      (${runner.name}: its FnApiRunner repeats a timer stage's earlier outputs in side inputs read from it)`);
      this.skip();
    }
    const out = path.join(tmp, "timers");
    await runRemote(bigintTimerProgram.create({ output: out }, options("bigint-timers")));
    assert.deepEqual(readShards(path.join(out, "fired")), BIGINT_TIMER_EXPECTED);
  });

  it("a splittable DoFn over bigints, with a restriction coder of the user's own, gets bigints in the phases the runner expands it into and in its residuals", async () => {
    const out = path.join(tmp, "sdf");
    await runRemote(sdfBigintProgram.create({ output: out, checkpoint: true }, options("sdf-bigint")));
    assert.deepEqual(readShards(path.join(out, "indexed")), SDF_BIGINT_EXPECTED);
  });
});
