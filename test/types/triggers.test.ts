/**
 * Type-level tests of triggers: a trigger is plain data (a discriminated union), so the tree a
 * function builds can be inspected by narrowing on `kind`, and composites take triggers only.
 * This file fails to COMPILE when the types break, and each `@ts-expect-error` line fails to
 * compile when the wrong use it shows stops being an error. Wrong uses sit in functions that
 * never run: only their types matter.
 */
import { strict as assert } from "node:assert";
import { AfterCount, AfterProcessingTime, AfterWatermark, FixedWindows, OrFinally, Repeatedly, Window, type AfterProcessingTimeOptions, type Trigger } from "../../lib";
import { expectType } from "./expect_type";

describe("triggers (type-level)", () => {
  it("OrFinally(main, finally) is a Trigger whose two parts are read back by narrowing on kind", () => {
    const t = OrFinally(Repeatedly(AfterCount(1)), AfterWatermark());
    expectType(t)<Trigger>(true);
    if (t.kind !== "orFinally") assert.fail("OrFinally builds an orFinally node");
    expectType(t.main)<Trigger>(true);
    expectType(t.finally)<Trigger>(true);
    assert.equal(t.finally.kind, "afterWatermark");
    // It goes wherever a trigger does.
    assert.ok(Window.into(new FixedWindows(10), { trigger: t }));

    const typeOnly = (): void => {
      // @ts-expect-error: the finally trigger is required (Beam Java's orFinally(until), Python's OrFinally(main, finally))
      OrFinally(Repeatedly(AfterCount(1)));
      // @ts-expect-error: a count is not a trigger (AfterCount(10) is)
      OrFinally(Repeatedly(AfterCount(1)), 10);
      // @ts-expect-error: the node is read-only plain data
      t.main = AfterCount(2);
    };
    void typeOnly;
  });

  it("AfterProcessingTime takes an optional alignment: a period and an optional offset", () => {
    const t = AfterProcessingTime(1000, { alignedTo: { periodMillis: 60_000 } });
    expectType(t)<Trigger>(true);
    if (t.kind !== "afterProcessingTime") assert.fail("AfterProcessingTime builds an afterProcessingTime node");
    assert.deepEqual(t.alignedTo, { periodMillis: 60_000, offsetMillis: 0 });
    const options: AfterProcessingTimeOptions = { alignedTo: { periodMillis: 5, offsetMillis: 27 } };
    assert.ok(AfterProcessingTime(0, options));

    const typeOnly = (): void => {
      // @ts-expect-error: the period is required
      AfterProcessingTime(0, { alignedTo: { offsetMillis: 27 } });
      // @ts-expect-error: a period is a number of milliseconds
      AfterProcessingTime(0, { alignedTo: { periodMillis: "1m" } });
    };
    void typeOnly;
  });
});
