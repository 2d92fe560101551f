/**
 * Parquet logical types written by WriteToParquet and read back: each column's footer has the
 * physical type and annotation pyarrow writes for the type (checked with hyparquet's reading of
 * the footer), the values read back are the values written (decimals exact, as strings; dates and
 * timestamps as Dates; times and unsigned integers as numbers or bigints), and values that do not
 * fit fail the write with the column and the reason. Also the LZ4 block compressor, against
 * hyparquet-compressors' decoder.
 */
import { strict as assert } from "node:assert";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { Create, type PCollection, ReadFromParquet, ReadFromParquetBatched, WriteToParquet } from "../../lib";
import { fileBuffer, hyparquet, readCompressors } from "../../lib/io/parquet/library";
import { lz4CompressBlock } from "../../lib/io/parquet/lz4";
import { decimalBytes, decimalString, unscaledDecimal } from "../../lib/io/parquet/primitives";
import { runDirect, runOk } from "../helpers";
import { type Logical, LOGICAL_ROWS, LOGICAL_SCHEMA } from "./parquet_fixtures";

const footer = (file: string) => hyparquet().parquetMetadataAsync(fileBuffer(file, fs.statSync(file).size));

function collect<T>(pcoll: PCollection<T>, into: T[]): void {
  pcoll.map(`Collect${pcoll.tag}`, (x: T) => {
    into.push(x);
    return x;
  });
}

describe("io/parquet: logical types written as pyarrow writes them, read back exactly", function () {
  this.timeout(60_000);
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), "beamline-parquet-logical-"));
  after(() => fs.rmSync(tmp, { recursive: true, force: true }));
  const file = path.join(tmp, "logical.parquet");

  before(async () => {
    await runOk((root) => root.apply(Create.from(LOGICAL_ROWS)).apply(WriteToParquet.to(file, { schema: LOGICAL_SCHEMA, shardNameTemplate: "", codec: "snappy" })));
  });

  it("the footer has pyarrow's physical types and annotations", async () => {
    const md = await footer(file);
    const el = Object.fromEntries(md.schema.slice(1).map((e) => [e.name, e]));
    const pick = (name: string) => {
      const e = el[name]!;
      return { type: e.type, length: e.type_length, converted: e.converted_type, logical: e.logical_type, scale: e.scale, precision: e.precision };
    };
    assert.deepEqual(pick("price"), { type: "FIXED_LEN_BYTE_ARRAY", length: 5, converted: "DECIMAL", logical: { type: "DECIMAL", scale: 2, precision: 10 }, scale: 2, precision: 10 });
    assert.deepEqual(pick("wide"), { type: "FIXED_LEN_BYTE_ARRAY", length: 16, converted: "DECIMAL", logical: { type: "DECIMAL", scale: 6, precision: 38 }, scale: 6, precision: 38 });
    assert.equal(pick("whole").length, 3);
    assert.deepEqual(pick("day"), { type: "INT32", length: undefined, converted: "DATE", logical: { type: "DATE" }, scale: undefined, precision: undefined });
    assert.deepEqual(pick("ns").logical, { type: "TIMESTAMP", isAdjustedToUTC: true, unit: "NANOS" });
    assert.equal(pick("ns").converted, undefined);
    assert.deepEqual([pick("us").converted, pick("us").logical], ["TIMESTAMP_MICROS", { type: "TIMESTAMP", isAdjustedToUTC: true, unit: "MICROS" }]);
    assert.deepEqual([pick("t32").type, pick("t32").converted, pick("t32").logical], ["INT32", "TIME_MILLIS", { type: "TIME", isAdjustedToUTC: true, unit: "MILLIS" }]);
    assert.deepEqual([pick("t64").type, pick("t64").converted, pick("t64").logical], ["INT64", "TIME_MICROS", { type: "TIME", isAdjustedToUTC: true, unit: "MICROS" }]);
    assert.deepEqual([pick("i8").type, pick("i8").converted, pick("i8").logical], ["INT32", "INT_8", { type: "INTEGER", bitWidth: 8, isSigned: true }]);
    assert.deepEqual([pick("u32").type, pick("u32").converted, pick("u32").logical], ["INT32", "UINT_32", { type: "INTEGER", bitWidth: 32, isSigned: false }]);
    assert.deepEqual([pick("u64").type, pick("u64").converted, pick("u64").logical], ["INT64", "UINT_64", { type: "INTEGER", bitWidth: 64, isSigned: false }]);
    assert.deepEqual([pick("uuid").type, pick("uuid").length, pick("uuid").logical], ["FIXED_LEN_BYTE_ARRAY", 4, undefined]);
    assert.deepEqual(md.schema.map((e) => e.name).slice(-3), ["prices", "list", "element"]);
  });

  it("every value reads back as written (decimals as exact strings; int64-backed values as bigints)", async () => {
    const got: Logical[] = [];
    await runOk((root) => collect(root.apply(ReadFromParquet.from<Logical>(file, { int64: "bigint" })), got));
    assert.deepStrictEqual(
      got.sort((a, b) => a.i8 - b.i8),
      LOGICAL_ROWS.map((r) => ({ ...r, uuid: r.uuid })),
    );
    // As numbers: time64 and uint64 follow the int64 option; uint64 beyond 2^53 fails the read with the way out.
    const res = await runDirect((root) => collect(root.apply(ReadFromParquet.from(file)), []));
    assert.equal(res.state, "FAILED");
    assert.match(res.error!.message, /holds 18446744073709551615, beyond the integers a JS number holds exactly.*int64: "bigint"/s);
    const batches: unknown[] = [];
    await runOk((root) => collect(root.apply(ReadFromParquetBatched.from(file, { columns: ["price", "day"] })), batches));
    assert.deepStrictEqual(batches, [{ numRows: 2, columns: { price: ["12.30", "-0.05"], day: [new Date("2024-02-29"), new Date("1969-12-31")] } }]);
  });

  it("values that do not fit fail the write, naming the column and why", async () => {
    const cases: [Record<string, unknown>, RegExp][] = [
      [{ price: "1.234" }, /price is "1.234", but the column is decimal128\(10, 2\) \(at most 2 digits after the point/],
      [{ price: "123456789.1" }, /price is "123456789.1".*at most 10 digits in all/],
      [{ price: 1.5 }, /price is 1.5.*a decimal string such as "12.30"/],
      [{ price: "1e5" }, /a decimal string such as "-12.34"/],
      [{ day: new Date("2024-01-01T12:00:00Z") }, /day is Date\(2024-01-01T12:00:00.000Z\), but the column is date32 \(a Date at midnight UTC/],
      [{ u8: 256 }, /u8 is 256, but the column is uint8/],
      [{ u64: -1n }, /u64 is -1n, but the column is uint64 \(within 0..2\^64-1\)/],
      [{ t32: 86_400_000 }, /t32 is 86400000, but the column is time32\[ms\]/],
      [{ uuid: new Uint8Array(5) }, /uuid is Uint8Array\(5\), but the column is fixed_size_binary\[4\] \(a Uint8Array of exactly 4 bytes\)/],
      [{ ns: "2024-01-01" }, /ns is "2024-01-01", but the column is timestamp\[ns\] \(a Date, or an integer count of ns since the epoch\)/],
    ];
    for (const [change, message] of cases) {
      const prefix = path.join(tmp, "bad", "out");
      const res = await runDirect((root) => root.apply("Rows", Create.from<unknown>([{ ...LOGICAL_ROWS[0], ...change }])).apply("WriteBad", WriteToParquet.to<unknown>(prefix, { schema: LOGICAL_SCHEMA })));
      assert.equal(res.state, "FAILED", JSON.stringify(Object.keys(change)));
      assert.match(res.error!.message, message);
    }
    assert.throws(() => WriteToParquet.to("out/x", { schema: { d: "decimal128(39, 2)" as "decimal128(10, 2)" } }), /column d: a decimal128 precision is 1..38, got 39/);
    assert.throws(() => WriteToParquet.to("out/x", { schema: { d: "decimal128(3, 4)" } }), /column d: a decimal128 scale is at most its precision \(3\), got 4/);
    assert.throws(() => WriteToParquet.to("out/x", { schema: { d: "decimal(3, 4)" as "int8" } }), /unknown type 'decimal\(3, 4\)'.*decimal128\(p, s\), fixed_size_binary\[n\]/);
  });

  it("decimals stored as INT32 and INT64 (pyarrow's store_decimal_as_integer, Spark's small decimals) read as exact strings too", async () => {
    const { parquetWriteBuffer } = require("hyparquet-writer") as typeof import("hyparquet-writer");
    const small = path.join(tmp, "int-decimals.parquet");
    fs.writeFileSync(
      small,
      new Uint8Array(
        parquetWriteBuffer({
          schema: [
            { name: "schema", num_children: 2 },
            { name: "d32", type: "INT32", converted_type: "DECIMAL", scale: 2, precision: 9, logical_type: { type: "DECIMAL", scale: 2, precision: 9 }, repetition_type: "OPTIONAL" },
            { name: "d64", type: "INT64", converted_type: "DECIMAL", scale: 4, precision: 18, logical_type: { type: "DECIMAL", scale: 4, precision: 18 }, repetition_type: "REQUIRED" },
          ],
          columnData: [
            { name: "d32", data: [1234n, -5n, null] },
            { name: "d64", data: [123456789012345678n, 1n, 0n] },
          ],
        }),
      ),
    );
    const got: Record<string, unknown>[] = [];
    await runOk((root) => collect(root.apply(ReadFromParquet.from(small)), got));
    assert.deepStrictEqual(
      got.sort((a, b) => String(a.d64).localeCompare(String(b.d64))),
      [
        { d32: null, d64: "0.0000" },
        { d32: "-0.05", d64: "0.0001" },
        { d32: "12.34", d64: "12345678901234.5678" },
      ],
    );
  });

  it("decimal helpers: pyarrow's byte widths, exact strings both ways", () => {
    // pyarrow's decimal128 FIXED_LEN_BYTE_ARRAY widths by precision.
    assert.deepEqual([1, 2, 3, 4, 5, 9, 10, 18, 19, 38].map(decimalBytes), [1, 1, 2, 2, 3, 4, 5, 8, 9, 16]);
    assert.equal(unscaledDecimal("-0.5", 4, 1), -5n);
    assert.equal(unscaledDecimal(".5", 4, 2), 50n);
    assert.equal(unscaledDecimal("1.230", 4, 2), 123n);
    assert.equal(unscaledDecimal("007", 1, 0), 7n);
    assert.deepEqual([decimalString(-5n, 1), decimalString(5n, 3), decimalString(0n, 2), decimalString(-123n, 0)], ["-0.5", "0.005", "0.00", "-123"]);
  });

  it("LZ4 blocks decode with hyparquet-compressors' LZ4_RAW (repetitive, random and short input)", () => {
    const decode = readCompressors().LZ4_RAW!;
    let seed = 7;
    const rand = (): number => ((seed = (Math.imul(seed, 1103515245) + 12345) >>> 0) >>> 16) & 0xff;
    // Not the empty input: its block is the one token 0x00 (as liblz4 writes it), which
    // hyparquet-compressors cannot decode; no page is empty (no empty row group is written).
    assert.deepEqual([...lz4CompressBlock(new Uint8Array(0))], [0]);
    const inputs = [
      new Uint8Array([1, 2, 3]),
      new TextEncoder().encode("abcabcabcabcabcabcabcabcabc"),
      new TextEncoder().encode("Thomas,1,blue;".repeat(5000)),
      Uint8Array.from({ length: 100_000 }, rand),
      Uint8Array.from({ length: 70_000 }, (_, i) => (i % 70_001 < 66_000 ? 0 : rand())),
    ];
    for (const input of inputs) {
      const block = lz4CompressBlock(input);
      assert.deepEqual(Buffer.from(decode(block, input.length)), Buffer.from(input), `${input.length} bytes`);
    }
    assert.ok(lz4CompressBlock(inputs[2]!).length < inputs[2]!.length / 20, "repetitive input compresses");
  });
});
