/**
 * Type-level tests of Avro IO, imported from the package's entry point: a schema given `as const`
 * types the records read (by the reader schema; longs as number or bigint) and the records a write
 * takes; `from<T>` / `to<T>` type them as the caller says; wrong uses do not compile. This file
 * fails to COMPILE when that breaks; wrong uses sit in functions that never run.
 */
import { strict as assert } from "node:assert";
import { Create, FileIO, Pipeline, ReadAllFromAvro, ReadFromAvro, WriteToAvro, type AvroValue, type KV, type PCollection, type ReadFromAvroOptions, type WriteToAvroOptions } from "../../lib";
import { expectType } from "./expect_type";

const SCHEMA = {
  type: "record",
  name: "User",
  fields: [
    { name: "id", type: "long" },
    { name: "name", type: "string" },
    { name: "email", type: ["null", "string"], default: null },
    { name: "tags", type: { type: "array", items: "string" } },
    { name: "scores", type: { type: "map", values: "double" } },
    { name: "color", type: { type: "enum", name: "Color", symbols: ["RED", "GREEN"] } },
    { name: "hash", type: { type: "fixed", name: "Hash", size: 4 } },
    { name: "address", type: ["null", { type: "record", name: "Address", fields: [{ name: "zip", type: "int" }] }] },
    { name: "either", type: ["null", "int", "double"] },
    { name: "long", type: ["null", "int", "long"] },
    { name: "day", type: { type: "int", logicalType: "date" } },
  ],
} as const;

interface User {
  id: number;
  name: string;
  email: string | null;
  tags: string[];
  scores: Record<string, number>;
  color: "RED" | "GREEN";
  hash: Buffer;
  address: { zip: number } | null;
  either: null | { [branch: string]: unknown };
  long: null | number;
  day: number;
}

describe("Avro IO (type-level)", () => {
  it("a const schema types the records; from<T> types them as the caller says", () => {
    const typed = null as unknown as AvroValue<typeof SCHEMA>;
    expectType(typed)<User>(true);
    expectType(null as unknown as AvroValue<typeof SCHEMA, bigint>["id"])<bigint>(true);
    expectType(null as unknown as AvroValue<string>)<unknown>(true);
    const p = Pipeline.create();
    expectType(p.apply("Typed", ReadFromAvro.from("/data/*.avro", { schema: SCHEMA })))<PCollection<User>>(true);
    expectType(p.apply("Big", ReadFromAvro.from("/data/*.avro", { schema: SCHEMA, longs: "bigint" })))<PCollection<AvroValue<typeof SCHEMA, bigint>>>(true);
    expectType(p.apply("Plain", ReadFromAvro.from("/data/*.avro")))<PCollection<Record<string, unknown>>>(true);
    expectType(p.apply("Said", ReadFromAvro.from<User>("/data/*.avro", { desiredBundleSizeBytes: 1 << 20, validate: false })))<PCollection<User>>(true);
    const patterns = p.apply("Patterns", Create.of("/a/*.avro"));
    expectType(patterns.apply("All", ReadAllFromAvro.create<User>()))<PCollection<User>>(true);
    expectType(patterns.apply("Named", ReadAllFromAvro.withFilename({ emptyMatchTreatment: "DISALLOW" })))<PCollection<KV<string, Record<string, unknown>>>>(true);
    const files = p.apply("Match", FileIO.match("/a/*")).apply("Readable", FileIO.readMatches());
    expectType(files.apply("FromFiles", ReadAllFromAvro.create()))<PCollection<Record<string, unknown>>>(true);

    const users = p.apply("Read", ReadFromAvro.from("/data/*.avro", { schema: SCHEMA }));
    expectType(users.apply("Write", WriteToAvro.to("/out/users", { schema: SCHEMA, codec: "deflate", suffix: ".avro", numShards: 2, shardNameTemplate: "-SS" })))<PCollection<string>>(true);
    expectType(users.apply("WriteUntyped", WriteToAvro.to("/out/u", { schema: JSON.stringify(SCHEMA) })))<PCollection<string>>(true);
    expectType(users.apply("WriteWindowed", WriteToAvro.to("/out/w", { schema: SCHEMA, windowedWrites: true, numShards: 1, shardNameTemplate: "-W-P-SS" })))<PCollection<string>>(true);
    const r: ReadFromAvroOptions = { longs: "bigint" };
    const w: WriteToAvroOptions = { schema: SCHEMA, codec: "null", syncInterval: 16000 };
    const z: WriteToAvroOptions = { schema: SCHEMA, codec: "zstandard" };
    assert.ok(z);
    assert.ok(r && w);

    const typeOnly = (): void => {
      const strings = p.apply("Strings", Create.of("a"));
      // @ts-expect-error: the records must have the const schema's type
      strings.apply("WrongRecords", WriteToAvro.to("/out/x", { schema: SCHEMA }));
      // @ts-expect-error: a schema is required
      WriteToAvro.to("/out/x", {});
      // @ts-expect-error: bzip2 is read, not written
      WriteToAvro.to("/out/x", { schema: SCHEMA, codec: "bzip2" });
      // @ts-expect-error: xz is read, not written
      WriteToAvro.to("/out/x", { schema: SCHEMA, codec: "xz" });
      // @ts-expect-error: windowedWrites is a boolean
      WriteToAvro.to("/out/x", { schema: SCHEMA, windowedWrites: "yes" });
      // @ts-expect-error: longs are number or bigint
      ReadFromAvro.from("/x", { longs: "string" });
      // @ts-expect-error: ReadAllFromAvro reads patterns, FileMetadata or ReadableFiles
      p.apply("Numbers", Create.of(1)).apply("NotPatterns", ReadAllFromAvro.create());
      // @ts-expect-error: a long read as a number is not a bigint
      const id: bigint = (null as unknown as AvroValue<typeof SCHEMA>).id;
      assert.ok(id);
    };
    assert.equal(typeof typeOnly, "function");
  });
});
