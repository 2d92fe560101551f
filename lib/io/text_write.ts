/** Writing text files: buffered shard writers, Beam shard naming, atomic finalisation. */
import { randomHex } from "../model/ids";
import { pipeline, Transform, type Writable } from "node:stream";
import { finished } from "node:stream/promises";
import { errnoCode, FileSystemError, type FileOperations } from "./filesystems/filesystem";
import { escapeGlob } from "./filesystems/glob";
import { comparablePath, FileSystems } from "./filesystems/registry";
import { compressing, compressWhole, type Compression, resolveWriteCompression } from "./compression";
import { COMMIT_ORDER_FILES, type JsonValue, type OutputCommit, registerCommitter } from "../model/commits";

// ---------------------------------------------------------------------------------------------
// Writing

/** Options of `TextShardWriter.open`. */
export interface TextShardWriterOptions {
  /** Written first, followed by the line separator. */
  readonly header?: string;
  /** Written last, followed by the line separator. */
  readonly footer?: string;
  /** Written after every line; default "\n". */
  readonly lineSeparator?: string;
  /** Default "auto": by the path's suffix (`.gz` gzip, `.deflate` deflate, `.zst` zstd, `.lzo` lzop, `.lzo_deflate` lzo; `.bz2`, `.xz`, `.zip` and `.snappy` are refused). */
  readonly compression?: Compression;
  /** Characters buffered before one write to the file; default 1 Mi. */
  readonly bufferSize?: number;
  /** gzip or deflate level 1 (fastest) to 9 (smallest), default zlib's 6, like Beam; zstd level 1 to 22, default 3 (as Beam Python). */
  readonly compressionLevel?: number;
}

/** What `TextShardWriter.close` wrote. */
export interface ShardWriteResult {
  readonly path: string;
  /** Bytes of the file (its compressed size when compressed). */
  readonly bytes: number;
  /** Lines written (header and footer not counted). */
  readonly lines: number;
}

/** The content type a file store gets for each compression. */
const MIME_TYPES = { uncompressed: "text/plain", gzip: "application/gzip", deflate: "application/x-deflate", zstd: "application/zstd", lzop: "application/x-lzop", lzo: "application/octet-stream" } as const;

function writeError(path: string, err: unknown): FileSystemError {
  if (err instanceof FileSystemError) return err;
  const message = err instanceof Error ? err.message : String(err);
  const hint =
    errnoCode(err) === "ENOSPC" || errnoCode(err) === "EDQUOT" ? " Free some space or write somewhere else." : "";
  return new FileSystemError(`Cannot write ${path}: ${message}.${hint}`, path, { cause: err });
}

/** The largest text (in UTF-16 units) `TextShardWriter.writeWhole` writes in one call of `writeSmallFile`. */
export const WHOLE_FILE_MAX_CHARS = 1 << 20;

/**
 * Writes lines to one file, buffering them into large writes and respecting backpressure:
 * `writeLines` returns a promise only when the caller should wait before writing more.
 *
 *   const w = await TextShardWriter.open(FileSystems, "out/part.txt.gz", { header: "word,count" });
 *   for await (const batch of batches) { const wait = w.writeLines(batch); if (wait) await wait; }
 *   const { bytes, lines } = await w.close();
 */
export class TextShardWriter {
  private pending: string[] = [];
  private pendingChars = 0;
  private lineCount = 0;
  private byteCount = 0;
  private failure: unknown;
  private closed = false;

  private constructor(
    readonly path: string,
    private readonly target: Writable,
    private readonly completion: Promise<void>,
    private readonly countWrites: boolean,
    private readonly separator: string,
    private readonly footer: string | undefined,
    private readonly bufferSize: number,
  ) {
    completion.catch((err: unknown) => {
      this.failure ??= err;
    });
  }

  /** Creates the file (and its parent directories) and writes the header, if any. */
  static async open(
    fs: Pick<FileOperations, "create">,
    path: string,
    options: TextShardWriterOptions = {},
  ): Promise<TextShardWriter> {
    const compression = resolveWriteCompression(path, options.compression ?? "auto");
    const file = await fs.create(path, { mimeType: MIME_TYPES[compression] });
    const separator = options.lineSeparator ?? "\n";
    const bufferSize = Math.max(1, options.bufferSize ?? 1 << 20);
    let writer: TextShardWriter;
    const deflate = compressing(compression, { chunkSize: 1 << 16, ...(options.compressionLevel !== undefined ? { level: options.compressionLevel } : {}) });
    if (deflate !== undefined) {
      const counter = new Transform({
        transform(chunk: Buffer, _encoding, callback) {
          writer.byteCount += chunk.length;
          callback(null, chunk);
        },
      });
      const completion = new Promise<void>((resolve, reject) =>
        pipeline(deflate, counter, file, (err) => (err ? reject(err) : resolve())),
      );
      writer = new TextShardWriter(path, deflate, completion, false, separator, options.footer, bufferSize);
    } else {
      writer = new TextShardWriter(path, file, finished(file), true, separator, options.footer, bufferSize);
    }
    if (options.header !== undefined) writer.append(options.header + separator);
    return writer;
  }

  /**
   * Writes a whole file of `lines` (with the header and footer) at once: through the file
   * system's `writeSmallFile` when it has one and the text is at most `WHOLE_FILE_MAX_CHARS`
   * (locally a synchronous write, no round trips to the I/O thread pool), else as `open`,
   * `writeLines` and `close` do.
   */
  static async writeWhole(
    fs: Pick<FileOperations, "create" | "writeSmallFile">,
    path: string,
    lines: readonly string[],
    options: TextShardWriterOptions = {},
  ): Promise<ShardWriteResult> {
    const separator = options.lineSeparator ?? "\n";
    let chars = 0;
    for (let i = 0; i < lines.length; i++) chars += lines[i]!.length;
    if (fs.writeSmallFile === undefined || chars + lines.length * separator.length > WHOLE_FILE_MAX_CHARS) {
      const writer = await TextShardWriter.open(fs, path, options);
      try {
        // In slices: one string of a large shard's every line would be as large as the shard.
        for (let i = 0; i < lines.length; i += 8192) await writer.writeLines(lines.length <= 8192 ? lines : lines.slice(i, i + 8192));
        return await writer.close();
      } catch (e) {
        await writer.abort();
        throw e;
      }
    }
    let text = options.header !== undefined ? options.header + separator : "";
    if (lines.length > 0) text += lines.join(separator) + separator;
    if (options.footer !== undefined) text += options.footer + separator;
    const raw = Buffer.from(text, "utf8");
    let data: Uint8Array = raw;
    const compression = resolveWriteCompression(path, options.compression ?? "auto");
    if (compression !== "uncompressed") {
      try {
        data = await compressWhole(raw, compression, options.compressionLevel);
      } catch (err) {
        throw writeError(path, err);
      }
    }
    await fs.writeSmallFile(path, data);
    return { path, bytes: data.length, lines: lines.length };
  }

  /** Buffers lines; returns a promise when the buffered data was written and the file is busy. */
  writeLines(lines: readonly string[]): Promise<void> | void {
    this.check();
    if (lines.length === 0) return;
    this.lineCount += lines.length;
    const text = lines.length === 1 ? lines[0] + this.separator : lines.join(this.separator) + this.separator;
    return this.append(text);
  }

  /** Writes what is buffered and the footer, closes the file, and reports what was written. */
  async close(): Promise<ShardWriteResult> {
    this.check();
    this.closed = true;
    if (this.footer !== undefined) this.pending.push(this.footer + this.separator);
    const data = this.takePending();
    if (data !== undefined) this.target.end(data);
    else this.target.end();
    try {
      await this.completion;
    } catch (err) {
      throw writeError(this.path, err);
    }
    return { path: this.path, bytes: this.byteCount, lines: this.lineCount };
  }

  /** Stops writing and closes the file without finishing it (the caller deletes it). */
  async abort(): Promise<void> {
    this.closed = true;
    this.pending = [];
    this.target.destroy();
    await this.completion.catch(() => undefined);
  }

  private check(): void {
    if (this.failure !== undefined) throw writeError(this.path, this.failure);
    if (this.closed) {
      throw new FileSystemError(`Cannot write ${this.path}: the writer is already closed.`, this.path, {
        code: "INVALID_ARGUMENT",
      });
    }
  }

  private append(text: string): Promise<void> | void {
    this.pending.push(text);
    this.pendingChars += text.length;
    if (this.pendingChars < this.bufferSize) return;
    const data = this.takePending()!;
    if (this.target.write(data)) return;
    return new Promise<void>((resolve, reject) => {
      const done = (err?: unknown) => {
        this.target.off("drain", onDrain);
        this.target.off("error", onError);
        this.target.off("close", onClose);
        if (err === undefined) resolve();
        else reject(writeError(this.path, err));
      };
      const onDrain = () => done();
      const onError = (err: unknown) => done(err);
      const onClose = () => done(this.failure ?? new Error("the file was closed while writing"));
      this.target.on("drain", onDrain);
      this.target.on("error", onError);
      this.target.on("close", onClose);
    });
  }

  private takePending(): Buffer | undefined {
    if (this.pending.length === 0) return undefined;
    const data = Buffer.from(this.pending.length === 1 ? this.pending[0] : this.pending.join(""), "utf8");
    this.pending = [];
    this.pendingChars = 0;
    if (this.countWrites) this.byteCount += data.length;
    return data;
  }
}

// ---------------------------------------------------------------------------------------------
// Shard naming and finalisation

/** Beam's default shard name template: `-00000-of-00003`. */
export const DEFAULT_SHARD_TEMPLATE = "-SSSSS-of-NNNNN";

/**
 * The name of one shard: `prefix + template + suffix`, where each run of `S` in the template is
 * the shard index and each run of `N` the shard count, zero-padded to the run's length.
 * `shardPath("out/counts", 0, 3, ".txt")` → `out/counts-00000-of-00003.txt`.
 */
export function shardPath(
  prefix: string,
  shardIndex: number,
  numShards: number,
  suffix = "",
  template: string = DEFAULT_SHARD_TEMPLATE,
): string {
  if (!Number.isInteger(numShards) || numShards < 1 || !Number.isInteger(shardIndex) || shardIndex < 0 || shardIndex >= numShards) {
    throw new FileSystemError(
      `shardPath: need integers 0 <= shardIndex < numShards, got shard ${shardIndex} of ${numShards}.`,
      prefix,
      { code: "INVALID_ARGUMENT" },
    );
  }
  const name = template
    .replace(/S+/g, (run) => String(shardIndex).padStart(run.length, "0"))
    .replace(/N+/g, (run) => String(numShards).padStart(run.length, "0"));
  return prefix + name + suffix;
}

/** A glob matching every shard of `prefix`/`suffix` for any shard count: `<prefix>-?????-of-?????<suffix>`. */
export function shardGlob(prefix: string, suffix = "", template: string = DEFAULT_SHARD_TEMPLATE): string {
  let middle = "";
  for (const part of template.split(/(S+|N+)/)) {
    middle += /^(S+|N+)$/.test(part) ? "?".repeat(part.length) : escapeGlob(part);
  }
  return escapeGlob(prefix) + middle + escapeGlob(suffix);
}

/**
 * A new, hidden temporary directory beside the output (`<dir>/.temp-beamline-<random id>/`) for
 * shards being written. Nothing is created until files are written into it.
 */
export function planTempDirectory(prefix: string, fs: Pick<FileOperations, "join" | "dirname"> = FileSystems): string {
  const dir = fs.dirname(prefix);
  const path = fs.join(dir, `.temp-beamline-${randomHex(8)}`);
  return path.endsWith("/") ? path : path + "/";
}

/** Options of `finalizeShards`. */
export interface FinalizeOptions {
  /** With `prefix`: after the renames, delete shards of an earlier run (other shard count). */
  readonly prefix?: string;
  readonly suffix?: string;
  readonly template?: string;
  /** Deleted (with anything left in it) once the shards are in place. */
  readonly tempDir?: string;
}

/**
 * Moves finished shards to their final names. Then, if `options.prefix` is given, deletes files
 * left by an earlier run that match `<prefix>-?????-of-?????<suffix>` but are not among
 * `finalPaths` (like Beam, only after the new shards are in place), and removes `options.tempDir`.
 * Returns the stale paths it deleted.
 */
export async function finalizeShards(
  fs: Pick<FileOperations, "rename" | "match" | "delete"> & Partial<Pick<FileOperations, "exists">>,
  tempPaths: readonly string[],
  finalPaths: readonly string[],
  options: FinalizeOptions = {},
): Promise<string[]> {
  if (tempPaths.length !== finalPaths.length) {
    throw new FileSystemError(
      `finalizeShards: got ${tempPaths.length} temporary files but ${finalPaths.length} final names.`,
      finalPaths[0] ?? "",
      { code: "INVALID_ARGUMENT" },
    );
  }
  // Two files renamed to one name would overwrite each other, losing lines silently (Beam fails
  // such a write too: "only generated N distinct file names for M files").
  const distinct = new Set(finalPaths.map(comparablePath));
  if (distinct.size !== finalPaths.length) {
    const repeated = finalPaths.find((p, i) => finalPaths.findIndex((q) => comparablePath(q) === comparablePath(p)) !== i)!;
    throw new FileSystemError(
      `Cannot finalize ${finalPaths.length} files: their names give only ${distinct.size} distinct name(s) (${repeated} repeats), so files would overwrite each other. ` +
        `Use a shard name template with a shard number (SSSSS), or numShards: 1.`,
      repeated,
      { code: "INVALID_ARGUMENT" },
    );
  }
  try {
    await fs.rename(tempPaths, finalPaths);
  } catch (e) {
    await undoRenames(fs, tempPaths, finalPaths);
    throw e;
  }
  const removeStale = async (prefix: string): Promise<string[]> => {
    const keep = new Set(finalPaths.map(comparablePath));
    const existing = await fs.match(shardGlob(prefix, options.suffix ?? "", options.template));
    const stale = existing.map((f) => f.path).filter((p) => !keep.has(comparablePath(p)));
    if (stale.length > 0) await fs.delete(stale);
    return stale;
  };
  // Independent of each other, so their round trips to the file system overlap.
  const [stale] = await Promise.all([
    options.prefix !== undefined ? removeStale(options.prefix) : [],
    options.tempDir !== undefined ? fs.delete([options.tempDir]) : undefined,
  ]);
  return stale;
}

/**
 * After a rename of many files failed part way: moves the files already renamed (their temporary
 * file is gone, their final one there) back to their temporary names, so the write's cleanup
 * removes them and a failed write leaves no partial output. A file an earlier run left under a
 * final name that was already replaced cannot be brought back (Beam overwrites it too).
 */
async function undoRenames(fs: Pick<FileOperations, "rename"> & Partial<Pick<FileOperations, "exists">>, tempPaths: readonly string[], finalPaths: readonly string[]): Promise<void> {
  const exists = fs.exists?.bind(fs);
  if (exists === undefined) return;
  const moved: number[] = [];
  await Promise.all(
    tempPaths.map(async (temp, i) => {
      if (!(await exists(temp).catch(() => true)) && (await exists(finalPaths[i]!).catch(() => false))) moved.push(i);
    }),
  );
  if (moved.length === 0) return;
  // Best effort: the rename's own error is the one to report.
  await fs.rename(moved.map((i) => finalPaths[i]!), moved.map((i) => tempPaths[i]!)).catch(() => undefined);
}

/** The kind of output commit that moves finished files into place (`finalizeShards`). */
export const TEXT_FILES_COMMIT = "beamline:commit:files:v1";

registerCommitter(TEXT_FILES_COMMIT, {
  order: COMMIT_ORDER_FILES,
  async commit(payload: JsonValue): Promise<void> {
    const p = payload as { temps: string[]; finals: string[]; prefix?: string; suffix?: string; tempDir?: string };
    await finalizeShards(FileSystems, p.temps, p.finals, {
      ...(p.prefix !== undefined ? { prefix: p.prefix, suffix: p.suffix ?? "" } : {}),
      ...(p.tempDir !== undefined ? { tempDir: p.tempDir } : {}),
    });
  },
  async discard(payload: JsonValue): Promise<void> {
    const p = payload as { temps: string[]; tempDir?: string };
    if (p.temps.length > 0) await FileSystems.forPath(p.temps[0]!).delete(p.temps);
    if (p.tempDir !== undefined) await FileSystems.forPath(p.tempDir).delete([p.tempDir]);
  },
});

/**
 * The output commit of a file sink: rename `temps` to `finals`; with `prefix`, then delete the
 * shards of an earlier run (`finalizeShards`); with `tempDir`, then remove it.
 */
export function textFilesCommit(
  sink: string,
  temps: readonly string[],
  finals: readonly string[],
  options: { readonly prefix?: string; readonly suffix?: string; readonly tempDir?: string } = {},
): OutputCommit {
  const payload: { [key: string]: JsonValue } = { temps: [...temps], finals: [...finals] };
  if (options.prefix !== undefined) {
    payload["prefix"] = options.prefix;
    payload["suffix"] = options.suffix ?? "";
  }
  if (options.tempDir !== undefined) payload["tempDir"] = options.tempDir;
  return { kind: TEXT_FILES_COMMIT, sink, payload };
}

/** Removes everything written into a temporary directory (after a failed or abandoned write). */
export async function abortShards(fs: Pick<FileOperations, "delete">, tempDir: string): Promise<void> {
  await fs.delete([tempDir]);
}

/** Options of `writeTextShards`. */
export interface WriteTextShardsOptions extends Omit<TextShardWriterOptions, "compression"> {
  readonly suffix?: string;
  /** Fixed shard count; missing shards are written empty. Default: one shard per input (at least 1). */
  readonly numShards?: number;
  readonly shardNameTemplate?: string;
  /** Default "auto": gzip when the final shard names end in `.gz`. */
  readonly compression?: Compression;
  readonly fileSystem?: FileOperations;
}

/**
 * Writes one shard per element of `shards` (each an iterable of line batches) atomically: into a
 * temporary directory first, then renamed to `<prefix>-SSSSS-of-NNNNN<suffix>`, replacing the
 * shards of an earlier run. With no shards (no input) and no `numShards`, one empty shard
 * (`-00000-of-00001`, header and footer only) is written, like Beam. On failure nothing is left.
 */
export async function writeTextShards(
  prefix: string,
  shards: ReadonlyArray<Iterable<readonly string[]> | AsyncIterable<readonly string[]>>,
  options: WriteTextShardsOptions = {},
): Promise<ShardWriteResult[]> {
  const fs = options.fileSystem ?? FileSystems;
  const suffix = options.suffix ?? "";
  const template = options.shardNameTemplate ?? DEFAULT_SHARD_TEMPLATE;
  const numShards = options.numShards ?? Math.max(1, shards.length);
  if (!Number.isInteger(numShards) || numShards < 1 || shards.length > numShards) {
    throw new FileSystemError(
      `Cannot write ${prefix}: numShards must be a positive integer no smaller than the ${shards.length} inputs, got ${numShards}.`,
      prefix,
      { code: "INVALID_ARGUMENT" },
    );
  }
  await fs.checkWritable(prefix);
  const finalPaths = Array.from({ length: numShards }, (_, i) => shardPath(prefix, i, numShards, suffix, template));
  const tempDir = planTempDirectory(prefix, fs);
  const tempPaths = finalPaths.map((_, i) => fs.join(tempDir, `shard-${i}`));
  const writers: TextShardWriter[] = [];
  const outcomes = await Promise.allSettled(
    finalPaths.map(async (finalPath, i) => {
      const writer = await TextShardWriter.open(fs, tempPaths[i], {
        ...options,
        compression: resolveWriteCompression(finalPath, options.compression ?? "auto"),
      });
      writers.push(writer);
      const input = shards[i];
      if (input !== undefined) {
        for await (const batch of input) {
          const wait = writer.writeLines(batch);
          if (wait) await wait;
        }
      }
      const result = await writer.close();
      return { ...result, path: finalPath };
    }),
  );
  const failed = outcomes.find((o): o is PromiseRejectedResult => o.status === "rejected");
  if (failed) {
    await Promise.all(writers.map((w) => w.abort()));
    await abortShards(fs, tempDir);
    throw failed.reason;
  }
  try {
    await finalizeShards(fs, tempPaths, finalPaths, { prefix, suffix, template, tempDir });
  } catch (err) {
    await abortShards(fs, tempDir).catch(() => undefined);
    throw err;
  }
  return outcomes.map((o) => (o as PromiseFulfilledResult<ShardWriteResult>).value);
}
