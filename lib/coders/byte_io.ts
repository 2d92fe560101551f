/** Growable byte writer and bounds-checked byte reader: the hot path under every coder. */

const textEncoder = new TextEncoder();

/** Appends bytes to a growable buffer. Reuse one writer (reset) to avoid allocations. */
export class ByteWriter {
  private buf: Buffer;
  private pos = 0;

  constructor(initialCapacity = 256) {
    this.buf = Buffer.allocUnsafe(initialCapacity);
  }

  /** Bytes written so far. */
  get length(): number {
    return this.pos;
  }

  private ensure(n: number): void {
    if (this.pos + n <= this.buf.length) return;
    let cap = this.buf.length * 2;
    while (cap < this.pos + n) cap *= 2;
    const next = Buffer.allocUnsafe(cap);
    this.buf.copy(next, 0, 0, this.pos);
    this.buf = next;
  }

  writeByte(b: number): void {
    this.ensure(1);
    this.buf[this.pos++] = b;
  }

  writeBytes(bytes: Uint8Array): void {
    this.ensure(bytes.length);
    this.buf.set(bytes, this.pos);
    this.pos += bytes.length;
  }

  /** Unsigned LEB128 of a non-negative safe integer (negatives go through writeVarInt64). */
  writeVarInt(n: number): void {
    if (n < 0 || !Number.isSafeInteger(n)) {
      this.writeVarInt64(BigInt(n));
      return;
    }
    this.ensure(10);
    while (n >= 0x80) {
      this.buf[this.pos++] = (n % 0x80) | 0x80;
      n = Math.floor(n / 0x80);
    }
    this.buf[this.pos++] = n;
  }

  /** Unsigned LEB128 of the two's-complement 64-bit value (no zigzag; negatives take 10 bytes). */
  writeVarInt64(n: bigint): void {
    let v = BigInt.asUintN(64, n);
    this.ensure(10);
    while (v >= 0x80n) {
      this.buf[this.pos++] = Number(v & 0x7fn) | 0x80;
      v >>= 7n;
    }
    this.buf[this.pos++] = Number(v);
  }

  writeInt32BE(n: number): void {
    this.ensure(4);
    this.buf.writeInt32BE(n, this.pos);
    this.pos += 4;
  }

  writeDoubleBE(n: number): void {
    this.ensure(8);
    this.buf.writeDoubleBE(n, this.pos);
    this.pos += 8;
  }

  /** 8 bytes big-endian of an unsigned 64-bit value. */
  writeUint64BE(n: bigint): void {
    this.ensure(8);
    this.buf.writeBigUInt64BE(BigInt.asUintN(64, n), this.pos);
    this.pos += 8;
  }

  /** UTF-8 bytes of a string, without a length. */
  writeUtf8(s: string): void {
    const max = s.length * 3;
    this.ensure(max);
    this.pos += this.buf.write(s, this.pos, "utf8");
  }

  /** varint(byte length) + UTF-8 bytes. */
  writeUtf8Nested(s: string): void {
    if (s.length < 128 / 3) {
      // Short strings: the length fits one byte; write in place, then patch the length.
      this.ensure(1 + s.length * 3);
      const at = this.pos++;
      const n = this.buf.write(s, this.pos, "utf8");
      this.buf[at] = n;
      this.pos += n;
      return;
    }
    const bytes = textEncoder.encode(s);
    this.writeVarInt(bytes.length);
    this.writeBytes(bytes);
  }

  /** A copy of the bytes written. */
  finish(): Uint8Array {
    return new Uint8Array(this.buf.subarray(0, this.pos));
  }

  /** The bytes written, without copying (valid until the next write). */
  view(): Uint8Array {
    return this.buf.subarray(0, this.pos);
  }

  reset(): void {
    this.pos = 0;
  }
}

/** Reads bytes in order; reading past the end throws. */
export class ByteReader {
  private pos = 0;
  private readonly buf: Buffer;

  constructor(bytes: Uint8Array) {
    this.buf = Buffer.isBuffer(bytes) ? bytes : Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  }

  get offset(): number {
    return this.pos;
  }

  get remaining(): number {
    return this.buf.length - this.pos;
  }

  atEnd(): boolean {
    return this.pos >= this.buf.length;
  }

  private need(n: number): void {
    if (this.pos + n > this.buf.length) {
      throw new RangeError(`unexpected end of encoded data: needed ${n} more bytes at offset ${this.pos} of ${this.buf.length}`);
    }
  }

  readByte(): number {
    this.need(1);
    return this.buf[this.pos++]!;
  }

  readBytes(n: number): Uint8Array {
    this.need(n);
    const out = new Uint8Array(this.buf.subarray(this.pos, this.pos + n));
    this.pos += n;
    return out;
  }

  /** A varint as a number; throws if it is outside the safe-integer range. */
  readVarInt(): number {
    let result = 0;
    let mul = 1;
    for (let i = 0; i < 10; i++) {
      const b = this.readByte();
      result += (b & 0x7f) * mul;
      if ((b & 0x80) === 0) {
        if (result > Number.MAX_SAFE_INTEGER) {
          throw new RangeError("varint exceeds 2^53; decode it with readVarInt64 (BigIntVarIntCoder)");
        }
        return result;
      }
      mul *= 0x80;
    }
    throw new RangeError("malformed varint: more than 10 bytes");
  }

  private readVarInt64Unsigned(): bigint {
    let result = 0n;
    let shift = 0n;
    for (let i = 0; i < 10; i++) {
      const b = this.readByte();
      result |= BigInt(b & 0x7f) << shift;
      if ((b & 0x80) === 0) return BigInt.asUintN(64, result);
      shift += 7n;
    }
    throw new RangeError("malformed varint: more than 10 bytes");
  }

  /** A varint as a signed 64-bit bigint (two's complement). */
  readVarInt64(): bigint {
    return BigInt.asIntN(64, this.readVarInt64Unsigned());
  }

  readInt32BE(): number {
    this.need(4);
    const v = this.buf.readInt32BE(this.pos);
    this.pos += 4;
    return v;
  }

  readDoubleBE(): number {
    this.need(8);
    const v = this.buf.readDoubleBE(this.pos);
    this.pos += 8;
    return v;
  }

  readUint64BE(): bigint {
    this.need(8);
    const v = this.buf.readBigUInt64BE(this.pos);
    this.pos += 8;
    return v;
  }

  /** n bytes as UTF-8. */
  readUtf8(n: number): string {
    this.need(n);
    const s = this.buf.toString("utf8", this.pos, this.pos + n);
    this.pos += n;
    return s;
  }

  readUtf8Nested(): string {
    return this.readUtf8(this.readVarInt());
  }

  /** The rest of the bytes as UTF-8. */
  readUtf8Rest(): string {
    return this.readUtf8(this.remaining);
  }
}
