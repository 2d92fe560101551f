/**
 * bzip2 decompressed as a stream, one block at a time, with seek-bzip (pure JavaScript). seek-bzip
 * reads its input synchronously, a byte at a time, so it cannot wait for input in the middle of a
 * block: a block is decoded once enough compressed bytes are buffered for it (a block holds at most
 * 100 000 × level bytes before compression, and bzip2 hardly expands data), and should a block still
 * run past them, the decoder is put back where the block began and tried again with more input.
 * Memory is about one block's compressed bytes plus its output (the output is pushed in 64 KiB
 * pieces as the block is decoded; seek-bzip decodes some 2-3 MB of output a second). Concatenated streams (`cat a.bz2 b.bz2`) are read one after the
 * other, as Beam Python (a new `BZ2Decompressor` for the unused data) and Java
 * (`BZip2CompressorInputStream(in, true)`) read them. Block and stream CRCs are checked.
 *
 * This drives seek-bzip 2.0.0's decoder through the methods its own `decode` uses
 * (`_init_block`, `_read_bunzip`, `reader`, `streamCRC`); the version is pinned.
 */
import { Transform, type TransformCallback } from "node:stream";
import { CorruptCompressedDataError } from "./compression";

interface BitReader {
  bitOffset: number;
  curByte: number;
  hasByte: boolean;
  read(bits: number): number;
}
interface Bunzip {
  reader: BitReader;
  streamCRC: number;
  dbufSize: number;
  _init_block(): boolean;
  _read_bunzip(): number;
}
interface ByteSource {
  readByte(): number;
  read(buffer: Uint8Array, offset: number, length: number): number;
}
interface ByteSink {
  writeByte(byte: number): void;
}
type BunzipClass = new (input: ByteSource, output: ByteSink) => Bunzip;

/** Thrown by the input when a block runs past the bytes buffered so far (and more may come). */
const NEED_MORE = Symbol("bzip2: need more input");
const OUT_BYTES = 1 << 16;

class Bunzip2Stream extends Transform {
  private readonly Bunzip: BunzipClass;
  /** Input arrived since the last decode step. */
  private queued: Buffer[] = [];
  private queuedBytes = 0;
  /** Input being decoded, and where the decoder is in it. */
  private input: Buffer = Buffer.alloc(0);
  private pos = 0;
  private ended = false;
  private bz: Bunzip | undefined;
  private out = Buffer.allocUnsafe(OUT_BYTES);
  private outLength = 0;
  private readonly source: ByteSource;
  private readonly sink: ByteSink;

  /** `blockInputBytes`: compressed bytes to wait for before decoding a block (default: about a block's worth). */
  constructor(private readonly blockInputBytes?: number) {
    super();
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    this.Bunzip = require("seek-bzip") as BunzipClass;
    const self = this;
    this.source = {
      readByte(): number {
        if (self.pos < self.input.length) return self.input[self.pos++]!;
        if (!self.ended) throw NEED_MORE;
        throw new CorruptCompressedDataError("bzip2: the data ends inside a stream (truncated?)");
      },
      read(buffer: Uint8Array, offset: number, length: number): number {
        for (let i = 0; i < length; i++) buffer[offset + i] = this.readByte();
        return length;
      },
    };
    this.sink = {
      writeByte(byte: number): void {
        self.out[self.outLength++] = byte;
        if (self.outLength === OUT_BYTES) self.emit_();
      },
    };
  }

  override _transform(chunk: Buffer, _encoding: BufferEncoding, callback: TransformCallback): void {
    this.queued.push(chunk);
    this.queuedBytes += chunk.length;
    callback(this.step());
  }

  override _flush(callback: TransformCallback): void {
    this.ended = true;
    callback(this.step());
  }

  /** Decodes what the buffered input allows; an error for corrupt data. */
  private step(): Error | null {
    try {
      this.decode();
      return null;
    } catch (e) {
      if (e instanceof CorruptCompressedDataError) return e;
      return new CorruptCompressedDataError(`bzip2: ${(e as Error).message}`, { cause: e });
    }
  }

  private available(): number {
    return this.input.length - this.pos + this.queuedBytes;
  }

  /** Moves arrived input behind what is being decoded, dropping the bytes already decoded. */
  private merge(): void {
    if (this.queuedBytes === 0) return;
    this.input = Buffer.concat([this.input.subarray(this.pos), ...this.queued]);
    this.pos = 0;
    this.queued = [];
    this.queuedBytes = 0;
  }

  private decode(): void {
    for (;;) {
      if (this.bz === undefined) {
        // Between streams: the next one (if any) starts with its "BZh" header.
        if (this.available() === 0 || (!this.ended && this.available() < 4)) return;
        this.merge();
        this.bz = new this.Bunzip(this.source, this.sink);
      }
      const bz = this.bz;
      if (!this.ended && this.available() < (this.blockInputBytes ?? bz.dbufSize + (bz.dbufSize >> 3) + 4096)) return;
      this.merge();
      const mark = { pos: this.pos, bitOffset: bz.reader.bitOffset, curByte: bz.reader.curByte, hasByte: bz.reader.hasByte, crc: bz.streamCRC };
      try {
        if (bz._init_block()) {
          bz._read_bunzip();
          this.emit_();
          continue;
        }
        const expected = bz.reader.read(32) >>> 0;
        if (expected !== bz.streamCRC) {
          throw new CorruptCompressedDataError(`bzip2: the stream's CRC is ${bz.streamCRC.toString(16)}, but the stream says ${expected.toString(16)}`);
        }
        this.bz = undefined;
      } catch (e) {
        if (e !== NEED_MORE) throw e;
        // The block runs on past the input so far: start it again when more has come.
        this.pos = mark.pos;
        Object.assign(bz.reader, { bitOffset: mark.bitOffset, curByte: mark.curByte, hasByte: mark.hasByte });
        bz.streamCRC = mark.crc;
        return;
      }
    }
  }

  /** Pushes the output decoded so far. */
  private emit_(): void {
    if (this.outLength === 0) return;
    this.push(Buffer.from(this.out.subarray(0, this.outLength)));
    this.outLength = 0;
  }
}

/**
 * A stream that decompresses bzip2 data (one or more concatenated streams). `blockInputBytes`
 * (tests) makes blocks start with less input, so they run past it and are started again.
 */
export function bunzip2Stream(blockInputBytes?: number): Transform {
  return new Bunzip2Stream(blockInputBytes);
}
