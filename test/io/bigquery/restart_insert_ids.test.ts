/**
 * Streaming inserts in a streaming run that restarts from its checkpoint: rows get their insertIds
 * before a Reshuffle, and what crosses the Reshuffle is in a checkpoint before the insert runs
 * (runners/streaming/stable_reshuffle.ts). A run that fails after its first batch was inserted,
 * resumed from its checkpoint, sends that batch again under the same insertIds and BigQuery drops
 * the repeats. Without that, the resumed run re-read the rows from its source and tagged them anew:
 * the inserted batch was stored twice.
 */
import { strict as assert } from "node:assert";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { BigQuery } from "@google-cloud/bigquery";
import { PassThroughClient } from "google-auth-library";
import "../../../runners/direct";
import { WriteToBigQuery } from "../../../lib/io/bigquery";
import { setGcpRetrySettings, type GcpRetrySettings } from "../../../lib/io/gcp";
import { TestStream } from "../../../lib/testing/test_stream";
import { runDirect } from "../../helpers";
import { startEmulatorEnv, TEST_PROJECT, type EmulatorEnv } from "../gcp/emulator_env";

describe("io/bigquery: insertIds survive a streaming restart from a checkpoint", function () {
  this.timeout(60_000);
  let env: EmulatorEnv;
  let bq: BigQuery;
  let previous: GcpRetrySettings;
  let dir: string;

  before(async () => {
    previous = setGcpRetrySettings({ maxRetryDelaySeconds: 1, retryDelayMultiplier: 1 });
    env = await startEmulatorEnv(["bigquery"]);
    bq = new BigQuery({ projectId: TEST_PROJECT, apiEndpoint: env.emulators.bigqueryEndpoint, authClient: new PassThroughClient() });
    await bq.createDataset("restart_ids");
    dir = fs.mkdtempSync(path.join(os.tmpdir(), "beamline-restart-insert-ids-"));
  });

  after(async () => {
    await env?.stop();
    setGcpRetrySettings(previous);
    if (dir !== undefined) fs.rmSync(dir, { recursive: true, force: true });
  });

  it("a run that fails after its first batch was inserted, resumed from its checkpoint, leaves each row once", async () => {
    const rows = Array.from({ length: 40 }, (_, i) => ({ ID: i, Name: `n${i}` }));
    const script = TestStream.create<{ ID: number; Name: string }>()
      .addElements(...rows.slice(0, 20).map((value, i) => ({ value, timestamp: i })))
      .addElements(...rows.slice(20).map((value, i) => ({ value, timestamp: 20 + i })))
      .advanceWatermarkToInfinity();
    const build = (p: Parameters<Parameters<typeof runDirect>[0]>[0]): void => {
      p.apply("Events", script).apply("Write", WriteToBigQuery.to(`${TEST_PROJECT}:restart_ids.rows`, { schema: "ID:INTEGER, Name:STRING", method: "STREAMING_INSERTS", batchSize: 10 }));
    };
    const faults = env.emulators.bigquery!.faults;
    // The first insertAll is served; the second fails for good (400 is not retried), which fails
    // the run after 10 rows are in the table.
    faults.inject({ method: "bigquery.tabledata.insertAll", count: 1, fault: { kind: "delay", ms: 0 } }).failNext("bigquery.tabledata.insertAll", 1, { status: 400, message: "injected permanent failure" });
    const first = await runDirect(build, { checkpointDir: dir, checkpointIntervalMs: 0 });
    await assert.rejects(first.waitUntilFinish(), /injected permanent failure/);
    assert.deepEqual(faults.pending(), []);
    const [before] = await bq.dataset("restart_ids").table("rows").getRows();
    assert.equal(before.length, 10, "the first batch was inserted before the failure");

    const second = await runDirect(build, { checkpointDir: dir, checkpointIntervalMs: 0 });
    assert.equal(await second.waitUntilFinish(), "DONE");
    const [stored] = await bq.dataset("restart_ids").table("rows").getRows();
    const ids = (stored as { ID: number }[]).map((r) => Number(r.ID)).sort((a, b) => a - b);
    assert.deepEqual(ids, rows.map((r) => r.ID), "each row once: the resumed run re-sent the inserted batch with its insertIds");
  });
});
