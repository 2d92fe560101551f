/**
 * STREAMING_INSERTS and the service's request size limit (10 MB per insertAll request): batches
 * are cut by bytes as well as by rows (as Beam's StreamingWriteFn flushes past
 * maxStreamingBatchSize), so large rows land instead of failing the run with "Request payload
 * size exceeds the limit"; a single row too large for any request comes out in failedRows with
 * the reason, and the others land.
 */
import { strict as assert } from "node:assert";
import "../../../runners/direct";
import { Create } from "../../../lib";
import { WriteToBigQuery, type BigQueryRow, type FailedRow } from "../../../lib/io/bigquery";
import { runDirect } from "../../helpers";
import { TEST_PROJECT } from "../gcp/emulator_env";
import { emulatedDataset } from "./emulated_dataset";

describe("io/bigquery: streaming inserts within the request size limit", function () {
  this.timeout(60_000);
  const suite = emulatedDataset("Sizes");

  it("rows adding up to more than one request's limit all land; a row larger than the limit goes to failedRows", async () => {
    // 30 rows of 512 KiB: 15 MiB, more than one request may carry, in fewer than 500 rows.
    const big = "x".repeat(512 * 1024);
    const rows: BigQueryRow[] = Array.from({ length: 30 }, (_, i) => ({ ID: i, Name: big }));
    const huge: BigQueryRow = { ID: 1000, Name: "y".repeat(11 * 1024 * 1024) };
    const failed: FailedRow<BigQueryRow>[] = [];
    const result = await runDirect(
      (p) => {
        const { failedRows } = p
          .apply(Create.from<BigQueryRow>([...rows, huge]))
          .apply(WriteToBigQuery.to(`${TEST_PROJECT}:Sizes.big`, { schema: "ID:INTEGER, Name:STRING", method: "STREAMING_INSERTS" }));
        failedRows.map("Collect", (f) => {
          failed.push(f);
          return f;
        });
      },
      { directNumWorkers: 1 },
    );
    assert.equal(await result.waitUntilFinish(), "DONE", result.error?.message);
    const [stored] = await suite().dataset.table("big").getRows();
    assert.deepEqual((stored as { ID: number }[]).map((r) => Number(r.ID)).sort((a, b) => a - b), rows.map((r) => r["ID"]));
    assert.deepEqual(failed.map((f) => f.row["ID"]), [1000]);
    assert.match(failed[0]!.errors[0]!.message, /bytes/);
  });
});
