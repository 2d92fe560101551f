/**
 * BatchElements and RunInference's batching, ApproximateUnique, rows of a Beam schema, elementwise dead letters and
 * Enrichment (BigQuery, against our emulator: LOOPBACK workers run in this process, so the
 * emulator's environment applies) end to end on real Beam runners over LOOPBACK, when their
 * launchers are set (see real_runners.test.ts); each compared with the DirectRunner's output of
 * the same program.
 *
 *   BEAMLINE_PRISM=/path/to/prism/run.sh
 *   BEAMLINE_BEAM_PYTHON_JOB_SERVER=/path/to/beampy/run_job_server.sh
 */
import { strict as assert } from "node:assert";
import * as path from "node:path";
import { BigQuery } from "@google-cloud/bigquery";
import { PassThroughClient } from "google-auth-library";
import "../../runners/direct";
import { clearEnrichmentCaches } from "../../lib/ml/enrichment_dofn";
import { readShards } from "../helpers";
import { startEmulatorEnv, type EmulatorEnv } from "../io/gcp/emulator_env";
import { bigqueryEnrichProgram, ENRICH_PROJECT, TABLE_DATA } from "../io/bigquery/enrichment_programs";
import { elementwiseDeadLetters } from "../model/elementwise_dead_letter_programs";
import { APPROXIMATE_UNIQUE_EXACT, approximateUniqueProgram } from "./approximate_unique_programs";
import { BATCH_INPUT_SIZE, batchElementsProgram, checkBatches, RUN_INFERENCE_BATCHING_EXPECTED, runInferenceBatchingProgram } from "./batch_elements_programs";
import { REAL_RUNNERS, realRunnerSession } from "./real_runner_launch";
import { ROWS_EXPECTED, rowsProgram } from "./rows_programs";

for (const runner of REAL_RUNNERS) {
  describe(`On a real Beam runner: ${runner.name} (LOOPBACK): BatchElements, ApproximateUnique, rows, dead letters`, function () {
    this.timeout(120_000);
    const { tmp, options, runRemote } = realRunnerSession(runner, "beamline-real-transforms-");

    for (const stateful of [false, true]) {
      it(`BatchElements ${stateful ? "across bundles (maxBatchDurationSecs, in state)" : "within bundles"}: every element once, no batch over the maximum or across windows, as on the DirectRunner`, async () => {
        const flags = (where: string) => ({ output: path.join(tmp, `batch-${stateful}`, where), stateful });
        assert.equal(await (await batchElementsProgram.run(flags("direct"), { runner: "DirectRunner" })).waitUntilFinish(), "DONE");
        await runRemote(batchElementsProgram.create(flags("remote"), options(`batch-elements-${stateful}`)));
        const all = Array.from({ length: BATCH_INPUT_SIZE }, (_, i) => i);
        assert.deepEqual(checkBatches(readShards(path.join(flags("direct").output, "batches")), "direct", stateful), all);
        assert.deepEqual(checkBatches(readShards(path.join(flags("remote").output, "batches")), runner.name, stateful), all);
      });
    }

    it("RunInference across bundles (maxBatchDurationSecs): every result once, at its input's timestamp and window, as on the DirectRunner", async () => {
      const out = (where: string) => ({ output: path.join(tmp, "run-inference", where) });
      assert.equal(await (await runInferenceBatchingProgram.run(out("direct"), { runner: "DirectRunner" })).waitUntilFinish(), "DONE");
      await runRemote(runInferenceBatchingProgram.create(out("remote"), options("run-inference-batching")));
      assert.deepEqual(readShards(path.join(out("direct").output, "results")), RUN_INFERENCE_BATCHING_EXPECTED);
      assert.deepEqual(readShards(path.join(out("remote").output, "results")), RUN_INFERENCE_BATCHING_EXPECTED);
    });

    it("ApproximateUnique.globally/perKey (lifted combines): exact counts, and the DirectRunner's estimate", async () => {
      const out = (where: string) => ({ output: path.join(tmp, "unique", where, "unique") });
      assert.equal(await (await approximateUniqueProgram.run(out("direct"), { runner: "DirectRunner" })).waitUntilFinish(), "DONE");
      await runRemote(approximateUniqueProgram.create(out("remote"), options("approximate-unique")));
      const direct = readShards(out("direct").output);
      assert.deepEqual(direct.filter((l) => !l.startsWith("sampled=")), APPROXIMATE_UNIQUE_EXACT);
      assert.deepEqual(readShards(out("remote").output), direct, "the same bytes hash the same on every runner");
    });

    it("rows (beam:coder:row:v1) through GroupByKey as values and as keys give the DirectRunner's output", async () => {
      const out = (where: string) => ({ output: path.join(tmp, "rows", where) });
      assert.equal(await (await rowsProgram.run(out("direct"), { runner: "DirectRunner" })).waitUntilFinish(), "DONE");
      await runRemote(rowsProgram.create(out("remote"), options("rows")));
      for (const [file, lines] of Object.entries(ROWS_EXPECTED)) {
        assert.deepEqual(readShards(path.join(out("direct").output, file)), lines, `direct ${file}`);
        assert.deepEqual(readShards(path.join(out("remote").output, file)), lines, `${runner.name} ${file}`);
      }
    });

    for (const partial of [false, true]) {
      it(`MapElements/FlatMapElements/Filter withExceptionHandling${partial ? " (partial flatMap outputs kept)" : ""}: the DirectRunner's outputs and dead letters (checked in the job)`, async () => {
        assert.equal(await (await elementwiseDeadLetters.run({ partial }, { runner: "DirectRunner" })).waitUntilFinish(), "DONE");
        await runRemote(elementwiseDeadLetters.create({ partial }, options(`dead-letters-${partial}`)));
      });
    }

    describe("Enrichment with a BigQueryEnrichmentHandler, against the BigQuery emulator", () => {
      let env: EmulatorEnv | undefined;
      before(async () => {
        env = await startEmulatorEnv(["bigquery"]);
        const bq = new BigQuery({ projectId: ENRICH_PROJECT, apiEndpoint: env.emulators.bigqueryEndpoint, authClient: new PassThroughClient() });
        await bq.createDataset("enrichment");
        const [table] = await bq.dataset("enrichment").createTable("product_details", { schema: "id:INTEGER, name:STRING, quantity:INTEGER, distribution_center_id:INTEGER" });
        await table.insert(TABLE_DATA);
      });
      after(async () => {
        await env?.stop();
      });

      it("joins ids 1..12 to their rows in batched queries, and the 4 unknown ids go to the failed output (checked in the job), as on the DirectRunner", async () => {
        clearEnrichmentCaches();
        assert.equal(await (await bigqueryEnrichProgram.run({ n: 12 }, { runner: "DirectRunner" })).waitUntilFinish(), "DONE");
        clearEnrichmentCaches();
        const before = env!.emulators.bigquery!.faults.calls("bigquery.jobs.query");
        await runRemote(bigqueryEnrichProgram.create({ n: 12 }, options("enrichment")));
        assert.ok(env!.emulators.bigquery!.faults.calls("bigquery.jobs.query") > before, "the runner's worker queried the emulator");
      });
    });
  });
}
