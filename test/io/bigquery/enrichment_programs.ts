/** BigQuery enrichment programs (worker threads load this module to rebuild the graph). */
import { Create, definePipeline, Reshuffle } from "../../../lib";
import { BigQueryEnrichmentHandler, Enrichment } from "../../../lib/ml";
import { assertThat, equalTo } from "../../../lib/testing/passert";

/** The project of the emulated tests (the emulator takes any). */
export const ENRICH_PROJECT = "beamline-test";
/** The table of Beam's BigQuery enrichment IT, in the emulator. */
export const PRODUCT_TABLE = `${ENRICH_PROJECT}.enrichment.product_details`;

/** Beam's TestBigQueryEnrichmentIT.table_data. */
export const TABLE_DATA = [
  { id: 1, name: "A", quantity: 2, distribution_center_id: 3 },
  { id: 2, name: "B", quantity: 3, distribution_center_id: 1 },
  { id: 3, name: "C", quantity: 10, distribution_center_id: 4 },
  { id: 4, name: "D", quantity: 1, distribution_center_id: 3 },
  { id: 5, name: "C", quantity: 100, distribution_center_id: 4 },
  { id: 6, name: "D", quantity: 11, distribution_center_id: 3 },
  { id: 7, name: "C", quantity: 7, distribution_center_id: 1 },
  { id: 8, name: "D", quantity: 4, distribution_center_id: 1 },
];

/** A request: an id (and a name). */
export interface ProductRequest {
  readonly id: number;
  readonly name?: string;
}

/** Looks up ids 1..n by `id = {}` in batches of up to 4 over a reshuffle; ids above 8 fail. */
export const bigqueryEnrichProgram = definePipeline({
  name: "bigquery-enrichment",
  description: "enriches ids from the product table",
  flags: { n: { type: "number", describe: "ids 1..n", default: 10 } },
  build(root, flags) {
    const handler = new BigQueryEnrichmentHandler<ProductRequest>({ project: ENRICH_PROJECT, tableName: PRODUCT_TABLE, rowRestrictionTemplate: "id = {}", fields: ["id"], minBatchSize: 2, maxBatchSize: 4 });
    const ids = Array.from({ length: flags.n }, (_, i) => i + 1);
    const out = root
      .apply("Create", Create.from(ids.map((id) => ({ id }))))
      .apply(Reshuffle.viaRandomKey())
      .apply("Enrich", Enrichment.of(handler, { throttler: false }));
    assertThat(out.main, equalTo(TABLE_DATA.filter((r) => r.id <= flags.n)), "CheckJoined");
    assertThat(out.failed.map("Ids", (f) => f.element.id), equalTo(ids.filter((id) => id > TABLE_DATA.length)), "CheckFailed");
  },
});
