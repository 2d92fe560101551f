/**
 * Type-level tests of PeriodicImpulse, from the package entry point: it starts a pipeline (PBegin)
 * and gives instants; its options and builder methods take instants (or Dates) and milliseconds.
 * This file fails to COMPILE when that breaks; wrong uses sit in functions that never run.
 */
import { strict as assert } from "node:assert";
import { AsSingleton, ParDo, PeriodicImpulse, Pipeline, type Instant, type PBegin, type PCollection, type PeriodicImpulseOptions, type PTransform, type SideInput } from "../../lib";
import { expectType } from "./expect_type";

describe("PeriodicImpulse (type-level)", () => {
  it("is a PTransform from PBegin to instants; options and builders keep that", () => {
    const p = Pipeline.create();
    expectType(PeriodicImpulse.create())<PeriodicImpulse>(true);
    const asTransform: PTransform<PBegin, PCollection<Instant>> = PeriodicImpulse.create();
    void asTransform;
    expectType(p.apply("Every minute", PeriodicImpulse.create({ intervalMillis: 60_000 })))<PCollection<Instant>>(true);
    expectType(p.apply("Built", PeriodicImpulse.create().startAt(new Date(0)).stopAt(10_000).withInterval(1000).applyWindowing()))<PCollection<number>>(true);
    const options: PeriodicImpulseOptions = { start: 0, stop: new Date(), intervalMillis: 5, applyWindowing: true };
    const config = p.apply("Options", PeriodicImpulse.create(options)).map("Read", (t: Instant) => ({ version: t }));
    expectType(AsSingleton(config))<SideInput<{ version: number }>>(true);

    const typeOnly = (): void => {
      // @ts-expect-error: the interval is milliseconds, not a duration string
      PeriodicImpulse.create({ intervalMillis: "5s" });
      // @ts-expect-error: a start is an instant or a Date
      PeriodicImpulse.create().startAt("2024-01-01");
      // @ts-expect-error: no such option
      PeriodicImpulse.create({ every: 1000 });
      // @ts-expect-error: its elements are instants
      p.apply("Strings", PeriodicImpulse.create()).apply("Upper", ParDo.of((s: string) => void s.toUpperCase()));
    };
    assert.equal(typeof typeOnly, "function");
  });
});
