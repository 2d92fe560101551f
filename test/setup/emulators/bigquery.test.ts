import { strict as assert } from "node:assert";
import * as fs from "node:fs";
import * as path from "node:path";
import { BigQuery, BigQueryTimestamp, type Table } from "@google-cloud/bigquery";
import { PassThroughClient } from "google-auth-library";
import { startBigQueryEmulator, type BigQueryEmulator } from "../../../setup/emulators";
import { isolateFromGoogleCredentials, makeTempDir, rejectionOf, setEnv } from "./helpers";

const PROJECT = "beamline-test";

const SCHEMA = [
  { name: "name", type: "STRING", mode: "REQUIRED" },
  { name: "n", type: "INTEGER" },
  { name: "score", type: "FLOAT" },
  { name: "ok", type: "BOOLEAN" },
  { name: "ts", type: "TIMESTAMP" },
];

type Row = Record<string, unknown>;

/** Pages through `fetch` by hand (autoPaginate off), returning every page's rows. */
async function collectPages<Q extends { pageToken?: string }>(first: Q, fetch: (q: Q) => Promise<[Row[], Q | null | undefined]>): Promise<Row[][]> {
  const pages: Row[][] = [];
  let query: Q | null | undefined = first;
  while (query) {
    const [rows, next] = await fetch(query);
    pages.push(rows);
    query = next?.pageToken ? next : undefined;
  }
  return pages;
}

describe("emulators: BigQuery through @google-cloud/bigquery", function () {
  this.timeout(20_000);
  let restoreEnv: () => void;
  let dataDir: string;
  let emulator: BigQueryEmulator;
  let bigquery: BigQuery;
  let files: string;

  const newClient = (endpoint: string): BigQuery => new BigQuery({ projectId: PROJECT, apiEndpoint: endpoint, authClient: new PassThroughClient() });

  function writeFile(name: string, text: string): string {
    const file = path.join(files, name);
    fs.writeFileSync(file, text);
    return file;
  }

  async function allRows(table: Table): Promise<Row[]> {
    const [rows] = await table.getRows();
    return rows as Row[];
  }

  before(async () => {
    restoreEnv = isolateFromGoogleCredentials();
    dataDir = makeTempDir("beamline-bq-");
    files = makeTempDir("beamline-bq-files-");
    emulator = await startBigQueryEmulator({ port: 0, dataDir });
    bigquery = newClient(emulator.endpoint);
    await bigquery.createDataset("ds");
  });

  after(async () => {
    await emulator?.stop();
    restoreEnv();
  });

  it("creates datasets and tables with schemas; duplicates are 409", async () => {
    assert.equal((await bigquery.dataset("ds").exists())[0], true);
    assert.equal((await bigquery.dataset("missing").exists())[0], false);
    const [table] = await bigquery.dataset("ds").createTable("people", { schema: SCHEMA });
    assert.equal(table.id, "people");
    const [meta] = await table.getMetadata();
    assert.deepEqual(
      meta.schema.fields.map((f: { name: string; type: string }) => `${f.name}:${f.type}`),
      ["name:STRING", "n:INTEGER", "score:FLOAT", "ok:BOOLEAN", "ts:TIMESTAMP"],
    );
    const err = await rejectionOf(() => bigquery.dataset("ds").createTable("people", { schema: SCHEMA }));
    assert.equal(err.code, 409);
    const [tables] = await bigquery.dataset("ds").getTables();
    assert.deepEqual(
      tables.map((t) => t.id),
      ["people"],
    );
  });

  it("insertAll: a bad row stops the request unless skipInvalidRows, then good rows land", async () => {
    const table = bigquery.dataset("ds").table("people");
    const rows = [
      { name: "ada", n: 1, score: 1.5, ok: true, ts: "2024-01-02T03:04:05.123456Z" },
      { name: "bob", n: "not a number", score: 2, ok: false, ts: "2024-01-02 00:00:00" },
      { name: "cy", n: "3", score: "2.25", ok: "false", ts: new Date(Date.UTC(2024, 0, 3)) },
    ];
    const stopped = await rejectionOf(() => table.insert(rows, { partialRetries: 0 }));
    const stoppedErrors = (stopped as unknown as { errors: { row: Row; errors: { reason: string }[] }[] }).errors;
    assert.deepEqual(
      stoppedErrors.map((e) => [e.row.name, e.errors[0].reason]),
      [
        ["ada", "stopped"],
        ["bob", "invalid"],
        ["cy", "stopped"],
      ],
    );
    assert.equal((await allRows(table)).length, 0);

    const partial = await rejectionOf(() => table.insert(rows, { skipInvalidRows: true, partialRetries: 0 }));
    assert.equal(partial.name, "PartialFailureError");
    const partialErrors = (partial as unknown as { errors: { row: Row; errors: { reason: string; message: string }[] }[] }).errors;
    assert.equal(partialErrors.length, 1);
    assert.equal(partialErrors[0].row.name, "bob");
    assert.equal(partialErrors[0].errors[0].reason, "invalid");
    assert.match(partialErrors[0].errors[0].message, /integer/);
    assert.deepEqual(
      (await allRows(table)).map((r) => r.name),
      ["ada", "cy"],
    );
  });

  it("types TIMESTAMP, INTEGER, FLOAT and BOOLEAN cells the way the client parses them", async () => {
    const table = bigquery.dataset("ds").table("people");
    const [raw] = await table.getRows({ skipParsing: true, maxResults: 1, autoPaginate: false });
    // f/v cells, all strings, TIMESTAMP as integer microseconds.
    assert.deepEqual(raw[0], { f: [{ v: "ada" }, { v: "1" }, { v: "1.5" }, { v: "true" }, { v: "1704164645123456" }] });
    const [ada, cy] = await allRows(table);
    assert.ok(ada.ts instanceof BigQueryTimestamp);
    assert.equal((ada.ts as BigQueryTimestamp).value, "2024-01-02T03:04:05.123456000Z");
    assert.equal(ada.n, 1);
    assert.equal(ada.score, 1.5);
    assert.equal(ada.ok, true);
    assert.equal(cy.n, 3);
    assert.equal(cy.score, 2.25);
    assert.equal(cy.ok, false);
    assert.equal((cy.ts as BigQueryTimestamp).value, "2024-01-03T00:00:00.000Z");
  });

  it("serves a row again in the form each read asks for (timestamps in microseconds or seconds, selected fields)", async () => {
    // The emulator keeps each row's JSON once made: a read in another form must not get the kept one.
    const table = bigquery.dataset("ds").table("people");
    const firstRow = (qs: Record<string, unknown>) =>
      new Promise<unknown>((resolve, reject) =>
        (table as unknown as { request(o: object, cb: (e: Error | null, body?: { rows: unknown[] }) => void): void }).request({ uri: "/data", qs: { maxResults: 1, ...qs } }, (e, body) => (e ? reject(e) : resolve(body!.rows[0]))),
      );
    const micros = { f: [{ v: "ada" }, { v: "1" }, { v: "1.5" }, { v: "true" }, { v: "1704164645123456" }] };
    assert.deepEqual(await firstRow({ "formatOptions.useInt64Timestamp": true }), micros);
    assert.deepEqual(await firstRow({ "formatOptions.useInt64Timestamp": false }), { f: [{ v: "ada" }, { v: "1" }, { v: "1.5" }, { v: "true" }, { v: "1704164645.123456" }] });
    assert.deepEqual(await firstRow({ "formatOptions.useInt64Timestamp": true, selectedFields: "ts,name" }), { f: [{ v: "ada" }, { v: "1704164645123456" }] });
    assert.deepEqual(await firstRow({ "formatOptions.useInt64Timestamp": true }), micros);
  });

  it("loads NDJSON with WRITE_TRUNCATE (twice replaces) and WRITE_APPEND", async () => {
    const table = bigquery.dataset("ds").table("events");
    const schema = { fields: [{ name: "id", type: "INTEGER" }, { name: "kind", type: "STRING" }] };
    const first = writeFile("first.json", '{"id": 1, "kind": "a"}\n{"id": 2, "kind": "b"}\n');
    const second = writeFile("second.json", '{"id": 10, "kind": "x"}\n{"id": 11, "kind": "y"}\n{"id": 12, "kind": "z"}\n');
    await table.load(first, { sourceFormat: "NEWLINE_DELIMITED_JSON", schema, writeDisposition: "WRITE_TRUNCATE" });
    assert.deepEqual(
      (await allRows(table)).map((r) => r.id),
      [1, 2],
    );
    const [job] = await table.load(second, { sourceFormat: "NEWLINE_DELIMITED_JSON", writeDisposition: "WRITE_TRUNCATE" });
    assert.equal(job.status?.state, "DONE");
    assert.equal(job.statistics?.load?.outputRows, "3");
    assert.deepEqual(
      (await allRows(table)).map((r) => r.id),
      [10, 11, 12],
    );
    await table.load(first, { sourceFormat: "NEWLINE_DELIMITED_JSON", writeDisposition: "WRITE_APPEND" });
    assert.deepEqual(
      (await allRows(table)).map((r) => r.id),
      [10, 11, 12, 1, 2],
    );
  });

  it("loads CSV (header skipped, quoted fields) with WRITE_TRUNCATE", async () => {
    const table = bigquery.dataset("ds").table("csv_table");
    const csv = writeFile("data.csv", 'id,label,ts\n1,"hello, world",2024-05-01 10:00:00\n2,plain,\n');
    const schema = { fields: [{ name: "id", type: "INTEGER" }, { name: "label", type: "STRING" }, { name: "ts", type: "TIMESTAMP" }] };
    await table.load(csv, { schema, skipLeadingRows: 1, writeDisposition: "WRITE_TRUNCATE" });
    await table.load(csv, { schema, skipLeadingRows: 1, writeDisposition: "WRITE_TRUNCATE" });
    const rows = await allRows(table);
    assert.deepEqual(
      rows.map((r) => [r.id, r.label]),
      [
        [1, "hello, world"],
        [2, "plain"],
      ],
    );
    assert.equal((rows[0].ts as BigQueryTimestamp).value, "2024-05-01T10:00:00.000Z");
    assert.equal(rows[1].ts, null);
  });

  it("fails a WRITE_EMPTY load on a non-empty table and a CREATE_NEVER load on a missing one", async () => {
    const ndjson = writeFile("one.json", '{"id": 5, "kind": "e"}\n');
    const notEmpty = await rejectionOf(() => bigquery.dataset("ds").table("events").load(ndjson, { sourceFormat: "NEWLINE_DELIMITED_JSON", writeDisposition: "WRITE_EMPTY" }));
    assert.match(notEmpty.message, /Already Exists: Table beamline-test:ds\.events/);
    assert.equal((await allRows(bigquery.dataset("ds").table("events"))).length, 5);

    const missing = await rejectionOf(() =>
      bigquery.dataset("ds").table("nowhere").load(ndjson, { sourceFormat: "NEWLINE_DELIMITED_JSON", createDisposition: "CREATE_NEVER", schema: { fields: [{ name: "id", type: "INTEGER" }] } }),
    );
    assert.match(missing.message, /Not found: Table beamline-test:ds\.nowhere/);
    assert.equal((await bigquery.dataset("ds").table("nowhere").exists())[0], false);
  });

  it("runs SELECT with WHERE, ORDER BY, LIMIT and named parameters through jobs.query", async () => {
    const [rows] = await bigquery.query({
      query: "SELECT id, kind FROM `beamline-test.ds.events` WHERE id >= @min AND kind != 'z' ORDER BY id DESC LIMIT 3",
      params: { min: 2 },
    });
    assert.deepEqual(rows, [
      { id: 11, kind: "y" },
      { id: 10, kind: "x" },
      { id: 2, kind: "b" },
    ]);
    const [typed] = await bigquery.query("SELECT * FROM ds.people WHERE ts < TIMESTAMP '2024-01-02 12:00:00 UTC'");
    assert.equal(typed.length, 1);
    assert.equal((typed[0].ts as BigQueryTimestamp).value, "2024-01-02T03:04:05.123456000Z");
    assert.equal(typed[0].ok, true);
    const [counted] = await bigquery.query("SELECT COUNT(*) AS c, SUM(score) AS total, MAX(ts) AS latest, name AS who FROM ds.people WHERE name = 'cy'");
    assert.equal(counted.length, 1);
    assert.equal(counted[0].c, 1);
    assert.equal(counted[0].total, 2.25);
    assert.equal(counted[0].who, "cy");
    assert.ok(counted[0].latest instanceof BigQueryTimestamp, "MAX(ts) keeps the TIMESTAMP type");
  });

  it("pages query results through getQueryResults(maxResults)", async () => {
    const [job] = await bigquery.createQueryJob({ query: "SELECT id FROM ds.events ORDER BY id" });
    const pages = await collectPages({ maxResults: 2, autoPaginate: false } as { maxResults: number; autoPaginate: false; pageToken?: string }, async (q) => {
      const [rows, next] = await job.getQueryResults(q);
      return [rows as Row[], next as typeof q | null];
    });
    assert.deepEqual(
      pages.map((p) => p.map((r) => r.id)),
      [[1, 2], [10, 11], [12]],
    );
    const [all] = await job.getQueryResults();
    assert.equal(all.length, 5);
  });

  it("reports bad SQL as invalidQuery and unknown tables as 404", async () => {
    const bad = await rejectionOf(() => bigquery.query("SELECT nope FROM ds.events"));
    assert.equal(bad.code, 400);
    assert.match(bad.message, /nope/);
    const missing = await rejectionOf(() => bigquery.query("SELECT * FROM ds.absent"));
    assert.equal(missing.code, 404);
    assert.match(missing.message, /Not found: Table beamline-test:ds\.absent/);
    const dml = await rejectionOf(() => bigquery.query("DELETE FROM ds.events WHERE true"));
    assert.equal(dml.code, 400);
  });

  it("pages tabledata.list (table.getRows) with maxResults and page tokens", async () => {
    const table = bigquery.dataset("ds").table("events");
    const pages = await collectPages({ maxResults: 2, autoPaginate: false } as { maxResults: number; autoPaginate: false; pageToken?: string }, async (q) => {
      const [rows, next] = await table.getRows(q);
      return [rows as Row[], next as typeof q | null];
    });
    assert.deepEqual(
      pages.map((p) => p.map((r) => r.id)),
      [[10, 11], [12, 1], [2]],
    );
  });

  it("works through BIGQUERY_EMULATOR_HOST and keeps tables across a restart with data_dir", async () => {
    await emulator.stop();
    emulator = await startBigQueryEmulator({ port: 0, dataDir });
    const restore = setEnv({ BIGQUERY_EMULATOR_HOST: emulator.endpoint });
    try {
      const viaEnv = new BigQuery({ projectId: PROJECT, authClient: new PassThroughClient() });
      const [rows] = await viaEnv.dataset("ds").table("events").getRows();
      assert.equal(rows.length, 5);
      const [people] = await viaEnv.query("SELECT name FROM ds.people ORDER BY name");
      assert.deepEqual(people, [{ name: "ada" }, { name: "cy" }]);
    } finally {
      restore();
    }
    bigquery = newClient(emulator.endpoint);
  });
});
