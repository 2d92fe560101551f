/**
 * Type-level tests of CombineFn's optional setup and teardown (Beam Python's CombineFn.setup /
 * teardown): a fn may declare them, with no arguments, on a CombineFn or a CombineFnWithContext.
 * This file fails to COMPILE when that breaks; wrong uses sit in functions that never run.
 */
import { strict as assert } from "node:assert";
import { Combine, type KV, type PCollection, Pipeline, Create, kv } from "../../lib";
import type { CombineFn, CombineFnWithContext } from "../../lib/model/combine_fn";
import { expectType } from "./expect_type";

class PooledSum implements CombineFn<number, number, number> {
  setup(): void {}
  teardown(): void {}
  createAccumulator(): number {
    return 0;
  }
  addInput(a: number, x: number): number {
    return a + x;
  }
  mergeAccumulators(accs: Iterable<number>): number {
    return [...accs].reduce((a, b) => a + b, 0);
  }
  extractOutput(a: number): number {
    return a;
  }
}

describe("CombineFn setup and teardown (type-level)", () => {
  it("a CombineFn or CombineFnWithContext may declare setup and teardown", () => {
    const p = Pipeline.create();
    const pairs = p.apply(Create.of(kv("a", 1)));
    expectType(pairs.apply(Combine.perKey(new PooledSum())))<PCollection<KV<string, number>>>(true);
    const withContext: CombineFnWithContext<number, number, number, { n: number }> = {
      setup: () => undefined,
      teardown: () => undefined,
      createAccumulator: () => 0,
      addInput: (a, x, ctx) => a + x + ctx.sideInputs.n,
      mergeAccumulators: (accs) => [...accs].reduce((a, b) => a + b, 0),
      extractOutput: (a) => a,
    };
    const typeOnly = (): void => {
      // @ts-expect-error: setup takes no arguments
      const withArgs: CombineFn<number, number, number> = { ...new PooledSum(), createAccumulator: () => 0, addInput: (a, x) => a + x, mergeAccumulators: () => 0, extractOutput: (a) => a, setup: (_n: number) => undefined };
      // @ts-expect-error: teardown is a method, not a value
      const notMethod: CombineFn<number, number, number> = { createAccumulator: () => 0, addInput: (a, x) => a + x, mergeAccumulators: () => 0, extractOutput: (a) => a, teardown: true };
      void withArgs;
      void notMethod;
    };
    assert.equal(typeof typeOnly, "function");
    assert.equal(typeof withContext.setup, "function");
  });
});
