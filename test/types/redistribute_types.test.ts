/**
 * Type-level tests of Redistribute, from the package entry point.
 * This file fails to COMPILE when that breaks; wrong uses sit in functions that never run.
 */
import { strict as assert } from "node:assert";
import { Create, kv, Pipeline, Redistribute, type KV, type PCollection } from "../../lib";
import { expectType } from "./expect_type";

describe("Redistribute (type-level)", () => {
  it("keeps its input's type; byKey takes only KVs", () => {
    const p = Pipeline.create();
    const words = p.apply("Words", Create.of("a", "b"));
    const pairs = p.apply("Pairs", Create.of(kv("a", 1)));
    expectType(words.apply(Redistribute.arbitrarily()))<PCollection<string>>(true);
    expectType(words.apply("Buckets", Redistribute.arbitrarily<string>().withNumBuckets(8).withAllowDuplicates()))<PCollection<string>>(true);
    expectType(pairs.apply(Redistribute.byKey()))<PCollection<KV<string, number>>>(true);
    const typeOnly = (): void => {
      // @ts-expect-error: byKey redistributes KVs
      words.apply("NotKeyed", Redistribute.byKey());
      // @ts-expect-error: the number of buckets is a number
      Redistribute.arbitrarily().withNumBuckets("8");
    };
    assert.equal(typeof typeOnly, "function");
  });
});
