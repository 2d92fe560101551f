/**
 * The shuffle-heavy batch benchmark's pipeline: counts each distinct line with a GroupByKey (no
 * combiner lifting, so every line crosses the shuffle), like `sort | uniq -c`. Writes
 * "<count> <line>" lines.
 *
 *   node dist/test/bench/shuffle_child.js --input FILE --output PREFIX --direct_shuffle_memory_mb 64
 */
import { definePipeline, GroupByKey, kv, KV } from "../../lib";
import { ReadFromText, WriteToText } from "../../lib/io/textio";

export const countLines = definePipeline({
  name: "count-lines",
  description: "Counts each distinct line through a GroupByKey (the shuffle benchmark).",
  flags: {
    input: { type: "string", describe: "Text file to read", required: true },
    output: { type: "string", describe: "Output prefix", required: true },
  },
  build(root, flags) {
    root
      .apply("Read", ReadFromText.from(flags.input))
      .map("PairWithNull", (line: string) => kv(line, null))
      .apply("Group", GroupByKey.create<string, null>())
      .map("Format", (g: KV<string, null[]>) => `${g.value.length} ${g.key}`)
      .apply("Write", WriteToText.to(flags.output));
  },
});

if (require.main === module) void countLines.main();
