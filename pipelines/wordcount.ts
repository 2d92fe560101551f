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
import { ValidationError } from "../lib/model/errors";
import type { PipelineOptions } from "../lib/model/options";

/** Bundled King Lear, the default input (a copy of gs://dataflow-samples/shakespeare/kinglear.txt). */
export const DEFAULT_INPUT = path.resolve(__dirname, "..", "..", "pipelines", "data", "kinglear.txt");
/** The public King Lear on GCS, which Dataflow's workers can read. */
export const PUBLIC_INPUT = "gs://dataflow-samples/shakespeare/kinglear.txt";
export const INPUT_FLAG_HELP = `Text file or glob to read (local or gs://). Default: the bundled King Lear; on the DataflowRunner ${PUBLIC_INPUT}`;

/**
 * The input when --input is not given, chosen so the workers can read it: the bundled file where
 * they share this machine's files (DirectRunner; PortableRunner with LOOPBACK), its public copy on
 * GCS on Dataflow. Elsewhere (a portable runner's DOCKER or EXTERNAL workers) a local path would
 * be read on other machines, so the run is refused before anything is submitted.
 * Workers rebuild the graph with the same options, so they choose the same input.
 */
export function defaultInput(options: PipelineOptions, program: string): string {
  if (options.runner === "DirectRunner") return DEFAULT_INPUT;
  if (options.runner === "DataflowRunner") return PUBLIC_INPUT;
  const environment = String(options.extra["environment_type"] ?? "DOCKER").toUpperCase();
  if (options.runner === "PortableRunner" && environment === "LOOPBACK") return DEFAULT_INPUT;
  const where = options.runner === "PortableRunner" ? ` --environment_type ${environment}` : "";
  throw new ValidationError(
    `${program}: --input is required with --runner ${options.runner}${where}: the default input is a file on this machine (${DEFAULT_INPUT}), ` +
      `which the runner's workers cannot read. Pass a file every worker can read, e.g. --input ${PUBLIC_INPUT} (workers need Google Cloud credentials) ` +
      "or a path on a file system they share.",
  );
}

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
      .apply("Read", ReadFromText.from(this.options.input))
      .flatMap("Split", extractWords)
      .map("PairWithOne", (word: string) => kv(word, 1))
      .apply("GroupAndSum", Combine.perKey(Combiners.sum()))
      .map("Format", formatCount)
      .apply("Write", WriteToText.to(this.options.output));
  }
}

export const wordcount = definePipeline({
  name: "wordcount",
  description: "Counts the words of a text and writes '<word>: <count>' lines.",
  flags: {
    input: { type: "string", describe: INPUT_FLAG_HELP },
    output: { type: "string", describe: "Output prefix (files <output>-00000-of-0000N)", required: true },
  },
  build(root, flags, options) {
    root.apply(new WordCount({ input: flags.input ?? defaultInput(options, "wordcount"), output: flags.output }));
  },
});

if (require.main === module) void wordcount.main();
