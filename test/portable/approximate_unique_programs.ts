/** A program of ApproximateUnique transforms for portable runners and worker threads (each rebuilds it from here). */
import { ApproximateUnique, Create, definePipeline, FixedWindows, Flatten, GlobalWindows, kv, type KV, type PCollection, ProcessContext, ParDo, Window } from "../../lib";
import { StringUtf8Coder } from "../../lib/coders/primitive";
import { IntervalWindow } from "../../lib/model/window";
import { WriteToText } from "../../lib/io/textio";

/** 3000 words of which 300 distinct ("w0" .. "w299"), in a scrambled order. */
export const WORDS = Array.from({ length: 3000 }, (_, i) => `w${(i * 7919) % 300}`);

/**
 * The lines `approximateUniqueProgram` writes that do not depend on the hash: counts of no more
 * distinct elements than the sample size are exact. `sampled` (300 distinct, a sample of 64) is an
 * estimate: the same on every runner (the same bytes hashed), within Beam's bound of 300.
 */
export const APPROXIMATE_UNIQUE_EXACT: readonly string[] = ["exact=300", "perKey:even=150", "perKey:odd=150", "utf8=300", "window[0,1000)=100", "window[1000,2000)=200"];

function windowOf(ctx: ProcessContext<string>): string {
  return ctx.window instanceof IntervalWindow ? `[${ctx.window.start},${ctx.window.end})` : "";
}

export const approximateUniqueProgram = definePipeline({
  name: "portable-test-approximate-unique",
  description: "ApproximateUnique.globally/perKey, exact and estimated, with the default coder and StringUtf8Coder, and per window",
  flags: { output: { type: "string", describe: "Output file prefix", required: true } },
  build(root, flags) {
    const words = root.apply("Words", Create.from(WORDS));
    const label = (name: string) => (n: number) => `${name}=${n}`;
    const lines: PCollection<string>[] = [
      words.apply("Exact", ApproximateUnique.globally({ size: 300 })).map("DescribeExact", label("exact")),
      words.apply("Sampled", ApproximateUnique.globally(64)).map("DescribeSampled", label("sampled")),
      // Hashed as Beam Java hashes a String (its UTF-8 bytes), the coder's encoding.
      root.apply("Utf8Words", Create.from(WORDS)).setCoder(StringUtf8Coder.INSTANCE).apply("Utf8", ApproximateUnique.globally({ error: 0.1 })).map("DescribeUtf8", label("utf8")),
      words
        .map("ByParity", (w: string) => kv(Number(w.slice(1)) % 2 === 0 ? "even" : "odd", w))
        .apply("PerKey", ApproximateUnique.perKey<string, string>(200))
        .map("DescribePerKey", (e: KV<string, number>) => `perKey:${e.key}=${e.value}`),
      root
        // Words w0..w99 in the first window, the other 200 in the second.
        .apply("Timed", Create.timestamped(WORDS.map((w) => ({ value: w, timestamp: Number(w.slice(1)) < 100 ? 0 : 1000 }))))
        .apply("Fixed", Window.into<string>(new FixedWindows(1000)))
        .apply("PerWindow", ApproximateUnique.globally({ size: 300, withoutDefaults: true }))
        .apply("DescribeWindows", ParDo.into<string>().of((n: number, ctx: ProcessContext<string>) => ctx.output(`window${windowOf(ctx)}=${n}`)))
        .apply("Unwindow", Window.into<string>(new GlobalWindows())),
    ];
    lines[0]!.apply("Flatten", Flatten.with(...lines.slice(1))).apply("Write", WriteToText.to(flags.output));
  },
});
