/**
 * WRITE_TRUNCATE of no rows replaces the table's rows with none through a load job, as Beam does
 * (BigQueryIO's WritePartition loads one empty file when a write to a single table has no rows):
 * the table itself is kept (its description, its partitioning), and a run whose load fails
 * leaves the table as it was.
 */
import { strict as assert } from "node:assert";
import "../../../runners/direct";
import { Create } from "../../../lib";
import { WriteToBigQuery, type BigQueryRow } from "../../../lib/io/bigquery";
import { runDirect } from "../../helpers";
import { TEST_PROJECT } from "../gcp/emulator_env";
import { emulatedDataset } from "./emulated_dataset";

describe("io/bigquery: WRITE_TRUNCATE of no rows", function () {
  this.timeout(60_000);
  const suite = emulatedDataset("Trunc");

  const truncateWithNoRows = (table: string) =>
    runDirect((p) => {
      p.apply("None", Create.from<BigQueryRow>([])).apply("Truncate", WriteToBigQuery.to(`${TEST_PROJECT}.Trunc.${table}`, { writeDisposition: "WRITE_TRUNCATE" }));
    });

  it("empties the table and keeps the table (its description)", async () => {
    const [t] = await suite().dataset.createTable("Described", { schema: "ID:INTEGER", description: "keep me" });
    await t.insert([{ ID: 1 }, { ID: 2 }]);
    const result = await truncateWithNoRows("Described");
    assert.equal(await result.waitUntilFinish(), "DONE");
    const [rows] = await t.getRows();
    assert.deepEqual(rows, []);
    const [metadata] = await t.getMetadata();
    assert.equal(metadata.description, "keep me", "the table was replaced, not truncated");
  });

  it("a run whose truncation fails leaves the table and its rows as they were", async () => {
    const [t] = await suite().dataset.createTable("Kept", { schema: "ID:INTEGER" });
    await t.insert([{ ID: 1 }, { ID: 2 }]);
    const faults = suite().env.emulators.bigquery!.faults;
    faults.failNext("bigquery.tables.insert", 1, { status: 400, message: "injected permanent failure" }).failNext("bigquery.jobs.insert", 1, { status: 400, message: "injected permanent failure" });
    const result = await truncateWithNoRows("Kept");
    assert.equal(result.state, "FAILED");
    faults.clear();
    const [rows] = await t.getRows();
    assert.deepEqual((rows as { ID: number }[]).map((r) => Number(r.ID)).sort(), [1, 2], "a failed run changes no table");
  });
});
