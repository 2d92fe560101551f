/**
 * A TFRecord program for worker threads and the Fn API harness: reads TFRecord files (plain,
 * gzip, deflate) by pattern and by ReadAllFromTFRecord, and writes records with a coder.
 * `tfrecordProgram` writes `--output/records` (hex of each record), `--output/named`
 * (`<file>:<hex>`) and `--output/strings-*.tfrecord.gz`; TFRECORD_EXPECTED is what they hold for
 * the folder `writeTFRecordInput` makes.
 */
import * as fs from "node:fs";
import * as path from "node:path";
import * as zlib from "node:zlib";
import { Create, definePipeline, type KV, ReadAllFromTFRecord, ReadFromTFRecord, WriteToTFRecord } from "../../lib";
import { StringUtf8Coder } from "../../lib/coders";
import { encodeTFRecord } from "../../lib/io/tfrecord/codec";
import { WriteToText } from "../../lib/io/textio";

const frames = (...records: string[]): Buffer => Buffer.concat(records.map((r) => encodeTFRecord(Buffer.from(r))));

/** Writes the program's input folder: a plain, a gzip and a deflate TFRecord file, and an empty one. */
export function writeTFRecordInput(dir: string): void {
  fs.mkdirSync(dir, { recursive: true });
  fs.writeFileSync(path.join(dir, "a.tfrecord"), frames("alpha", "", "beta"));
  fs.writeFileSync(path.join(dir, "b.tfrecord.gz"), zlib.gzipSync(frames("gamma")));
  fs.writeFileSync(path.join(dir, "c.tfrecord.deflate"), zlib.deflateSync(frames("delta", "epsilon")));
  fs.writeFileSync(path.join(dir, "d.tfrecord"), Buffer.alloc(0));
}

const hex = (s: string): string => Buffer.from(s).toString("hex");
export const TFRECORD_EXPECTED = {
  records: ["alpha", "", "beta", "gamma", "delta", "epsilon"].map(hex).map((h) => `r:${h}`).sort(),
  named: ["a.tfrecord:alpha", "a.tfrecord:", "a.tfrecord:beta", "b.tfrecord.gz:gamma", "c.tfrecord.deflate:delta", "c.tfrecord.deflate:epsilon"].sort(),
  strings: ["one", "two", "three", "caf\u00e9"].sort(),
};

export const tfrecordProgram = definePipeline({
  name: "tfrecord-test",
  description: "ReadFromTFRecord, ReadAllFromTFRecord.withFilename and WriteToTFRecord with a coder",
  flags: { input: { type: "string", describe: "Input folder", required: true }, output: { type: "string", describe: "Output folder", required: true } },
  build(root, flags) {
    root
      .apply("Read", ReadFromTFRecord.from(`${flags.input}/*.tfrecord*`))
      .map("Hex", (r: Uint8Array) => `r:${Buffer.from(r).toString("hex")}`)
      .apply("WriteRecords", WriteToText.to(`${flags.output}/records`, { numShards: 1 }));
    root
      .apply("Patterns", Create.of(`${flags.input}/*.tfrecord`, `${flags.input}/*.gz`, `${flags.input}/*.deflate`, `${flags.input}/*.none`))
      .apply("ReadAll", ReadAllFromTFRecord.withFilename({ coder: StringUtf8Coder.INSTANCE }))
      .map("FormatNamed", (r: KV<string, string>) => `${path.basename(r.key)}:${r.value}`)
      .apply("WriteNamed", WriteToText.to(`${flags.output}/named`, { numShards: 1 }));
    root
      .apply("Strings", Create.of("one", "two", "three", "caf\u00e9"))
      .apply("WriteStrings", WriteToTFRecord.to(`${flags.output}/strings`, { coder: StringUtf8Coder.INSTANCE, suffix: ".tfrecord.gz", numShards: 2 }));
  },
});
