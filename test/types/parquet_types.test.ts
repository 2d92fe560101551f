/**
 * Type-level tests of Parquet IO, imported from the package's entry point: a schema given
 * `as const` types the rows a write takes (int64 as number or bigint, nullable columns as `| null`,
 * lists as arrays, structs as objects) and, through ParquetRow, the rows a read gives; `from<T>` /
 * `to<T>` type them as the caller says; wrong uses do not compile. This file fails to COMPILE when
 * that breaks; wrong uses sit in functions that never run.
 */
import { strict as assert } from "node:assert";
import { Create, FileIO, Pipeline, ReadAllFromParquet, ReadAllFromParquetBatched, ReadFromParquet, ReadFromParquetBatched, WriteToParquet, WriteToParquetBatched, parquetBatchOf, parquetBatchRows, type KV, type ParquetBatch, type ParquetRow, type PCollection, type ReadFromParquetOptions, type WriteToParquetOptions } from "../../lib";
import { expectType } from "./expect_type";

const SCHEMA = {
  id: "int64",
  name: "string",
  age: { type: "int32", nullable: true },
  score: "double",
  ratio: "float",
  ok: "bool",
  payload: "binary",
  at: "timestamp[ms]",
  seen: { type: "timestamp[us]", nullable: true },
  tags: { list: "string" },
  maybe: { list: { type: "int64", nullable: true }, nullable: true },
  address: { struct: { city: "string", zip: { type: "int32", nullable: true } }, nullable: true },
} as const;

interface User {
  id: number;
  name: string;
  age: number | null;
  score: number;
  ratio: number;
  ok: boolean;
  payload: Uint8Array;
  at: Date;
  seen: Date | null;
  tags: string[];
  maybe: (number | null)[] | null;
  address: { city: string; zip: number | null } | null;
}

describe("Parquet IO (type-level)", () => {
  it("a const schema types the rows; from<T> / to<T> type them as the caller says", () => {
    expectType(null as unknown as ParquetRow<typeof SCHEMA>)<User>(true);
    expectType(null as unknown as ParquetRow<typeof SCHEMA, bigint>["id"])<bigint>(true);
    expectType(null as unknown as ParquetRow<typeof SCHEMA, bigint>["maybe"])<(bigint | null)[] | null>(true);
    const p = Pipeline.create();
    expectType(p.apply("Plain", ReadFromParquet.from("/data/*.parquet")))<PCollection<Record<string, unknown>>>(true);
    expectType(p.apply("Said", ReadFromParquet.from<User>("/data/*.parquet", { columns: ["id", "name"], desiredBundleSizeBytes: 1 << 20, validate: false })))<PCollection<User>>(true);
    const patterns = p.apply("Patterns", Create.of("/a/*.parquet"));
    expectType(patterns.apply("All", ReadAllFromParquet.create<User>({ int64: "bigint" })))<PCollection<User>>(true);
    expectType(patterns.apply("Named", ReadAllFromParquet.withFilename({ emptyMatchTreatment: "DISALLOW" })))<PCollection<KV<string, Record<string, unknown>>>>(true);
    const files = p.apply("Match", FileIO.match("/a/*")).apply("Readable", FileIO.readMatches());
    expectType(files.apply("FromFiles", ReadAllFromParquet.create()))<PCollection<Record<string, unknown>>>(true);

    const users = p.apply("Read", ReadFromParquet.from<User>("/data/*.parquet"));
    expectType(users.apply("Write", WriteToParquet.to("/out/users", { schema: SCHEMA, codec: "snappy", rowGroupSize: 10_000, suffix: ".parquet", numShards: 2, shardNameTemplate: "-SS" })))<PCollection<string>>(true);
    const big = p.apply("Big", ReadFromParquet.from<ParquetRow<typeof SCHEMA, bigint>>("/data/*.parquet", { int64: "bigint" }));
    expectType(big.apply("WriteBig", WriteToParquet.to("/out/big", { schema: SCHEMA })))<PCollection<string>>(true);
    expectType(p.apply("Any", Create.of<unknown>(1)).apply("WriteSaid", WriteToParquet.to<unknown>("/out/u", { schema: SCHEMA })))<PCollection<string>>(true);
    const r: ReadFromParquetOptions = { int64: "bigint", columns: ["a"], asRows: true, minBundleSize: 0 };
    const typeOnlyRows = (): void => {
      const read = ReadFromParquet.from<{ a: bigint }>("/data/x.parquet", { asRows: true });
      expectType(read.beamSchema)<import("../../lib").Schema<object> | undefined>(true);
    };
    assert.equal(typeof typeOnlyRows, "function");
    const w: WriteToParquetOptions = { schema: SCHEMA, codec: "none" };
    assert.ok(r && w);

    const typeOnly = (): void => {
      const strings = p.apply("Strings", Create.of("a"));
      // @ts-expect-error: the rows must have the const schema's type
      strings.apply("WrongRows", WriteToParquet.to("/out/x", { schema: SCHEMA }));
      const noAge = p.apply("NoAge", Create.of({ id: 1, name: "a" }));
      // @ts-expect-error: every column must be given (null for a nullable one)
      noAge.apply("MissingColumns", WriteToParquet.to("/out/x", { schema: SCHEMA }));
      const nullName = p.apply("NullName", Create.of<{ id: number; name: string | null }>({ id: 1, name: null }));
      // @ts-expect-error: name is not nullable
      nullName.apply("NullInRequired", WriteToParquet.to("/out/x", { schema: { id: "int64", name: "string" } }));
      // @ts-expect-error: a schema, if given, is an object of column types
      WriteToParquet.to("/out/x", { schema: "id:int64" });
      // @ts-expect-error: not a column type
      WriteToParquet.to("/out/x", { schema: { a: "int128" } });
      // @ts-expect-error: lzo is no codec here (pyarrow has none either)
      WriteToParquet.to("/out/x", { schema: SCHEMA, codec: "lzo" });
      // @ts-expect-error: int64 is number or bigint
      ReadFromParquet.from("/x", { int64: "string" });
      // @ts-expect-error: ReadAllFromParquet reads patterns, FileMetadata or ReadableFiles
      p.apply("Numbers", Create.of(1)).apply("NotPatterns", ReadAllFromParquet.create());
      // @ts-expect-error: an int64 read as a number is not a bigint
      const id: bigint = (null as unknown as ParquetRow<typeof SCHEMA>).id;
      assert.ok(id);
    };
    assert.equal(typeof typeOnly, "function");
  });

  it("logical types (decimal128, date32, timestamps, times, unsigned, fixed binaries) type their values", () => {
    const LOGICAL = {
      price: "decimal128(10, 2)",
      tight: "decimal128(38,0)",
      day: "date32",
      ns: "timestamp[ns]",
      t32: "time32[ms]",
      t64: "time64[us]",
      u8: "uint8",
      u64: { type: "uint64", nullable: true },
      i8: "int8",
      uuid: "fixed_size_binary[16]",
    } as const;
    type L = ParquetRow<typeof LOGICAL>;
    expectType(null as unknown as L)<{ price: string; tight: string; day: Date; ns: Date; t32: number; t64: number; u8: number; u64: number | null; i8: number; uuid: Uint8Array }>(true);
    expectType(null as unknown as ParquetRow<typeof LOGICAL, bigint>["t64"])<bigint>(true);
    const typeOnly = (): void => {
      const p = Pipeline.create();
      const numeric = p.apply("Numeric", Create.of({ price: 1.5 }));
      // @ts-expect-error: a decimal is a decimal string, not a (rounded) number
      numeric.apply("DecimalAsNumber", WriteToParquet.to("/out/x", { schema: { price: "decimal128(10, 2)" } }));
      // @ts-expect-error: not a column type
      WriteToParquet.to("/out/x", { schema: { a: "decimal(10, 2)" } });
      // @ts-expect-error: useDeprecatedInt96Timestamps is a boolean
      WriteToParquet.to("/out/x", { schema: LOGICAL, useDeprecatedInt96Timestamps: "yes" });
    };
    assert.equal(typeof typeOnly, "function");
  });

  it("batched reads and writes: ParquetBatch columns typed by the row type", () => {
    const p = Pipeline.create();
    const batches = p.apply("Batches", ReadFromParquetBatched.from<User>("/data/*.parquet", { columns: ["id"], minBundleSize: 1 << 20 }));
    expectType(batches)<PCollection<ParquetBatch<User>>>(true);
    expectType(null as unknown as ParquetBatch<User>["columns"]["age"])<(number | null)[]>(true);
    expectType(parquetBatchRows({ numRows: 0, columns: {} } as ParquetBatch<User>))<User[]>(true);
    expectType(parquetBatchOf([{ a: 1 }]))<ParquetBatch<{ a: number }>>(true);
    const patterns = p.apply("Patterns", Create.of("/a/*.parquet"));
    expectType(patterns.apply("All", ReadAllFromParquetBatched.create()))<PCollection<ParquetBatch>>(true);
    expectType(patterns.apply("Named", ReadAllFromParquetBatched.withFilename<User>()))<PCollection<KV<string, ParquetBatch<User>>>>(true);
    const s = { id: "int64", name: "string" } as const;
    const rows = p.apply("Rows", Create.of<ParquetBatch<{ id: number; name: string }>>({ numRows: 0, columns: { id: [], name: [] } }));
    expectType(rows.apply("Write", WriteToParquetBatched.to("/out/b", { schema: s, codec: "lz4", rowGroupBufferSize: 1, recordBatchSize: 10, mimeType: "application/vnd.apache.parquet" })))<PCollection<string>>(true);
    const typeOnly = (): void => {
      // @ts-expect-error: batched writes need a schema (batches carry none)
      WriteToParquetBatched.to("/out/b", {});
      // @ts-expect-error: the batches must be of the schema's rows
      p.apply("Wrong", Create.of<ParquetBatch<{ id: string }>>({ numRows: 0, columns: { id: [] } })).apply("WrongBatches", WriteToParquetBatched.to("/out/b", { schema: s }));
    };
    assert.equal(typeof typeOnly, "function");
  });
});
