/**
 * Type-level tests of CombineValues, Top, ToDict/ToSet and GroupBy: what each infers from where it
 * is applied with no type arguments, and the wrong uses that must not compile. This file fails to
 * COMPILE when that breaks; wrong uses sit in functions that never run.
 */
import { strict as assert } from "node:assert";
import { Combine, CombineValues, Combiners, Create, GroupBy, GroupByKey, kv, Pipeline, Top, type KV, type PCollection } from "../../lib";
import { expectType } from "./expect_type";

describe("CombineValues, Top, ToDict, ToSet, GroupBy (type-level)", () => {
  it("CombineValues: the key from the input, the output from the CombineFn", () => {
    const p = Pipeline.create();
    const grouped = p.apply("Pairs", Create.of(kv("a", 1))).apply(GroupByKey.create());
    expectType(grouped.apply("Sum", CombineValues.of(Combiners.sum())))<PCollection<KV<string, number>>>(true);
    expectType(grouped.apply("All", CombineValues.of(Combiners.toList<number>())))<PCollection<KV<string, number[]>>>(true);
    const typeOnly = (): void => {
      // @ts-expect-error: the values must be the CombineFn's inputs (strings are not numbers)
      p.apply("Words", Create.of(kv("a", ["x"]))).apply(CombineValues.of(Combiners.sum()));
      // @ts-expect-error: the input must be KVs of iterables, not of single values
      p.apply("Flat", Create.of(kv("a", 1))).apply(CombineValues.of(Combiners.sum()));
    };
    assert.equal(typeof typeOnly, "function");
  });

  it("Top: element and key types from where it is applied; a key function sees the element type", () => {
    const p = Pipeline.create();
    const words = p.apply("Words", Create.of("aa", "bbb"));
    expectType(words.apply("Longest", Top.of(1, { key: (w) => w.length })))<PCollection<string[]>>(true);
    expectType(words.apply("Smallest", Top.smallest(1)))<PCollection<string[]>>(true);
    const pairs = p.apply("Pairs", Create.of(kv("a", 1)));
    expectType(pairs.apply("PerKey", Top.largestPerKey(2, { key: (x) => -x })))<PCollection<KV<string, number[]>>>(true);
    expectType(pairs.apply("Dict", Combine.globally(Combiners.toDict<string, number>())))<PCollection<Map<string, number>>>(true);
    expectType(words.apply("Set", Combine.globally(Combiners.toSet<string>())))<PCollection<Set<string>>>(true);
    const typeOnly = (): void => {
      // @ts-expect-error: a key function must return something `<` ranks (not an object)
      words.apply("BadKey", Top.of(1, { key: (w) => ({ w }) }));
      // @ts-expect-error: the per-key forms need a keyed input
      words.apply("NotKeyed", Top.largestPerKey(2));
      // @ts-expect-error: largest has no reverse (use smallest)
      Top.largest(2, { reverse: true });
      // @ts-expect-error: ToDict combines KVs
      words.apply("DictOfWords", Combine.globally(Combiners.toDict<string, number>()));
    };
    assert.equal(typeof typeOnly, "function");
  });

  it("GroupBy: keys and aggregated records typed from the key specs, field names checked", () => {
    interface Order {
      country: string;
      amount: number;
    }
    const p = Pipeline.create();
    const orders = p.apply("Orders", Create.of<Order>({ country: "fr", amount: 3 }));
    expectType(orders.apply("ByFn", GroupBy.by((o) => o.country)))<PCollection<KV<string, Order[]>>>(true);
    expectType(orders.apply("ByField", GroupBy.of<Order>().by("amount")))<PCollection<KV<number, Order[]>>>(true);
    expectType(orders.apply("Tuple", GroupBy.of<Order>().by("amount").forceTupleKeys()))<PCollection<KV<{ amount: number }, Order[]>>>(true);
    const both = orders.apply("Both", GroupBy.of<Order>().fields({ country: "country", big: (o) => o.amount > 100 }));
    expectType(both)<PCollection<KV<{ country: string; big: boolean }, Order[]>>>(true);
    const totals = orders.apply("Totals", GroupBy.by((o: Order) => o.country).aggregateField((o) => o.amount, Combiners.sum(), "total"));
    expectType(totals.map("Total", (r) => r.total))<PCollection<number>>(true);
    expectType(totals.map("Key", (r) => r.key))<PCollection<string>>(true);
    const typeOnly = (): void => {
      // @ts-expect-error: "weight" is not a field of Order
      GroupBy.of<Order>().by("weight");
      // @ts-expect-error: an aggregated field must be a field of Order
      GroupBy.of<Order>().by("country").aggregateField("weight", Combiners.sum(), "total");
      // @ts-expect-error: sum combines numbers, not the string field country
      GroupBy.of<Order>().by("amount").aggregateField("country", Combiners.sum(), "total");
      // @ts-expect-error: the records have no field that was not aggregated
      totals.map("Missing", (r) => r.count);
      // @ts-expect-error: the element type must be the collection's
      p.apply("Words", Create.of("a")).apply(GroupBy.of<Order>().by("country"));
    };
    assert.equal(typeof typeOnly, "function");
  });

  it("GroupBy.globally and plain functions in aggregateField: records of the aggregates, the function's values typed by the field", () => {
    interface Order {
      country: string;
      amount: number;
    }
    const p = Pipeline.create();
    const orders = p.apply("Orders", Create.of<Order>({ country: "fr", amount: 3 }));
    const global = orders.apply("Global", GroupBy.globally<Order>().aggregateField("amount", Combiners.sum(), "total").aggregateField((o) => o.country, (xs) => xs.join(","), "countries"));
    expectType(global.map("Total", (r) => r.total))<PCollection<number>>(true);
    expectType(global.map("Countries", (r) => r.countries))<PCollection<string>>(true);
    const biggest = orders.apply("Biggest", GroupBy.of<Order>().by("country").aggregateField("amount", (xs) => Math.max(...xs), "max"));
    expectType(biggest.map("Max", (r) => r.max))<PCollection<number>>(true);
    expectType(biggest.map("Country", (r) => r.country))<PCollection<string>>(true);
    expectType(orders.apply("Grouped", GroupBy.globally<Order>()))<PCollection<KV<Record<string, never>, Order[]>>>(true);
    const typeOnly = (): void => {
      // @ts-expect-error: a plain function returns what it combines (a number here, not a string)
      GroupBy.of<Order>().by("country").aggregateField("amount", (xs) => xs.join(","), "joined");
      // @ts-expect-error: the global records have no key field
      global.map("NoKey", (r) => r.key);
    };
    assert.equal(typeof typeOnly, "function");
  });

  it("Combine.perKey(fn).withHotKeyFanout: the key from the input, a fanout function of that key", () => {
    const p = Pipeline.create();
    const pairs = p.apply("Pairs", Create.of(kv("a", 1)));
    expectType(pairs.apply("Constant", Combine.perKey(Combiners.sum()).withHotKeyFanout(10)))<PCollection<KV<string, number>>>(true);
    expectType(pairs.apply("Typed", Combine.perKey(Combiners.mean()).withHotKeyFanout((k: string) => (k === "a" ? 10 : 0))))<PCollection<KV<string, number>>>(true);
    expectType(pairs.apply("Inferred", Combine.perKey(Combiners.toList<number>()).withHotKeyFanout((k) => k.length)))<PCollection<KV<string, number[]>>>(true);
    const typeOnly = (): void => {
      // @ts-expect-error: the fanout function takes the input's key (a string here, not a number)
      pairs.apply("WrongKey", Combine.perKey(Combiners.sum()).withHotKeyFanout((k: number) => k));
      // @ts-expect-error: the fanout is a number or a function, not a string
      pairs.apply("WrongFanout", Combine.perKey(Combiners.sum()).withHotKeyFanout("3"));
      // @ts-expect-error: the values must be the CombineFn's inputs (strings are not numbers)
      p.apply("Words", Create.of(kv("a", "x"))).apply(Combine.perKey(Combiners.sum()).withHotKeyFanout(3));
    };
    assert.equal(typeof typeOnly, "function");
  });
});
