/**
 * beam:coder:row:v1 against every row case of Beam's standard_coders.yaml (model/fn-execution,
 * StandardCoders.ROW): each coder is rebuilt from the yaml's Schema payload through the
 * registry, and each vector is checked both ways (encode gives exactly these bytes, unless the
 * yaml marks the case non_deterministic; the bytes decode to the value). Values are the yaml's,
 * in this SDK's representation (lib/coders/schema.ts): int64 as bigint, float32 as the float32
 * nearest the yaml's decimal, decimal as a decimal string, maps as Map, bytes as Uint8Array.
 */
import { strict as assert } from "node:assert";
import { CoderError, decodeFromBytes, encodeToBytes } from "../../lib/coders/coder";
import { coderFromSpec, coderToSpec } from "../../lib/coders/registry";
import { RowCoder } from "../../lib/coders/row";
import { FieldType, Schema } from "../../lib/coders/schema";
import { schemaFromProto, schemaToProto } from "../../lib/coders/schema_proto";
import { assertCodes, assertDecodes, hex, latin1, toHex } from "./hex";

const ROW = "beam:coder:row:v1";
const rowCoder = (payloadHex: string): RowCoder => {
  const coder = coderFromSpec({ urn: ROW, payload: hex(payloadHex) });
  assert.ok(coder instanceof RowCoder);
  // The proto form goes back out unchanged.
  assert.equal(toHex(coderToSpec(coder).payload!), toHex(hex(payloadHex)));
  return coder as RowCoder;
};
/** Non-deterministic cases: the bytes decode to the value, and the value survives its own encoding. */
function assertDecodesAndRoundTrips(coder: RowCoder, bytes: string, value: Record<string, unknown>): void {
  for (const context of ["nested", "outer"] as const) {
    assertDecodes(coder, bytes, value, context);
    assert.deepStrictEqual(decodeFromBytes(coder, encodeToBytes(coder, value, context), context), value);
  }
}

// The yaml's payloads, as hex.
const P_STR_I32_F64_ARR =
  "0a090a037374721a0210070a090a036933321a0210030a090a036636341a0210060a0d0a036172721a061a040a021007122434653565353534632d643463312d346135642d623565312d663332393361366239663035";
const P_NULLABLES =
  "0a0b0a037374721a04080110070a0b0a036933321a04080110030a0b0a036636341a0408011006122462323063363534352d353761662d346263382d623261392d353161636532316337333933";
const P_BOOL_BYTES = "0a0c0a06665f626f6f6c1a0210080a0f0a07665f62797465731a0408011009122465656131623734372d373537312d343364332d616166612d393235356166646365616662";
const P_MAP = "0a150a05665f6d61701a0c2a0a0a021007120408011004122464386338663936392d313465362d343537662d613862352d363261316165633766316364";
const P_POSITIONS =
  "0a0b0a037374721a02100728010a0e0a06665f626f6f6c1a02100828020a0b0a036933321a0408011003122433306561356132352d646364382d346364622d616265622d3533333264313561623462392001";
const P_MICROS =
  "0a7f0a0b665f74696d657374616d701a703a6e0a236265616d3a6c6f676963616c5f747970653a6d6963726f735f696e7374616e743a76311a4732450a430a0d0a077365636f6e64731a0210040a0c0a066d6963726f731a021004122434643366366538662d373431322d346164372d626664392d6234323461313636346165660a0e0a08665f737472696e671a0210070a0b0a05665f696e741a021004122433336461666433372d333937632d343038332d613834652d343231373764313232323231";
const P_MILLIS =
  "0a3a0a0b665f74696d657374616d701a2b3a290a236265616d3a6c6f676963616c5f747970653a6d696c6c69735f696e7374616e743a76311a0210040a0e0a08665f737472696e671a0210070a0b0a05665f696e741a021004122438306265373439612d353730302d346564652d383964382d646439613434333361336638";
const P_FLOAT = "0a0d0a07665f666c6f61741a021005122438633937623663352d363965352d343733332d393037622d323663643865646165363132";
const P_FLOAT_DECIMAL =
  "0a0d0a07665f666c6f61741a0210050a310a09665f646563696d616c1a243a220a1c6265616d3a6c6f676963616c5f747970653a646563696d616c3a76311a021009122438303063343461652d613162372d346465662d626266362d363231376363613839656334";
const P_CHARS_BYTES =
  "0a3d0a06665f636861721a3308013a2f0a1f6265616d3a6c6f676963616c5f747970653a66697865645f636861723a76311a021007220210032a040a0218050a420a09665f766172636861721a3108013a2d0a1d6265616d3a6c6f676963616c5f747970653a7661725f636861723a76311a021007220210032a040a02180a200128010a430a07665f62797465731a3408013a300a206265616d3a6c6f676963616c5f747970653a66697865645f62797465733a76311a021009220210032a040a021805200228020a440a0a665f76617262797465731a3208013a2e0a1e6265616d3a6c6f676963616c5f747970653a7661725f62797465733a76311a021009220210032a040a02180a20032803122466306666623361342d663436662d343163612d613934322d383565336539333934353261";

describe("beam:coder:row:v1: standard_coders.yaml vectors", () => {
  it("str: string, i32: int32, f64: float64, arr: array[string]", () => {
    const coder = rowCoder(P_STR_I32_F64_ARR);
    assertCodes(coder, { str: "foo", i32: 9001, f64: 0.1, arr: ["foo", "bar", "baz"] }, "04 00 03 66 6f 6f a9 46 3f b9 99 99 99 99 99 9a 00 00 00 03 03 66 6f 6f 03 62 61 72 03 62 61 7a");
  });

  it("nullable string, int32 and float64: the null bitmap", () => {
    const coder = rowCoder(P_NULLABLES);
    assertCodes(coder, { str: null, i32: null, f64: null }, "03 01 07");
    assertCodes(coder, { str: "foo", i32: 9001, f64: null }, "03 01 04 03 66 6f 6f a9 46");
    assertCodes(coder, { str: "foo", i32: 9001, f64: 0.1 }, "03 00 03 66 6f 6f a9 46 3f b9 99 99 99 99 99 9a");
  });

  it("f_bool: boolean, f_bytes: nullable bytes", () => {
    const coder = rowCoder(P_BOOL_BYTES);
    assertCodes(coder, { f_bool: true, f_bytes: null }, "02 01 02 01");
    assertCodes(coder, { f_bool: false, f_bytes: latin1("ab\0c") }, "02 00 00 04 61 62 00 63");
  });

  it("f_map: map<string, nullable int64> (non_deterministic: map order)", () => {
    const coder = rowCoder(P_MAP);
    assert.equal(coder.deterministic, false);
    assertDecodesAndRoundTrips(coder, "01 00 00 00 00 00", { f_map: new Map() });
    assertDecodesAndRoundTrips(coder, "01 00 00 00 00 02 03 66 6f 6f 01 a9 46 03 62 61 72 01 ff ff ff ff ff ff ff ff 7f", {
      f_map: new Map([
        ["foo", 9001n],
        ["bar", 9223372036854775807n],
      ]),
    });
    assertDecodesAndRoundTrips(coder, "01 00 00 00 00 04 0a 65 76 65 72 79 74 68 69 6e 67 00 02 69 73 00 05 6e 75 6c 6c 21 00 0d c2 af 5c 5f 28 e3 83 84 29 5f 2f c2 af 00", {
      f_map: new Map([
        ["everything", null],
        ["is", null],
        ["null!", null],
        ["¯\\_(ツ)_/¯", null],
      ]),
    });
  });

  it("encoding_positions_set: fields go on the wire in encoding-position order", () => {
    const coder = rowCoder(P_POSITIONS);
    assert.deepEqual(coder.schema.fieldNames, ["str", "f_bool", "i32"]);
    assert.deepEqual(coder.schema.encodingPositions, [1, 2, 0]);
    assertCodes(coder, { f_bool: false, i32: 21, str: "str2" }, "03 00 15 04 73 74 72 32 00");
  });

  it("f_timestamp: micros_instant (a bigint of epoch micros), f_string, f_int: int64", () => {
    const coder = rowCoder(P_MICROS);
    // The yaml's {seconds: 1597328054, micros: 123456}.
    assertCodes(
      coder,
      { f_timestamp: 1597328054123456n, f_string: "2020-08-13T14:14:14.123456Z", f_int: 1597328054123456n },
      "03 00 02 00 b6 95 d5 f9 05 c0 c4 07 1b 32 30 32 30 2d 30 38 2d 31 33 54 31 34 3a 31 34 3a 31 34 2e 31 32 33 34 35 36 5a c0 f7 85 da ae 98 eb 02",
    );
  });

  it("f_timestamp: millis_instant (a number of epoch millis: an 8-byte shifted timestamp)", () => {
    const coder = rowCoder(P_MILLIS);
    // The yaml writes the raw 8-byte word read as a signed int64 (-9223370439526721685); the
    // instant is that word with its sign bit flipped, as Java's InstantCoder reads it.
    assert.equal(-9223370439526721685n + (1n << 63n), 1597328054123n);
    assertCodes(
      coder,
      { f_timestamp: 1597328054123, f_string: "2020-08-13T14:14:14.123Z", f_int: 1597328054123n },
      "03 00 80 00 01 73 e8 2b d7 6b 18 32 30 32 30 2d 30 38 2d 31 33 54 31 34 3a 31 34 3a 31 34 2e 31 32 33 5a eb ae af c1 be 2e",
    );
  });

  it("f_float: float32", () => {
    const coder = rowCoder(P_FLOAT);
    assertCodes(coder, { f_float: 0 }, "01 00 00 00 00 00");
    assertCodes(coder, { f_float: 1 }, "01 00 3f 80 00 00");
    assertCodes(coder, { f_float: Math.fround(3.1415) }, "01 00 40 49 0e 56");
    // A double is rounded to the nearest float32 on the way out.
    assert.equal(toHex(encodeToBytes(coder, { f_float: 3.1415 })), "010040490e56");
  });

  it("f_float: float32, f_decimal: decimal (a decimal string)", () => {
    const coder = rowCoder(P_FLOAT_DECIMAL);
    assertCodes(coder, { f_float: 0, f_decimal: "0.0" }, "02 00 00 00 00 00 01 01 00");
    assertCodes(coder, { f_float: 1, f_decimal: "1.0" }, "02 00 3f 80 00 00 01 01 0a");
    assertCodes(coder, { f_float: Math.fround(3.1415), f_decimal: "3.1415" }, "02 00 40 49 0e 56 04 02 7a b7");
    assertCodes(coder, { f_float: Math.fround(-100.123), f_decimal: "-100.123" }, "02 00 c2 c8 3e fa 03 03 fe 78 e5");
  });

  it("fixed_char(5), var_char(5), fixed_bytes(5), var_bytes(5)", () => {
    const coder = rowCoder(P_CHARS_BYTES);
    assertCodes(coder, { f_char: "ABCDE", f_varchar: "ABCDE", f_bytes: latin1("ABCDE"), f_varbytes: latin1("ABCDE") }, "04 00 05 41 42 43 44 45 05 41 42 43 44 45 05 41 42 43 44 45 05 41 42 43 44 45");
    assertCodes(coder, { f_char: "A\n   ", f_varchar: "A\n", f_bytes: latin1("A\n\0\0\0"), f_varbytes: latin1("A\n") }, "04 00 05 41 0a 20 20 20 02 41 0a 05 41 0a 00 00 00 02 41 0a");
    assertCodes(coder, { f_char: "null?", f_varchar: null, f_bytes: null, f_varbytes: latin1("null") }, "04 01 06 05 6e 75 6c 6c 3f 04 6e 75 6c 6c");
  });
});

describe("beam:coder:row:v1: schemas and values", () => {
  it("Schema.of builds the schemas the yaml's payloads describe", () => {
    const built = Schema.of({ str: FieldType.STRING, i32: FieldType.INT32, f64: FieldType.DOUBLE, arr: FieldType.array(FieldType.STRING) });
    assert.deepStrictEqual(stripProto(schemaFromProto(hex(P_STR_I32_F64_ARR))), stripProto(schemaFromProto(schemaToProto(built))));
    const chars = Schema.of({
      f_char: FieldType.nullable(FieldType.fixedChar(5)),
      f_varchar: FieldType.nullable(FieldType.varChar(5)),
      f_bytes: FieldType.nullable(FieldType.fixedBytes(5)),
      f_varbytes: FieldType.nullable(FieldType.varBytes(5)),
    });
    // Same wire format as the yaml's coder (which also sets encoding positions 0..3).
    const bytes = "04 01 06 05 6e 75 6c 6c 3f 04 6e 75 6c 6c";
    assertCodes(RowCoder.of(chars), { f_char: "null?", f_varchar: null, f_bytes: null, f_varbytes: latin1("null") }, bytes);
  });

  it("a builder schema's payload is a Schema proto with a stable id, rebuilt by the registry", () => {
    const Person = Schema.of({ name: FieldType.STRING, age: FieldType.nullable(FieldType.INT32), tags: FieldType.map(FieldType.STRING, FieldType.INT64) });
    const coder = RowCoder.of(Person);
    const again = RowCoder.of(Schema.of({ name: FieldType.STRING, age: FieldType.nullable(FieldType.INT32), tags: FieldType.map(FieldType.STRING, FieldType.INT64) }));
    assert.equal(toHex(coder.payload), toHex(again.payload));
    const rebuilt = coderFromSpec(coderToSpec(coder));
    const row = { name: "ada", age: null, tags: new Map([["x", -1n]]) };
    assert.equal(toHex(encodeToBytes(rebuilt, row)), toHex(encodeToBytes(coder, row)));
    assert.deepStrictEqual(decodeFromBytes(rebuilt, encodeToBytes(coder, row)), row);
    assert.match(schemaFromProto(coder.payload).id ?? "", /^[0-9a-f]{8}-[0-9a-f]{4}-5[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
  });

  it("every atomic type, nested rows, iterables and nullable elements round-trip", () => {
    const Inner = Schema.of({ x: FieldType.INT16, y: FieldType.nullable(FieldType.BYTE) });
    const S = Schema.of({
      b: FieldType.BYTE,
      s: FieldType.INT16,
      i: FieldType.INT32,
      l: FieldType.INT64,
      f: FieldType.FLOAT,
      d: FieldType.DOUBLE,
      str: FieldType.STRING,
      bool: FieldType.BOOLEAN,
      bytes: FieldType.BYTES,
      inner: FieldType.row(Inner),
      many: FieldType.iterable(FieldType.nullable(FieldType.row(Inner))),
      when: FieldType.MILLIS_INSTANT,
      dec: FieldType.DECIMAL,
    });
    const coder = RowCoder.of(S);
    const row = {
      b: -128,
      s: -2,
      i: -1,
      l: -(1n << 63n),
      f: 0.5,
      d: -0.25,
      str: "光线",
      bool: true,
      bytes: latin1("\0\xff"),
      inner: { x: 32767, y: null },
      many: [{ x: -32768, y: 127 }, null],
      when: -1,
      dec: "-0.00128",
    };
    const bytes = encodeToBytes(coder, row);
    // int8 one byte, int16 two bytes big-endian, a negative int32 as its unsigned 32 bits (5 bytes, as Java's VarIntCoder).
    assert.equal(toHex(bytes.subarray(0, 10)), "0d0080fffeffffffff0f");
    assert.deepStrictEqual(decodeFromBytes(coder, bytes), row);
    assert.equal(coder.deterministic, false, "FLOAT and DOUBLE fields are not deterministic");
  });

  it("decimals keep their scale, negative scales included (Java's BigDecimalCoder)", () => {
    const coder = RowCoder.of(Schema.of({ d: FieldType.DECIMAL }));
    // scale 0, unscaled 1000: two's-complement bytes 03 e8.
    assertCodes(coder, { d: "1000" }, "01 00 00 02 03 e8");
    // 1E+3: scale -3 as an int32 varint (5 bytes), unscaled 1.
    assertCodes(coder, { d: "1E+3" }, "01 00 fd ff ff ff 0f 01 01");
    // A 10-byte varint scale (Python's DecimalCoder writes int64 varints) reads the same.
    assertDecodes(coder, "01 00 fd ff ff ff ff ff ff ff ff 01 01 01", { d: "1E+3" });
    // -128 takes one byte (0x80), 128 two (00 80).
    assertCodes(coder, { d: "-128" }, "01 00 00 01 80");
    assertCodes(coder, { d: "128" }, "01 00 00 02 00 80");
    assert.equal(decodeFromBytes(coder, encodeToBytes(coder, { d: "1.5e-3" })).d, "0.0015");
  });

  it("a row with fewer fields than the schema (an older writer) decodes with the rest null", () => {
    const coder = rowCoder(P_NULLABLES);
    assertDecodes(coder, "02 00 03 66 6f 6f a9 46", { str: "foo", i32: 9001, f64: null });
  });

  it("rejects values that do not fit the schema, naming the field", () => {
    const coder = RowCoder.of(Schema.of({ a: FieldType.INT32, b: FieldType.varChar(2), c: FieldType.INT64 }));
    const fails = (row: unknown, pattern: RegExp): void => {
      assert.throws(() => encodeToBytes(coder, row as never), (e: Error) => e instanceof CoderError && pattern.test(e.message), String(pattern));
    };
    fails({ a: null, b: "x", c: 1n }, /row\.a is null, but the field is not nullable/);
    fails({ a: 2 ** 31, b: "x", c: 1n }, /row\.a must be an integer from -2147483648 to 2147483647/);
    fails({ a: 1, b: "xyz", c: 1n }, /row\.b must be a string of at most 2 characters/);
    fails({ a: 1, b: "x", c: 1 }, /row\.c must be a bigint/);
    fails("not a row", /RowCoder can only encode row objects keyed by field name \(a, b, c\)/);
    assert.throws(() => coderFromSpec({ urn: ROW }), (e: Error) => e instanceof CoderError && /needs a payload/.test(e.message));
  });
});

function stripProto(s: Schema): unknown {
  const strip = (x: unknown): unknown => {
    if (x instanceof Schema) return { fields: x.fields.map((f) => ({ ...f, type: strip(f.type) })), encodingPositions: x.encodingPositions };
    if (x !== null && typeof x === "object" && !(x instanceof Uint8Array)) return Object.fromEntries(Object.entries(x).map(([k, v]) => [k, strip(v)]));
    return x;
  };
  return strip(s);
}
