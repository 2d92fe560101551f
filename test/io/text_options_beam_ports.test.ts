/**
 * Cases of Beam's own TextIO tests for the options users migrate with, ported:
 * Python's textio_test.py (TextSourceTest: skip_header_lines, custom delimiters, strip_trailing_newlines;
 * TextSinkTest: footer, skip_if_empty, max_records_per_shard, max_bytes_per_shard) and Java's
 * TextIOReadTest (custom delimiters over every split point, nested and partial delimiters,
 * isSelfOverlapping) and TextIOWriteTest (header/footer, withoutSharding, skipIfEmpty).
 */
import { strict as assert } from "node:assert";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import * as zlib from "node:zlib";
import { Create, Pipeline } from "../../lib";
import { ReadAllFromText } from "../../lib/io/fileio";
import { isSelfOverlapping, readLineBatches, type TextFormat } from "../../lib/io/text_read";
import { ReadFromText, ReadFromTextWithFilename, WriteToText } from "../../lib/io/textio";
import { assertThat, equalTo } from "../../lib/testing/passert";
import { kv } from "../../lib/model/window";
import { runOk } from "../helpers";

/** Python's write_data: `n` lines "line<i>" each ended by `eol` (the last one too). */
function writeData(file: string, n: number, eol = "\n", value = "line"): string[] {
  const lines = Array.from({ length: n }, (_, i) => `${value}${i}`);
  fs.writeFileSync(file, lines.map((l) => l + eol).join(""));
  return lines;
}

async function readRange(file: string, start: number, end: number, format: TextFormat, chunkSize?: number): Promise<string[]> {
  const out: string[] = [];
  for await (const b of readLineBatches(file, { start, end }, "auto", { format, ...(chunkSize !== undefined ? { chunkSize } : {}) })) out.push(...b);
  return out;
}

/** Reads `file` cut into ranges of `size` bytes. */
async function readSplit(file: string, size: number, format: TextFormat): Promise<string[]> {
  const total = fs.statSync(file).size;
  const out: string[] = [];
  for (let s = 0; s < total; s += size) out.push(...(await readRange(file, s, Math.min(total, s + size), format)));
  return out;
}

describe("Beam's TextIO tests for the migration options, ported", () => {
  let dir: string;
  beforeEach(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), "text-ports-"));
  });
  afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

  describe("Python textio_test.py: TextSourceTest", () => {
    it("test_read_skip_header_pattern: 2 header lines of each of six files", async () => {
      const counts = [50, 30, 120, 80, 80, 40];
      const expected: string[] = [];
      counts.forEach((n, f) => expected.push(...writeData(path.join(dir, `p${f}.txt`), n, "\n", `f${f}-`).slice(2)));
      await runOk((p) => assertThat(p.apply(ReadFromText.from(path.join(dir, "p*.txt"), { skipHeaderLines: 2, desiredBundleSizeBytes: 64 })), equalTo(expected)));
    });

    it("test_read_skip_header_pattern_insufficient_lines: a file shorter than its header gives nothing", async () => {
      const counts = [5, 3, 12, 8, 8, 4];
      const expected: string[] = [];
      counts.forEach((n, f) => expected.push(...writeData(path.join(dir, `p${f}.txt`), n, "\n", `f${f}-`).slice(4)));
      await runOk((p) => assertThat(p.apply(ReadFromText.from(path.join(dir, "p*.txt"), { skipHeaderLines: 4 })), equalTo(expected)));
    });

    it("test_read_gzip_with_skip_lines", async () => {
      const lines = Array.from({ length: 15 }, (_, i) => `line${i}`);
      fs.writeFileSync(path.join(dir, "f.gz"), zlib.gzipSync(lines.join("\n")));
      await runOk((p) => assertThat(p.apply(ReadFromText.from(path.join(dir, "f.gz"), { skipHeaderLines: 2 })), equalTo(lines.slice(2))));
    });

    it("test_read_after_splitting_skip_header: splits of 33 bytes equal the whole read", async () => {
      const file = path.join(dir, "f.txt");
      const lines = writeData(file, 100);
      assert.deepEqual(await readRange(file, 0, Infinity, { skipHeaderLines: 2 }), lines.slice(2));
      assert.deepEqual(await readSplit(file, 33, { skipHeaderLines: 2 }), lines.slice(2));
    });

    it("test_custom_delimiter_read_from_text and _read_all_single_file (delimiter @#)", async () => {
      const file = path.join(dir, "f.txt");
      const lines = writeData(file, 5, "@#");
      await runOk((p) => {
        assertThat(p.apply("Read", ReadFromText.from(file, { delimiter: "@#" })), equalTo(lines), "ReadEquals");
        assertThat(p.apply("Files", Create.of(file)).apply("ReadAll", ReadAllFromText.create({ delimiter: Buffer.from("@#") })), equalTo(lines), "ReadAllEquals");
      });
    });

    it("test_invalid_delimiters_are_rejected, test_self_overlapping_delimiter_is_rejected, test_non_self_overlapping_delimiter_is_accepted", () => {
      // Python also refuses str delimiters ('\r\n', 'a'); we take strings as their UTF-8 bytes.
      for (const d of ["", new Uint8Array(0), 1 as unknown as string]) assert.throws(() => ReadFromText.from("x", { delimiter: d }), /ReadFromText: delimiter must/);
      for (const d of ["||", "***", "aba", "abcab"]) assert.throws(() => ReadFromText.from("x", { delimiter: Buffer.from(d) }), /ReadFromText: delimiter .* overlaps itself/);
      for (const d of ["\n", "\r\n", "*", "abc", "cabdab", "abcabd"]) ReadFromText.from("x", { delimiter: Buffer.from(d) });
    });

    it("test_read_with_customer_delimiter and _around_split_point (bundles of 4 to 7 bytes)", async () => {
      for (const d of ["\n", "\r\n", "*|", "*", "*=-", "@#", "abc"]) {
        const file = path.join(dir, `d${Buffer.from(d).toString("hex")}.txt`);
        const lines = writeData(file, 20, d);
        assert.deepEqual(await readRange(file, 0, Infinity, { delimiter: Buffer.from(d) }), lines, JSON.stringify(d));
        for (const size of [4, 5, 6, 7]) assert.deepEqual(await readSplit(file, size, { delimiter: Buffer.from(d) }), lines, `${JSON.stringify(d)} bundles of ${size}`);
      }
    });

    it("test_read_with_customer_delimiter_truncated (a delimiter cut by the read buffer) and _over_buffer_size", async () => {
      const file = path.join(dir, "f.txt");
      const lines = Array.from({ length: 10 }, () => "aaaa");
      fs.writeFileSync(file, lines.map((l) => l + "@$*").join(""));
      assert.deepEqual(await readRange(file, 0, Infinity, { delimiter: Buffer.from("@$*") }, 6), lines);
      const cr = path.join(dir, "cr.txt");
      fs.writeFileSync(cr, ["\rline0", "\rline1", "\rline2"].map((l) => l + "\r\n").join(""));
      assert.deepEqual(await readRange(cr, 0, Infinity, { delimiter: Buffer.from("\r\n") }, 7), ["\rline0", "\rline1", "\rline2"]);
    });

    it("test_read_with_customer_delimiter_truncated_and_not_equal: a partial delimiter never splits", async () => {
      const file = path.join(dir, "f.txt");
      const text = Array.from({ length: 10 }, () => "aaaa@$").join("");
      fs.writeFileSync(file, text);
      assert.deepEqual(await readRange(file, 0, Infinity, { delimiter: Buffer.from("@$*") }, 6), [text]);
    });

    it("test_read_single_file_without_striping_eol_lf and _crlf", async () => {
      const lf = path.join(dir, "lf.txt");
      const crlf = path.join(dir, "crlf.txt");
      const lines = writeData(lf, 10);
      writeData(crlf, 10, "\r\n");
      await runOk((p) => {
        assertThat(p.apply("Lf", ReadFromText.from(lf, { stripTrailingNewlines: false })), equalTo(lines.map((l) => l + "\n")), "LfEquals");
        assertThat(p.apply("CrLf", ReadFromText.from(crlf, { stripTrailingNewlines: false })), equalTo(lines.map((l) => l + "\r\n")), "CrLfEquals");
      });
    });

    it("ReadFromTextWithFilename and ReadAllFromText.withFilename take the options too", async () => {
      const file = path.join(dir, "h.csv");
      fs.writeFileSync(file, "name|ann|bob");
      await runOk((p) => {
        assertThat(p.apply("Read", ReadFromTextWithFilename.from(file, { delimiter: "|", skipHeaderLines: 1 })), equalTo([kv(file, "ann"), kv(file, "bob")]), "ReadEquals");
        assertThat(p.apply("Files", Create.of(file)).apply("ReadAll", ReadAllFromText.withFilename({ delimiter: "|", skipHeaderLines: 1, stripTrailingNewlines: false })), equalTo([kv(file, "ann|"), kv(file, "bob")]), "ReadAllEquals");
      });
    });
  });

  describe("Java TextIOReadTest", () => {
    it("testDelimiterSelfOverlaps", () => {
      for (const d of ["abc", "cabdab", "abcabd"]) assert.equal(isSelfOverlapping(Buffer.from(d)), false, d);
      for (const d of ["aba", "abcab"]) assert.equal(isSelfOverlapping(Buffer.from(d)), true, d);
    });

    it("testReadLinesWithCustomDelimiter (|*): every split point gives the whole read", async () => {
      const cases = ["first|*second|*|*third", "first|*second|*|*third|", "first|*second|*|*third*", "first|*second|*|*third|*", "|first|*second|*|*third", "|first|*second|*|*third|*", "*first|*second|*|*third", "|*first|*second|*|*third", "|*first|*second|*|*third|*"];
      const file = path.join(dir, "f.txt");
      const format = { delimiter: Buffer.from("|*") };
      for (const text of cases) {
        fs.writeFileSync(file, text);
        const whole = await readRange(file, 0, Infinity, format);
        assert.deepEqual(whole, text.split("|*").filter((r, i, all) => !(i === all.length - 1 && r === "")), text);
        for (let cut = 0; cut <= text.length; cut++) {
          assert.deepEqual([...(await readRange(file, 0, cut, format, 1)), ...(await readRange(file, cut, text.length, format, 1))], whole, `${text} cut at ${cut}`);
        }
      }
    });

    it("testReadStringsWithCustomDelimiter, _NestedDelimiter and _PartialDelimiterMatchedAtBoundary", async () => {
      const file = path.join(dir, "f.txt");
      fs.writeFileSync(file, ["To be, or not to be: that |is the question: ", "To be, or not to be: that *is the question: ", "Whether 'tis nobler in the mind to suffer |*", "The slings and arrows of outrageous fortune,*||**|", "Or to take arms against a sea of troubles,|"].join(""));
      assert.deepEqual(await readRange(file, 0, Infinity, { delimiter: Buffer.from("|*") }), [
        "To be, or not to be: that |is the question: To be, or not to be: that *is the question: Whether 'tis nobler in the mind to suffer ",
        "The slings and arrows of outrageous fortune,*|",
        "*|Or to take arms against a sea of troubles,|",
      ]);
      fs.writeFileSync(file, "0AABAAC1AABAABAAC2AABAAABAAC");
      assert.deepEqual(await readRange(file, 0, Infinity, { delimiter: Buffer.from("AABAAC") }, 5), ["0", "1AAB", "2AABA"]);
      const text = "0".repeat(8190) + "ABC" + "0".repeat(16400 - 8193);
      fs.writeFileSync(file, text);
      assert.deepEqual(await readRange(file, 0, Infinity, { delimiter: Buffer.from("ABCDE") }, 8192), [text]);
    });
  });

  describe("Python TextSinkTest and Java TextIOWriteTest", () => {
    const list = (d: string): string[] => (fs.existsSync(d) ? fs.readdirSync(d).sort() : []);

    it("test_write_empty / testWriteEmptyStrings: one empty file; test_write_empty_skipped / testWriteEmptyStringsSkipIfEmpty: none", async () => {
      await runOk((p) => {
        p.apply("None", Create.of<string>()).apply("Write", WriteToText.to(path.join(dir, "a", "out")));
        p.apply("NoneSkipped", Create.of<string>()).apply("WriteSkipped", WriteToText.to(path.join(dir, "b", "out"), { skipIfEmpty: true }));
      });
      assert.deepEqual(list(path.join(dir, "a")), ["out-00000-of-00001"]);
      assert.equal(fs.readFileSync(path.join(dir, "a", "out-00000-of-00001"), "utf8"), "");
      assert.deepEqual(list(path.join(dir, "b")), []);
    });

    it("test_write_max_records_per_shard: 100 lines at most 13 a file", async () => {
      const lines = Array.from({ length: 100 }, (_, i) => String(i));
      await runOk((p) => p.apply(Create.from(lines)).apply(WriteToText.to(path.join(dir, "out"), { maxRecordsPerShard: 13 })));
      const read: string[] = [];
      for (const f of list(dir)) {
        const shard = fs.readFileSync(path.join(dir, f), "utf8").split("\n").slice(0, -1);
        assert.ok(shard.length <= 13, `${f}: ${shard.length} lines`);
        read.push(...shard);
      }
      assert.deepEqual(read.sort(), [...lines].sort());
    });

    it("test_write_max_bytes_per_shard: 300 bytes a file, header and footer included", async () => {
      const lines = Array.from({ length: 100 }, (_, i) => "x".repeat(i));
      const header = "a".repeat(20);
      const footer = "b".repeat(30);
      await runOk((p) => p.apply(Create.from(lines)).apply(WriteToText.to(path.join(dir, "out"), { header, footer, maxBytesPerShard: 300 })));
      const read: string[] = [];
      for (const f of list(dir)) {
        const contents = fs.readFileSync(path.join(dir, f), "utf8");
        assert.ok(contents.length <= 300 + 100 + footer.length + 2, `${f}: ${contents.length} bytes`);
        const shard = contents.split("\n").slice(0, -1);
        assert.equal(shard[0], header);
        assert.equal(shard[shard.length - 1], footer);
        read.push(...shard.slice(1, -1));
      }
      assert.deepEqual(read.sort(), [...lines].sort());
    });

    it("testWriteWithHeaderAndFooter with withoutSharding ({ numShards: 1, shardNameTemplate: '' }), and testShardedWrite with a footer", async () => {
      const lines = ["Irritable eagle", "Optimistic jay", "Fanciful hawk", "Cowardly eagle"];
      await runOk((p) => {
        p.apply("One", Create.from(lines)).apply("Single", WriteToText.to(path.join(dir, "one", "file.txt"), { numShards: 1, shardNameTemplate: "", header: "<h>", footer: "<f>" }));
        p.apply("Five", Create.from(lines)).apply("Sharded", WriteToText.to(path.join(dir, "five", "file.txt"), { numShards: 5, footer: "<f>" }));
      });
      assert.deepEqual(list(path.join(dir, "one")), ["file.txt"]);
      const single = fs.readFileSync(path.join(dir, "one", "file.txt"), "utf8").split("\n");
      assert.deepEqual([single[0], single.slice(1, -2).sort(), single.slice(-2)], ["<h>", [...lines].sort(), ["<f>", ""]]);
      const five = list(path.join(dir, "five"));
      assert.equal(five.length, 5);
      for (const f of five) assert.match(fs.readFileSync(path.join(dir, "five", f), "utf8"), /<f>\n$/);
    });

    it("Python's shard_name_template='' alone writes one file <prefix><suffix> (FileBasedSink sets num_shards = 1)", async () => {
      await runOk((p) => p.apply(Create.of("a", "b")).apply(WriteToText.to(path.join(dir, "out"), { shardNameTemplate: "", suffix: ".txt" })));
      assert.deepEqual(list(dir), ["out.txt"]);
      assert.deepEqual(fs.readFileSync(path.join(dir, "out.txt"), "utf8").split("\n").sort(), ["", "a", "b"]);
      assert.throws(() => WriteToText.to("o", { shardNameTemplate: "", numShards: 3 }), /WriteToText: an empty shardNameTemplate names one file; it cannot be numShards 3/);
      assert.throws(() => WriteToText.to("o", { shardNameTemplate: "", maxRecordsPerShard: 3 }), /WriteToText: maxRecordsPerShard .* got numShards 1/);
    });

    it("rejects bad write options, naming the transform", () => {
      assert.throws(() => WriteToText.to("o", { maxRecordsPerShard: 0 }), /WriteToText: maxRecordsPerShard must be a positive integer, got 0/);
      assert.throws(() => WriteToText.to("o", { maxBytesPerShard: -5 }), /WriteToText: maxBytesPerShard must be a positive integer, got -5/);
      assert.throws(() => WriteToText.to("o", { maxRecordsPerShard: 10, numShards: 3 }), /WriteToText: maxRecordsPerShard .* needs runner-chosen sharding \(numShards 0\), got numShards 3/);
      assert.throws(() => WriteToText.to("o", { appendTrailingNewlines: false, delimiter: "\r\n" }), /WriteToText: appendTrailingNewlines: false .* set one of the two/);
      assert.throws(() => WriteToText.to("o", { footer: 3 as unknown as string }), /WriteToText: footer must be a string/);
      assert.throws(() => WriteToText.to("o", { skipIfEmpty: "yes" as unknown as boolean }), /WriteToText: skipIfEmpty must be true or false/);
      assert.throws(
        () => Pipeline.build({}, (p) => p.apply(Create.of("a")).apply("Capped", WriteToText.to("o", { windowedWrites: true, maxRecordsPerShard: 2 }))),
        /Capped: maxRecordsPerShard and maxBytesPerShard need bounded input written as one set of shards \(windowedWrites off\)/,
      );
    });

    it("a delimiter (Java's withDelimiter) follows every line, the header and the footer", async () => {
      await runOk((p) => p.apply(Create.of("a", "b")).apply(WriteToText.to(path.join(dir, "out"), { numShards: 1, header: "h", footer: "f", delimiter: "\r\n" })));
      const text = fs.readFileSync(path.join(dir, "out-00000-of-00001"), "utf8");
      assert.ok(text === "h\r\na\r\nb\r\nf\r\n" || text === "h\r\nb\r\na\r\nf\r\n", JSON.stringify(text));
    });
  });
});
