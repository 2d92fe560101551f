/**
 * Avro object container files (the Avro 1.11 specification's "Object Container Files"): a header
 * (magic `Obj\x01`, metadata with `avro.schema` and `avro.codec`, a 16-byte sync marker) followed
 * by blocks (record count, byte size, the records' binary encoding compressed by the codec, the
 * sync marker). Codecs: codecs.ts.
 *
 * A file is split into byte ranges as Beam's AvroSource splits it: each block is read by the range
 * its preceding sync marker starts in (the header's marker for the first block), so over any
 * ranges covering the file every block, and so every record, is read exactly once.
 */
import type { Readable } from "node:stream";
import type * as avsc from "avsc";
import { FileSystemError } from "../filesystems/filesystem";
import { FileSystems } from "../filesystems/registry";
import { AVRO_READ_CODECS, compressBlock, decompressBlock, isAvroReadCodec, type AvroCodec, type AvroReadCodec } from "./codecs";
import { avro } from "./schema";

export type { AvroCodec } from "./codecs";

const MAGIC = Buffer.from([0x4f, 0x62, 0x6a, 0x01]);
const SYNC_BYTES = 16;

/** A container file's header. */
export interface AvroHeader {
  /** The writer's schema (its JSON). */
  readonly schema: string;
  readonly codec: AvroReadCodec;
  readonly sync: Buffer;
  /** The header's length in bytes: the first block starts here. */
  readonly length: number;
  /** All metadata, as bytes. */
  readonly meta: Readonly<Record<string, Buffer>>;
}

let headerType: avsc.Type | undefined;
function header(): avsc.Type {
  return (headerType ??= avro().Type.forSchema({
    type: "record",
    name: "org.apache.avro.file.Header",
    fields: [
      { name: "magic", type: { type: "fixed", name: "Magic", size: 4 } },
      { name: "meta", type: { type: "map", values: "bytes" } },
      { name: "sync", type: { type: "fixed", name: "Sync", size: SYNC_BYTES } },
    ],
  }));
}

/** A header's bytes, with `avro.schema` and `avro.codec`. */
export function encodeHeader(schema: string, codec: AvroCodec, sync: Buffer): Buffer {
  return header().toBuffer({ magic: MAGIC, meta: { "avro.schema": Buffer.from(schema), "avro.codec": Buffer.from(codec) }, sync });
}

/** A block's bytes: its records' encodings, compressed by the codec, framed and followed by the sync marker. */
export function encodeBlock(records: readonly Buffer[], count: number, codec: AvroCodec, sync: Buffer): Buffer {
  const raw = records.length === 1 ? records[0]! : Buffer.concat(records);
  const data = compressBlock(codec, raw);
  return Buffer.concat([zigzag(count), zigzag(data.length), data, sync]);
}

function zigzag(n: number): Buffer {
  const bytes: number[] = [];
  let v = n >= 0 ? 2 * n : -2 * n - 1;
  while (v >= 0x80) {
    bytes.push((v % 0x80) | 0x80);
    v = Math.floor(v / 0x80);
  }
  bytes.push(v);
  return Buffer.from(bytes);
}

/** Bytes of a stream read from an offset, kept until consumed; positions are the file's. */
class Cursor {
  private buf: Buffer = Buffer.alloc(0);
  /** File offset of buf[0]. */
  private base: number;
  private ended = false;
  private readonly it: AsyncIterator<Buffer>;
  constructor(
    private readonly stream: Readable,
    start: number,
  ) {
    this.base = start;
    this.it = stream[Symbol.asyncIterator]() as AsyncIterator<Buffer>;
  }
  /** Reads more bytes; false at the end of the file. */
  private async more(): Promise<boolean> {
    if (this.ended) return false;
    const next = await this.it.next();
    if (next.done === true) {
      this.ended = true;
      return false;
    }
    this.buf = this.buf.length === 0 ? next.value : Buffer.concat([this.buf, next.value]);
    return true;
  }
  /** At least `n` bytes from `pos` are buffered (false if the file ends first). */
  async has(pos: number, n: number): Promise<boolean> {
    while (this.base + this.buf.length < pos + n) if (!(await this.more())) return false;
    return true;
  }
  /** The bytes [pos, pos + n), which must be buffered. */
  bytes(pos: number, n: number): Buffer {
    return this.buf.subarray(pos - this.base, pos - this.base + n);
  }
  /** Forgets the bytes before `pos`. */
  drop(pos: number): void {
    if (pos > this.base) {
      this.buf = this.buf.subarray(pos - this.base);
      this.base = pos;
    }
  }
  /** The first position ≥ pos where `marker` starts, or undefined at the end of the file. */
  async find(pos: number, marker: Buffer): Promise<number | undefined> {
    for (;;) {
      const at = this.buf.indexOf(marker, Math.max(0, pos - this.base));
      if (at >= 0) return this.base + at;
      this.drop(Math.max(pos, this.base + this.buf.length - marker.length + 1));
      pos = this.base;
      if (!(await this.more())) return undefined;
    }
  }
  /** A zigzag varint long at `pos` (safe integers only): its value and length; undefined at the end of the file. */
  async long(pos: number): Promise<{ value: number; length: number } | undefined> {
    let result = 0;
    let scale = 1;
    for (let i = 0; i < 10; i++) {
      if (!(await this.has(pos + i, 1))) return undefined;
      const b = this.buf[pos + i - this.base]!;
      result += (b & 0x7f) * scale;
      scale *= 0x80;
      if ((b & 0x80) === 0) return { value: result % 2 === 0 ? result / 2 : -(result + 1) / 2, length: i + 1 };
    }
    throw new Error(`a varint at byte ${pos} is longer than 10 bytes`);
  }
  close(): void {
    this.stream.destroy();
  }
}

function corrupt(path: string, message: string, cause?: unknown): FileSystemError {
  return new FileSystemError(`Cannot read Avro file ${path}: ${message}.`, path, cause !== undefined ? { cause, code: "DATA_LOSS" } : { code: "DATA_LOSS" });
}

/** Reads a file's header (from its start). */
export async function readAvroHeader(path: string): Promise<AvroHeader> {
  const cursor = new Cursor(await FileSystems.openRead(path, { bufferSize: 1 << 16 }), 0);
  try {
    for (let want = 4096; ; want *= 2) {
      const complete = await cursor.has(0, want);
      const bytes = cursor.bytes(0, want);
      if (bytes.length >= 4 && !bytes.subarray(0, 4).equals(MAGIC)) throw corrupt(path, `it does not start with Avro's magic bytes "Obj\\x01" (is it an Avro object container file?)`);
      let decoded: { value: unknown; offset: number };
      try {
        decoded = header().decode(bytes, 0);
      } catch (e) {
        throw corrupt(path, `its header is malformed (${(e as Error).message})`, e);
      }
      if (decoded.offset >= 0) {
        const h = decoded.value as { meta: Record<string, Buffer>; sync: Buffer };
        const schema = h.meta["avro.schema"]?.toString("utf8");
        if (schema === undefined) throw corrupt(path, "its header has no avro.schema");
        const codec = h.meta["avro.codec"]?.toString("utf8") ?? "null";
        if (!isAvroReadCodec(codec)) {
          throw new FileSystemError(
            `Cannot read Avro file ${path}: its blocks are compressed with the codec "${codec}", which Beamline cannot read (it reads ${AVRO_READ_CODECS.join(", ")}, the Avro specification's codecs). ` +
              `Rewrite the file with one of those (e.g. avro-tools recodec --codec deflate), or have its writer use one.`,
            path,
            { code: "UNIMPLEMENTED" },
          );
        }
        return { schema, codec, sync: Buffer.from(h.sync), length: decoded.offset, meta: h.meta };
      }
      if (!complete) throw corrupt(path, bytes.length === 0 ? "it is empty (an Avro file has at least a header)" : "it ends inside its header");
    }
  } finally {
    cursor.close();
  }
}

/** A block's records, decompressed: `count` records in `data`. */
export interface AvroBlock {
  readonly count: number;
  readonly data: Buffer;
  /** File offset of the sync marker before the block. */
  readonly offset: number;
}

/**
 * The blocks of [start, end) of a file: those whose preceding sync marker starts in the range.
 * Calls `onBlock` with each, in order.
 */
export async function readAvroBlocks(path: string, head: AvroHeader, start: number, end: number, onBlock: (block: AvroBlock) => void): Promise<void> {
  const headerSync = head.length - SYNC_BYTES;
  if (end <= start || end <= headerSync) return;
  const from = start <= headerSync ? head.length : start;
  const cursor = new Cursor(await FileSystems.openRead(path, { start: from, bufferSize: 1 << 16 }), from);
  try {
    let sync = start <= headerSync ? headerSync : await cursor.find(from, head.sync);
    while (sync !== undefined && sync < end) {
      let pos = sync + SYNC_BYTES;
      cursor.drop(pos);
      const count = await cursor.long(pos);
      if (count === undefined) return; // the end of the file
      pos += count.length;
      const size = await cursor.long(pos);
      if (size === undefined || count.value < 0 || size.value < 0) throw corrupt(path, `the block after byte ${sync} has a malformed header`);
      pos += size.length;
      if (!(await cursor.has(pos, size.value + SYNC_BYTES))) throw corrupt(path, `it ends inside the block after byte ${sync} (truncated?)`);
      const marker = cursor.bytes(pos + size.value, SYNC_BYTES);
      if (!marker.equals(head.sync)) throw corrupt(path, `the block after byte ${sync} is not followed by the file's sync marker (corrupt, or its size is wrong)`);
      const stored = cursor.bytes(pos, size.value);
      let data: Buffer;
      try {
        data = await decompressBlock(head.codec, stored);
      } catch (e) {
        throw corrupt(path, `the ${head.codec} data of the block after byte ${sync} is corrupt (${(e as Error).message})`, e);
      }
      onBlock({ count: count.value, data, offset: sync });
      sync = pos + size.value;
    }
  } finally {
    cursor.close();
  }
}
