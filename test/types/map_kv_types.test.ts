/**
 * Type-level tests of MapKeys and MapValues, and their withExceptionHandling: the half not mapped
 * takes its type from where the transform is applied, and failures hold the whole input KV.
 * This file fails to COMPILE when that breaks; wrong uses sit in functions that never run.
 */
import { strict as assert } from "node:assert";
import { Create, kv, MapKeys, MapValues, Pipeline, type FailedElement, type KV, type PCollection } from "../../lib";
import { expectType } from "./expect_type";

describe("MapKeys, MapValues (type-level)", () => {
  it("map one half of each KV and keep the other's type; { main, failed } with the input KV in failed", () => {
    const p = Pipeline.create();
    const pairs = p.apply("Pairs", Create.of(kv(1, "one"), kv(2, "two")));
    expectType(pairs.apply("Keys", MapKeys.via((k: number) => `id-${k}`)))<PCollection<KV<string, string>>>(true);
    expectType(pairs.apply("Values", MapValues.via((v: string) => v.length)))<PCollection<KV<number, number>>>(true);
    const keys = pairs.apply("ParseKeys", MapKeys.via((k: number) => BigInt(k)).withExceptionHandling({ errorClass: RangeError }));
    expectType(keys.main)<PCollection<KV<bigint, string>>>(true);
    expectType(keys.failed)<PCollection<FailedElement<KV<number, string>>>>(true);
    const values = pairs.apply("ParseValues", MapValues.via((v: string): unknown => JSON.parse(v)).withExceptionHandling());
    expectType(values.main)<PCollection<KV<number, unknown>>>(true);
    expectType(values.failed)<PCollection<FailedElement<KV<number, string>>>>(true);
    const messages = values.failed.map("Messages", (f) => `${f.errorName ?? "thrown"}: ${f.message}`);
    expectType(messages)<PCollection<string>>(true);

    const typeOnly = (): void => {
      // @ts-expect-error: the function's input type must be the keys' type
      pairs.apply("WrongKey", MapKeys.via((k: string) => k.length));
      // @ts-expect-error: the function's input type must be the values' type
      pairs.apply("WrongValue", MapValues.via((v: number) => v + 1));
      const words = p.apply("Words", Create.of("a"));
      // @ts-expect-error: MapKeys needs KVs
      words.apply("NotKeyed", MapKeys.via((k: string) => k));
      // @ts-expect-error: onFailure is given the input KV
      MapValues.via((v: string) => v.length).withExceptionHandling<string>({ onFailure: (_e, element: number) => element });
    };
    assert.equal(typeof typeOnly, "function");
  });
});
