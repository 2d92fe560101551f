/** JsValueCoder and DeterministicJsValueCoder: format, round trips, determinism and errors. */
import { strict as assert } from "node:assert";
import { ByteReader } from "../../lib/coders/byte_io";
import { Coder, CoderError, decodeFromBytes, encodeToBytes } from "../../lib/coders/coder";
import { DeterministicJsValueCoder, JsValueCoder, MAX_DEPTH } from "../../lib/coders/js_value";
import { hex, toHex } from "./hex";
import { prng } from "../prng";

const js = JsValueCoder.INSTANCE;
const det = DeterministicJsValueCoder.INSTANCE;
const BOTH: readonly Coder<unknown>[] = [js, det];

function roundTrip(coder: Coder<unknown>, value: unknown): unknown {
  const outer = decodeFromBytes(coder, encodeToBytes(coder, value));
  const nested = decodeFromBytes(coder, encodeToBytes(coder, value, "nested"), "nested");
  assert.deepStrictEqual(nested, outer);
  return outer;
}

const STRINGS = ["", "a", "hello", "héllo wörld", "光线", "emoji 😀 and more", "x".repeat(21), "y".repeat(22), "z".repeat(300), "__proto__", "constructor", "ab\0c"];
const NUMBERS = [0, -0, 1, 127, 128, 255, 16384, -1, -128, 2 ** 31, -(2 ** 31), 2 ** 32 + 5, Number.MAX_SAFE_INTEGER, -Number.MAX_SAFE_INTEGER, 2 ** 53, 1e300, 0.1, -2.5, NaN, Infinity, -Infinity, Number.MIN_VALUE];

function randomValue(rand: () => number, depth: number): unknown {
  const pick = <T>(xs: readonly T[]): T => xs[Math.floor(rand() * xs.length)];
  const leafOnly = depth >= 4;
  switch (Math.floor(rand() * (leafOnly ? 9 : 15))) {
    case 0:
      return undefined;
    case 1:
      return null;
    case 2:
      return rand() < 0.5;
    case 3:
    case 4:
      return pick(NUMBERS);
    case 5:
      return Math.floor((rand() - 0.5) * 2 ** 40);
    case 6:
    case 7:
      return pick(STRINGS);
    case 8:
      return pick([0n, 1n, -1n, 255n, -256n, 2n ** 64n, -(2n ** 100n) + 7n]);
    case 9:
      return Array.from({ length: Math.floor(rand() * 5) }, () => randomValue(rand, depth + 1));
    case 10:
    case 11: {
      const o: Record<string, unknown> = {};
      const n = Math.floor(rand() * 5);
      for (let i = 0; i < n; i++) o[pick(["a", "b", "key", "名前", "1", "20", "x y"])] = randomValue(rand, depth + 1);
      return o;
    }
    case 12:
      return new Map(Array.from({ length: Math.floor(rand() * 3) }, () => [randomValue(rand, depth + 1), randomValue(rand, depth + 1)] as [unknown, unknown]));
    case 13:
      return new Set(Array.from({ length: Math.floor(rand() * 3) }, () => randomValue(rand, depth + 1)));
    default:
      return pick([new Date(0), new Date(1700000000123), new Uint8Array([1, 2, 3]), Buffer.from("buf"), new Float64Array([1.5, -0, NaN]), new Int32Array([-1, 2])]);
  }
}

describe("JS value coders", () => {
  it("encodes to the documented bytes", () => {
    const cases: [unknown, string][] = [
      [undefined, "00"],
      [null, "01"],
      [false, "02"],
      [true, "03"],
      [0, "80"],
      [5, "85"],
      [127, "ff"],
      [128, "04 80 01"],
      [-1, "05 01"],
      [-0, "06 80 00 00 00 00 00 00 00"],
      [0.5, "06 3f e0 00 00 00 00 00 00"],
      [NaN, "06 7f f8 00 00 00 00 00 00"],
      [2 ** 53, "06 43 40 00 00 00 00 00 00"],
      ["", "40"],
      ["hi", "42 68 69"],
      ["é", "42 c3 a9"],
      ["a".repeat(22), "09 16" + "61".repeat(22)],
      [0n, "07 00"],
      [255n, "07 01 ff"],
      [-256n, "08 02 01 00"],
      [new Uint8Array([1, 2]), "0a 02 01 02"],
      [Buffer.from([1, 2]), "0b 02 01 02"],
      [new Int16Array([1, -2]), "0c 03 04 01 00 fe ff"],
      [new Date(1000), "0d 40 8f 40 00 00 00 00 00"],
      [[1, "a"], "10 02 81 41 61"],
      [{ a: 1, b: null }, "11 02 01 61 81 01 62 01"],
      [new Map([["k", 1]]), "12 01 41 6b 81"],
      [new Set([true]), "13 01 03"],
    ];
    for (const [value, expected] of cases) {
      for (const coder of BOTH) {
        assert.equal(toHex(encodeToBytes(coder, value)), toHex(hex(expected)), `${coder.urn} ${String(value)}`);
      }
      assert.deepStrictEqual(decodeFromBytes(js, hex(expected)), value);
    }
  });

  it("round-trips many random shapes exactly, in both contexts", () => {
    const rand = prng(42);
    for (let i = 0; i < 400; i++) {
      const value = randomValue(rand, 0);
      for (const coder of BOTH) assert.deepStrictEqual(roundTrip(coder, value), value);
    }
  });

  it("keeps -0, NaN, ±Infinity, undefined members and types of binary values", () => {
    const value = { negZero: -0, nan: NaN, inf: -Infinity, missing: undefined, arr: [undefined, -0] };
    const decoded = roundTrip(js, value) as typeof value;
    assert.ok(Object.is(decoded.negZero, -0));
    assert.ok(Number.isNaN(decoded.nan));
    assert.ok("missing" in decoded);
    assert.equal(Object.getPrototypeOf(roundTrip(js, Buffer.from("x"))), Buffer.prototype);
    assert.equal(Object.getPrototypeOf(roundTrip(js, new Uint8Array(3))), Uint8Array.prototype);
    assert.equal(Object.getPrototypeOf(roundTrip(js, new Float32Array(3))), Float32Array.prototype);
    assert.deepStrictEqual(roundTrip(js, new BigUint64Array([2n ** 64n - 1n])), new BigUint64Array([2n ** 64n - 1n]));
    // A typed-array view into a larger buffer encodes only its own bytes.
    const view = new Int32Array(new Int32Array([9, 8, 7, 6]).buffer, 4, 2);
    assert.deepStrictEqual(roundTrip(js, view), new Int32Array([8, 7]));
  });

  it("decodes large and long values (multi-byte lengths, pooled byte arrays)", () => {
    const big = { text: "ü".repeat(5000), bytes: new Uint8Array(3000).fill(7), list: Array.from({ length: 2000 }, (_, i) => i - 1000) };
    assert.deepStrictEqual(roundTrip(js, big), big);
  });

  it("documents its choices: holes become undefined, null-prototype objects decode as plain", () => {
    // eslint-disable-next-line no-sparse-arrays
    assert.deepStrictEqual(roundTrip(js, [1, , 3]), [1, undefined, 3]);
    const bare = Object.assign(Object.create(null) as Record<string, unknown>, { bare: true });
    const decoded = roundTrip(js, bare) as object;
    assert.equal(Object.getPrototypeOf(decoded), Object.prototype);
    assert.deepStrictEqual({ ...decoded }, { bare: true });
  });

  it("decodes a '__proto__' key as an own property without touching the prototype", () => {
    const value = JSON.parse('{"__proto__": {"polluted": true}, "a": 1}') as Record<string, unknown>;
    const decoded = roundTrip(js, value) as Record<string, unknown>;
    assert.equal(Object.getPrototypeOf(decoded), Object.prototype);
    assert.deepStrictEqual(Object.keys(decoded), ["__proto__", "a"]);
    assert.equal(({} as Record<string, unknown>).polluted, undefined);
  });

  it("the deterministic coder ignores key, entry and member order; JsValueCoder keeps it", () => {
    const a = { x: 1, y: { p: [1, 2], q: "s" }, z: new Map<unknown, unknown>([["m", 1], [{ k: 1 }, 2], [3, "n"]]), s: new Set([3, "b", 1]) };
    const b = { s: new Set(["b", 1, 3]), z: new Map<unknown, unknown>([[3, "n"], ["m", 1], [{ k: 1 }, 2]]), y: { q: "s", p: [1, 2] }, x: 1 };
    assert.equal(toHex(encodeToBytes(det, a)), toHex(encodeToBytes(det, b)));
    assert.notEqual(toHex(encodeToBytes(js, a)), toHex(encodeToBytes(js, b)));
    // Decoding and re-encoding gives the same bytes.
    const bytes = encodeToBytes(det, b);
    assert.equal(toHex(encodeToBytes(det, decodeFromBytes(det, bytes))), toHex(bytes));
    // Large objects (Array#sort path) too.
    const names = Array.from({ length: 40 }, (_, i) => `k${(i * 7919) % 40}é`);
    const forward = Object.fromEntries(names.map((k) => [k, k.length]));
    const backward = Object.fromEntries([...names].reverse().map((k) => [k, k.length]));
    assert.equal(toHex(encodeToBytes(det, forward)), toHex(encodeToBytes(det, backward)));
    // Keys are written in UTF-16 code-unit order.
    assert.equal(toHex(encodeToBytes(det, { b: 1, B: 2, a: 3, "é": 4 })), "1104" + "014282" + "016183" + "016281" + "02c3a984");
    // Integer-like keys, which JS orders first, are sorted with the others.
    assert.equal(toHex(encodeToBytes(det, { b: 1, 10: 2, 9: 3 })), toHex(encodeToBytes(det, { 9: 3, b: 1, 10: 2 })));
  });

  it("the deterministic coder canonicalises NaN payloads", () => {
    const weird = new Float64Array(new Uint32Array([1, 0x7ff80000]).buffer)[0];
    assert.ok(Number.isNaN(weird));
    assert.equal(toHex(encodeToBytes(det, weird)), "067ff8000000000000");
    assert.equal(toHex(encodeToBytes(det, [weird])), toHex(encodeToBytes(det, [NaN])));
    const arr = new Float64Array(new Uint32Array([1, 0x7ff80000, 0, 0x7ff80000]).buffer);
    assert.equal(toHex(encodeToBytes(det, arr)), toHex(encodeToBytes(det, new Float64Array([NaN, NaN]))));
    assert.equal(toHex(encodeToBytes(det, new Date(NaN))), "0d7ff8000000000000");
    assert.ok(Number.isNaN((decodeFromBytes(det, hex("0d7ff8000000000000")) as Date).getTime()));
  });

  it("declares its determinism", () => {
    assert.equal(js.deterministic, false);
    assert.equal(det.deterministic, true);
    assert.equal(js.urn, "beamline:coder:jsvalue:v1");
    assert.equal(det.urn, "beamline:coder:jsvalue_deterministic:v1");
    assert.deepStrictEqual(js.components, []);
  });

  it("rejects class instances, functions and symbols, naming the path and the fix", () => {
    class Point {
      constructor(readonly x: number) {}
    }
    for (const coder of BOTH) {
      assert.throws(
        () => encodeToBytes(coder, { list: [0, { p: new Point(1) }] }),
        (e: Error) => e instanceof CoderError && e.name === "CoderError" && /a Point instance at value\.list\[1\]\.p\b/.test(e.message) && /setCoder/.test(e.message),
      );
      assert.throws(() => encodeToBytes(coder, { f: () => 1 }), (e: Error) => e instanceof CoderError && /function .* at value\.f/.test(e.message));
      assert.throws(() => encodeToBytes(coder, [Symbol("s")]), (e: Error) => e instanceof CoderError && /symbol .* at value\[0\]/.test(e.message));
      assert.throws(() => encodeToBytes(coder, new Map([[1, new Point(2)]])), (e: Error) => e instanceof CoderError && /Point instance at value<map entry 0>/.test(e.message));
      assert.throws(() => encodeToBytes(coder, { "a b": new (class Error2 extends Error {})() }), (e: Error) => e instanceof CoderError && /Error2 instance at value\["a b"\]/.test(e.message));
    }
    // Boxed primitives, DataViews, WeakMaps and subclasses of built-ins are not plain data either.
    for (const bad of [new Number(1), new DataView(new ArrayBuffer(1)), new WeakMap(), new (class extends Array {})(), Promise.resolve()]) {
      assert.throws(() => encodeToBytes(js, bad), CoderError);
    }
  });

  it("reports cycles as excessive nesting instead of overflowing the stack", () => {
    const cyclic: Record<string, unknown> = { name: "loop" };
    cyclic.self = cyclic;
    assert.throws(() => encodeToBytes(js, cyclic), (e: Error) => e instanceof CoderError && new RegExp(`more than ${MAX_DEPTH} levels.*cycle`).test(e.message) && e.message.length < 1000);
  });

  it("fails clearly on truncated input and on bytes it did not write", () => {
    const full = encodeToBytes(js, { a: [1, "two", { three: 3n }] });
    for (let n = 0; n < full.length; n++) {
      assert.throws(() => decodeFromBytes(js, full.subarray(0, n)), (e: Error) => e instanceof CoderError && /truncated/.test(e.message), `prefix of ${n}`);
    }
    assert.throws(() => decodeFromBytes(js, hex("20")), (e: Error) => e instanceof CoderError && /unknown tag 0x20 at offset 0/.test(e.message));
    assert.throws(() => decodeFromBytes(js, hex("10 ff ff 03 01")), (e: Error) => e instanceof CoderError && /claims 65535 elements/.test(e.message));
    assert.throws(() => decodeFromBytes(js, hex("0c 63 00")), (e: Error) => e instanceof CoderError && /typed-array kind 99/.test(e.message));
  });

  it("decodes values one after another from a shared reader", () => {
    const w = encodeToBytes(js, "first", "nested");
    const x = encodeToBytes(js, { second: 2 }, "nested");
    const both = new Uint8Array(w.length + x.length);
    both.set(w);
    both.set(x, w.length);
    const r = new ByteReader(both);
    assert.equal(js.decode(r, "nested"), "first");
    assert.deepStrictEqual(js.decode(r, "nested"), { second: 2 });
    assert.ok(r.atEnd());
  });

  it("reuses cached keys only when the bytes match", () => {
    // Same length and similar bytes; the key cache must never return the wrong string.
    const keys = ["ab", "ba", "aB", "Ab", "abc", "abd", "名前"];
    for (let round = 0; round < 3; round++) {
      for (const k of keys) {
        const decoded = decodeFromBytes(js, encodeToBytes(js, { [k]: k })) as Record<string, unknown>;
        assert.deepStrictEqual(Object.keys(decoded), [k]);
        assert.equal(decoded[k], k);
      }
    }
  });
});
