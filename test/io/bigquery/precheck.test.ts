/**
 * FILE_LOADS checks each row against the schema before staging it, because one row the load job
 * cannot convert fails the whole job (and with it a long run). The check must catch what BigQuery
 * rejects — integers beyond INT64, text that is not a DATE, DATETIME or TIME, bytes that are not
 * base64 — so such rows come out in failedRows with the reason while the others load.
 */
import { strict as assert } from "node:assert";
import "../../../runners/direct";
import { Create } from "../../../lib";
import { WriteToBigQuery, type BigQueryRow, type FailedRow } from "../../../lib/io/bigquery";
import { runDirect } from "../../helpers";
import { TEST_PROJECT } from "../gcp/emulator_env";
import { emulatedDataset } from "./emulated_dataset";

describe("io/bigquery: FILE_LOADS pre-check of values BigQuery cannot convert", function () {
  this.timeout(60_000);
  const suite = emulatedDataset("Pre");

  it("out-of-range integers, malformed dates, times and bytes go to failedRows; the good rows load", async () => {
    const good: BigQueryRow[] = [
      { ID: 1, D: "2024-02-29", DT: "2024-01-02T03:04:05", T: "23:59:59.5", B: "aGk=" },
      { ID: "9223372036854775807", D: null, DT: "2024-01-02 03:04", T: "00:00", B: Buffer.from("x") },
      { ID: -9223372036854775808n, D: "2024-1-2", DT: "2024-01-02", T: "1:02:03", B: "" },
    ];
    const bad: BigQueryRow[] = [
      { ID: "9223372036854775808" },
      { ID: 2 ** 64 },
      { ID: 10, D: "2023-02-29" },
      { ID: 11, D: "yesterday" },
      { ID: 12, DT: "2024-01-02 25:00" },
      { ID: 13, T: "24:00:00" },
      { ID: 14, B: "not base64!" },
    ];
    const failed: FailedRow<BigQueryRow>[] = [];
    const result = await runDirect((p) => {
      const { failedRows } = p
        .apply("Rows", Create.from<BigQueryRow>([...good, ...bad]))
        .apply("Write", WriteToBigQuery.to(`${TEST_PROJECT}.Pre.Values`, { method: "FILE_LOADS", schema: "ID:INTEGER, D:DATE, DT:DATETIME, T:TIME, B:BYTES" }));
      failedRows.map("Collect", (f) => {
        failed.push(f);
        return f;
      });
    });
    assert.equal(await result.waitUntilFinish(), "DONE", result.error?.message);
    const [rows] = await suite().dataset.table("Values").getRows();
    assert.equal(rows.length, good.length);
    assert.deepEqual(failed.map((f) => String(f.row["ID"])).sort(), bad.map((r) => String(r["ID"])).sort());
    for (const f of failed) assert.ok(f.errors.length > 0 && f.errors[0]!.message.length > 0, JSON.stringify(f.errors));
  });

  it("booleans written as 1/0 (numbers or text) pass the check and load, as BigQuery converts them", async () => {
    const rows: BigQueryRow[] = [
      { ID: 1, F: 1 },
      { ID: 2, F: 0 },
      { ID: 3, F: "1" },
      { ID: 4, F: "TRUE" },
    ];
    const result = await runDirect((p) => {
      p.apply("Rows", Create.from<BigQueryRow>(rows)).apply("Write", WriteToBigQuery.to(`${TEST_PROJECT}.Pre.Flags`, { method: "FILE_LOADS", schema: "ID:INTEGER, F:BOOLEAN" }));
    });
    assert.equal(await result.waitUntilFinish(), "DONE", result.error?.message);
    const [stored] = await suite().dataset.table("Flags").getRows();
    assert.deepEqual((stored as { ID: number; F: boolean }[]).map((r) => [Number(r.ID), r.F]).sort(), [[1, true], [2, false], [3, true], [4, true]]);
  });
});
