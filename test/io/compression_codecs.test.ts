/**
 * BZIP2, ZSTD and LZMA (.xz) files, as Beam Python's CompressionTypes reads them: "auto" by the
 * suffixes of Beam Python's `detect_compression_type` (.bz2; .zst, .zstd; .xz, .lzma), or said
 * outright; concatenated streams and frames read one after the other; read as streams. The fixtures
 * in test/fixtures/compression were written by Beam Python 2.66 (make_compressed.py beside them),
 * and expected.json holds what Beam Python's ReadFromText reads from each (the legacy .lzma ones are
 * tested in compression_java.test.ts). ZSTD is written too
 * (a frame per MiB); Beam Python reads what we write in the gated check at the end.
 */
import { strict as assert } from "node:assert";
import { execFileSync } from "node:child_process";
import { createHash } from "node:crypto";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { Create, ParDo } from "../../lib";
import { ReadFromCsv, type CsvRecord } from "../../lib/io/csv";
import { FileIO, ReadableFile } from "../../lib/io/fileio";
import { compressBlock, prepareCodec } from "../../lib/io/avro/codecs";
import { bunzip2Stream } from "../../lib/io/bzip2_stream";
import { compressWhole, decompressing, resolveCompression, type FileCompression } from "../../lib/io/compression";
import { ReadFromText, WriteToText } from "../../lib/io/textio";
import { TextShardWriter } from "../../lib/io/text_write";
import { FileSystems } from "../../lib/io/filesystems/registry";
import { ReadFromTFRecord, WriteToTFRecord } from "../../lib/io/tfrecord";
import { assertThat, equalTo, satisfies } from "../../lib/testing/passert";
import { runDirect, runOk } from "../helpers";
import { decode } from "./compression_decode";

const FIXTURES = path.resolve(__dirname, "..", "..", "..", "test", "fixtures", "compression");
interface Expected {
  readonly count: number;
  readonly sha256: string;
  readonly lines?: readonly string[];
}
const EXPECTED = JSON.parse(fs.readFileSync(path.join(FIXTURES, "expected.json"), "utf8")) as Record<string, Expected>;
/** The lines Beam Python wrote to beam.txt.* (make_compressed.py's LINES), in order. */
const BEAM_TEXT = "first line\nzweite Zeile é\n\nline four\na,\"quoted, comma\"\n";
const WORKERS = [{}, { directNumWorkers: 2, directWorkerThreads: "always" as const }];
const sha256 = (lines: readonly string[]): string => createHash("sha256").update([...lines].sort().join("\n")).digest("hex");


describe("BZIP2, ZSTD and LZMA files (Beam Python's compression types)", function () {
  this.timeout(120_000);
  let dir: string;
  beforeEach(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), "codecs-"));
  });
  afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

  it("'auto' maps suffixes as Beam Python's detect_compression_type", () => {
    const cases: Record<string, FileCompression> = {
      "a.txt.bz2": "bzip2",
      "A.TXT.BZ2": "bzip2",
      "a.zst": "zstd",
      "gs://b/a.csv.zstd": "zstd",
      "a.xz": "lzma",
      "a.lzma": "lzma",
      "a.txt": "uncompressed",
    };
    for (const [p, c] of Object.entries(cases)) assert.equal(resolveCompression(p), c, p);
    assert.equal(resolveCompression("a.txt", "zstd"), "zstd");
    assert.throws(() => resolveCompression("logs.txt", "brotli" as "gzip"), /Unknown compression 'brotli'.*"lzma"/);
  });

  for (const ext of ["bz2", "zst", "zstd", "xz", "lzma"]) {
    it(`ReadFromText reads Beam Python's .${ext} text file as Beam Python does, on 1 and 2 workers`, async () => {
      const name = `beam.txt.${ext}`;
      for (const options of WORKERS) {
        await runOk((p) => {
          assertThat(p.apply(ReadFromText.from(path.join(FIXTURES, name))), equalTo([...EXPECTED[name]!.lines!]));
        }, options);
      }
    });
  }

  for (const ext of ["bz2", "zst", "xz"]) {
    it(`.${ext}: empty files, concatenated streams/frames and a few MB read as Beam Python reads them, on 1 and 2 workers`, async () => {
      for (const options of WORKERS) {
        await runOk((p) => {
          assertThat(p.apply("Empty", ReadFromText.from(path.join(FIXTURES, `beam_empty.txt.${ext}`))), equalTo<string>([]), "EmptyMatches");
          assertThat(p.apply("Multi", ReadFromText.from(path.join(FIXTURES, `multi.txt.${ext}`))), equalTo([...EXPECTED[`multi.txt.${ext}`]!.lines!]), "MultiMatches");
          const large = EXPECTED[`large.txt.${ext}`]!;
          assertThat(
            p.apply("Large", ReadFromText.from(path.join(FIXTURES, `large.txt.${ext}`))),
            satisfies((lines: readonly string[]) => {
              assert.equal(lines.length, large.count);
              assert.equal(sha256(lines), large.sha256);
            }),
            "LargeMatches",
          );
        }, options);
      }
    });

    it(`ReadFromCsv and FileIO.readMatches read Beam Python's .${ext} files`, async () => {
      await runOk((p) => {
        const rows = p.apply(ReadFromCsv.from(path.join(FIXTURES, `beam.csv.${ext}`))).rows;
        assertThat(rows.map("Row", (r: CsvRecord) => `${r["name"]}=${r["n"]}`), equalTo(["alpha=1", "beta=2", "gamma, delta=3"]));
        const docs = p.apply(FileIO.match(path.join(FIXTURES, `multi.txt.${ext}`))).apply(FileIO.readMatches());
        const texts = docs.apply("Text", ParDo.into<string>().of(async (f: ReadableFile, ctx) => ctx.output(await f.readUtf8())));
        assertThat(texts, equalTo([BEAM_TEXT]), "TextsMatch");
      });
    });

    it(`a corrupt or truncated .${ext} file fails the read naming the file and the compression`, async () => {
      // A changed byte is caught by bzip2's and xz's CRCs, and by zstd's content checksum when the
      // frame has one (multi.txt.zst's frames do; Beam Python writes none).
      const good = fs.readFileSync(path.join(FIXTURES, ext === "zst" ? "multi.txt.zst" : `large.txt.${ext}`));
      const flipped = Buffer.from(good);
      flipped[Math.floor(good.length / 2)] ^= 0x55;
      fs.writeFileSync(path.join(dir, `flipped.txt.${ext}`), flipped);
      fs.writeFileSync(path.join(dir, `cut.txt.${ext}`), good.subarray(0, good.length - 7));
      fs.writeFileSync(path.join(dir, `plain.txt.${ext}`), "this is not compressed\n");
      const compression = resolveCompression(`x.${ext}`);
      for (const name of [`flipped.txt.${ext}`, `cut.txt.${ext}`, `plain.txt.${ext}`]) {
        const result = await runDirect((p) => {
          p.apply(ReadFromText.from(path.join(dir, name)));
        });
        assert.equal(result.state, "FAILED", name);
        assert.match(result.error!.message, new RegExp(`Cannot read .*${name.replace(/\./g, "\\.")} as ${compression}: .*not valid or is truncated`, "s"), name);
      }
    });
  }

  it("reads as a stream: output comes before the input ends, for every codec", async () => {
    // Copies of the large file (concatenated streams): its first block alone is most of its
    // compressed bytes for zstd and xz. bzip2 decodes a block once about a block's compressed bytes
    // are buffered: 8 copies are 1.7 MB of input, 37 MB of output.
    const copiesOf = (name: string, n: number): Buffer => Buffer.concat(Array.from({ length: n }, () => fs.readFileSync(path.join(FIXTURES, name))));
    const inputs: Array<[FileCompression, Buffer, number]> = [
      ["bzip2", copiesOf("large.txt.bz2", 8), 8],
      ["zstd", copiesOf("large.txt.zst", 4), 4],
      ["lzma", copiesOf("large.txt.xz", 4), 4],
    ];
    for (const [compression, data, copies] of inputs) {
      const { output, early } = await decode(data, compression, compression === "bzip2" ? 1 << 16 : 1 << 10);
      assert.equal(output.length, copies * 4_638_611, compression);
      assert.ok(early > 0 && early < output.length, `${compression}: ${early} bytes out when 3/4 of the input had gone in`);
    }
  });

  it("two .xz files are read at once (xz-decompress's own stream class lets one run per process)", async () => {
    const data = fs.readFileSync(path.join(FIXTURES, "large.txt.xz"));
    const first = decompressing("lzma")!;
    const parts: Buffer[] = [];
    first.on("data", (b: Buffer) => parts.push(b));
    const firstDone = new Promise<void>((resolve, reject) => first.on("end", resolve).on("error", reject));
    await new Promise<void>((resolve, reject) => first.write(data.subarray(0, data.length >> 1), (err) => (err ? reject(err) : resolve())));
    // The first is half read and waiting for the rest; the second is read whole meanwhile.
    assert.equal((await decode(data, "lzma")).output.length, 4_638_611);
    first.end(data.subarray(data.length >> 1));
    await firstDone;
    assert.equal(Buffer.concat(parts).length, 4_638_611);
  });

  it("a bzip2 block that runs past the input so far is started again when more comes", async () => {
    // Blocks tried after every 4 KiB: each runs out of input many times before it is whole.
    const data = Buffer.concat([fs.readFileSync(path.join(FIXTURES, "large.txt.bz2")), fs.readFileSync(path.join(FIXTURES, "multi.txt.bz2"))]);
    const stream = bunzip2Stream(1);
    const parts: Buffer[] = [];
    stream.on("data", (b: Buffer) => parts.push(b));
    const done = new Promise<void>((resolve, reject) => stream.on("end", resolve).on("error", reject));
    for (let at = 0; at < data.length; at += 4096) {
      await new Promise<void>((resolve, reject) => stream.write(data.subarray(at, at + 4096), (err) => (err ? reject(err) : resolve())));
    }
    stream.end();
    await done;
    const text = Buffer.concat(parts).toString("utf8");
    assert.equal(text.length, 4_638_611 + BEAM_TEXT.length);
    assert.ok(text.endsWith(BEAM_TEXT));
    const lines = text.split("\n").slice(0, 250_000);
    assert.equal(sha256(lines), EXPECTED["large.txt.bz2"]!.sha256);
  });

  it("a zstd frame's content checksum is checked (fzstd does not)", async () => {
    // multi.txt.zst's frames carry checksums (Python's write_checksum=True): change a checksum byte.
    const data = Buffer.from(fs.readFileSync(path.join(FIXTURES, "multi.txt.zst")));
    const { output } = await decode(data, "zstd");
    assert.equal(output.toString("utf8").split("\n").filter((l) => l !== "").length, EXPECTED["multi.txt.zst"]!.lines!.filter((l) => l !== "").length);
    data[data.length - 1] ^= 1;
    await assert.rejects(decode(data, "zstd"), /checksum of frame 2's content is .* but the frame says/);
  });

  it("WriteToText writes .zst (frames of a MiB) that we read back; whole small shards too; TFRecord too", async () => {
    const lines = Array.from({ length: 150_000 }, (_, i) => `line ${i} ${"z".repeat(i % 40)}`);
    await runOk((p) => {
      p.apply(Create.from(lines)).apply(WriteToText.to(path.join(dir, "auto"), { suffix: ".txt.zst", numShards: 2 }));
      p.apply("Named", Create.from(lines)).apply("Explicit", WriteToText.to(path.join(dir, "explicit"), { suffix: ".txt", numShards: 1, compression: "zstd" }));
      p.apply("Records", Create.from(["r1", "r2é"])).apply(
        "Map",
        ParDo.into<Uint8Array>().of((s: string, ctx) => ctx.output(Buffer.from(s))),
      ).apply("Tf", WriteToTFRecord.to(path.join(dir, "records"), { suffix: ".tfrecord.zst", numShards: 1 }));
    });
    const names = fs.readdirSync(dir).sort();
    assert.deepEqual(names, ["auto-00000-of-00002.txt.zst", "auto-00001-of-00002.txt.zst", "explicit-00000-of-00001.txt", "records-00000-of-00001.tfrecord.zst"]);
    const { output } = await decode(fs.readFileSync(path.join(dir, names[2]!)), "zstd");
    assert.equal(output.toString("utf8").split("\n").length - 1, lines.length);
    const small = path.join(dir, "small.txt.zst");
    await TextShardWriter.writeWhole(FileSystems, small, ["a", "b"], { header: "h" });
    assert.equal((await decode(fs.readFileSync(small), "zstd")).output.toString("utf8"), "h\na\nb\n");
    await runOk((p) => {
      assertThat(p.apply(ReadFromText.from(path.join(dir, "auto-*"))), equalTo(lines));
      assertThat(p.apply("Explicit", ReadFromText.from(path.join(dir, "explicit-*"), { compression: "zstd" })), equalTo(lines), "ExplicitMatches");
      const records = p.apply("ReadTf", ReadFromTFRecord.from(path.join(dir, "records-*")));
      assertThat(records.map("Utf8", (r: Uint8Array) => Buffer.from(r).toString("utf8")), equalTo(["r1", "r2é"]), "RecordsMatch");
    });
  });

  it("zstd files and Avro's zstandard codec share one zstd-wasm instance (a second init breaks the first's output)", async () => {
    const data = Buffer.from("hello zstd ".repeat(1000));
    await prepareCodec("zstandard");
    const ours = await compressWhole(data, "zstd");
    // A second init swaps its new instance in later, after reporting it ready: let that happen.
    await new Promise<void>((resolve) => setImmediate(resolve));
    await new Promise<void>((resolve) => setTimeout(resolve, 50));
    for (const compressed of [ours, compressBlock("zstandard", data), await compressWhole(data, "zstd")]) {
      assert.deepEqual((await decode(compressed, "zstd")).output, data);
    }
  });

  it("writing bzip2 or lzma is refused when the write is built, naming zstd and gzip", () => {
    assert.throws(() => WriteToText.to(path.join(dir, "out"), { suffix: ".txt.bz2" }), /Cannot write .*out\.txt\.bz2 as bzip2 \(\.bz2\): .*read but not written.*"zstd".*"gzip"/s);
    assert.throws(() => WriteToText.to(path.join(dir, "out"), { suffix: ".txt", compression: "lzma" }), /as lzma \(\.xz\): .*read but not written/s);
    assert.throws(() => WriteToTFRecord.to(path.join(dir, "out"), { suffix: ".xz" }), /WriteToTFRecord: .*lzma \(\.xz\).*read but not written/s);
    assert.throws(() => FileIO.writeDynamic<string>().withCompression("bzip2"), /cannot write compression 'bzip2' \(bzip2 files are read, not written\)/);
    assert.doesNotThrow(() => WriteToText.to(path.join(dir, "out"), { suffix: ".bz2", compression: "uncompressed" }));
  });

  it("Beam Python reads the .zst text we write (with BEAMLINE_BEAM_PYTHON)", async function () {
    const python = process.env["BEAMLINE_BEAM_PYTHON"];
    if (python === undefined || python === "") this.skip();
    // More than a MiB: several frames.
    const lines = Array.from({ length: 120_000 }, (_, i) => `ours ${i} é`);
    await runOk((p) => {
      p.apply(Create.from(lines)).apply(WriteToText.to(path.join(dir, "ours"), { suffix: ".txt.zst", numShards: 1, shardNameTemplate: "" }));
    });
    // The pipeline's functions run on pickled copies: the count and hash go to a file.
    const script = [
      "import sys, hashlib, apache_beam as beam",
      "def save(got):",
      "  got.sort()",
      "  open(sys.argv[2], 'w').write('%d %s' % (len(got), hashlib.sha256('\\n'.join(got).encode('utf-8')).hexdigest()))",
      "with beam.Pipeline() as p:",
      "  (p | beam.io.ReadFromText(sys.argv[1]) | beam.combiners.ToList() | beam.Map(save))",
    ].join("\n");
    const result = path.join(dir, "read.txt");
    execFileSync(python!, ["-c", script, path.join(dir, "ours.txt.zst"), result], { stdio: ["ignore", "ignore", "inherit"] });
    assert.equal(fs.readFileSync(result, "utf8"), `${lines.length} ${sha256(lines)}`);
  });
});
