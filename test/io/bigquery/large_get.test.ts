import { strict as assert } from "node:assert";
import { gzipSync } from "node:zlib";
import { BigQuery } from "@google-cloud/bigquery";
import { PassThroughClient } from "google-auth-library";
import "../../../runners/direct";
import { ReadFromBigQuery } from "../../../lib/io/bigquery";
import { BigQueryHttpError, decodeJsonBody, rawGetLarge } from "../../../lib/io/bigquery/large_get";
import { classify } from "../../../lib/io/gcp/errors";
import { bigqueryClient } from "../../../lib/io/gcp/clients";
import { runDirect } from "../../helpers";
import { startEmulatorEnv, TEST_PROJECT, type EmulatorEnv } from "../gcp/emulator_env";

describe("io/bigquery: pages of rows read as bytes (large_get)", function () {
  this.timeout(30_000);

  it("decodes a body as JSON: ASCII, UTF-8 beyond ASCII, gzip; an encoding not asked for is an error", async () => {
    const value = { rows: [{ f: [{ v: "0,0.3294,1" }, { v: "café – 数字 🙂" }] }], totalRows: "1" };
    const text = JSON.stringify(value);
    assert.deepEqual(await decodeJsonBody(Buffer.from(text), undefined), value);
    assert.deepEqual(await decodeJsonBody(Buffer.from(text, "utf8"), "identity"), value);
    assert.deepEqual(await decodeJsonBody(gzipSync(Buffer.from(text, "utf8")), "gzip"), value);
    const ascii = { rows: [{ f: [{ v: "x".repeat(100_000) }] }] };
    assert.deepEqual(await decodeJsonBody(gzipSync(Buffer.from(JSON.stringify(ascii))), "GZIP"), ascii);
    await assert.rejects(decodeJsonBody(Buffer.from(text), "br"), /encoded as br, which was not asked for/);
  });

  describe("against the emulator", () => {
    let env: EmulatorEnv;
    let bq: BigQuery;
    before(async () => {
      env = await startEmulatorEnv(["bigquery"]);
      bq = new BigQuery({ projectId: TEST_PROJECT, apiEndpoint: env.emulators.bigqueryEndpoint, authClient: new PassThroughClient() });
      await bq.createDataset("Words");
      const [table] = await bq.dataset("Words").createTable("Text", { schema: "ID:INTEGER, S:STRING" });
      await table.insert([
        { ID: 1, S: "plain" },
        { ID: 2, S: "café – 数字 🙂" },
        { ID: 3, S: 'quote " and \\ backslash\nnewline' },
      ]);
    });
    after(async () => {
      await env?.stop();
    });

    it("ReadFromBigQuery gives back strings beyond ASCII exactly", async () => {
      const rows: { ID: number; S: string }[] = [];
      const result = await runDirect((p) => {
        p.apply(ReadFromBigQuery.from<{ ID: number; S: string }>({ table: `${TEST_PROJECT}.Words.Text` })).map("Collect", (r) => (rows.push(r), r));
      });
      assert.equal(await result.waitUntilFinish(), "DONE");
      assert.deepEqual(
        rows.sort((a, b) => a.ID - b.ID),
        [
          { ID: 1, S: "plain" },
          { ID: 2, S: "café – 数字 🙂" },
          { ID: 3, S: 'quote " and \\ backslash\nnewline' },
        ],
      );
    });

    it("an HTTP error comes back as the client's would: code, reason, the service's message", async () => {
      const table = bigqueryClient(TEST_PROJECT).dataset("Words").table("Missing");
      const err = await rawGetLarge(table, { uri: "/data", qs: { maxResults: 10 } }).then(
        () => assert.fail("a missing table was read"),
        (e: unknown) => e,
      );
      assert.ok(err instanceof BigQueryHttpError, String(err));
      assert.equal(err.code, 404);
      assert.equal(classify(err), "notFound");
      assert.match(err.message, /Missing/);
    });
  });
});
