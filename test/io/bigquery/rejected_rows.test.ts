/**
 * Rejected rows are never dropped silently: WriteToBigQuery's failedRows is a dead-letter output.
 * Counted on the step, shown in the run summary, and when nothing reads it the run fails naming
 * the step and the first reason — unless `ignoreRejected` says to drop them.
 */
import { strict as assert } from "node:assert";
import { BigQuery } from "@google-cloud/bigquery";
import { PassThroughClient } from "google-auth-library";
import "../../../runners/direct";
import { WriteToBigQuery, type BigQueryRow, type FailedRow } from "../../../lib/io/bigquery";
import { Create, definePipeline } from "../../../lib";
import { runDirect } from "../../helpers";
import { startEmulatorEnv, TEST_PROJECT, type EmulatorEnv } from "../gcp/emulator_env";

/** Elements that are not rows, as a mistyped upstream step (or a JS caller) produces them. */
const notRows = [{ ID: 1, P0: 0.5 }, [2, 0.25], { ID: 3, P0: 0.75 }] as unknown as BigQueryRow[];

const collected: FailedRow<BigQueryRow>[] = [];

/** A program that writes `notRows`; `read` decides whether anything reads failedRows. */
const writeNotRows = definePipeline({
  name: "write-not-rows",
  description: "writes rows and a non-row to BigQuery",
  flags: { table: { type: "string", required: true, describe: "table" } },
  build(root, flags) {
    root.apply("Rows", Create.from<BigQueryRow>(notRows)).apply(
      "Write",
      WriteToBigQuery.to(flags.table, { schema: "ID:INTEGER, P0:FLOAT", writeDisposition: "WRITE_TRUNCATE", createDisposition: "CREATE_IF_NEEDED" }),
    );
  },
});

describe("io/bigquery: rejected rows are a dead-letter output", function () {
  this.timeout(30_000);
  let env: EmulatorEnv;
  let bq: BigQuery;
  const table = (name: string): string => `${TEST_PROJECT}.Rejects.${name}`;
  const rowsOf = async (name: string): Promise<Record<string, unknown>[]> => (await bq.dataset("Rejects").table(name).getRows())[0] as Record<string, unknown>[];

  before(async () => {
    env = await startEmulatorEnv(["bigquery"]);
    bq = new BigQuery({ projectId: TEST_PROJECT, apiEndpoint: env.emulators.bigqueryEndpoint, authClient: new PassThroughClient() });
    await bq.createDataset("Rejects");
  });
  after(async () => {
    await env?.stop();
  });

  it("FILE_LOADS + WRITE_TRUNCATE with a non-row and nothing reading failedRows: FAILED, naming the step and the reason; the table is untouched", async () => {
    const [t] = await bq.dataset("Rejects").createTable("Kept", { schema: "ID:INTEGER, P0:FLOAT" });
    await t.insert([{ ID: 100, P0: 1 }]);
    const result = await writeNotRows.run({ table: table("Kept") });
    assert.equal(result.state, "FAILED");
    assert.equal(result.error!.name, "RejectedElementError");
    assert.match(result.error!.message, /Transform 'Write\/StageRows' rejected an element .*the row is not an object/);
    assert.match(result.error!.message, /dead-letter output 'failed', which nothing in the pipeline reads.*ignoreRejected/);
    assert.equal(result.metrics.counterTotal("beamline", "rejected", "Write"), 1);
    assert.deepEqual((await rowsOf("Kept")).map((r) => r["ID"]), [100], "WRITE_TRUNCATE did not run: the old rows stay");
  });

  it("STREAMING_INSERTS: a row BigQuery rejects fails the run with BigQuery's reason when nothing reads failedRows", async () => {
    await bq.dataset("Rejects").createTable("Streamed", { schema: "ID:INTEGER, P0:FLOAT" });
    const result = await runDirect((p) => {
      p.apply("Rows", Create.from<BigQueryRow>([{ ID: 1, P0: 0.5 }, { ID: "two", P0: 0.5 }])).apply(
        "Write",
        WriteToBigQuery.to(table("Streamed"), { method: "STREAMING_INSERTS", createDisposition: "CREATE_NEVER" }),
      );
    });
    assert.equal(result.state, "FAILED");
    assert.match(result.error!.message, /Transform 'Write\/InsertRows' rejected an element \(.*"two".*\): Cannot convert value to integer: two \(field ID\) \(table .*Streamed\)\. It went to the dead-letter output 'failed'/);
    assert.equal(result.metrics.counterTotal("beamline", "rejected", "Write"), 1);
  });

  for (const method of ["FILE_LOADS", "STREAMING_INSERTS"] as const) {
    it(`${method}: read failedRows → DONE, the good rows land, the rejected ones are counted on the step and come out`, async () => {
      collected.length = 0;
      const name = `Read${method}`;
      if (method === "STREAMING_INSERTS") await bq.dataset("Rejects").createTable(name, { schema: "ID:INTEGER, P0:FLOAT" });
      const result = await runDirect((p) => {
        const { failedRows } = p
          .apply("Rows", Create.from<BigQueryRow>([{ ID: 1, P0: 0.5 }, { ID: "two", P0: 0.5 }, { ID: 3, P0: 0.5 }]))
          .apply("Write", WriteToBigQuery.to(table(name), { method, schema: "ID:INTEGER, P0:FLOAT" }));
        failedRows.map("Collect", (f) => {
          collected.push(f);
          return f;
        });
      });
      assert.equal(await result.waitUntilFinish(), "DONE");
      assert.deepEqual((await rowsOf(name)).map((r) => r["ID"]).sort(), [1, 3]);
      assert.deepEqual(collected.map((f) => f.row["ID"]), ["two"]);
      assert.equal(result.metrics.counterTotal("beamline", "rejected", "Write"), 1);
    });
  }

  it("ignoreRejected: DONE without reading failedRows, the rejected rows still counted", async () => {
    const result = await runDirect((p) => {
      p.apply("Rows", Create.from<BigQueryRow>(notRows)).apply(
        "Write",
        WriteToBigQuery.to(table("Ignoring"), { schema: "ID:INTEGER, P0:FLOAT", ignoreRejected: true }),
      );
    });
    assert.equal(await result.waitUntilFinish(), "DONE");
    assert.deepEqual((await rowsOf("Ignoring")).map((r) => r["ID"]).sort(), [1, 3]);
    assert.equal(result.metrics.counterTotal("beamline", "rejected", "Write"), 1);
  });

  it("main() prints the rejected rows in the run summary, and the failure with its reason", async () => {
    const lines = await captureOutput(() => writeNotRows.main(["--table", table("Summary")]));
    assert.match(lines.stderr, /write-not-rows FAILED: Transform 'Write\/StageRows' rejected an element .*the row is not an object/);
    assert.match(lines.stdout, /Rejected elements \(dead-letter outputs\):\n {2}Write\/StageRows: 1\n/);
    assert.equal(process.exitCode, 1);
    process.exitCode = undefined;
  });
});

/** Runs `fn` with process.stdout/stderr writes captured. */
async function captureOutput(fn: () => Promise<void>): Promise<{ stdout: string; stderr: string }> {
  const out = { stdout: "", stderr: "" };
  const original = { stdout: process.stdout.write.bind(process.stdout), stderr: process.stderr.write.bind(process.stderr) };
  process.stdout.write = ((chunk: string | Uint8Array) => ((out.stdout += String(chunk)), true)) as typeof process.stdout.write;
  process.stderr.write = ((chunk: string | Uint8Array) => ((out.stderr += String(chunk)), true)) as typeof process.stderr.write;
  try {
    await fn();
  } finally {
    process.stdout.write = original.stdout;
    process.stderr.write = original.stderr;
  }
  return out;
}
