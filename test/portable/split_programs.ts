/**
 * A program for runners that split bundles (Prism asks a bundle that makes no progress between two
 * progress reports to give up half of the rest of its input): a slow, asynchronous step (as
 * flipkart's image downloads) over elements from a Reshuffle, then everything grouped under one
 * key and counted. Every element must be counted once (SPLIT_EXPECTED), however the bundles split.
 */
import { Create, definePipeline, GroupByKey, kv, ParDo, Reshuffle, type KV } from "../../lib";
import { WriteToText } from "../../lib/io/textio";

export const SPLIT_ELEMENTS = 48;
export const SPLIT_EXPECTED = [`count ${SPLIT_ELEMENTS} distinct ${SPLIT_ELEMENTS}`];

export const splitProgram = definePipeline({
  name: "portable-test-split",
  description: "A slow asynchronous step (which runners split) before a global count",
  flags: {
    output: { type: "string", describe: "Output folder", required: true },
    delay_ms: { type: "number", describe: "How long each element waits", default: 40 },
  },
  build(root, flags) {
    const delay = flags.delay_ms;
    root
      .apply("Ids", Create.from(Array.from({ length: SPLIT_ELEMENTS }, (_, i) => i)))
      .apply("Spread", Reshuffle.viaRandomKey())
      .apply(
        "Slow",
        ParDo.into<KV<string, number>>().of(async (i: number, ctx) => {
          await new Promise((resolve) => setTimeout(resolve, delay));
          ctx.output(kv("all", i));
        }),
      )
      .apply("Group", GroupByKey.create())
      .map("Count", (g: KV<string, number[]>) => `count ${g.value.length} distinct ${new Set(g.value).size}`)
      .apply("Write", WriteToText.to(`${flags.output}/count`, { numShards: 1 }));
  },
});
