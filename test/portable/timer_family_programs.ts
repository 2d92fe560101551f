/**
 * A program for the real-runner tests of timer families over the Fn API: each element carries a
 * list of operations on its key's family timers ("set tag time", "clear tag"), run in order in
 * one call so the outcome does not depend on element order; a plain timer per key and window
 * fires at the window's end. onTimer writes which timer and tag fired, and when.
 */
import { Create, definePipeline, FixedWindows, KV, kv, ParDo, StatefulDoFn, StatefulProcessContext, TimerContext, TimerSpec, Window } from "../../lib";
import { WriteToText } from "../../lib/io/textio";

/** What the program writes (its sorted lines), on any runner. */
export const TIMER_FAMILY_EXPECTED = [
  "a end/@19999",
  "a end/@9999",
  "a perTag/x@15000",
  "a perTag/x@5000",
  "a perTag/y@8000 out=3000",
  "b end/@9999",
  "b perTag/x@7000",
];

class PerTag extends StatefulDoFn<string, string, string> {
  readonly perTag = TimerSpec.eventTimeFamily("perTag");
  readonly end = TimerSpec.eventTime("end");
  process(e: KV<string, string>, ctx: StatefulProcessContext<string>): void {
    for (const op of e.value.split(";")) {
      const [verb, tag, at] = op.split(" ");
      if (verb === "clear") ctx.timer(this.perTag, tag!).clear();
      else if (tag === "y") ctx.timer(this.perTag, tag).withOutputTimestamp(ctx.timestamp).set(Number(at));
      else ctx.timer(this.perTag, tag!).set(Number(at));
    }
    ctx.timer(this.end).set(ctx.window.maxTimestamp());
  }
  onTimer(timer: string, ctx: TimerContext<string, string>): void {
    const fired = timer === "end" ? ctx.timestamp : ctx.fireTimestamp;
    ctx.output(`${ctx.key} ${timer}/${ctx.timerTag}@${fired}${ctx.timestamp !== fired ? ` out=${ctx.timestamp}` : ""}`);
  }
}

export const timerFamilyProgram = definePipeline({
  name: "portable-test-timer-families",
  description: "a timer family's tags set, reset and cleared per key and window, beside a plain timer",
  flags: {
    output: { type: "string", describe: "Output folder", required: true },
  },
  build(root, flags) {
    root
      .apply(
        "Inputs",
        Create.timestamped([
          { value: kv("a", "set x 5000;set y 6000;set y 8000;set z 7000;clear z"), timestamp: 3_000 },
          { value: kv("b", "set x 7000"), timestamp: 1_000 },
          { value: kv("a", "set x 15000"), timestamp: 12_000 },
        ]),
      )
      .apply("Window", Window.into(new FixedWindows(10_000)))
      .apply("PerTag", ParDo.of(new PerTag()))
      .apply("Write", WriteToText.to(`${flags.output}/timers`));
  },
});
