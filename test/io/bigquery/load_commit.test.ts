/**
 * WriteToBigQuery FILE_LOADS and the run's output commits: the load job is the write's commit,
 * so on the DirectRunner it runs only once every step has succeeded, and a failed run changes no
 * table (Pub/Sub acknowledgements are ordered after it: see lib/model/commits.ts).
 */
import { strict as assert } from "node:assert";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { BigQuery } from "@google-cloud/bigquery";
import { PassThroughClient } from "google-auth-library";
import "../../../runners/direct";
import { WriteToBigQuery } from "../../../lib/io/bigquery";
import { Create } from "../../../lib";
import { runDirect } from "../../helpers";
import { startEmulatorEnv, TEST_PROJECT, type EmulatorEnv } from "../gcp/emulator_env";

describe("io/bigquery: the FILE_LOADS load job is the write's output commit", function () {
  this.timeout(30_000);
  let env: EmulatorEnv;
  let bq: BigQuery;
  let staging: string;

  before(async () => {
    env = await startEmulatorEnv(["bigquery"]);
    bq = new BigQuery({ projectId: TEST_PROJECT, apiEndpoint: env.emulators.bigqueryEndpoint, authClient: new PassThroughClient() });
    await bq.createDataset("Commits");
    const [kept] = await bq.dataset("Commits").createTable("Kept", { schema: "ID:INTEGER" });
    await kept.insert([{ ID: 1 }]);
    staging = fs.mkdtempSync(path.join(os.tmpdir(), "bq-commit-"));
  });

  after(async () => {
    await env?.stop();
    fs.rmSync(staging, { recursive: true, force: true });
  });

  const ids = async (): Promise<number[]> => {
    const [rows] = await bq.dataset("Commits").table("Kept").getRows();
    return (rows as { ID: number }[]).map((r) => Number(r.ID)).sort((a, b) => a - b);
  };

  const run = (fail: boolean) =>
    runDirect((p) => {
      p.apply("Rows", Create.from([{ ID: 2 }, { ID: 3 }])).apply(
        "Write",
        WriteToBigQuery.to(`${TEST_PROJECT}.Commits.Kept`, { schema: "ID:INTEGER", writeDisposition: "WRITE_TRUNCATE", tempLocation: staging }),
      );
      // Another branch, scheduled after the write's load step, fails.
      p.apply("Other", Create.from([0])).map("Explode", (x: number) => {
        if (fail) throw new Error("another branch failed");
        return x;
      });
    });

  it("a run that fails after the write's load step changes no table and removes its staging files", async () => {
    const result = await run(true);
    assert.equal(result.state, "FAILED");
    assert.match(result.error!.message, /Explode.*another branch failed/);
    assert.deepEqual(await ids(), [1], "WRITE_TRUNCATE did not replace the table");
    assert.deepEqual(fs.readdirSync(staging), [], "staging files removed");
  });

  it("a run that succeeds loads the table once every step is done", async () => {
    const result = await run(false);
    assert.equal(await result.waitUntilFinish(), "DONE");
    assert.deepEqual(await ids(), [2, 3]);
    assert.deepEqual(result.outputs, [`bigquery:${TEST_PROJECT}.Commits.Kept`]);
    assert.deepEqual(fs.readdirSync(staging), []);
  });
});
