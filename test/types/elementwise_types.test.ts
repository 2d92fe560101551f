/**
 * Type-level tests of MapElements, FlatMapElements and Filter, and their withExceptionHandling.
 * This file fails to COMPILE when that breaks; wrong uses sit in functions that never run.
 */
import { strict as assert } from "node:assert";
import { Create, Filter, FlatMapElements, MapElements, Pipeline, type FailedElement, type PCollection } from "../../lib";
import { expectType } from "./expect_type";

describe("MapElements, FlatMapElements, Filter (type-level)", () => {
  it("give the function's output type, and { main, failed } with the input type in failed", () => {
    const p = Pipeline.create();
    const words = p.apply("Words", Create.of("a", "bb"));
    expectType(words.apply("Len", MapElements.via((w: string) => w.length)))<PCollection<number>>(true);
    expectType(words.apply("Chars", FlatMapElements.via((w: string) => w.split(""))))<PCollection<string>>(true);
    expectType(words.apply("Long", Filter.by((w: string) => w.length > 1)))<PCollection<string>>(true);
    const parsed = words.apply("Parse", MapElements.via((w: string) => Number(w)).withExceptionHandling({ partial: true }));
    expectType(parsed.main)<PCollection<number>>(true);
    expectType(parsed.failed)<PCollection<FailedElement<string>>>(true);
    const chars = words.apply("Chars2", FlatMapElements.via((w: string) => new Set(w)).withExceptionHandling());
    expectType(chars.main)<PCollection<string>>(true);
    expectType(words.apply("Long2", Filter.by((w: string) => w.length > 1).withExceptionHandling()).main)<PCollection<string>>(true);
    const typeOnly = (): void => {
      const nums = p.apply("Nums", Create.of(1, 2));
      // @ts-expect-error: the function's input type must be the collection's
      nums.apply("Wrong", MapElements.via((w: string) => w.length));
      // @ts-expect-error: a flatMap function returns an iterable
      FlatMapElements.via((n: number) => n);
      // @ts-expect-error: errorClass takes error classes
      Filter.by((n: number) => n > 0).withExceptionHandling({ errorClass: "RangeError" });
    };
    assert.equal(typeof typeOnly, "function");
  });
});
