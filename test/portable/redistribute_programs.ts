/** Programs for Redistribute on portable runners (in-suite and on real runners). */
import { Create, definePipeline, DoFn, FixedWindows, kv, ParDo, Redistribute, Window, type KV, type ProcessContext } from "../../lib";
import { IntervalWindow } from "../../lib/model/window";
import { WriteToText } from "../../lib/io/textio";

/** What `redistributeProgram` writes: `arbitrarily/` each value with its timestamp and window after the transform, `bykey/` each KV likewise. */
export const REDISTRIBUTE_EXPECTED = {
  arbitrarily: ["a@1000[0,10000)", "b@12000[10000,20000)", "c@19999[10000,20000)", "d@25000[20000,30000)"],
  bykey: ["k1=3@1000[0,10000)", "k1=4@12000[10000,20000)", "k2=-33@19999[10000,20000)", "k2=66@25000[20000,30000)", "k3=0@25000[20000,30000)"],
} as const;

/** Writes each element with its timestamp and window. */
class Describe<T> extends DoFn<T, string> {
  process(v: T, ctx: ProcessContext<string>): void {
    const w = ctx.window as IntervalWindow;
    const pair = typeof v === "object" && v !== null && "key" in v ? (v as unknown as KV<unknown, unknown>) : undefined;
    const shown = pair !== undefined ? `${String(pair.key)}=${String(pair.value)}` : String(v);
    ctx.output(`${shown}@${ctx.timestamp}[${w.start},${w.end})`);
  }
}

/**
 * Timestamped values in 10 s fixed windows through Redistribute.arbitrarily (4 buckets, duplicates
 * allowed) and KVs through Redistribute.byKey; a DoFn after each writes every element's timestamp
 * and window, which must be as they were.
 */
export const redistributeProgram = definePipeline({
  name: "portable-test-redistribute",
  description: "Redistribute keeps elements, timestamps and windows",
  flags: {
    output: { type: "string", describe: "Output folder", required: true },
  },
  build(root, flags) {
    root
      .apply("Values", Create.timestamped([{ value: "a", timestamp: 1000 }, { value: "b", timestamp: 12_000 }, { value: "c", timestamp: 19_999 }, { value: "d", timestamp: 25_000 }]))
      .apply("Window", Window.into(new FixedWindows(10_000)))
      .apply("Arbitrarily", Redistribute.arbitrarily<string>().withNumBuckets(4).withAllowDuplicates())
      .apply("DescribeValues", ParDo.of(new Describe<string>()))
      .apply("WriteValues", WriteToText.to(`${flags.output}/arbitrarily`));
    root
      .apply(
        "Pairs",
        Create.timestamped([
          { value: kv("k1", 3), timestamp: 1000 },
          { value: kv("k1", 4), timestamp: 12_000 },
          { value: kv("k2", -33), timestamp: 19_999 },
          { value: kv("k2", 66), timestamp: 25_000 },
          { value: kv("k3", 0), timestamp: 25_000 },
        ]),
      )
      .apply("WindowPairs", Window.into(new FixedWindows(10_000)))
      .apply("ByKey", Redistribute.byKey<string, number>())
      .apply("DescribePairs", ParDo.of(new Describe<KV<string, number>>()))
      .apply("WritePairs", WriteToText.to(`${flags.output}/bykey`));
  },
});
