/**
 * Type-level tests of CombineFns.compose, from the package entry point.
 * This file fails to COMPILE when that breaks; wrong uses sit in functions that never run.
 */
import { strict as assert } from "node:assert";
import { Combine, CombineFns, Combiners, Create, kv, Pipeline, type KV, type PCollection } from "../../lib";
import { expectType } from "./expect_type";

interface Order {
  readonly customer: string;
  readonly amount: number;
}

describe("CombineFns.compose (type-level)", () => {
  it("gives a record of each part's result, by name, globally and per key", () => {
    const p = Pipeline.create();
    const orders = p.apply("Orders", Create.of<Order>({ customer: "a", amount: 3 }));
    const stats = CombineFns.compose<Order>()
      .with("orders", Combiners.count<Order>())
      .with("revenue", (o) => o.amount, Combiners.sum())
      .with("largest", (o) => o.amount, Combiners.max<number>());
    type Stats = { readonly orders: number; readonly revenue: number; readonly largest: number | undefined };
    expectType(orders.apply("Globally", Combine.globally(stats)))<PCollection<Stats>>(true);
    const byCustomer = orders.map("Key", (o: Order) => kv(o.customer, o));
    expectType(byCustomer.apply("PerKey", Combine.perKey(stats)))<PCollection<KV<string, Stats>>>(true);
    const typeOnly = (): void => {
      // @ts-expect-error: a name may appear once
      stats.with("orders", Combiners.count<Order>());
      // @ts-expect-error: the extracted value must be what the CombineFn combines
      CombineFns.compose<Order>().with("x", (o) => o.customer, Combiners.sum());
      // @ts-expect-error: without an extract function the CombineFn takes the input itself
      CombineFns.compose<Order>().with("y", Combiners.sum());
    };
    assert.equal(typeof typeOnly, "function");
  });
});
