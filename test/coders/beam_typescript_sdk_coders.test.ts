/**
 * The Beam TypeScript SDK's coder tests (sdks/typescript/test: row_coder_test.ts,
 * js_coders_test.ts), ported. Its standard_coders_test.ts runs Beam's standard_coders.yaml,
 * whose vectors test/coders/standard.test.ts and row.test.ts already check (with the yaml's
 * sharded_key and nullable cases that SDK skipped).
 *
 * row_coder_test.ts round-trips rows of the schema `RowCoder.inferSchemaOfJSON` gives its
 * exemplar (every field nullable, numbers INT64, an array of nullable INT64, a nested row of
 * nullable INT64s), rows missing some fields. The same schema is written here with Schema.of;
 * the expected bytes are Beam Python 2.66's RowCoder's for that schema (Java's and Python's
 * beam:coder:row:v1), so the cases check the wire format as well as the round trip. As in that
 * SDK, a missing nullable field is null on the wire; it decodes as null (that SDK gives
 * undefined), so pipelines must give every field (the DirectRunner's strict checks refuse rows
 * that do not round-trip); INT64s are bigints here (numbers there: see docs/migration.md).
 *
 * js_coders_test.ts round-trips plain values through that SDK's own coders (BSON and its
 * GeneralObjectCoder, whose bytes are its own); Beamline's default coder for such values is
 * JsValueCoder, whose round trips of the same values are checked, with the two cases that SDK
 * could not do (undefined, and numbers beyond 2^53).
 */
import { strict as assert } from "node:assert";
import { decodeFromBytes, encodeToBytes } from "../../lib/coders/coder";
import { JsValueCoder } from "../../lib/coders/js_value";
import { RowCoder } from "../../lib/coders/row";
import { FieldType, Schema } from "../../lib/coders/schema";
import { assertCodes, toHex } from "./hex";

describe("Beam TypeScript SDK's row_coder_test.ts: encodes and decodes with RowCoder", () => {
  const n = FieldType.nullable;
  // What RowCoder.inferSchemaOfJSON({ str_field: "str", int_field: 4, repeated_field: [1, 2, 3], nested_field: { a: 1, b: 2 } }) gives.
  const Nested = Schema.of({ a: n(FieldType.INT64), b: n(FieldType.INT64) });
  const Inferred = Schema.of({
    str_field: n(FieldType.STRING),
    int_field: n(FieldType.INT64),
    repeated_field: n(FieldType.array(n(FieldType.INT64))),
    nested_field: n(FieldType.row(Nested)),
  });
  type Row = { str_field?: string | null; int_field?: bigint | null; repeated_field?: (bigint | null)[] | null; nested_field?: { a: bigint | null; b: bigint | null } | null };
  const coder = RowCoder.of(Inferred);
  const allNull = { str_field: null, int_field: null, repeated_field: null, nested_field: null };

  // [case, row, Beam Python's encoding]
  const cases: [string, Row, string][] = [
    ["full", { str_field: "Aaaaaaaaaaaaaa", int_field: 4n, repeated_field: [1n, 2n, 3n], nested_field: { a: 1n, b: 2n } }, "04 00 0e 41616161616161616161616161 61 04 00000003 0101 0102 0103 02 00 01 02"],
    ["empty", {}, "04 01 0f"],
    ["half", { str_field: "Bbbbbbbbbb", nested_field: { a: 123n, b: 321n } }, "04 01 06 0a 42626262626262626262 02 00 7b c102"],
    ["str_only", { str_field: "Abc" }, "04 01 0e 03 416263"],
    ["int_only", { int_field: 49n }, "04 01 0d 31"],
    ["repated_only", { repeated_field: [1n, 4n, 9n, 16n] }, "04 01 0b 00000004 0101 0104 0109 0110"],
    ["nested_only", { nested_field: { a: 100n, b: -100n } }, "04 01 07 02 00 64 9cffffffffffffffff01"],
  ];
  for (const [name, row, bytes] of cases) {
    it(`encodes and decodes ${name} (Beam Python's bytes; missing fields are null)`, () => {
      assertCodes(coder as RowCoder<Row>, row, bytes, "both", { ...allNull, ...row });
    });
  }

  it("a JavaScript number in an INT64 field is refused, naming the field (INT64 is a bigint here; Beam TS took numbers)", () => {
    assert.throws(() => encodeToBytes(coder as RowCoder<object>, { int_field: 49 }), /int_field must be a bigint/);
  });
});

describe("Beam TypeScript SDK's js_coders_test.ts: plain JavaScript values round-trip through the default coder", () => {
  const coder = new JsValueCoder<unknown>();
  const roundTrip = (value: unknown): unknown => decodeFromBytes(coder, encodeToBytes(coder, value, "nested"), "nested");

  it("an object of strings, numbers, a nested object, null, booleans, an array and a number beyond 2^53", () => {
    const input = { str: "astring", int: 1, float: 1.2345, obj: { any: "any" }, null: null, bool: true, array: [1, 2, 3], bigint: Number.MAX_SAFE_INTEGER + 100 };
    assert.deepStrictEqual(roundTrip(input), input);
  });

  it("a string, an integer, a float, true and false", () => {
    for (const v of ["abcde", 12345678, 0.12345678, true, false]) assert.deepStrictEqual(roundTrip(v), v);
  });

  it("the cases that SDK skipped: a number far beyond 2^53, undefined (alone and in an object), a bigint", () => {
    for (const v of [Number.MAX_SAFE_INTEGER + 123456789, undefined, { undef: undefined, x: 1 }, 2n ** 70n, -(2n ** 64n)]) assert.deepStrictEqual(roundTrip(v), v);
    // The outer context is the same format (self-delimiting), so a value's bytes do not depend on where it is.
    assert.equal(toHex(encodeToBytes(coder, { a: [1, "b"] }, "outer")), toHex(encodeToBytes(coder, { a: [1, "b"] }, "nested")));
  });
});
