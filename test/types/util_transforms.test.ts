/**
 * Type-level tests of CoGroupByKey, KvSwap, WithTimestamps, Latest and Sample: what each
 * infers from its inputs with no type arguments, and the wrong uses that must not compile (inputs
 * of different key types, a non-collection input, a timestamp that is not a number). This file
 * fails to COMPILE when that breaks; wrong uses sit in functions that never run.
 */
import { strict as assert } from "node:assert";
import { CoGroupByKey, Create, KvSwap, kv, Latest, Pipeline, Sample, WithTimestamps, type KV, type PCollection } from "../../lib";
import { expectType } from "./expect_type";

describe("CoGroupByKey, KvSwap, WithTimestamps, Latest, Sample (type-level)", () => {
  it("CoGroupByKey: a record of keyed inputs gives one array per tag, typed per input", () => {
    const p = Pipeline.create();
    const emails = p.apply("Emails", Create.of(kv("amy", "amy@example.com")));
    const phones = p.apply("Phones", Create.of(kv("amy", 5550100)));
    const joined = p.apply("Join", CoGroupByKey.of({ emails, phones }));
    expectType(joined)<PCollection<KV<string, { emails: string[]; phones: number[] }>>>(true);
    const counts = joined.map("Count", (e) => `${e.key}: ${e.value.emails.length} emails, ${e.value.phones.length} phones`);
    expectType(counts)<PCollection<string>>(true);
    const one = p.apply("One", CoGroupByKey.of({ only: emails }));
    expectType(one)<PCollection<KV<string, { only: string[] }>>>(true);

    const typeOnly = (): void => {
      const ids = p.apply("Ids", Create.of(kv(7, "seven")));
      // @ts-expect-error: the inputs must share one key type (string and number here)
      CoGroupByKey.of({ emails, ids });
      // @ts-expect-error: an input must be a keyed PCollection
      CoGroupByKey.of({ emails, count: 3 });
      const words = p.apply("Words", Create.of("a", "b"));
      // @ts-expect-error: an input must be a PCollection of KVs
      CoGroupByKey.of({ emails, words });
      // @ts-expect-error: a tag's values have its input's value type
      joined.map("Wrong", (e) => e.value.phones.map((n: string) => n));
      // @ts-expect-error: there is no array for a tag that was not an input
      joined.map("Missing", (e) => e.value.names);
    };
    assert.equal(typeof typeOnly, "function");
  });

  it("CoGroupByKey: a list of keyed inputs gives one array per input, in order (Python's tuple form)", () => {
    const p = Pipeline.create();
    const emails = p.apply("Emails", Create.of(kv("amy", "amy@example.com")));
    const phones = p.apply("Phones", Create.of(kv("amy", 5550100)));
    const joined = p.apply("Join", CoGroupByKey.of([emails, phones]));
    expectType(joined)<PCollection<KV<string, [string[], number[]]>>>(true);
    const one = p.apply("One", CoGroupByKey.of([phones]));
    expectType(one)<PCollection<KV<string, [number[]]>>>(true);

    const typeOnly = (): void => {
      const ids = p.apply("Ids", Create.of(kv(7, "seven")));
      // @ts-expect-error: the inputs must share one key type (string and number here)
      CoGroupByKey.of([emails, ids]);
      // @ts-expect-error: an input must be a keyed PCollection
      CoGroupByKey.of([emails, 3]);
      // @ts-expect-error: each position has its input's value type
      joined.map("Wrong", (e) => e.value[1].map((n: string) => n));
      // @ts-expect-error: there is no third input
      joined.map("Missing", (e) => e.value[2].length);
    };
    assert.equal(typeof typeOnly, "function");
  });

  it("KvSwap, WithTimestamps, Latest, Sample infer from where they are applied", () => {
    const p = Pipeline.create();
    const pairs = p.apply("Pairs", Create.of(kv("a", 1)));
    expectType(pairs.apply(KvSwap.create()))<PCollection<KV<number, string>>>(true);
    const events = p.apply("Events", Create.of({ id: "e1", time: 5 }));
    const stamped = events.apply(WithTimestamps.of((e) => e.time));
    expectType(stamped)<PCollection<{ id: string; time: number }>>(true);
    expectType(events.apply("Skewed", WithTimestamps.of((e: { time: number }) => e.time).withAllowedTimestampSkew(1000)))<PCollection<{ time: number }>>(true);
    expectType(events.apply("Latest", Latest.globally()))<PCollection<{ id: string; time: number } | undefined>>(true);
    expectType(events.apply("LatestNoDefault", Latest.globally({ withoutDefaults: true })))<PCollection<{ id: string; time: number }>>(true);
    const withoutDefaults: boolean = events.isBounded;
    expectType(events.apply("LatestEither", Latest.globally({ withoutDefaults })))<PCollection<{ id: string; time: number } | undefined>>(true);
    expectType(pairs.apply("LatestPerKey", Latest.perKey()))<PCollection<KV<string, number>>>(true);
    expectType(events.apply("Sample", Sample.fixedSizeGlobally(2)))<PCollection<{ id: string; time: number }[]>>(true);
    expectType(pairs.apply("SamplePerKey", Sample.fixedSizePerKey(2)))<PCollection<KV<string, number[]>>>(true);
    expectType(events.apply("Any", Sample.any(2)))<PCollection<{ id: string; time: number }>>(true);

    const typeOnly = (): void => {
      // @ts-expect-error: a timestamp is epoch milliseconds, not a Date
      events.apply("DateStamp", WithTimestamps.of((e: { time: number }) => new Date(e.time)));
      // @ts-expect-error: Latest.perKey and KvSwap need KVs
      events.apply("NotKeyed", Latest.perKey());
      // @ts-expect-error: KvSwap needs KVs
      events.apply("NotKeyedSwap", KvSwap.create());
    };
    assert.equal(typeof typeOnly, "function");
  });
});
