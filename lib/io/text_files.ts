/**
 * Text file primitives under ReadFromText / WriteToText: splitting files into byte ranges,
 * reading a range as batches of lines, writing shards, and naming and atomically finalising them.
 *
 * Reading follows Beam's TextIO:
 *  - lines end at `\n`, `\r\n` or a lone `\r`; terminators are not part of the line; a last line
 *    without terminator is a line; an empty file has no lines; a UTF-8 BOM at the start of the file
 *    is dropped; bytes are decoded as UTF-8 (invalid sequences become U+FFFD).
 *  - a range [start, end) of an uncompressed file owns exactly the lines whose first byte lies in
 *    [start, end). A reader starting inside a line skips to the next line start; a reader reads
 *    past `end` to finish its last line. So the ranges of a file together yield every line once.
 *  - gzip files cannot be split: one range covers the whole file.
 *
 * Writing: shards are written to a hidden temporary directory beside the output and renamed to
 * `<prefix>-SSSSS-of-NNNNN<suffix>` only once all of them are complete (`finalizeShards`);
 * `abortShards` removes everything a failed attempt wrote.
 */
import { randomBytes } from "node:crypto";
import { pipeline, Transform, type Readable, type Writable } from "node:stream";
import { finished } from "node:stream/promises";
import * as zlib from "node:zlib";
import { errnoCode, FileSystemError, type FileMetadata, type FileOperations } from "./filesystems/filesystem";
import { escapeGlob } from "./filesystems/glob";
import { comparablePath, FileSystems } from "./filesystems/registry";

/** How a file is compressed; `auto` means gzip if the path ends in `.gz`, else uncompressed. */
export type Compression = "auto" | "uncompressed" | "gzip";

/** `auto` resolved by the path's suffix. */
export function resolveCompression(path: string, compression: Compression = "auto"): "uncompressed" | "gzip" {
  if (compression === "auto") return /\.gz$/i.test(path) ? "gzip" : "uncompressed";
  if (compression !== "uncompressed" && compression !== "gzip") {
    throw new FileSystemError(
      `Unknown compression '${String(compression)}' for ${path}: use "auto", "uncompressed" or "gzip".`,
      path,
      { code: "INVALID_ARGUMENT" },
    );
  }
  return compression;
}

/** A byte range [start, end) of one file. For gzip files it is always the whole file. */
export interface TextRange {
  readonly path: string;
  readonly start: number;
  /** Exclusive; `Infinity` means to the end of the file. */
  readonly end: number;
}

/**
 * Splits files into ranges of about `desiredBytes` (evenly sized, never larger). Gzip files are one
 * unsplittable range each. Empty files have no lines and get no range.
 */
export function splitIntoRanges(
  files: readonly FileMetadata[],
  desiredBytes: number,
  compression: Compression = "auto",
): TextRange[] {
  if (!(desiredBytes >= 1)) {
    throw new FileSystemError(`splitIntoRanges: desiredBytes must be at least 1, got ${desiredBytes}.`, "", {
      code: "INVALID_ARGUMENT",
    });
  }
  const ranges: TextRange[] = [];
  for (const file of files) {
    const size = file.sizeBytes;
    if (size <= 0) continue;
    if (resolveCompression(file.path, compression) === "gzip") {
      ranges.push({ path: file.path, start: 0, end: size });
      continue;
    }
    const n = Math.max(1, Math.ceil(size / desiredBytes));
    let start = 0;
    for (let k = 1; k <= n; k++) {
      const end = k === n ? size : Math.floor((k * size) / n);
      if (end > start) ranges.push({ path: file.path, start, end });
      start = end;
    }
  }
  return ranges;
}

const LF = 0x0a;
const CR = 0x0d;
const ANY_TERMINATOR = /\r\n|\r|\n/;

/** Index of the first `\n` or `\r` at or after `from`, or -1. */
function firstTerminator(buf: Buffer, from: number): number {
  const n = buf.indexOf(LF, from);
  const c = buf.indexOf(CR, from);
  if (c < 0) return n;
  if (n < 0) return c;
  return c < n ? c : n;
}

/**
 * Splits text that ends with a line terminator and contains `\r`: fast for `\r\n` endings
 * (split on `\n`, trim the `\r`), falling back to a regular expression for lone `\r`.
 * The result ends with the empty string after the last terminator.
 */
function splitWithCR(text: string): string[] {
  const parts = text.split("\n");
  const n = parts.length - 1;
  if (parts[n] !== "") return text.split(ANY_TERMINATOR); // ends with a lone \r
  for (let k = 0; k < n; k++) {
    const part = parts[k];
    const c = part.indexOf("\r");
    if (c < 0) continue;
    if (c !== part.length - 1) return text.split(ANY_TERMINATOR); // a lone \r inside
    parts[k] = part.slice(0, c);
  }
  return parts;
}

function decodeParts(parts: Buffer[], bytes: number): string {
  return parts.length === 1 ? parts[0].toString("utf8") : Buffer.concat(parts, bytes).toString("utf8");
}

/**
 * The byte-level line splitter behind `readLineBatches`: fed consecutive chunks of the file from
 * offset `readStart` (`start - 1` when start > 0, so it can tell whether `start` begins a line),
 * it returns the lines owned by [start, end) as one batch per chunk. Lines are found on bytes;
 * each batch of complete lines is decoded with one `toString` (UTF-8 sequences never contain
 * `\n` or `\r` bytes, so a multi-byte character is never cut).
 */
export class LineSplitter {
  /** True once every owned line has been returned; stop feeding. */
  done = false;
  private offset: number;
  private skipping: boolean;
  private pendingCR = false;
  private partial: Buffer[] = [];
  private partialBytes = 0;
  private bomPending: boolean;
  private head: Buffer | undefined;

  constructor(
    private readonly start: number,
    private readonly end: number,
  ) {
    this.offset = start > 0 ? start - 1 : 0;
    this.skipping = start > 0;
    this.bomPending = start === 0;
    if (!(end > start)) this.done = true; // an empty range owns no line
  }

  /** Offset at which the caller must start feeding bytes. */
  get readStart(): number {
    return this.start > 0 ? this.start - 1 : 0;
  }

  /** Feeds the next chunk; returns the lines it completes (possibly empty). */
  push(chunk: Buffer): string[] {
    if (this.done || chunk.length === 0) return [];
    let buf = chunk;
    const base = this.offset;
    this.offset += chunk.length;
    if (this.bomPending) {
      if (this.head !== undefined) {
        buf = Buffer.concat([this.head, buf]);
        this.head = undefined;
      }
      if (buf.length < 3) {
        this.head = buf;
        return [];
      }
      this.bomPending = false;
      if (buf[0] === 0xef && buf[1] === 0xbb && buf[2] === 0xbf) return this.process(buf, 0, 3);
      return this.process(buf, 0, 0);
    }
    return this.process(buf, base, 0);
  }

  /** Signals the end of the file; returns the last line if it had no terminator. */
  finish(): string[] {
    let out: string[] = [];
    if (this.head !== undefined) {
      const head = this.head;
      this.head = undefined;
      this.bomPending = false;
      out = this.process(head, 0, 0);
    }
    if (!this.done && !this.skipping && this.partialBytes > 0) {
      out.push(decodeParts(this.partial, this.partialBytes));
    }
    this.partial = [];
    this.partialBytes = 0;
    this.done = true;
    return out;
  }

  private process(buf: Buffer, base: number, i: number): string[] {
    const len = buf.length;
    if (this.skipping || this.pendingCR) {
      // Find where the first owned line starts: after the first terminator at or after start - 1.
      if (this.pendingCR) {
        this.pendingCR = false; // the previous chunk ended with \r: a following \n belongs to it
        if (buf[0] === LF) i = 1;
      } else {
        const t = firstTerminator(buf, 0);
        if (t < 0) return [];
        if (buf[t] === CR) {
          if (t + 1 === len) {
            this.pendingCR = true;
            return [];
          }
          i = buf[t + 1] === LF ? t + 2 : t + 1;
        } else i = t + 1;
      }
      this.skipping = false;
      if (base + i >= this.end) {
        this.done = true;
        return [];
      }
      if (i >= len) return [];
    }
    // Does the line that contains byte end - 1 end in this chunk? Then we stop after it.
    const endIndex = this.end - 1 - base;
    if (endIndex < len) {
      const t = firstTerminator(buf, endIndex > i ? endIndex : i);
      if (t >= 0) {
        const stop = buf[t] === CR && t + 1 < len && buf[t + 1] === LF ? t + 2 : t + 1;
        const lines = this.region(buf, i, stop);
        this.done = true;
        this.partial = [];
        this.partialBytes = 0;
        return lines;
      }
    }
    return this.region(buf, i, len);
  }

  /** Emits the complete lines in buf[i, r) (prefixed by the partial line); keeps the rest. */
  private region(buf: Buffer, i: number, r: number): string[] {
    if (i >= r) return [];
    const firstCR = buf.indexOf(CR, i);
    const hasCR = firstCR >= 0 && firstCR < r;
    let last = buf.lastIndexOf(LF, r - 1);
    if (hasCR) {
      const lastCR = buf.lastIndexOf(CR, r - 1);
      if (lastCR > last) last = lastCR;
    }
    if (last < i) {
      this.partial.push(buf.subarray(i, r));
      this.partialBytes += r - i;
      return [];
    }
    const b = last + 1;
    if (buf[last] === CR && b === buf.length) this.pendingCR = true;
    let first: string | undefined;
    let a = i;
    if (this.partialBytes > 0) {
      const f = hasCR ? firstTerminator(buf, i) : buf.indexOf(LF, i);
      this.partial.push(buf.subarray(i, f));
      first = decodeParts(this.partial, this.partialBytes + (f - i));
      this.partial = [];
      this.partialBytes = 0;
      a = buf[f] === CR && f + 1 < buf.length && buf[f + 1] === LF ? f + 2 : f + 1;
    }
    let lines: string[];
    if (a < b) {
      const text = buf.toString("utf8", a, b);
      lines = hasCR ? splitWithCR(text) : text.split("\n");
      lines.pop(); // the empty string after the last terminator
      if (first !== undefined) lines.unshift(first);
    } else {
      lines = first !== undefined ? [first] : [];
    }
    if (b < r) {
      this.partial.push(buf.subarray(b, r));
      this.partialBytes += r - b;
    }
    return lines;
  }
}

/** Options of `readLineBatches`. */
export interface ReadLinesOptions {
  /** Bytes per read from the file; default 1 MiB. Small values are for tests. */
  readonly chunkSize?: number;
  /**
   * At most this many bytes are decoded into one batch; default 64 KiB. Larger batches make V8
   * allocate the decoded text in its (slower) large-object space.
   */
  readonly batchBytes?: number;
  /** Where to open the file; default the `FileSystems` registry. */
  readonly fileSystem?: Pick<FileOperations, "openRead">;
}

const DEFAULT_CHUNK_BYTES = 1 << 20;
const DEFAULT_BATCH_BYTES = 1 << 16;

function readError(path: string, gzip: boolean, err: unknown): FileSystemError {
  if (err instanceof FileSystemError) return err;
  const code = errnoCode(err);
  const message = err instanceof Error ? err.message : String(err);
  if (gzip && code !== undefined && code.startsWith("Z_")) {
    return new FileSystemError(
      `Cannot read ${path} as gzip: ${message}. The file is not valid or is truncated; if it is not compressed, ` +
        `read it with compression "uncompressed".`,
      path,
      { cause: err, code: "CORRUPT_DATA" },
    );
  }
  return new FileSystemError(`Cannot read ${path}: ${message}.`, path, { cause: err });
}

/**
 * The lines of `path` owned by `range`, in batches (one per decoded slice of at most
 * `batchBytes`, never empty), so callers pay one await per batch rather than per line.
 * For gzip the range must start at 0 and the whole file is read.
 */
export async function* readLineBatches(
  path: string,
  range: { readonly start: number; readonly end: number },
  compression: Compression = "auto",
  options: ReadLinesOptions = {},
): AsyncGenerator<string[], void, undefined> {
  const gzip = resolveCompression(path, compression) === "gzip";
  const { start } = range;
  const end = gzip ? Infinity : range.end;
  if (!(start >= 0) || !Number.isInteger(start) || !(end >= start)) {
    throw new FileSystemError(
      `Cannot read ${path}: invalid range [${start}, ${range.end}); need 0 <= start <= end.`,
      path,
      { code: "INVALID_ARGUMENT" },
    );
  }
  if (gzip && start !== 0) {
    throw new FileSystemError(
      `Cannot read ${path} from byte ${start}: gzip files cannot be split; read the range [0, size) as a whole.`,
      path,
      { code: "INVALID_ARGUMENT" },
    );
  }
  if (start === end) return;
  const chunkSize = Math.max(1, Math.floor(options.chunkSize ?? DEFAULT_CHUNK_BYTES));
  const batchBytes = Math.max(1, Math.floor(options.batchBytes ?? DEFAULT_BATCH_BYTES));
  const fs = options.fileSystem ?? FileSystems;
  const splitter = new LineSplitter(start, end);
  let source: Readable;
  if (gzip) {
    const raw = await fs.openRead(path, { bufferSize: Math.max(chunkSize, 1 << 16) });
    const gunzip = zlib.createGunzip({ chunkSize: Math.max(64, chunkSize) });
    source = pipeline(raw, gunzip, () => {
      /* errors surface through the gunzip stream */
    });
  } else {
    // A small range need not read a whole chunk past its end just to finish its last line.
    const bufferSize = Math.min(chunkSize, Math.max(1 << 16, end - splitter.readStart));
    source = await fs.openRead(path, { start: splitter.readStart, bufferSize });
  }
  try {
    for await (const chunk of source) {
      const buf = chunk as Buffer;
      for (let at = 0; at < buf.length; at += batchBytes) {
        const lines = splitter.push(at === 0 && buf.length <= batchBytes ? buf : buf.subarray(at, at + batchBytes));
        if (lines.length > 0) yield lines;
        if (splitter.done) return;
      }
    }
    const last = splitter.finish();
    if (last.length > 0) yield last;
  } catch (err) {
    throw readError(path, gzip, err);
  } finally {
    source.destroy();
  }
}

/** All lines of a file (a convenience over `readLineBatches` for small files and tests). */
export async function readAllLines(
  path: string,
  compression: Compression = "auto",
  options: ReadLinesOptions = {},
): Promise<string[]> {
  const out: string[] = [];
  for await (const batch of readLineBatches(path, { start: 0, end: Infinity }, compression, options)) {
    for (const line of batch) out.push(line);
  }
  return out;
}

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
  /** Default "auto": gzip when the path ends in `.gz`. */
  readonly compression?: Compression;
  /** Characters buffered before one write to the file; default 1 Mi. */
  readonly bufferSize?: number;
  /** gzip level 1 (fastest) to 9 (smallest); default zlib's 6, like Beam. */
  readonly compressionLevel?: number;
}

/** What `TextShardWriter.close` wrote. */
export interface ShardWriteResult {
  readonly path: string;
  /** Bytes of the file (compressed size for gzip). */
  readonly bytes: number;
  /** Lines written (header and footer not counted). */
  readonly lines: number;
}

function writeError(path: string, err: unknown): FileSystemError {
  if (err instanceof FileSystemError) return err;
  const message = err instanceof Error ? err.message : String(err);
  const hint =
    errnoCode(err) === "ENOSPC" || errnoCode(err) === "EDQUOT" ? " Free some space or write somewhere else." : "";
  return new FileSystemError(`Cannot write ${path}: ${message}.${hint}`, path, { cause: err });
}

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
    const gzip = resolveCompression(path, options.compression ?? "auto") === "gzip";
    const file = await fs.create(path, { mimeType: gzip ? "application/gzip" : "text/plain" });
    const separator = options.lineSeparator ?? "\n";
    const bufferSize = Math.max(1, options.bufferSize ?? 1 << 20);
    let writer: TextShardWriter;
    if (gzip) {
      const deflate = zlib.createGzip({
        chunkSize: 1 << 16,
        ...(options.compressionLevel !== undefined ? { level: options.compressionLevel } : {}),
      });
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
  const path = fs.join(dir, `.temp-beamline-${randomBytes(8).toString("hex")}`);
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
  fs: Pick<FileOperations, "rename" | "match" | "delete">,
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
  await fs.rename(tempPaths, finalPaths);
  let stale: string[] = [];
  if (options.prefix !== undefined) {
    const keep = new Set(finalPaths.map(comparablePath));
    const existing = await fs.match(shardGlob(options.prefix, options.suffix ?? "", options.template));
    stale = existing.map((f) => f.path).filter((p) => !keep.has(comparablePath(p)));
    if (stale.length > 0) await fs.delete(stale);
  }
  if (options.tempDir !== undefined) await fs.delete([options.tempDir]);
  return stale;
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
        compression: resolveCompression(finalPath, options.compression ?? "auto"),
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
