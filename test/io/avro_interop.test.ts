/**
 * Avro files across implementations, against Apache Avro's official Python library
 * (test/fixtures/avro/interop.py): what we write (codecs null, deflate, snappy and zstandard, many
 * blocks, a file streamed past our writer's whole-file buffer), Python reads record for record,
 * and copies back for us to compare; what Python writes (big files of many blocks, codecs deflate,
 * bzip2, xz and zstandard), we read exactly, in many byte ranges over two workers. Python's avro
 * 1.11 has no xz codec and its zstandard one needs a module not installed here: interop.py adds
 * them (extra_codecs.py: liblzma through Python's lzma, libzstd through the zstd tool). Runs only when BEAMLINE_AVRO_PYTHON names a Python with avro
 * 1.11 importable, e.g.
 *
 *     BEAMLINE_AVRO_PYTHON=/work/realrunners/pyavro/python.sh npx mocha ... dist/test/io/avro_interop.test.js
 */
import { strict as assert } from "node:assert";
import { execFile } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { promisify } from "node:util";
import { Create, PCollection, ReadFromAvro, WriteToAvro } from "../../lib";
import { readAvroBlocks, readAvroHeader } from "../../lib/io/avro/container";
import { runOk } from "../helpers";
import { AVRO_FIXTURES, type User, USER_SCHEMA, USERS } from "./avro_fixtures";

const SCRIPT = path.join(AVRO_FIXTURES, "interop.py");
const PYTHON = process.env["BEAMLINE_AVRO_PYTHON"];

const BIG_SCHEMA = {
  type: "record",
  name: "Big",
  fields: [
    { name: "i", type: "long" },
    { name: "s", type: "string" },
    { name: "b", type: "bytes" },
    { name: "d", type: "double" },
    { name: "u", type: ["null", "long"] },
  ],
} as const;
interface Big {
  i: bigint;
  s: string;
  b: Buffer;
  d: number;
  u: bigint | null;
}

/** interop.py's big_records(n). */
function bigRecords(n: number): Big[] {
  return Array.from({ length: n }, (_, i) => ({ i: BigInt(i), s: "r" + String(i).repeat(i % 7), b: Buffer.alloc(i % 11, i % 256), d: i / 4, u: i % 2 ? null : BigInt(i) * 2n ** 40n }));
}

async function python(...args: string[]): Promise<string> {
  try {
    return (await promisify(execFile)(PYTHON!, [SCRIPT, ...args], { maxBuffer: 64 << 20 })).stdout;
  } catch (e) {
    const err = e as Error & { stderr?: string };
    throw new Error(`Avro Python failed (${args.join(" ")}): ${err.message}\n${err.stderr ?? ""}`);
  }
}

function collect<T>(pcoll: PCollection<T>, into: T[], label = `Collect${pcoll.tag}`): void {
  pcoll.map(label, (x: T) => {
    into.push(x);
    return x;
  });
}

async function blocksOf(file: string): Promise<number> {
  let n = 0;
  await readAvroBlocks(file, await readAvroHeader(file), 0, fs.statSync(file).size, () => n++);
  return n;
}

(PYTHON === undefined ? describe.skip : describe)("io/avro: interop with Apache Avro's Python library (BEAMLINE_AVRO_PYTHON)", function () {
  this.timeout(300_000);
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), "beamline-avro-interop-"));
  after(() => fs.rmSync(tmp, { recursive: true, force: true }));

  for (const codec of ["null", "deflate", "snappy", "zstandard"] as const) {
    it(`Python reads what WriteToAvro writes (codec ${codec}): every type, many blocks, a streamed 3 MB file`, async () => {
      const users = Array.from({ length: 400 }, (_, i) => ({ ...USERS[i % USERS.length]!, id: i, payload: Buffer.alloc(i % 5 === 0 ? 40_000 : 10, i) }));
      const names: string[] = [];
      await runOk((root) => collect(root.apply("Users", Create.from(users)).apply(WriteToAvro.to<User>(path.join(tmp, codec, "users"), { schema: USER_SCHEMA, codec, suffix: ".avro", syncInterval: 4000 })), names));
      let total = 0;
      const copies: string[] = [];
      for (const [k, name] of names.entries()) {
        const copy = path.join(tmp, codec, `copy-${k}.avro`);
        const seen = JSON.parse(await python("copy", name, copy)) as { records: number; codec: string; blocks: number };
        assert.equal(seen.codec, codec);
        assert.equal(seen.blocks, await blocksOf(name), "Python sees our blocks");
        assert.ok(seen.blocks > 1, `several blocks (${seen.blocks})`);
        total += seen.records;
        copies.push(copy);
      }
      assert.equal(total, users.length);
      const back: User[] = [];
      await runOk((root) => collect(root.apply(ReadFromAvro.from<User>(copies)), back));
      assert.deepStrictEqual(back.sort((a, b) => a.id - b.id), users, "Python's copies hold exactly our records");
    });
  }

  for (const codec of ["deflate", "bzip2", "xz", "zstandard"]) {
    it(`we read Python's big ${codec} file exactly, split into many byte ranges over two workers`, async () => {
      const n = 60_000;
      const file = path.join(tmp, `big-${codec}.avro`);
      await python("write_big", file, String(n), codec);
      assert.equal((await readAvroHeader(file)).codec, codec);
      const blocks = await blocksOf(file);
      assert.ok(blocks >= 10, `${blocks} blocks`);
      const expected = bigRecords(n);
      for (const desiredBundleSizeBytes of [4096, 65_536, 333_333]) {
        const got: Big[] = [];
        await runOk((root) => collect(root.apply(ReadFromAvro.from<Big>(file, { longs: "bigint", desiredBundleSizeBytes })), got), { directNumWorkers: 2 });
        assert.equal(got.length, n, `ranges of ${desiredBundleSizeBytes} bytes`);
        got.sort((a, b) => (a.i < b.i ? -1 : 1));
        assert.deepStrictEqual(got, expected, `ranges of ${desiredBundleSizeBytes} bytes`);
      }
    });
  }
});
