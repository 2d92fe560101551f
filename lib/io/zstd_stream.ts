/**
 * Zstandard as streams. Reading: fzstd's streaming decoder (pure JavaScript), fed one frame at a
 * time so each frame's content checksum, when it has one, is checked (RFC 8878: the low 32 bits of
 * the XXH64 of the frame's content; fzstd skips it, libzstd — Beam Python's and Java's reader —
 * checks it). This module follows the frame structure (header, block headers, checksum) to know
 * where each frame ends; memory is one block (at most 128 KiB) plus the frame's window. Any number
 * of frames, and skippable frames, are read in order, as Beam Python (a new decompressor for the
 * unused data) and Java (`ZstdCompressorInputStream`) do.
 *
 * Writing: @bokuweb/zstd-wasm (WebAssembly shipped in the package) has only one-shot compression,
 * so the data is written as a frame per `FRAME_BYTES` of input (each with its content size, no
 * checksum, as Beam Python's `ZstdCompressor().compressobj()` writes); every zstd reader reads the
 * frames one after the other.
 */
import { Transform, type TransformCallback } from "node:stream";
import { CorruptCompressedDataError } from "./compression";
import { Xxh64 } from "./xxh64";

interface FzstdDecompress {
  push(chunk: Uint8Array, final?: boolean): void;
}
type FzstdDecompressClass = new (ondata: (data: Uint8Array, final?: boolean) => void) => FzstdDecompress;
export interface ZstdWasm {
  init(): Promise<void>;
  compress(input: Uint8Array, level?: number): Uint8Array;
}

const ZSTD_MAGIC = 0xfd2fb528;
const isSkippable = (magic: number): boolean => (magic & 0xfffffff0) >>> 0 === 0x184d2a50;

type Phase = "magic" | "header" | "skipSize" | "skip" | "blockHeader" | "block" | "checksum";

class ZstdDecompressStream extends Transform {
  private readonly Decompress: FzstdDecompressClass;
  private phase: Phase = "magic";
  /** The bytes of the field being collected (magic number, frame header, block header, checksum). */
  private field = Buffer.alloc(18);
  private fieldLength = 0;
  private fieldWanted = 4;
  /** Bytes left in the block or skippable frame being read. */
  private remaining = 0;
  private lastBlock = false;
  private frame: { decoder: FzstdDecompress; hash: Xxh64 | undefined } | undefined;
  private frames = 0;

  constructor() {
    super();
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    this.Decompress = (require("fzstd") as { Decompress: FzstdDecompressClass }).Decompress;
  }

  override _transform(chunk: Buffer, _encoding: BufferEncoding, callback: TransformCallback): void {
    try {
      this.consume(chunk);
      callback();
    } catch (e) {
      callback(e instanceof CorruptCompressedDataError ? e : new CorruptCompressedDataError(`zstd: ${(e as Error).message}`, { cause: e }));
    }
  }

  override _flush(callback: TransformCallback): void {
    if (this.phase !== "magic" || this.fieldLength > 0) {
      callback(new CorruptCompressedDataError(`zstd: the data ends inside frame ${this.frames + 1} (truncated?)`));
      return;
    }
    callback();
  }

  private consume(chunk: Buffer): void {
    let at = 0;
    while (at < chunk.length) {
      if (this.phase === "block" || this.phase === "skip") {
        const take = Math.min(this.remaining, chunk.length - at);
        if (this.phase === "block") this.frame!.decoder.push(chunk.subarray(at, at + take));
        at += take;
        this.remaining -= take;
        if (this.remaining === 0) this.endBlock();
        continue;
      }
      const take = Math.min(this.fieldWanted - this.fieldLength, chunk.length - at);
      chunk.copy(this.field, this.fieldLength, at, at + take);
      this.fieldLength += take;
      at += take;
      if (this.fieldLength === this.fieldWanted) this.fieldDone();
    }
  }

  private expect(phase: Phase, bytes: number): void {
    this.phase = phase;
    this.fieldWanted = bytes;
    this.fieldLength = 0;
  }

  private fieldDone(): void {
    const field = this.field.subarray(0, this.fieldLength);
    switch (this.phase) {
      case "magic": {
        const magic = field.readUInt32LE(0);
        if (isSkippable(magic)) return this.expect("skipSize", 4);
        if (magic !== ZSTD_MAGIC) throw new CorruptCompressedDataError(`zstd: frame ${this.frames + 1} should start with the zstandard magic number, but starts with ${magic.toString(16).padStart(8, "0")}`);
        // The header's length is known from its descriptor byte, the fifth.
        this.phase = "header";
        this.fieldWanted = 5;
        return;
      }
      case "header": {
        const fhd = field[4]!;
        const singleSegment = (fhd & 0x20) !== 0;
        const length = 5 + (singleSegment ? 0 : 1) + [0, 1, 2, 4][fhd & 3]! + [singleSegment ? 1 : 0, 2, 4, 8][fhd >> 6]!;
        if (this.fieldWanted < length) {
          this.fieldWanted = length;
          return;
        }
        this.frames++;
        const hash = (fhd & 4) !== 0 ? new Xxh64() : undefined;
        const decoder = new this.Decompress((data) => {
          if (data.length === 0) return;
          hash?.update(data);
          this.push(Buffer.from(data));
        });
        decoder.push(Buffer.from(field));
        this.frame = { decoder, hash };
        return this.expect("blockHeader", 3);
      }
      case "skipSize":
        this.remaining = field.readUInt32LE(0);
        this.phase = "skip";
        if (this.remaining === 0) this.expect("magic", 4);
        return;
      case "blockHeader": {
        const header = field[0]! | (field[1]! << 8) | (field[2]! << 16);
        const type = (header >> 1) & 3;
        if (type === 3) throw new CorruptCompressedDataError(`zstd: frame ${this.frames} has a block of the reserved type 3`);
        this.lastBlock = (header & 1) === 1;
        this.remaining = type === 1 ? 1 : header >>> 3;
        this.frame!.decoder.push(Buffer.from(field));
        this.phase = "block";
        if (this.remaining === 0) this.endBlock();
        return;
      }
      case "checksum": {
        const { decoder, hash } = this.frame!;
        decoder.push(Buffer.from(field), true);
        const expected = field.readUInt32LE(0);
        const actual = Number(hash!.digest() & 0xffffffffn);
        if (actual !== expected) {
          throw new CorruptCompressedDataError(`zstd: the checksum of frame ${this.frames}'s content is ${actual.toString(16)}, but the frame says ${expected.toString(16)}`);
        }
        this.frame = undefined;
        return this.expect("magic", 4);
      }
      default:
        return;
    }
  }

  private endBlock(): void {
    if (this.phase === "skip") return this.expect("magic", 4);
    if (!this.lastBlock) return this.expect("blockHeader", 3);
    if (this.frame!.hash !== undefined) return this.expect("checksum", 4);
    this.frame!.decoder.push(new Uint8Array(0), true);
    this.frame = undefined;
    this.expect("magic", 4);
  }
}

/** A stream that decompresses zstandard data (any number of frames). */
export function zstdDecompressStream(): Transform {
  return new ZstdDecompressStream();
}

/** Input bytes per frame written: memory while compressing is about twice this. */
export const FRAME_BYTES = 1 << 20;

let zstdWasm: Promise<ZstdWasm> | undefined;
/**
 * @bokuweb/zstd-wasm, its WebAssembly instantiated once per process (the first time zstd data is
 * written; Avro's zstandard codec uses this too). Its `init` must not run twice: a second one
 * replaces the instance after reporting it ready, and compressions made across the swap are wrong.
 */
export function zstdCompressor(): Promise<ZstdWasm> {
  return (zstdWasm ??= (async () => {
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const z = require("@bokuweb/zstd-wasm") as ZstdWasm;
    await z.init();
    return z;
  })());
}

/** zstd's default level, as Beam Python's `ZstdCompressor()` and the zstd tool use. */
export const ZSTD_DEFAULT_LEVEL = 3;

class ZstdCompressStream extends Transform {
  private parts: Buffer[] = [];
  private bytes = 0;
  private z: ZstdWasm | undefined;
  private frames = 0;

  constructor(private readonly level: number) {
    super();
  }

  override _transform(chunk: Buffer, _encoding: BufferEncoding, callback: TransformCallback): void {
    this.parts.push(chunk);
    this.bytes += chunk.length;
    if (this.bytes < FRAME_BYTES) return callback();
    this.compressed().then(() => callback(), callback);
  }

  override _flush(callback: TransformCallback): void {
    // An empty file is one empty frame, as Beam Python writes it (not zero bytes).
    this.compressed(true).then(() => callback(), callback);
  }

  private async compressed(final = false): Promise<void> {
    const z = (this.z ??= await zstdCompressor());
    const data = Buffer.concat(this.parts, this.bytes);
    this.parts = [];
    this.bytes = 0;
    for (let at = 0; at < data.length || (final && this.frames === 0); at += FRAME_BYTES) {
      this.push(Buffer.from(z.compress(data.subarray(at, at + FRAME_BYTES), this.level)));
      this.frames++;
    }
  }
}

/** A stream that compresses to zstandard frames at `level` (default 3). */
export function zstdCompressStream(level = ZSTD_DEFAULT_LEVEL): Transform {
  return new ZstdCompressStream(level);
}
