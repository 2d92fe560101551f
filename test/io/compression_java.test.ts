/**
 * The legacy .lzma format (Beam Python's LZMA reads it: `LZMADecompressor()` is FORMAT_AUTO), and
 * Beam Java's ZIP (every entry's data in turn), SNAPPY (raw Snappy), LZOP (lzop files) and LZO
 * (Hadoop's LZO blocks) compressions: read by "auto" from their suffixes and by name, through
 * text, CSV, FileIO and TFRecord reads, as streams, corrupt data failing with the file's name;
 * writing them refused (Java does not write ZIP, its SNAPPY writes a wrong length, and we have no
 * LZO compressor). The fixtures in test/fixtures/compression were made by real tools
 * (make_java_formats.sh: xz, zip, lzop, libsnappy and liblzo2 through python3-snappy and
 * python3-lzo) from the texts Beam Python wrote; expected.json holds what Beam Python reads from
 * the .lzma ones.
 */
import { strict as assert } from "node:assert";
import { createHash } from "node:crypto";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { execFileSync } from "node:child_process";
import { Create, ParDo } from "../../lib";
import { ReadFromCsv, WriteToCsv, type CsvRecord } from "../../lib/io/csv";
import { FileIO, ReadableFile } from "../../lib/io/fileio";
import { resolveCompression, type FileCompression } from "../../lib/io/compression";
import { lzo1xDecompress } from "../../lib/io/lzo_stream";
import { lzo1xCompress } from "../../lib/io/lzo_write";
import { ReadFromText, WriteToText } from "../../lib/io/textio";
import { TextShardWriter } from "../../lib/io/text_write";
import { FileSystems } from "../../lib/io/filesystems/registry";
import { ReadFromTFRecord, WriteToTFRecord } from "../../lib/io/tfrecord";
import { assertThat, equalTo, satisfies } from "../../lib/testing/passert";
import { runDirect, runOk } from "../helpers";
import { decode } from "./compression_decode";

const ROOT = path.resolve(__dirname, "..", "..", "..", "test", "fixtures");
const FIXTURES = path.join(ROOT, "compression");
const fixture = (name: string): Buffer => fs.readFileSync(path.join(FIXTURES, name));
interface Expected {
  readonly count: number;
  readonly sha256: string;
  readonly lines?: readonly string[];
}
const EXPECTED = JSON.parse(fs.readFileSync(path.join(FIXTURES, "expected.json"), "utf8")) as Record<string, Expected>;
/** The text Beam Python wrote to beam.txt.* (make_compressed.py's LINES). */
const BEAM_TEXT = "first line\nzweite Zeile é\n\nline four\na,\"quoted, comma\"\n";
const BEAM_LINES = BEAM_TEXT.split("\n").slice(0, -1);
const sha256 = (data: Buffer | string): string => createHash("sha256").update(data).digest("hex");


/** The large text (Beam Python's large.txt.xz), and its first 30000 lines (what the .zip and .snappy fixtures hold). */
let LARGE: Buffer;
let LARGE_HEAD: Buffer;

describe("Legacy .lzma, ZIP, SNAPPY, LZOP and LZO files (Beam Python's LZMA, Beam Java's ZIP, SNAPPY, LZOP and LZO)", function () {
  this.timeout(120_000);
  let dir: string;
  before(async () => {
    LARGE = (await decode(fixture("large.txt.xz"), "lzma")).output;
    const lines = LARGE.toString("latin1").split("\n");
    LARGE_HEAD = Buffer.from(lines.slice(0, 30_000).join("\n") + "\n", "latin1");
  });
  beforeEach(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), "codecs-java-"));
  });
  afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

  it("'auto' maps suffixes as Beam Java's Compression.detect: .zip, .snappy, .zlib, .lzo, .lzo_deflate", () => {
    const cases: Record<string, FileCompression> = {
      "a.txt.zip": "zip",
      "A.ZIP": "zip",
      "a.csv.snappy": "snappy",
      "a.zlib": "deflate",
      "a.lzma": "lzma",
      "a.txt.lzo": "lzop",
      "a.LZO_DEFLATE": "lzo",
      "a.zipper": "uncompressed",
    };
    for (const [p, c] of Object.entries(cases)) assert.equal(resolveCompression(p), c, p);
    assert.equal(resolveCompression("logs.lzo", "uncompressed"), "uncompressed");
    assert.throws(() => resolveCompression("logs.txt", "lz4" as "gzip"), /Unknown compression 'lz4'.*"snappy", "lzop", "lzo"/);
  });

  describe("legacy .lzma", () => {
    it("reads Beam Python's FORMAT_ALONE file, a size-stating one and xz's, as Beam Python reads them", async () => {
      for (const name of ["legacy.txt.lzma", "sized.txt.lzma"]) assert.deepEqual(EXPECTED[name]!.lines, [...BEAM_LINES].sort(), name);
      assert.equal(EXPECTED["large.txt.lzma"]!.sha256, EXPECTED["large.txt.xz"]!.sha256);
      await runOk((p) => {
        assertThat(p.apply("Legacy", ReadFromText.from(path.join(FIXTURES, "legacy.txt.lzma"))), equalTo(BEAM_LINES), "LegacyMatches");
        assertThat(p.apply("Sized", ReadFromText.from(path.join(FIXTURES, "sized.txt.lzma"))), equalTo(BEAM_LINES), "SizedMatches");
        assertThat(
          p.apply("Large", ReadFromText.from(path.join(FIXTURES, "large.txt.lzma"))),
          satisfies((lines: readonly string[]) => {
            assert.equal(lines.length, EXPECTED["large.txt.lzma"]!.count);
            assert.equal(sha256([...lines].sort().join("\n")), EXPECTED["large.txt.lzma"]!.sha256);
          }),
          "LargeMatches",
        );
      });
    });

    it("reads concatenated streams one after the other, in chunks of any size, as a stream", async () => {
      const both = Buffer.concat([fixture("legacy.txt.lzma"), fixture("sized.txt.lzma"), fixture("legacy.txt.lzma")]);
      for (const chunk of [1, 5, 13, 100, 1 << 16]) assert.equal((await decode(both, "lzma", chunk)).output.toString("utf8"), BEAM_TEXT.repeat(3), `chunk ${chunk}`);
      const { output, early } = await decode(fixture("large.txt.lzma"), "lzma", 512);
      assert.ok(output.equals(LARGE));
      assert.ok(early > 0 && early < output.length, `${early} bytes out at 3/4 of the input`);
      assert.equal((await decode(Buffer.alloc(0), "lzma")).output.length, 0);
    });

    it("truncated, mixed or inconsistent data fails the read naming the file", async () => {
      // The format has no checksum: a changed byte is caught only when it breaks the coding (as in
      // liblzma), so corruption is tested by what the decoder can see.
      const good = fixture("large.txt.lzma");
      const files: Record<string, Buffer> = {
        "cut.txt.lzma": good.subarray(0, good.length - 9),
        "header.txt.lzma": good.subarray(0, 10),
        "mixed.txt.lzma": Buffer.concat([fixture("legacy.txt.lzma"), fixture("beam.txt.xz")]),
        "sizedlong.txt.lzma": Buffer.concat([fixture("sized.txt.lzma").subarray(0, 5), Buffer.from([1, 0, 0, 0, 0, 0, 0, 0]), fixture("sized.txt.lzma").subarray(13)]),
      };
      for (const [name, data] of Object.entries(files)) fs.writeFileSync(path.join(dir, name), data);
      for (const name of Object.keys(files)) {
        const result = await runDirect((p) => {
          p.apply(ReadFromText.from(path.join(dir, name)));
        });
        assert.equal(result.state, "FAILED", name);
        assert.match(result.error!.message, new RegExp(`Cannot read .*${name.replace(/\./g, "\\.")} as lzma: lzma: .*not valid or is truncated`, "s"), name);
      }
      await assert.rejects(decode(files["mixed.txt.lzma"]!, "lzma"), /an \.xz stream follows a legacy \.lzma stream/);
      await assert.rejects(decode(files["sizedlong.txt.lzma"]!, "lzma"), /more data than its header states/);
    });
  });

  describe("ZIP (Beam Java's: every entry's data in turn)", () => {
    it("reads entries in order as one text (a directory entry adds nothing); stored entries and data descriptors too", async () => {
      await runOk((p) => {
        assertThat(p.apply("Entries", ReadFromText.from(path.join(FIXTURES, "beam.txt.zip"))), equalTo(BEAM_LINES), "EntriesMatch");
        assertThat(p.apply("Stored", ReadFromText.from(path.join(FIXTURES, "stored.txt.zip"))), equalTo(BEAM_LINES), "StoredMatch");
        assertThat(p.apply("Streamed", ReadFromText.from(path.join(FIXTURES, "streamed.txt.zip"))), equalTo(BEAM_LINES), "StreamedMatch");
        assertThat(p.apply("Named", ReadFromText.from(path.join(FIXTURES, "beam.txt.zip"), { compression: "zip" })), equalTo(BEAM_LINES), "NamedMatch");
      });
      for (const name of ["beam.txt.zip", "stored.txt.zip", "streamed.txt.zip"]) {
        for (const chunk of [1, 7, 1 << 16]) assert.equal((await decode(fixture(name), "zip", chunk)).output.toString("utf8"), BEAM_TEXT, `${name} in ${chunk}`);
      }
    });

    it("reads a large entry as a stream", async () => {
      const { output, early } = await decode(fixture("large.txt.zip"), "zip", 4096);
      assert.ok(output.equals(LARGE_HEAD), `${output.length} bytes`);
      assert.ok(early > 0 && early < output.length, `${early} bytes out at 3/4 of the input`);
    });

    it("a bad CRC, a truncated archive, a file that is not a ZIP fail naming the file", async () => {
      const good = fixture("beam.txt.zip");
      const crc = Buffer.from(good);
      crc[14] ^= 1; // the first local header's CRC-32
      const data = Buffer.from(fixture("large.txt.zip"));
      data[data.length >> 1] ^= 0x55;
      const files: Record<string, [Buffer, RegExp]> = {
        "crc.txt.zip": [crc, /entry 'part1\.txt' fails its CRC-32 check/],
        "flipped.txt.zip": [data, /zip: /],
        "cut.txt.zip": [good.subarray(0, 60), /ends inside entry 'part1\.txt'/],
        "plain.txt.zip": [Buffer.from("not a zip at all\n"), /not a ZIP archive/],
      };
      for (const [name, [bytes]] of Object.entries(files)) fs.writeFileSync(path.join(dir, name), bytes);
      for (const [name, [, why]] of Object.entries(files)) {
        const result = await runDirect((p) => {
          p.apply(ReadFromText.from(path.join(dir, name)));
        });
        assert.equal(result.state, "FAILED", name);
        assert.match(result.error!.message, new RegExp(`Cannot read .*${name.replace(/\./g, "\\.")} as zip: .*not valid or is truncated`, "s"), name);
        assert.match(result.error!.message, why, name);
      }
    });
  });

  describe("SNAPPY (Beam Java's: raw Snappy, commons-compress's SnappyCompressorInputStream)", () => {
    it("decodes raw Snappy as its format description says", async () => {
      // Length 23 (varint 0x17); a literal of 6 (tag 0x14: (6-1)<<2 | 0b00) "hello "; a copy with a
      // 2-byte offset (tag 0x42: (17-1)<<2 | 0b10) of 17 bytes from 6 back (0x0006, little-endian);
      // libsnappy's Compress("hello hello hello hello") gives exactly these bytes.
      const bytes = Buffer.concat([Buffer.from([0x17, 0x14]), Buffer.from("hello "), Buffer.from([0x42, 0x06, 0x00])]);
      assert.equal((await decode(bytes, "snappy", 1)).output.toString(), "hello hello hello hello");
      // A 1-byte-offset copy (tag 0b01: length 4 + bits 2-4, offset bits 5-7 then the next byte) of 5 from 2 back.
      const short = Buffer.concat([Buffer.from([7, 0x04]), Buffer.from("ab"), Buffer.from([(1 << 2) | 1, 2])]);
      assert.equal((await decode(short, "snappy")).output.toString(), "abababa");
      // A literal whose length-1 is in the next byte (tag 60<<2), and the empty stream (length 0).
      const long = Buffer.concat([Buffer.from([100, 60 << 2, 99]), Buffer.alloc(100, 0x61)]);
      assert.equal((await decode(long, "snappy", 3)).output.toString(), "a".repeat(100));
      assert.equal((await decode(Buffer.from([0]), "snappy")).output.length, 0);
    });

    it("reads libsnappy's files, small and large, as a stream", async () => {
      await runOk((p) => {
        assertThat(p.apply(ReadFromText.from(path.join(FIXTURES, "beam.txt.snappy"))), equalTo(BEAM_LINES));
      });
      const { output, early } = await decode(fixture("large.txt.snappy"), "snappy", 4096);
      assert.ok(output.equals(LARGE_HEAD), `${output.length} bytes`);
      assert.ok(early > 0 && early < output.length, `${early} bytes out at 3/4 of the input`);
    });

    it("corrupt, truncated, over-long and framed-format data fail naming the file", async () => {
      const good = fixture("beam.txt.snappy");
      const files: Record<string, [Buffer, RegExp]> = {
        "cut.txt.snappy": [good.subarray(0, good.length - 3), /ends after \d+ of the 56 bytes it states/],
        "trailing.txt.snappy": [Buffer.concat([good, Buffer.from([0])]), /1 bytes follow the end of the data/],
        "back.txt.snappy": [Buffer.from([10, 0x04, 0x61, 0x61, (3 << 2) | 2, 9, 0]), /a copy from 9 bytes back, after 2 bytes/],
        // The framing format's stream identifier chunk (framing_format.txt): ff 06 00 00 "sNaPpY".
        "framed.txt.snappy": [Buffer.concat([Buffer.from([0xff, 0x06, 0x00, 0x00]), Buffer.from("sNaPpY")]), /snappy: /],
      };
      for (const [name, [bytes]] of Object.entries(files)) fs.writeFileSync(path.join(dir, name), bytes);
      for (const [name, [, why]] of Object.entries(files)) {
        const result = await runDirect((p) => {
          p.apply(ReadFromText.from(path.join(dir, name)));
        });
        assert.equal(result.state, "FAILED", name);
        assert.match(result.error!.message, new RegExp(`Cannot read .*${name.replace(/\./g, "\\.")} as snappy: .*not valid or is truncated`, "s"), name);
        assert.match(result.error!.message, why, name);
      }
    });
  });

  describe("LZOP and LZO (Beam Java's, through aircompressor: lzop files and Hadoop's LZO blocks)", () => {
    it("decodes LZO1X as the format says", () => {
      // liblzo2's lzo1x_1 output for 23 bytes it cannot shrink: a first byte of 17 + 23 (a literal
      // run of 23), the bytes, then the end marker (a 16..31 match, distance 0: 0x11 0x00 0x00).
      const text = "hello hello hello hello";
      const out = Buffer.alloc(23);
      assert.equal(lzo1xDecompress(Buffer.concat([Buffer.from([17 + 23]), Buffer.from(text), Buffer.from([0x11, 0, 0])]), out), 23);
      assert.equal(out.toString(), text);
      // "abcabcabcabc": a first literal run of 4 ("abca": 17 + 4), then after it a 64..255 match
      // (length (t >> 5) + 1, distance 1 + ((t >> 2) & 7) + (next << 3)): t = (7 << 5) | (2 << 2) is
      // 8 bytes from 3 back, with no trailing literals; then the end marker.
      const abc = Buffer.alloc(12);
      assert.equal(lzo1xDecompress(Buffer.from([17 + 4, 0x61, 0x62, 0x63, 0x61, (7 << 5) | (2 << 2), 0, 0x11, 0, 0]), abc), 12);
      assert.equal(abc.toString(), "abcabcabcabc");
      assert.throws(() => lzo1xDecompress(Buffer.from([17 + 4, 0x61, 0x62, 0x63, 0x61, (7 << 5) | (7 << 2), 1, 0x11, 0, 0]), Buffer.alloc(12)), /a match 16 bytes back, before the start/);
      assert.throws(() => lzo1xDecompress(Buffer.from([17 + 4, 0x61, 0x62, 0x63, 0x61]), Buffer.alloc(12)), /ends too early/);
      assert.throws(() => lzo1xDecompress(Buffer.from([17 + 4, 0x61, 0x62, 0x63, 0x61, 0x11, 0, 0]), Buffer.alloc(3)), /more output than stated/);
    });

    it("reads lzop's files (LZO1X-1 and -999), Hadoop's LZO blocks, and concatenated lzop files, as streams", async () => {
      await runOk((p) => {
        assertThat(p.apply("Lzop", ReadFromText.from(path.join(FIXTURES, "beam.txt.lzo"))), equalTo(BEAM_LINES), "LzopMatches");
        assertThat(p.apply("Blocks", ReadFromText.from(path.join(FIXTURES, "beam.txt.lzo_deflate"))), equalTo(BEAM_LINES), "BlocksMatch");
        assertThat(p.apply("Named", ReadFromText.from(path.join(FIXTURES, "beam.txt.lzo"), { compression: "lzop" })), equalTo(BEAM_LINES), "NamedMatch");
      });
      for (const [name, compression] of [["large.txt.lzo", "lzop"], ["large9.txt.lzo", "lzop"], ["large.txt.lzo_deflate", "lzo"]] as const) {
        const { output, early } = await decode(fixture(name), compression, 4096);
        assert.ok(output.equals(LARGE_HEAD), `${name}: ${output.length} bytes`);
        assert.ok(early > 0 && early < output.length, `${name}: ${early} bytes out at 3/4 of the input`);
      }
      for (const chunk of [1, 9, 1 << 16]) {
        assert.equal((await decode(Buffer.concat([fixture("beam.txt.lzo"), fixture("beam.txt.lzo")]), "lzop", chunk)).output.toString("utf8"), BEAM_TEXT.repeat(2), `chunk ${chunk}`);
        assert.equal((await decode(fixture("beam.txt.lzo_deflate"), "lzo", chunk)).output.toString("utf8"), BEAM_TEXT, `chunk ${chunk}`);
      }
    });

    it("our LZO1X compressor's output decodes to its input (edge cases: empty, 1-3 bytes, runs, noise, long matches)", () => {
      let seed = 7;
      const next = (): number => (seed = (Math.imul(seed, 1103515245) + 12345) >>> 0) >>> 16;
      const inputs = [
        Buffer.alloc(0),
        Buffer.from("a"),
        Buffer.from("abc"),
        Buffer.from("abcd"),
        Buffer.alloc(100_000, 0x61),
        Buffer.from(Array.from({ length: 200_000 }, () => next() & 3)),
        Buffer.from(Array.from({ length: 70_000 }, () => next() & 255)),
        Buffer.concat([Buffer.from(Array.from({ length: 30_000 }, () => next() & 255)), Buffer.from(Array.from({ length: 30_000 }, () => next() & 255))]),
        LARGE_HEAD.subarray(0, 262_144),
      ];
      // 40000 bytes of noise twice: one long match 40000 back (past M3's 0x4000, so LZO1X's M4).
      inputs.push(Buffer.concat([inputs[7]!.subarray(0, 40_000), inputs[7]!.subarray(0, 40_000)]));
      for (const input of inputs) {
        const out = Buffer.alloc(input.length);
        assert.equal(lzo1xDecompress(lzo1xCompress(input), out), input.length, `${input.length} bytes`);
        assert.ok(out.equals(input), `${input.length} bytes`);
      }
      assert.ok(lzo1xCompress(LARGE_HEAD.subarray(0, 262_144)).length < 262_144 / 2);
    });

    it("WriteToText, WriteToCsv, TFRecord and FileIO write .lzo and .lzo_deflate (streamed and whole) that read back, and that lzop reads", async () => {
      const lines = Array.from({ length: 60_000 }, (_, i) => `line ${i} ${"lzo".repeat(i % 30)} é`);
      await runOk((p) => {
        const input = p.apply(Create.from(lines));
        input.apply("Lzop", WriteToText.to(path.join(dir, "text"), { suffix: ".txt.lzo", numShards: 2 }));
        input.apply("Blocks", WriteToText.to(path.join(dir, "blocks"), { suffix: ".txt", numShards: 1, compression: "lzo" }));
        p.apply("Rows", Create.from([{ name: "alpha", n: 1 }, { name: "gamma, delta", n: 3 }])).apply("Csv", WriteToCsv.to(path.join(dir, "rows"), { columns: ["name", "n"], suffix: ".csv.lzo", numShards: 1 }));
        input.apply("Dynamic", FileIO.writeDynamic<string>().by((l) => (l.length % 2 === 0 ? "even" : "odd")).withCompression("lzop").to(path.join(dir, "dyn")));
        p.apply("Records", Create.from(["r1", "r2é"]))
          .apply("Bytes", ParDo.into<Uint8Array>().of((s: string, ctx) => ctx.output(Buffer.from(s))))
          .apply("Tf", WriteToTFRecord.to(path.join(dir, "records"), { suffix: ".tfrecord.lzo_deflate", numShards: 1 }));
      });
      const small = path.join(dir, "small.txt.lzo");
      await TextShardWriter.writeWhole(FileSystems, small, ["a", "b"], { header: "h" });
      assert.equal((await decode(fs.readFileSync(small), "lzop")).output.toString("utf8"), "h\na\nb\n");
      const dynamic = fs.readdirSync(path.join(dir, "dyn")).map((f) => path.join(dir, "dyn", f));
      await runOk((p) => {
        assertThat(p.apply("Lzop", ReadFromText.from(path.join(dir, "text-*"))), equalTo(lines), "LzopMatches");
        assertThat(p.apply("Blocks", ReadFromText.from(path.join(dir, "blocks-*"), { compression: "lzo" })), equalTo(lines), "BlocksMatch");
        assertThat(p.apply("Dyn", ReadFromText.from(dynamic, { compression: "lzop" })), equalTo(lines), "DynamicMatches");
        const rows = p.apply("ReadCsv", ReadFromCsv.from(path.join(dir, "rows-*"))).rows;
        assertThat(rows.map("Row", (r: CsvRecord) => `${r["name"]}=${r["n"]}`), equalTo(["alpha=1", "gamma, delta=3"]), "RowsMatch");
        const records = p.apply("ReadTf", ReadFromTFRecord.from(path.join(dir, "records-*")));
        assertThat(records.map("Utf8", (r: Uint8Array) => Buffer.from(r).toString("utf8")), equalTo(["r1", "r2é"]), "RecordsMatch");
      });
      let lzop: string | undefined;
      try {
        lzop = execFileSync("sh", ["-c", "command -v lzop"], { encoding: "utf8" }).trim();
      } catch {
        lzop = undefined;
      }
      if (lzop !== undefined && lzop !== "") {
        // lzop itself tests and decompresses what we wrote (the Debian package, where installed).
        const ours = fs.readdirSync(dir).filter((f) => f.startsWith("text-")).map((f) => path.join(dir, f));
        execFileSync(lzop, ["-t", ...ours, small]);
        const text = ours.map((f) => execFileSync(lzop!, ["-dc", f], { maxBuffer: 1 << 26 }).toString("utf8")).join("");
        assert.deepEqual(text.split("\n").slice(0, -1).sort(), [...lines].sort());
      }
    });

    it("corrupt (checksums), truncated and foreign data fail naming the file", async () => {
      const large = fixture("large.txt.lzo");
      const flipped = Buffer.from(large);
      flipped[large.length >> 1] ^= 0x55;
      const header = Buffer.from(fixture("beam.txt.lzo"));
      header[20] ^= 1; // inside the header its checksum covers
      const blocks = fixture("large.txt.lzo_deflate");
      const files: Record<string, [Buffer, RegExp]> = {
        "flipped.txt.lzo": [flipped, /lzop: (a block fails its adler32 check|a block decodes to fewer bytes|lzo: corrupt data)/],
        "header.txt.lzo": [header, /lzop: the file header fails its checksum/],
        "cut.txt.lzo": [large.subarray(0, large.length - 100), /lzop: the data ends inside a block/],
        "plain.txt.lzo": [Buffer.from("not lzop\n"), /lzop: not an lzop file/],
        "cut.txt.lzo_deflate": [blocks.subarray(0, blocks.length - 100), /lzo: the data ends inside a block/],
        "plain.txt.lzo_deflate": [Buffer.from("not lzo, just text\n"), /lzo: a block of \d+ bytes, over/],
      };
      for (const [name, [bytes]] of Object.entries(files)) fs.writeFileSync(path.join(dir, name), bytes);
      for (const [name, [, why]] of Object.entries(files)) {
        const result = await runDirect((p) => {
          p.apply(ReadFromText.from(path.join(dir, name)));
        });
        assert.equal(result.state, "FAILED", name);
        assert.match(result.error!.message, new RegExp(`Cannot read .*${name.replace(/\./g, "\\.")} as lzop?: .*not valid or is truncated`, "s"), name);
        assert.match(result.error!.message, why, name);
      }
    });
  });

  it("CSV, FileIO.readMatches and TFRecord read .zip, .snappy, .lzo and legacy .lzma files", async () => {
    // The records of Beam Python's uncompressed file, split by TFRecord's framing (length, its CRC, data, its CRC).
    const tf = fs.readFileSync(path.join(ROOT, "tfrecord", "records.tfrecord"));
    const records: string[] = [];
    for (let at = 0; at < tf.length; ) {
      const n = Number(tf.readBigUInt64LE(at));
      records.push(tf.subarray(at + 12, at + 12 + n).toString("hex"));
      at += 16 + n;
    }
    assert.equal(records.length, 6);
    const csv = "name,n\nalpha,1\n\"gamma, delta\",3\n";
    // Made here with our own zip of one stored entry (its bytes follow APPNOTE's local header).
    const entry = Buffer.from(csv);
    const header = Buffer.alloc(30);
    header.writeUInt32LE(0x04034b50, 0);
    header.writeUInt16LE(10, 4);
    header.writeUInt32LE((await import("node:zlib")).crc32(entry), 14);
    header.writeUInt32LE(entry.length, 18);
    header.writeUInt32LE(entry.length, 22);
    header.writeUInt16LE(5, 26);
    fs.writeFileSync(path.join(dir, "rows.csv.zip"), Buffer.concat([header, Buffer.from("a.csv"), entry, Buffer.from([0x50, 0x4b, 0x05, 0x06]), Buffer.alloc(18)]));
    await runOk((p) => {
      const rows = p.apply(ReadFromCsv.from(path.join(dir, "rows.csv.zip"))).rows;
      assertThat(rows.map("Row", (r: CsvRecord) => `${r["name"]}=${r["n"]}`), equalTo(["alpha=1", "gamma, delta=3"]));
      for (const name of ["beam.txt.snappy", "beam.txt.zip", "beam.txt.lzo", "beam.txt.lzo_deflate", "legacy.txt.lzma"]) {
        const docs = p.apply(`Match ${name}`, FileIO.match(path.join(FIXTURES, name))).apply(`Readable ${name}`, FileIO.readMatches());
        const texts = docs.apply(`Text ${name}`, ParDo.into<string>().of(async (f: ReadableFile, ctx) => ctx.output(await f.readUtf8())));
        assertThat(texts, equalTo([BEAM_TEXT]), `${name} matches`);
      }
      for (const ext of ["zip", "snappy", "lzo"]) {
        const read = p.apply(`Tf${ext}`, ReadFromTFRecord.from(path.join(FIXTURES, `records.tfrecord.${ext}`)));
        assertThat(read.map(`Hex${ext}`, (r: Uint8Array) => Buffer.from(r).toString("hex")), equalTo(records), `Tf${ext}Matches`);
      }
    });
  });

  it("writing zip or snappy is refused when the write is built, saying why", () => {
    assert.throws(() => WriteToText.to(path.join(dir, "out"), { suffix: ".txt.zip" }), /Cannot write .*out\.txt\.zip as zip \(\.zip\): .*Beam Java's Compression\.ZIP does not write either.*"zstd"/s);
    assert.throws(() => WriteToText.to(path.join(dir, "out"), { suffix: ".txt", compression: "snappy" }), /as snappy \(\.snappy\): .*whole file's length/s);
    assert.throws(() => WriteToTFRecord.to(path.join(dir, "out"), { suffix: ".snappy" }), /WriteToTFRecord: .*snappy/s);
    assert.throws(() => FileIO.writeDynamic<string>().withCompression("zip"), /cannot write compression 'zip' \(zip files are read, not written\)/);
    assert.doesNotThrow(() => WriteToText.to(path.join(dir, "out"), { suffix: ".zip", compression: "uncompressed" }));
  });
});
