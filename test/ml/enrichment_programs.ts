/** Enrichment programs (worker threads load this module to rebuild the graph). */
import { Create, definePipeline, Reshuffle } from "../../lib";
import { Enrichment, type EnrichmentBatching, type EnrichmentPair, type EnrichmentSourceHandler } from "../../lib/ml";
import { assertThat, equalTo } from "../../lib/testing/passert";

/** A request of the tests: a product id, and a name the source may disagree with. */
export interface Order {
  readonly id: number;
  readonly name?: string;
}

/** What the fake source holds for an id. */
export interface Product {
  readonly id: number;
  readonly name: string;
  readonly quantity: number;
}

/** Beam's BigQuery IT table, as a map: the products of ids 1 to 8. */
export const PRODUCTS: readonly Product[] = [
  { id: 1, name: "A", quantity: 2 },
  { id: 2, name: "B", quantity: 3 },
  { id: 3, name: "C", quantity: 10 },
  { id: 4, name: "D", quantity: 1 },
  { id: 5, name: "C", quantity: 100 },
  { id: 6, name: "D", quantity: 11 },
  { id: 7, name: "C", quantity: 7 },
  { id: 8, name: "D", quantity: 4 },
];

/** A source in memory: ids 1-8 are found, any other id is a bad request (a RangeError). Pure, so any worker may run it. */
export class LookupHandler implements EnrichmentSourceHandler<Order, Product> {
  readonly name: string;
  constructor(
    private readonly batching?: EnrichmentBatching,
    name = "LookupHandler",
  ) {
    this.name = name;
  }

  call(request: Order): Product {
    const found = PRODUCTS.find((p) => p.id === request.id);
    if (found === undefined) throw new RangeError(`no product ${request.id}`);
    return found;
  }

  callBatch(requests: readonly Order[]): EnrichmentPair<Order, Product>[] {
    return requests.flatMap((r) => {
      const found = PRODUCTS.find((p) => p.id === r.id);
      return found === undefined ? [] : [[r, found] as const];
    });
  }

  batchElementsKwargs(): EnrichmentBatching | undefined {
    return this.batching;
  }
}

/** Orders 1..n (ids above 8 are not found): the expected joins and the expected failures. */
export function ordersUpTo(n: number): { orders: Order[]; joined: (Order & Product)[]; missing: number[] } {
  const orders = Array.from({ length: n }, (_, i) => ({ id: i + 1 }));
  return {
    orders,
    joined: PRODUCTS.filter((p) => p.id <= n).map((p) => ({ ...p })),
    missing: orders.filter((o) => o.id > PRODUCTS.length).map((o) => o.id),
  };
}

/** Enriches orders 1..n, batched or not, over a reshuffle (so with 2 workers both take part). */
export const enrichProgram = definePipeline({
  name: "enrichment-lookup",
  description: "enriches orders from an in-memory source",
  flags: {
    n: { type: "number", describe: "orders 1..n", default: 12 },
    batched: { type: "boolean", describe: "look up in batches of 2 to 3", default: false },
  },
  build(root, flags) {
    const { orders, joined, missing } = ordersUpTo(flags.n);
    const handler = new LookupHandler(flags.batched ? { minBatchSize: 2, maxBatchSize: 3 } : undefined);
    const out = root
      .apply("Create", Create.from(orders))
      .apply(Reshuffle.viaRandomKey())
      .apply("Enrich", Enrichment.of(handler, { throttler: false }));
    assertThat(out.main, equalTo(joined), "CheckJoined");
    assertThat(out.failed.map("Ids", (f) => f.element.id), equalTo(missing), "CheckFailed");
  },
});
