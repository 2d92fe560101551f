/**
 * Beam Python's tfrecordio_test.py pipelines as programs, for worker threads (--direct_num_workers
 * 1 and 2): records go in and come out as base64 strings (`records`, `expected`: JSON arrays),
 * asserted with PAssert as the Python tests' assert_that. Run from beam_py_tfrecordio.test.ts.
 */
import { assertThat, Create, definePipeline, equalTo, type KV, type PCollection } from "../../lib";
import { ReadAllFromTFRecord, ReadFromTFRecord, WriteToTFRecord } from "../../lib/io/tfrecord";
import type { TFRecordCompression } from "../../lib/io/tfrecord";

const b64 = (r: Uint8Array): string => Buffer.from(r).toString("base64");

export const beamPyTFRecordProgram = definePipeline({
  name: "beam-py-tfrecordio",
  description: "tfrecordio_test.py TestReadAllFromTFRecord and TestEnd2EndWriteAndRead",
  flags: {
    mode: { type: "string", describe: "readAll | readAllWithFilename | write | read | readWriteRead", required: true },
    patterns: { type: "string", describe: "JSON array of patterns (the prefix, for write)", required: true },
    compression: { type: "string", describe: "compression_type", default: "auto" },
    suffix: { type: "string", describe: "file_name_suffix", default: "" },
    template: { type: "string", describe: "shard_name_template ('-' for the default)", default: "-" },
    validate: { type: "boolean", describe: "validate of ReadFromTFRecord", default: true },
    records: { type: "string", describe: "JSON array of base64 records to write", default: "[]" },
    expected: { type: "string", describe: "JSON array the output equals (base64; 'file record' with file names)", default: "[]" },
  },
  build(root, flags) {
    const patterns = JSON.parse(flags.patterns) as string[];
    const expected = JSON.parse(flags.expected) as string[];
    const compression = flags.compression as TFRecordCompression;
    const write = (prefix: string): void => {
      const records = (JSON.parse(flags.records) as string[]).map((r) => new Uint8Array(Buffer.from(r, "base64")));
      root
        .apply("Records", Create.of(...records))
        .apply(WriteToTFRecord.to(prefix, { suffix: flags.suffix, compression, ...(flags.template === "-" ? {} : { shardNameTemplate: flags.template }) }));
    };
    let out: PCollection<string>;
    if (flags.mode === "write") {
      write(patterns[0]!);
      return;
    } else if (flags.mode === "readAll") {
      out = root.apply(Create.of(...patterns)).apply(ReadAllFromTFRecord.create({ compression })).map("B64", b64);
    } else if (flags.mode === "readAllWithFilename") {
      out = root
        .apply(Create.of(...patterns))
        .apply(ReadAllFromTFRecord.withFilename({ compression }))
        .map("B64", (r: KV<string, Uint8Array>) => `${r.key} ${b64(r.value)}`);
    } else if (flags.mode === "read") {
      out = root.apply(ReadFromTFRecord.from(patterns, { compression, validate: flags.validate })).map("B64", b64);
    } else {
      // test_end2end_read_write_read: a read of files that may not exist yet, beside the write; as
      // in Python, what it reads is not asserted (the steps are independent), only that it runs.
      root.apply(ReadFromTFRecord.from(`${patterns[0]!}-*`, { validate: false }));
      write(patterns[0]!);
      return;
    }
    assertThat(out, equalTo(expected));
  },
});
