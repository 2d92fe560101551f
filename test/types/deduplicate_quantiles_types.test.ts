/**
 * Type-level tests of Deduplicate, Timer.withNoOutputTimestamp and ApproximateQuantiles, from the package entry point.
 * This file fails to COMPILE when that breaks; wrong uses sit in functions that never run.
 */
import { strict as assert } from "node:assert";
import { ApproximateQuantiles, Create, Deduplicate, kv, Pipeline, type DeduplicateDurations, type DeduplicateValues, type KV, type PCollection, type Timer } from "../../lib";
import { expectType } from "./expect_type";

describe("Deduplicate (type-level)", () => {
  it("keeps its input's type; keyedValues takes KVs; withNoOutputTimestamp returns the timer", () => {
    const p = Pipeline.create();
    const events = p.apply("Events", Create.of({ id: 1, body: "x" }));
    expectType(events.apply("Values", Deduplicate.values()))<PCollection<{ id: number; body: string }>>(true);
    expectType(events.apply("ById", Deduplicate.withRepresentativeValueFn((e: { id: number; body: string }) => e.id).withDuration(60_000).withTimeDomain("EVENT_TIME")))<PCollection<{ id: number; body: string }>>(true);
    const pairs = p.apply("Pairs", Create.of(kv("a", 1)));
    expectType(pairs.apply("PerKey", Deduplicate.keyedValues<string, number>()))<PCollection<KV<string, number>>>(true);
    // Beam Python's form: Deduplicate(processing_time_duration=..., event_time_duration=...) and DeduplicatePerKey.
    expectType(events.apply("Py", Deduplicate.of<{ id: number; body: string }>({ processingTimeDuration: 600_000, eventTimeDuration: 60_000 })))<PCollection<{ id: number; body: string }>>(true);
    expectType(pairs.apply("PyPerKey", Deduplicate.perKey<string, number>({ eventTimeDuration: 60_000 })))<PCollection<KV<string, number>>>(true);
    const durations: DeduplicateDurations = { processingTimeDuration: 1 };
    expectType(Deduplicate.values<string>().withDurations(durations))<DeduplicateValues<string>>(true);
    expectType<(t: Timer) => Timer>((t) => t.withNoOutputTimestamp())<(t: Timer) => Timer>(true);

    const typeOnly = (): void => {
      // @ts-expect-error: keyedValues takes KVs
      events.apply("NotKeyed", Deduplicate.keyedValues<string, number>());
      // @ts-expect-error: a time domain is EVENT_TIME or PROCESSING_TIME
      Deduplicate.values().withTimeDomain("WALL_CLOCK");
      // @ts-expect-error: a duration is milliseconds
      Deduplicate.values().withDuration("10m");
      // @ts-expect-error: Python's durations are named processingTimeDuration / eventTimeDuration
      Deduplicate.of({ processing_time_duration: 600 });
      // @ts-expect-error: perKey takes KVs
      events.apply("NotKeyedPy", Deduplicate.perKey<string, number>({ eventTimeDuration: 1 }));
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
    // Beam Python's options: key and reverse, [value, weight] inputs, batches, weighted batches.
    expectType(words.apply("ByKey", ApproximateQuantiles.globally(3, { key: (w: string) => w.length, reverse: true })))<PCollection<string[]>>(true);
    const weighted = p.apply("Weighted", Create.of([1.5, 2] as const, [3, 0.5] as const));
    expectType(weighted.apply("W", ApproximateQuantiles.globally<number>(5, { weighted: true })))<PCollection<number[]>>(true);
    const batches = p.apply("Batches", Create.of([1, 2, 3], [4, 5]));
    expectType(batches.apply("B", ApproximateQuantiles.globally<number>(5, { inputBatched: true })))<PCollection<number[]>>(true);
    const weightedBatches = p.apply("WB", Create.of([[1, 2], [1, 1]] as const));
    expectType(weightedBatches.apply("WBQ", ApproximateQuantiles.globally<number>(5, { weighted: true, inputBatched: true })))<PCollection<number[]>>(true);
    const weightedPairs = p.apply("WP", Create.of(kv("a", [1, 0.5] as const)));
    expectType(weightedPairs.apply("WPK", ApproximateQuantiles.perKey<string, number>(2, { weighted: true })))<PCollection<KV<string, number[]>>>(true);
    const typeOnly = (): void => {
      // @ts-expect-error: a compare function takes two elements of the input's type
      nums.apply("WrongCompare", ApproximateQuantiles.globally(3, { compare: (a: string, b: string) => a.length - b.length }));
      // @ts-expect-error: weighted inputs are [value, weight] pairs, not plain numbers
      nums.apply("NotWeighted", ApproximateQuantiles.globally<number>(3, { weighted: true }));
      // @ts-expect-error: batched inputs are arrays
      nums.apply("NotBatched", ApproximateQuantiles.globally<number>(3, { inputBatched: true }));
      // @ts-expect-error: a key maps to a number, bigint, string or an array of them
      words.apply("BadKey", ApproximateQuantiles.globally(3, { key: (w: string) => ({ w }) }));
    };
    assert.equal(typeof typeOnly, "function");
  });
});
