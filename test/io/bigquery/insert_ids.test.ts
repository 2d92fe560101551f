/**
 * Streaming inserts and retried bundles: a row's insertId is fixed before the bundle that sends
 * it, so a bundle that is retried after some of its batches were inserted sends them again with
 * the same ids and BigQuery drops the repeats (Beam: StreamingWriteTables tags rows with unique
 * ids and reshuffles them before the write, so "retries never duplicate committed output").
 */
import { strict as assert } from "node:assert";
import { BigQuery } from "@google-cloud/bigquery";
import { PassThroughClient } from "google-auth-library";
import "../../../runners/direct";
import { Create } from "../../../lib";
import { WriteToBigQuery } from "../../../lib/io/bigquery";
import { setGcpRetrySettings, type GcpRetrySettings } from "../../../lib/io/gcp";
import { runDirect } from "../../helpers";
import { startEmulatorEnv, TEST_PROJECT, type EmulatorEnv } from "../gcp/emulator_env";

describe("io/bigquery: insertIds survive a retried bundle", function () {
  this.timeout(60_000);
  let env: EmulatorEnv;
  let bq: BigQuery;
  let previous: GcpRetrySettings;

  before(async () => {
    previous = setGcpRetrySettings({ maxRetryDelaySeconds: 1, retryDelayMultiplier: 1 });
    env = await startEmulatorEnv(["bigquery"]);
    bq = new BigQuery({ projectId: TEST_PROJECT, apiEndpoint: env.emulators.bigqueryEndpoint, authClient: new PassThroughClient() });
    await bq.createDataset("ids");
  });

  after(async () => {
    await env?.stop();
    setGcpRetrySettings(previous);
  });

  it("a bundle retried after its first batch was inserted leaves each row once", async () => {
    const rows = Array.from({ length: 40 }, (_, i) => ({ ID: i, Name: `n${i}` }));
    const faults = env.emulators.bigquery!.faults;
    // The first insertAll is served; the second fails for good (400 is not retried by the client),
    // which fails the bundle after 10 rows are already in the table.
    faults.inject({ method: "bigquery.tabledata.insertAll", count: 1, fault: { kind: "delay", ms: 0 } }).failNext("bigquery.tabledata.insertAll", 1, { status: 400, message: "injected permanent failure" });
    const result = await runDirect(
      (p) => {
        p.apply(Create.of(...rows)).apply(WriteToBigQuery.to(`${TEST_PROJECT}:ids.retried`, { schema: "ID:INTEGER, Name:STRING", method: "STREAMING_INSERTS", batchSize: 10 }));
      },
      { directBundleRetries: 1, directNumWorkers: 1 },
    );
    assert.equal(await result.waitUntilFinish(), "DONE");
    assert.deepEqual(faults.pending(), []);
    const [stored] = await bq.dataset("ids").table("retried").getRows();
    const ids = (stored as { ID: number }[]).map((r) => Number(r.ID)).sort((a, b) => a - b);
    assert.deepEqual(ids, rows.map((r) => r.ID), "each row once: the retried bundle re-sent the inserted batch with the same insertIds");
  });
});
