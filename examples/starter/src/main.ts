/**
 * The program: typed flags, --help, and the same file runs on every runner.
 *
 *     node dist/main.js --input data/sample.txt --output out/counts
 *     node dist/main.js ... --direct_num_workers 2
 *     node dist/main.js ... --runner PortableRunner --job_endpoint localhost:8099 --environment_type LOOPBACK
 *     node dist/main.js ... --runner DataflowRunner --project P --region R --temp_location gs://B/tmp \
 *         --sdk_container_image REGION-docker.pkg.dev/P/REPO/my-pipeline:TAG   (built from ./Dockerfile)
 *
 * Workers re-run this file to rebuild the pipeline, so building it must depend only on the flags.
 */
import { definePipeline, ReadFromText, WriteToText } from "beamline";
import { CountWords, format } from "./word_counts";

export const program = definePipeline({
  name: "starter-wordcount",
  description: "Counts the words of text files and writes '<word>: <count>' lines.",
  flags: {
    input: { type: "string", describe: "Text file or glob to read (local or gs://)", required: true },
    output: { type: "string", describe: "Output prefix (files <output>-00000-of-0000N)", required: true },
  },
  build(root, flags) {
    root
      .apply("Read", ReadFromText.from(flags.input))
      .apply(new CountWords())
      .map("Format", format)
      .apply("Write", WriteToText.to(flags.output));
  },
});

if (require.main === module) void program.main();
