/**
 * Snippets of docs/guide/01-pipelines.md. Each region between `[START name]` and `[END name]` is
 * copied into the guide (`npm run docs:snippets`); test/docs/snippets.test.ts runs every example.
 */
// [START imports]
import { Combine, Combiners, definePipeline, kv, Pipeline, ReadFromText, WriteToText } from "beamline";
// [END imports]
import type { PipelineResult } from "beamline";

/** A pipeline built and run by hand. */
export async function wordCount(input: string, output: string): Promise<PipelineResult> {
  // [START create_and_run]
  const p = Pipeline.create();   // the DirectRunner, default options
  p.apply("Read", ReadFromText.from(input))
    .flatMap("Split", (line) => line.match(/[\p{L}\p{N}_']+/gu) ?? [])
    .map("PairWithOne", (word) => kv(word, 1))
    .apply("CountWords", Combine.perKey(Combiners.sum()))
    .map("Format", (count) => `${count.key}: ${count.value}`)
    .apply("Write", WriteToText.to(output));

  const result = await p.run();
  await result.waitUntilFinish();   // rejects with the run's error if it failed
  // [END create_and_run]
  return result;
}

/** Options set in code. */
export function withOptions(): Pipeline {
  // [START options_in_code]
  const p = Pipeline.create({ jobName: "word-count", directNumWorkers: 2, strictChecks: true });
  // [END options_in_code]
  return p;
}

// [START program]
export const wordLengths = definePipeline({
  name: "word-lengths",
  description: "Writes each word of the input with its length",
  flags: {
    input: { type: "string", required: true, describe: "Text file or glob to read" },
    output: { type: "string", required: true, describe: "Output prefix" },
    min_length: { type: "number", default: 1, describe: "Shortest word kept" },
  },
  build(root, flags) {
    root
      .apply("Read", ReadFromText.from(flags.input))
      .flatMap("Split", (line) => line.split(/\s+/))
      .filter("LongEnough", (word) => word.length >= flags.min_length)
      .map("Format", (word) => `${word}: ${word.length}`)
      .apply("Write", WriteToText.to(flags.output));
  },
});
// [END program]
