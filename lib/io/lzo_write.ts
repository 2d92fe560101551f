/**
 * LZO files written as Beam Java's `Compression.LZOP` and `Compression.LZO` write them
 * (aircompressor's `LzopCodec` and `LzoCodec`): lzop's file format, and Hadoop's LZO block format.
 * The LZO1X compressor is our own (npm has no LZO codec in JavaScript), a greedy LZ77 over a hash
 * of 4-byte sequences emitting LZO1X's instructions as the format defines them (the Linux kernel's
 * Documentation/lzo.txt), so lzop, liblzo2 and aircompressor decode what it writes. It compresses
 * less than liblzo2's LZO1X-1 (no 2-byte or 3-byte matches), never more slowly to decode.
 *
 * Data is compressed a block at a time as it comes (lzop's 256 KiB blocks; Hadoop's chunks of
 * 256 KiB less LzoOutputStream's overhead allowance), so memory is one block.
 */
import { Transform, type TransformCallback } from "node:stream";
import { adler32 } from "./lzo_stream";

const M2_MAX_OFFSET = 0x0800;
const M3_MAX_OFFSET = 0x4000;
const M4_MAX_OFFSET = 0xbfff;
const MIN_MATCH = 4;
const HASH_BITS = 14;

/** Appends a literal run's header and bytes (`first`: nothing has been written to this stream yet). */
function literals(out: number[], src: Uint8Array, from: number, to: number, first: boolean): void {
  const t = to - from;
  if (t === 0) return;
  if (first && t <= 238) out.push(17 + t);
  else if (t <= 3) out[out.length - 2]! |= t;
  else if (t <= 18) out.push(t - 3);
  else {
    out.push(0);
    let rest = t - 18;
    for (; rest > 255; rest -= 255) out.push(0);
    out.push(rest);
  }
  for (let i = from; i < to; i++) out.push(src[i]!);
}

/** A length beyond what an instruction's first byte holds: zero bytes of 255 each, then the rest (never 0). */
function longLength(out: number[], rest: number): void {
  for (; rest > 255; rest -= 255) out.push(0);
  out.push(rest);
}

function match(out: number[], distance: number, length: number): void {
  if (length <= 8 && distance <= M2_MAX_OFFSET) {
    const d = distance - 1;
    out.push(((length - 1) << 5) | ((d & 7) << 2), d >>> 3);
    return;
  }
  let d: number;
  if (distance <= M3_MAX_OFFSET) {
    d = distance - 1;
    if (length <= 33) out.push(32 | (length - 2));
    else {
      out.push(32);
      longLength(out, length - 33);
    }
  } else {
    d = distance - 0x4000;
    const high = (d >>> 11) & 8;
    if (length <= 9) out.push(16 | high | (length - 2));
    else {
      out.push(16 | high);
      longLength(out, length - 9);
    }
  }
  out.push((d << 2) & 0xff, (d >>> 6) & 0xff);
}

/** `src` compressed as one LZO1X stream (with its end marker). */
export function lzo1xCompress(src: Uint8Array): Buffer {
  const out: number[] = [];
  const table = new Int32Array(1 << HASH_BITS).fill(-1);
  const hash = (i: number): number => (Math.imul(src[i]! | (src[i + 1]! << 8) | (src[i + 2]! << 16) | (src[i + 3]! << 24), 0x9e3779b1) >>> (32 - HASH_BITS));
  let anchor = 0;
  let i = 0;
  const last = src.length - MIN_MATCH;
  while (i <= last) {
    const h = hash(i);
    const candidate = table[h]!;
    table[h] = i;
    const distance = i - candidate;
    if (candidate < 0 || distance > M4_MAX_OFFSET || src[candidate] !== src[i] || src[candidate + 1] !== src[i + 1] || src[candidate + 2] !== src[i + 2] || src[candidate + 3] !== src[i + 3]) {
      i++;
      continue;
    }
    let length = MIN_MATCH;
    while (i + length < src.length && src[candidate + length] === src[i + length]) length++;
    literals(out, src, anchor, i, out.length === 0);
    match(out, distance, length);
    // Index a few positions inside the match, so later data finds them.
    for (let j = i + 1; j < i + length && j <= last; j += 2) table[hash(j)] = j;
    i += length;
    anchor = i;
  }
  literals(out, src, anchor, src.length, out.length === 0);
  out.push(16 | 1, 0, 0);
  return Buffer.from(out);
}

/** lzop's values for a file written by LZO1X-1 (aircompressor writes the same). */
const LZOP_VERSION = 0x1010;
const LZO_LIB_VERSION = 0x2050;
const LZOP_NEEDED_VERSION = 0x0940;
const F_ADLER32_D = 0x1;
const LZOP_BLOCK = 256 * 1024;
/** Hadoop LzoOutputStream's chunk for its default 256 KiB buffer (the buffer less size/16 + 64 + 3). */
const HADOOP_CHUNK = 256 * 1024 - (256 * 1024 / 16 + 64 + 3);

/** lzop's file header: magic, versions, method LZO1X-1 at level 5, flags, mode, times, no name, its Adler-32. */
function lzopHeader(): Buffer {
  const h = Buffer.alloc(25);
  let p = 0;
  p = h.writeUInt16BE(LZOP_VERSION, p);
  p = h.writeUInt16BE(LZO_LIB_VERSION, p);
  p = h.writeUInt16BE(LZOP_NEEDED_VERSION, p);
  p = h.writeUInt8(1, p);
  p = h.writeUInt8(5, p);
  p = h.writeUInt32BE(F_ADLER32_D, p);
  p = h.writeUInt32BE(0o100644, p); // mode: a regular file, rw-r--r-- (as lzop records for its input)
  p = h.writeUInt32BE(0, p); // mtime, low and high
  p = h.writeUInt32BE(0, p);
  p = h.writeUInt8(0, p); // no file name
  const sum = Buffer.alloc(4);
  sum.writeUInt32BE(adler32(h.subarray(0, p)));
  return Buffer.concat([Buffer.from([0x89, 0x4c, 0x5a, 0x4f, 0x00, 0x0d, 0x0a, 0x1a, 0x0a]), h.subarray(0, p), sum]);
}

/** One lzop block: lengths, the uncompressed bytes' Adler-32, and the data (stored when LZO does not shrink it). */
function lzopBlock(data: Uint8Array): Buffer {
  const compressed = lzo1xCompress(data);
  const stored = compressed.length >= data.length;
  const head = Buffer.alloc(12);
  head.writeUInt32BE(data.length, 0);
  head.writeUInt32BE(stored ? data.length : compressed.length, 4);
  head.writeUInt32BE(adler32(data), 8);
  return Buffer.concat([head, stored ? data : compressed]);
}

function hadoopChunk(data: Uint8Array): Buffer {
  const compressed = lzo1xCompress(data);
  const head = Buffer.alloc(8);
  head.writeUInt32BE(data.length, 0);
  head.writeUInt32BE(compressed.length, 4);
  return Buffer.concat([head, compressed]);
}

/** Buffers input into blocks of `size` bytes and writes each compressed. */
class BlockCompressor extends Transform {
  private pending: Buffer[] = [];
  private pendingBytes = 0;
  private started = false;

  constructor(
    private readonly size: number,
    private readonly block: (data: Uint8Array) => Buffer,
    private readonly header: Buffer | undefined,
    private readonly trailer: Buffer | undefined,
  ) {
    super();
  }

  private start(): void {
    if (this.started) return;
    this.started = true;
    if (this.header !== undefined) this.push(this.header);
  }

  override _transform(chunk: Buffer, _encoding: BufferEncoding, callback: TransformCallback): void {
    this.start();
    this.pending.push(chunk);
    this.pendingBytes += chunk.length;
    if (this.pendingBytes >= this.size) {
      let all = Buffer.concat(this.pending);
      while (all.length >= this.size) {
        this.push(this.block(all.subarray(0, this.size)));
        all = all.subarray(this.size);
      }
      this.pending = all.length > 0 ? [Buffer.from(all)] : [];
      this.pendingBytes = all.length;
    }
    callback();
  }

  override _flush(callback: TransformCallback): void {
    this.start();
    if (this.pendingBytes > 0) this.push(this.block(Buffer.concat(this.pending)));
    if (this.trailer !== undefined) this.push(this.trailer);
    callback();
  }
}

/** A stream that writes an lzop file (Beam Java's LZOP). */
export function lzopCompressStream(): Transform {
  return new BlockCompressor(LZOP_BLOCK, lzopBlock, lzopHeader(), Buffer.alloc(4));
}

/** A stream that writes Hadoop's LZO block format (Beam Java's LZO, `.lzo_deflate`). */
export function lzoBlocksCompressStream(): Transform {
  return new BlockCompressor(HADOOP_CHUNK, hadoopChunk, undefined, undefined);
}

/** A whole file's bytes as an lzop file or Hadoop LZO blocks. */
export function lzoCompressWhole(data: Buffer, format: "lzop" | "lzo"): Buffer {
  const size = format === "lzop" ? LZOP_BLOCK : HADOOP_CHUNK;
  const parts: Buffer[] = format === "lzop" ? [lzopHeader()] : [];
  for (let at = 0; at < data.length; at += size) parts.push(format === "lzop" ? lzopBlock(data.subarray(at, at + size)) : hadoopChunk(data.subarray(at, at + size)));
  if (format === "lzop") parts.push(Buffer.alloc(4));
  return Buffer.concat(parts);
}
