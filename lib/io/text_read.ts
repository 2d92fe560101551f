/** Reading text files as records: compression, splittable byte ranges, format options (the splitting itself: text_splitters.ts). */
import { pipeline, type Readable } from "node:stream";
import { FileSystemError, type FileMetadata, type FileOperations } from "./filesystems/filesystem";
import { FileSystems } from "./filesystems/registry";
import { ValidationError } from "../model/errors";
import { isSelfOverlapping, LineSplitter, RecordSplitter } from "./text_splitters";
import { decompressing, isCorruptCompressedData, resolveCompression, type Compression } from "./compression";

export { isSelfOverlapping, LineSplitter, RecordSplitter } from "./text_splitters";

export { resolveCompression, zlib } from "./compression";
export type { Compression } from "./compression";

/** A byte range [start, end) of one file. For a compressed file it is always the whole file. */
export interface TextRange {
  readonly path: string;
  readonly start: number;
  /** Exclusive; `Infinity` means to the end of the file. */
  readonly end: number;
}

/**
 * Splits files into ranges of about `desiredBytes` (evenly sized, never larger). Compressed files are one
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
    if (resolveCompression(file.path, compression) !== "uncompressed") {
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

/** Smallest and largest byte range `desiredRangeBytes` chooses. */
export const MIN_RANGE_BYTES = 1 << 20;
export const MAX_RANGE_BYTES = 64 << 20;
/**
 * Ranges per reader: enough that readers finishing early take more and all end together (a
 * thread's last range is what the others may wait for), and that the first range read soon shows
 * the pace of the read (the DirectRunner starts worker threads by it).
 */
const RANGES_PER_READER = 32;

/**
 * The size of byte ranges to cut files into for `parallelism` readers: about 32 ranges per reader,
 * between 1 MiB (smaller ranges cost more than they balance) and 64 MiB (Beam's default).
 * A single reader has nothing to balance: its ranges are as large as that allows, since each one
 * starts with waits for the file system (open, stat, first read) that no other work overlaps.
 * Compressed files, read whole, do not count.
 */
export function desiredRangeBytes(files: readonly FileMetadata[], parallelism: number, compression: Compression = "auto"): number {
  let total = 0;
  for (const f of files) if (f.sizeBytes > 0 && resolveCompression(f.path, compression) === "uncompressed") total += f.sizeBytes;
  const readers = Math.max(1, Math.floor(parallelism));
  const ranges = readers === 1 ? 1 : readers * RANGES_PER_READER;
  return Math.min(MAX_RANGE_BYTES, Math.max(MIN_RANGE_BYTES, Math.ceil(total / ranges)));
}

/**
 * The first range of a large parallel read (see `splitForReaders`): small, as the first range's
 * time is mostly cold code (25-40 ms for 16 or 64 KiB of a word count on a busy 2-core machine,
 * 80-120 ms for 256 KiB).
 */
export const FIRST_RANGE_BYTES = 64 << 10;
/** Pieces each of the last ranges (2 per reader) of a large parallel read is cut into (see `splitForReaders`). */
export const TAIL_PIECES = 4;
/** Ranges per reader at the end of a large parallel read that are cut into TAIL_PIECES. */
export const TAIL_RANGES_PER_READER = 2;
/** Ranges per reader from which a parallel read is large (see `splitForReaders`). */
const LARGE_READ_RANGES_PER_READER = 16;

/**
 * `splitIntoRanges` for `parallelism` readers (> 1) taking the ranges in order. When the read is
 * large (at least 16 ranges per reader: 32 MiB for two), two ranges change:
 * - the first FIRST_RANGE_BYTES of the first range become a range of their own, so that the first
 *   range read soon shows the read's pace (the DirectRunner starts worker threads by it);
 * - the last 2 ranges per reader (of the last file) are cut into quarters, so that readers end
 *   within a quarter range of each other instead of a whole one, even when one reads at half the
 *   pace of another (a thread that just started a whole range while the others take quarters).
 * Smaller reads are split as by `splitIntoRanges`: their ranges stay of one size, which the
 * DirectRunner's pace-per-range estimate assumes.
 */
export function splitForReaders(files: readonly FileMetadata[], desiredBytes: number, parallelism: number, compression: Compression = "auto"): TextRange[] {
  const ranges = splitIntoRanges(files, desiredBytes, compression);
  const readers = Math.floor(parallelism);
  if (readers <= 1 || ranges.length < readers * LARGE_READ_RANGES_PER_READER) return ranges;
  const splittable = (r: TextRange): boolean => resolveCompression(r.path, compression) === "uncompressed";
  const lastPath = ranges[ranges.length - 1]!.path;
  let tail = ranges.length;
  while (tail > 0 && ranges.length - tail < readers * TAIL_RANGES_PER_READER && ranges[tail - 1]!.path === lastPath && splittable(ranges[tail - 1]!)) tail--;
  const first = ranges.findIndex(splittable);
  const out: TextRange[] = [];
  ranges.forEach((r, i) => {
    const size = r.end - r.start;
    if (i === first && i < tail && size >= 2 * FIRST_RANGE_BYTES) {
      out.push({ path: r.path, start: r.start, end: r.start + FIRST_RANGE_BYTES }, { path: r.path, start: r.start + FIRST_RANGE_BYTES, end: r.end });
    } else if (i >= tail) {
      for (let k = 1, start = r.start; k <= TAIL_PIECES; k++) {
        const end = k === TAIL_PIECES ? r.end : r.start + Math.floor((k * size) / TAIL_PIECES);
        if (end > start) out.push({ path: r.path, start, end });
        start = end;
      }
    } else out.push(r);
  });
  return out;
}


/** How the records of a file are found (ReadFromText's and ReadAllFromText's format options). */
export interface TextFormat {
  /** Records end at these bytes instead of `\n`, `\r\n` or `\r`. */
  readonly delimiter?: Uint8Array;
  /** Records keep their terminator (delimiter or newline). */
  readonly keepTerminators?: boolean;
  /** Lines (records) at the start of every file that are not read. */
  readonly skipHeaderLines?: number;
  /** The byte that escapes a terminator (or itself): an escaped terminator does not end a record. */
  readonly escapechar?: number;
}

/** The options ReadFromText, ReadAllFromText and ReadFromTextWithFilename share for the records' format. */
export interface TextFormatOptions {
  /**
   * Records end at this delimiter (bytes, or a string as UTF-8) instead of at `\n`, `\r\n` or `\r`
   * (Beam Python's `delimiter`, Java's `withDelimiter`). Not empty, and it must not overlap itself
   * (no proper prefix that is also a suffix, e.g. `aba` or `||`), or ranges of a file read in
   * parallel could not agree where records start.
   */
  readonly delimiter?: string | Uint8Array;
  /**
   * Lines skipped at the start of every file, e.g. 1 for a CSV header (Beam Python's
   * `skip_header_lines`, Java's `withSkipHeaderLines`). Files split into ranges still skip them once.
   */
  readonly skipHeaderLines?: number;
  /**
   * false: each record keeps its terminator (`\n`, `\r\n`, `\r` or the delimiter; the last one of a
   * file may have none), as Beam Python's `strip_trailing_newlines=False`. Default true.
   */
  readonly stripTrailingNewlines?: boolean;
  /**
   * A single byte (a one-character ASCII string, or a one-byte Uint8Array) that escapes the record
   * terminator, as Beam Python's `escapechar`: a delimiter (or `\n`, `\r\n`, `\r`) preceded by an
   * odd number of them does not end a record, and an even number escape each other. The escapes
   * stay in the records, as in Beam. With `\r\n` lines, an escaped `\r` before an unescaped `\n`
   * ends the record at the `\n` (the `\r` stays in it). (Beam Python also skips the byte after an
   * escaped delimiter, so a delimiter right after an escaped one does not end a record there; here
   * it does.)
   */
  readonly escapechar?: string | Uint8Array;
}

/** The escape byte of `escapechar`, checked; errors name `transform`. */
function escapeByte(transform: string, escapechar: string | Uint8Array): number {
  const bytes = typeof escapechar === "string" ? Buffer.from(escapechar, "utf8") : escapechar instanceof Uint8Array ? escapechar : undefined;
  if (bytes === undefined || bytes.length !== 1) {
    const shown = typeof escapechar === "string" ? JSON.stringify(escapechar) : bytes !== undefined ? `${bytes.length} bytes` : typeof escapechar;
    throw new ValidationError(`${transform}: escapechar must be a single byte (a one-character ASCII string such as "\\", or a one-byte Uint8Array), got ${shown}.`);
  }
  return bytes[0]!;
}

/**
 * Checks a read's format options and resolves them (a string delimiter as UTF-8 bytes); errors name
 * `transform`. Undefined when they ask for nothing beyond plain lines.
 */
export function resolveTextFormat(transform: string, options: TextFormatOptions): TextFormat | undefined {
  const { delimiter, skipHeaderLines, stripTrailingNewlines, escapechar } = options;
  let bytes: Uint8Array | undefined;
  if (delimiter !== undefined) {
    if (typeof delimiter === "string") bytes = Buffer.from(delimiter, "utf8");
    else if (delimiter instanceof Uint8Array) bytes = Buffer.from(delimiter);
    else throw new ValidationError(`${transform}: delimiter must be a string or a Uint8Array, got ${typeof delimiter}.`);
    if (bytes.length === 0) throw new ValidationError(`${transform}: delimiter must not be empty; leave it unset for lines ending in \\n, \\r\\n or \\r.`);
    if (isSelfOverlapping(bytes)) {
      throw new ValidationError(
        `${transform}: delimiter ${JSON.stringify(Buffer.from(bytes).toString("latin1"))} overlaps itself (a prefix of it is also a suffix), so a range of the file read from its middle could not tell where records start. ` +
          `Beam Python rejects such delimiters too (Beam Java lets two equal bytes such as "\\n\\n" through, and may then repeat or lose records of split files). Use a delimiter without that property.`);
    }
  }
  if (skipHeaderLines !== undefined && !(Number.isInteger(skipHeaderLines) && skipHeaderLines >= 0)) {
    throw new ValidationError(`${transform}: skipHeaderLines must be a non-negative integer, got ${String(skipHeaderLines)}.`);
  }
  if (stripTrailingNewlines !== undefined && typeof stripTrailingNewlines !== "boolean") {
    throw new ValidationError(`${transform}: stripTrailingNewlines must be true or false, got ${String(stripTrailingNewlines)}.`);
  }
  const escape = escapechar !== undefined ? escapeByte(transform, escapechar) : undefined;
  if (escape !== undefined && bytes === undefined && (escape === 0x0a || escape === 0x0d)) {
    throw new ValidationError(`${transform}: escapechar cannot be \\n or \\r, which end lines; choose another byte (Beam's usual one is "\\").`);
  }
  if (escape !== undefined && bytes !== undefined && bytes.includes(escape)) {
    throw new ValidationError(`${transform}: escapechar ${JSON.stringify(String.fromCharCode(escape))} is part of the delimiter; choose an escape byte the delimiter does not contain.`);
  }
  const keep = stripTrailingNewlines === false;
  if (bytes === undefined && !keep && !(skipHeaderLines! > 0) && escape === undefined) return undefined;
  return {
    ...(bytes !== undefined ? { delimiter: bytes } : {}),
    ...(keep ? { keepTerminators: true } : {}),
    ...(skipHeaderLines! > 0 ? { skipHeaderLines } : {}),
    ...(escape !== undefined ? { escapechar: escape } : {}),
  };
}

/** Options of `readLineBatches`. */
export interface ReadLinesOptions {
  /**
   * Bytes per read from a compressed file, and the most a window past a range's end grows to (for a last
   * line that runs on); default 1 MiB. Uncompressed files are read at most 128 KiB at a time.
   * Small values are for tests.
   */
  readonly chunkSize?: number;
  /**
   * At most this many bytes are decoded into one batch; default 64 KiB. Larger batches make V8
   * allocate the decoded text in its (slower) large-object space.
   */
  readonly batchBytes?: number;
  /** Where to open the file; default the `FileSystems` registry. */
  readonly fileSystem?: Pick<FileOperations, "openRead">;
  /** Called once at the end with how many lines were not valid UTF-8 (if any). */
  readonly onInvalidUtf8?: (lines: number) => void;
  /** A custom delimiter, kept terminators, header lines to skip (`resolveTextFormat`); default plain lines. */
  readonly format?: TextFormat;
}

const DEFAULT_CHUNK_BYTES = 1 << 20;
/**
 * Bytes per read of an uncompressed file at most. A range's first lines wait for its whole first
 * read, which nothing overlaps: on a 2-core VM a 1 MiB read took 4-12 ms and a 64 KiB one ~1 ms.
 * Alternating whole-process word counts, 1 MiB → 128 KiB reads: 100 MB 0.97× the time with one
 * worker and 0.93× with two, peak RSS 139 → 98 MB and 174 → 144 MB; 5 MB with two workers (six
 * ranges) 0.96×. 64 KiB reads were 4 % slower than 128 KiB at 100 MB (twice the calls).
 */
const MAX_READ_BYTES = 1 << 17;
const DEFAULT_BATCH_BYTES = 1 << 16;

function readError(path: string, compression: string, err: unknown): FileSystemError {
  if (err instanceof FileSystemError) return err;
  const message = err instanceof Error ? err.message : String(err);
  if (compression !== "uncompressed" && isCorruptCompressedData(err)) {
    return new FileSystemError(
      `Cannot read ${path} as ${compression}: ${message}. The file is not valid or is truncated; if it is not compressed, ` +
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
 * For a compressed file the range must start at 0 and the whole file is read.
 */
export async function* readLineBatches(
  path: string,
  range: { readonly start: number; readonly end: number },
  compression: Compression = "auto",
  options: ReadLinesOptions = {},
): AsyncGenerator<string[], void, undefined> {
  const skip = options.format?.skipHeaderLines ?? 0;
  if (skip === 0) return yield* readRecordBatches(path, range, compression, options);
  // Header lines (Beam's skip_header_lines / withSkipHeaderLines), per file. The range from 0 owns
  // them: it drops its first `skip` records. A later range owns the records starting in
  // [max(start, H), end), H being where the header ends, found by reading the file's first
  // records; so a header longer than the first range is skipped once and no line is lost.
  if (range.start === 0) return yield* dropFirst(readRecordBatches(path, range, compression, options), skip);
  if (range.end <= range.start) return;
  const h = await headerEnd(path, skip, options);
  if (h >= range.end) return;
  yield* readRecordBatches(path, { start: Math.max(range.start, h), end: range.end }, compression, options);
}

/** The batches of `batches` without their first `n` records. */
async function* dropFirst(batches: AsyncGenerator<string[], void, undefined>, n: number): AsyncGenerator<string[], void, undefined> {
  let left = n;
  for await (const batch of batches) {
    if (left === 0) yield batch;
    else if (batch.length <= left) left -= batch.length;
    else {
      yield batch.slice(left);
      left = 0;
    }
  }
}

/** The byte offset (of an uncompressed file) after its first `n` records: where its header ends (its size if it has fewer). */
async function headerEnd(path: string, n: number, options: ReadLinesOptions): Promise<number> {
  const format = options.format ?? {};
  const splitter = new RecordSplitter(0, Infinity, format.delimiter !== undefined ? Buffer.from(format.delimiter) : undefined, false, n, format.escapechar);
  const fs = options.fileSystem ?? FileSystems;
  try {
    const source = await fs.openRead(path, { start: 0, bufferSize: 1 << 16 });
    try {
      for await (const chunk of source) {
        splitter.push(chunk as Buffer);
        if (splitter.done) return splitter.position;
      }
    } finally {
      source.destroy();
    }
    splitter.finish();
    return splitter.position;
  } catch (err) {
    throw readError(path, "uncompressed", err);
  }
}

/** `readLineBatches` without the header lines. */
async function* readRecordBatches(
  path: string,
  range: { readonly start: number; readonly end: number },
  compression: Compression,
  options: ReadLinesOptions,
): AsyncGenerator<string[], void, undefined> {
  const resolved = resolveCompression(path, compression);
  const whole = resolved !== "uncompressed";
  const { start } = range;
  const end = whole ? Infinity : range.end;
  if (!(start >= 0) || !Number.isInteger(start) || !(end >= start)) {
    throw new FileSystemError(
      `Cannot read ${path}: invalid range [${start}, ${range.end}); need 0 <= start <= end.`,
      path,
      { code: "INVALID_ARGUMENT" },
    );
  }
  if (whole && start !== 0) {
    throw new FileSystemError(
      `Cannot read ${path} from byte ${start}: ${resolved} files cannot be split; read the range [0, size) as a whole.`,
      path,
      { code: "INVALID_ARGUMENT" },
    );
  }
  if (start === end) return;
  const chunkSize = Math.max(1, Math.floor(options.chunkSize ?? DEFAULT_CHUNK_BYTES));
  const batchBytes = Math.max(1, Math.floor(options.batchBytes ?? DEFAULT_BATCH_BYTES));
  const fs = options.fileSystem ?? FileSystems;
  const format = options.format;
  const records =
    format !== undefined && (format.delimiter !== undefined || format.keepTerminators === true || format.escapechar !== undefined)
      ? new RecordSplitter(start, end, format.delimiter !== undefined ? Buffer.from(format.delimiter) : undefined, format.keepTerminators === true, Infinity, format.escapechar)
      : undefined;
  const splitter: Splitter = records ?? new LineSplitter(start, end);
  try {
    if (records !== undefined && format?.escapechar !== undefined && records.readStart > 0) {
      // Whether the first terminator a range sees is escaped depends on the escapes just before it:
      // start before all of them (Beam Python seeks back over them too).
      records.startEarlier(await escapesBefore(fs, path, records.readStart, format.escapechar));
    }
    const decompress = decompressing(resolved, Math.max(64, chunkSize));
    if (decompress !== undefined) {
      const raw = await fs.openRead(path, { bufferSize: Math.max(chunkSize, 1 << 16) });
      const source = pipeline(raw, decompress, () => {
        /* errors surface through the decompressing stream */
      });
      yield* splitStream(source, splitter, batchBytes);
    } else {
      // The range and a little more (its last line usually ends there) in chunks of equal size; then, only when
      // that line runs on, windows twice as long each time. An open-ended stream would read a whole chunk ahead
      // past the range's end (a stream reads ahead), which cost 60 % more bytes read than the file's size.
      let from = splitter.readStart;
      let length = end === Infinity ? Infinity : end - from + Math.min(LAST_LINE_BYTES, chunkSize);
      const readBytes = Math.min(chunkSize, MAX_READ_BYTES);
      while (!splitter.done) {
        const bufferSize = length === Infinity ? readBytes : Math.ceil(length / Math.ceil(length / readBytes));
        const source = await fs.openRead(path, { start: from, ...(length === Infinity ? {} : { end: from + length }), bufferSize });
        const read = { bytes: 0 };
        yield* splitStream(source, splitter, batchBytes, read);
        // Fewer bytes than asked for: the end of the file. (More: the file system read on past the window's end.)
        if (read.bytes !== length) break;
        from += length;
        length = Math.min(2 * length, Math.max(chunkSize, LAST_LINE_BYTES));
      }
    }
    const last = splitter.finish();
    if (last.length > 0) yield last;
    if (splitter.invalidUtf8Lines > 0) options.onInvalidUtf8?.(splitter.invalidUtf8Lines);
  } catch (err) {
    throw readError(path, resolved, err);
  }
}

/** How many bytes equal to `escape` come right before offset `at` of `path` (read backwards in blocks). */
async function escapesBefore(fs: Pick<FileOperations, "openRead">, path: string, at: number, escape: number): Promise<number> {
  let count = 0;
  for (let end = at; end > 0; ) {
    const start = Math.max(0, end - 4096);
    const source = await fs.openRead(path, { start, end, bufferSize: end - start });
    const chunks: Buffer[] = [];
    try {
      for await (const chunk of source) chunks.push(chunk as Buffer);
    } finally {
      source.destroy();
    }
    const block = Buffer.concat(chunks).subarray(0, end - start);
    for (let i = block.length - 1; i >= 0; i--) {
      if (block[i] !== escape) return count;
      count++;
    }
    end = start;
  }
  return count;
}

/** What `readRecordBatches` needs of a splitter (`LineSplitter`, or `RecordSplitter` for the format options). */
type Splitter = Pick<LineSplitter, "done" | "readStart" | "push" | "finish" | "invalidUtf8Lines">;

/** Bytes past a range's end read with it, for its last line (which usually ends within them). */
const LAST_LINE_BYTES = 1 << 16;

/** Feeds `source` to `splitter` in slices of at most `batchBytes`, yielding the lines; stops when the splitter is done. */
async function* splitStream(source: Readable, splitter: Splitter, batchBytes: number, read = { bytes: 0 }): AsyncGenerator<string[], void, undefined> {
  try {
    for await (const chunk of source) {
      const buf = chunk as Buffer;
      read.bytes += buf.length;
      for (let at = 0; at < buf.length; at += batchBytes) {
        const lines = splitter.push(at === 0 && buf.length <= batchBytes ? buf : buf.subarray(at, at + batchBytes));
        if (lines.length > 0) yield lines;
        if (splitter.done) return;
      }
    }
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

