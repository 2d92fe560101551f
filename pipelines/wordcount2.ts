/**
 * wordcount2: a branching pipeline; one read feeding two counts in one job.
 *
 *     node dist/pipelines/wordcount2.js --output out/counts --output2 out/firstchars [--input ...]
 *
 * Read → Split → lowerCase = words; then
 *   branch 1: filter (first character in a..f) → PairWithOne → GroupAndSum → Format → Write (--output)
 *   branch 2: firstChar → PairWithOne2 → GroupAndSum2 → Format2 → Write2 (--output2)
 */
import { Combine, Combiners, definePipeline, kv, PBegin, PCollection, PTransform } from "../lib";
import { ReadFromText, WriteToText } from "../lib/io/textio";
import { defaultInput, extractWords, formatCount, INPUT_FLAG_HELP } from "./wordcount";

export interface WordCount2Options {
  readonly input: string;
  readonly output: string;
  readonly output2: string;
}

/** Whether a word starts with a character between 'a' and 'f' inclusive (plain comparison). */
export function startsWithAToF(word: string): boolean {
  return word[0]! >= "a" && word[0]! <= "f";
}

/** The first character (code point) of a word, as Python's `w[0]` gives it. */
export function firstChar(word: string): string {
  return String.fromCodePoint(word.codePointAt(0)!);
}

/** Both branches; produces the files written by each. */
export class WordCount2 extends PTransform<PBegin, { readonly counts: PCollection<string>; readonly firstChars: PCollection<string> }> {
  constructor(readonly options: WordCount2Options) {
    super("wordcount2");
  }

  expand(input: PBegin): { readonly counts: PCollection<string>; readonly firstChars: PCollection<string> } {
    const words = input
      .apply("Read", ReadFromText.from(this.options.input))
      .flatMap("Split", extractWords)
      .map("lowerCase", (w: string) => w.toLowerCase());

    const counts = words
      .filter("filter", startsWithAToF)
      .map("PairWithOne", (w: string) => kv(w, 1))
      .apply("GroupAndSum", Combine.perKey(Combiners.sum()))
      .map("Format", formatCount)
      .apply("Write", WriteToText.to(this.options.output));

    const firstChars = words
      .map("firstChar", firstChar)
      .map("PairWithOne2", (c: string) => kv(c, 1))
      .apply("GroupAndSum2", Combine.perKey(Combiners.sum()))
      .map("Format2", formatCount)
      .apply("Write2", WriteToText.to(this.options.output2));

    return { counts, firstChars };
  }
}

export const wordcount2 = definePipeline({
  name: "wordcount2",
  description: "Counts words starting with a..f and the first characters of all words, in one job.",
  flags: {
    input: { type: "string", describe: INPUT_FLAG_HELP },
    output: { type: "string", describe: "Output prefix of the a..f word counts", required: true },
    output2: { type: "string", describe: "Output prefix of the first-character counts", required: true },
  },
  build(root, flags, options) {
    root.apply(new WordCount2({ input: flags.input ?? defaultInput(options, "wordcount2"), output: flags.output, output2: flags.output2 }));
  },
});

if (require.main === module) void wordcount2.main();
