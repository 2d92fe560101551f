/**
 * Beam's validation of stateful DoFns, as the oracle: Beam Java's DoFnSignatures rejects a DoFn
 * when ParDo.of analyses it ("No callback registered via OnTimer for timer X", "Duplicate
 * StateId"), and Beam Python's validate_stateful_dofn does the same (userstate_test.py
 * test_validation_typos: "has a TimerSpec without an associated on_timer callback"). A mistake in
 * the DoFn fails the pipeline's construction, before any data is read, on every runner.
 */
import { strict as assert } from "node:assert";
import { Create, kv, KV, ParDo, Pipeline } from "../../lib";
import { PipelineConstructionError } from "../../lib/model/errors";
import { StatefulDoFn, StatefulProcessContext, StateSpec, TimerSpec } from "../../lib/model/state";

const expectConstructionError = (apply: () => unknown, ...patterns: RegExp[]): void => {
  assert.throws(apply, (e: Error) => {
    assert(e instanceof PipelineConstructionError, `${e}`);
    for (const p of patterns) assert.match(e.message, p);
    return true;
  });
};

describe("Beam conformance: validation of stateful DoFns at construction", () => {
  it("rejects a DoFn that declares a timer but has no onTimer (Java 'No callback registered via OnTimer')", () => {
    class NoCallback extends StatefulDoFn<string, number, number> {
      readonly expiry = TimerSpec.eventTime("expiry");
      process(_e: KV<string, number>, ctx: StatefulProcessContext<number>): void {
        ctx.timer(this.expiry).set(ctx.window.maxTimestamp());
      }
    }
    const p = Pipeline.create();
    const input = p.apply(Create.of(kv("a", 1)));
    expectConstructionError(() => input.apply("Expire", ParDo.of(new NoCallback())), /'Expire'/, /timer 'expiry'/, /onTimer/);
  });

  it("rejects two state cells with the same name (Java 'Duplicate StateId')", () => {
    class Duplicate extends StatefulDoFn<string, number, number> {
      readonly count = StateSpec.value<number>("foo");
      readonly seen = StateSpec.bag<number>("foo");
      process(e: KV<string, number>, ctx: StatefulProcessContext<number>): void {
        ctx.state(this.count).write(e.value);
        ctx.state(this.seen).add(e.value);
      }
    }
    const p = Pipeline.create();
    const input = p.apply(Create.of(kv("a", 1)));
    expectConstructionError(() => input.apply("Dup", ParDo.of(new Duplicate())), /'Dup'/, /'count' and 'seen'/, /'foo'/);
  });

  it("accepts a stateful DoFn without timers and without onTimer", () => {
    class StateOnly extends StatefulDoFn<string, number, number> {
      readonly count = StateSpec.value<number>("count");
      process(_e: KV<string, number>, ctx: StatefulProcessContext<number>): void {
        ctx.state(this.count).write(1);
      }
    }
    const p = Pipeline.create();
    p.apply(Create.of(kv("a", 1))).apply("Count", ParDo.of(new StateOnly()));
  });
});
