/**
 * Type-level tests of Sets, Mean/Sum/Min/Max, Flatten.iterables and Filter's comparisons: what
 * each infers with no type arguments, and the wrong uses that must not compile. This file fails to
 * COMPILE when that breaks; wrong uses sit in functions that never run.
 */
import { strict as assert } from "node:assert";
import { Create, Filter, Flatten, kv, Max, Mean, Min, Pipeline, Sets, Sum, type KV, type PCollection } from "../../lib";
import { expectType } from "./expect_type";

describe("Sets, Mean/Sum/Min/Max, Flatten.iterables, Filter's comparisons (type-level)", () => {
  it("Sets: the element type of its inputs; the others must have it too", () => {
    const p = Pipeline.create();
    const a = p.apply("A", Create.of("x"));
    const b = p.apply("B", Create.of("y"));
    const c = p.apply("C", Create.of("z"));
    expectType(a.apply("I", Sets.intersectDistinct(b)))<PCollection<string>>(true);
    expectType(a.apply("IA", Sets.intersectAll(b, c)))<PCollection<string>>(true);
    expectType(a.apply("E", Sets.exceptDistinct(b)))<PCollection<string>>(true);
    expectType(a.apply("EA", Sets.exceptAll(b)))<PCollection<string>>(true);
    expectType(a.apply("U", Sets.unionDistinct(b)))<PCollection<string>>(true);
    expectType(a.apply("UA", Sets.unionAll(b, c)))<PCollection<string>>(true);
    const typeOnly = (): void => {
      const n = p.apply("N", Create.of(1));
      // @ts-expect-error: a set operation is over collections of one element type
      a.apply("Mixed", Sets.intersectDistinct(n));
      // @ts-expect-error: nor may the argument's type differ from the collection it is applied to
      n.apply("Mixed2", Sets.exceptAll(b));
    };
    assert.equal(typeof typeOnly, "function");
  });

  it("Mean/Sum/Min/Max: numbers globally and per key; Min/Max over any type with a comparator, undefined for an empty input globally", () => {
    const p = Pipeline.create();
    const nums = p.apply("Nums", Create.of(1, 2));
    const pairs = p.apply("Pairs", Create.of(kv("a", 1)));
    const words = p.apply("Words", Create.of("a", "bb"));
    expectType(nums.apply("Mean", Mean.globally()))<PCollection<number>>(true);
    expectType(nums.apply("Sum", Sum.globally()))<PCollection<number>>(true);
    expectType(nums.apply("Min", Min.globally()))<PCollection<number | undefined>>(true);
    expectType(nums.apply("Max", Max.globally({ withoutDefaults: true })))<PCollection<number | undefined>>(true);
    expectType(nums.apply("MaxBy", Max.globally((a: number, b: number) => b - a, { withoutDefaults: true })))<PCollection<number | undefined>>(true);
    expectType(words.apply("Shortest", Min.globally((x: string, y: string) => x.length - y.length)))<PCollection<string | undefined>>(true);
    expectType(pairs.apply("MeanPK", Mean.perKey<string>()))<PCollection<KV<string, number>>>(true);
    expectType(pairs.apply("SumPK", Sum.perKey<string>()))<PCollection<KV<string, number>>>(true);
    expectType(pairs.apply("MinPK", Min.perKey<string>()))<PCollection<KV<string, number>>>(true);
    expectType(pairs.apply("MaxPK", Max.perKey<string, number>((x, y) => x - y)))<PCollection<KV<string, number>>>(true);
    const longs = p.apply("Longs", Create.of(1n, 2n ** 60n));
    expectType(longs.apply("SumLongs", Sum.bigIntsGlobally()))<PCollection<bigint>>(true);
    expectType(longs.map("KeyedLongs", (n) => kv("k", n)).apply("SumLongsPK", Sum.bigIntsPerKey()))<PCollection<KV<string, bigint>>>(true);
    const typeOnly = (): void => {
      // @ts-expect-error: Mean is of numbers
      words.apply("MeanWords", Mean.globally());
      // @ts-expect-error: Sum.globally() is of numbers; bigints have Sum.bigIntsGlobally()
      longs.apply("SumLongsAsNumbers", Sum.globally());
      // @ts-expect-error: Sum.bigIntsGlobally() is of bigints
      nums.apply("SumNumsAsLongs", Sum.bigIntsGlobally());
      // @ts-expect-error: per key needs KVs
      nums.apply("SumNotKeyed", Sum.perKey<string>());
    };
    assert.equal(typeof typeOnly, "function");
  });

  it("Flatten.iterables: the items' type of any iterable element (arrays, Sets)", () => {
    const p = Pipeline.create();
    expectType(p.apply("Arrays", Create.of([1, 2])).apply("FA", Flatten.iterables<number>()))<PCollection<number>>(true);
    expectType(p.apply("Sets", Create.of(new Set(["x"]))).apply("FS", Flatten.iterables<string>()))<PCollection<string>>(true);
    const typeOnly = (): void => {
      // @ts-expect-error: the elements must be iterables
      p.apply("Nums", Create.of(1)).apply("FN", Flatten.iterables<number>());
    };
    assert.equal(typeof typeOnly, "function");
  });

  it("Filter's comparisons: a literal's type widened to the elements' (5 filters numbers), and only comparable values", () => {
    const p = Pipeline.create();
    const nums = p.apply("Nums", Create.of(1, 7));
    expectType(nums.apply("LT", Filter.lessThan(4)))<PCollection<number>>(true);
    expectType(p.apply("Strs", Create.of("a")).apply("GT", Filter.greaterThan("b")))<PCollection<string>>(true);
    expectType(p.apply("Bigs", Create.of(1n)).apply("GE", Filter.greaterThanEq(2n)))<PCollection<bigint>>(true);
    expectType(p.apply("Dates", Create.of(new Date())).apply("EQ", Filter.equal(new Date(0))))<PCollection<Date>>(true);
    const typeOnly = (): void => {
      // @ts-expect-error: the value is of the elements' type
      nums.apply("Wrong", Filter.lessThan("4"));
      // @ts-expect-error: objects have no natural order
      Filter.equal({ a: 1 });
    };
    assert.equal(typeof typeOnly, "function");
  });
});
