/**
 * Type-level tests of timer families: `TimerSpec.eventTimeFamily` / `processingTimeFamily`
 * declare a TimerFamilySpec, `ctx.timer(family, tag)` needs a string tag and a plain TimerSpec
 * takes none, and onTimer's context has the fired timer's tag; `requiresTimeSortedInput` (stateful
 * DoFns) and `requiresStableInput` (any DoFn) are booleans. This file fails to COMPILE when a
 * type breaks, and each `@ts-expect-error` line fails to compile when the wrong use it shows stops
 * being an error. Wrong uses sit in functions that never run: only their types matter.
 */
import { strict as assert } from "node:assert";
import { DoFn, StatefulDoFn, TimerSpec, type KV, type ProcessContext, type StatefulProcessContext, type Timer, type TimerContext, type TimerFamilySpec } from "../../lib";
import { expectType } from "./expect_type";

class Families extends StatefulDoFn<string, number, string> {
  readonly perId = TimerSpec.eventTimeFamily("perId");
  readonly idle = TimerSpec.processingTimeFamily("idle");
  readonly flush = TimerSpec.eventTime("flush");
  process(e: KV<string, number>, ctx: StatefulProcessContext<string>): void {
    expectType(ctx.timer(this.perId, `id${e.value}`))<Timer>(true);
    ctx.timer(this.perId, "a").withOutputTimestamp(ctx.timestamp).set(ctx.timestamp + 10);
    ctx.timer(this.idle, "a").offset(1_000);
    ctx.timer(this.flush).set(ctx.window.maxTimestamp());

    const typeOnly = (): void => {
      // @ts-expect-error: a family's timers are told apart by a tag
      ctx.timer(this.perId);
      // @ts-expect-error: a plain timer has no tags
      ctx.timer(this.flush, "a");
      // @ts-expect-error: tags are strings
      ctx.timer(this.perId, 1);
      // @ts-expect-error: a family spec is not a plain TimerSpec
      const plain: TimerSpec = this.perId;
      void plain;
      // @ts-expect-error: nor the other way round
      const family: TimerFamilySpec = this.flush;
      void family;
    };
    void typeOnly;
  }
  onTimer(timer: string, ctx: TimerContext<string, string>): void {
    expectType(ctx.timerTag)<string>(true);
    if (timer === "perId") ctx.timer(this.perId, ctx.timerTag).clear();
    const typeOnly = (): void => {
      // @ts-expect-error: the tag is read-only
      ctx.timerTag = "x";
    };
    void typeOnly;
  }
}

class Sorted extends StatefulDoFn<string, number, number> {
  readonly requiresTimeSortedInput = true;
  process(e: KV<string, number>, ctx: StatefulProcessContext<number>): void {
    ctx.output(e.value);
  }
}

class Stable extends DoFn<number, number> {
  readonly requiresStableInput = true;
  process(n: number, ctx: ProcessContext<number>): void {
    ctx.output(n);
  }
}

const wrongFlags = (): void => {
  class NotABoolean extends StatefulDoFn<string, number, number> {
    // @ts-expect-error: a flag, not a string
    readonly requiresTimeSortedInput = "yes";
    process(): void {}
  }
  class NotStateful extends DoFn<number, number> {
    process(): void {}
  }
  // @ts-expect-error: time-sorted input is per key: only a StatefulDoFn declares it
  new NotStateful().requiresTimeSortedInput;
  void NotABoolean;
};
void wrongFlags;

describe("timer families (type-level)", () => {
  it("requiresTimeSortedInput and requiresStableInput are boolean flags", () => {
    expectType(new Sorted().requiresTimeSortedInput)<boolean>(true);
    expectType(new Stable().requiresStableInput)<boolean>(true);
  });

  it("TimerSpec.eventTimeFamily / processingTimeFamily declare TimerFamilySpecs", () => {
    expectType(TimerSpec.eventTimeFamily("f"))<TimerFamilySpec>(true);
    expectType(TimerSpec.processingTimeFamily("f"))<TimerFamilySpec>(true);
    expectType(TimerSpec.eventTime("t"))<TimerSpec>(true);
    assert.deepEqual(TimerSpec.processingTimeFamily("f"), { name: "f", domain: "PROCESSING_TIME", family: true });
    assert.ok(new Families());
  });
});
