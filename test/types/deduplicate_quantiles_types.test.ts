/**
 * Type-level tests of Deduplicate, Timer.withNoOutputTimestamp and ApproximateQuantiles, from the package entry point.
 * This file fails to COMPILE when that breaks; wrong uses sit in functions that never run.
 */
import { strict as assert } from "node:assert";
import { ApproximateQuantiles, Create, Deduplicate, kv, Pipeline, type KV, type PCollection, type Timer } from "../../lib";
import { expectType } from "./expect_type";

describe("Deduplicate (type-level)", () => {
  it("keeps its input's type; keyedValues takes KVs; withNoOutputTimestamp returns the timer", () => {
    const p = Pipeline.create();
    const events = p.apply("Events", Create.of({ id: 1, body: "x" }));
    expectType(events.apply("Values", Deduplicate.values()))<PCollection<{ id: number; body: string }>>(true);
    expectType(events.apply("ById", Deduplicate.withRepresentativeValueFn((e: { id: number; body: string }) => e.id).withDuration(60_000).withTimeDomain("EVENT_TIME")))<PCollection<{ id: number; body: string }>>(true);
    const pairs = p.apply("Pairs", Create.of(kv("a", 1)));
    expectType(pairs.apply("PerKey", Deduplicate.keyedValues<string, number>()))<PCollection<KV<string, number>>>(true);
    expectType<(t: Timer) => Timer>((t) => t.withNoOutputTimestamp())<(t: Timer) => Timer>(true);

    const typeOnly = (): void => {
      // @ts-expect-error: keyedValues takes KVs
      events.apply("NotKeyed", Deduplicate.keyedValues<string, number>());
      // @ts-expect-error: a time domain is EVENT_TIME or PROCESSING_TIME
      Deduplicate.values().withTimeDomain("WALL_CLOCK");
      // @ts-expect-error: a duration is milliseconds
      Deduplicate.values().withDuration("10m");
    };
    assert.equal(typeof typeOnly, "function");
  });
});

describe("ApproximateQuantiles (type-level)", () => {
  it("gives arrays of the element type, per key as KV<K, V[]>", () => {
    const p = Pipeline.create();
    const nums = p.apply("Nums", Create.of(1, 2, 3));
    expectType(nums.apply("Q", ApproximateQuantiles.globally(5)))<PCollection<number[]>>(true);
    const words = p.apply("Words", Create.of("a", "bb"));
    expectType(words.apply("ByLength", ApproximateQuantiles.globally(3, { compare: (a: string, b: string) => a.length - b.length })))<PCollection<string[]>>(true);
    const pairs = p.apply("Pairs", Create.of(kv("a", 1)));
    expectType(pairs.apply("PerKey", ApproximateQuantiles.perKey<string, number>(2)))<PCollection<KV<string, number[]>>>(true);
    const typeOnly = (): void => {
      // @ts-expect-error: a compare function takes two elements of the input's type
      nums.apply("WrongCompare", ApproximateQuantiles.globally(3, { compare: (a: string, b: string) => a.length - b.length }));
    };
    assert.equal(typeof typeOnly, "function");
  });
});
