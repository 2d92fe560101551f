/** Programs for Reshuffle's coders on portable runners (in-suite and on real runners). */
import { Create, definePipeline, DoFn, FixedWindows, ParDo, ProcessContext, Reify, Reshuffle, Window } from "../../lib";
import type { ValueInSingleWindow } from "../../lib/coders/value_in_single_window";
import { IntervalWindow } from "../../lib/model/window";
import { WriteToText } from "../../lib/io/textio";

/** What `reshuffleReifiedProgram` writes (`--output/reified`): each reified value with its timestamp and window. */
export const RESHUFFLE_REIFIED_EXPECTED = ["a@1000[0,10000)", "b@12000[10000,20000)", "c@19999[10000,20000)", "d@25000[20000,30000)"];

/**
 * Reified windows (a collection whose coder, ValueInSingleWindowCoder, the default JS value coder
 * cannot stand in for: windows are class instances) through a Reshuffle. The keyed collection
 * inside the Reshuffle must encode its values with that coder wherever a runner encodes them.
 */
export const reshuffleReifiedProgram = definePipeline({
  name: "portable-test-reshuffle-reified",
  description: "Reshuffle of reified windows",
  flags: { output: { type: "string", describe: "Output folder", required: true } },
  build(root, flags) {
    root
      .apply("Values", Create.timestamped([{ value: "a", timestamp: 1000 }, { value: "b", timestamp: 12_000 }, { value: "c", timestamp: 19_999 }, { value: "d", timestamp: 25_000 }]))
      .apply("Window", Window.into(new FixedWindows(10_000)))
      .apply("Reify", Reify.windows<string>())
      .apply("Reshuffle", Reshuffle.viaRandomKey())
      .apply(
        "Describe",
        ParDo.of(
          new (class Describe extends DoFn<ValueInSingleWindow<string>, string> {
            process(v: ValueInSingleWindow<string>, ctx: ProcessContext<string>): void {
              if (!(v.window instanceof IntervalWindow)) throw new Error(`the reified window of ${v.value} came through the Reshuffle as ${String(v.window)}, not an IntervalWindow`);
              ctx.output(`${v.value}@${v.timestamp}[${v.window.start},${v.window.end})`);
            }
          })(),
        ),
      )
      .apply("Write", WriteToText.to(`${flags.output}/reified`));
  },
});
