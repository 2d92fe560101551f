/**
 * Wait.on on a real runner: a windowed main input held until each window closes in a windowed
 * signal (Never-triggered side inputs, finishBundle outputs in their windows). The output is the
 * main input, unchanged (WAIT_EXPECTED: values with their windows).
 */
import { Create, definePipeline, FixedWindows, ParDo, Wait, Window } from "../../lib";
import { WriteToText } from "../../lib/io/textio";

export const WAIT_EXPECTED = ["a@1500 0:2000", "b@1900 0:2000", "c@4200 4000:6000", "d@9000 8000:10000"];

export const waitProgram = definePipeline({
  name: "portable-test-wait",
  description: "A windowed collection held by Wait.on until a signal closes each window",
  flags: { output: { type: "string", describe: "Output folder", required: true } },
  build(root, flags) {
    const stamped = <T>(values: readonly T[], times: readonly number[]) => values.map((value, i) => ({ value, timestamp: times[i]! }));
    const main = root
      .apply("Main", Create.timestamped(stamped(["a", "b", "c", "d"], [1500, 1900, 4200, 9000])))
      .apply("WindowMain", Window.into<string>(new FixedWindows(2000)));
    const signal = root
      .apply("Signal", Create.timestamped(stamped([1, 2, 3], [100, 4100, 5000])))
      .apply("WindowSignal", Window.into<number>(new FixedWindows(2000)));
    main
      .apply("Wait", Wait.on<string>(signal))
      .apply(
        "Describe",
        ParDo.into<string>().of((v: string, ctx) => {
          const w = ctx.window as unknown as { start: number; end: number };
          ctx.output(`${v}@${ctx.timestamp} ${w.start}:${w.end}`);
        }),
      )
      .apply("Write", WriteToText.to(`${flags.output}/waited`, { numShards: 1 }));
  },
});
