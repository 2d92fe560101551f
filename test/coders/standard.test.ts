/**
 * Beam standard coders against the hex vectors of BEAM_PORTABILITY.md §4 and Beam's
 * standard_coders.yaml: every vector is checked both ways (encode gives exactly these bytes,
 * these bytes decode to the value).
 */
import { strict as assert } from "node:assert";
import { ByteReader, ByteWriter } from "../../lib/coders/byte_io";
import { Coder, CoderError, decodeFromBytes, encodeToBytes } from "../../lib/coders/coder";
import {
  BigIntVarIntCoder,
  BoolCoder,
  BytesCoder,
  DoubleCoder,
  GlobalWindowCoder,
  IntervalWindowCoder,
  IterableCoder,
  KVCoder,
  LengthPrefixCoder,
  NullableCoder,
  ParamWindowedValueCoder,
  ShardedKeyCoder,
  StringUtf8Coder,
  Timer,
  TimerCoder,
  VarIntCoder,
  WindowedValueCoder,
  readPane,
  readTimestamp,
  writePane,
  writeTimestamp,
} from "../../lib/coders/standard";
import { JsValueCoder } from "../../lib/coders/js_value";
import {
  BoundedWindow,
  GLOBAL_WINDOW_MAX_TIMESTAMP,
  GlobalWindow,
  IntervalWindow,
  MAX_TIMESTAMP,
  MIN_TIMESTAMP,
  NO_FIRING,
  ON_TIME_AND_ONLY_FIRING,
  PaneInfo,
  WindowedValue,
  inGlobalWindow,
} from "../../lib/model/window";
import { assertCodes, assertDecodes, hex, latin1, toHex } from "./hex";

const bytes = (s: string): Uint8Array => new Uint8Array(Buffer.from(s, "latin1"));
/** The yaml's 200-character string: "       10|       20|...      200|". */
const TWO_HUNDRED = Array.from({ length: 20 }, (_, i) => String((i + 1) * 10).padStart(9) + "|").join("");
const GLOBAL = GlobalWindowCoder.INSTANCE;
const IW = IntervalWindowCoder.INSTANCE;

function pane(isFirst: boolean, isLast: boolean, timing: PaneInfo["timing"], index: number, onTimeIndex: number): PaneInfo {
  return { isFirst, isLast, timing, index, onTimeIndex };
}

describe("standard coders: Beam wire-format vectors", () => {
  it("bytes (§4.1)", () => {
    assertCodes(BytesCoder.INSTANCE, bytes("abc"), "61 62 63", "outer");
    assertCodes(BytesCoder.INSTANCE, bytes("ab\0c"), "61 62 00 63", "outer");
    assertCodes(BytesCoder.INSTANCE, bytes("abc"), "03 61 62 63", "nested");
    assertCodes(BytesCoder.INSTANCE, bytes("ab\0c"), "04 61 62 00 63", "nested");
    assert.equal(TWO_HUNDRED.length, 200);
    assertCodes(BytesCoder.INSTANCE, bytes(TWO_HUNDRED), latin1("\u00c8\u0001" + TWO_HUNDRED), "nested");
    assertCodes(BytesCoder.INSTANCE, new Uint8Array(0), "00", "nested");
    assertCodes(BytesCoder.INSTANCE, new Uint8Array(0), "", "outer");
  });

  it("bytes accepts a Buffer and decodes to a plain Uint8Array copy", () => {
    assert.equal(toHex(encodeToBytes(BytesCoder.INSTANCE, Buffer.from("abc"), "nested")), "03616263");
    const input = hex("03 61 62 63");
    const decoded = decodeFromBytes(BytesCoder.INSTANCE, input, "nested");
    assert.equal(Object.getPrototypeOf(decoded), Uint8Array.prototype);
    input[1] = 0;
    assert.equal(decoded[0], 0x61, "decoded bytes must not alias the input");
  });

  it("string_utf8 (§4.2)", () => {
    const s = StringUtf8Coder.INSTANCE;
    assertCodes(s, "abc", "61 62 63", "outer");
    assertCodes(s, "ab\0c", "61 62 00 63", "outer");
    assertCodes(s, "\u00ff", "c3 bf", "outer");
    assertCodes(s, "光线", "e5 85 89 e7 ba bf", "outer");
    assertCodes(s, "abc", "03 61 62 63", "nested");
    assertCodes(s, "ab\0c", "04 61 62 00 63", "nested");
    assertCodes(s, "\u00ff", "02 c3 bf", "nested");
    assertCodes(s, "光线", "06 e5 85 89 e7 ba bf", "nested");
    assertCodes(s, TWO_HUNDRED, latin1("\u00c8\u0001" + TWO_HUNDRED), "nested");
    assertCodes(s, "", "", "outer");
    assertCodes(s, "", "00", "nested");
  });

  it("varint (§4.3), as numbers and as bigints", () => {
    const cases: [number, string][] = [
      [0, "00"],
      [1, "01"],
      [10, "0a"],
      [200, "c8 01"],
      [1000, "e8 07"],
      [9001, "a9 46"],
      [-1, "ff ff ff ff ff ff ff ff ff 01"],
    ];
    for (const [n, h] of cases) {
      assertCodes(VarIntCoder.INSTANCE, n, h);
      assertCodes(BigIntVarIntCoder.INSTANCE, BigInt(n), h);
    }
    assertCodes(BigIntVarIntCoder.INSTANCE, (1n << 63n) - 1n, "ff ff ff ff ff ff ff ff 7f");
    assertCodes(BigIntVarIntCoder.INSTANCE, -(1n << 63n), "80 80 80 80 80 80 80 80 80 01");
    assertCodes(VarIntCoder.INSTANCE, Number.MAX_SAFE_INTEGER, "ff ff ff ff ff ff ff 0f");
    assertCodes(VarIntCoder.INSTANCE, -Number.MAX_SAFE_INTEGER, "81 80 80 80 80 80 80 f0 ff 01");
  });

  it("bool (§4.4)", () => {
    assertCodes(BoolCoder.INSTANCE, false, "00");
    assertCodes(BoolCoder.INSTANCE, true, "01");
  });

  it("double (§4.5)", () => {
    const cases: [number, string][] = [
      [0, "00 00 00 00 00 00 00 00"],
      [-0, "80 00 00 00 00 00 00 00"],
      [0.1, "3f b9 99 99 99 99 99 9a"],
      [-0.1, "bf b9 99 99 99 99 99 9a"],
      [4.9e-324, "00 00 00 00 00 00 00 01"],
      [1.390671161567e-309, "00 01 00 00 00 00 00 00"],
      [1.7976931348623157e308, "7f ef ff ff ff ff ff ff"],
      [Infinity, "7f f0 00 00 00 00 00 00"],
      [-Infinity, "ff f0 00 00 00 00 00 00"],
      [NaN, "7f f8 00 00 00 00 00 00"],
    ];
    for (const [x, h] of cases) assertCodes(DoubleCoder.INSTANCE, x, h);
  });

  it("kv (§4.6): key nested, value in the KV's context", () => {
    const kvBytesVarint = new KVCoder(BytesCoder.INSTANCE, VarIntCoder.INSTANCE);
    assertCodes(kvBytesVarint, { key: bytes("abc"), value: 0 }, "03 61 62 63 00");
    assertCodes(kvBytesVarint, { key: bytes("ab\0c"), value: 10 }, "04 61 62 00 63 0a");
    const kvBytesBytes = new KVCoder(BytesCoder.INSTANCE, BytesCoder.INSTANCE);
    assertCodes(kvBytesBytes, { key: bytes("abc"), value: bytes("def") }, "03 61 62 63 64 65 66", "outer");
    assertCodes(kvBytesBytes, { key: bytes("ab\0c"), value: bytes("de\0f") }, "04 61 62 00 63 64 65 00 66", "outer");
    assertCodes(kvBytesBytes, { key: bytes("abc"), value: bytes("def") }, "03 61 62 63 03 64 65 66", "nested");
    assertCodes(kvBytesBytes, { key: bytes("ab\0c"), value: bytes("de\0f") }, "04 61 62 00 63 04 64 65 00 66", "nested");
    const kvBytesBool = new KVCoder(BytesCoder.INSTANCE, BoolCoder.INSTANCE);
    assertCodes(kvBytesBool, { key: bytes("abc"), value: true }, "03 61 62 63 01");
    assertCodes(kvBytesBool, { key: bytes("ab\0c"), value: false }, "04 61 62 00 63 00");
  });

  it("iterable (§4.7), known length", () => {
    const ints = new IterableCoder(VarIntCoder.INSTANCE);
    assertCodes(ints, [0], "00 00 00 01 00");
    assertCodes(ints, [1, 10, 200, 1000], "00 00 00 04 01 0a c8 01 e8 07");
    assertCodes(ints, [], "00 00 00 00");
    const bs = new IterableCoder(BytesCoder.INSTANCE);
    assertCodes(bs, [bytes("abc")], "00 00 00 01 03 61 62 63");
    assertCodes(bs, [bytes("ab\0c"), bytes("de\0f")], "00 00 00 02 04 61 62 00 63 04 64 65 00 66");
    const bools = new IterableCoder(BoolCoder.INSTANCE);
    assertCodes(bools, [true], "00 00 00 01 01");
    assertCodes(bools, [true, false], "00 00 00 02 01 00");
    assertCodes(new IterableCoder(GLOBAL), [GlobalWindow.INSTANCE], "00 00 00 01");
  });

  it("iterable (§4.7), unknown length: decoded, never encoded", () => {
    const bs = new IterableCoder(BytesCoder.INSTANCE);
    for (const context of ["nested", "outer"] as const) {
      assertDecodes(bs, "ff ff ff ff 00", [], context);
      assertDecodes(bs, "ff ff ff ff 01 03 61 62 63 00", [bytes("abc")], context);
      assertDecodes(bs, "ff ff ff ff 02 04 61 62 00 63 04 64 65 00 66 00", [bytes("ab\0c"), bytes("de\0f")], context);
      // Several blocks.
      assertDecodes(bs, "ff ff ff ff 01 01 61 02 01 62 01 63 00", [bytes("a"), bytes("b"), bytes("c")], context);
    }
  });

  it("iterable encodes any iterable (a Set) in the known-length form", () => {
    const ints = new IterableCoder(VarIntCoder.INSTANCE);
    assert.equal(toHex(encodeToBytes(ints, new Set([1, 10]) as unknown as number[])), "00000002010a");
  });

  it("iterable rejects a state-backed continuation and bad lengths clearly", () => {
    const bs = new IterableCoder(BytesCoder.INSTANCE);
    assert.throws(() => decodeFromBytes(bs, hex("ff ff ff ff 01 03 61 62 63 ff ff ff ff ff ff ff ff ff 01 03 54 4f 4b")), (e: Error) => e instanceof CoderError && /state.backed/.test(e.message));
    assert.throws(() => decodeFromBytes(bs, hex("ff ff ff fe")), (e: Error) => e instanceof CoderError && /negative length -2/.test(e.message));
  });

  it("length_prefix (§4.8) wraps any coder", () => {
    assertCodes(new LengthPrefixCoder(VarIntCoder.INSTANCE), 9001, "02 a9 46");
    assertCodes(new LengthPrefixCoder(StringUtf8Coder.INSTANCE), "hi", "02 68 69");
    assertCodes(new LengthPrefixCoder(BytesCoder.INSTANCE), bytes(TWO_HUNDRED), latin1("\u00c8\u0001" + TWO_HUNDRED));
    // An SDK-private coder.
    assertCodes(new LengthPrefixCoder(JsValueCoder.INSTANCE), { a: 1 }, "05 11 01 01 61 81");
    // Long content shifts past a multi-byte length.
    const long = "x".repeat(20000);
    const encoded = encodeToBytes(new LengthPrefixCoder(StringUtf8Coder.INSTANCE), long, "nested");
    assert.equal(toHex(encoded.subarray(0, 3)), "a09c01");
    assert.equal(encoded.length, 3 + 20000);
    assert.equal(decodeFromBytes(new LengthPrefixCoder(StringUtf8Coder.INSTANCE), encoded, "nested"), long);
  });

  it("length_prefix detects an inner coder that reads too little", () => {
    const lp = new LengthPrefixCoder(VarIntCoder.INSTANCE);
    assert.throws(() => decodeFromBytes(lp, hex("03 01 02 03")), (e: Error) => e instanceof CoderError && /read only 1/.test(e.message));
    assert.throws(() => decodeFromBytes(lp, hex("05 01 02")), (e: Error) => e instanceof CoderError && /Unexpected end/.test(e.message));
  });

  it("global_window (§4.9): zero bytes, decodes to GlobalWindow.INSTANCE", () => {
    assertCodes(GLOBAL, GlobalWindow.INSTANCE, "");
    assert.equal(decodeFromBytes(GLOBAL, new Uint8Array(0)), GlobalWindow.INSTANCE);
    assert.throws(() => encodeToBytes(GLOBAL, new IntervalWindow(0, 1) as unknown as GlobalWindow), CoderError);
  });

  it("interval_window (§4.10), including windows at the timestamp extremes", () => {
    assertCodes(IW, new IntervalWindow(1454293425000 - 3600000, 1454293425000), "80 00 01 52 9a a4 9b 68 80 dd db 01");
    assertCodes(IW, new IntervalWindow(1456881825000 - 2592000000, 1456881825000), "80 00 01 53 34 ec 74 e8 80 90 fb d3 09");
    assertCodes(IW, new IntervalWindow(MIN_TIMESTAMP, -9223372036854410), "7f df 3b 64 5a 1c ad 76 ed 02");
    assertCodes(IW, new IntervalWindow(MAX_TIMESTAMP, MAX_TIMESTAMP), "80 20 c4 9b a5 e3 53 f7 00");
    // The widest window: span 2 * 9223372036854775 does not fit a safe integer.
    const widest = new IntervalWindow(MIN_TIMESTAMP, MAX_TIMESTAMP);
    assertCodes(IW, widest, "80 20 c4 9b a5 e3 53 f7 ee cf 9a de f4 a6 e2 20");
    const w = decodeFromBytes(IW, hex("7f df 3b 64 5a 1c ad 76 ed 02"));
    assert.equal(w.start, MIN_TIMESTAMP);
    assert.throws(() => encodeToBytes(IW, new IntervalWindow(10, 5)), CoderError);
  });

  it("timestamps (§4.11 part 1): 8 bytes, sign bit flipped, sentinels exact", () => {
    const cases: [number, string][] = [
      [0, "80 00 00 00 00 00 00 00"],
      [-1, "7f ff ff ff ff ff ff ff"],
      [1, "80 00 00 00 00 00 00 01"],
      [MIN_TIMESTAMP, "7f df 3b 64 5a 1c ac 09"],
      [MAX_TIMESTAMP, "80 20 c4 9b a5 e3 53 f7"],
      [GLOBAL_WINDOW_MAX_TIMESTAMP, "80 20 c4 9b a0 bc f7 f7"],
      [1454293425000, "80 00 01 52 9a a4 9b 68"],
      [-400000, "7f ff ff ff ff f9 e5 80"],
      [Number.MAX_SAFE_INTEGER, "80 1f ff ff ff ff ff ff"],
      [-Number.MAX_SAFE_INTEGER, "7f e0 00 00 00 00 00 01"],
    ];
    for (const [ts, h] of cases) {
      const w = new ByteWriter();
      writeTimestamp(w, ts);
      assert.equal(toHex(w.finish()), toHex(hex(h)), `timestamp ${ts}`);
      assert.equal(readTimestamp(new ByteReader(hex(h))), ts);
    }
    assert.throws(() => writeTimestamp(new ByteWriter(), 1.5), (e: Error) => e instanceof CoderError && /not an integer/.test(e.message));
    assert.throws(() => writeTimestamp(new ByteWriter(), NaN), CoderError);
  });

  it("pane (§4.11 part 3): the four table rows", () => {
    const rows: [PaneInfo, string][] = [
      [NO_FIRING, "0f"],
      [ON_TIME_AND_ONLY_FIRING, "07"],
      [pane(false, true, "ON_TIME", 30, 40), "26 1e 28"],
      [pane(false, false, "LATE", 3, 2), "28 03 02"],
    ];
    for (const [p, h] of rows) {
      const w = new ByteWriter();
      writePane(w, p);
      assert.equal(toHex(w.finish()), toHex(hex(h)));
      assert.deepStrictEqual(readPane(new ByteReader(hex(h))), p);
    }
    assert.equal(readPane(new ByteReader(hex("0f"))), NO_FIRING);
    assert.equal(readPane(new ByteReader(hex("07"))), ON_TIME_AND_ONLY_FIRING);
  });

  it("pane: decodes encodings 0, 1 and 2, and encodes with the shortest", () => {
    // Encoding 0: header only; index = onTimeIndex = 0.
    assert.deepStrictEqual(readPane(new ByteReader(hex("09"))), pane(true, false, "LATE", 0, 0));
    // Encoding 1: one varint; onTimeIndex = index, or -1 for EARLY.
    assert.deepStrictEqual(readPane(new ByteReader(hex("16 05"))), pane(false, true, "ON_TIME", 5, 5));
    assert.deepStrictEqual(readPane(new ByteReader(hex("11 07"))), pane(true, false, "EARLY", 7, -1));
    // Encoding 2: two varints.
    assert.deepStrictEqual(readPane(new ByteReader(hex("2b 09 04"))), pane(true, true, "LATE", 9, 4));
    const enc = (p: PaneInfo): string => {
      const w = new ByteWriter();
      writePane(w, p);
      return toHex(w.finish());
    };
    assert.equal(enc(pane(false, false, "LATE", 4, 4)), "1804");
    assert.equal(enc(pane(false, false, "EARLY", 4, -1)), "1004");
    assert.equal(enc(pane(false, false, "EARLY", 0, -1)), "1000");
    assert.equal(enc(pane(true, true, "UNKNOWN", 0, 0)), "0f");
    assert.throws(() => readPane(new ByteReader(hex("3f"))), (e: Error) => e instanceof CoderError && /encoding 3/.test(e.message));
  });

  it("windowed_value (§4.11): both table rows and the yaml's two-window row", () => {
    const wvGlobal = new WindowedValueCoder(VarIntCoder.INSTANCE, GLOBAL);
    const v1: WindowedValue<number> = { value: 2, timestamp: 1454293425000, windows: [GlobalWindow.INSTANCE], pane: NO_FIRING };
    assertCodes(wvGlobal, v1, "80 00 01 52 9a a4 9b 68 │ 00 00 00 01 │ 0f │ 02");
    const wvInterval = new WindowedValueCoder(VarIntCoder.INSTANCE, IW);
    const v2: WindowedValue<number> = { value: 4, timestamp: -400000, windows: [new IntervalWindow(1454293425000 - 280000, 1454293425000)], pane: NO_FIRING };
    assertCodes(wvInterval, v2, "7f ff ff ff ff f9 e5 80 │ 00 00 00 01 │ 80 00 01 52 9a a4 9b 68 c0 8b 11 │ 0f │ 04");
    const v3: WindowedValue<number> = {
      value: 2,
      timestamp: -100,
      windows: [new IntervalWindow(1454293425000 - 3600000, 1454293425000), new IntervalWindow(MIN_TIMESTAMP, -9223372036854410)],
      pane: NO_FIRING,
    };
    assertCodes(wvInterval, v3, "7f ff ff ff ff ff ff 9c 00 00 00 02 80 00 01 52 9a a4 9b 68 80 dd db 01 7f df 3b 64 5a 1c ad 76 ed 02 0f 02");
  });

  it("windowed_value: the runner's impulse element and a windowed LP<string>", () => {
    const impulse = new WindowedValueCoder(BytesCoder.INSTANCE, GLOBAL);
    assertCodes(impulse, inGlobalWindow(new Uint8Array(0)), "7f df 3b 64 5a 1c ac 09 00 00 00 01 0f 00", "nested");
    const lp = new WindowedValueCoder(new LengthPrefixCoder(StringUtf8Coder.INSTANCE), GLOBAL);
    assertCodes(lp, inGlobalWindow("hi"), "7f df 3b 64 5a 1c ac 09 00 00 00 01 0f 02 68 69");
    // The element takes the windowed value's context.
    assertCodes(new WindowedValueCoder(StringUtf8Coder.INSTANCE, GLOBAL), inGlobalWindow("hi"), "7f df 3b 64 5a 1c ac 09 00 00 00 01 0f 68 69", "outer");
  });

  it("windowed_value: a non-trivial pane and windows in the unknown-length form", () => {
    const coder = new WindowedValueCoder(StringUtf8Coder.INSTANCE, IW);
    const v: WindowedValue<string> = { value: "x", timestamp: 1000, windows: [new IntervalWindow(10, 20)], pane: pane(false, true, "ON_TIME", 30, 40) };
    assertCodes(coder, v, "80 00 00 00 00 00 03 e8 00 00 00 01 80 00 00 00 00 00 00 14 0a 26 1e 28 01 78", "nested");
    const blocks = hex("80 00 00 00 00 00 03 e8 ff ff ff ff 01 80 00 00 00 00 00 00 14 0a 00 26 1e 28 01 78");
    assertDecodes(coder, blocks, v, "nested");
  });

  it("param_windowed_value (§4.12): payload constants, element-only wire", () => {
    const payload1 = hex("80 00 00 00 00 00 03 e8 00 00 00 01 80 00 00 00 00 00 00 14 0a 26 1e 28 00");
    const pwv1 = new ParamWindowedValueCoder(VarIntCoder.INSTANCE, IW, payload1);
    const expected1: WindowedValue<number> = { value: 2, timestamp: 1000, windows: [new IntervalWindow(10, 20)], pane: pane(false, true, "ON_TIME", 30, 40) };
    assertCodes(pwv1, expected1, "02");
    const built1 = ParamWindowedValueCoder.of(VarIntCoder.INSTANCE, IW, expected1);
    assert.equal(toHex(built1.payload), toHex(payload1));

    const payload2 = hex("7f df 3b 64 5a 1c ac 09 00 00 00 01 0f 00");
    const pwv2 = new ParamWindowedValueCoder(VarIntCoder.INSTANCE, GLOBAL, payload2);
    assertCodes(pwv2, { value: 2, timestamp: MIN_TIMESTAMP, windows: [GlobalWindow.INSTANCE], pane: NO_FIRING }, "02");
    assert.equal(toHex(ParamWindowedValueCoder.of(VarIntCoder.INSTANCE, GLOBAL, inGlobalWindow(0)).payload), toHex(payload2));
    assert.throws(() => new ParamWindowedValueCoder(VarIntCoder.INSTANCE, GLOBAL, hex("7f df")), (e: Error) => e instanceof CoderError && /payload/.test(e.message));
  });

  it("timer (§4.13): set and cleared", () => {
    const coder = new TimerCoder(StringUtf8Coder.INSTANCE, GLOBAL);
    const set: Timer<string> = {
      userKey: "key",
      dynamicTimerTag: "tag",
      windows: [GlobalWindow.INSTANCE],
      clearBit: false,
      fireTimestamp: 1234,
      holdTimestamp: 5678,
      pane: NO_FIRING,
    };
    assertCodes(coder, set, "03 6b 65 79 03 74 61 67 00 00 00 01 00 80 00 00 00 00 00 04 d2 80 00 00 00 00 00 16 2e 0f");
    const cleared: Timer<string> = { userKey: "key", dynamicTimerTag: "tag", windows: [GlobalWindow.INSTANCE], clearBit: true };
    assertCodes(coder, cleared, "03 6b 65 79 03 74 61 67 00 00 00 01 01");
    // The pane defaults to NO_FIRING; a set timer needs both timestamps.
    const { pane: _omitted, ...noPane } = set;
    assert.equal(toHex(encodeToBytes(coder, noPane)), toHex(hex("03 6b 65 79 03 74 61 67 00 00 00 01 00 80 00 00 00 00 00 04 d2 80 00 00 00 00 00 16 2e 0f")));
    assert.throws(() => encodeToBytes(coder, { ...cleared, clearBit: false }), (e: Error) => e instanceof CoderError && /fireTimestamp/.test(e.message));
    // A timer that holds no watermark (withNoOutputTimestamp) is Infinity here and Beam's MAX + 1 ms on the wire, as Java's FnApiDoFnRunner sends it.
    assertCodes(coder, { ...set, holdTimestamp: Infinity }, "03 6b 65 79 03 74 61 67 00 00 00 01 00 80 00 00 00 00 00 04 d2 80 20 c4 9b a5 e3 53 f8 0f");
    assert.equal(decodeFromBytes(coder, hex("03 6b 65 79 03 74 61 67 00 00 00 01 00 80 00 00 00 00 00 04 d2 80 20 c4 9b a5 e3 53 f7 0f")).holdTimestamp, MAX_TIMESTAMP);
  });

  it("nullable (§4.15)", () => {
    const coder = new NullableCoder(VarIntCoder.INSTANCE);
    assertCodes(coder, 9001, "01 a9 46");
    assertCodes(coder, null, "00");
    assert.equal(toHex(encodeToBytes(coder, undefined as unknown as null)), "00");
    const nb = new NullableCoder(BytesCoder.INSTANCE);
    assertCodes(nb, bytes("abc"), "01 03 61 62 63", "nested");
    assertCodes(nb, bytes("abc"), "01 61 62 63", "outer");
    // standard_coders.yaml's nullable(bytes) vectors (nested).
    assertCodes(nb, bytes("more bytes"), "01 0a 6d 6f 72 65 20 62 79 74 65 73", "nested");
    assertCodes(nb, null, "00", "nested");
    assert.throws(() => decodeFromBytes(coder, hex("02")), CoderError);
  });

  it("sharded_key (§4.15)", () => {
    const coder = new ShardedKeyCoder(StringUtf8Coder.INSTANCE);
    assertCodes(coder, { shardId: hex("11 22"), key: "abc" }, "02 11 22 03 61 62 63");
    assertCodes(coder, { shardId: new Uint8Array(0), key: "abc" }, "00 03 61 62 63");
    // standard_coders.yaml's sharded_key vectors (the Beam TypeScript SDK skipped this coder).
    const shardId = new Uint8Array(Buffer.from("shard_id"));
    assertCodes(coder, { shardId: new Uint8Array(0), key: "" }, "00 00");
    assertCodes(coder, { shardId, key: "" }, "08 73 68 61 72 64 5f 69 64 00");
    assertCodes(coder, { shardId, key: "key" }, "08 73 68 61 72 64 5f 69 64 03 6b 65 79");
    assertCodes(coder, { shardId: new Uint8Array(0), key: "key" }, "00 03 6b 65 79");
  });
});

describe("standard coders: behaviour", () => {
  it("VarIntCoder rejects non-safe integers and points to BigIntVarIntCoder", () => {
    for (const bad of [1.5, 2 ** 53, NaN, Infinity, -(2 ** 60)]) {
      assert.throws(() => encodeToBytes(VarIntCoder.INSTANCE, bad), (e: Error) => e instanceof CoderError && /BigIntVarIntCoder/.test(e.message));
    }
    const big = encodeToBytes(BigIntVarIntCoder.INSTANCE, 1n << 53n);
    assert.throws(() => decodeFromBytes(VarIntCoder.INSTANCE, big), (e: Error) => e instanceof CoderError && /BigIntVarIntCoder/.test(e.message));
    assert.equal(decodeFromBytes(BigIntVarIntCoder.INSTANCE, big), 1n << 53n);
    assert.throws(() => encodeToBytes(BigIntVarIntCoder.INSTANCE, 1n << 63n), CoderError);
  });

  it("leaf coders reject values of the wrong type with a CoderError", () => {
    const cases: [Coder<never>, unknown][] = [
      [StringUtf8Coder.INSTANCE as Coder<never>, 5],
      [BytesCoder.INSTANCE as Coder<never>, "abc"],
      [BoolCoder.INSTANCE as Coder<never>, 1],
      [DoubleCoder.INSTANCE as Coder<never>, "1"],
      [BigIntVarIntCoder.INSTANCE as Coder<never>, 1],
    ];
    for (const [coder, value] of cases) {
      assert.throws(() => encodeToBytes(coder, value as never), (e: Error) => e instanceof CoderError && e.name === "CoderError");
    }
    assert.throws(() => decodeFromBytes(BoolCoder.INSTANCE, hex("02")), CoderError);
  });

  it("outer decodes must consume every byte; truncated input fails clearly", () => {
    assert.throws(() => decodeFromBytes(VarIntCoder.INSTANCE, hex("01 02")), (e: Error) => e instanceof CoderError && /left 1 unread/.test(e.message));
    const wv = new WindowedValueCoder(VarIntCoder.INSTANCE, GLOBAL);
    const full = hex("80 00 01 52 9a a4 9b 68 00 00 00 01 0f 02");
    for (let n = 0; n < full.length; n++) {
      assert.throws(() => decodeFromBytes(wv, full.subarray(0, n)), (e: Error) => e instanceof CoderError && /Unexpected end of input/.test(e.message), `prefix of ${n} bytes`);
    }
  });

  it("deterministic flags follow the components", () => {
    assert.equal(new KVCoder(StringUtf8Coder.INSTANCE, VarIntCoder.INSTANCE).deterministic, true);
    assert.equal(new KVCoder(StringUtf8Coder.INSTANCE, DoubleCoder.INSTANCE).deterministic, false);
    assert.equal(new IterableCoder(JsValueCoder.INSTANCE).deterministic, false);
    assert.equal(new LengthPrefixCoder(BytesCoder.INSTANCE).deterministic, true);
    assert.equal(new WindowedValueCoder(VarIntCoder.INSTANCE, IW).deterministic, true);
  });

  it("windowed values decoded with the global window coder share GLOBAL_WINDOWS", () => {
    const wv = new WindowedValueCoder(VarIntCoder.INSTANCE, GLOBAL);
    const a = decodeFromBytes(wv, hex("80 00 01 52 9a a4 9b 68 00 00 00 01 0f 02"));
    const b = decodeFromBytes(wv, hex("80 00 01 52 9a a4 9b 68 00 00 00 01 0f 03"));
    assert.equal(a.windows, b.windows);
    assert.equal(a.windows[0], GlobalWindow.INSTANCE);
    assert.equal(a.pane, NO_FIRING);
  });

  it("round-trips nested composites", () => {
    const coder = new KVCoder(StringUtf8Coder.INSTANCE, new IterableCoder(new KVCoder(VarIntCoder.INSTANCE, new NullableCoder(DoubleCoder.INSTANCE))));
    const value = { key: "k", value: [{ key: 1, value: 0.5 }, { key: -7, value: null }] };
    for (const context of ["nested", "outer"] as const) {
      assert.deepStrictEqual(decodeFromBytes(coder, encodeToBytes(coder, value, context), context), value);
    }
    const windows: BoundedWindow[] = [new IntervalWindow(0, 60000), new IntervalWindow(-60000, 0)];
    const tc = new TimerCoder(VarIntCoder.INSTANCE, IW);
    const timer: Timer<number> = { userKey: 5, dynamicTimerTag: "", windows, clearBit: false, fireTimestamp: 59999, holdTimestamp: 0, pane: pane(true, false, "EARLY", 0, -1) };
    assert.deepStrictEqual(decodeFromBytes(tc, encodeToBytes(tc, timer)), timer);
  });
});
