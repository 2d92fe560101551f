/**
 * TFRecord IO: the format (Beam Python's tfrecordio_test.py `TestTFRecordUtil` and Java's
 * TFRecordIOTest cases: masked CRCs, the "foo"/"foo,bar" files, corrupt and truncated records,
 * empty files), compression by suffix, and ReadFromTFRecord / ReadAllFromTFRecord /
 * WriteToTFRecord through the DirectRunner.
 */
import { strict as assert } from "node:assert";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import * as zlib from "node:zlib";
import { Create, PCollection, Pipeline, ReadAllFromTFRecord, TestStream, ReadFromTFRecord, TFRecordCorruptError, WriteToTFRecord, type KV } from "../../lib";
import { StringUtf8Coder } from "../../lib/coders";
import { crc32c, maskedCrc32c } from "../../lib/io/tfrecord/crc32c";
import { encodeTFRecord, TFRecordParser } from "../../lib/io/tfrecord/codec";
import { resolveTFRecordCompression } from "../../lib/io/tfrecord/files";
import { runDirect, runOk } from "../helpers";

// From Beam's tfrecordio_test.py: written by TensorFlow's TFRecordWriter.
const FOO = Buffer.from("AwAAAAAAAACwmUkOZm9vYYq+/g==", "base64");
const FOO_BAR = Buffer.from("AwAAAAAAAACwmUkOZm9vYYq+/gMAAAAAAAAAsJlJDmJhckYA5cg=", "base64");

function collect<T>(pcoll: PCollection<T>, into: T[], label = `Collect${pcoll.tag}`): void {
  pcoll.map(label, (x: T) => {
    into.push(x);
    return x;
  });
}
const text = (records: readonly Uint8Array[]): string[] => records.map((r) => Buffer.from(r).toString("latin1")).sort();
const parseAll = (bytes: Uint8Array, name = "mem"): Uint8Array[] => {
  const parser = new TFRecordParser(name);
  const out = parser.push(bytes);
  parser.finish();
  return out;
};
const bump = (b: Buffer, i: number): Buffer => {
  const c = Buffer.from(b);
  c[i] = (c[i]! + 1) & 0xff;
  return c;
};

describe("io/tfrecord: the TFRecord format", () => {
  it("masked CRC-32C values of Beam's test_masked_crc32c, and the CRC-32C check value", () => {
    assert.equal(maskedCrc32c(Buffer.alloc(32, 0)), 0xfd7fffa);
    assert.equal(maskedCrc32c(Buffer.alloc(32, 0xff)), 0xf909b029);
    assert.equal(maskedCrc32c(Buffer.from("foo")), 0xfebe8a61);
    assert.equal(maskedCrc32c(Buffer.from([3, 0, 0, 0, 0, 0, 0, 0])), 0xe4999b0);
    assert.equal(crc32c(Buffer.from("123456789")), 0xe3069283);
    // Every length mod 8 (the 8-byte steps and the byte-wise tail) agrees with a bitwise CRC.
    const bitwise = (b: Uint8Array): number => {
      let c = 0xffffffff;
      for (const x of b) {
        c ^= x;
        for (let k = 0; k < 8; k++) c = c & 1 ? (c >>> 1) ^ 0x82f63b78 : c >>> 1;
      }
      return (c ^ 0xffffffff) >>> 0;
    };
    const data = Buffer.from(Array.from({ length: 100 }, (_, i) => (i * 73 + 11) & 0xff));
    for (let n = 0; n <= 40; n++) assert.equal(crc32c(data, 3, 3 + n), bitwise(data.subarray(3, 3 + n)), `length ${n}`);
  });

  it("writes and reads TensorFlow's own bytes for b'foo' and [b'foo', b'bar']; '', 'blah' and 'another blah' round-trip", () => {
    assert.deepEqual(encodeTFRecord(Buffer.from("foo")), FOO);
    assert.deepEqual(Buffer.concat([encodeTFRecord(Buffer.from("foo")), encodeTFRecord(Buffer.from("bar"))]), FOO_BAR);
    assert.deepEqual(text(parseAll(FOO_BAR)), ["bar", "foo"]);
    for (const r of ["", "blah", "another blah"]) assert.deepEqual(text(parseAll(encodeTFRecord(Buffer.from(r)))), [r]);
    // Fed one byte at a time, the records come out the same.
    const parser = new TFRecordParser("bytes");
    const got: Uint8Array[] = [];
    for (const b of FOO_BAR) got.push(...parser.push(Uint8Array.of(b)));
    parser.finish();
    assert.deepEqual(text(got), ["bar", "foo"]);
    assert.deepEqual(parseAll(new Uint8Array(0)), [], "an empty file has no records");
  });

  it("refuses a short header, a bad length mask, a bad data mask and a truncated record, naming the file and the offset", () => {
    assert.throws(() => parseAll(Buffer.from("bar"), "short.tfrecord"), (e: TFRecordCorruptError) => e.name === "TFRecordCorruptError" && /short\.tfrecord, record 1 at byte offset 0: the file is truncated: it ends 3 byte\(s\) into its 12-byte header/.test(e.message) && e.offset === 0);
    assert.throws(() => parseAll(bump(FOO, 9), "len.tfrecord"), /len\.tfrecord, record 1 at byte offset 0: mismatch of length mask/);
    assert.throws(() => parseAll(bump(FOO, 16), "data.tfrecord"), /data\.tfrecord, record 1 at byte offset 0: mismatch of data mask/);
    // The second record's data mask (FOO_BAR byte 19 + 16): its offset is the first record's 19 bytes.
    assert.throws(() => parseAll(bump(FOO_BAR, 35), "second.tfrecord"), (e: TFRecordCorruptError) => e.offset === 19 && /record 2 at byte offset 19: mismatch of data mask/.test(e.message));
    assert.throws(() => parseAll(FOO_BAR.subarray(0, FOO_BAR.length - 2), "cut.tfrecord"), /cut\.tfrecord, record 2 at byte offset 19: the file is truncated: it ends 17 byte\(s\) into a record of 3 data bytes, 19 bytes in all/);
  });

  it("compression by suffix as Beam's AUTO: .gz gzip, .deflate deflate, .bz2 bzip2, .zst zstd, .xz lzma, Java's .snappy, .zip, .lzo", () => {
    assert.equal(resolveTFRecordCompression("a/b.tfrecord.gz"), "gzip");
    assert.equal(resolveTFRecordCompression("a/b.tfrecord.DEFLATE"), "deflate");
    assert.equal(resolveTFRecordCompression("a/b.tfrecord"), "uncompressed");
    assert.equal(resolveTFRecordCompression("a/b.gz", "uncompressed"), "uncompressed");
    assert.equal(resolveTFRecordCompression("a/b.tfrecord.bz2"), "bzip2");
    assert.equal(resolveTFRecordCompression("a/b.tfrecord.zst"), "zstd");
    assert.equal(resolveTFRecordCompression("a/b.tfrecord.xz"), "lzma");
    assert.equal(resolveTFRecordCompression("a/b.tfrecord.snappy"), "snappy");
    assert.equal(resolveTFRecordCompression("a/b.tfrecord.zip"), "zip");
    assert.equal(resolveTFRecordCompression("a/b.tfrecord.lzo"), "lzop");
  });
});

describe("io/tfrecord: ReadFromTFRecord, ReadAllFromTFRecord and WriteToTFRecord", function () {
  this.timeout(30_000);
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), "beamline-tfrecord-"));
  after(() => fs.rmSync(tmp, { recursive: true, force: true }));
  const file = (name: string, content: Buffer): string => {
    const p = path.join(tmp, name);
    fs.mkdirSync(path.dirname(p), { recursive: true });
    fs.writeFileSync(p, content);
    return p;
  };

  it("reads plain, gzip and deflate files (by suffix or by option), as Beam's test_process_* cases", async () => {
    const cases: Array<[string, Buffer, "auto" | "gzip" | "deflate"]> = [
      ["single.tfrecord", FOO, "auto"],
      ["multiple.tfrecord", FOO_BAR, "auto"],
      ["auto.tfrecord.gz", zlib.gzipSync(FOO_BAR), "auto"],
      ["auto.tfrecord.deflate", zlib.deflateSync(FOO_BAR), "auto"],
      ["named-plain-gzip", zlib.gzipSync(FOO_BAR), "gzip"],
      ["named-plain-deflate", zlib.deflateSync(FOO_BAR), "deflate"],
    ];
    for (const [name, bytes, compression] of cases) {
      const p = file(`read/${name}`, bytes);
      const got: Uint8Array[] = [];
      await runOk((root) => collect(root.apply(ReadFromTFRecord.from(p, { compression })), got));
      assert.deepEqual(text(got), name.startsWith("single") ? ["foo"] : ["bar", "foo"], name);
      assert.ok(got.every((r) => r instanceof Uint8Array));
    }
  });

  it("a corrupt record fails the run with the step's full name, the file and the byte offset; nothing is dropped silently", async () => {
    const good = file("corrupt/a.tfrecord", FOO_BAR);
    const bad = file("corrupt/b.tfrecord", Buffer.concat([FOO, bump(FOO_BAR, 35)]));
    const cut = file("cut/c.tfrecord.gz", zlib.gzipSync(FOO_BAR.subarray(0, 25)));
    void good;
    let result = await runDirect((root) => root.apply("ReadTrain", ReadFromTFRecord.from(path.join(tmp, "corrupt", "*.tfrecord"))));
    assert.equal(result.state, "FAILED");
    assert.match(result.error!.message, /ReadTrain\/ReadFiles/);
    assert.ok(result.error!.message.includes(`${bad}, record 3 at byte offset 38: mismatch of data mask`), result.error!.message);
    result = await runDirect((root) => root.apply("ReadCut", ReadFromTFRecord.from(cut)));
    assert.equal(result.state, "FAILED");
    assert.match(result.error!.message, /ReadCut\/ReadFiles/);
    assert.ok(result.error!.message.includes(`${cut}, record 2 at byte offset 19 of its gzip-decompressed data: the file is truncated`), result.error!.message);
    // A gzip file read as plain bytes: the length mask does not match, and the message says to name the compression.
    const gz = file("misnamed/m.tfrecord", zlib.gzipSync(FOO));
    result = await runDirect((root) => root.apply("ReadMisnamed", ReadFromTFRecord.from(gz)));
    assert.equal(result.state, "FAILED");
    assert.match(result.error!.message, /mismatch of length mask.*pass compression: "gzip"/);
  });

  it("an empty file has no records; a pattern matching nothing fails before running unless validate is false", async () => {
    const empty = file("empty/e.tfrecord", Buffer.alloc(0));
    const got: Uint8Array[] = [];
    await runOk((root) => collect(root.apply(ReadFromTFRecord.from([empty, file("empty/f.tfrecord", FOO)])), got));
    assert.deepEqual(text(got), ["foo"]);
    const missing = path.join(tmp, "nothing", "*.tfrecord");
    const result = await runDirect((root) => root.apply("ReadNone", ReadFromTFRecord.from(missing)));
    assert.equal(result.state, "FAILED");
    assert.match(result.error!.message, /ReadNone/);
    assert.match(result.error!.message, /nothing/);
    // validate: false skips the check, and at run time the pattern reads nothing (Beam Python 2.66's
    // ReadFromTFRecord(..., validate=False) of a missing pattern runs and gives no records).
    const late: Uint8Array[] = [];
    await runOk((root) => collect(root.apply("ReadLate", ReadFromTFRecord.from(missing, { validate: false })), late));
    assert.deepEqual(late, []);
  });

  it("decodes records with a coder, and ReadAllFromTFRecord reads each pattern's files, with file names", async () => {
    const dir = path.join(tmp, "all");
    const a = file("all/a.tfrecord", Buffer.concat(["x", "y"].map((s) => encodeTFRecord(Buffer.from(s)))));
    const b = file("all/b.tfrecord.gz", zlib.gzipSync(encodeTFRecord(Buffer.from("caf\u00e9", "utf8"))));
    const strings: string[] = [];
    await runOk((root) => collect(root.apply(ReadFromTFRecord.from(path.join(dir, "*"), { coder: StringUtf8Coder.INSTANCE })), strings));
    assert.deepEqual(strings.sort(), ["caf\u00e9", "x", "y"]);
    const named: KV<string, string>[] = [];
    const plain: Uint8Array[] = [];
    await runOk((root) => {
      const patterns = root.apply("Patterns", Create.of(path.join(dir, "*.tfrecord"), path.join(dir, "*.gz"), path.join(dir, "*.none")));
      collect(patterns.apply("Named", ReadAllFromTFRecord.withFilename({ coder: StringUtf8Coder.INSTANCE })), named, "CollectNamed");
      collect(patterns.apply("Plain", ReadAllFromTFRecord.create()), plain, "CollectPlain");
    });
    assert.deepEqual(named.map((kv) => `${path.basename(kv.key)}:${kv.value}`).sort(), [`${path.basename(a)}:x`, `${path.basename(a)}:y`, `${path.basename(b)}:caf\u00e9`]);
    assert.deepEqual(text(plain), ["caf\u00c3\u00a9", "x", "y"]);
  });

  for (const directNumWorkers of [1, 2]) {
    it(`writes shards Beam names, reads back every record (plain, gzip, deflate; --direct_num_workers ${directNumWorkers})`, async () => {
      const records = Array.from({ length: 500 }, (_, i) => Buffer.from(`record ${i} `.repeat(i % 7)));
      for (const suffix of [".tfrecord", ".tfrecord.gz", ".tfrecord.deflate"]) {
        const prefix = path.join(tmp, `w${directNumWorkers}`, `out${suffix.replace(/\./g, "_")}`);
        const names: string[] = [];
        await runOk((root) => collect(root.apply("Records", Create.from(records)).apply(WriteToTFRecord.to(prefix, { suffix, numShards: 3 })), names), { directNumWorkers });
        assert.deepEqual(names.map((n) => path.basename(n)).sort(), [0, 1, 2].map((i) => `${path.basename(prefix)}-0000${i}-of-00003${suffix}`));
        const back: Uint8Array[] = [];
        await runOk((root) => collect(root.apply(ReadFromTFRecord.from(`${prefix}-*`)), back), { directNumWorkers });
        assert.deepEqual(text(back), text(records), suffix);
        const first = fs.readFileSync(names.sort()[0]!);
        if (suffix.endsWith(".gz")) assert.equal(first[0], 0x1f, "gzip magic");
        if (suffix.endsWith(".deflate")) assert.equal(first[0], 0x78, "zlib header");
      }
    });
  }

  it("runner-decided sharding streams large bundles; a shardNameTemplate of '' writes exactly <prefix><suffix>; empty input writes one empty file", async () => {
    const big = Array.from({ length: 40 }, (_, i) => Buffer.alloc(100_000, i)); // 4 MB: past the whole-file buffer
    const prefix = path.join(tmp, "big", "part");
    const names: string[] = [];
    await runOk((root) => collect(root.apply("Big", Create.from(big)).apply(WriteToTFRecord.to(prefix, { suffix: ".tfrecord.gz" })), names));
    const back: Uint8Array[] = [];
    await runOk((root) => collect(root.apply(ReadFromTFRecord.from(`${prefix}-*-of-*.tfrecord.gz`)), back));
    assert.equal(back.length, 40);
    assert.deepEqual(back.map((r) => r[0]).sort((x, y) => x! - y!), big.map((_, i) => i));
    assert.deepEqual(fs.readdirSync(path.dirname(prefix)).filter((f) => f.startsWith(".")), [], "no temporary files left");
    // The streamed gzip file has the bytes zlib (and so Beam Python) gives its records compressed at once.
    for (const name of names) {
      const bytes = fs.readFileSync(name);
      const again = Buffer.concat(parseAll(zlib.gunzipSync(bytes)).map((r) => encodeTFRecord(r)));
      assert.ok(zlib.gzipSync(again).equals(bytes), name);
    }

    const one = path.join(tmp, "single", "train");
    const single: string[] = [];
    await runOk((root) => collect(root.apply("Strings", Create.of("a", "b")).apply(WriteToTFRecord.to(one, { coder: StringUtf8Coder.INSTANCE, suffix: ".tfrecord", shardNameTemplate: "" })), single));
    assert.deepEqual(single, [`${one}.tfrecord`]);
    assert.deepEqual(text(parseAll(fs.readFileSync(`${one}.tfrecord`))), ["a", "b"]);

    const empty = path.join(tmp, "emptyout", "none");
    await runOk((root) => root.apply("Nothing", Create.from<Uint8Array>([])).apply(WriteToTFRecord.to(empty, { numShards: 2 })));
    assert.deepEqual(fs.readdirSync(path.dirname(empty)).sort(), ["none-00000-of-00002", "none-00001-of-00002"]);
    for (const f of fs.readdirSync(path.dirname(empty))) assert.equal(fs.statSync(path.join(path.dirname(empty), f)).size, 0);
  });

  it("refuses elements that are not bytes without a coder (naming the step and the fix), and a failed run leaves no output", async () => {
    const prefix = path.join(tmp, "fail", "out");
    const result = await runDirect((root) =>
      root
        .apply("Mixed", Create.of<unknown>(Buffer.from("ok"), "not bytes"))
        .apply("Write", WriteToTFRecord.to(prefix) as unknown as WriteToTFRecord<unknown>),
    );
    assert.equal(result.state, "FAILED");
    assert.match(result.error!.message, /Write\/WriteBundles/);
    assert.match(result.error!.message, /WriteToTFRecord writes Uint8Array records, got "not bytes".*pass a coder/);
    assert.deepEqual(fs.existsSync(path.dirname(prefix)) ? fs.readdirSync(path.dirname(prefix)) : [], []);
  });

  it("refuses bad options when building", () => {
    assert.throws(() => WriteToTFRecord.to("out/x", { numShards: -1 }), /numShards must be a non-negative integer/);
    assert.throws(() => WriteToTFRecord.to("out/x", { shardNameTemplate: "", numShards: 3 }), /empty shardNameTemplate names one file/);
    assert.throws(() => WriteToTFRecord.to("out/x", { shardNameTemplate: "-of-NN", numShards: 2 }), /has no shard number/);
    assert.throws(() => WriteToTFRecord.to("out/x", { suffix: ".bz2" }), /bzip2 \(\.bz2\): bzip2 files are read but not written/);
    assert.throws(() => ReadFromTFRecord.from([]), /at least one file pattern/);
    const p = Pipeline.create();
    const stream = p.apply("Stream", TestStream.create<Uint8Array>().addElements({ value: Buffer.from("x"), timestamp: 0 }).advanceWatermarkToInfinity());
    assert.throws(() => stream.apply("WriteStream", WriteToTFRecord.to("out/x")), /WriteStream: WriteToTFRecord writes bounded input only, as Beam.s: Java.s TFRecordIO.write\(\) has no windowed writes.*TFRecordIO.sink\(\) in FileIO.write/);
    assert.throws(() => ReadFromTFRecord.from("x", { compression: "lz4" as "gzip" }), /unknown compression 'lz4'/);
  });
});
