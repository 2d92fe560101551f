/**
 * Type-level tests of TextIO's Beam options: ReadFromText's format options (delimiter as string or
 * bytes, skipHeaderLines, stripTrailingNewlines), ReadFromTextWithFilename's KV output,
 * ReadAllFromText's format options, and WriteToText's footer, delimiter, appendTrailingNewlines,
 * skipIfEmpty and size caps. Wrong uses sit in a function that never runs; this file fails to
 * COMPILE when they are accepted.
 */
import { strict as assert } from "node:assert";
import { Create, Pipeline, ReadAllFromText, ReadFromText, ReadFromTextWithFilename, WriteToText, type KV, type PCollection, type ReadFromTextOptions, type WriteToTextOptions } from "../../lib";
import type { WriteCompression } from "../../lib/io/compression";
import { expectType } from "./expect_type";

describe("TextIO options (type-level)", () => {
  it("read options and outputs", () => {
    const p = Pipeline.create();
    expectType(p.apply("Csv", ReadFromText.from("in/*.csv", { skipHeaderLines: 1, delimiter: "|", stripTrailingNewlines: false })))<PCollection<string>>(true);
    expectType(p.apply("Bytes", ReadFromText.from("in/*.txt", { delimiter: new Uint8Array([0x1e]) })))<PCollection<string>>(true);
    expectType(p.apply("Escaped", ReadFromText.from("in/*.txt", { escapechar: "\\", delimiter: "|" })))<PCollection<string>>(true);
    expectType(p.apply("Named", ReadFromTextWithFilename.from("in/*.txt", { skipHeaderLines: 2 })))<PCollection<KV<string, string>>>(true);
    const patterns = p.apply("Patterns", Create.of("in/*.txt"));
    expectType(patterns.apply("All", ReadAllFromText.create({ delimiter: "\u001e", skipHeaderLines: 1 })))<PCollection<string>>(true);
    const options: ReadFromTextOptions = { compression: "gzip", skipHeaderLines: 0 };
    assert.equal(options.skipHeaderLines, 0);
    // Beam Java's ZIP and SNAPPY are read compressions; none of the read-only ones is a WriteCompression.
    const zipped: ReadFromTextOptions = { compression: "zip" };
    const snappy: ReadFromTextOptions = { compression: "snappy" };
    assert.deepEqual([zipped.compression, snappy.compression], ["zip", "snappy"]);
    expectType<Exclude<"zip" | "snappy" | "bzip2" | "lzma", WriteCompression>>("zip")<"zip" | "snappy" | "bzip2" | "lzma">(true);
    // Beam Java's LZOP and LZO are written too.
    expectType<Extract<"lzop" | "lzo" | "gzip", WriteCompression>>("lzo")<"lzop" | "lzo" | "gzip">(true);

    const typeOnly = (): void => {
      // @ts-expect-error: a delimiter is a string or bytes
      ReadFromText.from("a", { delimiter: 10 });
      // @ts-expect-error: skipHeaderLines is a number
      ReadFromText.from("a", { skipHeaderLines: "1" });
      // @ts-expect-error: escapechar is a string or bytes
      ReadFromText.from("a", { escapechar: 92 });
      // @ts-expect-error: stripTrailingNewlines is a boolean
      ReadFromTextWithFilename.from("a", { stripTrailingNewlines: "no" });
    };
    assert.equal(typeof typeOnly, "function");
  });

  it("write options", () => {
    const p = Pipeline.create();
    const lines = p.apply("Lines", Create.of("a"));
    expectType(lines.apply("Write", WriteToText.to("out/x", { footer: "end", skipIfEmpty: true, maxRecordsPerShard: 10, maxBytesPerShard: 1 << 20, appendTrailingNewlines: false })))<PCollection<string>>(true);
    const single: WriteToTextOptions = { numShards: 1, shardNameTemplate: "", delimiter: "\r\n" };
    assert.equal(single.numShards, 1);

    const typeOnly = (): void => {
      // @ts-expect-error: a footer is a string (a side-input footer is not supported)
      WriteToText.to("o", { footer: 1 });
      // @ts-expect-error: skipIfEmpty is a boolean
      WriteToText.to("o", { skipIfEmpty: "yes" });
      // @ts-expect-error: a write's delimiter is a string
      WriteToText.to("o", { delimiter: new Uint8Array([10]) });
    };
    assert.equal(typeof typeOnly, "function");
  });
});
