/**
 * Type-level tests of BatchElements, LogElements and Tee: the element type comes from where the
 * transform is applied (T in, T[] out for BatchElements, T in and out for LogElements and Tee),
 * and elementSizeFn and Tee's consumers must take it. This file fails to COMPILE when inference
 * breaks, and each `@ts-expect-error` line fails to compile when the wrong use it shows stops
 * being an error.
 */
import { strict as assert } from "node:assert";
import { BatchElements, Count, Create, LogElements, Pipeline, Tee, type BatchElementsOptions, type PCollection } from "../../lib";
import { expectType } from "./expect_type";

describe("BatchElements, LogElements and Tee (type-level)", () => {
  it("BatchElements: T in, T[] out; elementSizeFn takes T; options are typed", () => {
    const p = Pipeline.create();
    const words = p.apply(Create.of("a", "bb"));
    expectType(words.apply(BatchElements.of()))<PCollection<string[]>>(true);
    expectType(words.apply("Sized", BatchElements.of({ maxBatchSize: 10, elementSizeFn: (s: string) => s.length })))<PCollection<string[]>>(true);
    expectType(words.apply("Stateful", BatchElements.of({ maxBatchDurationSecs: 5, clock: () => Date.now() / 1000, targetBatchOverhead: null })))<PCollection<string[]>>(true);
    const options: BatchElementsOptions<number> = { minBatchSize: 2, elementSizeFn: (n) => n };
    expectType(p.apply("Numbers", Create.of(1, 2)).apply("Typed", BatchElements.of(options)))<PCollection<number[]>>(true);

    const typeOnly = (): void => {
      // @ts-expect-error: elementSizeFn must take the collection's elements (strings here)
      words.apply("Wrong", BatchElements.of({ elementSizeFn: (n: number) => n }));
      // @ts-expect-error: elementSizeFn returns a number
      BatchElements.of({ elementSizeFn: (s: string) => s });
      // @ts-expect-error: sizes are numbers
      BatchElements.of({ minBatchSize: "10" });
      // @ts-expect-error: Beam's options only (a misspelt one is an error)
      BatchElements.of({ maxBatchSizes: 10 });
    };
    assert.equal(typeof typeOnly, "function");
  });

  it("LogElements and Tee pass T through", () => {
    const p = Pipeline.create();
    const nums = p.apply(Create.of(1, 2));
    expectType(nums.apply(LogElements.of({ prefix: "n=", withTimestamp: true, withWindow: true, level: "info" })))<PCollection<number>>(true);
    expectType(nums.apply(Tee.of((pc: PCollection<number>) => pc.apply(Count.globally()))))<PCollection<number>>(true);

    const typeOnly = (): void => {
      // @ts-expect-error: levels are Beam's (debug, info, warning, error, critical)
      LogElements.of({ level: "verbose" });
      // @ts-expect-error: a Tee consumer must take the collection's elements (numbers here)
      nums.apply("WrongTee", Tee.of((pc: PCollection<string>) => pc));
    };
    assert.equal(typeof typeOnly, "function");
  });
});
