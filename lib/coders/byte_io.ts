/**
 * Low-level byte I/O for coders: a growable writer and a bounds-checked reader.
 *
 * This is the hot path of every coder (millions of elements per second), so the methods avoid
 * allocation, use plain integer arithmetic and fall back to BigInt only for 64-bit values that a
 * JS number cannot hold exactly.
 *
 * Varints are Beam's: unsigned LEB128 of the 64-bit two's-complement bits, 7 bits per byte, least
 * significant group first, 0x80 = continuation. There is no zigzag, so negative values always
 * take 10 bytes.
 */
import { CoderError } from "./errors";

const TWO_32 = 4294967296;
const MAX_VARINT_BYTES = 10;
const INT64_MIN = -(1n << 63n);
const UINT64_MAX = (1n << 64n) - 1n;

/** Strings up to this many UTF-16 units are encoded by hand (cheaper than a native call). */
const SHORT_STRING_ENCODE = 24;
/** ASCII strings up to this many bytes are decoded by hand (cheaper than a native call). */
const SHORT_STRING_DECODE = 8;
/** Strings this short have at most 3 * 42 = 126 UTF-8 bytes, so their length varint is one byte. */
const ONE_BYTE_LENGTH_STRING = 42;

const scratchF64 = new Float64Array(1);
const scratchU8 = new Uint8Array(scratchF64.buffer);
const LITTLE_ENDIAN = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;

/**
 * Node's native UTF-8 helpers behind Buffer#write and Buffer#toString, without their argument
 * parsing. They work on any Uint8Array (offsets relative to the view); the fallbacks keep this
 * module working should Node ever drop them.
 */
const nativeUtf8 = Buffer.prototype as unknown as {
  utf8Write?: (this: Uint8Array, s: string, offset: number) => number;
  utf8Slice?: (this: Uint8Array, start: number, end: number) => string;
};
const fallbackDecoder = new TextDecoder();
const utf8Write: (this: Buffer, s: string, offset: number) => number =
  nativeUtf8.utf8Write ??
  function (this: Buffer, s: string, offset: number): number {
    return this.write(s, offset, "utf8");
  };
const utf8Slice: (this: Uint8Array, start: number, end: number) => string =
  nativeUtf8.utf8Slice ??
  function (this: Uint8Array, start: number, end: number): string {
    return fallbackDecoder.decode(this.subarray(start, end));
  };

/**
 * Byte arrays of 65..2048 bytes are carved out of shared 16 KiB chunks, like Node's pooled
 * Buffers: V8 allocates typed arrays over 64 bytes off-heap, which costs several times more than
 * a view of a chunk. A pooled array's `.buffer` is therefore shared: use `byteOffset`/`byteLength`
 * with it, never list it in a postMessage transfer list (that would detach the whole chunk), and
 * `.slice()` it first if it must own its memory (a structured clone copies the whole chunk).
 */
const POOL_CHUNK = 16 * 1024;
const MAX_POOLED = 2048;
let pool = new ArrayBuffer(POOL_CHUNK);
let poolOffset = 0;

/** A new byte array of `n` bytes, to be filled by the caller. */
function allocBytes(n: number): Uint8Array {
  if (n <= 64 || n > MAX_POOLED) return new Uint8Array(n);
  if (poolOffset + n > POOL_CHUNK) {
    pool = new ArrayBuffer(POOL_CHUNK);
    poolOffset = 0;
  }
  const out = new Uint8Array(pool, poolOffset, n);
  poolOffset += (n + 7) & ~7;
  return out;
}

/** Number of bytes `writeVarInt(n)` uses for a non-negative safe integer `n`. */
export function varIntSize(n: number): number {
  let size = 1;
  while (n >= 0x80) {
    n = Math.floor(n / 128);
    size++;
  }
  return size;
}

/**
 * A growable, Buffer-backed byte sink. Reuse one writer across elements with `reset()` to avoid
 * allocation; `finish()` returns a copy of what was written.
 */
export class ByteWriter {
  private buf: Buffer;
  private pos = 0;

  /** @param initialCapacity bytes to allocate up front (the buffer doubles as needed). */
  constructor(initialCapacity = 256) {
    this.buf = Buffer.allocUnsafe(Math.max(16, initialCapacity));
  }

  /** Number of bytes written since construction or the last `reset()`. */
  get length(): number {
    return this.pos;
  }

  /** Current capacity of the internal buffer, in bytes. */
  get capacity(): number {
    return this.buf.length;
  }

  /** Forgets everything written; the buffer is kept for reuse. */
  reset(): void {
    this.pos = 0;
  }

  /**
   * A copy of the bytes written so far (the writer keeps them until `reset()`). Small results may
   * share their `.buffer` with other arrays (see allocBytes).
   */
  finish(): Uint8Array {
    const n = this.pos;
    const out = allocBytes(n);
    if (n <= 64) {
      const buf = this.buf;
      for (let i = 0; i < n; i++) out[i] = buf[i];
    } else {
      out.set(this.buf.subarray(0, n));
    }
    return out;
  }

  /**
   * The bytes written so far without copying. The view is only valid until the next write or
   * `reset()`; use `finish()` to keep the bytes.
   */
  view(): Uint8Array {
    return this.buf.subarray(0, this.pos);
  }

  /** Makes room for `n` more bytes. */
  ensure(n: number): void {
    if (this.pos + n > this.buf.length) this.grow(n);
  }

  private grow(n: number): void {
    const needed = this.pos + n;
    let capacity = this.buf.length * 2;
    while (capacity < needed) capacity *= 2;
    const next = Buffer.allocUnsafe(capacity);
    this.buf.copy(next, 0, 0, this.pos);
    this.buf = next;
  }

  /** Writes one byte (the low 8 bits of `b`). */
  writeByte(b: number): void {
    if (this.pos >= this.buf.length) this.grow(1);
    this.buf[this.pos++] = b;
  }

  /** Writes the given bytes verbatim. */
  writeBytes(bytes: Uint8Array): void {
    const n = bytes.length;
    if (this.pos + n > this.buf.length) this.grow(n);
    if (n < 16) {
      const buf = this.buf;
      let p = this.pos;
      for (let i = 0; i < n; i++) buf[p++] = bytes[i];
      this.pos = p;
    } else {
      this.buf.set(bytes, this.pos);
      this.pos += n;
    }
  }

  /**
   * Writes a safe integer as a Beam varint (negative values as their 64-bit two's complement,
   * 10 bytes). Throws a CoderError for non-integers and integers beyond ±(2^53 − 1); use
   * `writeVarInt64` for those.
   */
  writeVarInt(n: number): void {
    if (n >>> 0 === n) {
      // Fast path: 0 <= n < 2^32.
      if (this.pos + 5 > this.buf.length) this.grow(5);
      const buf = this.buf;
      let p = this.pos;
      while (n > 0x7f) {
        buf[p++] = (n & 0x7f) | 0x80;
        n >>>= 7;
      }
      buf[p++] = n;
      this.pos = p;
      return;
    }
    if (!Number.isSafeInteger(n)) {
      throw new CoderError(
        `Cannot write ${n} as a varint: only integers between -(2^53 - 1) and 2^53 - 1 fit in a JS number exactly. ` +
          `Use writeVarInt64 (BigIntVarIntCoder) for 64-bit integers, or a double coder for fractional numbers`,
      );
    }
    // ToUint32 of a safe integer is exactly n mod 2^32; the division by 2^32 is exact.
    this.writeVarIntParts(n >>> 0, Math.floor(n / TWO_32) >>> 0);
  }

  /**
   * Writes a 64-bit integer as a Beam varint. Accepts signed int64 values (negatives take 10 bytes)
   * and unsigned values up to 2^64 − 1.
   */
  writeVarInt64(v: bigint): void {
    if (v >= 0n && v <= 0xffffffffn) {
      this.writeVarInt(Number(v));
      return;
    }
    if (v < INT64_MIN || v > UINT64_MAX) {
      throw new CoderError(`Cannot write ${v}n as a varint: it does not fit in 64 bits (allowed: -2^63 to 2^64 - 1)`);
    }
    const u = BigInt.asUintN(64, v);
    this.writeVarIntParts(Number(u & 0xffffffffn), Number(u >> 32n));
  }

  /** Writes the 64-bit unsigned value `hi * 2^32 + lo` (both uint32) as a varint. */
  private writeVarIntParts(lo: number, hi: number): void {
    if (this.pos + MAX_VARINT_BYTES > this.buf.length) this.grow(MAX_VARINT_BYTES);
    const buf = this.buf;
    let p = this.pos;
    while (hi !== 0 || lo > 0x7f) {
      buf[p++] = (lo & 0x7f) | 0x80;
      lo = ((lo >>> 7) | (hi << 25)) >>> 0;
      hi >>>= 7;
    }
    buf[p++] = lo;
    this.pos = p;
  }

  /** Writes 4 bytes big-endian: the low 32 bits of `n` (signed or unsigned). */
  writeInt32BE(n: number): void {
    if (this.pos + 4 > this.buf.length) this.grow(4);
    const buf = this.buf;
    const p = this.pos;
    buf[p] = n >>> 24;
    buf[p + 1] = n >>> 16;
    buf[p + 2] = n >>> 8;
    buf[p + 3] = n;
    this.pos = p + 4;
  }

  /** Writes 8 bytes big-endian: `n` taken modulo 2^64 (so signed int64 values work too). */
  writeUint64BE(n: bigint): void {
    const u = BigInt.asUintN(64, n);
    this.writeInt32BE(Number(u >> 32n));
    this.writeInt32BE(Number(u & 0xffffffffn));
  }

  /** Writes an IEEE-754 binary64 value, 8 bytes big-endian (NaN's bits are whatever the engine holds). */
  writeDoubleBE(x: number): void {
    if (this.pos + 8 > this.buf.length) this.grow(8);
    scratchF64[0] = x;
    const buf = this.buf;
    const p = this.pos;
    if (LITTLE_ENDIAN) {
      buf[p] = scratchU8[7];
      buf[p + 1] = scratchU8[6];
      buf[p + 2] = scratchU8[5];
      buf[p + 3] = scratchU8[4];
      buf[p + 4] = scratchU8[3];
      buf[p + 5] = scratchU8[2];
      buf[p + 6] = scratchU8[1];
      buf[p + 7] = scratchU8[0];
    } else {
      for (let i = 0; i < 8; i++) buf[p + i] = scratchU8[i];
    }
    this.pos = p + 8;
  }

  /**
   * Writes the UTF-8 bytes of `s` with no length (lone surrogates become U+FFFD). Returns the
   * number of bytes written.
   */
  writeUtf8(s: string): number {
    const len = s.length;
    if (this.pos + 3 * len > this.buf.length) this.grow(3 * len);
    const start = this.pos;
    this.pos = len <= SHORT_STRING_ENCODE ? encodeUtf8Short(this.buf, start, s) : start + utf8Write.call(this.buf, s, start);
    return this.pos - start;
  }

  /** Writes varint(UTF-8 byte length) then the UTF-8 bytes of `s` (the nested string_utf8 encoding). */
  writeUtf8Nested(s: string): void {
    const len = s.length;
    if (len <= ONE_BYTE_LENGTH_STRING) {
      // The byte length is < 128, so its varint is one byte: reserve it and patch it afterwards.
      if (this.pos + 1 + 3 * len > this.buf.length) this.grow(1 + 3 * len);
      const lengthAt = this.pos;
      const end = len <= SHORT_STRING_ENCODE ? encodeUtf8Short(this.buf, lengthAt + 1, s) : lengthAt + 1 + utf8Write.call(this.buf, s, lengthAt + 1);
      this.buf[lengthAt] = end - lengthAt - 1;
      this.pos = end;
      return;
    }
    const mark = this.beginLengthPrefix();
    this.writeUtf8(s);
    this.endLengthPrefix(mark);
  }

  /** Overwrites the already-written byte at `offset` (for headers patched after their content). */
  patchByte(offset: number, b: number): void {
    if (offset < 0 || offset >= this.pos) throw new CoderError(`patchByte(${offset}): only bytes 0..${this.pos - 1} have been written`);
    this.buf[offset] = b;
  }

  /**
   * Starts a varint length prefix whose value is not known yet: reserves one byte and returns a
   * mark to pass to `endLengthPrefix` once the prefixed bytes are written.
   */
  beginLengthPrefix(): number {
    if (this.pos >= this.buf.length) this.grow(1);
    return this.pos++;
  }

  /**
   * Fills in the length prefix started at `mark` with the number of bytes written since. Lengths
   * of 128 bytes or more shift the content right to make room for the longer varint.
   */
  endLengthPrefix(mark: number): void {
    const len = this.pos - mark - 1;
    if (len < 0) throw new CoderError(`endLengthPrefix(${mark}) called after the writer was reset past the mark`);
    if (len < 0x80) {
      this.buf[mark] = len;
      return;
    }
    const size = varIntSize(len);
    if (this.pos + size - 1 > this.buf.length) this.grow(size - 1);
    const buf = this.buf;
    buf.copyWithin(mark + size, mark + 1, this.pos);
    this.pos += size - 1;
    let p = mark;
    let n = len;
    while (n > 0x7f) {
      buf[p++] = (n & 0x7f) | 0x80;
      n = Math.floor(n / 128);
    }
    buf[p] = n;
  }
}

/** Encodes a short string by hand at `p`; the caller has reserved 3 bytes per UTF-16 unit. */
function encodeUtf8Short(buf: Buffer, p: number, s: string): number {
  const len = s.length;
  for (let i = 0; i < len; i++) {
    const c = s.charCodeAt(i);
    if (c < 0x80) {
      buf[p++] = c;
    } else if (c < 0x800) {
      buf[p++] = 0xc0 | (c >> 6);
      buf[p++] = 0x80 | (c & 0x3f);
    } else if (c < 0xd800 || c > 0xdfff) {
      buf[p++] = 0xe0 | (c >> 12);
      buf[p++] = 0x80 | ((c >> 6) & 0x3f);
      buf[p++] = 0x80 | (c & 0x3f);
    } else {
      const d = i + 1 < len ? s.charCodeAt(i + 1) : 0;
      if (c <= 0xdbff && d >= 0xdc00 && d <= 0xdfff) {
        const cp = 0x10000 + ((c - 0xd800) << 10) + (d - 0xdc00);
        buf[p++] = 0xf0 | (cp >> 18);
        buf[p++] = 0x80 | ((cp >> 12) & 0x3f);
        buf[p++] = 0x80 | ((cp >> 6) & 0x3f);
        buf[p++] = 0x80 | (cp & 0x3f);
        i++;
      } else {
        // Lone surrogate: U+FFFD, as Buffer and TextEncoder do.
        buf[p++] = 0xef;
        buf[p++] = 0xbf;
        buf[p++] = 0xbd;
      }
    }
  }
  return p;
}

/**
 * A cursor over a Uint8Array (optionally a window `[offset, end)` of it). Every read checks the
 * bounds and throws a CoderError naming the offset instead of returning garbage.
 */
export class ByteReader {
  /** The underlying bytes (shared, never copied). */
  readonly bytes: Uint8Array;
  private pos: number;
  /** Offset one past the last readable byte. */
  readonly end: number;

  constructor(bytes: Uint8Array, offset = 0, end = bytes.length) {
    if (!(bytes instanceof Uint8Array)) {
      throw new CoderError(`ByteReader needs a Uint8Array (or Buffer), got ${typeof bytes}`);
    }
    if (!(offset >= 0 && offset <= end && end <= bytes.length)) {
      throw new CoderError(`ByteReader window [${offset}, ${end}) is outside the ${bytes.length}-byte input`);
    }
    this.bytes = bytes;
    this.pos = offset;
    this.end = end;
  }

  /** Offset (into `bytes`) of the next byte to read. */
  get offset(): number {
    return this.pos;
  }

  /** Bytes left to read. */
  get remaining(): number {
    return this.end - this.pos;
  }

  /** True when every byte has been read. */
  atEnd(): boolean {
    return this.pos >= this.end;
  }

  private truncated(needed: number): CoderError {
    return new CoderError(
      `Unexpected end of input: needed ${needed} more byte(s) at offset ${this.pos} but only ${this.end - this.pos} remain. ` +
        `The data is truncated, or it was written with a different coder than the one decoding it`,
    );
  }

  /** Reads one byte (0..255). */
  readByte(): number {
    if (this.pos >= this.end) throw this.truncated(1);
    return this.bytes[this.pos++];
  }

  /** Reads `n` bytes into a new Uint8Array (a copy, safe to keep; its `.buffer` may be shared). */
  readBytes(n: number): Uint8Array {
    const p = this.pos;
    if (n > this.end - p || n < 0) throw this.truncated(n);
    const out = allocBytes(n);
    const b = this.bytes;
    if (n < 32) {
      for (let i = 0; i < n; i++) out[i] = b[p + i];
    } else {
      out.set(b.subarray(p, p + n));
    }
    this.pos = p + n;
    return out;
  }

  /** Reads `n` bytes as a view of the input, without copying (valid while the input is). */
  readView(n: number): Uint8Array {
    if (n > this.end - this.pos || n < 0) throw this.truncated(n);
    const out = this.bytes.subarray(this.pos, this.pos + n);
    this.pos += n;
    return out;
  }

  /** Skips `n` bytes. */
  skip(n: number): void {
    if (n > this.end - this.pos || n < 0) throw this.truncated(n);
    this.pos += n;
  }

  /** Consumes `n` bytes and returns a reader limited to them (for length-prefixed values). */
  subReader(n: number): ByteReader {
    if (n > this.end - this.pos || n < 0) throw this.truncated(n);
    const sub = new ByteReader(this.bytes, this.pos, this.pos + n);
    this.pos += n;
    return sub;
  }

  /**
   * Reads a Beam varint as a number (negative values decode from their 10-byte two's complement).
   * Throws a CoderError if the value is beyond ±(2^53 − 1); use `readVarInt64` for those.
   */
  readVarInt(): number {
    const p = this.pos;
    if (p < this.end) {
      const b0 = this.bytes[p];
      if (b0 < 0x80) {
        this.pos = p + 1;
        return b0;
      }
    }
    const v = this.readVarIntOrBigInt();
    if (typeof v === "number") return v;
    throw new CoderError(
      `Varint ${v} at offset ${p} does not fit in a JS number (|n| > 2^53 - 1). ` +
        `Decode it with readVarInt64 / BigIntVarIntCoder instead of VarIntCoder`,
    );
  }

  /** Reads a Beam varint as a signed 64-bit bigint. */
  readVarInt64(): bigint {
    const v = this.readVarIntOrBigInt();
    return typeof v === "number" ? BigInt(v) : v;
  }

  /**
   * Reads a Beam varint as a signed 64-bit integer: a number when it is a safe integer, else an
   * exact bigint.
   */
  readVarIntOrBigInt(): number | bigint {
    const bytes = this.bytes;
    const end = this.end;
    const start = this.pos;
    let p = start;
    let lo = 0;
    let hi = 0;
    let b: number;
    // Bits 0..27.
    for (let shift = 0; shift < 28; shift += 7) {
      if (p >= end) throw this.truncatedVarInt(start);
      b = bytes[p++];
      lo |= (b & 0x7f) << shift;
      if (b < 0x80) {
        this.pos = p;
        return lo;
      }
    }
    // Bits 28..34: 4 bits to lo, 3 bits to hi.
    if (p >= end) throw this.truncatedVarInt(start);
    b = bytes[p++];
    lo = (lo | ((b & 0x0f) << 28)) >>> 0;
    hi = (b & 0x7f) >>> 4;
    if (b >= 0x80) {
      // Bits 35..63.
      for (let shift = 3; ; shift += 7) {
        if (p >= end) throw this.truncatedVarInt(start);
        b = bytes[p++];
        if (shift === 31) {
          if (b > 1) {
            throw new CoderError(`Varint at offset ${start} is longer than 64 bits: the data is corrupt or not a varint`);
          }
          hi |= b << 31;
          break;
        }
        hi |= (b & 0x7f) << shift;
        if (b < 0x80) break;
      }
    }
    this.pos = p;
    const signedHi = hi | 0;
    const value = signedHi * TWO_32 + lo;
    if (Number.isSafeInteger(value)) return value;
    return (BigInt(signedHi) << 32n) + BigInt(lo);
  }

  private truncatedVarInt(start: number): CoderError {
    this.pos = start;
    return new CoderError(
      `Unexpected end of input inside a varint starting at offset ${start} (input ends at ${this.end}). ` +
        `The data is truncated, or it was written with a different coder than the one decoding it`,
    );
  }

  /** Reads 4 bytes big-endian as a signed 32-bit integer. */
  readInt32BE(): number {
    const p = this.pos;
    if (p + 4 > this.end) throw this.truncated(4);
    const b = this.bytes;
    this.pos = p + 4;
    return (b[p] << 24) | (b[p + 1] << 16) | (b[p + 2] << 8) | b[p + 3];
  }

  /** Reads 4 bytes big-endian as an unsigned 32-bit integer. */
  readUint32BE(): number {
    return this.readInt32BE() >>> 0;
  }

  /** Reads 8 bytes big-endian as an unsigned 64-bit bigint. */
  readUint64BE(): bigint {
    const hi = this.readUint32BE();
    const lo = this.readUint32BE();
    return (BigInt(hi) << 32n) | BigInt(lo);
  }

  /** Reads an IEEE-754 binary64 value, 8 bytes big-endian. */
  readDoubleBE(): number {
    const p = this.pos;
    if (p + 8 > this.end) throw this.truncated(8);
    const b = this.bytes;
    if (LITTLE_ENDIAN) {
      scratchU8[7] = b[p];
      scratchU8[6] = b[p + 1];
      scratchU8[5] = b[p + 2];
      scratchU8[4] = b[p + 3];
      scratchU8[3] = b[p + 4];
      scratchU8[2] = b[p + 5];
      scratchU8[1] = b[p + 6];
      scratchU8[0] = b[p + 7];
    } else {
      for (let i = 0; i < 8; i++) scratchU8[i] = b[p + i];
    }
    this.pos = p + 8;
    return scratchF64[0];
  }

  /** Reads `n` bytes of UTF-8 as a string (invalid sequences become U+FFFD). */
  readUtf8(n: number): string {
    const p = this.pos;
    if (n > this.end - p || n < 0) throw this.truncated(n);
    this.pos = p + n;
    if (n <= SHORT_STRING_DECODE) {
      // ASCII fast path; anything else goes to the native decoder.
      const b = this.bytes;
      let s = "";
      let i = p;
      const stop = p + n;
      for (; i < stop; i++) {
        const c = b[i];
        if (c >= 0x80) break;
        s += String.fromCharCode(c);
      }
      if (i === stop) return s;
    }
    return utf8Slice.call(this.bytes, p, p + n);
  }

  /** Reads varint(byte length) then that many bytes of UTF-8 (the nested string_utf8 encoding). */
  readUtf8Nested(): string {
    const n = this.readVarInt();
    return this.readUtf8(n);
  }

  /** Reads all remaining bytes as UTF-8 (the outer string_utf8 encoding). */
  readUtf8Rest(): string {
    return this.readUtf8(this.end - this.pos);
  }
}
