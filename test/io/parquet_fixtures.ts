/**
 * The Parquet golden files (test/fixtures/parquet, written by pyarrow with make_golden.py): their
 * schema in Beamline's terms and their rows as ReadFromParquet gives them with `int64: "bigint"`.
 */
import * as path from "node:path";
import type { ParquetRow } from "../../lib";

export const PARQUET_FIXTURES = path.join(__dirname, "..", "..", "..", "test", "fixtures", "parquet");
export const PYARROW_VERSION = (require(path.join(PARQUET_FIXTURES, "info.json")) as { pyarrow: string }).pyarrow;
/** The golden files' codecs (pyarrow's names). */
export const GOLDEN_CODECS = ["none", "snappy", "gzip", "brotli", "zstd"] as const;

/** make_golden.py's SCHEMA: id and name REQUIRED, the rest nullable (pyarrow's default). */
export const USER_SCHEMA = {
  id: "int64",
  name: "string",
  age: { type: "int32", nullable: true },
  score: { type: "double", nullable: true },
  ratio: { type: "float", nullable: true },
  active: { type: "bool", nullable: true },
  big: { type: "int64", nullable: true },
  payload: { type: "binary", nullable: true },
  joined: { type: "timestamp[ms]", nullable: true },
  seen: { type: "timestamp[us]", nullable: true },
  tags: { list: { type: "string", nullable: true }, nullable: true },
  address: { struct: { city: { type: "string", nullable: true }, zip: { type: "int32", nullable: true } }, nullable: true },
} as const;

/** A row of USER_SCHEMA, int64s as bigints. */
export type User = ParquetRow<typeof USER_SCHEMA, bigint>;

const bytes = (...b: number[]): Uint8Array => new Uint8Array(b);

/** make_golden.py's USERS. */
export const USERS: User[] = [
  { id: 1n, name: "Ada", age: 36, score: 91.25, ratio: 0.5, active: true, big: 2n ** 60n + 1n, payload: bytes(0, 1, 255), joined: new Date("2024-01-02T03:04:05.678Z"), seen: new Date("2024-05-06T00:00:00Z"), tags: ["math", "engines"], address: { city: "London", zip: null } },
  { id: 2n, name: "Grace", age: null, score: -0.5, ratio: 1.5, active: false, big: null, payload: bytes(), joined: new Date(0), seen: null, tags: [], address: null },
  { id: 3n, name: "Ünïcødé ✓", age: 2 ** 31 - 1, score: null, ratio: null, active: null, big: -(2n ** 63n), payload: null, joined: null, seen: new Date("1969-12-31T23:59:59.999Z"), tags: null, address: { city: null, zip: 12345 } },
  { id: 4n, name: "", age: -(2 ** 31), score: 1e300, ratio: -2, active: true, big: 0n, payload: bytes(97, 98, 99), joined: new Date("2099-12-31T23:59:59.001Z"), seen: null, tags: ["x", null], address: { city: "Paris", zip: 75001 } },
  { id: 5n, name: "Linus", age: 0, score: 0, ratio: 0, active: false, big: 9007199254740993n, payload: bytes(127), joined: null, seen: null, tags: ["a"], address: null },
];

/** Deeper nesting: a list of structs holding a list, a list of lists, a struct in a struct, nulls at each level. */
export const NESTED_SCHEMA = {
  id: "int32",
  items: { list: { struct: { sku: "string", qty: { type: "int64", nullable: true }, tags: { list: "string" } } }, nullable: true },
  grid: { list: { list: "double" } },
  deep: { struct: { inner: { struct: { v: { type: "bool", nullable: true } }, nullable: true } } },
} as const;

export const NESTED_ROWS: ParquetRow<typeof NESTED_SCHEMA>[] = [
  { id: 1, items: [{ sku: "a", qty: 2, tags: ["x"] }, { sku: "b", qty: null, tags: [] }], grid: [[1, 2], [], [3]], deep: { inner: { v: true } } },
  { id: 2, items: null, grid: [], deep: { inner: null } },
  { id: 3, items: [], grid: [[0.5]], deep: { inner: { v: null } } },
];

/** One column of each logical type WriteToParquet writes (pyarrow's names). */
export const LOGICAL_SCHEMA = {
  price: "decimal128(10, 2)",
  wide: { type: "decimal128(38, 6)", nullable: true },
  whole: "decimal128(5, 0)",
  day: "date32",
  ns: "timestamp[ns]",
  us: "timestamp[us]",
  t32: "time32[ms]",
  t64: "time64[us]",
  i8: "int8",
  i16: "int16",
  u8: "uint8",
  u16: "uint16",
  u32: "uint32",
  u64: "uint64",
  uuid: "fixed_size_binary[4]",
  prices: { list: "decimal128(4, 1)" },
} as const;

/** A row of LOGICAL_SCHEMA, int64-backed values as bigints. */
export type Logical = ParquetRow<typeof LOGICAL_SCHEMA, bigint>;

/** Rows of LOGICAL_SCHEMA at the edges of each type's range. */
export const LOGICAL_ROWS: Logical[] = [
  { price: "12.30", wide: "12345678901234567890123456789012.123456", whole: "-99999", day: new Date("2024-02-29"), ns: new Date("2024-01-02T03:04:05.678Z"), us: new Date(-1), t32: 86_399_999, t64: 3_600_000_000n, i8: -128, i16: 32767, u8: 255, u16: 65535, u32: 4_294_967_295, u64: 18_446_744_073_709_551_615n, uuid: new Uint8Array([1, 2, 3, 255]), prices: ["-0.5", "999.9"] },
  { price: "-0.05", wide: null, whole: "0", day: new Date("1969-12-31"), ns: new Date(0), us: new Date("2262-04-11T23:47:16.854Z"), t32: 0, t64: 0n, i8: 127, i16: -32768, u8: 0, u16: 0, u32: 0, u64: 0n, uuid: new Uint8Array(4), prices: [] },
];
