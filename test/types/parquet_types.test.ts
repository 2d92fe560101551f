/**
 * Type-level tests of Parquet IO, imported from the package's entry point: a schema given
 * `as const` types the rows a write takes (int64 as number or bigint, nullable columns as `| null`,
 * lists as arrays, structs as objects) and, through ParquetRow, the rows a read gives; `from<T>` /
 * `to<T>` type them as the caller says; wrong uses do not compile. This file fails to COMPILE when
 * that breaks; wrong uses sit in functions that never run.
 */
import { strict as assert } from "node:assert";
import { Create, FileIO, Pipeline, ReadAllFromParquet, ReadFromParquet, WriteToParquet, type KV, type ParquetRow, type PCollection, type ReadFromParquetOptions, type WriteToParquetOptions } from "../../lib";
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
    const r: ReadFromParquetOptions = { int64: "bigint", columns: ["a"] };
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
      // @ts-expect-error: a schema is required
      WriteToParquet.to("/out/x", {});
      // @ts-expect-error: not a column type
      WriteToParquet.to("/out/x", { schema: { a: "int128" } });
      // @ts-expect-error: zstd is read but not written
      WriteToParquet.to("/out/x", { schema: SCHEMA, codec: "zstd" });
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
});
