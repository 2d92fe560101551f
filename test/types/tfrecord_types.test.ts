/**
 * Type-level tests of TFRecord IO, imported from the package's entry point: records are
 * Uint8Arrays unless a coder says otherwise, and the wrong uses do not compile. This file fails to
 * COMPILE when that breaks; wrong uses sit in functions that never run.
 */
import { strict as assert } from "node:assert";
import { Create, FileIO, Pipeline, ReadAllFromTFRecord, ReadFromTFRecord, WriteToTFRecord, type KV, type PCollection, type ReadFromTFRecordOptions, type TFRecordCompression, type WriteToTFRecordOptions } from "../../lib";
import { StringUtf8Coder, VarIntCoder } from "../../lib/coders";
import { expectType } from "./expect_type";

describe("TFRecord IO (type-level)", () => {
  it("records are Uint8Array by default and the coder's type with a coder", () => {
    const p = Pipeline.create();
    expectType(p.apply("Bytes", ReadFromTFRecord.from("/data/*.tfrecord")))<PCollection<Uint8Array>>(true);
    expectType(p.apply("Strings", ReadFromTFRecord.from(["/a/*.gz", "/b/*"], { coder: StringUtf8Coder.INSTANCE, compression: "gzip", validate: false })))<PCollection<string>>(true);
    const patterns = p.apply("Patterns", Create.of("/a/*.tfrecord"));
    expectType(patterns.apply("All", ReadAllFromTFRecord.create()))<PCollection<Uint8Array>>(true);
    expectType(patterns.apply("AllNumbers", ReadAllFromTFRecord.create({ coder: VarIntCoder.INSTANCE })))<PCollection<number>>(true);
    expectType(patterns.apply("Named", ReadAllFromTFRecord.withFilename({ emptyMatchTreatment: "DISALLOW" })))<PCollection<KV<string, Uint8Array>>>(true);
    expectType(patterns.apply("NamedStrings", ReadAllFromTFRecord.withFilename({ coder: StringUtf8Coder.INSTANCE })))<PCollection<KV<string, string>>>(true);
    const files = p.apply("Match", FileIO.match("/a/*")).apply("Readable", FileIO.readMatches());
    expectType(files.apply("FromFiles", ReadAllFromTFRecord.create()))<PCollection<Uint8Array>>(true);

    const bytes = p.apply("Records", Create.of(new Uint8Array([1]), Buffer.from("x")));
    expectType(bytes.apply("Write", WriteToTFRecord.to("/out/train", { suffix: ".tfrecord.gz", numShards: 2, shardNameTemplate: "-SS", compression: "gzip" })))<PCollection<string>>(true);
    const lines = p.apply("Lines", Create.of("a", "b"));
    expectType(lines.apply("WriteLines", WriteToTFRecord.to("/out/lines", { coder: StringUtf8Coder.INSTANCE })))<PCollection<string>>(true);
    const c: TFRecordCompression = "deflate";
    const r: ReadFromTFRecordOptions = { compression: c };
    const w: WriteToTFRecordOptions<string> = { coder: StringUtf8Coder.INSTANCE };
    assert.ok(r && w);

    const typeOnly = (): void => {
      // @ts-expect-error: without a coder, only bytes are written
      lines.apply("NoCoder", WriteToTFRecord.to("/out/x"));
      // @ts-expect-error: the coder must encode the elements' type
      lines.apply("WrongCoder", WriteToTFRecord.to("/out/x", { coder: VarIntCoder.INSTANCE }));
      // @ts-expect-error: an unknown compression
      ReadFromTFRecord.from("/x", { compression: "brotli" });
      // @ts-expect-error: ReadAllFromTFRecord reads patterns, FileMetadata or ReadableFiles
      p.apply("Numbers", Create.of(1)).apply("NotPatterns", ReadAllFromTFRecord.create());
      // @ts-expect-error: records read without a coder are not strings
      const s: PCollection<string> = p.apply("NotStrings", ReadFromTFRecord.from("/x"));
      assert.ok(s);
    };
    assert.equal(typeof typeOnly, "function");
  });
});
