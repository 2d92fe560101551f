/**
 * Avro's codecs bzip2, xz and zstandard (the specification's, all written by Beam Java's
 * CodecFactory; Beam Python's fastavro reads bzip2 and xz): golden files written by Apache Avro
 * Python 1.11 (test/fixtures/avro/make_golden_codecs.py: its own bzip2 codec; xz by liblzma and
 * zstandard by libzstd through extra_codecs.py) read exactly, over any byte ranges; zstandard
 * written and read back; bzip2 and xz refused for writing with the reason; corrupt blocks and
 * unknown codecs fail naming the file and the codec.
 */
import { strict as assert } from "node:assert";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { Create, PCollection, ReadFromAvro, WriteToAvro } from "../../lib";
import { readAvroBlocks, readAvroHeader } from "../../lib/io/avro/container";
import { avroType, plain } from "../../lib/io/avro/schema";
import { xxh64 } from "../../lib/io/avro/zstd_frames";
import { runDirect, runOk } from "../helpers";
import { AVRO_FIXTURES, type User, USER_SCHEMA, USERS } from "./avro_fixtures";

function collect<T>(pcoll: PCollection<T>, into: T[]): void {
  pcoll.map("Collect", (x: T) => {
    into.push(x);
    return x;
  });
}

const byId = <R extends { id: number }>(rs: R[]): R[] => [...rs].sort((a, b) => a.id - b.id);

/** Every record of the file, reading it as ranges of `size` bytes (each on its own, as a worker would). */
async function readAsRanges(file: string, size: number): Promise<unknown[]> {
  const head = await readAvroHeader(file);
  const type = avroType(head.schema);
  const total = fs.statSync(file).size;
  const out: unknown[] = [];
  for (let start = 0; start < total; start += size) {
    await readAvroBlocks(file, head, start, Math.min(total, start + size), (block) => {
      for (let i = 0, pos = 0; i < block.count; i++) {
        const d = type.decode(block.data, pos);
        pos = d.offset;
        out.push(plain(d.value));
      }
    });
  }
  return out;
}

describe("io/avro: codecs bzip2, xz and zstandard", () => {
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), "beamline-avro-codecs-"));
  after(() => fs.rmSync(tmp, { recursive: true, force: true }));

  for (const codec of ["bzip2", "xz", "zstandard"] as const) {
    it(`golden users.${codec}.avro (Apache Avro Python) reads exactly, in 3 blocks, over any byte ranges`, async () => {
      const file = path.join(AVRO_FIXTURES, `users.${codec}.avro`);
      const head = await readAvroHeader(file);
      assert.equal(head.codec, codec);
      let blocks = 0;
      await readAvroBlocks(file, head, 0, fs.statSync(file).size, () => blocks++);
      assert.equal(blocks, 3, "make_golden_codecs.py syncs every 2 records");
      for (const range of [7, 100, 1 << 20]) assert.deepStrictEqual(await readAsRanges(file, range), USERS, `${codec}, ranges of ${range} bytes`);
      const got: User[] = [];
      await runOk((root) => collect(root.apply(ReadFromAvro.from<User>(file)), got));
      assert.deepStrictEqual(byId(got), byId(USERS));
    });
  }

  it("XXH64 (zstandard's content checksum) gives the reference values", () => {
    assert.equal(xxh64(Buffer.alloc(0)), 0xef46db3751d8e999n);
    assert.equal(xxh64(Buffer.from("abc")), 0x44bc2cf5ad770999n);
    assert.equal(xxh64(Buffer.from("Nobody inspects the spammish repetition")), 0xfbcea83c8a378bf1n, "32-byte stripes, then 4- and 1-byte tails");
  });

  it("WriteToAvro writes zstandard (many blocks) and reads it back exactly", async () => {
    const users = Array.from({ length: 300 }, (_, i) => ({ ...USERS[i % USERS.length]!, id: i }));
    const prefix = path.join(tmp, "zstd", "users");
    await runOk((root) => root.apply("Users", Create.from(users)).apply(WriteToAvro.to<User>(prefix, { schema: USER_SCHEMA, codec: "zstandard", numShards: 1, shardNameTemplate: "", syncInterval: 2000 })));
    const head = await readAvroHeader(prefix);
    assert.equal(head.codec, "zstandard");
    let blocks = 0;
    await readAvroBlocks(prefix, head, 0, fs.statSync(prefix).size, (b) => {
      blocks++;
      assert.ok(b.count > 0);
    });
    assert.ok(blocks > 5, `${blocks} blocks`);
    assert.deepStrictEqual(await readAsRanges(prefix, 333), users);
  });

  it("bzip2 and xz are refused for writing, saying they are read but not written", () => {
    for (const codec of ["bzip2", "xz"]) {
      assert.throws(
        () => WriteToAvro.to("out/x", { schema: USER_SCHEMA, codec: codec as "null" }),
        new RegExp(`cannot write the codec '${codec}' \\(Beamline reads bzip2 and xz files but cannot write them.*\\); use "deflate" \\(default\\), "snappy", "zstandard" or "null"`),
      );
    }
  });

  it("a corrupt bzip2, xz or zstandard block fails the read naming the file, the codec and the block", async () => {
    for (const codec of ["bzip2", "xz", "zstandard"] as const) {
      const golden = path.join(AVRO_FIXTURES, `users.${codec}.avro`);
      const bytes = Buffer.from(fs.readFileSync(golden));
      const sync = (await readAvroHeader(golden)).sync;
      // Damage the middle of the first block's compressed data (between the header's sync marker and the next).
      const first = bytes.indexOf(sync) + 16;
      const next = bytes.indexOf(sync, first);
      for (let i = first + Math.floor((next - first) / 2); i < first + Math.floor((next - first) / 2) + 8; i++) bytes[i]! ^= 0x5a;
      const file = path.join(tmp, `corrupt-${codec}.avro`);
      fs.writeFileSync(file, bytes);
      const result = await runDirect((root) => root.apply("ReadCorrupt", ReadFromAvro.from(file)));
      assert.equal(result.state, "FAILED", codec);
      assert.match(result.error!.message, new RegExp(`ReadCorrupt/ReadRanges.*corrupt-${codec}\\.avro: the ${codec} data of the block after byte \\d+ is corrupt \\(.+\\)`, "s"), codec);
    }
  });
});
