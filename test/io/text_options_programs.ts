/**
 * Programs for the TextIO option tests that run with worker threads (--direct_num_workers 2),
 * which load this module to rebuild the graph: a read with ReadFromText's format options whose
 * records are written one JSON string a line (so kept terminators survive), and a write with
 * WriteToText's options. Options come as JSON flags (a read's delimiter as a string).
 */
import { Create, definePipeline } from "../../lib";
import { ReadFromText, WriteToText, type ReadFromTextOptions, type WriteToTextOptions } from "../../lib/io/textio";

export const readOptionsProgram = definePipeline({
  name: "text-test-read-options",
  description: "ReadFromText with format options; writes each record as a JSON string to one file",
  flags: {
    input: { type: "string", describe: "File pattern", required: true },
    output: { type: "string", describe: "Output file (one JSON string a line)", required: true },
    options: { type: "string", describe: "ReadFromText options as JSON", default: "{}" },
  },
  build(root, flags) {
    root
      .apply("Read", ReadFromText.from(flags.input, JSON.parse(flags.options) as ReadFromTextOptions))
      .map("AsJson", (record: string) => JSON.stringify(record))
      .apply("Write", WriteToText.to(flags.output, { numShards: 1, shardNameTemplate: "" }));
  },
});

export const writeOptionsProgram = definePipeline({
  name: "text-test-write-options",
  description: "WriteToText with options, of the lines given",
  flags: {
    output: { type: "string", describe: "Output prefix", required: true },
    lines: { type: "string", describe: "The lines as a JSON array", default: "[]" },
    options: { type: "string", describe: "WriteToText options as JSON", default: "{}" },
  },
  build(root, flags) {
    root.apply("Lines", Create.from(JSON.parse(flags.lines) as string[])).apply("Write", WriteToText.to(flags.output, JSON.parse(flags.options) as WriteToTextOptions));
  },
});
