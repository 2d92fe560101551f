/**
 * Type-level tests of ApproximateUnique and approximateUniqueFn, from the package entry point.
 * This file fails to COMPILE when that breaks; wrong uses sit in functions that never run.
 */
import { strict as assert } from "node:assert";
import { ApproximateUnique, approximateUniqueFn, Combine, Create, kv, Pipeline, type ApproximateUniqueAccumulator, type CombineFn, type KV, type PCollection } from "../../lib";
import { StringUtf8Coder } from "../../lib/coders/primitive";
import { expectType } from "./expect_type";

describe("ApproximateUnique (type-level)", () => {
  it("estimates are numbers, per key as KV<K, number>; a sample size, { size } or { error }, not both", () => {
    const p = Pipeline.create();
    const words = p.apply("Words", Create.of("a", "b", "a"));
    expectType(words.apply("BySize", ApproximateUnique.globally(16)))<PCollection<number>>(true);
    expectType(words.apply("BySizeOption", ApproximateUnique.globally({ size: 100 })))<PCollection<number>>(true);
    expectType(words.apply("ByError", ApproximateUnique.globally({ error: 0.05, withoutDefaults: true })))<PCollection<number>>(true);
    const pairs = p.apply("Pairs", Create.of(kv("page", "user")));
    expectType(pairs.apply("PerKey", ApproximateUnique.perKey<string, string>({ error: 0.1 })))<PCollection<KV<string, number>>>(true);
    // The key type is inferred from where it is applied.
    expectType(pairs.apply("PerKeyInferred", ApproximateUnique.perKey(16)))<PCollection<KV<string, number>>>(true);
    expectType(approximateUniqueFn<string>(16, StringUtf8Coder.INSTANCE))<CombineFn<string, ApproximateUniqueAccumulator, number>>(true);
    expectType(pairs.apply("ViaCombine", Combine.perKey(approximateUniqueFn<string>(1000))))<PCollection<KV<string, number>>>(true);

    const typeOnly = (): void => {
      // @ts-expect-error: exactly one of size and error (Beam's "Either size or error should be set")
      ApproximateUnique.globally({ size: 16, error: 0.1 });
      // @ts-expect-error: one of them is needed
      ApproximateUnique.globally({});
      // @ts-expect-error: perKey takes no withoutDefaults (a key with no values has no output anyway)
      ApproximateUnique.perKey({ size: 16, withoutDefaults: true });
      // @ts-expect-error: perKey takes KVs
      words.apply("NotKeyed", ApproximateUnique.perKey<string, string>(16));
      // @ts-expect-error: the coder encodes the elements hashed
      approximateUniqueFn<number>(16, StringUtf8Coder.INSTANCE);
    };
    assert.equal(typeof typeOnly, "function");
  });
});
