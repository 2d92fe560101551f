/**
 * An event-time timer may not be set after its window expires (the end of the window plus the
 * allowed lateness): Beam Java's SimpleDoFnRunner refuses it ("Attempted to set event time timer
 * for ... but that is after the expiration of window ..."), since the window's state is gone by
 * then and what onTimer outputs would lie outside its window. A relative timer (`offset`) past
 * the expiry is instead moved to it (SimpleDoFnRunner / FnApiDoFnRunner minTargetAndGcTime).
 * The expiry never passes the global window's end (LateDataUtils.garbageCollectionTime).
 */
import { strict as assert } from "node:assert";
import { Create, FixedWindows, GLOBAL_WINDOW_MAX_TIMESTAMP, GlobalWindows, kv, KV, ParDo, Window } from "../../lib";
import { StatefulDoFn, StatefulProcessContext, TimerContext, TimerSpec } from "../../lib/model/state";
import { runDirect } from "../helpers";
import { collect, Observed } from "./collect";

class FlushAt extends StatefulDoFn<string, number, string> {
  readonly flush = TimerSpec.eventTime("flush");
  constructor(
    private readonly at: number,
    private readonly relative = false,
  ) {
    super();
  }
  process(_e: KV<string, number>, ctx: StatefulProcessContext<string>): void {
    if (this.relative) ctx.timer(this.flush).offset(this.at);
    else ctx.timer(this.flush).set(this.at);
  }
  onTimer(_timer: string, ctx: TimerContext<string, string>): void {
    ctx.output(`${ctx.key}@${ctx.timestamp}`);
  }
}

async function run(at: number, allowedLatenessMillis = 0, options: { relative?: boolean; global?: boolean } = {}) {
  const out: Observed<string>[] = [];
  const result = await runDirect((p) => {
    const windowFn = options.global === true ? new GlobalWindows() : new FixedWindows(10);
    const input = p.apply(Create.timestamped([{ value: kv("a", 1), timestamp: 5 }])).apply(Window.into(windowFn, { allowedLatenessMillis }));
    collect(input.apply("Flush", ParDo.of(new FlushAt(at, options.relative))), out);
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

  it("moves a relative timer (offset) past the expiry to the expiry, as Beam's setRelative does", async () => {
    assert.deepEqual((await run(100, 0, { relative: true })).out, ["a@9 0:10"]);
    assert.deepEqual((await run(100, 20, { relative: true })).out, ["a@29 0:10"]);
    assert.deepEqual((await run(3, 0, { relative: true })).out, ["a@8 0:10"], "an offset within the window is kept");
  });

  it("expires the global window at its end, whatever the allowed lateness", async () => {
    const hour = 3_600_000;
    const late = await run(GLOBAL_WINDOW_MAX_TIMESTAMP + hour, hour, { global: true });
    assert.equal(late.result.state, "FAILED");
    assert.match(late.result.error!.message, /timer 'flush'.*after the expiration of its window/);
    assert.deepEqual((await run(GLOBAL_WINDOW_MAX_TIMESTAMP, hour, { global: true })).out, [`a@${GLOBAL_WINDOW_MAX_TIMESTAMP} global`]);
  });
});
