/**
 * Beam Python's parquetio_test.py pipelines as programs, for worker threads (--direct_num_workers
 * 1 and 2), and its fixtures: RECORDS, SCHEMA, RECORDS_NESTED / SCHEMA_NESTED, and `writeData`
 * (TestParquet._write_data, which writes with pyarrow's write_table; here with Beamline's file
 * encoder directly, no pipeline). Records are compared as JSON, as the Python test does ("json
 * used for stable sortability"), key order included; a batch is compared as the JSON of its
 * `{ numRows, columns }`, as the Python test compares pyarrow Tables. Run from
 * beam_py_parquetio.test.ts.
 */
import * as fs from "node:fs";
import * as path from "node:path";
import { assertThat, Create, definePipeline, equalTo, type KV, type ParquetBatch, ReadAllFromParquet, ReadAllFromParquetBatched, ReadFromParquet, ReadFromParquetBatched, WriteToParquet, WriteToParquetBatched, parquetBatchOf } from "../../lib";
import type { ParquetCodec } from "../../lib/io/parquet/library";
import type { ParquetSchema } from "../../lib/io/parquet/schema";
import { ParquetFileBuilder, type WriteToParquetOptions } from "../../lib/io/parquet/write";

/** parquetio_test.py's RECORDS (favorite_number an int64, favorite_color nullable). */
export const RECORDS = [
  { name: "Thomas", favorite_number: 1, favorite_color: "blue" },
  { name: "Henry", favorite_number: 3, favorite_color: "green" },
  { name: "Toby", favorite_number: 7, favorite_color: "brown" },
  { name: "Gordon", favorite_number: 4, favorite_color: "blue" },
  { name: "Emily", favorite_number: -1, favorite_color: "Red" },
  { name: "Percy", favorite_number: 6, favorite_color: "Green" },
  { name: "Peter", favorite_number: 3, favorite_color: null },
];
/** SCHEMA: pa.schema([('name', pa.string(), False), ('favorite_number', pa.int64(), False), ('favorite_color', pa.string())]). */
export const SCHEMA = { name: "string", favorite_number: "int64", favorite_color: { type: "string", nullable: true } } as const;
/** SCHEMA96, favorite_number a pa.timestamp('ns') (pyarrow takes RECORDS' integers as nanoseconds). */
export const SCHEMA96 = { name: "string", favorite_number: "timestamp[ns]", favorite_color: { type: "string", nullable: true } } as const;
/** RECORDS_NESTED and SCHEMA_NESTED: a nullable list of structs. */
export const RECORDS_NESTED = [{ items: [RECORDS[0]!, RECORDS[1]!] }, { items: [RECORDS[2]!] }];
export const SCHEMA_NESTED = { items: { list: { struct: SCHEMA, nullable: true }, nullable: true } } as const;

type Rec = (typeof RECORDS)[number];
export const json = (r: unknown): string => JSON.stringify(r);
/** The first `count` records, cycling through RECORDS (_records_as_arrow's data). */
export const records = (count = RECORDS.length): Rec[] => Array.from({ length: count }, (_, i) => RECORDS[i % RECORDS.length]!);
/** _records_as_arrow(count) as a batch, cut into batches of `chunk` rows (to_batches(max_chunksize)). */
export const recordBatches = (count = RECORDS.length, chunk = count): ParquetBatch<Rec>[] => {
  const all = records(count);
  const out: ParquetBatch<Rec>[] = [];
  for (let i = 0; i < count; i += chunk) out.push(parquetBatchOf(all.slice(i, i + chunk), ["name", "favorite_number", "favorite_color"]));
  return out;
};

/** TestParquet._write_data: `count` records in `file`, row groups of `rowGroupSize` rows, with `codec`. */
export function writeData(file: string, options: { count?: number; rowGroupSize?: number; codec?: ParquetCodec; schema?: ParquetSchema } = {}): string {
  const schema = options.schema ?? SCHEMA;
  const b = new ParquetFileBuilder({ prefix: file, suffix: "", schema, codec: options.codec ?? "none", rowGroupSize: options.rowGroupSize ?? 1000, rowGroupBufferSize: Number.MAX_SAFE_INTEGER, recordBatchSize: 1000, compliant: true, int96: false, mimeType: "application/x-parquet", sink: "writeData" });
  for (const r of records(options.count)) b.add({ ...r, favorite_number: BigInt(r.favorite_number) });
  fs.mkdirSync(path.dirname(file), { recursive: true });
  fs.writeFileSync(file, b.take(true));
  return file;
}

export const beamPyParquetProgram = definePipeline({
  name: "beam-py-parquetio",
  description: "parquetio_test.py pipelines",
  flags: {
    mode: { type: "string", describe: "read | readBatched | readAll | readAllBatched | readAllWithFilename | write | writeBatched | writeNested | readNested", required: true },
    patterns: { type: "string", describe: "JSON array of patterns (the path, for writes)", required: true },
    options: { type: "string", describe: "JSON of the read's or write's options", default: "{}" },
    expected: { type: "string", describe: "JSON array the records (as JSON) equal", default: "[]" },
  },
  build(root, flags) {
    const patterns = JSON.parse(flags.patterns) as string[];
    const options = JSON.parse(flags.options) as Record<string, unknown>;
    const write = { numShards: 1, shardNameTemplate: "", ...options } as WriteToParquetOptions;
    if (flags.mode === "write") {
      root.apply(Create.from(RECORDS)).apply(WriteToParquet.to(patterns[0]!, { schema: SCHEMA, ...write }));
      return;
    }
    if (flags.mode === "writeBatched") {
      root.apply(Create.from(recordBatches())).apply(WriteToParquetBatched.to(patterns[0]!, { schema: SCHEMA, ...write }));
      return;
    }
    if (flags.mode === "writeNested") {
      root.apply(Create.from(RECORDS_NESTED)).apply(WriteToParquet.to(patterns[0]!, { ...write, schema: SCHEMA_NESTED }));
      return;
    }
    const expected = JSON.parse(flags.expected) as string[];
    const out =
      flags.mode === "read" || flags.mode === "readNested"
        ? root.apply(ReadFromParquet.from(patterns, options)).map("Json", json)
        : flags.mode === "readBatched"
          ? root.apply(ReadFromParquetBatched.from(patterns, options)).map("Json", json)
          : flags.mode === "readAll"
            ? root.apply(Create.of(...patterns)).apply(ReadAllFromParquet.create(options)).map("Json", json)
            : flags.mode === "readAllBatched"
              ? root.apply(Create.of(...patterns)).apply(ReadAllFromParquetBatched.create(options)).map("Json", json)
              : root
                  .apply(Create.of(...patterns))
                  .apply(ReadAllFromParquet.withFilename(options))
                  .map("Json", (r: KV<string, Record<string, unknown>>) => `${r.key} ${json(r.value)}`);
    assertThat(out, equalTo(expected));
  },
});

/**
 * `_write_data(schema=SCHEMA96)` as pyarrow writes it with `use_deprecated_int96_timestamps=True`:
 * favorite_number an INT96 timestamp (8 bytes of nanoseconds in the day, then 4 of the Julian
 * day, little-endian). hyparquet-writer has no INT96, so the column is written as the same 12
 * bytes in a FIXED_LEN_BYTE_ARRAY(12) and its type is turned into INT96 in the footer: the Thrift
 * field `1: type` is one byte (FIXED_LEN_BYTE_ARRAY, 7, zigzag 14, becomes INT96, 3, zigzag 6), found where it is followed by
 * `type_length: 12` (the schema element) or by the encodings list (each column chunk's metadata).
 * Nanoseconds are `nanos(i)` for record i.
 */
export function writeInt96Data(file: string, count: number, rowGroupSize: number, nanos: (i: number) => bigint): string {
  const { parquetWriteBuffer } = require("hyparquet-writer") as typeof import("hyparquet-writer");
  const DAY = 86_400_000_000_000n;
  const int96 = (n: bigint): Uint8Array => {
    const day = (n >= 0n ? n / DAY : (n - DAY + 1n) / DAY) + 2_440_588n;
    const b = Buffer.alloc(12);
    b.writeBigUInt64LE(n - (day - 2_440_588n) * DAY, 0);
    b.writeUInt32LE(Number(day), 8);
    return new Uint8Array(b);
  };
  const rows = records(count);
  const bytes = new Uint8Array(
    parquetWriteBuffer({
      schema: [
        { name: "schema", num_children: 3 },
        { name: "name", type: "BYTE_ARRAY", converted_type: "UTF8", repetition_type: "REQUIRED" },
        { name: "favorite_number", type: "FIXED_LEN_BYTE_ARRAY", type_length: 12, repetition_type: "REQUIRED" },
        { name: "favorite_color", type: "BYTE_ARRAY", converted_type: "UTF8", repetition_type: "OPTIONAL" },
      ],
      columnData: [
        { name: "name", data: rows.map((r) => r.name) },
        { name: "favorite_number", data: rows.map((_, i) => int96(nanos(i))), encoding: "PLAIN" },
        { name: "favorite_color", data: rows.map((r) => r.favorite_color) },
      ],
      codec: "UNCOMPRESSED",
      statistics: false,
      rowGroupSize,
    }),
  );
  const footerLength = new DataView(bytes.buffer, bytes.byteOffset).getUint32(bytes.length - 8, true);
  const start = bytes.length - 8 - footerLength;
  let patched = 0;
  for (let i = start; i < bytes.length - 8 - 2; i++) {
    if (bytes[i] === 0x15 && bytes[i + 1] === 0x0e && ((bytes[i + 2] === 0x15 && bytes[i + 3] === 0x18) || bytes[i + 2] === 0x19)) {
      bytes[i + 1] = 0x06;
      patched++;
    }
  }
  const groups = Math.ceil(count / rowGroupSize);
  if (patched !== 1 + groups) throw new Error(`writeInt96Data: patched ${patched} type fields, expected ${1 + groups}`);
  fs.writeFileSync(file, bytes);
  return file;
}
