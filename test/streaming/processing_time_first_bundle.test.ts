/**
 * The processing time a stateful DoFn sees in the first bundle of a wall-clock run (the impulses'
 * bundle, before any watermark pass): the wall clock, as in every later bundle. It used to be the
 * driver's initial clock reading, 0: `ctx.processingTime` was 1970 and a processing-time timer
 * set with `offset(d)` was due at `d` ms after the epoch, so it fired at once instead of after d
 * (a splittable DoFn's first `resume().withResumeDelay(d)` likewise).
 */
import { strict as assert } from "node:assert";
import { Create, PeriodicImpulse, StateSpec, StatefulDoFn, TimerSpec, kv, type KV, type StatefulProcessContext, type TimerContext } from "../../lib";
import { ParDo } from "../../lib/model/pardo";
import { isStreamingResult } from "../../runners/streaming";
import { runDirect } from "../helpers";
import { waitFor } from "../setup/emulators/helpers";

const TEN_MINUTES = 600_000;

class RemindLater extends StatefulDoFn<string, number, string> {
  readonly reminder = TimerSpec.processingTime("reminder");
  readonly seenAt = StateSpec.value<number>("seenAt");
  constructor(private readonly log: string[]) {
    super();
  }
  process(element: KV<string, number>, ctx: StatefulProcessContext<string>): void {
    this.log.push(`processed at ${ctx.processingTime}`);
    ctx.state(this.seenAt).write(ctx.processingTime);
    ctx.timer(this.reminder).offset(TEN_MINUTES);
  }
  onTimer(_: string, ctx: TimerContext<string, string>): void {
    this.log.push(`reminder fired at ${ctx.processingTime}`);
  }
}

describe("Processing time in the first bundle of a wall-clock streaming run (DirectRunner)", function () {
  this.timeout(60_000);

  it("a stateful DoFn fed by Create sees the wall clock, and its processing-time timer waits the offset", async () => {
    const log: string[] = [];
    const before = Date.now();
    const result = await runDirect(
      (p) => {
        // A real-time source makes the run's processing time the wall clock.
        p.apply("Ticks", PeriodicImpulse.create({ intervalMillis: 60_000 }));
        p.apply("Keys", Create.of(kv("k", 1))).apply("Remind", ParDo.of(new RemindLater(log)));
      },
      {},
      { checkEveryElement: false },
    );
    assert.ok(isStreamingResult(result));
    await waitFor("the element", () => log.length > 0, 20_000);
    assert.equal(await result.drain(), "DRAINED");
    assert.equal(log.length, 1, `the reminder is ten minutes away: ${JSON.stringify(log)}`);
    const at = Number(/processed at (\d+)/.exec(log[0]!)![1]);
    assert.ok(at >= before && at <= Date.now(), `processed at the wall-clock time, not ${at}`);
  });
});
