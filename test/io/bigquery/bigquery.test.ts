import { strict as assert } from "node:assert";
import { BigQuery } from "@google-cloud/bigquery";
import { PassThroughClient } from "google-auth-library";
import "../../../runners/direct";
import { ReadFromBigQuery, WriteToBigQuery, parseSchema, parseTableSpec, checkRow, type BigQueryRow, type FailedRow } from "../../../lib/io/bigquery";
import { rowJsonLine } from "../../../lib/io/bigquery/schema";
import { Create, FixedWindows, IntervalWindow, ParDo, ReadUnbounded, Window, type ProcessContext } from "../../../lib";
import { runDirect } from "../../helpers";
import { startEmulatorEnv, TEST_PROJECT, type EmulatorEnv } from "../gcp/emulator_env";

/** Collects a PCollection's elements in this process (the DirectRunner runs DoFns in-process by default). */
const collected = new Map<string, unknown[]>();
function sink<T>(key: string): (x: T) => T {
  collected.set(key, []);
  return (x: T) => {
    collected.get(key)!.push(x);
    return x;
  };
}

describe("io/bigquery: ReadFromBigQuery / WriteToBigQuery against the emulator", function () {
  this.timeout(30_000);
  let env: EmulatorEnv;
  let bq: BigQuery;

  const rowsOf = async (table: string): Promise<Record<string, unknown>[]> => {
    const [rows] = await bq.dataset("MNIST").table(table).getRows();
    return rows as Record<string, unknown>[];
  };

  before(async () => {
    env = await startEmulatorEnv(["bigquery"]);
    bq = new BigQuery({ projectId: TEST_PROJECT, apiEndpoint: env.emulators.bigqueryEndpoint, authClient: new PassThroughClient() });
    await bq.createDataset("MNIST");
    const [images] = await bq.dataset("MNIST").createTable("Images", { schema: "ID:INTEGER, Image:STRING" });
    await images.insert(Array.from({ length: 25 }, (_, i) => ({ ID: i, Image: [i, i + 1, i + 2].map((x) => (x / 100).toFixed(2)).join(",") })));
    const [typed] = await bq.dataset("MNIST").createTable("Typed", {
      schema: { fields: [
        { name: "i", type: "INTEGER" },
        { name: "big", type: "INTEGER" },
        { name: "f", type: "FLOAT" },
        { name: "b", type: "BOOLEAN" },
        { name: "ts", type: "TIMESTAMP" },
        { name: "n", type: "NUMERIC" },
        { name: "s", type: "STRING" },
      ] },
    });
    await typed.insert([{ i: 7, big: "9007199254740993", f: 1.5, b: true, ts: "2024-01-02T03:04:05.678Z", n: "12.345", s: "x" }, { i: null, big: null, f: null, b: false, ts: null, n: null, s: null }]);
  });

  after(async () => {
    await env?.stop();
  });

  it("parses table names and Beam-style schemas, and pre-checks rows", () => {
    assert.deepEqual(parseTableSpec("p.d.t"), { projectId: "p", datasetId: "d", tableId: "t" });
    assert.deepEqual(parseTableSpec("p:d.t"), { projectId: "p", datasetId: "d", tableId: "t" });
    assert.deepEqual(parseTableSpec("example.com:p:d.t"), { projectId: "example.com:p", datasetId: "d", tableId: "t" });
    assert.deepEqual(parseTableSpec("d.t"), { datasetId: "d", tableId: "t" });
    assert.throws(() => parseTableSpec("just-a-table"), /not a BigQuery table name/);
    assert.deepEqual(parseSchema("ID:INTEGER, P0:FLOAT64,name"), {
      fields: [
        { name: "ID", type: "INTEGER", mode: "NULLABLE" },
        { name: "P0", type: "FLOAT", mode: "NULLABLE" },
        { name: "name", type: "STRING", mode: "NULLABLE" },
      ],
    });
    assert.throws(() => parseSchema("ID:WHATEVER"), /Unknown BigQuery type 'WHATEVER'/);
    const schema = parseSchema("ID:INTEGER, P0:FLOAT");
    assert.deepEqual(checkRow(schema, { ID: 1, P0: 0.5 }), []);
    assert.deepEqual(checkRow(schema, { ID: "one", P0: 0.5, extra: 1 }).map((e) => e.location), ["extra", "ID"]);
    const nested = parseSchema({ fields: [{ name: "r", type: "STRUCT", mode: "REPEATED", fields: [{ name: "n", type: "INT64", mode: "REQUIRED" }] }] });
    assert.deepEqual(checkRow(nested, { r: [{ n: 1 }, {}, { n: 1.5 }] }).map((e) => e.message), ["missing required field r.n", "r.n: 1.5 is not an integer (column type INT64)"]);
    assert.deepEqual(checkRow(nested, { r: { n: 1 } }).map((e) => e.message), ["r is REPEATED but the value is not an array"]);
  });

  it("stages each row as the JSON line of its values' JSON forms (the fast path for plain rows gives the same text)", () => {
    const rows: object[] = [
      { ID: 1, P0: 0.25, name: "a\"b", ok: true, none: null },
      { ID: 2n ** 60n, when: new Date(0), bytes: new Uint8Array([1, 2]), inf: Number.POSITIVE_INFINITY, nan: Number.NaN, gone: undefined },
      { nested: { x: 1n, list: [1, 2n] } },
    ];
    assert.deepEqual(rows.map(rowJsonLine), [
      '{"ID":1,"P0":0.25,"name":"a\\"b","ok":true,"none":null}\n',
      '{"ID":"1152921504606846976","when":"1970-01-01T00:00:00.000Z","bytes":"AQI=","inf":"Infinity","nan":"NaN","gone":null}\n',
      '{"nested":{"x":"1","list":[1,"2"]}}\n',
    ]);
  });

  it("reads a table in parallel ranges, typed by the schema (INTEGER, FLOAT, BOOLEAN, TIMESTAMP, NUMERIC)", async () => {
    const result = await runDirect((p) => {
      p.apply("ReadImages", ReadFromBigQuery.from<{ ID: number; Image: string }>({ table: `${TEST_PROJECT}:MNIST.Images`, rowsPerSplit: 4, pageSize: 3 })).map("Collect", sink("images"));
      p.apply("ReadTyped", ReadFromBigQuery.from({ table: `${TEST_PROJECT}.MNIST.Typed` })).map("CollectTyped", sink("typed"));
    });
    await result.waitUntilFinish();
    const images = collected.get("images") as { ID: number; Image: string }[];
    assert.deepEqual(images.map((r) => r.ID).sort((a, b) => a - b), Array.from({ length: 25 }, (_, i) => i), "every row exactly once");
    assert.equal(images.find((r) => r.ID === 3)!.Image, "0.03,0.04,0.05");
    const typed = (collected.get("typed") as BigQueryRow[]).sort((a, b) => (a["b"] === true ? -1 : b["b"] === true ? 1 : 0));
    assert.deepEqual(typed[0], { i: 7, big: 9007199254740993n, f: 1.5, b: true, ts: new Date("2024-01-02T03:04:05.678Z"), n: "12.345", s: "x" });
    assert.deepEqual(typed[1], { i: null, big: null, f: null, b: false, ts: null, n: null, s: null });
  });

  it("reads a split in growing pages (500, 1,000, ... up to pageSize): every row exactly once", async () => {
    const [many] = await bq.dataset("MNIST").createTable("Many", { schema: "ID:INTEGER" });
    await many.insert(Array.from({ length: 2_300 }, (_, i) => ({ ID: i })));
    const result = await runDirect((p) => {
      p.apply("ReadMany", ReadFromBigQuery.from<{ ID: number }>({ table: `${TEST_PROJECT}.MNIST.Many`, pageSize: 1_200 })).map("Collect", sink("many"));
    });
    await result.waitUntilFinish();
    // Pages of 500, 1,000, 800: the growth, the pageSize cap and the partial last page.
    assert.deepEqual((collected.get("many") as { ID: number }[]).map((r) => r.ID).sort((a, b) => a - b), Array.from({ length: 2_300 }, (_, i) => i));
  });

  it("reads a query's result in pages", async () => {
    const result = await runDirect((p) => {
      p.apply(ReadFromBigQuery.from({ query: `SELECT ID FROM \`${TEST_PROJECT}.MNIST.Images\` WHERE ID >= 10`, rowsPerSplit: 5, pageSize: 2 })).map("Collect", sink("query"));
    });
    await result.waitUntilFinish();
    assert.deepEqual((collected.get("query") as { ID: number }[]).map((r) => r.ID).sort((a, b) => a - b), Array.from({ length: 15 }, (_, i) => i + 10));
  });

  it("BigQuery → transform → BigQuery with WRITE_TRUNCATE (FILE_LOADS, one load job): a second run replaces the table", async () => {
    const run = (factor: number, below: number) =>
      runDirect((p) => {
        p.apply(ReadFromBigQuery.from<{ ID: number; Image: string }>({ table: `${TEST_PROJECT}.MNIST.Images`, rowsPerSplit: 10 }))
          .filter("Some", (r) => r.ID < below)
          .map("Predict", (r) => ({ ID: r.ID, P0: r.ID * factor, P1: 1 - r.ID * factor }))
          .apply(WriteToBigQuery.to(`${TEST_PROJECT}.MNIST.Predict`, { schema: "ID:INTEGER, P0:FLOAT, P1:FLOAT", createDisposition: "CREATE_IF_NEEDED", writeDisposition: "WRITE_TRUNCATE" }));
      });
    const first = await run(0.01, 25);
    await first.waitUntilFinish();
    assert.deepEqual(first.outputs, [`bigquery:${TEST_PROJECT}.MNIST.Predict`]);
    let rows = await rowsOf("Predict");
    assert.equal(rows.length, 25);
    assert.equal(rows.find((r) => r["ID"] === 4)!["P0"], 0.04);
    const second = await run(0.5, 5);
    await second.waitUntilFinish();
    rows = await rowsOf("Predict");
    assert.deepEqual(rows.map((r) => r["ID"]).sort(), [0, 1, 2, 3, 4], "the second run replaced the rows, not appended");
    const [jobs] = await bq.getJobs();
    const loads = jobs.filter((j) => (j.metadata as { configuration?: { load?: { destinationTable?: { tableId?: string } } } }).configuration?.load?.destinationTable?.tableId === "Predict");
    assert.equal(loads.length, 2, "one load job per run");
    assert.equal(rows.find((r) => r["ID"] === 4)!["P0"], 2);
  });

  it("FILE_LOADS of windowed bounded rows loads every row (the load step reads files staged in every window)", async () => {
    const result = await runDirect((p) => {
      p.apply(Create.timestamped(Array.from({ length: 6 }, (_, i) => ({ value: { ID: i, P0: i / 10 }, timestamp: i * 60_000 }))))
        .apply(Window.into(new FixedWindows(120_000)))
        .apply(WriteToBigQuery.to(`${TEST_PROJECT}.MNIST.Windowed`, { schema: "ID:INTEGER, P0:FLOAT", createDisposition: "CREATE_IF_NEEDED" }));
    });
    await result.waitUntilFinish();
    assert.deepEqual((await rowsOf("Windowed")).map((r) => r["ID"]).sort(), [0, 1, 2, 3, 4, 5]);
  });

  it("WRITE_TRUNCATE of no rows empties the table; CREATE_IF_NEEDED of no rows creates it", async () => {
    const [t] = await bq.dataset("MNIST").createTable("ToEmpty", { schema: "ID:INTEGER" });
    await t.insert([{ ID: 1 }, { ID: 2 }]);
    const result = await runDirect((p) => {
      const none = p.apply("None", Create.from<BigQueryRow>([]));
      none.apply("Truncate", WriteToBigQuery.to(`${TEST_PROJECT}.MNIST.ToEmpty`, { writeDisposition: "WRITE_TRUNCATE" }));
      none.apply("Create", WriteToBigQuery.to(`${TEST_PROJECT}.MNIST.Fresh`, { schema: "ID:INTEGER, Name:STRING" }));
    });
    await result.waitUntilFinish();
    assert.deepEqual(await rowsOf("ToEmpty"), []);
    const [fresh] = await bq.dataset("MNIST").table("Fresh").getMetadata();
    assert.deepEqual((fresh.schema.fields as { name: string }[]).map((f) => f.name), ["ID", "Name"]);
  });

  it("failed rows: STREAMING_INSERTS reports BigQuery's reasons; FILE_LOADS pre-checks; good rows land", async () => {
    await bq.dataset("MNIST").createTable("Stream", { schema: "ID:INTEGER, P0:FLOAT" });
    const rows: BigQueryRow[] = [{ ID: 1, P0: 0.5 }, { ID: "not a number", P0: 0.1 }, { ID: 3, P0: 0.25 }, { ID: 4, P0: "oops" }];
    const result = await runDirect((p) => {
      const input = p.apply("Rows", Create.from<BigQueryRow>(rows));
      const streamed = input.apply("Stream", WriteToBigQuery.to(`${TEST_PROJECT}.MNIST.Stream`, { method: "STREAMING_INSERTS", createDisposition: "CREATE_NEVER" }));
      streamed.failedRows.map("CollectStream", sink<FailedRow<BigQueryRow>>("streamFailed"));
      const loaded = input.apply("Load", WriteToBigQuery.to(`${TEST_PROJECT}.MNIST.Loaded`, { schema: "ID:INTEGER, P0:FLOAT" }));
      loaded.failedRows.map("CollectLoad", sink<FailedRow<BigQueryRow>>("loadFailed"));
    });
    await result.waitUntilFinish();
    for (const [key, table] of [["streamFailed", "Stream"], ["loadFailed", "Loaded"]] as const) {
      const failed = (collected.get(key) as FailedRow<BigQueryRow>[]).sort((a, b) => String(a.row["P0"]).localeCompare(String(b.row["P0"])));
      assert.deepEqual(failed.map((f) => f.row), [rows[1], rows[3]], `${key}: the bad rows come out`);
      for (const f of failed) {
        assert.equal(f.errors[0]!.reason, "invalid");
        assert.ok(f.errors[0]!.message.length > 0);
      }
      assert.equal(failed[0]!.errors[0]!.location, "ID");
      assert.deepEqual((await rowsOf(table)).map((r) => r["ID"]).sort(), [1, 3], `${table}: the good rows landed`);
    }
  });

  it("windowed input: failed rows come out in their row's window; staged files still load (bundle outputs name their window)", async () => {
    await bq.dataset("MNIST").createTable("WindowedStream", { schema: "ID:INTEGER, P0:FLOAT" });
    const rows = [
      { value: { ID: 1, P0: 0.5 }, timestamp: 1_000 },
      { value: { ID: "bad", P0: 0.1 }, timestamp: 61_000 },
    ];
    const windows: string[] = [];
    const result = await runDirect((p) => {
      const input = p.apply("Rows", Create.timestamped<BigQueryRow>(rows)).apply(Window.into(new FixedWindows(60_000)));
      const streamed = input.apply("Stream", WriteToBigQuery.to(`${TEST_PROJECT}.MNIST.WindowedStream`, { method: "STREAMING_INSERTS", createDisposition: "CREATE_NEVER" }));
      streamed.failedRows.apply("Windows", ParDo.of((f: FailedRow<BigQueryRow>, ctx: ProcessContext<never>) => void windows.push(`${String(f.row["ID"])} ${(ctx.window as IntervalWindow).id()}`)));
      const good = p.apply("Good", Create.timestamped<BigQueryRow>([{ value: { ID: 1, P0: 0.5 }, timestamp: 1_000 }, { value: { ID: 2, P0: 0.5 }, timestamp: 61_000 }]));
      good.apply("WindowGood", Window.into(new FixedWindows(60_000))).apply("Load", WriteToBigQuery.to(`${TEST_PROJECT}.MNIST.WindowedLoad`, { schema: "ID:INTEGER, P0:FLOAT" }));
    });
    assert.equal(await result.waitUntilFinish(), "DONE");
    assert.deepEqual(windows, ["bad 60000:120000"]);
    assert.deepEqual((await rowsOf("WindowedLoad")).map((r) => Number(r["ID"])).sort(), [1, 2]);
  });

  it("an unbounded input defaults to STREAMING_INSERTS (rows land while it runs, bad rows come out); FILE_LOADS on it is a clear error", async () => {
    await bq.dataset("MNIST").createTable("Live", { schema: "ID:INTEGER, P0:FLOAT" });
    const live = (): ReadUnbounded<BigQueryRow> =>
      ReadUnbounded.from<BigQueryRow>({
        async read(ctx) {
          for (let i = 0; i < 12; i++) await ctx.emit(i === 5 ? { ID: "five", P0: 0.5 } : { ID: i, P0: i / 10 });
        },
      });
    const result = await runDirect((p) => {
      const written = p.apply("Live", live()).apply("Write", WriteToBigQuery.to(`${TEST_PROJECT}.MNIST.Live`, { createDisposition: "CREATE_NEVER" }));
      written.failedRows.map("CollectLive", sink<FailedRow<BigQueryRow>>("liveFailed"));
    });
    assert.equal(await result.waitUntilFinish(), "DONE");
    assert.deepEqual((await rowsOf("Live")).map((r) => r["ID"]).sort((a, b) => Number(a) - Number(b)), [0, 1, 2, 3, 4, 6, 7, 8, 9, 10, 11]);
    assert.deepEqual((collected.get("liveFailed") as FailedRow<BigQueryRow>[]).map((f) => f.row["ID"]), ["five"]);

    const loads = await runDirect((p) => {
      p.apply("Live", live()).apply("Write", WriteToBigQuery.to(`${TEST_PROJECT}.MNIST.Live`, { method: "FILE_LOADS" }));
    }).catch((e: Error) => e);
    const message = loads instanceof Error ? loads.message : loads.error?.message ?? "";
    assert.match(message, /FILE_LOADS runs one load job when its input ends, and this input is unbounded; use method STREAMING_INSERTS/);
  });

  it("errors before running: CREATE_NEVER with a missing table, a missing dataset, a missing input table", async () => {
    const never = await runDirect((p) => {
      p.apply(ReadFromBigQuery.from({ table: `${TEST_PROJECT}.MNIST.Images` })).apply(WriteToBigQuery.to(`${TEST_PROJECT}.MNIST.Nope`, { createDisposition: "CREATE_NEVER" }));
    });
    assert.equal(never.state, "FAILED");
    assert.equal(never.error!.name, "ValidationError");
    assert.match(never.error!.message, new RegExp(`BigQuery table ${TEST_PROJECT}\\.MNIST\\.Nope does not exist \\(createDisposition is CREATE_NEVER\\)`));
    const noDataset = await runDirect((p) => {
      p.apply(ReadFromBigQuery.from({ table: `${TEST_PROJECT}.MNIST.Images` })).apply(WriteToBigQuery.to(`${TEST_PROJECT}.NoSuchDataset.T`, { schema: "ID:INTEGER" }));
    });
    assert.match(noDataset.error!.message, new RegExp(`dataset ${TEST_PROJECT}\\.NoSuchDataset does not exist.*bq mk`));
    const missingInput = await runDirect((p) => {
      p.apply(ReadFromBigQuery.from({ table: `${TEST_PROJECT}.MNIST.Missing` }));
    });
    assert.match(missingInput.error!.message, new RegExp(`BigQuery table ${TEST_PROJECT}\\.MNIST\\.Missing does not exist`));
    assert.throws(() => WriteToBigQuery.to("p.d.t", { method: "STREAMING_INSERTS", writeDisposition: "WRITE_TRUNCATE" }), /WRITE_TRUNCATE cannot be used with STREAMING_INSERTS/);
  });
});

describe("io/bigquery: pages cut short by the service's size limit", function () {
  this.timeout(30_000);
  let env: EmulatorEnv;
  let bq: BigQuery;

  before(async () => {
    // Pages of about 2 KB: rows of ~100 bytes come back ~20 at a time, whatever maxResults asks.
    env = await startEmulatorEnv(["bigquery"], { maxPageBytes: 2_000 });
    bq = new BigQuery({ projectId: TEST_PROJECT, apiEndpoint: env.emulators.bigqueryEndpoint, authClient: new PassThroughClient() });
    await bq.createDataset("Paged");
    const [table] = await bq.dataset("Paged").createTable("Rows", { schema: "ID:INTEGER, Text:STRING" });
    await table.insert(Array.from({ length: 700 }, (_, i) => ({ ID: i, Text: `${i}`.padStart(80, "x") })));
  });
  after(async () => env?.stop());

  it("the emulator ends a page early past maxPageBytes, with the token of the next row", async () => {
    const [rows, , response] = await bq.dataset("Paged").table("Rows").getRows({ autoPaginate: false, maxResults: 500 });
    assert.ok(rows.length > 1 && rows.length < 40, `a page of ${rows.length} rows`);
    assert.equal((response as { pageToken?: string }).pageToken, String(rows.length));
  });

  it("ReadFromBigQuery reads every row exactly once when pages come back shorter than asked (several pages requested ahead)", async () => {
    const before = env.emulators.bigquery!.faults.calls("bigquery.tabledata.list");
    const result = await runDirect((p) => {
      p.apply("ReadPaged", ReadFromBigQuery.from<{ ID: number }>({ table: `${TEST_PROJECT}.Paged.Rows`, rowsPerSplit: 300 })).map("Collect", sink("paged"));
    });
    await result.waitUntilFinish();
    assert.deepEqual((collected.get("paged") as { ID: number }[]).map((r) => Number(r.ID)).sort((a, b) => a - b), Array.from({ length: 700 }, (_, i) => i));
    assert.ok(env.emulators.bigquery!.faults.calls("bigquery.tabledata.list") - before >= 700 / 40, "the short pages were followed by requests for the rest");
  });
});
