/**
 * Beam Python's textio_test.py pipelines (those text_options_beam_ports.test.ts does not run) as
 * programs, for worker threads (--direct_num_workers 1 and 2). Reads assert their lines with
 * PAssert (`expected`, a JSON array), as the Python tests' assert_that; writes leave files the
 * test reads. Run from beam_py_textio.test.ts.
 */
import { assertThat, Create, definePipeline, equalTo, FixedWindows, Window } from "../../lib";
import { ReadAllFromText } from "../../lib/io/fileio";
import type { Compression } from "../../lib/io/text_read";
import { ReadFromText, WriteToText, type WriteToTextOptions } from "../../lib/io/textio";

/** TextSinkTest.lines: 'Line 0' to 'Line 99'. */
export const SINK_LINES: readonly string[] = Array.from({ length: 100 }, (_, i) => `Line ${i}`);

export const beamPyTextProgram = definePipeline({
  name: "beam-py-textio",
  description: "textio_test.py TextSourceTest and TextSinkTest pipelines",
  flags: {
    mode: { type: "string", describe: "read | readAll | write | writeWindowed", required: true },
    patterns: { type: "string", describe: "JSON array of patterns (the prefix, for writes)", required: true },
    compression: { type: "string", describe: "compression_type", default: "auto" },
    write: { type: "string", describe: "JSON WriteToTextOptions", default: "{}" },
    expected: { type: "string", describe: "JSON array the lines read equal", default: "[]" },
  },
  build(root, flags) {
    const patterns = JSON.parse(flags.patterns) as string[];
    const compression = flags.compression as Compression;
    if (flags.mode === "write" || flags.mode === "writeWindowed") {
      let lines = root.apply(Create.timestamped(SINK_LINES.map((value, i) => ({ value, timestamp: i * 1000 }))));
      // test_write_pipeline_non_globalwindow_input: one-second windows, written as one set of files.
      if (flags.mode === "writeWindowed") lines = lines.apply(Window.into(new FixedWindows(1000)));
      lines.apply(WriteToText.to(patterns[0]!, JSON.parse(flags.write) as WriteToTextOptions));
      return;
    }
    const read =
      flags.mode === "read"
        ? root.apply(ReadFromText.from(patterns, { compression }))
        : root.apply(Create.of(...patterns)).apply(ReadAllFromText.create({ compression, emptyMatchTreatment: "ALLOW" }));
    assertThat(read, equalTo(JSON.parse(flags.expected) as string[]));
  },
});
