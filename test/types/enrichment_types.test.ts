/** Type-level tests of Enrichment and BigQueryEnrichmentHandler: fails to compile when their inference breaks. */
import { strict as assert } from "node:assert";
import {
  BigQueryEnrichmentHandler,
  Create,
  crossJoin,
  DefaultThrottler,
  Enrichment,
  ExponentialBackOffRepeater,
  NoOpsRepeater,
  Pipeline,
  type EnrichmentSourceHandler,
  type FailedElement,
  type PCollection,
} from "../../lib";
import type { BigQueryRow } from "../../lib/io/bigquery";
import { expectType } from "./expect_type";

interface Order {
  readonly id: number;
  readonly name: string;
}
interface Product {
  readonly id: number;
  readonly quantity: number;
}

const products: EnrichmentSourceHandler<Order, Product> = { call: (o) => ({ id: o.id, quantity: 1 }) };

describe("type inference of Enrichment", () => {
  it("types the joined rows (crossJoin: the request's fields and the response's others), joinFn's output, and failed", () => {
    const p = Pipeline.create();
    const orders = p.apply(Create.of<Order>({ id: 1, name: "a" }));
    const { main, failed } = orders.apply(Enrichment.of(products));
    expectType(main)<PCollection<{ id: number; name: string; quantity: number }>>(true);
    expectType(failed)<PCollection<FailedElement<Order>>>(true);
    const labels = orders.apply("Labels", Enrichment.of(products, { joinFn: (o, r) => `${o.name}:${r.quantity}`, timeoutMillis: 5_000 }));
    expectType(labels.main)<PCollection<string>>(true);
    orders.apply(
      "Options",
      Enrichment.of(products, { repeater: new ExponentialBackOffRepeater({ numRetries: 5, initialDelayMillis: 100 }), throttler: new DefaultThrottler({ windowMillis: 60_000 }), useCache: { timeToLiveMillis: 1000 }, ignoreRejected: true }),
    );
    orders.apply("NoRetries", Enrichment.of(products, { repeater: new NoOpsRepeater(), throttler: false, useCache: true }));
    expectType(crossJoin({ a: 1 }, { b: "x" }))<{ a: number; b: string }>(true);
    // Never called: each line is a type error (and some would throw when run).
    const typeErrors = (): void => {
      // @ts-expect-error a handler of orders does not take numbers
      p.apply("Numbers", Create.of(1, 2)).apply("Bad", Enrichment.of(products));
      // @ts-expect-error joinFn's arguments are the request and the response
      orders.apply("BadJoin", Enrichment.of(products, { joinFn: (o: Order, r: string) => o.id + r }));
      // @ts-expect-error the throttler is a DefaultThrottler or false
      orders.apply("BadThrottler", Enrichment.of(products, { throttler: true }));
    };
    assert.equal(typeof typeErrors, "function");
    assert.ok(main);
  });

  it("BigQueryEnrichmentHandler: fields are the request's; one of fields, conditionValueFn or queryFn", () => {
    const byFields = new BigQueryEnrichmentHandler<Order>({ project: "p", tableName: "p.d.t", rowRestrictionTemplate: "id = {}", fields: ["id"], maxBatchSize: 10 });
    expectType(byFields)<BigQueryEnrichmentHandler<Order, BigQueryRow>>(true);
    new BigQueryEnrichmentHandler<Order, Product>({ project: "p", tableName: "p.d.t", rowRestrictionTemplate: "id = {}", conditionValueFn: (o) => [o.id] });
    const byQuery = new BigQueryEnrichmentHandler<Order, Product>({ project: "p", queryFn: (o) => `SELECT * FROM t WHERE id = ${o.id}` });
    const out = Pipeline.create().apply(Create.of<Order>({ id: 1, name: "a" })).apply(Enrichment.of(byQuery));
    expectType(out.main)<PCollection<{ id: number; name: string; quantity: number }>>(true);
    // Never called: each construction is a type error (and would throw when run).
    const typeErrors = (): void => {
      // @ts-expect-error fields name the request's properties
      new BigQueryEnrichmentHandler<Order>({ project: "p", tableName: "p.d.t", rowRestrictionTemplate: "id = {}", fields: ["nope"] });
      // @ts-expect-error not both fields and conditionValueFn
      new BigQueryEnrichmentHandler<Order>({ project: "p", tableName: "p.d.t", rowRestrictionTemplate: "id = {}", fields: ["id"], conditionValueFn: (o) => [o.id] });
      // @ts-expect-error queryFn takes no table
      new BigQueryEnrichmentHandler<Order>({ project: "p", tableName: "p.d.t", queryFn: () => "SELECT 1" });
      // @ts-expect-error queryFn's requests are not batched
      new BigQueryEnrichmentHandler<Order>({ project: "p", queryFn: () => "SELECT 1", maxBatchSize: 5 });
      // @ts-expect-error a table needs a condition template
      new BigQueryEnrichmentHandler<Order>({ project: "p", tableName: "p.d.t", fields: ["id"] });
    };
    assert.equal(typeof typeErrors, "function");
    assert.ok(byFields);
  });
});
