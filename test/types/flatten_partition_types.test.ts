/**
 * Type-level tests of Flatten.pCollections and Partition with side inputs: what each infers with
 * no type arguments, and the wrong uses that must not compile. This file fails to COMPILE when
 * that breaks; wrong uses sit in functions that never run.
 */
import { strict as assert } from "node:assert";
import { AsSingleton, Create, Flatten, Partition, Pipeline, type PCollection } from "../../lib";
import { expectType } from "./expect_type";

describe("Flatten.pCollections, Partition with side inputs (type-level)", () => {
  it("Flatten.pCollections: the element type of its inputs, or the one given for none", () => {
    const p = Pipeline.create();
    const a = p.apply("A", Create.of("x"));
    const b = p.apply("B", Create.of("y"));
    expectType(p.apply(Flatten.pCollections(a, b)))<PCollection<string>>(true);
    expectType(p.apply("None", Flatten.pCollections<number>()))<PCollection<number>>(true);
    const typeOnly = (): void => {
      // @ts-expect-error: a Flatten merges collections of one element type
      p.apply("Mixed", Flatten.pCollections(a, p.apply("N", Create.of(1))));
    };
    assert.equal(typeof typeOnly, "function");
  });

  it("Partition.of with side inputs: the function's third argument holds each view's value, by name", () => {
    const p = Pipeline.create();
    const pass = AsSingleton(p.apply("Pass", Create.of(50)));
    const grades = p.apply("Grades", Create.of(5, 90));
    const parts = grades.apply(
      Partition.of(2, (g, n, sides) => {
        expectType(g)<number>(true);
        expectType(n)<number>(true);
        expectType(sides)<Readonly<{ pass: number }>>(true);
        return g < sides.pass ? 0 : 1;
      }, { sideInputs: { pass } }),
    );
    expectType(parts)<PCollection<number>[]>(true);
    const typeOnly = (): void => {
      // @ts-expect-error: only the declared side inputs are there
      grades.apply("Wrong", Partition.of(2, (g: number, _n, sides) => (g < sides.missing ? 0 : 1), { sideInputs: { pass } }));
    };
    assert.equal(typeof typeOnly, "function");
  });
});
