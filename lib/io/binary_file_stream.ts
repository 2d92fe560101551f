/**
 * Writing a binary file through FileSystems, as the record-file writers (Avro, Parquet) do: a
 * stream that honours back-pressure, and a whole-file write that takes the filesystem's
 * one-request path for small files (an object store's single upload) and streams larger ones;
 * and the two DoFns those writers share, over a format's RecordFileBuilder: one file per bundle
 * (runner-decided sharding) and one file per shard's group (a fixed shard count).
 */
import type { Writable } from "node:stream";
import { finished } from "node:stream/promises";
import { BundleContext, DoFn, ProcessContext } from "../model/dofn";
import { randomId } from "../model/ids";
import type { KV } from "../model/window";
import { FileSystemError } from "./filesystems/filesystem";
import { FileSystems } from "./filesystems/registry";
import { tempPathFor, type ShardedFilesTarget, type WrittenFile } from "./sharded_files";

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

/** A record file being built in memory (an Avro container, a Parquet file): what the bundle writers need of it. */
export interface RecordFileBuilder<E> {
  /** Adds one record (checked and encoded). */
  add(record: E): void;
  /** Bytes encoded and not yet taken. */
  readonly bytes: number;
  /** Records added so far. */
  readonly records: number;
  /** The encoded bytes so far (and forgets them); with `final`, the rest of the file too. */
  take(final: boolean): Buffer;
}

/** How one record-file format's shards are built and written, for WriteBundleFiles and WriteShardGroupFiles. */
export interface RecordFileFormat<E> {
  /** The sharded write's target (its temporary files go beside the prefix). */
  readonly target: ShardedFilesTarget;
  /** A new, empty file. */
  newFile(): RecordFileBuilder<E>;
  /** Whole files up to this many bytes are written in one request; larger ones are streamed. */
  readonly wholeFileBytes: number;
  readonly mimeType: string;
  /** The format's name in errors ("Avro"). */
  readonly name: string;
  /** Loads what writing needs (e.g. a codec's library), once per instance. */
  prepare?(): Promise<void>;
}

/** Writes one whole file of `format`. */
export function writeWholeRecordFile<E>(format: RecordFileFormat<E>, path: string, data: Buffer): Promise<void> {
  return writeBinaryFile(path, data, format.mimeType, format.name);
}

/** Runner-decided sharding: one file per bundle, written whole, or streamed once it outgrows `wholeFileBytes`. */
export class WriteBundleFiles<E> extends DoFn<E, WrittenFile> {
  private file: RecordFileBuilder<E> | undefined;
  private stream: BinaryFileStream | undefined;
  constructor(private readonly format: RecordFileFormat<E>) {
    super();
  }
  async setup(): Promise<void> {
    await this.format.prepare?.();
  }
  startBundle(): void {
    this.file = undefined;
    this.stream = undefined;
  }
  async process(record: E, ctx: ProcessContext<WrittenFile>): Promise<void> {
    const file = (this.file ??= this.format.newFile());
    file.add(record);
    if (file.bytes >= this.format.wholeFileBytes) {
      this.stream ??= await BinaryFileStream.open(tempPathFor(this.format.target, ctx.runtime, randomId()), this.format.mimeType);
      await this.stream.write(file.take(false));
    }
  }
  async finishBundle(ctx: BundleContext<WrittenFile>): Promise<void> {
    const file = this.file;
    if (file === undefined) return;
    this.file = undefined;
    if (this.stream === undefined) {
      const tempPath = tempPathFor(this.format.target, ctx.runtime, randomId());
      await writeWholeRecordFile(this.format, tempPath, file.take(true));
      ctx.output({ tempPath, records: file.records });
      return;
    }
    const stream = this.stream;
    await stream.write(file.take(true));
    this.stream = undefined;
    await stream.close();
    ctx.output({ tempPath: stream.path, records: file.records });
  }
  /** A failed bundle leaves an open file: close it so the runner's cleanup can remove it. */
  teardown(): void {
    this.stream?.abort();
    this.stream = undefined;
  }
}

/** A fixed shard count: each shard's group of records as one file. */
export class WriteShardGroupFiles<E> extends DoFn<KV<number, E[]>, WrittenFile> {
  constructor(private readonly format: RecordFileFormat<E>) {
    super();
  }
  async setup(): Promise<void> {
    await this.format.prepare?.();
  }
  async process(group: KV<number, E[]>, ctx: ProcessContext<WrittenFile>): Promise<void> {
    const tempPath = tempPathFor(this.format.target, ctx.runtime, `shard-${group.key}-${randomId()}`);
    const file = this.format.newFile();
    for (const r of group.value) file.add(r);
    await writeWholeRecordFile(this.format, tempPath, file.take(true));
    ctx.output({ tempPath, records: file.records });
  }
}
