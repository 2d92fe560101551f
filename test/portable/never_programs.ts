/**
 * The Never trigger on a real runner: the runner gets Trigger.Never and emits each window's data in
 * one pane when the window expires (NEVER_EXPECTED: the sums per window, with the pane's timing).
 */
import { Combine, Combiners, Create, definePipeline, FixedWindows, kv, Never, ParDo, Window, type KV } from "../../lib";
import { WriteToText } from "../../lib/io/textio";

export const NEVER_EXPECTED = ["0:10000 k=7 ON_TIME last", "10000:20000 k=5 ON_TIME last"];

export const neverProgram = definePipeline({
  name: "portable-test-never",
  description: "Sums per 10 s window under the Never trigger",
  flags: { output: { type: "string", describe: "Output folder", required: true } },
  build(root, flags) {
    root
      .apply("Values", Create.timestamped([1, 2, 4, 5].map((v, i) => ({ value: kv("k", v), timestamp: [1000, 2000, 3000, 12000][i]! }))))
      .apply("Window", Window.into(new FixedWindows(10_000), { trigger: Never() }))
      .apply("Sum", Combine.perKey<string, number, number, number>(Combiners.sum()))
      .apply(
        "Describe",
        ParDo.into<string>().of((e: KV<string, number>, ctx) => {
          const w = ctx.window as unknown as { start: number; end: number };
          ctx.output(`${w.start}:${w.end} ${e.key}=${e.value} ${ctx.pane.timing}${ctx.pane.isLast ? " last" : ""}`);
        }),
      )
      .apply("Write", WriteToText.to(`${flags.output}/panes`, { numShards: 1 }));
  },
});
