/**
 * TFRecord files' compression and their reading and writing as streams of bytes. Compression is
 * the file IOs' shared set (../compression): gzip and deflate, chosen by suffix with "auto"
 * (.gz, .deflate), as Beam's AUTO.
 */
import type { Readable, Writable } from "node:stream";
import { pipeline } from "node:stream";
import { finished } from "node:stream/promises";
import { FileSystemError, type FileOperations } from "../filesystems/filesystem";
import { FileSystems } from "../filesystems/registry";
import { compressing, decompressing, resolveCompression, type Compression, type WriteCompression } from "../compression";
import { TFRecordParser } from "./codec";

/** How TFRecord files are compressed: "auto" (default) by suffix, `.gz` gzip, `.deflate` deflate, else uncompressed (the file IOs' shared set). */
export type TFRecordCompression = Compression;

/** `compression` for the file at `path` ("auto" resolved by its suffix). */
export const resolveTFRecordCompression = resolveCompression;

/**
 * Reads the records of one TFRecord file, from its start (the format has no sync markers, so a
 * file is never split), calling `onRecords` with each chunk's completed records.
 */
export async function readTFRecordFile(path: string, compression: TFRecordCompression, onRecords: (records: Uint8Array[]) => void): Promise<void> {
  const resolved = resolveTFRecordCompression(path, compression);
  const raw = await FileSystems.openRead(path, { bufferSize: 1 << 16 });
  let source: Readable = raw;
  const z = decompressing(resolved);
  if (z !== undefined) {
    source = pipeline(raw, z, () => {
      /* errors surface through the decompressing stream */
    });
  }
  const parser = new TFRecordParser(path, resolved);
  try {
    for await (const chunk of source) {
      const records = parser.push(chunk as Buffer);
      if (records.length > 0) onRecords(records);
    }
  } catch (err) {
    if (err instanceof FileSystemError || (err as Error).name === "TFRecordCorruptError") throw err;
    const hint = resolved !== "uncompressed" ? ` Is it really ${resolved}-compressed? Pass the right compression (or "uncompressed").` : "";
    throw new FileSystemError(`Cannot read TFRecord file ${path} (${resolved}), after ${parser.records} record(s): ${(err as Error).message}.${hint}`, path, { cause: err });
  } finally {
    source.destroy();
    raw.destroy();
  }
  parser.finish();
}

/**
 * One TFRecord file written as a stream: `write` returns a promise only when the caller should
 * wait (the file is busy); `abort` leaves a partial file for the caller to delete.
 */
export class TFRecordStreamWriter {
  private failure: unknown;
  private constructor(
    readonly path: string,
    private readonly target: Writable,
    private readonly completion: Promise<void>,
  ) {
    completion.catch((err: unknown) => {
      this.failure ??= err;
    });
  }

  static async open(fs: Pick<FileOperations, "create">, path: string, compression: WriteCompression): Promise<TFRecordStreamWriter> {
    const file = await fs.create(path, { mimeType: "application/octet-stream" });
    const z = compressing(compression, { chunkSize: 1 << 16 });
    if (z === undefined) return new TFRecordStreamWriter(path, file, finished(file));
    const completion = new Promise<void>((resolve, reject) => pipeline(z, file, (err) => (err ? reject(err) : resolve())));
    return new TFRecordStreamWriter(path, z, completion);
  }

  write(data: Buffer): Promise<void> | void {
    if (this.failure !== undefined) throw this.error(this.failure);
    if (this.target.write(data)) return;
    return new Promise<void>((resolve, reject) => {
      const done = (err?: unknown): void => {
        this.target.off("drain", onDrain);
        this.target.off("error", onError);
        this.target.off("close", onClose);
        if (err === undefined) resolve();
        else reject(this.error(err));
      };
      const onDrain = (): void => done();
      const onError = (err: unknown): void => done(err);
      const onClose = (): void => done(this.failure ?? new Error("the file was closed while writing"));
      this.target.on("drain", onDrain);
      this.target.on("error", onError);
      this.target.on("close", onClose);
    });
  }

  async close(): Promise<void> {
    this.target.end();
    try {
      await this.completion;
    } catch (err) {
      throw this.error(err);
    }
  }

  async abort(): Promise<void> {
    this.target.destroy();
    await this.completion.catch(() => undefined);
  }

  private error(err: unknown): FileSystemError {
    if (err instanceof FileSystemError) return err;
    return new FileSystemError(`Cannot write TFRecord file ${this.path}: ${err instanceof Error ? err.message : String(err)}.`, this.path, { cause: err });
  }
}
