/**
 * ZIP archives read as Beam Java's `Compression.ZIP` reads them: the data of every entry, in the
 * order they are stored, as one stream (its `FullZipInputStream` over `java.util.zip.ZipInputStream`,
 * which reads the local headers front to back and never looks at the central directory). So a
 * directory entry adds nothing and two files' contents follow each other. Entries are stored or
 * deflated, as ZipInputStream allows: deflated entries are inflated by node:zlib's InflateRaw, one
 * per entry, which tells where the entry's data ends (a deflate stream ends itself), so entries
 * whose sizes come after their data (a data descriptor, as streaming zippers write) are read too.
 * Each entry's CRC-32 and sizes are checked, as ZipInputStream checks them; encrypted entries and
 * other methods fail, as they do in Java. Reading stops at the central directory.
 *
 * Memory: the current entry's inflater and the input not parsed yet (a header at most 64 KiB).
 */
import { Transform, type TransformCallback } from "node:stream";
import type { InflateRaw } from "node:zlib";
import { CorruptCompressedDataError, zlib } from "./compression";
import { writeInflating } from "./inflate_stream";

const LOCAL = 0x04034b50;
const DESCRIPTOR = 0x08074b50;
/** Signatures that end the entries: central directory, digital signature, zip64 end record and locator, end record. */
const ENDS = new Set([0x02014b50, 0x05054b50, 0x06064b50, 0x07064b50, 0x06054b50]);
const STORED = 0;
const DEFLATED = 8;
const MAX32 = 0xffffffff;

interface Entry {
  readonly name: string;
  readonly method: number;
  readonly descriptor: boolean;
  readonly zip64: boolean;
  crc: number;
  compressed: number;
  size: number;
  /** Output so far, and its CRC-32. */
  written: number;
  crcOf: number;
  /** Compressed bytes consumed so far. */
  consumed: number;
}

type State = "header" | "data" | "descriptor" | "done";

class UnzipStream extends Transform {
  private buf: Buffer = Buffer.alloc(0);
  private state: State = "header";
  private entry: Entry | undefined;
  private inflate: InflateRaw | undefined;
  private inflateEnded: Promise<void> | undefined;
  private failure: Error | undefined;
  private fed = 0;

  override _transform(chunk: Buffer, _encoding: BufferEncoding, callback: TransformCallback): void {
    this.buf = this.buf.length === 0 ? chunk : Buffer.concat([this.buf, chunk]);
    this.run(false).then(() => callback(), (e: unknown) => callback(corrupt(e)));
  }

  override _flush(callback: TransformCallback): void {
    this.run(true).then(() => {
      if (this.state === "done" || (this.state === "header" && this.buf.length === 0)) callback();
      else callback(new CorruptCompressedDataError(`zip: the archive ends inside ${this.entry !== undefined ? `entry '${this.entry.name}'` : "a header"} (truncated?)`));
    }, (e: unknown) => callback(corrupt(e)));
  }

  override _destroy(error: Error | null, callback: (error: Error | null) => void): void {
    this.inflate?.destroy();
    callback(error);
  }

  private async run(ended: boolean): Promise<void> {
    for (;;) {
      switch (this.state) {
        case "done":
          this.buf = Buffer.alloc(0);
          return;
        case "header":
          if (!this.header()) return;
          break;
        case "data":
          if (!(await this.data(ended))) return;
          break;
        case "descriptor":
          if (!this.descriptor()) return;
          break;
      }
    }
  }

  /** Parses a local header (or the end of the entries): false when more input is needed. */
  private header(): boolean {
    if (this.buf.length < 4) return false;
    const sig = this.buf.readUInt32LE(0);
    if (ENDS.has(sig)) {
      this.state = "done";
      return true;
    }
    if (sig !== LOCAL) throw new CorruptCompressedDataError(`zip: not a ZIP archive, or a corrupt one (no local file header where one should start: bytes ${this.buf.subarray(0, 4).toString("hex")})`);
    if (this.buf.length < 30) return false;
    const flags = this.buf.readUInt16LE(6);
    const method = this.buf.readUInt16LE(8);
    const nameLength = this.buf.readUInt16LE(26);
    const extraLength = this.buf.readUInt16LE(28);
    if (this.buf.length < 30 + nameLength + extraLength) return false;
    const name = this.buf.toString(flags & 0x800 ? "utf8" : "latin1", 30, 30 + nameLength);
    if (flags & 1) throw new CorruptCompressedDataError(`zip: entry '${name}' is encrypted, which is not supported (nor by Beam Java's ZipInputStream)`);
    if (method !== STORED && method !== DEFLATED) {
      throw new CorruptCompressedDataError(`zip: entry '${name}' uses compression method ${method}; only stored (0) and deflated (8) entries are read, as in Beam Java`);
    }
    const descriptor = (flags & 8) !== 0;
    if (descriptor && method === STORED) throw new CorruptCompressedDataError(`zip: stored entry '${name}' has a data descriptor (only deflated entries can, as Java's ZipInputStream says)`);
    let compressed = this.buf.readUInt32LE(18);
    let size = this.buf.readUInt32LE(22);
    let zip64 = false;
    if (compressed === MAX32 || size === MAX32) {
      const extra = this.buf.subarray(30 + nameLength, 30 + nameLength + extraLength);
      for (let at = 0; at + 4 <= extra.length; ) {
        const id = extra.readUInt16LE(at);
        const length = extra.readUInt16LE(at + 2);
        if (id === 0x0001 && length >= 16) {
          size = Number(extra.readBigUInt64LE(at + 4));
          compressed = Number(extra.readBigUInt64LE(at + 12));
          zip64 = true;
        }
        at += 4 + length;
      }
      if (!zip64 && !descriptor) throw new CorruptCompressedDataError(`zip: entry '${name}' says its size is in a ZIP64 extra field, which it lacks`);
    }
    this.entry = { name, method, descriptor, zip64, crc: this.buf.readUInt32LE(14), compressed, size, written: 0, crcOf: 0, consumed: 0 };
    this.buf = this.buf.subarray(30 + nameLength + extraLength);
    this.state = "data";
    return true;
  }

  private out(entry: Entry, data: Buffer): void {
    entry.written += data.length;
    entry.crcOf = zlib().crc32(data, entry.crcOf);
    this.push(data);
  }

  /** Reads an entry's data: false when more input is needed. */
  private async data(ended: boolean): Promise<boolean> {
    const entry = this.entry!;
    if (entry.method === STORED) {
      const take = Math.min(entry.compressed - entry.consumed, this.buf.length);
      if (take > 0) this.out(entry, Buffer.from(this.buf.subarray(0, take)));
      entry.consumed += take;
      this.buf = this.buf.subarray(take);
      if (entry.consumed < entry.compressed) return false;
      this.finishEntry();
      return true;
    }
    if (this.inflate === undefined) {
      const inflate = zlib().createInflateRaw({ chunkSize: 1 << 16 });
      inflate.on("data", (d: Buffer) => this.out(entry, d));
      inflate.on("error", (e: Error) => (this.failure ??= e));
      this.inflateEnded = new Promise<void>((resolve) => inflate.once("end", resolve));
      this.inflate = inflate;
      this.fed = 0;
    }
    const inflate = this.inflate;
    if (this.buf.length === 0) {
      if (!ended) return false;
      // The input has ended: the entry's deflate stream is whole only if it ended with the last bytes.
      await this.endInflate();
      return this.afterInflate(0);
    }
    const rest = this.buf;
    this.fed += rest.length;
    await writeInflating(inflate, rest);
    if (this.failure !== undefined) throw this.failure;
    const left = this.fed - inflate.bytesWritten;
    if (left === 0) {
      // All taken: the deflate stream goes on (or ends exactly here, noticed when the next bytes are refused).
      this.buf = Buffer.alloc(0);
      return ended;
    }
    // The deflate stream ended inside this input: its output is complete once it emits 'end'.
    await this.endInflate();
    return this.afterInflate(left);
  }

  private async endInflate(): Promise<void> {
    const inflate = this.inflate!;
    const failed = new Promise<void>((resolve) => inflate.once("error", () => resolve()));
    inflate.end();
    await Promise.race([this.inflateEnded, failed]);
    if (this.failure !== undefined) throw this.failure;
  }

  private afterInflate(left: number): boolean {
    const entry = this.entry!;
    entry.consumed = this.inflate!.bytesWritten;
    this.inflate = undefined;
    this.buf = this.buf.subarray(this.buf.length - left);
    if (entry.descriptor) this.state = "descriptor";
    else this.finishEntry();
    return true;
  }

  /** Reads a data descriptor (its signature optional; 64-bit sizes for ZIP64 entries): false when more input is needed. */
  private descriptor(): boolean {
    const entry = this.entry!;
    const signed = this.buf.length >= 4 && this.buf.readUInt32LE(0) === DESCRIPTOR;
    const at = signed ? 4 : 0;
    const wide = entry.zip64;
    const need = at + 4 + (wide ? 16 : 8);
    if (this.buf.length < need) return false;
    entry.crc = this.buf.readUInt32LE(at);
    entry.compressed = wide ? Number(this.buf.readBigUInt64LE(at + 4)) : this.buf.readUInt32LE(at + 4);
    entry.size = wide ? Number(this.buf.readBigUInt64LE(at + 12)) : this.buf.readUInt32LE(at + 8);
    this.buf = this.buf.subarray(need);
    this.finishEntry();
    return true;
  }

  /** Checks the entry's sizes and CRC-32, as ZipInputStream does, and goes on to the next header. */
  private finishEntry(): void {
    const e = this.entry!;
    if (e.written !== e.size) throw new CorruptCompressedDataError(`zip: entry '${e.name}' has ${e.written} bytes, but its header says ${e.size}`);
    if (e.consumed !== e.compressed) throw new CorruptCompressedDataError(`zip: entry '${e.name}' has ${e.consumed} compressed bytes, but its header says ${e.compressed}`);
    if (e.crcOf >>> 0 !== e.crc >>> 0) throw new CorruptCompressedDataError(`zip: entry '${e.name}' fails its CRC-32 check (corrupt)`);
    this.entry = undefined;
    this.state = "header";
  }
}

function corrupt(e: unknown): Error {
  if (e instanceof CorruptCompressedDataError) return e;
  const err = e as Error & { code?: unknown };
  return new CorruptCompressedDataError(`zip: ${err.message}${typeof err.code === "string" ? ` (${err.code})` : ""}`, { cause: e });
}

/** A stream that reads a ZIP archive's entries, one after the other, as one stream (Beam Java's ZIP). */
export function unzipStream(): Transform {
  return new UnzipStream();
}
