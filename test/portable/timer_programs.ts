/**
 * A program for the real-runner tests of timer semantics over the Fn API: per key, an event-time
 * timer that re-sets itself from its own onTimer (4 s later, while that stays in the window), and
 * a flush timer set with an offset past the window's end (Beam's setRelative moves it to the
 * window's expiry). Each early firing says whether flush already fired: Beam fires a key's
 * event-time timers in time order, also those set in the bundle that delivers a later one.
 */
import { Create, definePipeline, FixedWindows, KV, kv, ParDo, StatefulDoFn, StatefulProcessContext, StateSpec, TimerContext, TimerSpec, Window } from "../../lib";
import { WriteToText } from "../../lib/io/textio";

/** What the program writes (its sorted lines), either way. */
export const TIMER_ORDER_EXPECTED = ["a early@1000", "a early@5000", "a early@9000", "a flush@9999", "b early@12000", "b early@16000", "b flush@19999"];

class LoopAndFlush extends StatefulDoFn<string, number, string> {
  readonly flushed = StateSpec.value<boolean>("flushed");
  readonly early = TimerSpec.eventTime("early");
  readonly flush = TimerSpec.eventTime("flush");
  process(_e: KV<string, number>, ctx: StatefulProcessContext<string>): void {
    ctx.timer(this.early).set(ctx.timestamp);
    ctx.timer(this.flush).offset(60_000);
  }
  onTimer(timer: string, ctx: TimerContext<string, string>): void {
    if (timer === "flush") {
      ctx.state(this.flushed).write(true);
      ctx.output(`${ctx.key} flush@${ctx.timestamp}`);
      return;
    }
    ctx.output(`${ctx.key} early@${ctx.timestamp}${ctx.state(this.flushed).read() === true ? " after flush" : ""}`);
    if (ctx.timestamp + 4_000 <= ctx.window.maxTimestamp()) ctx.timer(this.early).set(ctx.timestamp + 4_000);
  }
}

export const timerOrderProgram = definePipeline({
  name: "portable-test-timer-order",
  description: "a looping event-time timer and a relative flush timer per key and window",
  flags: {
    output: { type: "string", describe: "Output folder", required: true },
  },
  build(root, flags) {
    root
      .apply("Inputs", Create.timestamped([{ value: kv("a", 1), timestamp: 1_000 }, { value: kv("b", 2), timestamp: 12_000 }]))
      .apply("Window", Window.into(new FixedWindows(10_000)))
      .apply("LoopAndFlush", ParDo.of(new LoopAndFlush()))
      .apply("Write", WriteToText.to(`${flags.output}/timers`));
  },
});
