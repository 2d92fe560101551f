/**
 * Streaming the bytes of a CSV file's range, and parsing records with csv-parse.
 *
 * Record boundaries come from the scanner (./scanner); csv-parse splits and unescapes the fields
 * of each record and rejects malformed ones. Records are parsed in batches (one csv-parse call per
 * few hundred records); a batch that fails is parsed again record by record, so one bad record
 * costs only itself.
 */
import { isUtf8 } from "node:buffer";
import { pipeline, Readable } from "node:stream";
import { parse as parseCsv, type Options as CsvParseOptions } from "csv-parse/sync";
import { FileSystemError } from "../filesystems/filesystem";
import { FileSystems } from "../filesystems/registry";
import { decompressing, isCorruptCompressedData, resolveCompression, type Compression } from "../compression";
import { RECORD_START, RecordSplitter, type RawRecord } from "./scanner";

/** Bytes per read; small values are for tests. */
export const DEFAULT_CHUNK_BYTES = 1 << 20;

/** A byte stream of a file from `start` (to `end`, if given), decompressed. */
export interface RangeStream {
  readonly chunks: AsyncIterable<Buffer>;
  /** Bytes of a UTF-8 BOM skipped at offset 0 (0 or 3): the first chunk starts after them. */
  readonly bomBytes: number;
  close(): void;
}

function readError(path: string, err: unknown, compression = "uncompressed"): FileSystemError {
  if (err instanceof FileSystemError) return err;
  const message = err instanceof Error ? err.message : String(err);
  if (isCorruptCompressedData(err)) {
    return new FileSystemError(`Cannot read ${path} as ${compression}: ${message}. The file is not valid or is truncated.`, path, { cause: err, code: "CORRUPT_DATA" });
  }
  return new FileSystemError(`Cannot read ${path}: ${message}.`, path, { cause: err });
}

/**
 * Opens `path` at `start` (compressed files: from 0, decompressed). At offset 0 a UTF-8 BOM is skipped
 * and reported in `bomBytes`. `end` bounds the bytes read (uncompressed files only).
 */
export async function openRange(path: string, start: number, end: number | undefined, compression: Compression, chunkSize = DEFAULT_CHUNK_BYTES): Promise<RangeStream> {
  const resolved = resolveCompression(path, compression);
  const decompress = decompressing(resolved, Math.max(64, chunkSize));
  const whole = decompress !== undefined;
  let source: Readable;
  try {
    if (decompress !== undefined) {
      const raw = await FileSystems.openRead(path, { bufferSize: Math.max(chunkSize, 1 << 16) });
      source = pipeline(raw, decompress, () => undefined);
    } else {
      const bufferSize = end === undefined ? chunkSize : Math.max(1, Math.min(chunkSize, end - start));
      source = await FileSystems.openRead(path, { start, ...(end !== undefined ? { end } : {}), bufferSize });
    }
  } catch (err) {
    throw readError(path, err, resolved);
  }
  let bomBytes = 0;
  let head: Buffer | undefined;
  const iterator = source[Symbol.asyncIterator]() as AsyncIterator<Buffer>;
  if (start === 0 || whole) {
    // Read enough to see a BOM (3 bytes), keeping what follows it.
    const parts: Buffer[] = [];
    let size = 0;
    try {
      while (size < 3) {
        const next = await iterator.next();
        if (next.done === true) break;
        parts.push(next.value);
        size += next.value.length;
      }
    } catch (err) {
      source.destroy();
      throw readError(path, err, resolved);
    }
    head = Buffer.concat(parts, size);
    if (head.length >= 3 && head[0] === 0xef && head[1] === 0xbb && head[2] === 0xbf) {
      bomBytes = 3;
      head = head.subarray(3);
    }
  }
  async function* chunks(): AsyncGenerator<Buffer> {
    try {
      if (head !== undefined && head.length > 0) yield head;
      while (true) {
        const next = await iterator.next();
        if (next.done === true) return;
        yield next.value;
      }
    } catch (err) {
      throw readError(path, err, resolved);
    } finally {
      source.destroy();
    }
  }
  return { chunks: chunks(), bomBytes, close: () => source.destroy() };
}

/** The csv-parse options for records already delimited by the scanner. */
export function csvParseOptions(delimiter: string): CsvParseOptions {
  return {
    delimiter,
    quote: '"',
    escape: '"',
    record_delimiter: "\n",
    relax_column_count: true,
    relax_quotes: false,
    skip_empty_lines: false,
    bom: false,
    encoding: "utf8",
  };
}

/** A parsed record: its fields, or why it could not be parsed. */
export type ParsedRecord = { readonly record: RawRecord; readonly fields: string[] } | { readonly record: RawRecord; readonly error: string };

/** csv-parse reports lines relative to the text it got; make them lines of the file. */
function fileLineMessage(message: string, firstLine: number): string {
  return message.replace(/\bat line (\d+)/g, (_m, n: string) => `at line ${firstLine + Number(n) - 1}`);
}

function tooLong(record: RawRecord, maxRecordBytes: number): string {
  return `record is longer than ${maxRecordBytes} bytes (maxRecordBytes); the ${record.truncatedBytes} bytes beyond were not kept. Is a quote opened on line ${record.line} never closed?`;
}

/** Parses one record on its own. */
export function parseRecord(record: RawRecord, options: CsvParseOptions, maxRecordBytes: number): ParsedRecord {
  if (record.truncatedBytes > 0) return { record, error: tooLong(record, maxRecordBytes) };
  if (record.unclosedQuote) return { record, error: `a quoted field opened on or after line ${record.line} is never closed (the file ends inside it)` };
  if (!isUtf8(record.bytes)) return { record, error: invalidUtf8(record) };
  try {
    const rows = parseCsv(record.bytes, options) as string[][];
    if (rows.length !== 1) return { record, error: `the text parses as ${rows.length} records, not one` };
    return { record, fields: rows[0]! };
  } catch (err) {
    return { record, error: fileLineMessage(err instanceof Error ? err.message : String(err), record.line) };
  }
}

const NEWLINE = Buffer.from("\n");

function invalidUtf8(record: RawRecord): string {
  // The first U+FFFD of the decoded text that is not an encoded U+FFFD (EF BF BD) in the bytes.
  const text = record.bytes.toString("utf8");
  let valid = 0;
  for (let i = text.indexOf("\uFFFD"); i >= 0; i = text.indexOf("\uFFFD", i + 1)) {
    valid = Buffer.byteLength(text.slice(0, i));
    if (!(record.bytes[valid] === 0xef && record.bytes[valid + 1] === 0xbf && record.bytes[valid + 2] === 0xbd)) break;
  }
  return `the record is not valid UTF-8 (first invalid byte 0x${record.bytes[valid]?.toString(16).padStart(2, "0") ?? "??"} at byte ${valid} of the record on line ${record.line}); convert the file to UTF-8 (e.g. iconv -f latin1 -t utf-8)`;
}

/** Parses records in one csv-parse call; falls back to one call per record if any is malformed. */
export function parseRecords(records: readonly RawRecord[], options: CsvParseOptions, maxRecordBytes: number): ParsedRecord[] {
  const clean = records.every((r) => r.truncatedBytes === 0 && !r.unclosedQuote);
  if (clean && records.length > 1) {
    const parts: Buffer[] = [];
    for (const r of records) parts.push(r.bytes, NEWLINE);
    const text = Buffer.concat(parts);
    try {
      // Invalid UTF-8 (found record by record below) must not be read as U+FFFD silently.
      const rows = isUtf8(text) ? (parseCsv(text, options) as string[][]) : [];
      if (rows.length === records.length) return rows.map((fields, i) => ({ record: records[i]!, fields }));
    } catch {
      // some record is malformed: find it below
    }
  }
  return records.map((r) => parseRecord(r, options, maxRecordBytes));
}

/** The records of [start, end) of a file, in batches, given the scanner state and line at `start`. */
export async function* readRecordBatches(
  path: string,
  range: { readonly start: number; readonly end: number; readonly state: number; readonly line: number },
  settings: { readonly compression: Compression; readonly delimiter: number; readonly maxRecordBytes: number; readonly chunkSize?: number },
): AsyncGenerator<RawRecord[]> {
  const stream = await openRange(path, range.start, undefined, settings.compression, settings.chunkSize);
  try {
    const start = range.start + stream.bomBytes;
    const splitter = new RecordSplitter(settings.delimiter, start, range.end, range.state, range.line, settings.maxRecordBytes);
    if (splitter.done) return;
    for await (const chunk of stream.chunks) {
      const records = splitter.push(chunk);
      if (records.length > 0) yield records;
      if (splitter.done) return;
    }
    const last = splitter.finish();
    if (last.length > 0) yield last;
  } finally {
    stream.close();
  }
}

/** A file's header: its column names and where the header record starts. */
export interface CsvHeader {
  readonly columns: string[];
  /** Byte offset of the header record (after a BOM and any blank lines). */
  readonly offset: number;
}

/**
 * The first record of a file parsed as its header, or `undefined` for an empty file. A header
 * that does not parse is an error naming the file.
 */
export async function readHeader(path: string, settings: { readonly compression: Compression; readonly delimiter: string; readonly delimiterByte: number; readonly maxRecordBytes: number }): Promise<CsvHeader | undefined> {
  for await (const batch of readRecordBatches(path, { start: 0, end: Infinity, state: RECORD_START, line: 1 }, { ...settings, delimiter: settings.delimiterByte, chunkSize: 1 << 16 })) {
    const parsed = parseRecord(batch[0]!, csvParseOptions(settings.delimiter), settings.maxRecordBytes);
    if ("error" in parsed) throw new FileSystemError(`Cannot read the header (first record) of ${path}: ${parsed.error}.`, path, { code: "CORRUPT_DATA" });
    return { columns: parsed.fields, offset: parsed.record.offset };
  }
  return undefined;
}
