/**
 * Beam Python's sdks/python/apache_beam/io/parquetio_test.py (TestParquet), case by case. Pipeline
 * cases run with --direct_num_workers 1 and 2 (programs in beam_py_parquetio_programs.ts); cases
 * about Python's source API (split, split points, range trackers) are ported to what stands for
 * them here: the byte ranges a read is cut into and the row groups each range reads.
 *
 * Not ported, by design: the four display-data cases (Beamline has no display data; the
 * transforms keep their patterns and options as fields, checked below instead).
 * `test_sink_transform_int96` is ported as pyarrow >= 13 behaves (Python skips it there: the
 * write succeeds, integers taken as nanoseconds).
 */
import { strict as assert } from "node:assert";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { Create, FieldType, Impulse, type ParquetBatch, ParDo, type PCollection, ReadFromParquet, ReadFromParquetBatched, Schema, WriteToParquet, WriteToParquetBatched } from "../../lib";
import { ExpandPatternsToRanges, type FileRange } from "../../lib/io/file_ranges";
import { fileBuffer, hyparquet, zstdCompressor } from "../../lib/io/parquet/library";
import { rowGroupsIn } from "../../lib/io/parquet/read";
import { setRowCoder } from "../../lib/transforms/schema_paths";
import { runDirect, runOk } from "../helpers";
import { PARQUET_FIXTURES } from "./parquet_fixtures";
import { beamPyParquetProgram, json, RECORDS, RECORDS_NESTED, recordBatches, records, SCHEMA, SCHEMA96, writeData, writeInt96Data } from "./beam_py_parquetio_programs";

const footer = (file: string) => hyparquet().parquetMetadataAsync(fileBuffer(file, fs.statSync(file).size));

function collect<T>(pcoll: PCollection<T>, into: T[], label = `Collect${pcoll.tag}`): void {
  pcoll.map(label, (x: T) => {
    into.push(x);
    return x;
  });
}

/** The ranges a read of `file` is cut into with these sizes (ExpandPatternsToRanges, as ReadFromParquet runs it). */
async function ranges(file: string, desired: number | undefined, minBundleSize = 0): Promise<FileRange[]> {
  const got: FileRange[] = [];
  await runOk((root) => collect(root.apply(Impulse.create()).apply(ParDo.of(new ExpandPatternsToRanges([file], desired, false, minBundleSize))), got));
  return got;
}

describe("Beam Python parquetio_test.py, ported", function () {
  this.timeout(180_000);
  let tmp: string;
  let n = 0;
  beforeEach(() => {
    tmp = fs.mkdtempSync(path.join(os.tmpdir(), "beam-py-parquet-"));
  });
  afterEach(() => fs.rmSync(tmp, { recursive: true, force: true }));

  const data = (options: Parameters<typeof writeData>[1] = {}, dir = tmp, prefix = "tmp"): string => writeData(path.join(dir, `${prefix}${n++}`), options);
  /** _write_pattern: `count` files in a new directory, and the pattern 'mytemp*' matching them. */
  const writePattern = (count: number): { pattern: string; files: string[] } => {
    const dir = fs.mkdtempSync(path.join(tmp, "pattern-"));
    const files = Array.from({ length: count }, () => data({}, dir, "mytemp"));
    return { pattern: path.join(dir, "mytemp*"), files };
  };
  const times = (k: number): string[] => Array.from({ length: k }, () => RECORDS.map(json)).flat();
  const batches = (k: number, count?: number, chunk?: number): string[] => Array.from({ length: k }, () => recordBatches(count, chunk).map(json)).flat();

  for (const directNumWorkers of [1, 2]) {
    const opts = { directNumWorkers, directWorkerThreads: "always" as const };
    const run = async (flags: { mode: string; patterns: string[]; options?: object; expected?: string[] }): Promise<string> =>
      (await beamPyParquetProgram.run({ mode: flags.mode, patterns: JSON.stringify(flags.patterns), options: JSON.stringify(flags.options ?? {}), expected: JSON.stringify(flags.expected ?? []) }, opts)).waitUntilFinish();

    describe(`--direct_num_workers ${directNumWorkers}`, () => {
      it("test_read_without_splitting, test_read_with_splitting (ranges of 100 bytes), test_batched_read", async () => {
        const file = data();
        assert.equal(await run({ mode: "read", patterns: [file], expected: times(1) }), "DONE");
        assert.equal(await run({ mode: "read", patterns: [file], options: { desiredBundleSizeBytes: 100 }, expected: times(1) }), "DONE");
        assert.equal(await run({ mode: "readBatched", patterns: [file], expected: batches(1) }), "DONE");
        assert.equal(await run({ mode: "readBatched", patterns: [file], options: { desiredBundleSizeBytes: 100 }, expected: batches(1) }), "DONE");
      });

      it("test_read_without_splitting_multiple_row_group and _with_splitting_ (12000 records, row groups of 1000, ranges of 10000 bytes): 12 batches", async () => {
        const file = data({ count: 12000, rowGroupSize: 1000 });
        assert.equal((await footer(file)).row_groups.length, 12);
        assert.equal(await run({ mode: "readBatched", patterns: [file], expected: batches(1, 12000, 1000) }), "DONE");
        assert.equal(await run({ mode: "readBatched", patterns: [file], options: { desiredBundleSizeBytes: 10000 }, expected: batches(1, 12000, 1000) }), "DONE");
        assert.equal(await run({ mode: "read", patterns: [file], options: { desiredBundleSizeBytes: 10000 }, expected: records(12000).map(json) }), "DONE");
      });

      it("test_selective_columns: columns ['name']", async () => {
        const file = data();
        assert.equal(await run({ mode: "read", patterns: [file], options: { columns: ["name"] }, expected: RECORDS.map((r) => json({ name: r.name })) }), "DONE");
        assert.equal(await run({ mode: "readBatched", patterns: [file], options: { columns: ["name"] }, expected: [json({ numRows: 7, columns: { name: RECORDS.map((r) => r.name) } })] }), "DONE");
      });

      it("test_sink_transform, test_sink_transform_batched: written with num_shards=1, shard_name_template='', read back", async () => {
        const file = path.join(tmp, "tmp_filename");
        assert.equal(await run({ mode: "write", patterns: [file] }), "DONE");
        assert.deepEqual(fs.readdirSync(tmp), ["tmp_filename"]);
        assert.equal(await run({ mode: "read", patterns: [file], expected: times(1) }), "DONE");
        const batched = path.join(tmp, "batched_filename");
        assert.equal(await run({ mode: "writeBatched", patterns: [batched] }), "DONE");
        assert.equal((await footer(batched)).row_groups.length, 1, "one row group per batch");
        assert.equal(await run({ mode: "read", patterns: [batched], expected: times(1) }), "DONE");
      });

      it("test_sink_transform_compressed: snappy, gzip, brotli, lz4, zstd", async () => {
        for (const codec of ["snappy", "gzip", "brotli", "lz4", "zstd"]) {
          if (codec === "zstd" && zstdCompressor() === undefined) {
            assert.throws(() => WriteToParquet.to(path.join(tmp, "z"), { schema: SCHEMA, codec: "zstd" }), /zstd codec needs Node's zstd \(Node 22.15 or later/);
            continue;
          }
          const file = path.join(tmp, `tmp_${codec}`);
          assert.equal(await run({ mode: "write", patterns: [file], options: { codec } }), "DONE", codec);
          const want = { snappy: "SNAPPY", gzip: "GZIP", brotli: "BROTLI", lz4: "LZ4_RAW", zstd: "ZSTD" }[codec];
          assert.ok((await footer(file)).row_groups[0]!.columns.every((c) => c.meta_data!.codec === want), codec);
          assert.equal(await run({ mode: "read", patterns: [`${file}*`], expected: times(1) }), "DONE", codec);
        }
      });

      it("test_sink_transform_compliant_nested_type: a list of structs, compliant ('element') and not ('item')", async () => {
        for (const compliant of [true, false]) {
          const file = path.join(tmp, `nested_${compliant}`);
          assert.equal(await run({ mode: "writeNested", patterns: [file], options: { useCompliantNestedType: compliant } }), "DONE");
          const names = (await footer(file)).schema.map((e) => e.name);
          assert.deepEqual(names, ["schema", "items", "list", compliant ? "element" : "item", "name", "favorite_number", "favorite_color"]);
          assert.equal(await run({ mode: "readNested", patterns: [file], expected: RECORDS_NESTED.map(json) }), "DONE");
        }
      });

      it("test_read_all_from_parquet_single_file, _many_single_files, _file_pattern, _many_file_patterns (rows and batches)", async () => {
        const single = data();
        assert.equal(await run({ mode: "readAll", patterns: [single], expected: times(1) }), "DONE");
        assert.equal(await run({ mode: "readAllBatched", patterns: [single], expected: batches(1) }), "DONE");
        const three = [data(), data(), data()];
        assert.equal(await run({ mode: "readAll", patterns: three, expected: times(3) }), "DONE");
        assert.equal(await run({ mode: "readAllBatched", patterns: three, expected: batches(3) }), "DONE");
        const five = writePattern(5).pattern;
        assert.equal(await run({ mode: "readAll", patterns: [five], expected: times(5) }), "DONE");
        assert.equal(await run({ mode: "readAllBatched", patterns: [five], expected: batches(5) }), "DONE");
        const many = [writePattern(5).pattern, writePattern(2).pattern, writePattern(3).pattern];
        assert.equal(await run({ mode: "readAll", patterns: many, expected: times(10) }), "DONE");
        assert.equal(await run({ mode: "readAllBatched", patterns: many, expected: batches(10) }), "DONE");
      });

      it("test_read_all_from_parquet_with_filename", async () => {
        const { pattern, files } = writePattern(3);
        const expected = files.flatMap((f) => RECORDS.map((r) => `${f} ${json(r)}`));
        assert.equal(await run({ mode: "readAllWithFilename", patterns: [pattern], expected }), "DONE");
      });
    });
  }

  it("test_sink_transform_multiple_row_group: 28000 records, row_group_buffer_size=250000 → 3 row groups", async () => {
    const file = path.join(tmp, "tmp_filename");
    await runOk((root) => root.apply(Create.from(records(28000))).apply(WriteToParquet.to(file, { schema: SCHEMA, numShards: 1, codec: "none", shardNameTemplate: "", rowGroupBufferSize: 250000 })));
    const md = await footer(file);
    assert.equal(md.row_groups.length, 3);
    // Python's row groups are whole record batches (1000 rows) too.
    assert.ok(md.row_groups.slice(0, -1).every((g) => Number(g.num_rows) % 1000 === 0), md.row_groups.map((g) => g.num_rows).join(","));
    // row_group_buffer_size=1 makes each record batch a row group, as Beam Python's docs say.
    const small = path.join(tmp, "small");
    await runOk((root) => root.apply(Create.from(records(25))).apply(WriteToParquet.to(small, { schema: SCHEMA, numShards: 1, shardNameTemplate: "", rowGroupBufferSize: 1, recordBatchSize: 10 })));
    assert.deepEqual((await footer(small)).row_groups.map((g) => Number(g.num_rows)), [10, 10, 5]);
  });

  it("test_schema_read_write: Beam rows written with the schema inferred from their RowCoder, read back with as_rows (asRows)", async () => {
    const file = path.join(tmp, "tmp_filename");
    const AB = Schema.of({ a: FieldType.INT64, b: FieldType.STRING });
    const rows = [
      { a: 1n, b: "x" },
      { a: 2n, b: "y" },
    ];
    await runOk((root) => {
      const input = root.apply(Create.from(rows));
      setRowCoder(input as PCollection<unknown>, AB);
      input.apply(WriteToParquet.to(file));
    });
    const written = fs.readdirSync(tmp).map((f) => path.join(tmp, f));
    assert.equal(written.length, 1);
    const md = await footer(written[0]!);
    assert.deepEqual(md.schema.map((e) => [e.name, e.type, e.repetition_type]), [["schema", undefined, undefined], ["a", "INT64", "REQUIRED"], ["b", "BYTE_ARRAY", "REQUIRED"]]);
    const read = ReadFromParquet.from<{ a: bigint; b: string }>(`${file}*`, { asRows: true });
    assert.deepEqual(read.beamSchema!.fields.map((f) => [f.name, f.type.spec.kind === "atomic" ? f.type.spec.atomic : f.type.spec.kind, f.type.nullable]), [["a", "INT64", false], ["b", "STRING", false]]);
    const back: { a: bigint; b: string }[] = [];
    await runOk((root) => {
      const out = root.apply(read);
      assert.equal(out.coder?.urn, "beam:coder:row:v1", "a schema'd PCollection");
      collect(out, back);
    });
    const stable = (r: { a: bigint; b: string }): string => json({ a: String(r.a), b: r.b });
    assert.deepEqual(back.map(stable).sort(), rows.map(stable));
    // Without a schema and without a RowCoder, as Python's "A schema is required to write non-schema'd data".
    await assert.rejects(
      runOk((root) => root.apply(Create.of({ a: 1 })).apply(WriteToParquet.to(path.join(tmp, "x")))),
      /needs the rows' schema.*A schema is required to write non-schema'd data/s,
    );
  });

  it("asRows: nested and logical columns as Beam types (timestamps as epoch milliseconds, decimals as strings); what has no Beam type fails at construction", async () => {
    const schema = { id: "int64", at: { type: "timestamp[us]", nullable: true }, price: "decimal128(6, 2)", tags: { list: "string" }, where: { struct: { x: "int16", when: "timestamp[ms]" } } } as const;
    const rows = [{ id: 1n, at: new Date(5), price: "1.50", tags: ["a"], where: { x: 3, when: new Date(7) } }];
    const file = path.join(tmp, "rows.parquet");
    await runOk((root) => root.apply(Create.from(rows)).apply(WriteToParquet.to(file, { schema, shardNameTemplate: "" })));
    const read = ReadFromParquet.from(path.join(tmp, "rows.*"), { asRows: true });
    const s = read.beamSchema!;
    assert.deepEqual(
      s.fields.map((f) => [f.name, f.type.nullable, f.type.spec.kind === "logical" ? f.type.spec.urn : f.type.spec.kind]),
      [["id", false, "atomic"], ["at", true, "beam:logical_type:millis_instant:v1"], ["price", false, "beam:logical_type:decimal:v1"], ["tags", false, "array"], ["where", false, "row"]],
    );
    const back: unknown[] = [];
    await runOk((root) => collect(root.apply(read), back));
    assert.deepStrictEqual(back, [{ id: 1n, at: 5, price: "1.50", tags: ["a"], where: { x: 3, when: 7 } }]);
    const projected = ReadFromParquet.from(file, { asRows: true, columns: ["price"] });
    assert.deepEqual(projected.beamSchema!.fields.map((f) => f.name), ["price"]);
    const dated = path.join(tmp, "dated.parquet");
    await runOk((root) => root.apply(Create.of({ d: new Date(0) })).apply(WriteToParquet.to(dated, { schema: { d: "date32" }, shardNameTemplate: "" })));
    assert.throws(() => ReadFromParquet.from(dated, { asRows: true }), /ReadFromParquet\(asRows\): column d is a date, which has no Beam schema type here; read it without asRows/);
    assert.throws(() => ReadFromParquet.from(path.join(tmp, "none*"), { asRows: true }), /matches no file/);
    assert.throws(() => ReadFromParquet.from("gs://b/x*", { asRows: true }), /is not local/);
    assert.throws(() => ReadFromParquetBatched.from(file, { asRows: true }), /asRows is ReadFromParquet's/);
  });

  it("test_min_bundle_size: min_bundle_size 100 MiB gives one range at desired size 1; 0 gives many", async () => {
    const file = data({ count: 120, rowGroupSize: 20 });
    assert.equal((await ranges(file, 1, 100 * 1024 * 1024)).length, 1);
    assert.notEqual((await ranges(file, 1, 0)).length, 1);
    const got: unknown[] = [];
    await runOk((root) => collect(root.apply(ReadFromParquet.from(file, { minBundleSize: 100 * 1024 * 1024, desiredBundleSizeBytes: 1 })), got));
    assert.equal(got.length, 120);
  });

  it("test_dynamic_work_rebalancing and test_split_points: every cut of a file (280 records, row groups of 20) reads each row group exactly once", async () => {
    const file = data({ count: 280, rowGroupSize: 20 });
    const md = await footer(file);
    const size = fs.statSync(file).size;
    assert.equal(md.row_groups.length, 14);
    // Python's exhaustive split_at_fraction: here, a cut at every byte.
    for (let cut = 0; cut <= size; cut++) {
      const groups = [...rowGroupsIn(md, 0, cut), ...rowGroupsIn(md, cut, size)].map((g) => g.index);
      assert.deepEqual(groups, [...Array(14).keys()], `cut at ${cut}`);
    }
    // test_split_points: 12000 records in row groups of 3000, one range: 4 row groups in order.
    const four = data({ count: 12000, rowGroupSize: 3000 });
    const whole = await ranges(four, Number.MAX_SAFE_INTEGER);
    assert.equal(whole.length, 1);
    assert.deepEqual(rowGroupsIn(await footer(four), whole[0]!.start, whole[0]!.end).map((g) => [g.index, g.rowEnd - g.rowStart]), [[0, 3000], [1, 3000], [2, 3000], [3, 3000]]);
  });

  it("test_read_reentrant: the same file (6 records, row groups of 3) read twice at once gives the same rows", async () => {
    const file = data({ count: 6, rowGroupSize: 3 });
    const a: unknown[] = [];
    const b: unknown[] = [];
    await runOk((root) => {
      collect(root.apply("A", ReadFromParquet.from(file, { desiredBundleSizeBytes: 50 })), a, "CollectA");
      collect(root.apply("B", ReadFromParquet.from(file)), b, "CollectB");
    });
    assert.deepEqual(a.map(json).sort(), records(6).map(json).sort());
    assert.deepEqual(b.map(json).sort(), records(6).map(json).sort());
  });

  it("test_sink_transform_int96 (as pyarrow >= 13): SCHEMA96 written with use_deprecated_int96_timestamps, integers as nanoseconds; and as timestamp[ns]", async () => {
    const file = data({ count: 120, rowGroupSize: 20, schema: SCHEMA96 });
    const md = await footer(file);
    assert.deepEqual(md.schema[2]!.logical_type, { type: "TIMESTAMP", isAdjustedToUTC: true, unit: "NANOS" });
    const got: ParquetBatchJson[] = [];
    await runOk((root) => collect(root.apply(ReadFromParquetBatched.from(file)).map((b) => JSON.parse(json(b)) as ParquetBatchJson), got));
    assert.equal(got.length, 6);
    assert.ok(got.every((b) => b.numRows === 20 && b.columns.favorite_number!.every((t) => t === "1970-01-01T00:00:00.000Z" || t === "1969-12-31T23:59:59.999Z")));
    const int96 = path.join(tmp, "int96_sink");
    await runOk((root) => root.apply(Create.from<unknown>(RECORDS)).apply(WriteToParquet.to<unknown>(int96, { schema: SCHEMA96, numShards: 1, shardNameTemplate: "", useDeprecatedInt96Timestamps: true })));
    const md96 = await footer(int96);
    assert.deepEqual([md96.schema[2]!.type, md96.schema[2]!.type_length, md96.schema[2]!.logical_type], ["INT96", undefined, undefined]);
    assert.ok(md96.row_groups[0]!.columns[1]!.meta_data!.type === "INT96" && md96.row_groups[0]!.columns[1]!.meta_data!.statistics === undefined);
    const back: Record<string, unknown>[] = [];
    await runOk((root) => collect(root.apply(ReadFromParquet.from(int96)), back));
    assert.deepEqual(back.map(json).sort(), RECORDS.map((r) => json({ ...r, favorite_number: new Date(r.favorite_number < 0 ? -1 : 0) })).sort());
  });

  it("test_int96_type_conversion: an INT96 timestamp column (pyarrow's use_deprecated_int96_timestamps) reads as Dates, in batches of 20; WriteToParquet writes the same bytes", async () => {
    // Record i at i days plus 123.456789 ms after the epoch, minus 3 days (so some fall before 1970).
    const nanos = (i: number): bigint => BigInt(i - 3) * 86_400_000_000_000n + 123_456_789n;
    const file = writeInt96Data(path.join(tmp, "int96"), 120, 20, nanos);
    const md = await footer(file);
    assert.equal(md.schema[2]!.type, "INT96");
    assert.ok(md.row_groups.every((g) => g.columns[1]!.meta_data!.type === "INT96"));
    const got: ParquetBatchJson[] = [];
    await runOk((root) => collect(root.apply(ReadFromParquetBatched.from(file, { desiredBundleSizeBytes: 500 })).map((b) => JSON.parse(json(b)) as ParquetBatchJson), got));
    got.sort((a, b) => String(a.columns.favorite_number![0]).localeCompare(String(b.columns.favorite_number![0])));
    const expected = Array.from({ length: 6 }, (_, g) => ({
      numRows: 20,
      columns: {
        name: records(120).slice(g * 20, g * 20 + 20).map((r) => r.name),
        favorite_number: Array.from({ length: 20 }, (_, k) => new Date((g * 20 + k - 3) * 86_400_000 + 123).toISOString()),
        favorite_color: records(120).slice(g * 20, g * 20 + 20).map((r) => r.favorite_color),
      },
    }));
    assert.deepStrictEqual(got, expected);
    // WriteToParquet's INT96 column holds the bytes the hand-made file holds, Dates and microseconds alike.
    const ours = path.join(tmp, "int96_ours");
    const floorMillis = (n: bigint): number => Number((n - (((n % 1_000_000n) + 1_000_000n) % 1_000_000n)) / 1_000_000n);
    const rows = records(120).map((r, i) => ({ ...r, favorite_number: i % 2 ? nanos(i) : new Date(floorMillis(nanos(i))) }));
    await runOk((root) => root.apply(Create.from<unknown>(rows)).apply(WriteToParquet.to<unknown>(ours, { schema: SCHEMA96, numShards: 1, shardNameTemplate: "", rowGroupSize: 20, useDeprecatedInt96Timestamps: true })));
    const again: ParquetBatchJson[] = [];
    await runOk((root) => collect(root.apply(ReadFromParquetBatched.from(ours)).map((b) => JSON.parse(json(b)) as ParquetBatchJson), again));
    again.sort((a, b) => String(a.columns.favorite_number![0]).localeCompare(String(b.columns.favorite_number![0])));
    assert.deepStrictEqual(again, expected);
  });

  it("empty files and empty input: an empty row group is an empty batch; an empty WriteToParquetBatched input writes the schema; a malformed batch fails naming why", async () => {
    const empty = path.join(PARQUET_FIXTURES, "empty.parquet");
    // pyarrow's empty file has one row group of no rows: one empty batch, as Python's read_row_group gives an empty Table.
    assert.equal((await footer(empty)).row_groups.length, 1);
    const got: ParquetBatch[] = [];
    await runOk((root) => collect(root.apply(ReadFromParquetBatched.from(empty)), got));
    assert.equal(got.length, 1);
    assert.ok(got[0]!.numRows === 0 && Object.values(got[0]!.columns).every((c) => c.length === 0) && "name" in got[0]!.columns);
    const out = path.join(tmp, "none");
    await runOk((root) => root.apply(Create.from<ParquetBatch<{ name: string; favorite_number: number; favorite_color: string | null }>>([])).apply(WriteToParquetBatched.to(out, { schema: SCHEMA, shardNameTemplate: "" })));
    const md = await footer(out);
    assert.deepEqual([md.row_groups.length, Number(md.num_rows), md.schema.map((e) => e.name)], [0, 0, ["schema", "name", "favorite_number", "favorite_color"]]);
    const bad = [
      [{ numRows: 2, columns: { name: ["a"], favorite_number: [1, 2], favorite_color: [null, null] } }, /column 'name' has 1 values, but numRows is 2/],
      [{ numRows: 1, columns: { name: ["a"], favorite_number: [1] } }, /a batch has no column 'favorite_color'/],
      [{ numRows: 1, columns: { name: ["a"], favorite_number: ["1"], favorite_color: [null] } }, /row 0 of a batch does not match the Parquet schema: favorite_number is "1", but the column is int64/],
    ] as const;
    for (const [batch, message] of bad) {
      const res = await runDirect((root) => root.apply(Create.of<unknown>(batch)).apply(WriteToParquetBatched.to<never>(path.join(tmp, "bad", "x"), { schema: SCHEMA }) as never));
      assert.equal(res.state, "FAILED");
      assert.match(res.error!.message, message);
    }
  });

  it("display data cases: the transforms keep the pattern, schema, codec and sizes they were given", () => {
    const read = ReadFromParquet.from("some_parquet_source", { validate: false });
    assert.deepEqual(read.patterns, ["some_parquet_source"]);
    assert.deepEqual(ReadFromParquetBatched.from("some_parquet_source", { validate: false }).patterns, ["some_parquet_source"]);
    const write = WriteToParquet.to("some_parquet_sink", { schema: SCHEMA, suffix: ".end" });
    assert.equal(write.prefix, "some_parquet_sink");
    assert.deepEqual(write.options, { schema: SCHEMA, suffix: ".end" });
  });
});

interface ParquetBatchJson {
  numRows: number;
  columns: Record<string, unknown[]>;
}
