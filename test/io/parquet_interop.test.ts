/**
 * Parquet files across implementations, against pyarrow (test/fixtures/parquet/interop.py): what
 * WriteToParquet writes (each codec, several row groups, nulls, lists and structs, a file streamed
 * past the writer's whole-file buffer), pyarrow reads value for value and copies back for us to
 * compare; what pyarrow writes (a big file of many row groups), we read exactly, cut into many
 * byte ranges over two workers. Runs only when BEAMLINE_PYARROW_PYTHON names a Python with pyarrow
 * importable, e.g.
 *
 *     BEAMLINE_PYARROW_PYTHON=/work/realrunners/pyarrow/python.sh npx mocha ... dist/test/io/parquet_interop.test.js
 */
import { strict as assert } from "node:assert";
import { execFile } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { promisify } from "node:util";
import { Create, PCollection, ReadFromParquet, WriteToParquet } from "../../lib";
import { runOk } from "../helpers";
import { type Logical, LOGICAL_ROWS, LOGICAL_SCHEMA, NESTED_ROWS, NESTED_SCHEMA, PARQUET_FIXTURES, type User, USER_SCHEMA, USERS } from "./parquet_fixtures";

const SCRIPT = path.join(PARQUET_FIXTURES, "interop.py");
const PYTHON = process.env["BEAMLINE_PYARROW_PYTHON"];

interface Big {
  i: bigint;
  s: string | null;
  b: Uint8Array | null;
  d: number | null;
  u: bigint | null;
}

/** interop.py's big_rows(n). */
function bigRows(n: number): Big[] {
  return Array.from({ length: n }, (_, i) => ({ i: BigInt(i), s: "r" + String(i).repeat(i % 7), b: new Uint8Array(i % 11).fill(i % 256), d: i / 4, u: i % 2 ? null : BigInt(i) * 2n ** 40n }));
}

async function python(...args: string[]): Promise<string> {
  try {
    return (await promisify(execFile)(PYTHON!, [SCRIPT, ...args], { maxBuffer: 64 << 20 })).stdout;
  } catch (e) {
    const err = e as Error & { stderr?: string };
    throw new Error(`pyarrow failed (${args.join(" ")}): ${err.message}\n${err.stderr ?? ""}`);
  }
}

function collect<T>(pcoll: PCollection<T>, into: T[], label = `Collect${pcoll.tag}`): void {
  pcoll.map(label, (x: T) => {
    into.push(x);
    return x;
  });
}

/** n bytes of deterministic noise (a linear congruential generator seeded by `seed`): incompressible, distinct per seed. */
function noise(seed: number, n: number): Uint8Array {
  const out = new Uint8Array(n);
  let x = seed + 1;
  for (let i = 0; i < n; i++) out[i] = (x = (Math.imul(x, 1103515245) + 12345) >>> 0) >>> 24;
  return out;
}

const byId = <R extends { id: bigint }>(rs: R[]): R[] => [...rs].sort((a, b) => Number(a.id - b.id));

/** How pyarrow shows USER_SCHEMA: the types of make_golden.py's pyarrow schema. */
const PYARROW_SCHEMA = [
  "id: int64 not null",
  "name: string not null",
  "age: int32",
  "score: double",
  "ratio: float",
  "active: bool",
  "big: int64",
  "payload: binary",
  "joined: timestamp[ms, tz=UTC]",
  "seen: timestamp[us, tz=UTC]",
  "tags: list<element: string>",
  "address: struct<city: string, zip: int32>",
];

(PYTHON === undefined ? describe.skip : describe)("io/parquet: interop with pyarrow (BEAMLINE_PYARROW_PYTHON)", function () {
  this.timeout(300_000);
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), "beamline-parquet-interop-"));
  after(() => fs.rmSync(tmp, { recursive: true, force: true }));

  for (const codec of ["none", "snappy", "gzip", "brotli", "lz4"] as const) {
    it(`pyarrow reads what WriteToParquet writes (codec ${codec}): every type, nulls, lists, structs, several row groups, a streamed 5 MB file`, async () => {
      // 600 rows, 400 of them with 12 KB of noise: the bundle's file outgrows the writer's 4 MiB whole-file buffer and streams.
      const users: User[] = Array.from({ length: 600 }, (_, i) => ({ ...USERS[i % USERS.length]!, id: BigInt(i), payload: i % 3 === 0 ? null : noise(i, 12_000) }));
      const names: string[] = [];
      await runOk((root) => collect(root.apply("Users", Create.from(users)).apply(WriteToParquet.to(path.join(tmp, codec, "users"), { schema: USER_SCHEMA, codec, rowGroupSize: 70, suffix: ".parquet" })), names));
      assert.ok(names.some((n) => fs.statSync(n).size > 4 << 20) || codec !== "none", "one file streamed (uncompressed, past 4 MiB)");
      let total = 0;
      const copies: string[] = [];
      for (const [k, name] of names.entries()) {
        const copy = path.join(tmp, codec, `copy-${k}.parquet`);
        const seen = JSON.parse(await python("copy", name, copy)) as { rows: number; row_groups: number; codecs: string[]; schema: string[] };
        // pyarrow names the LZ4_RAW codec "LZ4_RAW" (older versions may say "LZ4").
        if (codec === "lz4") assert.match(seen.codecs.join(","), /^LZ4(_RAW)?$/);
        else assert.deepEqual(seen.codecs, [codec === "none" ? "UNCOMPRESSED" : codec.toUpperCase()]);
        assert.deepEqual(seen.schema, PYARROW_SCHEMA);
        assert.equal(seen.row_groups, Math.ceil(seen.rows / 70), "pyarrow sees our row groups");
        total += seen.rows;
        copies.push(copy);
      }
      assert.equal(total, users.length);
      const back: User[] = [];
      await runOk((root) => collect(root.apply(ReadFromParquet.from<User>(copies, { int64: "bigint" })), back));
      assert.deepStrictEqual(byId(back), users, "pyarrow's copies hold exactly our rows");
    });
  }

  it("pyarrow reads nested columns we write: lists of structs of lists, lists of lists, structs in structs, nulls at each level", async () => {
    const names: string[] = [];
    await runOk((root) => collect(root.apply(Create.from(NESTED_ROWS)).apply(WriteToParquet.to(path.join(tmp, "nested", "n"), { schema: NESTED_SCHEMA, shardNameTemplate: "" })), names));
    const copy = path.join(tmp, "nested", "copy.parquet");
    const seen = JSON.parse(await python("copy", names[0]!, copy)) as { rows: number; schema: string[] };
    assert.deepEqual(seen.schema, [
      "id: int32 not null",
      "items: list<element: struct<sku: string not null, qty: int64, tags: list<element: string not null> not null> not null>",
      "grid: list<element: list<element: double not null> not null> not null",
      "deep: struct<inner: struct<v: bool>> not null",
    ]);
    const back: (typeof NESTED_ROWS)[number][] = [];
    await runOk((root) => collect(root.apply(ReadFromParquet.from<(typeof NESTED_ROWS)[number]>(copy)), back));
    assert.deepStrictEqual(back.sort((a, b) => a.id - b.id), NESTED_ROWS, "pyarrow's copy holds exactly our rows");
  });

  it("pyarrow reads the logical types we write as its own: decimal128, date32, timestamps, times, unsigned and fixed-size binaries", async () => {
    const names: string[] = [];
    await runOk((root) => collect(root.apply(Create.from(LOGICAL_ROWS)).apply(WriteToParquet.to(path.join(tmp, "logical", "l"), { schema: LOGICAL_SCHEMA, shardNameTemplate: "" })), names));
    const copy = path.join(tmp, "logical", "copy.parquet");
    const seen = JSON.parse(await python("copy", names[0]!, copy)) as { rows: number; schema: string[] };
    assert.deepEqual(seen.schema, [
      "price: decimal128(10, 2) not null",
      "wide: decimal128(38, 6)",
      "whole: decimal128(5, 0) not null",
      "day: date32[day] not null",
      "ns: timestamp[ns, tz=UTC] not null",
      "us: timestamp[us, tz=UTC] not null",
      "t32: time32[ms] not null",
      "t64: time64[us] not null",
      "i8: int8 not null",
      "i16: int16 not null",
      "u8: uint8 not null",
      "u16: uint16 not null",
      "u32: uint32 not null",
      "u64: uint64 not null",
      "uuid: fixed_size_binary[4] not null",
      "prices: list<element: decimal128(4, 1) not null> not null",
    ]);
    const back: Logical[] = [];
    await runOk((root) => collect(root.apply(ReadFromParquet.from<Logical>(copy, { int64: "bigint" })), back));
    assert.deepStrictEqual(back.sort((a, b) => a.i8 - b.i8), LOGICAL_ROWS, "pyarrow's copy holds exactly our values");
  });

  it("pyarrow reads our INT96 timestamps (useDeprecatedInt96Timestamps) as timestamp[ns]", async () => {
    const schema = { id: "int32", at: "timestamp[ms]", maybe: { type: "timestamp[us]", nullable: true } } as const;
    const rows = [
      { id: 1, at: new Date("2024-01-02T03:04:05.678Z"), maybe: null },
      { id: 2, at: new Date(-1), maybe: new Date("1900-01-01T00:00:00.001Z") },
    ];
    const names: string[] = [];
    await runOk((root) => collect(root.apply(Create.from(rows)).apply(WriteToParquet.to(path.join(tmp, "int96", "t"), { schema, shardNameTemplate: "", useDeprecatedInt96Timestamps: true })), names));
    const copy = path.join(tmp, "int96", "copy.parquet");
    const seen = JSON.parse(await python("copy", names[0]!, copy)) as { schema: string[] };
    assert.deepEqual(seen.schema, ["id: int32 not null", "at: timestamp[ns] not null", "maybe: timestamp[ns]"]);
    const back: (typeof rows)[number][] = [];
    await runOk((root) => collect(root.apply(ReadFromParquet.from<(typeof rows)[number]>(copy)), back));
    assert.deepStrictEqual(back.sort((a, b) => a.id - b.id), rows);
  });

  it("an empty WriteToParquet output is a file pyarrow reads: the schema, no rows", async () => {
    const names: string[] = [];
    await runOk((root) => collect(root.apply(Create.from<User>([])).apply(WriteToParquet.to(path.join(tmp, "empty", "none"), { schema: USER_SCHEMA, codec: "snappy" })), names));
    const seen = JSON.parse(await python("copy", names[0]!, path.join(tmp, "empty", "copy.parquet"))) as { rows: number; row_groups: number; schema: string[] };
    assert.deepEqual([seen.rows, seen.row_groups, seen.schema], [0, 0, PYARROW_SCHEMA]);
  });

  for (const codec of ["snappy", "zstd"]) {
    it(`we read pyarrow's big ${codec} file exactly, cut into many byte ranges over two workers`, async () => {
      const n = 60_000;
      const file = path.join(tmp, `big.${codec}.parquet`);
      await python("write_big", file, String(n), codec);
      const expected = bigRows(n);
      for (const desiredBundleSizeBytes of [4096, 65_536, 333_333]) {
        const got: Big[] = [];
        await runOk((root) => collect(root.apply(ReadFromParquet.from<Big>(file, { int64: "bigint", desiredBundleSizeBytes })), got), { directNumWorkers: 2 });
        assert.equal(got.length, n, `ranges of ${desiredBundleSizeBytes} bytes`);
        got.sort((a, b) => (a.i < b.i ? -1 : 1));
        assert.deepStrictEqual(got, expected, `ranges of ${desiredBundleSizeBytes} bytes`);
      }
    });
  }
});
