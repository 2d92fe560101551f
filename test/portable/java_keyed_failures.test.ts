/**
 * The Beam Java MapKeys/MapValues, WithFailures, ErrorHandler, PerKeyOrdering, PCollectionTuple,
 * Latest and stats cases (java_keyed_failures_programs.ts) as one program: Beam Java's expected
 * output on the DirectRunner on one thread and on two worker threads (every bundle in a worker),
 * through the Fn API harness (a LOOPBACK worker loading the program from the job's options), and
 * on Prism over LOOPBACK when its launcher is set (BEAMLINE_PRISM, see real_runners.test.ts), one
 * stateful step a job.
 */
import { strict as assert } from "node:assert";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import "../../runners/direct";
import { dockerEnvironment } from "../../runners/portable/environments";
import { translatePipeline } from "../../runners/portable/translate";
import { startProgramHarness } from "../worker/program_harness";
import { FnApiServer } from "../worker/fn_server";
import { readShards } from "../helpers";
import { executePipeline } from "./mini_runner";
import { JAVA_KEYED_FAILURES_PARTS, javaKeyedFailuresExpected, javaKeyedFailuresProgram } from "./java_keyed_failures_programs";
import { REAL_RUNNERS, realRunnerSession } from "./real_runner_launch";

describe("portable: Beam Java MapKeys/MapValues, failures, dead letters, per-key ordering, Latest and stats", function () {
  this.timeout(60_000);
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), "beamline-java-keyed-failures-"));
  after(() => fs.rmSync(tmp, { recursive: true, force: true }));

  it("DirectRunner, on one thread and on two worker threads: Beam Java's expected outputs", async () => {
    for (const [where, options] of [["direct", {}], ["threads", { directNumWorkers: 2, directWorkerThreads: "always" as const }]] as const) {
      const output = path.join(tmp, where);
      assert.equal(await (await javaKeyedFailuresProgram.run({ output, part: "all" }, { runner: "DirectRunner", ...options })).waitUntilFinish(), "DONE");
      assert.deepEqual(readShards(path.join(output, "out")), javaKeyedFailuresExpected(), where);
    }
  });

  it("through the Fn API harness (a LOOPBACK worker loading the program): Beam Java's expected outputs", async () => {
    const flags = { output: path.join(tmp, "portable"), part: "all" };
    const p = javaKeyedFailuresProgram.create(flags);
    const fn = await FnApiServer.start();
    const harness = startProgramHarness(p, fn.url, "java-keyed-failures", "w-java-keyed-failures");
    try {
      await executePipeline(translatePipeline(p, dockerEnvironment()).proto, fn, () => undefined, () => false, { liftCombines: true });
      assert.deepEqual(readShards(path.join(flags.output, "out")), javaKeyedFailuresExpected());
    } finally {
      await harness.stop();
      await fn.stop();
    }
  });
});

for (const runner of REAL_RUNNERS.filter((r) => r.name === "Prism")) {
  describe(`On a real Beam runner: ${runner.name} (LOOPBACK): Beam Java MapKeys/MapValues, failures, dead letters, per-key ordering, Latest and stats`, function () {
    this.timeout(120_000);
    const { tmp, options, runRemote } = realRunnerSession(runner, "beamline-real-java-keyed-failures-");

    // One stateful step a job (see java_keyed_failures_programs.ts).
    for (const part of JAVA_KEYED_FAILURES_PARTS) {
      it(`gives Beam Java's expected outputs: ${part}`, async () => {
        const output = path.join(tmp, part);
        await runRemote(javaKeyedFailuresProgram.create({ output, part }, options(`java-keyed-failures-${part}`)));
        assert.deepEqual(readShards(path.join(output, "out")), javaKeyedFailuresExpected(part));
      });
    }
  });
}
