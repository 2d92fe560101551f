/**
 * DEFLATE files (the zlib format, as Beam Python's CompressionTypes.DEFLATE and Java's
 * Compression.DEFLATE) through every file IO: "auto" by the `.deflate` suffix, or said outright.
 * test/fixtures/compression/beam.txt.deflate was written by Beam Python 2.66's WriteToText
 * (make_deflate.py beside it); Beam Python reads what we write in the gated check at the end.
 */
import { strict as assert } from "node:assert";
import { execFileSync } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import * as zlib from "node:zlib";
import { Create, ParDo } from "../../lib";
import { ReadFromCsv, type CsvRecord } from "../../lib/io/csv";
import { FileIO, ReadableFile } from "../../lib/io/fileio";
import { resolveCompression } from "../../lib/io/compression";
import { ReadFromText, WriteToText } from "../../lib/io/textio";
import { TextShardWriter } from "../../lib/io/text_write";
import { FileSystems } from "../../lib/io/filesystems/registry";
import { assertThat, equalTo } from "../../lib/testing/passert";
import { runDirect, runOk } from "../helpers";

const FIXTURES = path.resolve(__dirname, "..", "..", "..", "test", "fixtures", "compression");
const BEAM_LINES = ["first line", "zweite Zeile é", "", "line four"];

describe("DEFLATE-compressed files (Beam's DEFLATE)", function () {
  this.timeout(60_000);
  let dir: string;
  beforeEach(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), "deflate-"));
  });
  afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

  it("'auto' takes .deflate (and Java's .zlib) for deflate, as Beam's AUTO", () => {
    assert.equal(resolveCompression("gs://b/logs.txt.deflate"), "deflate");
    assert.equal(resolveCompression("logs.DEFLATE"), "deflate");
    assert.equal(resolveCompression("logs.txt", "deflate"), "deflate");
    assert.equal(resolveCompression("logs.zlib"), "deflate"); // Beam Java's DEFLATE detects .zlib too
    assert.equal(resolveCompression("logs.txt.lzo_deflate"), "lzo"); // Hadoop's LZO blocks, not deflate
    assert.throws(() => resolveCompression("logs.txt", "brotli" as "gzip"), /Unknown compression 'brotli'.*"deflate"/);
  });

  it("ReadFromText reads Beam Python's .deflate file, on 1 and 2 workers", async () => {
    for (const options of [{}, { directNumWorkers: 2, directWorkerThreads: "always" as const }]) {
      await runOk((p) => {
        assertThat(p.apply(ReadFromText.from(path.join(FIXTURES, "beam.txt.deflate"))), equalTo(BEAM_LINES));
      }, options);
    }
  });

  it("WriteToText writes zlib-format files under a .deflate suffix that we and zlib read back; an explicit 'deflate' keeps the name", async () => {
    const lines = Array.from({ length: 20_000 }, (_, i) => `line ${i} ${"x".repeat(i % 50)}`);
    await runOk((p) => {
      p.apply(Create.from(lines)).apply(WriteToText.to(path.join(dir, "auto"), { suffix: ".txt.deflate", numShards: 2 }));
      p.apply("Named", Create.from(lines)).apply("Explicit", WriteToText.to(path.join(dir, "explicit"), { suffix: ".txt", numShards: 1, compression: "deflate" }));
    });
    const names = fs.readdirSync(dir).sort();
    assert.deepEqual(names, ["auto-00000-of-00002.txt.deflate", "auto-00001-of-00002.txt.deflate", "explicit-00000-of-00001.txt"]);
    const inflated = names.slice(0, 2).flatMap((n) => zlib.inflateSync(fs.readFileSync(path.join(dir, n))).toString("utf8").split("\n").filter((l) => l !== ""));
    assert.deepEqual(inflated.sort(), [...lines].sort());
    assert.deepEqual(zlib.inflateSync(fs.readFileSync(path.join(dir, names[2]!))).toString("utf8").split("\n").filter((l) => l !== "").sort(), [...lines].sort());
    await runOk((p) => {
      assertThat(p.apply(ReadFromText.from(path.join(dir, "auto-*"))), equalTo(lines));
      assertThat(p.apply("Explicit", ReadFromText.from(path.join(dir, "explicit-*"), { compression: "deflate" })), equalTo(lines), "ExplicitMatches");
    });
  });

  it("a whole small shard is deflated too (the one-call write path)", async () => {
    const file = path.join(dir, "small.txt.deflate");
    await TextShardWriter.writeWhole(FileSystems, file, ["a", "b"], { header: "h" });
    assert.equal(zlib.inflateSync(fs.readFileSync(file)).toString("utf8"), "h\na\nb\n");
  });

  it("ReadFromCsv and FileIO.readMatches read .deflate files", async () => {
    fs.writeFileSync(path.join(dir, "rows.csv.deflate"), zlib.deflateSync("a,b\n1,x\n2,y\n"));
    fs.writeFileSync(path.join(dir, "doc.json.deflate"), zlib.deflateSync('{"k":1}'));
    await runOk((p) => {
      assertThat(p.apply(ReadFromCsv.from(path.join(dir, "rows.csv.deflate"))).rows.map("Row", (r: CsvRecord) => `${r["a"]}=${r["b"]}`), equalTo(["1=x", "2=y"]));
      const docs = p.apply(FileIO.match(path.join(dir, "*.json.deflate"))).apply(FileIO.readMatches());
      const texts = docs.apply("Text", ParDo.into<string>().of(async (f: ReadableFile, ctx) => ctx.output(`${f.compression}|${await f.readUtf8()}`)));
      assertThat(texts, equalTo(['auto|{"k":1}']), "TextsMatch");
    });
  });

  it("reads concatenated deflate streams one after the other (Beam Python's test_read_deflate_concat), however the reads cut them", async () => {
    const file = path.join(dir, "concat.deflate");
    const streams = [["a", "b", "c"], ["p", "q", "r"], ["x", "y", "z"]].map((lines) => zlib.deflateSync(`${lines.join("\n")}\n`));
    fs.writeFileSync(file, Buffer.concat(streams));
    for (const options of [{}, { directNumWorkers: 2, directWorkerThreads: "always" as const }]) {
      await runOk((p) => {
        assertThat(p.apply(ReadFromText.from(file, { compression: "deflate" })), equalTo(["a", "b", "c", "p", "q", "r", "x", "y", "z"]));
      }, options);
    }
    // Fed in every cut (a stream may end inside a chunk, at its edge, or span several), the
    // decompressed bytes are each stream's in order; a large second stream spans many output chunks.
    const { decompressing } = await import("../../lib/io/compression");
    const big = `${"p\nq\nr\n".repeat(30_000)}`;
    const parts = [zlib.deflateSync("a\nb\n"), zlib.deflateSync(big), zlib.deflateSync("z\n")];
    const whole = Buffer.concat(parts);
    const inflateWith = async (cuts: number[]): Promise<string> => {
      const stream = decompressing("deflate", 1024)!;
      const out: Buffer[] = [];
      stream.on("data", (d: Buffer) => out.push(d));
      const ended = new Promise<void>((resolve, reject) => stream.on("end", resolve).on("error", reject));
      let at = 0;
      for (const cut of [...cuts, whole.length]) {
        stream.write(whole.subarray(at, cut));
        at = cut;
      }
      stream.end();
      await ended;
      return Buffer.concat(out).toString();
    };
    const edges = [parts[0]!.length, parts[0]!.length + parts[1]!.length];
    for (const cuts of [[], edges, [edges[0]! - 1, edges[0]! + 1], [1, 2, edges[1]! + 1], [edges[1]! - 2]]) {
      assert.equal(await inflateWith(cuts), `a\nb\n${big}z\n`, `cut at ${cuts.join(", ")}`);
    }
  });

  it("a stream followed by bytes that are not one fails the read, as Beam Python's zlib does", async () => {
    fs.writeFileSync(path.join(dir, "tail.txt.deflate"), Buffer.concat([zlib.deflateSync("ok\n"), Buffer.from("trailing garbage")]));
    const result = await runDirect((p) => {
      p.apply(ReadFromText.from(path.join(dir, "tail.txt.deflate")));
    });
    assert.equal(result.state, "FAILED");
    assert.match(result.error!.message, /Cannot read .*tail\.txt\.deflate as deflate: .*not valid or is truncated/s);
  });

  it("a corrupt .deflate file fails the read naming the file and the compression", async () => {
    fs.writeFileSync(path.join(dir, "bad.txt.deflate"), Buffer.from("this is not zlib data"));
    const result = await runDirect((p) => {
      p.apply(ReadFromText.from(path.join(dir, "bad.txt.deflate")));
    });
    assert.equal(result.state, "FAILED");
    assert.match(result.error!.message, /Cannot read .*bad\.txt\.deflate as deflate: .*not valid or is truncated/s);
  });

  it("Beam Python reads the .deflate text we write (with BEAMLINE_BEAM_PYTHON)", async function () {
    const python = process.env["BEAMLINE_BEAM_PYTHON"];
    if (python === undefined || python === "") this.skip();
    const lines = ["one", "two é", "", "four"];
    await runOk((p) => {
      p.apply(Create.from(lines)).apply(WriteToText.to(path.join(dir, "ours"), { suffix: ".txt.deflate", numShards: 1, shardNameTemplate: "" }));
    });
    const out = path.join(dir, "py");
    fs.mkdirSync(out);
    execFileSync(python!, [path.join(FIXTURES, "make_deflate.py"), out, path.join(dir, "ours.txt.deflate")], { stdio: ["ignore", "ignore", "inherit"] });
    assert.deepEqual(fs.readFileSync(path.join(out, "read.txt"), "utf8").split("\n"), [...lines].sort());
  });
});
