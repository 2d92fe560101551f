/**
 * BigQuery IO under injected faults: streaming inserts, a load job and reads (table and query)
 * complete with exactly the right rows while the emulator answers 503 / 500 / 429 or drops
 * connections; the client's retries are counted in the run's metrics.
 */
import { strict as assert } from "node:assert";
import { BigQuery } from "@google-cloud/bigquery";
import { PassThroughClient } from "google-auth-library";
import "../../runners/direct";
import { Create } from "../../lib";
import { ReadFromBigQuery, WriteToBigQuery } from "../../lib/io/bigquery";
import { gcpRetryCounts, setGcpRetrySettings, type GcpRetrySettings } from "../../lib/io/gcp";
import { runDirect } from "../helpers";
import { startEmulatorEnv, TEST_PROJECT, type EmulatorEnv } from "./gcp/emulator_env";

describe("io/bigquery: retries of injected faults", function () {
  this.timeout(60_000);
  let env: EmulatorEnv;
  let bq: BigQuery;
  let previous: GcpRetrySettings;
  const rows = Array.from({ length: 40 }, (_, i) => ({ ID: i, Name: `n${i}` }));
  const ids = (r: { ID: number }[]): number[] => r.map((x) => Number(x.ID)).sort((a, b) => a - b);

  before(async () => {
    previous = setGcpRetrySettings({ maxRetryDelaySeconds: 1, retryDelayMultiplier: 1 });
    env = await startEmulatorEnv(["bigquery"]);
    bq = new BigQuery({ projectId: TEST_PROJECT, apiEndpoint: env.emulators.bigqueryEndpoint, authClient: new PassThroughClient() });
    await bq.createDataset("faults");
  });

  after(async () => {
    await env?.stop();
    setGcpRetrySettings(previous);
  });

  it("streaming inserts land every row exactly once through 503s and a dropped connection", async () => {
    const faults = env.emulators.bigquery!.faults;
    const before = gcpRetryCounts().bigquery;
    faults.failNext("bigquery.tabledata.insertAll", 1).resetNext("bigquery.tabledata.insertAll", 1).failNext("bigquery.tables.get", 1, { status: 500 });
    const result = await runDirect((p) => {
      p.apply(Create.of(...rows)).apply(WriteToBigQuery.to(`${TEST_PROJECT}:faults.streamed`, { schema: "ID:INTEGER, Name:STRING", method: "STREAMING_INSERTS", batchSize: 10 }));
    });
    assert.equal(await result.waitUntilFinish(), "DONE");
    assert.deepEqual(faults.pending(), []);
    const [stored] = await bq.dataset("faults").table("streamed").getRows();
    assert.deepEqual(ids(stored as { ID: number }[]), rows.map((r) => r.ID), "each row once: a retried batch is de-duplicated by its insertIds");
    // The 503 and the 500 are counted (a repeat after a dropped connection is below the client's hook);
    // the insert's retry on the step that made it, the lookup's (made while the pipeline was checked) in the process.
    assert.equal(gcpRetryCounts().bigquery - before, 2);
    assert.equal(result.metrics.counterTotal("beamline", "bigqueryRetries", "WriteToBigQuery/InsertRows"), 1, "the retried insert is in the step's metrics");
  });

  it("a load job and table and query reads complete through 503s and 429s", async () => {
    const faults = env.emulators.bigquery!.faults;
    faults.failNext("bigquery.jobs.insert", 1).failNext("bigquery.jobs.get", 1, { status: 429 });
    const loaded = await runDirect((p) => {
      p.apply(Create.of(...rows)).apply(WriteToBigQuery.to(`${TEST_PROJECT}:faults.loaded`, { schema: "ID:INTEGER, Name:STRING", method: "FILE_LOADS" }));
    });
    assert.equal(await loaded.waitUntilFinish(), "DONE");
    const [stored] = await bq.dataset("faults").table("loaded").getRows();
    assert.deepEqual(ids(stored as { ID: number }[]), rows.map((r) => r.ID));

    faults.failNext("bigquery.tabledata.list", 2).failNext("bigquery.jobs.getQueryResults", 1, { status: 502 });
    const fromTable: number[] = [];
    const fromQuery: number[] = [];
    const read = await runDirect((p) => {
      p.apply("Table", ReadFromBigQuery.from<{ ID: number }>({ table: `${TEST_PROJECT}.faults.loaded`, rowsPerSplit: 15, pageSize: 10 })).map("CollectTable", (r: { ID: number }) => fromTable.push(r.ID));
      p.apply("Query", ReadFromBigQuery.from<{ ID: number }>({ query: `SELECT ID FROM faults.loaded WHERE ID < 10` })).map("CollectQuery", (r: { ID: number }) => fromQuery.push(r.ID));
    });
    assert.equal(await read.waitUntilFinish(), "DONE");
    assert.deepEqual(faults.pending(), []);
    assert.deepEqual(fromTable.sort((a, b) => a - b), rows.map((r) => r.ID));
    assert.deepEqual(fromQuery.sort((a, b) => a - b), rows.slice(0, 10).map((r) => r.ID));
    assert.ok(loaded.metrics.counterTotal("beamline", "bigqueryRetries") + read.metrics.counterTotal("beamline", "bigqueryRetries") >= 5);
  });
});
