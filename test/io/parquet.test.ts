/**
 * ParquetIO on the DirectRunner: pyarrow's golden files read exactly (every type, nulls, lists and
 * structs, codecs none/snappy/gzip/brotli/zstd, three row groups with dictionary pages), the
 * `columns` projection, int64s beyond 2^53, splitting by row groups (each row group read by the
 * one range that holds its start, as Beam Python's _ParquetSource: every cut of a file gives
 * every row exactly once), empty and corrupt files, and WriteToParquet (codecs, row groups, shard
 * names, numShards, empty input, atomic output, rows that do not match the schema).
 */
import { strict as assert } from "node:assert";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import type { FileMetaData } from "hyparquet";
import { Create, type KV, PCollection, ReadAllFromParquet, ReadFromParquet, WriteToParquet } from "../../lib";
import { fileBuffer, hyparquet, hyparquetWriter } from "../../lib/io/parquet/library";
import { rowGroupsIn } from "../../lib/io/parquet/read";
import { runDirect, runOk } from "../helpers";
import { GOLDEN_CODECS, NESTED_ROWS, NESTED_SCHEMA, PARQUET_FIXTURES, PYARROW_VERSION, type User, USER_SCHEMA, USERS } from "./parquet_fixtures";

function collect<T>(pcoll: PCollection<T>, into: T[], label = `Collect${pcoll.tag}`): void {
  pcoll.map(label, (x: T) => {
    into.push(x);
    return x;
  });
}

const byId = <R extends { id: number | bigint }>(rs: R[]): R[] => [...rs].sort((a, b) => Number(a.id) - Number(b.id));
const golden = (codec: string): string => path.join(PARQUET_FIXTURES, `users.${codec}.parquet`);

async function footer(file: string): Promise<FileMetaData> {
  return hyparquet().parquetMetadataAsync(fileBuffer(file, fs.statSync(file).size));
}

/** A deterministic pseudo-random generator (mulberry32), for the cut property test. */
function random(seed: number): () => number {
  let a = seed;
  return () => {
    a = (a + 0x6d2b79f5) | 0;
    let t = Math.imul(a ^ (a >>> 15), 1 | a);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

describe("io/parquet: ReadFromParquet, ReadAllFromParquet, WriteToParquet", function () {
  this.timeout(60_000);
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), "beamline-parquet-"));
  after(() => fs.rmSync(tmp, { recursive: true, force: true }));

  it(`golden files (pyarrow ${PYARROW_VERSION}), each codec: read exactly, in 3 row groups`, async () => {
    assert.equal(PYARROW_VERSION, "25.0.1");
    for (const codec of GOLDEN_CODECS) {
      const md = await footer(golden(codec));
      assert.equal(md.row_groups.length, 3, codec);
      const got: User[] = [];
      await runOk((root) => collect(root.apply(`Read`, ReadFromParquet.from<User>(golden(codec), { int64: "bigint" })), got));
      assert.deepStrictEqual(byId(got), USERS, codec);
    }
  });

  it("int64s read as numbers by default; one beyond 2^53 fails the read naming the file and the fix", async () => {
    const got: Record<string, unknown>[] = [];
    await runOk((root) => collect(root.apply(ReadFromParquet.from(golden("snappy"), { columns: ["id", "age"] })), got));
    assert.deepStrictEqual(byId(got as { id: number }[]), USERS.map((u) => ({ id: Number(u.id), age: u.age })));
    const result = await runDirect((root) => root.apply("ReadBig", ReadFromParquet.from(golden("snappy"), { columns: ["big"] })));
    assert.equal(result.state, "FAILED");
    assert.match(result.error!.message, /ReadBig\/ReadRowGroups.*users\.snappy\.parquet, row \d+ holds -?\d+, beyond .*int64: "bigint"/s);
  });

  it("columns projects top-level columns (a struct and a list whole); an unknown column fails naming the file's columns", async () => {
    const got: Record<string, unknown>[] = [];
    await runOk((root) => collect(root.apply(ReadFromParquet.from(golden("gzip"), { columns: ["address", "name", "tags"] })), got));
    const expected = USERS.map((u) => ({ address: u.address, name: u.name, tags: u.tags }));
    const key = (r: Record<string, unknown>): string => String(r["name"]);
    assert.deepStrictEqual(
      got.sort((a, b) => key(a).localeCompare(key(b))),
      expected.sort((a, b) => key(a).localeCompare(key(b))),
    );
    const result = await runDirect((root) => root.apply("ReadNope", ReadFromParquet.from(golden("none"), { columns: ["id", "nope"] })));
    assert.equal(result.state, "FAILED");
    assert.match(result.error!.message, /ReadNope\/ReadRowGroups.*Cannot read columns 'nope' of Parquet file .*users\.none\.parquet: it has no such column \(its columns: id, name, age/s);
  });

  it("every cut of a file into byte ranges reads each row group exactly once (property, 300 random cuts per file)", async () => {
    const next = random(80);
    for (const codec of GOLDEN_CODECS) {
      const file = golden(codec);
      const size = fs.statSync(file).size;
      const md = await footer(file);
      for (let trial = 0; trial < 300; trial++) {
        const cuts = new Set<number>([0, size]);
        const n = 1 + Math.floor(next() * 8);
        for (let i = 0; i < n; i++) cuts.add(Math.floor(next() * size));
        const points = [...cuts].sort((a, b) => a - b);
        const seen: number[] = [];
        for (let i = 0; i + 1 < points.length; i++) seen.push(...rowGroupsIn(md, points[i]!, points[i + 1]!).map((g) => g.index));
        assert.deepEqual(seen, [0, 1, 2], `${codec}: cuts ${points.join(",")}`);
      }
    }
  });

  it("small ranges over two workers read every row once (ranges of 1 byte up to the whole file)", async () => {
    for (const desiredBundleSizeBytes of [1, 97, 1000, 4096, 1 << 20]) {
      const got: User[] = [];
      await runOk((root) => collect(root.apply(ReadFromParquet.from<User>(path.join(PARQUET_FIXTURES, "users.*.parquet"), { int64: "bigint", desiredBundleSizeBytes })), got), { directNumWorkers: 2 });
      assert.equal(got.length, USERS.length * GOLDEN_CODECS.length, `ranges of ${desiredBundleSizeBytes} bytes`);
      const ids = got.map((u) => Number(u.id)).sort();
      assert.deepEqual(ids, [1, 1, 1, 1, 1, 2, 2, 2, 2, 2, 3, 3, 3, 3, 3, 4, 4, 4, 4, 4, 5, 5, 5, 5, 5], `ranges of ${desiredBundleSizeBytes} bytes`);
    }
  });

  it("ReadAllFromParquet: patterns, and withFilename gives KV(path, row); an empty file gives no rows", async () => {
    const got: KV<string, User>[] = [];
    await runOk((root) =>
      collect(root.apply(Create.of(golden("snappy"), path.join(PARQUET_FIXTURES, "empty.parquet"), path.join(PARQUET_FIXTURES, "*.none"))).apply(ReadAllFromParquet.withFilename<User>({ int64: "bigint", desiredBundleSizeBytes: 500 })), got),
    );
    assert.deepEqual(got.map((r) => path.basename(r.key)), Array(5).fill("users.snappy.parquet"));
    assert.deepStrictEqual(byId(got.map((r) => r.value)), USERS);
    const plainRows: Record<string, unknown>[] = [];
    await runOk((root) => collect(root.apply(Create.of(golden("zstd"))).apply(ReadAllFromParquet.create({ columns: ["name"] })), plainRows));
    assert.deepEqual(plainRows.map((r) => r["name"]).sort(), USERS.map((u) => u.name).sort());
  });

  it("timestamps finer than a millisecond read as the millisecond they fall in (floor, also before 1970)", async () => {
    // Microsecond and nanosecond timestamps as pyarrow writes them; a Date holds milliseconds, so
    // -500 µs (1969-12-31T23:59:59.9995Z) is in the millisecond -1, not 0.
    const file = path.join(tmp, "ts.parquet");
    const schema = [
      { name: "root", num_children: 2 },
      { name: "us", type: "INT64", repetition_type: "REQUIRED", logical_type: { type: "TIMESTAMP", isAdjustedToUTC: true, unit: "MICROS" } },
      { name: "ns", type: "INT64", repetition_type: "REQUIRED", converted_type: undefined, logical_type: { type: "TIMESTAMP", isAdjustedToUTC: true, unit: "NANOS" } },
    ] as const;
    const columnData = [
      { name: "us", data: [-500n, -1500n, 1500n, -1000n] },
      { name: "ns", data: [-1n, -1_000_001n, 1_999_999n, -2_000_000n] },
    ];
    fs.writeFileSync(file, Buffer.from(hyparquetWriter().parquetWriteBuffer({ schema: schema as unknown as Parameters<ReturnType<typeof hyparquetWriter>["parquetWriteBuffer"]>[0]["schema"], columnData })));
    const got: { us: Date; ns: Date }[] = [];
    await runOk((root) => collect(root.apply(ReadFromParquet.from<{ us: Date; ns: Date }>(file)), got));
    const pairs = got.map((r) => `${r.us.getTime()},${r.ns.getTime()}`).sort();
    assert.deepEqual(pairs, ["-1,-1", "-1,-2", "-2,-2", "1,1"]);
  });

  it("a file that is not Parquet fails the read naming the file", async () => {
    const dir = path.join(tmp, "corrupt");
    fs.mkdirSync(dir, { recursive: true });
    fs.writeFileSync(path.join(dir, "not.parquet"), "hello, this is not a Parquet file at all");
    const result = await runDirect((root) => root.apply("ReadCorrupt", ReadFromParquet.from(path.join(dir, "not.parquet"))));
    assert.equal(result.state, "FAILED");
    assert.match(result.error!.message, /ReadCorrupt\/ReadRowGroups.*Cannot read Parquet file .*not\.parquet: its footer is not a Parquet footer/s);
  });

  for (const codec of ["none", "snappy", "gzip", "brotli"] as const) {
    it(`WriteToParquet (codec ${codec}): row groups of rowGroupSize, every type, read back exactly`, async () => {
      const prefix = path.join(tmp, `write-${codec}`, "users");
      const names: string[] = [];
      await runOk((root) => collect(root.apply(Create.from(USERS)).apply(WriteToParquet.to(prefix, { schema: USER_SCHEMA, codec, rowGroupSize: 2, suffix: ".parquet", shardNameTemplate: "" })), names));
      assert.deepEqual(names, [`${prefix}.parquet`]);
      const md = await footer(names[0]!);
      assert.deepEqual(md.row_groups.map((g) => Number(g.num_rows)), [2, 2, 1]);
      assert.equal(md.row_groups[0]!.columns[0]!.meta_data!.codec, codec === "none" ? "UNCOMPRESSED" : codec.toUpperCase());
      const back: User[] = [];
      await runOk((root) => collect(root.apply(ReadFromParquet.from<User>(names[0]!, { int64: "bigint", desiredBundleSizeBytes: 200 })), back));
      assert.deepStrictEqual(byId(back), USERS);
    });
  }

  it("WriteToParquet: lists of structs of lists, lists of lists and structs in structs, with nulls at each level, read back exactly", async () => {
    const prefix = path.join(tmp, "nested", "n");
    await runOk((root) => root.apply(Create.from(NESTED_ROWS)).apply(WriteToParquet.to(prefix, { schema: NESTED_SCHEMA, codec: "snappy", shardNameTemplate: "" })));
    const back: (typeof NESTED_ROWS)[number][] = [];
    await runOk((root) => collect(root.apply(ReadFromParquet.from<(typeof NESTED_ROWS)[number]>(prefix)), back));
    assert.deepStrictEqual(back.sort((a, b) => a.id - b.id), NESTED_ROWS);
  });

  it("WriteToParquet: numShards names -SSSSS-of-NNNNN files; an empty input writes files with the schema and no rows", async () => {
    const prefix = path.join(tmp, "shards", "out");
    const names: string[] = [];
    await runOk((root) => collect(root.apply(Create.from(USERS)).apply(WriteToParquet.to(prefix, { schema: USER_SCHEMA, numShards: 3, suffix: ".parquet" })), names));
    assert.deepEqual(names.sort(), [0, 1, 2].map((i) => `${prefix}-0000${i}-of-00003.parquet`));
    const back: User[] = [];
    await runOk((root) => collect(root.apply(ReadFromParquet.from<User>(`${prefix}-*`, { int64: "bigint" })), back));
    assert.deepStrictEqual(byId(back), USERS);

    const empty = path.join(tmp, "empty", "none");
    const emptyNames: string[] = [];
    await runOk((root) => collect(root.apply(Create.from<User>([])).apply(WriteToParquet.to(empty, { schema: USER_SCHEMA })), emptyNames));
    assert.deepEqual(emptyNames, [`${empty}-00000-of-00001`]);
    const md = await footer(emptyNames[0]!);
    assert.equal(Number(md.num_rows), 0);
    assert.deepEqual(hyparquet().parquetSchema(md).children.map((c) => c.element.name), Object.keys(USER_SCHEMA));
  });

  it("a row that does not match the schema fails the write with the column's path, and no file is left", async () => {
    const prefix = path.join(tmp, "mismatch", "out");
    const cases: [unknown, RegExp][] = [
      [{ ...USERS[0], age: 1.5 }, /age is 1\.5, but the column is int32/],
      [{ ...USERS[0], address: { city: 7, zip: null } }, /address\.city is 7, but the column is string/],
      [{ ...USERS[0], tags: ["a", 3] }, /tags\[1\] is 3, but the column is string/],
      [{ ...USERS[0], name: null }, /name is null, but the column is not nullable/],
      [{ id: 1n }, /the row has no column 'name'/],
      [{ ...USERS[0], id: 2 ** 60 }, /id is 1152921504606847000, but the column is int64 \(a bigint, or a number that is a safe integer\)/],
    ];
    for (const [row, message] of cases) {
      const result = await runDirect((root) => root.apply("Rows", Create.from<unknown>([USERS[1], row])).apply("WriteBad", WriteToParquet.to<unknown>(prefix, { schema: USER_SCHEMA })));
      assert.equal(result.state, "FAILED");
      assert.match(result.error!.message, /WriteBad\/CheckRows.*a row does not match the Parquet schema/s);
      assert.match(result.error!.message, message);
      assert.deepEqual(fs.existsSync(path.dirname(prefix)) ? fs.readdirSync(path.dirname(prefix)) : [], [], "nothing written");
    }
    // Numbers are fine for int64 columns (as safe integers); extra fields are not written, as Beam Python's sink.
    const ok = path.join(tmp, "numbers", "out");
    await runOk((root) => root.apply(Create.of({ id: 7, name: "n", extra: true })).apply(WriteToParquet.to<unknown>(ok, { schema: { id: "int64", name: "string" }, shardNameTemplate: "" })));
    const back: Record<string, unknown>[] = [];
    await runOk((root) => collect(root.apply(ReadFromParquet.from(ok)), back));
    assert.deepStrictEqual(back, [{ id: 7, name: "n" }]);
  });

  it("options are checked when the transform is made", () => {
    assert.throws(() => WriteToParquet.to("out/x", { schema: { a: "nope" as "int32" } }), /not a Parquet schema: column a: unknown type 'nope'/);
    assert.throws(() => WriteToParquet.to("out/x", { schema: {} }), /the schema has no columns/);
    assert.throws(() => WriteToParquet.to("out/x", { schema: USER_SCHEMA, codec: "lzo" as "none" }), /unsupported codec 'lzo'; use "none", "snappy", "gzip", "brotli", "lz4", "zstd"/);
    assert.throws(() => WriteToParquet.to("out/x", { schema: USER_SCHEMA, rowGroupSize: 0 }), /rowGroupSize must be a positive integer/);
    assert.throws(() => WriteToParquet.to("out/x", { schema: USER_SCHEMA, numShards: 2, shardNameTemplate: "" }), /empty shardNameTemplate/);
    assert.throws(() => ReadFromParquet.from("x.parquet", { int64: "string" as "number" }), /unknown int64/);
    assert.throws(() => ReadFromParquet.from("x.parquet", { columns: [] }), /columns must be a non-empty array/);
    assert.throws(() => ReadFromParquet.from([]), /at least one file pattern/);
  });
});
