/** A pipeline program for the tests of buffers that spill to disk (worker threads load this module). */
import { AsSingleton, Create, definePipeline, Flatten, ParDo, Reshuffle } from "../../lib";
import { WriteToText } from "../../lib/io/textio";

/**
 * Elements through a Reshuffle, a Flatten, a second Reshuffle and a ParDo with a side input
 * (whose main input is materialized), written as text: each line once, whichever thread ran it.
 */
export const spillingBuffersProgram = definePipeline({
  name: "test-spilling-buffers",
  description: "Flatten, Reshuffle and a side-input main input larger than their memory budget",
  flags: {
    n: { type: "number", describe: "elements of each branch", default: 20_000 },
    output: { type: "string", describe: "output prefix", default: "" },
  },
  build(root, flags) {
    const n = flags.n;
    const left = root
      .apply("Left", Create.from(Array.from({ length: n }, (_, i) => i)))
      .apply("Spread", Reshuffle.viaRandomKey())
      .map("LeftText", (i: number) => `left-${String(i).padStart(8, "0")}-${"x".repeat(i % 50)}`);
    const right = root.apply("Right", Create.from(Array.from({ length: n }, (_, i) => `right-${String(i).padStart(8, "0")}`)));
    const suffix = AsSingleton(root.apply("Suffix", Create.of("!")));
    left
      .apply("Both", Flatten.with(right))
      .apply("Mix", Reshuffle.viaRandomKey())
      .apply(
        "Mark",
        ParDo.into<string>().of((s: string, ctx) => ctx.output(s + ctx.sideInputs.suffix), { sideInputs: { suffix } }),
      )
      .apply("Write", WriteToText.to(flags.output));
  },
});
