/**
 * LZO files read as Beam Java's `Compression.LZOP` (`.lzo`) and `Compression.LZO` (`.lzo_deflate`)
 * read them (aircompressor's Hadoop-compatible `LzopCodec` and `LzoCodec`). npm has no LZO decoder
 * in JavaScript, so LZO1X decompression is our own, written from the format as the Linux kernel's
 * Documentation/lzo.txt describes it (LZO1X-1 and LZO1X-999 data decode alike).
 *
 * - LZOP is lzop's file format: a 9-byte magic, a header (checked by its Adler-32 or CRC-32), then
 *   blocks of at most 64 MiB (lzop writes 256 KiB): uncompressed and compressed lengths (big-endian),
 *   optional checksums of the uncompressed and compressed bytes (checked), the data (stored as is
 *   when it did not shrink), and a zero length at the end. Concatenated files (`cat a.lzo b.lzo`)
 *   are read one after the other, as lzop reads them; Java's codec stops after the first and
 *   ignores the rest (its documented caveat), which would drop data silently.
 * - LZO (Hadoop's block format, no header): blocks of an uncompressed length, then chunks of a
 *   compressed length and LZO1X data, until the block's length is reached.
 *
 * Memory: one block's compressed and uncompressed bytes (a block is decoded once whole).
 */
import { Transform, type TransformCallback } from "node:stream";
import { CorruptCompressedDataError, zlib } from "./compression";

/** lzop's largest block (its MAX_BLOCK_SIZE); larger lengths are corrupt. */
const MAX_BLOCK = 64 << 20;

/**
 * Decompresses one LZO1X stream (ending with its end marker) from `src` into `dst` at `at`:
 * the bytes written. Every read and copy is bounds-checked: corrupt data throws, never overruns.
 */
export function lzo1xDecompress(src: Uint8Array, dst: Uint8Array, at = 0): number {
  const fail = (why: string): never => {
    throw new CorruptCompressedDataError(`lzo: corrupt data (${why})`);
  };
  let ip = 0;
  let op = at;
  const byte = (): number => (ip < src.length ? src[ip++]! : fail("the compressed data ends too early"));
  const literals = (n: number): void => {
    if (ip + n > src.length) fail("a literal run past the compressed data");
    if (op + n > dst.length) fail("more output than stated");
    dst.set(src.subarray(ip, ip + n), op);
    ip += n;
    op += n;
  };
  const copy = (distance: number, n: number): void => {
    const from = op - distance;
    if (from < at) fail(`a match ${distance} bytes back, before the start of the data`);
    if (op + n > dst.length) fail("more output than stated");
    for (let i = 0; i < n; i++) dst[op + i] = dst[from + i]!;
    op += n;
  };
  /** A length continued in zero bytes (each adds 255) and a final byte, added to `base`. */
  const long = (base: number): number => {
    let n = 0;
    let b = byte();
    while (b === 0) {
      n += 255;
      b = byte();
    }
    return n + base + b;
  };
  let t = byte();
  let state: "instruction" | "afterLiterals" | "trailing";
  if (t > 17) {
    // The first byte may be a literal run of t - 17 bytes.
    t -= 17;
    if (t < 4) {
      literals(t);
      state = "trailing";
    } else {
      literals(t);
      state = "afterLiterals";
    }
  } else {
    ip--;
    state = "instruction";
  }
  for (;;) {
    if (state === "instruction") {
      t = byte();
      if (t < 16) {
        // A literal run of 3 or more bytes.
        literals((t === 0 ? long(15) : t) + 3);
        state = "afterLiterals";
        continue;
      }
    } else {
      t = byte();
    }
    if (t < 16) {
      if (state === "afterLiterals") {
        // Right after a literal run: a 3-byte match 2049..3072 bytes back.
        copy(1 + 0x800 + (t >>> 2) + (byte() << 2), 3);
      } else {
        // After a match's trailing literals: a 2-byte match up to 1024 bytes back.
        copy(1 + (t >>> 2) + (byte() << 2), 2);
      }
    } else if (t >= 64) {
      copy(1 + ((t >>> 2) & 7) + (byte() << 3), (t >>> 5) + 1);
    } else if (t >= 32) {
      const n = (t & 31) === 0 ? long(31) : t & 31;
      const lo = byte();
      const hi = byte();
      copy(1 + (lo >>> 2) + (hi << 6), n + 2);
    } else {
      const n = (t & 7) === 0 ? long(7) : t & 7;
      const lo = byte();
      const hi = byte();
      const distance = ((t & 8) << 11) + (lo >>> 2) + (hi << 6);
      if (distance === 0) {
        // The end marker.
        if (ip !== src.length) fail(`${src.length - ip} bytes after the end marker`);
        return op - at;
      }
      copy(distance + 0x4000, n + 2);
    }
    // The instruction's last byte's low two bits: 0-3 literals follow, then another match.
    const trailing = src[ip - 2]! & 3;
    if (trailing === 0) {
      state = "instruction";
    } else {
      literals(trailing);
      state = "trailing";
    }
  }
}

/** Adler-32 (RFC 1950) of `data`, continuing from `start` (1 for a new sum). */
export function adler32(data: Uint8Array, start = 1): number {
  let a = start & 0xffff;
  let b = start >>> 16;
  for (let i = 0; i < data.length; ) {
    const end = Math.min(data.length, i + 3800);
    for (; i < end; i++) {
      a += data[i]!;
      b += a;
    }
    a %= 65521;
    b %= 65521;
  }
  return ((b << 16) | a) >>> 0;
}

const LZOP_MAGIC = Buffer.from([0x89, 0x4c, 0x5a, 0x4f, 0x00, 0x0d, 0x0a, 0x1a, 0x0a]);
const F_ADLER32_D = 0x1;
const F_ADLER32_C = 0x2;
const F_H_EXTRA_FIELD = 0x40;
const F_CRC32_D = 0x100;
const F_CRC32_C = 0x200;
const F_H_FILTER = 0x800;
const F_H_CRC32 = 0x1000;

/** Input buffered, read from the front; `take` returns undefined until enough has come. */
abstract class BlockStream extends Transform {
  protected buf: Buffer = Buffer.alloc(0);
  protected at = 0;

  override _transform(chunk: Buffer, _encoding: BufferEncoding, callback: TransformCallback): void {
    this.buf = this.at >= this.buf.length ? chunk : Buffer.concat([this.buf.subarray(this.at), chunk]);
    this.at = 0;
    callback(this.guard(() => this.parse(false)));
  }

  override _flush(callback: TransformCallback): void {
    callback(this.guard(() => this.parse(true)));
  }

  private guard(f: () => void): Error | null {
    try {
      f();
      return null;
    } catch (e) {
      return e instanceof CorruptCompressedDataError ? e : new CorruptCompressedDataError(`lzo: ${(e as Error).message}`, { cause: e });
    }
  }

  protected available(): number {
    return this.buf.length - this.at;
  }

  /** Reads as far as the input allows; `ended`: no more input comes. */
  protected abstract parse(ended: boolean): void;
}

class LzopStream extends BlockStream {
  private flags: number | undefined;

  protected parse(ended: boolean): void {
    for (;;) {
      if (this.flags === undefined) {
        if (this.available() === 0) return;
        const header = this.header();
        if (header === undefined) {
          if (ended) throw new CorruptCompressedDataError("lzop: the data ends inside the file header (truncated?)");
          return;
        }
        this.flags = header;
      }
      if (!this.block()) {
        if (ended) throw new CorruptCompressedDataError("lzop: the data ends inside a block (truncated?)");
        return;
      }
    }
  }

  /** Parses a file header: its flags, or undefined when more input is needed. */
  private header(): number | undefined {
    const b = this.buf;
    let p = this.at;
    const need = (n: number): boolean => p + n <= b.length;
    if (!need(9)) {
      if (!LZOP_MAGIC.subarray(0, b.length - p).equals(b.subarray(p))) this.notLzop();
      return undefined;
    }
    if (!b.subarray(p, p + 9).equals(LZOP_MAGIC)) this.notLzop();
    p += 9;
    const start = p;
    if (!need(6)) return undefined;
    const version = b.readUInt16BE(p);
    p += 4;
    if (version >= 0x0940) p += 2;
    if (!need(2)) return undefined;
    const method = b[p++]!;
    if (method < 1 || method > 3) throw new CorruptCompressedDataError(`lzop: compression method ${method} is not LZO1X (lzop's methods 1-3 are)`);
    if (version >= 0x0940) p++;
    if (!need(4)) return undefined;
    const flags = b.readUInt32BE(p);
    p += 4;
    if (flags & F_H_FILTER) throw new CorruptCompressedDataError("lzop: the file uses an lzop filter, which is not supported (nor by Beam Java's codec)");
    p += version >= 0x0940 ? 12 : 8;
    if (!need(1)) return undefined;
    const nameLength = b[p]!;
    p += 1 + nameLength;
    if (!need(4)) return undefined;
    const sum = b.readUInt32BE(p);
    const computed = flags & F_H_CRC32 ? zlib().crc32(b.subarray(start, p)) : adler32(b.subarray(start, p));
    if (sum !== computed) throw new CorruptCompressedDataError("lzop: the file header fails its checksum (corrupt)");
    p += 4;
    if (flags & F_H_EXTRA_FIELD) {
      if (!need(4)) return undefined;
      const extra = b.readUInt32BE(p);
      if (!need(8 + extra)) return undefined;
      p += 8 + extra;
    }
    this.at = p;
    return flags;
  }

  private notLzop(): never {
    throw new CorruptCompressedDataError("lzop: not an lzop file (no lzop magic where a file should start)");
  }

  /** Reads one block (or the end of a file): false when more input is needed. */
  private block(): boolean {
    const b = this.buf;
    const flags = this.flags!;
    let p = this.at;
    if (p + 4 > b.length) return false;
    const size = b.readUInt32BE(p);
    p += 4;
    if (size === 0) {
      this.at = p;
      this.flags = undefined;
      return true;
    }
    if (size > MAX_BLOCK) throw new CorruptCompressedDataError(`lzop: a block of ${size} bytes, over lzop's largest (corrupt)`);
    if (p + 4 > b.length) return false;
    const compressed = b.readUInt32BE(p);
    p += 4;
    if (compressed > size) throw new CorruptCompressedDataError(`lzop: a block of ${compressed} compressed bytes for ${size} (corrupt)`);
    const sums: Array<[string, number, boolean]> = [];
    const sum = (flag: number, kind: string, ofCompressed: boolean): void => {
      if (flags & flag) {
        sums.push([kind, p + 4 <= b.length ? b.readUInt32BE(p) : -1, ofCompressed]);
        p += 4;
      }
    };
    sum(F_ADLER32_D, "adler32", false);
    sum(F_CRC32_D, "crc32", false);
    if (compressed < size) {
      sum(F_ADLER32_C, "adler32", true);
      sum(F_CRC32_C, "crc32", true);
    }
    if (p + compressed > b.length) return false;
    const data = b.subarray(p, p + compressed);
    let out: Buffer;
    if (compressed === size) out = Buffer.from(data);
    else {
      out = Buffer.allocUnsafe(size);
      if (lzo1xDecompress(data, out) !== size) throw new CorruptCompressedDataError(`lzop: a block decodes to fewer bytes than its stated ${size} (corrupt)`);
    }
    for (const [kind, expected, ofCompressed] of sums) {
      const of = ofCompressed ? data : out;
      const got = kind === "crc32" ? zlib().crc32(of) : adler32(of);
      if (got !== expected) throw new CorruptCompressedDataError(`lzop: a block fails its ${kind} check (corrupt)`);
    }
    this.at = p + compressed;
    this.push(out);
    return true;
  }
}

class HadoopLzoStream extends BlockStream {
  /** The current block's bytes and how many are filled, or undefined between blocks. */
  private block: Buffer | undefined;
  private filled = 0;

  protected parse(ended: boolean): void {
    const b = this.buf;
    for (;;) {
      if (this.block === undefined) {
        if (this.available() === 0) return;
        if (this.available() < 4) break;
        const size = b.readUInt32BE(this.at);
        if (size > MAX_BLOCK) throw new CorruptCompressedDataError(`lzo: a block of ${size} bytes, over the 64 MiB this reader takes (corrupt, or not Hadoop's LZO block format)`);
        this.at += 4;
        this.block = Buffer.allocUnsafe(size);
        this.filled = 0;
      }
      if (this.filled === this.block.length) {
        this.push(this.block);
        this.block = undefined;
        continue;
      }
      if (this.available() < 4) break;
      const compressed = b.readUInt32BE(this.at);
      if (compressed > MAX_BLOCK) throw new CorruptCompressedDataError(`lzo: a chunk of ${compressed} compressed bytes (corrupt)`);
      if (this.available() < 4 + compressed) break;
      this.filled += lzo1xDecompress(b.subarray(this.at + 4, this.at + 4 + compressed), this.block, this.filled);
      this.at += 4 + compressed;
    }
    if (ended) throw new CorruptCompressedDataError("lzo: the data ends inside a block (truncated?)");
  }
}

/** A stream that reads lzop files (Beam Java's LZOP), one or more concatenated. */
export function unlzopStream(): Transform {
  return new LzopStream();
}

/** A stream that reads Hadoop's LZO block format (Beam Java's LZO, `.lzo_deflate`). */
export function unlzoBlocksStream(): Transform {
  return new HadoopLzoStream();
}
