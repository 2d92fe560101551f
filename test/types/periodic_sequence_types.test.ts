/**
 * Type-level tests of PeriodicSequence, from the package entry point: it takes a collection of
 * sequence definitions ({ start, stop, intervalMillis }, instants and milliseconds) and gives
 * instants. This file fails to COMPILE when that breaks; wrong uses sit in functions that never run.
 */
import { strict as assert } from "node:assert";
import { Create, PeriodicSequence, Pipeline, type Instant, type PCollection, type PTransform, type SequenceDefinition } from "../../lib";
import { expectType } from "./expect_type";

describe("PeriodicSequence (type-level)", () => {
  it("is a PTransform from sequence definitions to instants", () => {
    const p = Pipeline.create();
    expectType(PeriodicSequence.create())<PeriodicSequence>(true);
    const asTransform: PTransform<PCollection<SequenceDefinition>, PCollection<Instant>> = PeriodicSequence.create();
    void asTransform;
    const defs = p.apply(Create.of<SequenceDefinition>({ start: 0, stop: 10_000, intervalMillis: 1000 }));
    expectType(defs.apply(PeriodicSequence.create()))<PCollection<Instant>>(true);

    const typeOnly = (): void => {
      // @ts-expect-error: its input is sequence definitions, not instants
      p.apply("Instants", Create.of(1, 2)).apply(PeriodicSequence.create());
      // @ts-expect-error: it does not start a pipeline
      p.apply(PeriodicSequence.create());
      // @ts-expect-error: a definition's interval is milliseconds, not a duration string
      const bad: SequenceDefinition = { start: 0, stop: 1, intervalMillis: "1s" };
      void bad;
      // @ts-expect-error: a definition has a stop (Beam Java's `last`, exclusive here as Beam Python's end)
      const noStop: SequenceDefinition = { start: 0, intervalMillis: 1000 };
      void noStop;
    };
    assert.equal(typeof typeOnly, "function");
  });
});
