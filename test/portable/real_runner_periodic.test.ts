/**
 * PeriodicImpulse on real Beam runners over LOOPBACK (Prism, Beam Python's job service): the
 * firings run as a splittable DoFn in our worker, which claims the firings that are due and
 * resumes (self-checkpoints) until the next one; the job ends after the last firing. Checked
 * against the DirectRunner's output of the same program. Each runner's test is skipped unless its
 * launcher's variable is set (real_runners.test.ts).
 */
import { strict as assert } from "node:assert";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import "../../runners/direct";
import { readShards } from "../helpers";
import { PERIODIC_INTERVAL_MS, periodicExpected, periodicProgram } from "./periodic_programs";
import { realRunnerSession, type RealRunnerSpec } from "./real_runner_launch";

interface RealRunner extends RealRunnerSpec {
  /** Why the runner cannot feed a side input from a stage it runs again for each residual, if it cannot. */
  readonly noSideInputFromResumedStage?: string;
}

const RUNNERS: readonly RealRunner[] = [
  { name: "Prism", envVar: "BEAMLINE_PRISM", ready: /PRISM_READY (\S+)/ },
  {
    name: "Beam Python's job service",
    envVar: "BEAMLINE_BEAM_PYTHON_JOB_SERVER",
    ready: /BEAMPY_JOB_SERVER_READY (\S+)/,
    // Seen with Beam 2.66: the FnApiRunner runs the splittable DoFn's stage again for each residual
    // and after each run appends the stage's whole output so far to the side inputs read from it
    // (as for timers: real_runners.test.ts noSideInputAfterTimers): a firing's window then holds
    // it once per run ("237 elements in window ..." for a singleton).
    noSideInputFromResumedStage: "its FnApiRunner repeats a resumed stage's earlier outputs in side inputs read from it",
  },
];

/** A range of firings 1.5 s in the past to 2.5 s in the future, starting on an interval boundary. */
function range(): { start: number; stop: number } {
  const start = Math.floor((Date.now() - 1500) / PERIODIC_INTERVAL_MS) * PERIODIC_INTERVAL_MS;
  return { start, stop: start + 4000 };
}

describe("PeriodicImpulse program on the DirectRunner (the real runners' reference)", () => {
  it("writes each firing with its timestamp and window, and each main element with its window's side value", async () => {
    const tmp = fs.mkdtempSync(path.join(os.tmpdir(), "beamline-periodic-"));
    try {
      const { start, stop } = range();
      const result = await periodicProgram.run({ output: tmp, start, stop, side_input: true }, { runner: "DirectRunner" });
      assert.equal(await result.waitUntilFinish(), "DONE");
      const expected = periodicExpected(start, stop);
      assert.deepEqual(readShards(path.join(tmp, "firings")), expected.firings);
      assert.deepEqual(readShards(path.join(tmp, "tagged")), expected.tagged);
    } finally {
      fs.rmSync(tmp, { recursive: true, force: true });
    }
  });
});

for (const runner of RUNNERS) describe(`On a real Beam runner: ${runner.name} (LOOPBACK), PeriodicImpulse`, function () {
  this.timeout(120_000);
  const { tmp, options, runRemote } = realRunnerSession(runner, "beamline-periodic-real-");

  it("emits every firing of a range (past ones at once, future ones as they come) with its timestamp and window, ends after the last, and feeds a slowly updating side input", async () => {
    const { start, stop } = range();
    const sideInput = runner.noSideInputFromResumedStage === undefined;
    if (!sideInput) console.log(`      (${runner.name}: no side input: ${runner.noSideInputFromResumedStage})`);
    await runRemote(periodicProgram.create({ output: tmp, start, stop, side_input: sideInput }, options("periodic-impulse")));
    const expected = periodicExpected(start, stop);
    assert.deepEqual(readShards(path.join(tmp, "firings")), expected.firings);
    if (sideInput) assert.deepEqual(readShards(path.join(tmp, "tagged")), expected.tagged);
    assert.ok(Date.now() >= stop - PERIODIC_INTERVAL_MS, "the job ended only after the last firing's time");
  });
});
