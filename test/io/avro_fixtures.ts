/**
 * The records of test/fixtures/avro/ (written by Apache Avro's Python library, make_golden.py
 * there), as ReadFromAvro gives them: USERS (longs as numbers) and LONGS (longs as bigints).
 */
import * as fs from "node:fs";
import * as path from "node:path";

export const AVRO_FIXTURES = path.resolve(__dirname, "..", "..", "..", "test", "fixtures", "avro");

/** make_golden.py's USER_SCHEMA. */
export const USER_SCHEMA = {
  type: "record",
  name: "User",
  namespace: "beamline.test",
  fields: [
    { name: "id", type: "long" },
    { name: "name", type: "string" },
    { name: "email", type: ["null", "string"], default: null },
    { name: "tags", type: { type: "array", items: "string" } },
    { name: "scores", type: { type: "map", values: "double" } },
    { name: "color", type: { type: "enum", name: "Color", symbols: ["RED", "GREEN", "BLUE"] } },
    { name: "hash", type: { type: "fixed", name: "Hash", size: 4 } },
    { name: "payload", type: "bytes" },
    { name: "address", type: ["null", { type: "record", name: "Address", fields: [{ name: "street", type: "string" }, { name: "zip", type: "int" }] }] },
    { name: "ok", type: "boolean" },
    { name: "ratio", type: "float" },
  ],
} as const;

/** A record of USER_SCHEMA. */
export interface User {
  id: number;
  name: string;
  email: string | null;
  tags: string[];
  scores: Record<string, number>;
  color: "RED" | "GREEN" | "BLUE";
  hash: Buffer;
  payload: Buffer;
  address: { street: string; zip: number } | null;
  ok: boolean;
  ratio: number;
}

const MAX = Number.MAX_SAFE_INTEGER;
/** make_golden.py's USERS, in file order. */
export const USERS: User[] = [
  { id: 1, name: "Ada", email: "ada@example.com", tags: ["a", "b"], scores: { math: 1.5 }, color: "RED", hash: Buffer.from([0, 1, 2, 3]), payload: Buffer.alloc(0), address: { street: "Main St", zip: 12345 }, ok: true, ratio: 0.5 },
  { id: -2, name: "caf\u00e9 \u2603 \u{1F600}", email: null, tags: [], scores: {}, color: "GREEN", hash: Buffer.from([0xff, 0xfe, 0xfd, 0xfc]), payload: Buffer.from(Array.from({ length: 256 }, (_, i) => i)), address: null, ok: false, ratio: -2.25 },
  { id: MAX, name: "", email: "", tags: ["x"], scores: { a: -0, b: 1e300 }, color: "BLUE", hash: Buffer.from("abcd"), payload: Buffer.from([0]), address: { street: "", zip: -1 }, ok: true, ratio: 3 },
  { id: -MAX, name: "n4", email: null, tags: ["p", "q", "r"], scores: { z: 0.25 }, color: "RED", hash: Buffer.from([0x10, 0x20, 0x30, 0x40]), payload: Buffer.from("bytes"), address: null, ok: false, ratio: 0 },
  { id: 0, name: "n5", email: "e5", tags: ["only"], scores: { k: 2, l: 3.5 }, color: "GREEN", hash: Buffer.alloc(4), payload: Buffer.from([1, 2]), address: { street: "S", zip: 2147483647 }, ok: true, ratio: 1.25 },
];

/** make_golden.py's LONG_SCHEMA and LONGS (longs beyond 2^53: read with longs: "bigint"). */
export const LONG_SCHEMA = { type: "record", name: "Longs", fields: [{ name: "n", type: "long" }, { name: "m", type: ["null", "long"] }] } as const;
export const LONGS: { n: bigint; m: bigint | null }[] = [
  { n: 2n ** 53n, m: null },
  { n: -(2n ** 63n), m: 2n ** 63n - 1n },
  { n: 2n ** 62n + 1n, m: -(2n ** 53n) - 1n },
  { n: 7n, m: 0n },
];

export const AVRO_PYTHON_VERSION = (JSON.parse(fs.readFileSync(path.join(AVRO_FIXTURES, "info.json"), "utf8")) as { avro_version: string }).avro_version;
