/**
 * Snappy files read as Beam Java's `Compression.SNAPPY` reads them: commons-compress's
 * `SnappyCompressorInputStream`, the raw Snappy format (Snappy's format_description.txt: the
 * uncompressed length as a little-endian base-128 varint, then literal and copy elements) in one
 * piece over the whole file. That is what Snappy's own `Compress()` (and python-snappy's
 * `snappy.compress`) makes; not the framing format (`.sz`, python-snappy's `stream_compress`,
 * snzip's default), not Hadoop's block format and not snappy-java's stream format, which Java's
 * SNAPPY does not read either: they fail here as corrupt data.
 *
 * Decoded as a stream, element by element, keeping the last `HISTORY` bytes of output for copies
 * (Snappy's compressors work in 64 KiB blocks, so copies reach at most 65535 bytes back; a copy
 * further back than what is kept fails clearly). Data after the stated length fails rather than
 * being ignored.
 */
import { Transform, type TransformCallback } from "node:stream";
import { CorruptCompressedDataError } from "./compression";

/** Output kept for copies: well past the 64 KiB Snappy's compressors reach back. */
const HISTORY = 1 << 20;

class UnsnappyStream extends Transform {
  private buf: Buffer = Buffer.alloc(0);
  /** The stated uncompressed length, once read. */
  private length: number | undefined;
  private readonly history = new Uint8Array(HISTORY);
  /** Output so far, and how much of it has been pushed. */
  private total = 0;
  private pushed = 0;
  /** Bytes of a literal still to come. */
  private literal = 0;

  override _transform(chunk: Buffer, _encoding: BufferEncoding, callback: TransformCallback): void {
    this.buf = this.buf.length === 0 ? chunk : Buffer.concat([this.buf, chunk]);
    callback(this.step(false));
  }

  override _flush(callback: TransformCallback): void {
    callback(this.step(true));
  }

  private step(ended: boolean): Error | null {
    try {
      this.decode();
      this.flushOut();
      if (ended) {
        if (this.length === undefined) {
          if (this.buf.length > 0) throw new CorruptCompressedDataError("snappy: the data ends inside its length preamble (truncated?)");
        } else if (this.total < this.length) {
          throw new CorruptCompressedDataError(`snappy: the data ends after ${this.total} of the ${this.length} bytes it states (truncated?)`);
        }
      }
      return null;
    } catch (e) {
      return e instanceof CorruptCompressedDataError ? e : new CorruptCompressedDataError(`snappy: ${(e as Error).message}`, { cause: e });
    }
  }

  private decode(): void {
    let at = 0;
    const buf = this.buf;
    if (this.length === undefined) {
      let value = 0;
      let i = 0;
      for (;;) {
        if (i >= buf.length) return;
        const b = buf[i]!;
        value += (b & 0x7f) * 2 ** (7 * i);
        i++;
        if ((b & 0x80) === 0) break;
        if (i === 5) throw new CorruptCompressedDataError("snappy: not raw Snappy data (its length preamble is longer than 5 bytes)");
      }
      if (value > 0xffffffff) throw new CorruptCompressedDataError("snappy: not raw Snappy data (its stated length is over 4 GiB)");
      this.length = value;
      at = i;
    }
    const length = this.length;
    for (;;) {
      if (this.literal > 0) {
        const take = Math.min(this.literal, buf.length - at);
        this.emit_(buf.subarray(at, at + take));
        at += take;
        this.literal -= take;
        if (this.literal > 0) break;
      }
      if (at >= buf.length) break;
      if (this.total === length) {
        throw new CorruptCompressedDataError(`snappy: ${buf.length - at} bytes follow the end of the data (its stated length, ${length} bytes, is reached); is it in another Snappy format (framed, Hadoop's or snappy-java's)?`);
      }
      const tag = buf[at]!;
      const type = tag & 3;
      if (type === 0) {
        let n = tag >>> 2;
        if (n >= 60) {
          const bytes = n - 59;
          if (buf.length - at < 1 + bytes) break;
          n = buf.readUIntLE(at + 1, bytes);
          at += bytes;
        }
        at++;
        this.literal = n + 1;
        if (this.total + this.literal > length) throw this.tooLong();
        continue;
      }
      const extra = type === 1 ? 1 : type === 2 ? 2 : 4;
      if (buf.length - at < 1 + extra) break;
      let len: number;
      let offset: number;
      if (type === 1) {
        len = 4 + ((tag >>> 2) & 7);
        offset = ((tag >>> 5) << 8) | buf[at + 1]!;
      } else {
        len = 1 + (tag >>> 2);
        offset = type === 2 ? buf.readUInt16LE(at + 1) : buf.readUInt32LE(at + 1);
      }
      at += 1 + extra;
      if (offset === 0 || offset > this.total) throw new CorruptCompressedDataError(`snappy: corrupt data (a copy from ${offset} bytes back, after ${this.total} bytes of output)`);
      if (offset > HISTORY) throw new CorruptCompressedDataError(`snappy: a copy from ${offset} bytes back, further than the ${HISTORY} bytes this reader keeps (Snappy's compressors reach at most 65535 back)`);
      if (this.total + len > length) throw this.tooLong();
      this.copy(offset, len);
    }
    this.buf = at >= buf.length ? Buffer.alloc(0) : Buffer.from(buf.subarray(at));
  }

  private tooLong(): CorruptCompressedDataError {
    return new CorruptCompressedDataError(`snappy: corrupt data (more than the ${this.length} bytes it states)`);
  }

  /** Appends `data` to the output (pushing what a full history would overwrite). */
  private emit_(data: Uint8Array): void {
    let at = 0;
    while (at < data.length) {
      if (this.total - this.pushed === HISTORY) this.flushOut();
      const pos = this.total % HISTORY;
      const take = Math.min(data.length - at, HISTORY - pos, HISTORY - (this.total - this.pushed));
      this.history.set(data.subarray(at, at + take), pos);
      this.total += take;
      at += take;
    }
  }

  private copy(offset: number, len: number): void {
    for (let i = 0; i < len; i++) {
      if (this.total - this.pushed === HISTORY) this.flushOut();
      this.history[this.total % HISTORY] = this.history[(this.total - offset) % HISTORY]!;
      this.total++;
    }
  }

  private flushOut(): void {
    while (this.pushed < this.total) {
      const pos = this.pushed % HISTORY;
      const take = Math.min(this.total - this.pushed, HISTORY - pos);
      this.push(Buffer.from(this.history.subarray(pos, pos + take)));
      this.pushed += take;
    }
  }
}

/** A stream that decompresses raw Snappy data (Beam Java's SNAPPY). */
export function unsnappyStream(): Transform {
  return new UnsnappyStream();
}
