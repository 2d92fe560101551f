/**
 * Type-level tests of combining with side inputs (CombineFnWithContext, `{ sideInputs }`) and
 * Combine.globally(fn).withFanout: the context's side inputs are typed from the views, as a
 * ParDo's ctx.sideInputs; the wrong uses must not compile. This file fails to COMPILE when that
 * breaks; wrong uses sit in functions that never run.
 */
import { strict as assert } from "node:assert";
import { AsIterable, AsSingleton, Combine, CombineFns, CombineValues, Combiners, Create, kv, Pipeline, type CombineFnWithContext, type KV, type PCollection } from "../../lib";
import { expectType } from "./expect_type";

const countAbove: CombineFnWithContext<number, number, number, { threshold: number }> = {
  createAccumulator: () => 0,
  addInput: (n, x, ctx) => (x > ctx.sideInputs.threshold ? n + 1 : n),
  mergeAccumulators: (accs) => [...accs].reduce((a, b) => a + b, 0),
  extractOutput: (n) => n,
};

describe("Combining with side inputs and withFanout (type-level)", () => {
  it("the context's side inputs are typed from the views; outputs from the CombineFn", () => {
    const p = Pipeline.create();
    const threshold = AsSingleton(p.apply("Threshold", Create.of(2)));
    const pairs = p.apply("Pairs", Create.of(kv("a", 1)));
    expectType(pairs.apply("PerKey", Combine.perKey(countAbove, { sideInputs: { threshold } })))<PCollection<KV<string, number>>>(true);
    const values = p.apply("Values", Create.of(1, 2, 3));
    expectType(values.apply("Globally", Combine.globally(countAbove, { sideInputs: { threshold }, withoutDefaults: true })))<PCollection<number>>(true);
    // An inline CombineFn: its context typed from the views passed beside it.
    const names = AsIterable(p.apply("Names", Create.of("x")));
    const inline = values.apply(
      "Inline",
      Combine.globally(
        {
          createAccumulator: (ctx) => {
            expectType(ctx.sideInputs)<Readonly<{ threshold: number; names: readonly string[] }>>(true);
            return [] as string[];
          },
          addInput: (acc, x: number, ctx) => [...acc, `${ctx.sideInputs.names.join()}${x * ctx.sideInputs.threshold}`],
          mergeAccumulators: (accs) => [...accs].flat(),
          extractOutput: (acc) => acc.length,
        },
        { sideInputs: { threshold, names } },
      ),
    );
    expectType(inline)<PCollection<number>>(true);
    // withFanout keeps the combine's type (and its side inputs).
    expectType(values.apply("Fanout", Combine.globally(countAbove, { sideInputs: { threshold } }).withFanout(4)))<PCollection<number>>(true);
    expectType(values.apply("PlainFanout", Combine.globally(Combiners.mean()).withFanout(4)))<PCollection<number>>(true);
    expectType(pairs.apply("Hot", Combine.perKey(countAbove, { sideInputs: { threshold } }).withHotKeyFanout(3)))<PCollection<KV<string, number>>>(true);

    const typeOnly = (): void => {
      // @ts-expect-error: a CombineFnWithContext needs its side inputs
      values.apply("NoViews", Combine.globally(countAbove));
      // @ts-expect-error: a CombineFnWithContext needs its side inputs
      pairs.apply("NoViewsPerKey", Combine.perKey(countAbove));
      // @ts-expect-error: the view must give what the CombineFn reads (a number, not strings)
      values.apply("WrongView", Combine.globally(countAbove, { sideInputs: { threshold: names } }));
      // @ts-expect-error: the view must be declared under the name the CombineFn reads
      values.apply("WrongName", Combine.globally(countAbove, { sideInputs: { limit: threshold } }));
      Combine.globally(
        {
          createAccumulator: () => 0,
          // @ts-expect-error: only the declared side inputs can be read
          addInput: (n, x: number, ctx) => n + x + ctx.sideInputs.other,
          mergeAccumulators: (accs) => [...accs].reduce((a, b) => a + b, 0),
          extractOutput: (n) => n,
        },
        { sideInputs: { threshold } },
      );
      // @ts-expect-error: the fanout is a number of intermediate keys
      Combine.globally(Combiners.sum()).withFanout("4");
    };
    assert.equal(typeof typeOnly, "function");
  });

  it("CombineFns.compose: a part with side inputs makes the composition need them", () => {
    const p = Pipeline.create();
    const threshold = AsSingleton(p.apply("Threshold", Create.of(2)));
    const values = p.apply("Values", Create.of(1, 2, 3));
    const plain = CombineFns.compose<number>().with("sum", Combiners.sum());
    expectType(values.apply("Plain", Combine.globally(plain)))<PCollection<{ readonly sum: number }>>(true);
    const withContext = plain.with("above", countAbove);
    expectType(values.apply("WithContext", Combine.globally(withContext, { sideInputs: { threshold } })))<PCollection<{ readonly sum: number; readonly above: number }>>(true);
    const typeOnly = (): void => {
      // @ts-expect-error: the composition reads a side input, so it must be given
      values.apply("Missing", Combine.globally(withContext));
      // @ts-expect-error: the view must give what its part reads
      values.apply("WrongType", Combine.globally(withContext, { sideInputs: { threshold: AsSingleton(values.map("S", String)) } }));
    };
    assert.equal(typeof typeOnly, "function");
  });
});

describe("CombineValues with side inputs (type-level)", () => {
  it("combines grouped values with a CombineFnWithContext given its views; a plain CombineFn needs none", () => {
    const p = Pipeline.create();
    const grouped = p.apply("Grouped", Create.of(kv("a", [1, 2]))) as PCollection<KV<string, Iterable<number>>>;
    const limit = p.apply("Limit", Create.of(10));
    const capped: CombineFnWithContext<number, number, number, { limit: number }> = {
      createAccumulator: () => 0,
      addInput: (acc, x, ctx) => Math.min(ctx.sideInputs.limit, acc + x),
      mergeAccumulators: (accs, ctx) => Math.min(ctx.sideInputs.limit, [...accs].reduce((a, b) => a + b, 0)),
      extractOutput: (acc) => acc,
    };
    expectType(grouped.apply("Capped", CombineValues.of(capped, { sideInputs: { limit: AsSingleton(limit) } })))<PCollection<KV<string, number>>>(true);
    expectType(grouped.apply("Sum", CombineValues.of(Combiners.sum())))<PCollection<KV<string, number>>>(true);
    const typeOnly = (): void => {
      // @ts-expect-error: a CombineFnWithContext needs its side inputs
      CombineValues.of(capped);
      // @ts-expect-error: the view's type must be the one the fn reads
      CombineValues.of(capped, { sideInputs: { limit: AsSingleton(limit.map("S", String)) } });
    };
    assert.equal(typeof typeOnly, "function");
  });
});
