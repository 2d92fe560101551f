import { strict as assert } from "node:assert";
import "../../../runners/direct";
import { Create } from "../../../lib";
import { WriteToBigQuery } from "../../../lib/io/bigquery";
import { bigqueryClient } from "../../../lib/io/gcp/clients";
import { runDirect } from "../../helpers";
import { startEmulatorEnv, TEST_PROJECT, type EmulatorEnv } from "../gcp/emulator_env";

describe("io/bigquery: FILE_LOADS when an upstream step emits a burst of rows", function () {
  this.timeout(60_000);
  let env: EmulatorEnv;
  before(async () => {
    env = await startEmulatorEnv(["bigquery"]);
    await bigqueryClient(TEST_PROJECT).createDataset("Burst");
  });
  after(async () => {
    await env?.stop();
  });

  it("stages and loads every row when several staging flushes are started before the first has opened its file", async () => {
    // Create emits all rows from one process call, so StageRows sees them without waiting for its
    // flushes: 12,000 rows of ~250 bytes cross the 1 MB flush threshold twice.
    const rows = Array.from({ length: 12_000 }, (_, i) => ({ ID: i, S: "x".repeat(240) }));
    const result = await runDirect((p) => {
      p.apply(Create.from(rows)).apply(WriteToBigQuery.to(`${TEST_PROJECT}.Burst.T`, { schema: "ID:INTEGER, S:STRING", createDisposition: "CREATE_IF_NEEDED", writeDisposition: "WRITE_TRUNCATE" }));
    });
    await result.waitUntilFinish();
    const [count] = await bigqueryClient(TEST_PROJECT).query(`SELECT COUNT(*) AS n, COUNT(DISTINCT ID) AS ids FROM \`${TEST_PROJECT}.Burst.T\``);
    assert.deepEqual(count, [{ n: 12_000, ids: 12_000 }]);
  });
});
