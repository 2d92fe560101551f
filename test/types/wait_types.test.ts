/**
 * Type-level tests of Wait.on, from the package entry point.
 * This file fails to COMPILE when that breaks; wrong uses sit in functions that never run.
 */
import { strict as assert } from "node:assert";
import { Create, kv, Pipeline, Wait, type KV, type PCollection, type WaitOnSignals } from "../../lib";
import { expectType } from "./expect_type";

describe("Wait.on (type-level)", () => {
  it("keeps its input's type whatever the signals' types; the element type comes from where it is applied", () => {
    const p = Pipeline.create();
    const rows = p.apply("Rows", Create.of({ id: 1 }));
    const writes = p.apply("Writes", Create.of(kv("t", 1)));
    const counts = p.apply("Counts", Create.of(3));
    expectType(rows.apply(Wait.on(writes)))<PCollection<{ id: number }>>(true);
    expectType(rows.apply("Both", Wait.on(writes, counts)))<PCollection<{ id: number }>>(true);
    expectType(Wait.on<string>(counts))<WaitOnSignals<string>>(true);
    expectType(writes.apply("Pairs", Wait.on(rows)))<PCollection<KV<string, number>>>(true);
    const typeOnly = (): void => {
      // @ts-expect-error: signals are collections
      Wait.on([1, 2]);
      // @ts-expect-error: an explicit element type must be the input's
      rows.apply("Wrong", Wait.on<string>(writes));
    };
    assert.equal(typeof typeOnly, "function");
  });
});
