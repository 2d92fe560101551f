/**
 * The DirectRunner's in-memory state forgets a key and window whose state and timers were all
 * cleared, at the end of the bundle (as Beam Java's DirectRunner drops empty state at commit),
 * instead of keeping an empty slot until the window expires. A DoFn keyed per element (the
 * DirectRunner's splittable DoFns: one key per restriction, kept until the input ends) would
 * otherwise hold one slot per element it ever saw.
 */
import { strict as assert } from "node:assert";
import { kv, type KV } from "../../lib";
import { MetricsContainer } from "../../lib/model/metrics";
import { defaultOptions } from "../../lib/model/options";
import { StatefulDoFn, type StatefulProcessContext, StateSpec, type TimerContext, TimerSpec } from "../../lib/model/state";
import { GLOBAL_WINDOWS, NO_FIRING } from "../../lib/model/window";
import { deterministicKeyCoder } from "../../runners/executor/default_coders";
import { InMemoryStateAndTimers } from "../../runners/executor/in_memory_state";
import { DISCARD } from "../../runners/executor/receiver";
import { type AnyStatefulDoFn, StatefulParDoOperator } from "../../runners/executor/stateful_operator";
import { statefulTimeAware } from "../../runners/streaming/graph";

/** Keeps an element until its processing-time timer fires, then forgets it. */
class HoldThenForget extends StatefulDoFn<string, number, number> {
  readonly held = StateSpec.value<number>("held");
  readonly release = TimerSpec.processingTime("release");
  process(e: KV<string, number>, ctx: StatefulProcessContext<number>): void {
    ctx.state(this.held).write(e.value);
    ctx.timer(this.release).offset(10);
  }
  onTimer(_: string, ctx: TimerContext<string, number>): void {
    ctx.output(ctx.state(this.held).read()!);
    ctx.state(this.held).clear();
  }
}

describe("Streaming DirectRunner: state of a key and window that was all cleared", () => {
  it("is forgotten at the end of the bundle; a slot with state or timers stays", async () => {
    const runtime = { options: defaultOptions(), runId: "t", transformName: "S", reportOutputs: () => undefined };
    const state = new InMemoryStateAndTimers(deterministicKeyCoder(), 0);
    const op = new StatefulParDoOperator("S", new HoldThenForget() as unknown as AnyStatefulDoFn, new Map([["main", DISCARD]]), undefined, new MetricsContainer("S"), runtime, { state, timers: state }, 0);
    const timers = statefulTimeAware(state, op);
    await op.startBundle();
    for (const k of ["a", "b", "c"]) await op.receive(kv(k, 1), { timestamp: 0, windows: GLOBAL_WINDOWS, pane: NO_FIRING });
    await op.finishBundle();
    assert.equal(state.slotCount, 3, "each key holds a value and a timer");
    await op.startBundle();
    await timers.advance({ inputWatermark: 0, processingTime: 10 });
    await op.finishBundle();
    assert.equal(state.slotCount, 0, "fired and cleared: nothing left to keep");
  });
});
