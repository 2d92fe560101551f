/**
 * ToString against Beam's own tests as the oracle: Beam Java's ToStringTest and Beam Python's
 * util_test.py ToStringTest, with Beam's expected outputs.
 */
import { strict as assert } from "node:assert";
import { Create, kv, PipelineConstructionError, ToString, type KV, type PBegin, type PCollection, type PTransform } from "../../lib";
import { outputsOf } from "./beam_helpers";

/** The outputs of `transform` over `source`, sorted. */
async function run<I>(source: PTransform<PBegin, PCollection<I>>, transform: PTransform<PCollection<I>, PCollection<string>>): Promise<string[]> {
  const out = await outputsOf(source, (pc) => pc.apply(transform));
  return out.map((o) => o.value).sort();
}

describe("Beam ToString (ToStringTest.java, util_test.py ToStringTest)", () => {
  const pairs = (): PTransform<PBegin, PCollection<KV<string, number>>> => Create.of(kv("one", 1), kv("two", 2));
  const lists = (): PTransform<PBegin, PCollection<string[]>> => Create.of(["one", "two", "three"], ["four", "five", "six"]);

  it("testToStringOf, test_tostring_elements", async () => {
    assert.deepEqual(await run(Create.of(1, 2, 3, 4, 5), ToString.elements()), ["1", "2", "3", "4", "5"]);
    assert.deepEqual(await run(Create.of(1, 1, 2, 3), ToString.elements()), ["1", "1", "2", "3"]);
  });

  it("testToStringKV, testToStringKVWithDelimiter, test_tostring_kvs_empty_delimeter", async () => {
    assert.deepEqual(await run(pairs(), ToString.kvs()), ["one,1", "two,2"]);
    assert.deepEqual(await run(pairs(), ToString.kvs("\t")), ["one\t1", "two\t2"]);
    assert.deepEqual(await run(pairs(), ToString.kvs("")), ["one1", "two2"]);
  });

  it("testToStringIterable, testToStringIterableWithDelimiter: no trailing delimiter", async () => {
    assert.deepEqual(await run(lists(), ToString.iterables()), ["four,five,six", "one,two,three"]);
    assert.deepEqual(await run(lists(), ToString.iterables("\t")), ["four\tfive\tsix", "one\ttwo\tthree"]);
    assert.deepEqual(await run(Create.of<number[]>([], [7]), ToString.iterables()), ["", "7"]);
  });

  it("values without a toString of their own are written as JSON, not [object Object]", async () => {
    assert.deepEqual(await run(Create.of<unknown>({ a: 1 }, null, true, 1.5, "s"), ToString.elements()), ["1.5", "null", "s", "true", '{"a":1}']);
    assert.deepEqual(await run(Create.of(kv({ id: 1 }, [1, 2])), ToString.kvs("=")), ['{"id":1}=1,2']);
  });

  it("a delimiter that is not a string is refused when the transform is made", () => {
    assert.throws(() => ToString.kvs(1 as unknown as string), (e: Error) => e instanceof PipelineConstructionError && /ToString\.kvs: the delimiter must be a string, got 1/.test(e.message));
  });
});
