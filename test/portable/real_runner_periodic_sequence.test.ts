/**
 * PeriodicSequence on real Beam runners over LOOPBACK (Prism, Beam Python's job service): a
 * splittable ParDo on the public API in our worker, which claims the firings that are due and
 * resumes (self-checkpoints) until the next one; the job ends after the last firing of every
 * definition. Checked against the DirectRunner's output of the same program. Each runner's test is
 * skipped unless its launcher's variable is set (real_runners.test.ts).
 */
import { strict as assert } from "node:assert";
import type { ChildProcess } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import "../../runners/direct";
import { PortableRunner } from "../../runners/portable/portable_runner";
import { readShards } from "../helpers";
import { SEQUENCE_INTERVAL_MS, sequenceExpected, sequenceProgram } from "./periodic_sequence_programs";
import { startRunner, stopRunner } from "./real_runner_launch";

const RUNNERS = [
  { name: "Prism", envVar: "BEAMLINE_PRISM", ready: /PRISM_READY (\S+)/ },
  { name: "Beam Python's job service", envVar: "BEAMLINE_BEAM_PYTHON_JOB_SERVER", ready: /BEAMPY_JOB_SERVER_READY (\S+)/ },
] as const;

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

for (const runner of RUNNERS) describe(`On a real Beam runner: ${runner.name} (LOOPBACK), PeriodicSequence`, function () {
  this.timeout(120_000);
  const launcher = process.env[runner.envVar];
  let child: ChildProcess | undefined;
  let endpoint = "";
  const runnerLog: string[] = [];
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), "beamline-sequence-real-"));

  before(async function () {
    if (launcher === undefined || launcher === "" || !fs.existsSync(launcher)) {
      console.log(`      (skipped: set ${runner.envVar} to the runner's launcher to run these)`);
      this.skip();
    }
    ({ child, endpoint } = await startRunner(launcher!, runner.ready, runnerLog));
  });
  after(async () => {
    if (child !== undefined) await stopRunner(child);
    fs.rmSync(tmp, { recursive: true, force: true });
  });

  it("emits every firing of each definition (past ones at once, future ones as they come) with its timestamp and window, and ends after the last", async () => {
    const { start, stop } = range();
    const p = sequenceProgram.create({ output: tmp, start, stop }, { runner: "PortableRunner", jobName: "periodic-sequence", extra: { job_endpoint: endpoint, environment_type: "LOOPBACK" } });
    const lines: string[] = [];
    const result = await new PortableRunner({ log: (l) => lines.push(l), cancelOnInterrupt: false }).run(p);
    try {
      assert.equal(await result.waitUntilFinish(), "DONE");
      assert.deepEqual(readShards(path.join(tmp, "firings")), sequenceExpected(start, stop));
      assert.ok(Date.now() >= stop - SEQUENCE_INTERVAL_MS, "the job ended only after the last firing's time");
    } catch (e) {
      throw new Error(`${(e as Error).message}\n--- job messages ---\n${lines.join("\n")}\n--- runner log (tail) ---\n${runnerLog.join("").slice(-3000)}`, { cause: e });
    }
  });
});
