/**
 * wordcount: counts the words of a text (Beam's classic example).
 *
 *     node dist/pipelines/wordcount.js --output out/counts [--input PATH_OR_GLOB] [--runner DirectRunner]
 *
 * Steps (under the composite `wordcount`): Read → Split → PairWithOne → GroupAndSum → Format → Write.
 * Words are the matches of Python's `[\w']+` with Unicode semantics; case is kept.
 */
import * as path from "node:path";
import { Combine, Combiners, definePipeline, kv, KV, PBegin, PCollection, PTransform } from "../lib";
import { ReadFromText, WriteToText } from "../lib/io/textio";

/** Bundled King Lear, the default input (a copy of gs://dataflow-samples/shakespeare/kinglear.txt). */
export const DEFAULT_INPUT = path.resolve(__dirname, "..", "..", "pipelines", "data", "kinglear.txt");

/**
 * Python's `\w` with re.UNICODE is letters (L*), numbers (N*) and '_'; plus the apostrophe.
 * (Combining marks are not word characters in Python, so \p{Alphabetic} would be wrong.)
 */
const WORD = /[\p{L}\p{N}_']+/gu;

/** The words of a line, like `re.findall(r"[\w']+", line, re.UNICODE)`. */
export function extractWords(line: string): string[] {
  return line.match(WORD) ?? [];
}

/** `"<word>: <count>"`. */
export function formatCount(e: KV<string, number>): string {
  return `${e.key}: ${e.value}`;
}

export interface WordCountOptions {
  /** File or glob to read (local or gs://). */
  readonly input: string;
  /** Output prefix; shards are `<output>-00000-of-0000N`. */
  readonly output: string;
}

/** The whole job as one typed, reusable transform; produces the names of the files written. */
export class WordCount extends PTransform<PBegin, PCollection<string>> {
  constructor(readonly options: WordCountOptions) {
    super("wordcount");
  }

  expand(input: PBegin): PCollection<string> {
    return input
      .apply("Read", new ReadFromText(this.options.input))
      .flatMap("Split", extractWords)
      .map("PairWithOne", (word: string) => kv(word, 1))
      .apply("GroupAndSum", Combine.perKey<string, number, number, number>(Combiners.sum()))
      .map("Format", formatCount)
      .apply("Write", new WriteToText(this.options.output));
  }
}

export const wordcount = definePipeline({
  name: "wordcount",
  description: "Counts the words of a text and writes '<word>: <count>' lines.",
  flags: {
    input: { type: "string", describe: "Text file or glob to read (local or gs://)", default: DEFAULT_INPUT },
    output: { type: "string", describe: "Output prefix (files <output>-00000-of-0000N)", required: true },
  },
  build(root, flags) {
    root.apply(new WordCount({ input: flags.input, output: flags.output }));
  },
});

if (require.main === module) void wordcount.main();
