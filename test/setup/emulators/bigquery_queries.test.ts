/**
 * BigQuery emulator queries run in worker threads: an expensive one neither blocks the emulators
 * nor ignores `timeoutMs`, `jobTimeoutMs`, jobs.cancel or a shutdown.
 */
import { strict as assert } from "node:assert";
import { BigQuery } from "@google-cloud/bigquery";
import { PassThroughClient } from "google-auth-library";
import { startBigQueryEmulator, startEmulators, type BigQueryEmulator, type RunningEmulators } from "../../../setup/emulators";
import { isolateFromGoogleCredentials, postJson, rawRequest, within } from "./helpers";

const PROJECT = "beamline-test";
/** Billions of rows to count: runs far longer than any test. */
const EXPENSIVE = "SELECT COUNT(*) AS c FROM slow.t a, slow.t b, slow.t c";

async function seed(endpoint: string): Promise<BigQuery> {
  const bigquery = new BigQuery({ projectId: PROJECT, apiEndpoint: endpoint, authClient: new PassThroughClient() });
  await bigquery.createDataset("slow");
  const [table] = await bigquery.dataset("slow").createTable("t", { schema: "n:INTEGER" });
  await table.insert(Array.from({ length: 1500 }, (_, n) => ({ n })));
  return bigquery;
}

describe("emulators: BigQuery queries off the main thread", function () {
  this.timeout(30_000);
  let restoreEnv: () => void;
  let emulators: RunningEmulators;
  let bigquery: BigQuery;
  let queries: string;

  before(async () => {
    restoreEnv = isolateFromGoogleCredentials();
    emulators = await startEmulators({ services: ["bigquery", "storage"] });
    bigquery = await seed(emulators.bigqueryEndpoint!);
    queries = `${emulators.bigqueryEndpoint}/bigquery/v2/projects/${PROJECT}/queries`;
  });

  after(async () => {
    await emulators?.stop();
    restoreEnv();
  });

  it("answers jobs.query after its timeoutMs with jobComplete: false while the query runs, and other requests meanwhile", async () => {
    const started = Date.now();
    const reply = postJson(queries, { query: EXPENSIVE, useLegacySql: false, timeoutMs: 800 });
    // While the query runs: the other emulator, and BigQuery itself, answer at once.
    const other = await within("Cloud Storage to answer during the query", 2000, rawRequest(`${emulators.storageEndpoint}/storage/v1/b?project=${PROJECT}`));
    assert.equal(other.status, 200);
    const datasets = await within("BigQuery to answer during the query", 2000, bigquery.getDatasets());
    assert.equal(datasets[0].length, 1);
    const answer = await within("jobs.query to answer after its timeoutMs", 5000, reply);
    assert.equal(answer.status, 200);
    const body = JSON.parse(answer.body) as { jobComplete: boolean; jobReference: { jobId: string } };
    assert.equal(body.jobComplete, false);
    assert.ok(Date.now() - started >= 700, "it waited for the timeout");
    // getQueryResults waits (up to its own timeoutMs) too, then says the same.
    const page = await rawRequest(`${queries}/${body.jobReference.jobId}?timeoutMs=200`);
    assert.equal((JSON.parse(page.body) as { jobComplete: boolean }).jobComplete, false);
    // jobs.cancel stops it at once: DONE with the service's cancellation error.
    const job = bigquery.job(body.jobReference.jobId);
    await within("jobs.cancel", 3000, job.cancel());
    const [metadata] = await job.getMetadata();
    assert.equal(metadata.status.state, "DONE");
    assert.equal(metadata.status.errorResult.reason, "stopped");
    assert.match(metadata.status.errorResult.message, /Job execution was cancelled: User requested cancellation/);
  });

  it("stops a job at its jobTimeoutMs with the service's error", async () => {
    const [job] = await bigquery.createQueryJob({ query: EXPENSIVE, jobTimeoutMs: 1000 } as never);
    const err = await within("the job to time out", 10_000, job.promise().then(() => undefined, (e: Error) => e));
    assert.ok(err instanceof Error);
    assert.match(err.message, /Job execution was cancelled: Job timed out after 1s/);
    // The pool is free again: a quick query works.
    const [rows] = await bigquery.query("SELECT MAX(n) AS m FROM slow.t");
    assert.deepEqual(rows, [{ m: 1499 }]);
  });

  it("frees the query worker after a query that fails (more failing queries than workers, then a good one answers at once)", async () => {
    for (let i = 0; i < 3; i++) {
      const bad = await within(`failing query ${i + 1}`, 15_000, postJson(queries, { query: "SELECT wrong_column FROM `beamline-test.slow.t`", useLegacySql: false, timeoutMs: 10_000 }));
      assert.equal(bad.status, 400, `failing query ${i + 1}: ${bad.body}`);
      assert.match(bad.body, /no such column: wrong_column/);
    }
    const good = await within("a query after the failing ones", 15_000, postJson(queries, { query: "SELECT MAX(n) AS m FROM slow.t", useLegacySql: false, timeoutMs: 10_000 }));
    assert.equal(good.status, 200);
    assert.equal((JSON.parse(good.body) as { jobComplete: boolean }).jobComplete, true, "the query ran (a worker was free), not left waiting for one");
  });
});

describe("emulators: BigQuery query limits and shutdown", function () {
  this.timeout(30_000);
  let restoreEnv: () => void;
  let emulator: BigQueryEmulator | undefined;

  before(() => {
    restoreEnv = isolateFromGoogleCredentials();
  });

  after(async () => {
    await emulator?.stop();
    restoreEnv();
  });

  it("cancels queries past the emulator's maxQueryMs, and stops promptly with one running", async () => {
    emulator = await startBigQueryEmulator({ maxQueryMs: 700 });
    const bigquery = await seed(emulator.endpoint);
    const err = await within("the query to hit the emulator's limit", 10_000, bigquery.query(EXPENSIVE).then(() => undefined, (e: Error) => e));
    assert.ok(err instanceof Error);
    assert.match(err.message, /Job timed out after 0s/);
    const running = postJson(`${emulator.endpoint}/bigquery/v2/projects/${PROJECT}/queries`, { query: EXPENSIVE, timeoutMs: 60_000 }).catch((e: Error) => e);
    await new Promise((resolve) => setTimeout(resolve, 200));
    const stopped = emulator.stop();
    emulator = undefined;
    await within("stop() with a query running", 5000, stopped);
    await running;
  });
});
