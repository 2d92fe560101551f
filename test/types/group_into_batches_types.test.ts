/**
 * Type-level tests of GroupIntoBatches (Beam Python's test_output_typehints): the key and value
 * types come from where the transform is applied, through the builder calls, and withShardedKey
 * gives ShardedKey keys. This file fails to COMPILE when inference breaks, and each
 * `@ts-expect-error` line fails to compile when the wrong use it shows stops being an error.
 */
import { strict as assert } from "node:assert";
import { Create, GroupIntoBatches, kv, Pipeline, type KV, type PCollection, type ShardedKey } from "../../lib";
import { expectType } from "./expect_type";

describe("GroupIntoBatches (type-level)", () => {
  it("KV<K, V> in, KV<K, V[]> out, through the builder calls; withShardedKey keys by ShardedKey<K>", () => {
    const p = Pipeline.create();
    const pairs = p.apply(Create.of(kv("a", 1), kv("b", 2)));
    expectType(pairs.apply(GroupIntoBatches.ofSize(10)))<PCollection<KV<string, number[]>>>(true);
    expectType(pairs.apply("Buffered", GroupIntoBatches.ofSize(10).withMaxBufferingDuration(1_000)))<PCollection<KV<string, number[]>>>(true);
    expectType(pairs.apply("Bytes", GroupIntoBatches.ofByteSize(100, (n: number) => n).withSize(3)))<PCollection<KV<string, number[]>>>(true);
    expectType(pairs.apply("Coder", GroupIntoBatches.ofByteSize(100)))<PCollection<KV<string, number[]>>>(true);
    const sharded = pairs.apply("Sharded", GroupIntoBatches.ofSize(10).withShardedKey());
    expectType(sharded)<PCollection<KV<ShardedKey<string>, number[]>>>(true);
    // Beam Python's test_output_typehints: a tuple key stays a tuple key inside the ShardedKey.
    const tupleKeys = p.apply("Tuples", Create.of(kv([1, 2] as [number, number], "a")));
    expectType(tupleKeys.apply(GroupIntoBatches.ofSize(5).withShardedKey()))<PCollection<KV<ShardedKey<[number, number]>, string[]>>>(true);

    const typeOnly = (): void => {
      const numbers = p.apply("Numbers", Create.of(1, 2));
      // @ts-expect-error: GroupIntoBatches batches the values of keyed (KV) elements
      numbers.apply(GroupIntoBatches.ofSize(2));
      // @ts-expect-error: the weigher must take the collection's values (numbers here)
      pairs.apply("Wrong", GroupIntoBatches.ofByteSize(10, (s: string) => s.length));
      // @ts-expect-error: sizes are numbers
      GroupIntoBatches.ofSize("10");
    };
    assert.equal(typeof typeOnly, "function");
  });
});
