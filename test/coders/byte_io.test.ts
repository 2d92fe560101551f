/** ByteWriter / ByteReader: varints, fixed-width numbers, UTF-8, length prefixes and bounds. */
import { strict as assert } from "node:assert";
import { ByteReader, ByteWriter, varIntSize } from "../../lib/coders/byte_io";
import { CoderError } from "../../lib/coders/coder";
import { hex, toHex } from "./hex";

/** Reference LEB128 of the 64-bit two's complement, computed with BigInt. */
function referenceVarInt(v: bigint): string {
  let u = BigInt.asUintN(64, v);
  const out: number[] = [];
  while (u >= 0x80n) {
    out.push(Number(u & 0x7fn) | 0x80);
    u >>= 7n;
  }
  out.push(Number(u));
  return Buffer.from(out).toString("hex");
}

function written(fn: (w: ByteWriter) => void, capacity = 16): string {
  const w = new ByteWriter(capacity);
  fn(w);
  return toHex(w.finish());
}

const SAFE_INTS = [0, 1, 127, 128, 255, 300, 16383, 16384, 2 ** 21, 2 ** 28 - 1, 2 ** 28, 2 ** 31 - 1, 2 ** 31, 2 ** 32 - 1, 2 ** 32, 2 ** 35, 2 ** 49 + 3, Number.MAX_SAFE_INTEGER];

describe("ByteWriter / ByteReader", () => {
  it("writes and reads varints of safe integers like the 64-bit reference, both signs", () => {
    for (const n of [...SAFE_INTS, ...SAFE_INTS.filter((x) => x !== 0).map((x) => -x), -(2 ** 31), -(2 ** 32) - 1]) {
      const expected = referenceVarInt(BigInt(n));
      assert.equal(written((w) => w.writeVarInt(n)), expected, `writeVarInt(${n})`);
      assert.equal(written((w) => w.writeVarInt64(BigInt(n))), expected, `writeVarInt64(${n})`);
      const r = new ByteReader(hex(expected));
      assert.equal(r.readVarInt(), n);
      assert.ok(r.atEnd());
      assert.equal(new ByteReader(hex(expected)).readVarInt64(), BigInt(n));
      if (n >= 0) assert.equal(varIntSize(n), expected.length / 2);
    }
  });

  it("covers the full int64 range with bigint varints", () => {
    for (const v of [2n ** 53n, 2n ** 62n, 2n ** 63n - 1n, -(2n ** 63n), -(2n ** 53n) - 1n, 0x123456789abcdefn]) {
      const expected = referenceVarInt(v);
      assert.equal(written((w) => w.writeVarInt64(v)), expected);
      assert.equal(new ByteReader(hex(expected)).readVarInt64(), v);
      assert.equal(new ByteReader(hex(expected)).readVarIntOrBigInt(), v);
    }
    // Unsigned values up to 2^64 - 1 are accepted and read back as their signed int64.
    assert.equal(written((w) => w.writeVarInt64(2n ** 64n - 1n)), "ffffffffffffffffff01");
    assert.throws(() => new ByteWriter().writeVarInt64(2n ** 64n), CoderError);
    assert.throws(() => new ByteWriter().writeVarInt64(-(2n ** 63n) - 1n), CoderError);
  });

  it("readVarInt refuses values beyond 2^53 and points to the bigint reader", () => {
    for (const v of [2n ** 53n, -(2n ** 53n) - 1n, 2n ** 63n - 1n]) {
      assert.throws(
        () => new ByteReader(hex(referenceVarInt(v))).readVarInt(),
        (e: Error) => e instanceof CoderError && /does not fit in a JS number/.test(e.message) && /readVarInt64/.test(e.message),
      );
    }
    assert.equal(new ByteReader(hex(referenceVarInt(2n ** 53n - 1n))).readVarIntOrBigInt(), Number.MAX_SAFE_INTEGER);
  });

  it("writeVarInt rejects non-integers and unsafe integers", () => {
    for (const bad of [0.5, -1.5, NaN, Infinity, 2 ** 53, -(2 ** 60)]) {
      assert.throws(() => new ByteWriter().writeVarInt(bad), (e: Error) => e instanceof CoderError && /writeVarInt64/.test(e.message));
    }
  });

  it("rejects malformed and truncated varints", () => {
    assert.throws(() => new ByteReader(hex("ff ff ff ff ff ff ff ff ff 02")).readVarInt64(), (e: Error) => e instanceof CoderError && /longer than 64 bits/.test(e.message));
    for (const h of ["", "80", "ff ff", "ff ff ff ff ff", "ff ff ff ff ff ff ff ff ff"]) {
      const r = new ByteReader(hex(h));
      assert.throws(() => r.readVarInt64(), (e: Error) => e instanceof CoderError && /end of input/.test(e.message), `varint ${h}`);
      assert.equal(r.offset, 0, "a failed varint read does not move the cursor");
    }
  });

  it("writes and reads int32, uint64 and doubles big-endian", () => {
    assert.equal(written((w) => [1, -1, 0x7fffffff, -0x80000000, 0xfffffffe].forEach((n) => w.writeInt32BE(n))), "00000001ffffffff7fffffff80000000fffffffe");
    const r = new ByteReader(hex("00000001 ffffffff 7fffffff 80000000"));
    assert.deepStrictEqual([r.readInt32BE(), r.readInt32BE(), r.readInt32BE(), r.readUint32BE()], [1, -1, 0x7fffffff, 0x80000000]);
    assert.equal(written((w) => w.writeUint64BE(-1n)), "ffffffffffffffff");
    assert.equal(new ByteReader(hex("8000000000000001")).readUint64BE(), 2n ** 63n + 1n);
    for (const x of [0, -0, 0.1, -1e-300, Math.PI, Infinity, -Infinity, Number.MAX_VALUE, 5e-324]) {
      const h = written((w) => w.writeDoubleBE(x));
      assert.equal(h, bufferDouble(x), `double ${x}`);
      assert.ok(Object.is(new ByteReader(hex(h)).readDoubleBE(), x));
    }
    assert.ok(Number.isNaN(new ByteReader(hex(written((w) => w.writeDoubleBE(NaN)))).readDoubleBE()));
  });

  it("encodes UTF-8 exactly like Buffer, for every length class and for surrogates", () => {
    const samples = [
      "",
      "a",
      "ascii only",
      "é",
      "光线",
      "😀",
      "a😀b",
      "lone \ud800 high",
      "lone \udc00 low",
      "end \ud83d",
      "x".repeat(24),
      "x".repeat(25),
      "é".repeat(42),
      "é".repeat(43),
      "y".repeat(127),
      "y".repeat(128),
      "😀".repeat(100),
      "z".repeat(20000),
    ];
    for (const s of samples) {
      const utf8 = Buffer.from(s, "utf8");
      assert.equal(written((w) => assert.equal(w.writeUtf8(s), utf8.length)), utf8.toString("hex"), `raw ${JSON.stringify(s.slice(0, 20))}`);
      const nested = referenceVarInt(BigInt(utf8.length)) + utf8.toString("hex");
      assert.equal(written((w) => w.writeUtf8Nested(s)), nested, `nested ${JSON.stringify(s.slice(0, 20))} (${s.length})`);
      const decoded = utf8.toString("utf8");
      assert.equal(new ByteReader(hex(nested)).readUtf8Nested(), decoded);
      assert.equal(new ByteReader(new Uint8Array(utf8)).readUtf8Rest(), decoded);
    }
    // Invalid UTF-8 decodes to U+FFFD on both the short and the native path.
    assert.equal(new ByteReader(hex("61 ff 62")).readUtf8(3), "a\ufffdb");
    assert.equal(new ByteReader(hex("ff".repeat(20))).readUtf8(20), "\ufffd".repeat(20));
  });

  it("back-patches length prefixes, shifting content for long values", () => {
    for (const n of [0, 1, 127, 128, 300, 16383, 16384, 70000]) {
      const w = new ByteWriter(8);
      w.writeByte(0xaa);
      const mark = w.beginLengthPrefix();
      w.writeBytes(new Uint8Array(n).fill(0x5c));
      w.endLengthPrefix(mark);
      w.writeByte(0xbb);
      const out = w.finish();
      const prefix = referenceVarInt(BigInt(n));
      assert.equal(out.length, 1 + prefix.length / 2 + n + 1);
      assert.equal(toHex(out.subarray(0, 1 + prefix.length / 2)), "aa" + prefix);
      assert.ok(out.subarray(1 + prefix.length / 2, out.length - 1).every((b) => b === 0x5c));
      assert.equal(out[out.length - 1], 0xbb);
    }
  });

  it("grows from a tiny buffer; finish copies; reset reuses", () => {
    const w = new ByteWriter(1);
    for (let i = 0; i < 1000; i++) w.writeByte(i);
    assert.equal(w.length, 1000);
    const first = w.finish();
    assert.equal(first.length, 1000);
    assert.equal(Object.getPrototypeOf(first), Uint8Array.prototype);
    w.reset();
    assert.equal(w.length, 0);
    w.writeBytes(hex("01 02 03"));
    assert.equal(first[0], 0, "finish() returned a copy");
    assert.equal(toHex(w.finish()), "010203");
    assert.equal(toHex(w.view()), "010203");
    w.patchByte(1, 0xff);
    assert.equal(toHex(w.finish()), "01ff03");
    assert.throws(() => w.patchByte(3, 0), CoderError);
    // Results of different sizes never overlap (pooled allocation).
    const a = new ByteWriter();
    a.writeBytes(new Uint8Array(100).fill(1));
    const b1 = a.finish();
    const b2 = a.finish();
    b2.fill(2);
    assert.ok(b1.every((x) => x === 1));
  });

  it("reads within bounds, throwing clear errors past the end", () => {
    const r = new ByteReader(hex("01 02 03 04 05"));
    assert.equal(r.readByte(), 1);
    assert.equal(r.remaining, 4);
    assert.throws(() => r.readBytes(5), (e: Error) => e instanceof CoderError && /needed 5 more byte\(s\) at offset 1 but only 4 remain/.test(e.message));
    assert.throws(() => r.readDoubleBE(), CoderError);
    assert.equal(toHex(r.readView(2)), "0203");
    const copy = r.readBytes(1);
    assert.equal(copy[0], 4);
    assert.throws(() => r.readInt32BE(), CoderError);
    assert.throws(() => r.readUtf8(2), CoderError);
    assert.equal(r.readByte(), 5);
    assert.ok(r.atEnd());
    assert.throws(() => r.readByte(), (e: Error) => e instanceof CoderError && e.name === "CoderError" && /Unexpected end of input/.test(e.message));
  });

  it("reads a window of a larger array, and sub-readers stop at their end", () => {
    const bytes = hex("ff 02 61 62 ee");
    const r = new ByteReader(bytes, 1, 4);
    assert.equal(r.offset, 1);
    const sub = r.subReader(3);
    assert.ok(r.atEnd());
    assert.equal(sub.readUtf8Nested(), "ab");
    assert.ok(sub.atEnd());
    assert.throws(() => sub.readByte(), CoderError);
    assert.throws(() => new ByteReader(bytes, 3, 9), CoderError);
    // Readers accept Buffers too.
    assert.equal(new ByteReader(Buffer.from("hi")).readUtf8Rest(), "hi");
  });
});

function bufferDouble(x: number): string {
  const b = Buffer.alloc(8);
  b.writeDoubleBE(x);
  return b.toString("hex");
}
