/**
 * TFRecord files across SDKs, against real Beam Python (its own tfrecordio in Beam pipelines on
 * its DirectRunner; test/fixtures/tfrecord/interop.py): what we write, Beam Python reads, and what
 * Beam Python writes, we read: plain, gzip and deflate, sharded, with an empty record, a 70 KB one
 * and files larger than our writer's whole-file buffer (written as streams).
 * Runs only when BEAMLINE_BEAM_PYTHON names a Python with Beam importable, e.g.
 *
 *     BEAMLINE_BEAM_PYTHON=/work/realrunners/beampy/python.sh npx mocha ... dist/test/io/tfrecord_interop.test.js
 */
import { strict as assert } from "node:assert";
import { execFile } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { promisify } from "node:util";
import { Create, PCollection, ReadFromTFRecord, WriteToTFRecord } from "../../lib";
import { encodeTFRecord } from "../../lib/io/tfrecord/codec";
import { runDirect, runOk } from "../helpers";

const SCRIPT = path.resolve(__dirname, "..", "..", "..", "test", "fixtures", "tfrecord", "interop.py");
const PYTHON = process.env["BEAMLINE_BEAM_PYTHON"];

/** Records of every shape: empty, short, every byte value, large, and many small ones. */
function records(): Buffer[] {
  const out = [Buffer.alloc(0), Buffer.from("foo"), Buffer.from(Array.from({ length: 256 }, (_, i) => i)), Buffer.from(Array.from({ length: 70_000 }, (_, i) => (i * 131 + 5) & 0xff))];
  for (let i = 0; i < 300; i++) out.push(Buffer.from(`record ${i} ${"x".repeat(i % 50)}`));
  // 24 records of 100 KB: 2.4 MB, past the 1 MiB a bundle buffers before streaming its file.
  for (let i = 0; i < 24; i++) out.push(Buffer.alloc(100_000, i + 1));
  return out;
}
const hexes = (rs: readonly Uint8Array[]): string[] => rs.map((r) => Buffer.from(r).toString("hex")).sort();

async function python(...args: string[]): Promise<void> {
  try {
    await promisify(execFile)(PYTHON!, [SCRIPT, ...args], { maxBuffer: 64 << 20 });
  } catch (e) {
    const err = e as Error & { stderr?: string };
    throw new Error(`Beam Python failed (${args.join(" ")}): ${err.message}\n${err.stderr ?? ""}`);
  }
}

function collect<T>(pcoll: PCollection<T>, into: T[]): void {
  pcoll.map("Collect", (x: T) => {
    into.push(x);
    return x;
  });
}

describe("io/tfrecord: interop with real Beam Python (BEAMLINE_BEAM_PYTHON)", function () {
  this.timeout(300_000);
  let tmp = "";
  before(function () {
    if (PYTHON === undefined || PYTHON === "") {
      console.log("      (skipped: set BEAMLINE_BEAM_PYTHON to a python with apache_beam, e.g. /work/realrunners/beampy/python.sh)");
      this.skip();
    }
    tmp = fs.mkdtempSync(path.join(os.tmpdir(), "beamline-tfrecord-interop-"));
  });
  after(() => {
    if (tmp !== "") fs.rmSync(tmp, { recursive: true, force: true });
  });
  const input = records();

  it("a corrupt record fails Beam Python's read and ours alike (the same record's data mask)", async () => {
    const dir = path.join(tmp, "corrupt");
    fs.mkdirSync(dir, { recursive: true });
    const file = path.join(dir, "bad.tfrecord");
    const good = Buffer.concat(input.slice(0, 3).map((r) => encodeTFRecord(r)));
    const bad = encodeTFRecord(Buffer.from("flipped"));
    bad[14] = bad[14]! ^ 1; // a data byte of the 4th record
    fs.writeFileSync(file, Buffer.concat([good, bad]));
    await assert.rejects(python("read", file, path.join(dir, "out.txt")), /Not a valid TFRecord. Mismatch of data mask/);
    const result = await runDirect((root) => root.apply("ReadBad", ReadFromTFRecord.from(file)));
    assert.equal(result.state, "FAILED");
    assert.ok(result.error!.message.includes(`${file}, record 4 at byte offset ${good.length}: mismatch of data mask`), result.error!.message);
  });

  for (const suffix of [".tfrecord", ".tfrecord.gz", ".tfrecord.deflate"]) {
    it(`Beam Python's ReadFromTFRecord and ReadAllFromTFRecord read what our WriteToTFRecord wrote (${suffix}; sharded and streamed)`, async () => {
      const dir = path.join(tmp, `ours${suffix.replace(/\./g, "_")}`);
      // Three fixed shards (each written whole), then runner-decided shards (the large bundle streamed).
      await runOk((root) => root.apply("Records", Create.from(input)).apply(WriteToTFRecord.to(path.join(dir, "fixed"), { suffix, numShards: 3 })));
      await runOk((root) => root.apply("Records", Create.from(input)).apply(WriteToTFRecord.to(path.join(dir, "bundles"), { suffix })));
      for (const name of ["fixed", "bundles"]) {
        const out = path.join(tmp, `py-read-${name}${suffix}.txt`);
        await python("read", path.join(dir, `${name}-*${suffix}`), out);
        const lines = fs.readFileSync(out, "utf8").split("\n").slice(0, -1);
        assert.equal(lines.length, input.length, name);
        assert.deepEqual(lines.sort(), hexes(input), name);
      }
      const all = path.join(tmp, `py-read-all${suffix}.txt`);
      await python("read_all", path.join(dir, `fixed-*${suffix}`), all);
      const named = fs.readFileSync(all, "utf8").split("\n").slice(0, -1);
      assert.deepEqual(new Set(named.map((l) => l.split(" ")[0])), new Set([0, 1, 2].map((i) => `fixed-0000${i}-of-00003${suffix}`)));
      assert.deepEqual(named.map((l) => l.split(" ")[1] ?? "").sort(), hexes(input));
    });

    it(`our ReadFromTFRecord reads what Beam Python's WriteToTFRecord wrote (${suffix}; 4 shards)`, async () => {
      const dir = path.join(tmp, `theirs${suffix.replace(/\./g, "_")}`);
      fs.mkdirSync(dir, { recursive: true });
      const recordsFile = path.join(dir, "records.hex");
      fs.writeFileSync(recordsFile, input.map((r) => r.toString("hex") + "\n").join(""));
      await python("write", recordsFile, path.join(dir, "out"), suffix, "4");
      assert.deepEqual(fs.readdirSync(dir).filter((f) => f.startsWith("out")).sort(), [0, 1, 2, 3].map((i) => `out-0000${i}-of-00004${suffix}`));
      const got: Uint8Array[] = [];
      await runOk((root) => collect(root.apply(ReadFromTFRecord.from(path.join(dir, `out-*${suffix}`))), got), { directNumWorkers: 2 });
      assert.equal(got.length, input.length);
      assert.deepEqual(hexes(got), hexes(input));
    });
  }
});
