/**
 * The Beam TypeScript SDK's own test pipelines, ported (test/conformance/beam_typescript_sdk*),
 * on real Beam runners over LOOPBACK when their launchers are set (see real_runners.test.ts):
 * the same programs the DirectRunner runs, whose assertThat checks fail the job when a runner
 * and Beamline disagree.
 *
 *   BEAMLINE_PRISM=/path/to/prism/run.sh
 *   BEAMLINE_BEAM_PYTHON_JOB_SERVER=/path/to/beampy/run_job_server.sh
 */
import { strict as assert } from "node:assert";
import * as fs from "node:fs";
import * as path from "node:path";
import "../../runners/direct";
import { PortableRunner } from "../../runners/portable/portable_runner";
import { beamTypeScriptSdkProgram, CASES, IO_CASES, METRICS_NAMESPACE, type CaseName } from "../conformance/beam_typescript_sdk_programs";
import { REAL_RUNNERS, realRunnerSession } from "./real_runner_launch";

const jobName = (name: string): string => `beam-ts-${name.replace(/[^a-z0-9]+/gi, "-").toLowerCase()}`.slice(0, 60);

for (const runner of REAL_RUNNERS) {
  describe(`On a real Beam runner: ${runner.name} (LOOPBACK): the Beam TypeScript SDK's tests, ported`, function () {
    this.timeout(180_000);
    const session = realRunnerSession(runner, "beamline-real-beam-ts-");

    it("fails on bad assert: a wrong assertThat fails the job", async () => {
      const result = await new PortableRunner({ log: () => undefined, cancelOnInterrupt: false }).run(beamTypeScriptSdkProgram.create({ case: "fails on bad assert", dir: "" }, session.options(jobName("bad-assert"))));
      await assert.rejects(result.waitUntilFinish());
    });

    it("runs a map with counters: the counter comes back through GetJobMetrics", async () => {
      const result = await new PortableRunner({ log: () => undefined, cancelOnInterrupt: false }).run(beamTypeScriptSdkProgram.create({ case: "runs a map with counters", dir: "" }, session.options(jobName("counters"))));
      assert.equal(await result.waitUntilFinish(), "DONE");
      assert.equal(result.metrics.counterTotal(METRICS_NAMESPACE, "myCounter"), 6);
    });

    for (const name of Object.keys(CASES) as CaseName[]) {
      if (name === "fails on bad assert" || name === "runs a map with counters") continue;
      it(name, () => session.runRemote(beamTypeScriptSdkProgram.create({ case: name, dir: "" }, session.options(jobName(name)))));
    }

    for (const [write, read] of [
      ["textio write", "textio read"],
      ["csv write", "csv read"],
      ["json write", "json read"],
      ["parquet write", "parquet read"],
      ["avro write", "avro read"],
    ] as const satisfies readonly (readonly [keyof typeof IO_CASES, keyof typeof IO_CASES])[]) {
      it(`io_test.ts: ${write}, then ${read}`, async () => {
        const dir = fs.mkdtempSync(path.join(session.tmp, "io-"));
        await session.runRemote(beamTypeScriptSdkProgram.create({ case: write, dir }, session.options(jobName(write))));
        assert.ok(fs.readdirSync(dir).length > 0, `${write} wrote no file`);
        await session.runRemote(beamTypeScriptSdkProgram.create({ case: read, dir }, session.options(jobName(read))));
      });
    }
  });
}
