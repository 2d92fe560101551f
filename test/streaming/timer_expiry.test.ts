/**
 * An event-time timer may not be set after its window expires (the end of the window plus the
 * allowed lateness): Beam Java's SimpleDoFnRunner refuses it ("Attempted to set event time timer
 * for ... but that is after the expiration of window ..."), since the window's state is gone by
 * then and what onTimer outputs would lie outside its window.
 */
import { strict as assert } from "node:assert";
import { Create, FixedWindows, kv, KV, ParDo, Window } from "../../lib";
import { StatefulDoFn, StatefulProcessContext, TimerContext, TimerSpec } from "../../lib/model/state";
import { runDirect } from "../helpers";
import { collect, Observed } from "./collect";

class FlushAt extends StatefulDoFn<string, number, string> {
  readonly flush = TimerSpec.eventTime("flush");
  constructor(private readonly at: number) {
    super();
  }
  process(_e: KV<string, number>, ctx: StatefulProcessContext<string>): void {
    ctx.timer(this.flush).set(this.at);
  }
  onTimer(_timer: string, ctx: TimerContext<string, string>): void {
    ctx.output(`${ctx.key}@${ctx.timestamp}`);
  }
}

async function run(at: number, allowedLatenessMillis = 0) {
  const out: Observed<string>[] = [];
  const result = await runDirect((p) => {
    const input = p.apply(Create.timestamped([{ value: kv("a", 1), timestamp: 5 }])).apply(Window.into(new FixedWindows(10), { allowedLatenessMillis }));
    collect(input.apply("Flush", ParDo.of(new FlushAt(at))), out);
  });
  await result.waitUntilFinish().catch(() => undefined);
  return { result, out: out.map((o) => `${o.value} ${o.window}`) };
}

describe("Stateful DoFns: event-time timers and window expiry", () => {
  it("fails a timer set after its window expires, naming the transform, the timer and the window", async () => {
    const { result, out } = await run(100);
    assert.equal(result.state, "FAILED");
    assert.match(result.error!.message, /Flush/);
    assert.match(result.error!.message, /timer 'flush'.* 100.*after the expiration of its window 0:10 at 9/);
    assert.deepEqual(out, []);
  });

  it("allows a timer up to the end of the window plus the allowed lateness", async () => {
    assert.deepEqual((await run(9)).out, ["a@9 0:10"]);
    assert.deepEqual((await run(29, 20)).out, ["a@29 0:10"]);
    assert.equal((await run(30, 20)).result.state, "FAILED");
  });
});
