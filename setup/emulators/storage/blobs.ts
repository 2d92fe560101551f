/**
 * Object bytes, kept apart from object metadata: in memory, or with `--data_dir` as one file per
 * object generation under `<dir>/blobs/` (so a large object is never part of a JSON snapshot).
 *
 * Bytes arrive through a BlobWriter, which computes the CRC32C and MD5 as they stream in; a
 * resumable upload keeps its writer (and, on disk, its partial file `<id>.part`) across requests
 * and restarts. Blobs are immutable once finished. With files, deleting a blob is deferred until
 * the catalog that no longer names it is saved (`collect()`), so a crash never leaves the catalog
 * pointing at a deleted file.
 */
import { createHash, randomUUID, type Hash } from "node:crypto";
import * as fs from "node:fs";
import * as path from "node:path";
import { Readable } from "node:stream";
import { crc32cUpdate } from "../common/crc32c";

/** A finished blob with the checksums the JSON API reports. */
export interface BlobInfo {
  id: string;
  size: number;
  /** base64 of the big-endian CRC32C. */
  crc32c: string;
  /** base64 of the MD5 digest. */
  md5Hash: string;
}

/** Bytes being written: appended in order, then finished (or discarded). */
export interface BlobWriter {
  readonly id: string;
  readonly size: number;
  append(chunk: Buffer): void;
  finish(): BlobInfo;
  discard(): void;
}

export interface BlobStore {
  /** A new blob; `id` names a resumable session's blob so it can be reopened after a restart. */
  create(id?: string): BlobWriter;
  /** Reopens an unfinished blob after a restart (file store only), or `undefined` if it is gone. */
  reopen(id: string): BlobWriter | undefined;
  /** Bytes [start, end) of a blob. */
  read(id: string, start?: number, end?: number): Buffer;
  /** Bytes [start, end) as a stream (downloads). */
  stream(id: string, start: number, end: number): Readable;
  /** A new blob with the same bytes. */
  copy(id: string): string;
  exists(id: string): boolean;
  delete(id: string): void;
  /** Removes deleted blobs and any blob file not in `live` (after the catalog was saved). */
  collect(live?: ReadonlySet<string>): void;
}

function checksums(): { crc: number; md5: Hash } {
  return { crc: 0, md5: createHash("md5") };
}

function crcBase64(crc: number): string {
  const out = Buffer.alloc(4);
  out.writeUInt32BE(crc, 0);
  return out.toString("base64");
}

const newId = (): string => randomUUID().replace(/-/g, "");

/** Blobs as Buffers (no `--data_dir`). */
export class MemoryBlobs implements BlobStore {
  private readonly blobs = new Map<string, Buffer>();

  create(id = newId()): BlobWriter {
    const chunks: Buffer[] = [];
    const sums = checksums();
    let size = 0;
    return {
      id,
      get size() {
        return size;
      },
      append: (chunk) => {
        chunks.push(chunk);
        size += chunk.length;
        sums.crc = crc32cUpdate(sums.crc, chunk);
        sums.md5.update(chunk);
      },
      finish: () => {
        this.blobs.set(id, Buffer.concat(chunks));
        chunks.length = 0;
        return { id, size, crc32c: crcBase64(sums.crc), md5Hash: sums.md5.digest("base64") };
      },
      discard: () => {
        chunks.length = 0;
      },
    };
  }

  reopen(): BlobWriter | undefined {
    return undefined;
  }

  read(id: string, start = 0, end?: number): Buffer {
    return this.get(id).subarray(start, end);
  }

  stream(id: string, start: number, end: number): Readable {
    return Readable.from([this.get(id).subarray(start, end)]);
  }

  copy(id: string): string {
    const copy = newId();
    // Blobs are immutable: the copy can share the bytes.
    this.blobs.set(copy, this.get(id));
    return copy;
  }

  exists(id: string): boolean {
    return this.blobs.has(id);
  }

  delete(id: string): void {
    this.blobs.delete(id);
  }

  collect(): void {}

  private get(id: string): Buffer {
    const blob = this.blobs.get(id);
    if (blob === undefined) throw new Error(`object data ${id} is missing`);
    return blob;
  }
}

/** Blobs as files under `dir` (with `--data_dir`). */
export class FileBlobs implements BlobStore {
  private readonly doomed = new Set<string>();

  constructor(private readonly dir: string) {}

  private file(id: string): string {
    if (!/^[A-Za-z0-9_-]+$/.test(id)) throw new Error(`invalid blob id ${id}`);
    return path.join(this.dir, id);
  }

  create(id = newId()): BlobWriter {
    const part = `${this.file(id)}.part`;
    return this.writer(id, part, fs.openSync(part, "w"), checksums(), 0);
  }

  reopen(id: string): BlobWriter | undefined {
    const part = `${this.file(id)}.part`;
    if (!fs.existsSync(part)) return undefined;
    // Recompute the checksums of what was received before the restart.
    const sums = checksums();
    let size = 0;
    const fd = fs.openSync(part, "r");
    try {
      const buf = Buffer.alloc(1 << 20);
      for (let n = fs.readSync(fd, buf); n > 0; n = fs.readSync(fd, buf)) {
        const chunk = buf.subarray(0, n);
        sums.crc = crc32cUpdate(sums.crc, chunk);
        sums.md5.update(chunk);
        size += n;
      }
    } finally {
      fs.closeSync(fd);
    }
    return this.writer(id, part, fs.openSync(part, "a"), sums, size);
  }

  private writer(id: string, part: string, fd: number, sums: { crc: number; md5: Hash }, initialSize: number): BlobWriter {
    let size = initialSize;
    let open = true;
    const close = (): void => {
      if (open) fs.closeSync(fd);
      open = false;
    };
    return {
      id,
      get size() {
        return size;
      },
      append: (chunk) => {
        for (let off = 0; off < chunk.length; ) off += fs.writeSync(fd, chunk, off);
        size += chunk.length;
        sums.crc = crc32cUpdate(sums.crc, chunk);
        sums.md5.update(chunk);
      },
      finish: () => {
        fs.fsyncSync(fd);
        close();
        fs.renameSync(part, this.file(id));
        return { id, size, crc32c: crcBase64(sums.crc), md5Hash: sums.md5.digest("base64") };
      },
      discard: () => {
        close();
        fs.rmSync(part, { force: true });
      },
    };
  }

  read(id: string, start = 0, end?: number): Buffer {
    const fd = fs.openSync(this.file(id), "r");
    try {
      const size = fs.fstatSync(fd).size;
      const stop = Math.min(end ?? size, size);
      const out = Buffer.alloc(Math.max(0, stop - start));
      for (let off = 0; off < out.length; ) {
        const n = fs.readSync(fd, out, off, out.length - off, start + off);
        if (n === 0) break;
        off += n;
      }
      return out;
    } finally {
      fs.closeSync(fd);
    }
  }

  stream(id: string, start: number, end: number): Readable {
    if (end <= start) return Readable.from([]);
    // Opened now, so a later delete of the file cannot pull the bytes from under the download.
    const fd = fs.openSync(this.file(id), "r");
    return fs.createReadStream("", { fd, start, end: end - 1, autoClose: true });
  }

  copy(id: string): string {
    const copy = newId();
    fs.copyFileSync(this.file(id), this.file(copy), fs.constants.COPYFILE_FICLONE);
    return copy;
  }

  exists(id: string): boolean {
    return fs.existsSync(this.file(id));
  }

  delete(id: string): void {
    this.doomed.add(id);
  }

  collect(live?: ReadonlySet<string>): void {
    for (const id of this.doomed) fs.rmSync(this.file(id), { force: true });
    this.doomed.clear();
    if (live === undefined) return;
    for (const name of fs.readdirSync(this.dir)) {
      const id = name.endsWith(".part") ? name.slice(0, -".part".length) : name;
      if (!live.has(id)) fs.rmSync(path.join(this.dir, name), { force: true });
    }
  }
}
