/**
 * The TFRecord format (TensorFlow's; Beam Python's `_TFRecordUtil`, Java's `TFRecordCodec`): each
 * record is
 *
 *     uint64 length (little-endian) | uint32 masked CRC-32C of those 8 bytes | length bytes of data | uint32 masked CRC-32C of the data
 *
 * with no file header and no sync markers, so a file is read from its start only.
 */
import { maskedCrc32c } from "./crc32c";
import type { FileCompression } from "../compression";

/** Bytes around a record's data: 8 (length) + 4 (its CRC) + 4 (the data's CRC). */
export const RECORD_OVERHEAD = 16;
const HEADER = 12;

/** One record framed as TFRecord: its length, the length's masked CRC, the data and the data's masked CRC. */
export function encodeTFRecord(data: Uint8Array): Buffer {
  const out = Buffer.allocUnsafe(data.length + RECORD_OVERHEAD);
  out.writeBigUInt64LE(BigInt(data.length), 0);
  out.writeUInt32LE(maskedCrc32c(out, 0, 8), 8);
  out.set(data, HEADER);
  out.writeUInt32LE(maskedCrc32c(data), HEADER + data.length);
  return out;
}

/**
 * A TFRecord file is not valid at `offset`: a checksum does not match or the file ends inside a
 * record. Beam raises (Python's `ValueError: Not a valid TFRecord...`, Java's `IOException`)
 * rather than skipping the record; so do we.
 */
export class TFRecordCorruptError extends Error {
  constructor(
    message: string,
    /** The file. */
    readonly path: string,
    /** Where the bad record starts (in the decompressed bytes, for a compressed file). */
    readonly offset: number,
  ) {
    super(message);
    this.name = "TFRecordCorruptError";
  }
}

const hex = (n: number): string => `0x${n.toString(16).padStart(8, "0")}`;

/**
 * Splits a file's (decompressed) bytes, pushed in chunks of any size, into the data of its
 * records, checking both CRCs of each. Records are fresh copies (they never pin a read chunk).
 *
 *   const parser = new TFRecordParser(path, "gzip");
 *   for await (const chunk of stream) for (const record of parser.push(chunk)) use(record);
 *   parser.finish(); // throws if the file ended inside a record
 */
export class TFRecordParser {
  private chunks: Buffer[] = [];
  private buffered = 0;
  /** Bytes the next step needs: a header, or a header's record's data and CRC. */
  private need = HEADER;
  private length = -1;
  /** Where the record being read starts. */
  private offset = 0;
  /** Records read so far. */
  records = 0;

  constructor(
    private readonly path: string,
    private readonly compression: FileCompression = "uncompressed",
  ) {}

  /** The records completed by `chunk`. */
  push(chunk: Uint8Array): Uint8Array[] {
    const out: Uint8Array[] = [];
    if (chunk.length === 0) return out;
    this.chunks.push(Buffer.isBuffer(chunk) ? chunk : Buffer.from(chunk.buffer, chunk.byteOffset, chunk.length));
    this.buffered += chunk.length;
    while (this.buffered >= this.need) {
      const bytes = this.take(this.need);
      if (this.length < 0) {
        const expected = bytes.readUInt32LE(8);
        const actual = maskedCrc32c(bytes, 0, 8);
        if (actual !== expected) throw this.corrupt(`mismatch of length mask (stored ${hex(expected)}, computed ${hex(actual)} for length bytes ${bytes.subarray(0, 8).toString("hex")})`);
        const length = bytes.readBigUInt64LE(0);
        if (length > BigInt(Number.MAX_SAFE_INTEGER - RECORD_OVERHEAD)) throw this.corrupt(`record length ${length} is too large to read`);
        this.length = Number(length);
        this.need = this.length + 4;
      } else {
        const expected = bytes.readUInt32LE(this.length);
        const actual = maskedCrc32c(bytes, 0, this.length);
        if (actual !== expected) throw this.corrupt(`mismatch of data mask for its ${this.length} bytes (stored ${hex(expected)}, computed ${hex(actual)})`);
        out.push(new Uint8Array(bytes.subarray(0, this.length)));
        this.offset += this.length + RECORD_OVERHEAD;
        this.records++;
        this.length = -1;
        this.need = HEADER;
      }
    }
    return out;
  }

  /** Call at the end of the file: throws if it ended inside a record. */
  finish(): void {
    if (this.buffered === 0 && this.length < 0) return;
    const present = this.buffered + (this.length < 0 ? 0 : HEADER);
    const what = this.length < 0 ? `its ${HEADER}-byte header (fewer than ${HEADER} bytes)` : `a record of ${this.length} data bytes, ${this.length + RECORD_OVERHEAD} bytes in all`;
    throw this.corrupt(`the file is truncated: it ends ${present} byte(s) into ${what}`);
  }

  /** The first `n` buffered bytes, removed from the buffer (one copy only when they span chunks). */
  private take(n: number): Buffer {
    const first = this.chunks[0]!;
    let bytes: Buffer;
    if (first.length >= n) {
      bytes = first.subarray(0, n);
      if (first.length === n) this.chunks.shift();
      else this.chunks[0] = first.subarray(n);
    } else {
      bytes = Buffer.allocUnsafe(n);
      let at = 0;
      while (at < n) {
        const c = this.chunks[0]!;
        const used = Math.min(c.length, n - at);
        c.copy(bytes, at, 0, used);
        at += used;
        if (used === c.length) this.chunks.shift();
        else this.chunks[0] = c.subarray(used);
      }
    }
    this.buffered -= n;
    return bytes;
  }

  private corrupt(what: string): TFRecordCorruptError {
    const where = this.compression === "uncompressed" ? `at byte offset ${this.offset}` : `at byte offset ${this.offset} of its ${this.compression}-decompressed data`;
    return new TFRecordCorruptError(
      `Not a valid TFRecord file: ${this.path}, record ${this.records + 1} ${where}: ${what}. ` +
        `The file is corrupt, truncated or not a TFRecord file` +
        (this.compression === "uncompressed" ? ` (if it is compressed, name it .gz/.deflate/.bz2/.zst/.xz/.zip/.snappy/.lzo or pass compression: "gzip", "deflate", "bzip2", "zstd", "lzma", "zip", "snappy", "lzop" or "lzo")` : "") +
        `; rewrite it, or remove it from the pattern.`,
      this.path,
      this.offset,
    );
  }
}
