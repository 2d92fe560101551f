/**
 * BigQueryEnrichmentHandler against the BigQuery emulator: Beam Python's bigquery_it_test.py
 * (TestBigQueryEnrichmentIT, its table and expectations) and bigquery_test.py (the parameter
 * checks), in batch and streaming, with 1 and 2 workers, and a slow query timed out and retried.
 */
import { strict as assert } from "node:assert";
import { BigQuery } from "@google-cloud/bigquery";
import { PassThroughClient } from "google-auth-library";
import { Create, type PCollection } from "../../../lib";
import { BigQueryEnrichmentHandler, Enrichment, ExponentialBackOffRepeater, type BigQueryEnrichmentHandlerOptions } from "../../../lib/ml";
import { clearEnrichmentCaches } from "../../../lib/ml/enrichment_dofn";
import { assertThat, equalTo } from "../../../lib/testing/passert";
import { TestStream } from "../../../lib/testing/test_stream";
import { runDirect } from "../../helpers";
import { startEmulatorEnv, type EmulatorEnv } from "../gcp/emulator_env";
import { bigqueryEnrichProgram, ENRICH_PROJECT, PRODUCT_TABLE, TABLE_DATA, type ProductRequest } from "./enrichment_programs";

const conditionValueFn = (row: ProductRequest) => [row.id];
const queryFn = (row: ProductRequest) => `SELECT * FROM \`${PRODUCT_TABLE}\` WHERE id = ${row.id}`;
const EXPECTED = [TABLE_DATA[0]!, TABLE_DATA[1]!];
const REQUESTS: ProductRequest[] = [
  { id: 1, name: "A" },
  { id: 2, name: "B" },
];

describe("io/bigquery: BigQueryEnrichmentHandler against the emulator (Beam's TestBigQueryEnrichmentIT)", function () {
  this.timeout(60_000);
  let env: EmulatorEnv;
  let bq: BigQuery;

  before(async () => {
    env = await startEmulatorEnv(["bigquery"]);
    bq = new BigQuery({ projectId: ENRICH_PROJECT, apiEndpoint: env.emulators.bigqueryEndpoint, authClient: new PassThroughClient() });
    await bq.createDataset("enrichment");
    const [table] = await bq.dataset("enrichment").createTable("product_details", { schema: "id:INTEGER, name:STRING, quantity:INTEGER, distribution_center_id:INTEGER" });
    await table.insert(TABLE_DATA);
  });
  after(async () => {
    await env?.stop();
  });
  beforeEach(() => clearEnrichmentCaches());

  /** Runs Beam's create | Enrichment(handler) over `requests` and checks the joined rows. */
  async function enrich(options: BigQueryEnrichmentHandlerOptions<ProductRequest>, requests: readonly ProductRequest[], expected: readonly object[]): Promise<void> {
    const result = await runDirect((p) => {
      const out = p.apply(Create.from(requests)).apply("Enrichment", Enrichment.of(new BigQueryEnrichmentHandler<ProductRequest>(options)));
      assertThat(out.main as PCollection<unknown>, equalTo(expected), "CheckJoined");
    });
    assert.equal(await result.waitUntilFinish(), "DONE", result.error?.message);
  }

  it("test_bigquery_enrichment: fields, batches of 1 to 100", async () => {
    await enrich({ project: ENRICH_PROJECT, rowRestrictionTemplate: "id = {}", tableName: PRODUCT_TABLE, fields: ["id"], minBatchSize: 1, maxBatchSize: 100 }, REQUESTS, EXPECTED);
  });

  it("test_bigquery_enrichment_batched: min_batch_size 2 (one query ORs both conditions)", async () => {
    const before = env.emulators.bigquery!.faults.calls("bigquery.jobs.query");
    await enrich({ project: ENRICH_PROJECT, rowRestrictionTemplate: "id = {}", tableName: PRODUCT_TABLE, fields: ["id"], minBatchSize: 2, maxBatchSize: 100 }, REQUESTS, EXPECTED);
    assert.equal(env.emulators.bigquery!.faults.calls("bigquery.jobs.query") - before, 1, "both requests in one query");
  });

  it("test_bigquery_enrichment_batched_multiple_fields: two placeholders, each request matched on both fields", async () => {
    const requests = [
      { id: 1, distribution_center_id: 3 },
      { id: 2, distribution_center_id: 1 },
    ];
    const handler = new BigQueryEnrichmentHandler<{ id: number; distribution_center_id: number }>({
      project: ENRICH_PROJECT,
      rowRestrictionTemplate: "id = {} AND distribution_center_id = {}",
      tableName: PRODUCT_TABLE,
      fields: ["id", "distribution_center_id"],
      minBatchSize: 8,
      maxBatchSize: 100,
    });
    const result = await runDirect((p) => {
      const out = p.apply(Create.from(requests)).apply("Enrichment", Enrichment.of(handler));
      assertThat(out.main as PCollection<unknown>, equalTo(EXPECTED), "CheckJoined");
    });
    assert.equal(await result.waitUntilFinish(), "DONE", result.error?.message);
  });

  it("test_bigquery_enrichment_with_query_fn: one query per request, written by queryFn", async () => {
    await enrich({ project: ENRICH_PROJECT, queryFn }, REQUESTS, EXPECTED);
  });

  it("test_bigquery_enrichment_with_condition_value_fn; columnNames selects the columns fetched", async () => {
    await enrich({ project: ENRICH_PROJECT, rowRestrictionTemplate: "id = {}", tableName: PRODUCT_TABLE, conditionValueFn, minBatchSize: 2, maxBatchSize: 100 }, REQUESTS, EXPECTED);
    await enrich({ project: ENRICH_PROJECT, rowRestrictionTemplate: "id = {}", tableName: PRODUCT_TABLE, conditionValueFn, columnNames: ["id", "quantity"] }, REQUESTS, [
      { id: 1, name: "A", quantity: 2 },
      { id: 2, name: "B", quantity: 3 },
    ]);
  });

  it("test_bigquery_enrichment_bad_request: a query BigQuery refuses sends the requests to failed with the query and its error (Beam fails the job)", async () => {
    const handler = new BigQueryEnrichmentHandler<ProductRequest>({ project: ENRICH_PROJECT, rowRestrictionTemplate: "id = {}", tableName: PRODUCT_TABLE, columnNames: ["wrong_column"], conditionValueFn });
    const result = await runDirect((p) => {
      const out = p.apply(Create.from(REQUESTS)).apply("Enrichment", Enrichment.of(handler));
      assertThat(out.main as PCollection<unknown>, equalTo([]), "CheckJoined");
      assertThat(
        out.failed.map("Check", (f) => `${f.element.id} ${/^UserCodeExecutionError: Could not execute the query: SELECT wrong_column FROM `beamline-test\.enrichment\.product_details` WHERE .*wrong_column/.test(f.reason)}`),
        equalTo(["1 true", "2 true"]),
        "CheckFailed",
      );
    });
    assert.equal(await result.waitUntilFinish(), "DONE", result.error?.message);
    const unread = await runDirect((p) => {
      p.apply(Create.from(REQUESTS)).apply("Enrichment", Enrichment.of(handler));
    });
    await assert.rejects(unread.waitUntilFinish(), /Transform 'Enrichment\/Call' rejected an element .*Could not execute the query/);
  });

  it("a request no row matches goes to failed: unbatched (queryFn) and batched", async () => {
    const result = await runDirect((p) => {
      const requests = p.apply(Create.from<ProductRequest>([{ id: 1 }, { id: 99 }]));
      const single = requests.apply("Single", Enrichment.of(new BigQueryEnrichmentHandler<ProductRequest>({ project: ENRICH_PROJECT, queryFn })));
      assertThat(single.main.map("SingleIds", (r) => r.id), equalTo([1]), "CheckSingle");
      assertThat(single.failed.map("Reasons", (f) => `${f.element.id}: ${f.reason}`), equalTo([`99: UserCodeExecutionError: no row matched the query: ${queryFn({ id: 99 })}`]), "CheckSingleFailed");
      const batched = requests.apply("Batched", Enrichment.of(new BigQueryEnrichmentHandler<ProductRequest>({ project: ENRICH_PROJECT, tableName: PRODUCT_TABLE, rowRestrictionTemplate: "id = {}", fields: ["id"], minBatchSize: 2 })));
      assertThat(batched.main.map("BatchedIds", (r) => r.id), equalTo([1]), "CheckBatched");
      assertThat(batched.failed.map("BatchedFailedIds", (f) => f.element.id), equalTo([99]), "CheckBatchedFailed");
    });
    assert.equal(await result.waitUntilFinish(), "DONE", result.error?.message);
  });

  it("useCache: handlers of one table looking up by different columns do not share cached rows", async () => {
    const byId = new BigQueryEnrichmentHandler<{ id: number }>({ project: ENRICH_PROJECT, tableName: PRODUCT_TABLE, rowRestrictionTemplate: "id = {}", fields: ["id"] });
    const byCenter = new BigQueryEnrichmentHandler<{ center: number }>({ project: ENRICH_PROJECT, tableName: PRODUCT_TABLE, rowRestrictionTemplate: "distribution_center_id = {}", fields: ["center"], maxBatchSize: 1 });
    const first = await runDirect((p) => {
      const out = p.apply(Create.of({ id: 3 })).apply("ById", Enrichment.of(byId, { useCache: true }));
      assertThat(out.main as PCollection<unknown>, equalTo([TABLE_DATA[2]]), "CheckById");
    });
    assert.equal(await first.waitUntilFinish(), "DONE", first.error?.message);
    const second = await runDirect((p) => {
      const out = p.apply(Create.of({ center: 3 })).apply("ByCenter", Enrichment.of(byCenter, { useCache: true }));
      assertThat(out.main.map("Ids", (r) => `${r.center}: id ${r.id}`) as PCollection<unknown>, equalTo(["3: id 1"]), "CheckByCenter");
    });
    assert.equal(await second.waitUntilFinish(), "DONE", second.error?.message);
    assert.equal(second.metrics.counterTotal("Enrichment", "cache_hits"), 0, "the row cached for id 3 is not the answer for distribution center 3");
  });

  it("test_valid_params: the handler refuses incomplete or mixed ways of querying (Beam's ValueError)", () => {
    const make = (o: Record<string, unknown>) => () => new BigQueryEnrichmentHandler<ProductRequest>({ project: ENRICH_PROJECT, ...o } as unknown as BigQueryEnrichmentHandlerOptions<ProductRequest>);
    assert.throws(make({ tableName: "", rowRestrictionTemplate: "", fields: [], minBatchSize: 1, maxBatchSize: 2 }), /give either queryFn or tableName and rowRestrictionTemplate together/);
    assert.throws(make({ tableName: "table", rowRestrictionTemplate: "", fields: ["id"], conditionValueFn }), /give either queryFn or tableName and rowRestrictionTemplate together/);
    assert.throws(make({ tableName: "table", rowRestrictionTemplate: "id='{}'", fields: ["id"], conditionValueFn }), /give exactly one of fields or conditionValueFn/);
    assert.throws(make({ tableName: "table", rowRestrictionTemplate: "id='{}'", fields: ["id"], queryFn }), /give either queryFn or tableName with rowRestrictionTemplate and fields or conditionValueFn, not both/);
  });

  it("a query slower than timeoutMillis is abandoned and retried (emulator delay fault): the requests are enriched", async () => {
    const faults = env.emulators.bigquery!.faults;
    const before = faults.calls("bigquery.jobs.query");
    const jobsBefore = (await bq.getJobs())[0].length;
    faults.delayNext("bigquery.jobs.query", 1, 3_000);
    const handler = new BigQueryEnrichmentHandler<ProductRequest>({ project: ENRICH_PROJECT, tableName: PRODUCT_TABLE, rowRestrictionTemplate: "id = {}", fields: ["id"], minBatchSize: 2 });
    const result = await runDirect((p) => {
      const out = p.apply(Create.from(REQUESTS)).apply("Enrichment", Enrichment.of(handler, { timeoutMillis: 500, repeater: new ExponentialBackOffRepeater({ initialDelayMillis: 1 }) }));
      assertThat(out.main as PCollection<unknown>, equalTo(EXPECTED), "CheckJoined");
    });
    assert.equal(await result.waitUntilFinish(), "DONE", result.error?.message);
    assert.equal(result.metrics.counterTotal("Enrichment", "requests_timed_out"), 1);
    assert.equal(faults.calls("bigquery.jobs.query") - before, 2);
    // The abandoned query goes on (as Beam's abandoned thread does): wait until the emulator has run
    // it too, so that stopping the emulator does not cut it off and leave the client retrying.
    while ((await bq.getJobs())[0].length - jobsBefore < 2) await new Promise((resolve) => setTimeout(resolve, 100));
  });

  it("streaming (TestStream): requests arriving over time are each looked up and joined", async () => {
    const handler = new BigQueryEnrichmentHandler<ProductRequest>({ project: ENRICH_PROJECT, tableName: PRODUCT_TABLE, rowRestrictionTemplate: "id = {}", fields: ["id"], minBatchSize: 2, maxBatchSize: 3 });
    const result = await runDirect((p) => {
      const out = p
        .apply(
          TestStream.create<ProductRequest>()
            .addElements({ value: { id: 1 }, timestamp: 1 }, { value: { id: 2 }, timestamp: 2 })
            .advanceWatermarkTo(100)
            .addElements(...[3, 4, 5, 42].map((id) => ({ value: { id }, timestamp: 100 + id })))
            .advanceWatermarkToInfinity(),
        )
        .apply("Enrichment", Enrichment.of(handler));
      assertThat(out.main as PCollection<unknown>, equalTo(TABLE_DATA.slice(0, 5)), "CheckJoined");
      assertThat(out.failed.map("Ids", (f) => f.element.id), equalTo([42]), "CheckFailed");
    });
    assert.equal(await result.waitUntilFinish(), "DONE", result.error?.message);
  });

  it("2 worker threads (directNumWorkers: 2): each worker's handler queries the emulator; every id is enriched once", async () => {
    const result = await bigqueryEnrichProgram.run({ n: 12 }, { directNumWorkers: 2, directWorkerThreads: "always" });
    assert.equal(result.state, "DONE", result.error?.message);
    assert.equal(result.metrics.counterTotal("beamline", "rejected"), 4);
  });
});
