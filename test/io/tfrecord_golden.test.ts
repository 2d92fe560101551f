/**
 * TFRecord files written by Beam Python 2.66's own WriteToTFRecord (test/fixtures/tfrecord/, made
 * by make_golden.py there): we read them record for record, and our WriteToTFRecord writes
 * byte-identical files for the same records (plain, gzip, deflate, a coder's strings, no records).
 */
import { strict as assert } from "node:assert";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { Create, PCollection, ReadFromTFRecord, WriteToTFRecord } from "../../lib";
import { StringUtf8Coder } from "../../lib/coders";
import { readTFRecordFile } from "../../lib/io/tfrecord/files";
import { runOk } from "../helpers";

const FIXTURES = path.resolve(__dirname, "..", "..", "..", "test", "fixtures", "tfrecord");

/** make_golden.py's RECORDS, built the same way. */
const RECORDS: Buffer[] = [
  Buffer.alloc(0),
  Buffer.from("foo"),
  Buffer.from("bar"),
  Buffer.from(Array.from({ length: 256 }, (_, i) => i)),
  Buffer.from(Array.from({ length: 70000 }, (_, i) => (i * 31 + 7) % 256)),
  Buffer.from("caf\u00e9 \u2603 \u{1F600}", "utf8"),
];
const golden = JSON.parse(fs.readFileSync(path.join(FIXTURES, "records.json"), "utf8")) as { beam_version: string; order: number[]; strings: string[] };
const inFileOrder = golden.order.map((i) => RECORDS[i]!);

async function recordsOf(file: string): Promise<Buffer[]> {
  const out: Buffer[] = [];
  await readTFRecordFile(file, "auto", (records) => out.push(...records.map((r) => Buffer.from(r))));
  return out;
}

function collect<T>(pcoll: PCollection<T>, into: T[]): void {
  pcoll.map("Collect", (x: T) => {
    into.push(x);
    return x;
  });
}

describe("io/tfrecord: Beam Python's golden files", function () {
  this.timeout(30_000);
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), "beamline-tfrecord-golden-"));
  after(() => fs.rmSync(tmp, { recursive: true, force: true }));

  it(`were written by Beam Python (${golden.beam_version}) and hold the records of make_golden.py`, () => {
    assert.match(golden.beam_version, /^2\.66/);
    assert.deepEqual([...golden.order].sort(), RECORDS.map((_, i) => i));
  });

  for (const suffix of ["", ".gz", ".deflate"]) {
    const name = `records.tfrecord${suffix}`;
    it(`${name}: read record for record, by ReadFromTFRecord too`, async () => {
      const file = path.join(FIXTURES, name);
      assert.deepEqual(await recordsOf(file), inFileOrder);
      const got: Uint8Array[] = [];
      await runOk((root) => collect(root.apply(ReadFromTFRecord.from(file)), got));
      assert.deepEqual(got.map((r) => Buffer.from(r).toString("hex")).sort(), RECORDS.map((r) => r.toString("hex")).sort());
    });

    it(`${name}: our WriteToTFRecord writes the same bytes for the same records`, async () => {
      const prefix = path.join(tmp, `ours${suffix.replace(".", "_")}`, "records.tfrecord");
      const names: string[] = [];
      await runOk((root) => collect(root.apply("Records", Create.from(inFileOrder)).apply(WriteToTFRecord.to(prefix, { suffix, numShards: 1, shardNameTemplate: "" })), names));
      assert.deepEqual(names, [prefix + suffix]);
      assert.ok(fs.readFileSync(prefix + suffix).equals(fs.readFileSync(path.join(FIXTURES, name))), `${name} differs from Beam Python's`);
    });
  }

  it("strings.tfrecord (Beam's StrUtf8Coder): read and written with our StringUtf8Coder, byte for byte", async () => {
    const file = path.join(FIXTURES, "strings.tfrecord");
    const got: string[] = [];
    await runOk((root) => collect(root.apply(ReadFromTFRecord.from(file, { coder: StringUtf8Coder.INSTANCE })), got));
    assert.deepEqual(got.sort(), [...golden.strings].sort());
    const prefix = path.join(tmp, "strings", "strings.tfrecord");
    await runOk((root) => root.apply("Strings", Create.from(golden.strings)).apply(WriteToTFRecord.to(prefix, { coder: StringUtf8Coder.INSTANCE, shardNameTemplate: "" })));
    assert.ok(fs.readFileSync(prefix).equals(fs.readFileSync(file)));
  });

  it("empty.tfrecord: Beam writes one empty file for no records; so do we, and it reads as no records", async () => {
    const file = path.join(FIXTURES, "empty.tfrecord");
    assert.deepEqual(await recordsOf(file), []);
    const prefix = path.join(tmp, "empty", "empty.tfrecord");
    await runOk((root) => root.apply("Nothing", Create.from<Uint8Array>([])).apply(WriteToTFRecord.to(prefix, { shardNameTemplate: "" })));
    assert.ok(fs.readFileSync(prefix).equals(fs.readFileSync(file)));
  });
});
