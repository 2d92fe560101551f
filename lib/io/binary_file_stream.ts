/**
 * Writing a binary file through FileSystems, as the record-file writers (Avro, Parquet) do: a
 * stream that honours back-pressure, and a whole-file write that takes the filesystem's
 * one-request path for small files (an object store's single upload) and streams larger ones.
 */
import type { Writable } from "node:stream";
import { finished } from "node:stream/promises";
import { FileSystemError } from "./filesystems/filesystem";
import { FileSystems } from "./filesystems/registry";

/** Bytes up to which a whole file goes through the filesystem's `writeSmallFile`. */
const SMALL_FILE_BYTES = 4 << 20;

/** A file written as a stream. */
export class BinaryFileStream {
  private constructor(
    readonly path: string,
    private readonly file: Writable,
  ) {}
  static async open(path: string, mimeType: string): Promise<BinaryFileStream> {
    return new BinaryFileStream(path, await FileSystems.forPath(path).create(path, { mimeType }));
  }
  /** Writes `data`, waiting for the stream to drain when its buffer is full. */
  async write(data: Buffer): Promise<void> {
    if (this.file.write(data)) return;
    await new Promise<void>((resolve, reject) => {
      const cleanup = (): void => {
        this.file.off("drain", onDrain);
        this.file.off("error", onError);
      };
      const onDrain = (): void => (cleanup(), resolve());
      const onError = (e: unknown): void => (cleanup(), reject(e));
      this.file.on("drain", onDrain);
      this.file.on("error", onError);
    });
  }
  async close(): Promise<void> {
    this.file.end();
    await finished(this.file);
  }
  abort(): void {
    this.file.destroy();
  }
}

/** Writes `data` as the file `path`; a failure is a FileSystemError naming the file and the format ("Avro", "Parquet"). */
export async function writeBinaryFile(path: string, data: Buffer, mimeType: string, format: string): Promise<void> {
  const fs = FileSystems.forPath(path);
  try {
    if (fs.writeSmallFile !== undefined && data.length <= SMALL_FILE_BYTES) return await fs.writeSmallFile(path, data);
    const file = await BinaryFileStream.open(path, mimeType);
    try {
      await file.write(data);
      await file.close();
    } catch (e) {
      file.abort();
      throw e;
    }
  } catch (e) {
    if (e instanceof FileSystemError) throw e;
    throw new FileSystemError(`Cannot write ${format} file ${path}: ${(e as Error).message}.`, path, { cause: e });
  }
}
