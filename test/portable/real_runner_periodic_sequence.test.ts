/**
 * PeriodicSequence on real Beam runners over LOOPBACK (Prism, Beam Python's job service): a
 * splittable ParDo on the public API in our worker, which claims the firings that are due and
 * resumes (self-checkpoints) until the next one; the job ends after the last firing of every
 * definition. Checked against the DirectRunner's output of the same program. Each runner's test is
 * skipped unless its launcher's variable is set (real_runners.test.ts).
 */
import { strict as assert } from "node:assert";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import "../../runners/direct";
import { readShards } from "../helpers";
import { SEQUENCE_INTERVAL_MS, sequenceExpected, sequenceProgram } from "./periodic_sequence_programs";
import { REAL_RUNNERS, realRunnerSession } from "./real_runner_launch";

/** A range of firings 1.5 s in the past to 2.5 s in the future, starting on an interval boundary. */
function range(): { start: number; stop: number } {
  const start = Math.floor((Date.now() - 1500) / SEQUENCE_INTERVAL_MS) * SEQUENCE_INTERVAL_MS;
  return { start, stop: start + 4000 };
}

describe("PeriodicSequence program on the DirectRunner (the real runners' reference)", () => {
  it("writes each firing of each definition with its timestamp and window, and ends after the last", async () => {
    const tmp = fs.mkdtempSync(path.join(os.tmpdir(), "beamline-sequence-"));
    try {
      const { start, stop } = range();
      const result = await sequenceProgram.run({ output: tmp, start, stop }, { runner: "DirectRunner" });
      assert.equal(await result.waitUntilFinish(), "DONE");
      assert.deepEqual(readShards(path.join(tmp, "firings")), sequenceExpected(start, stop));
      assert.ok(Date.now() >= stop - SEQUENCE_INTERVAL_MS, "the run ended only after the last firing's time");
    } finally {
      fs.rmSync(tmp, { recursive: true, force: true });
    }
  });
});

for (const runner of REAL_RUNNERS) describe(`On a real Beam runner: ${runner.name} (LOOPBACK), PeriodicSequence`, function () {
  this.timeout(120_000);
  const { tmp, options, runRemote } = realRunnerSession(runner, "beamline-sequence-real-");

  it("emits every firing of each definition (past ones at once, future ones as they come) with its timestamp and window, and ends after the last", async () => {
    const { start, stop } = range();
    await runRemote(sequenceProgram.create({ output: tmp, start, stop }, options("periodic-sequence")));
    assert.deepEqual(readShards(path.join(tmp, "firings")), sequenceExpected(start, stop));
    assert.ok(Date.now() >= stop - SEQUENCE_INTERVAL_MS, "the job ended only after the last firing's time");
  });
});
