/**
 * ReadFromCsv: RFC 4180 CSV files (local or gs://, gzip too) as typed rows, split across workers,
 * with malformed records sent to a dead-letter output.
 *
 *     const { rows, deadLetters } = p.apply(ReadFromCsv.from("gs://b/products-*.csv", { schema: { id: "string", price: "number?" } }));
 *
 * The graph: match the files and split them into byte ranges → scan every range (in parallel) for
 * its quote-state summary → per file, compose the summaries into each range's exact start state
 * and line, and read the header → read the ranges (in parallel), parsing records with csv-parse.
 * How splitting stays exact with quoted newlines: see ./scanner.ts.
 */
import type { DeadLetterOptions } from "../../model/dead_letter";
import { DoFn, ProcessContext } from "../../model/dofn";
import { currentStep, OWN_METRICS_ATTRIBUTION } from "../../model/metrics";
import { ValidationError } from "../../model/errors";
import { PBegin, PCollection } from "../../model/pcollection";
import { ParDo } from "../../model/pardo";
import { GroupByKey, Impulse } from "../../model/primitives";
import { PTransform, ValidationContext } from "../../model/transform";
import { KV, kv } from "../../model/window";
import { Reshuffle } from "../../transforms/util";
import { FileSystems, readInScopeUnlessLocal } from "../filesystems/registry";
import { type Compression, resolveCompression, splitIntoRanges, type TextRange } from "../text_read";
import { composeStarts, delimiterByte, RangeScanner, RECORD_START, type RangeSummary, type RawRecord } from "./scanner";
import { checkSchema, RowBuilder, type CsvRecord, type CsvRowOf, type CsvSchema } from "./schema";
import { csvParseOptions, openRange, parseRecords, readHeader, readRecordBatches, type CsvHeader } from "./source";

/** A record that could not be read as a row. */
export interface CsvDeadLetter {
  /** The file it came from. */
  readonly file: string;
  /** 1-based line of the file on which the record starts. */
  readonly line: number;
  /** The record's text (without its line terminator; cut after 64 KiB). */
  readonly raw: string;
  /** Why it was rejected. */
  readonly reason: string;
}

/** Options of ReadFromCsv. */
export interface ReadFromCsvOptions<S extends CsvSchema | undefined = undefined> extends DeadLetterOptions {
  /** Column types; rows then hold these columns only, converted. Without it rows are `Record<string, string>` of every column. */
  readonly schema?: S;
  /** Whether each file starts with a header record naming the columns (default true). */
  readonly header?: boolean;
  /** Column names for files without a header (`header: false`); with a header, the header must equal them. */
  readonly columns?: readonly string[];
  /** One ASCII character; default ",". */
  readonly delimiter?: string;
  /** "auto" (default: by suffix as Beam's AUTO: .gz, .deflate/.zlib, .bz2, .zst/.zstd, .xz/.lzma, .zip, .snappy, .lzo, .lzo_deflate), or "gzip", "deflate", "bzip2", "zstd", "lzma", "zip", "snappy", "lzop", "lzo", "uncompressed". Compressed files are read whole by one worker. */
  readonly compression?: Compression;
  /** Target size of the byte ranges read in parallel (default 64 MiB). */
  readonly desiredBundleSizeBytes?: number;
  /** A record longer than this is a dead letter (an unclosed quote would otherwise swallow the file); default 16 MiB. */
  readonly maxRecordBytes?: number;
}

/** The outputs of ReadFromCsv. */
export type CsvReadResult<Row> = {
  /** The records that were read, as rows (typed by the schema, if any). */
  readonly rows: PCollection<Row>;
  /** Records that did not parse or convert, with the reason; every record is in exactly one output. */
  readonly deadLetters: PCollection<CsvDeadLetter>;
};

/** The row type for a schema, or `CsvRecord` without one. */
export type CsvRowType<S extends CsvSchema | undefined> = S extends CsvSchema ? CsvRowOf<S> : CsvRecord;

const DEFAULT_BUNDLE_BYTES = 64 * 1024 * 1024;
const DEFAULT_MAX_RECORD_BYTES = 16 * 1024 * 1024;
const MAX_RAW_CHARS = 64 * 1024;
const BATCH_RECORDS = 256;

/** Settings every step of the read shares (plain data: it travels to workers in the graph). */
interface CsvSettings {
  readonly patterns: readonly string[];
  readonly schema: CsvSchema | undefined;
  readonly header: boolean;
  readonly columns: readonly string[] | undefined;
  readonly delimiter: string;
  readonly compression: Compression;
  readonly desiredBundleSizeBytes: number;
  readonly maxRecordBytes: number;
}

/** A byte range of a file; `index` of `count` ranges of that file. */
interface CsvRange {
  readonly path: string;
  readonly start: number;
  readonly end: number;
  readonly index: number;
  readonly count: number;
}

/** Pass 1's result for one range. */
interface ScannedRange {
  readonly range: CsvRange;
  /** Only when the file has several ranges. */
  readonly summary: RangeSummary | null;
  /** Only for the first range of a file with a header (null: the file is empty). */
  readonly header: CsvHeader | null;
}

/** A range ready to read: where its records start, and the file's columns. */
interface RangeToRead {
  readonly range: CsvRange;
  readonly state: number;
  readonly line: number;
  readonly columns: string[];
  /** Byte offset of the header record, which is not a row (-1: no header). */
  readonly headerOffset: number;
}

function headerSettings(s: CsvSettings) {
  return { compression: s.compression, delimiter: s.delimiter, delimiterByte: delimiterByte(s.delimiter), maxRecordBytes: s.maxRecordBytes };
}

/** The columns of a file from its header, checked against the configured columns and schema. */
function fileColumns(settings: CsvSettings, path: string, header: string[] | null): string[] {
  const columns = header ?? [...(settings.columns ?? Object.keys(settings.schema ?? {}))];
  const seen = new Set<string>();
  for (const c of columns) {
    if (seen.has(c)) throw new ValidationError(`${path}: the header names column '${c}' twice; columns must be unique.`);
    seen.add(c);
  }
  if (header !== null && settings.columns !== undefined && JSON.stringify(header) !== JSON.stringify(settings.columns)) {
    throw new ValidationError(`${path}: the header ${JSON.stringify(header)} differs from the configured columns ${JSON.stringify(settings.columns)}.`);
  }
  const missing = new RowBuilder(columns, settings.schema).missingColumns();
  if (missing.length > 0) {
    throw new ValidationError(
      `${path}: the schema's column(s) ${missing.map((m) => `'${m}'`).join(", ")} are not in the file's ${header !== null ? "header" : "columns"} ${JSON.stringify(columns)}. ` +
        `Fix the schema or the file (header: ${settings.header}).`,
    );
  }
  return columns;
}

/**
 * A file's first range must hold a whole UTF-8 BOM (3 bytes) and one more byte, so no other range
 * starts inside the BOM (which is not data). Only tiny test-sized ranges are affected.
 */
function withoutTinyFirstRange(ranges: TextRange[]): TextRange[] {
  const out: TextRange[] = [];
  for (const r of ranges) {
    const prev = out[out.length - 1];
    if (prev !== undefined && prev.path === r.path && prev.start === 0 && prev.end < 4) out[out.length - 1] = { path: r.path, start: 0, end: r.end };
    else out.push(r);
  }
  return out;
}

class ExpandFiles extends DoFn<Uint8Array, CsvRange> {
  constructor(private readonly settings: CsvSettings) {
    super();
  }
  async process(_: Uint8Array, ctx: ProcessContext<CsvRange>): Promise<void> {
    const files = await FileSystems.matchAll(this.settings.patterns);
    const ranges = withoutTinyFirstRange(splitIntoRanges(files, this.settings.desiredBundleSizeBytes, this.settings.compression));
    const count = new Map<string, number>();
    for (const r of ranges) count.set(r.path, (count.get(r.path) ?? 0) + 1);
    const index = new Map<string, number>();
    for (const r of ranges) {
      const i = index.get(r.path) ?? 0;
      index.set(r.path, i + 1);
      ctx.output({ path: r.path, start: r.start, end: r.end, index: i, count: count.get(r.path)! });
    }
  }
}

/** Pass 1: the summary of a range (files of several ranges) and the header (first ranges). */
class ScanRanges extends DoFn<CsvRange, KV<string, ScannedRange>> {
  constructor(private readonly settings: CsvSettings) {
    super();
  }
  async process(range: CsvRange, ctx: ProcessContext<KV<string, ScannedRange>>): Promise<void> {
    const header = range.index === 0 && this.settings.header ? ((await readHeader(range.path, headerSettings(this.settings))) ?? null) : null;
    const summary = range.count > 1 ? await this.summarize(range) : null;
    ctx.output(kv(range.path, { range, summary, header }));
  }

  private async summarize(range: CsvRange): Promise<RangeSummary> {
    // One byte past the end: a \r\n split by the boundary is one line break, not two.
    const stream = await openRange(range.path, range.start, range.end + 1, "uncompressed");
    try {
      const scanner = new RangeScanner(delimiterByte(this.settings.delimiter), range.end - range.start - stream.bomBytes);
      for await (const chunk of stream.chunks) {
        scanner.push(chunk);
        if (scanner.done) break;
      }
      return scanner.finish();
    } finally {
      stream.close();
    }
  }
}

/** Per file: each range's start state and line (composing the summaries in order) and the columns. */
class ResolveStarts extends DoFn<KV<string, ScannedRange[]>, RangeToRead> {
  constructor(private readonly settings: CsvSettings) {
    super();
  }
  process(group: KV<string, ScannedRange[]>, ctx: ProcessContext<RangeToRead>): void {
    const scanned = [...group.value].sort((a, b) => a.range.index - b.range.index);
    const count = scanned[0]!.range.count;
    if (scanned.length !== count || scanned.some((s, i) => s.range.index !== i)) {
      throw new Error(`ReadFromCsv: got ${scanned.length} of the ${count} ranges of ${group.key}; each range must be scanned exactly once.`);
    }
    const first = scanned[0]!;
    if (this.settings.header && first.header === null) return; // an empty file
    const header = this.settings.header ? first.header : null;
    const columns = fileColumns(this.settings, group.key, header?.columns ?? null);
    const starts = count > 1 ? composeStarts(scanned.map((s) => s.summary!)) : [{ state: RECORD_START, line: 1 }];
    for (let i = 0; i < count; i++) {
      ctx.output({ range: scanned[i]!.range, state: starts[i]!.state, line: starts[i]!.line, columns, headerOffset: header?.offset ?? -1 });
    }
  }
}

/** Pass 2: the rows of a range; malformed records to `deadLetters`. */
class ReadRanges extends DoFn<RangeToRead, unknown, { deadLetters: CsvDeadLetter }> {
  /** Called without an async scope (all its rows are emitted from one long call): reads of remote files get one of their own. */
  readonly [OWN_METRICS_ATTRIBUTION] = true;
  constructor(private readonly settings: CsvSettings) {
    super();
  }

  async process(task: RangeToRead, ctx: ProcessContext<unknown, { deadLetters: CsvDeadLetter }>): Promise<void> {
    const step = currentStep();
    const { range } = task;
    const s = this.settings;
    const builder = new RowBuilder(task.columns, s.schema);
    const options = csvParseOptions(s.delimiter);
    const emit = (records: RawRecord[]): void => {
      for (const parsed of parseRecords(records, options, s.maxRecordBytes)) {
        const reason = "error" in parsed ? parsed.error : undefined;
        const built = reason === undefined && "fields" in parsed ? builder.build(parsed.fields) : undefined;
        if (built !== undefined && "row" in built) {
          ctx.output(built.row);
          continue;
        }
        ctx.outputTo("deadLetters", {
          file: range.path,
          line: parsed.record.line,
          raw: rawText(parsed.record),
          reason: reason ?? (built as { reason: string }).reason,
        });
      }
    };
    let batch: RawRecord[] = [];
    const settings = { compression: s.compression, delimiter: delimiterByte(s.delimiter), maxRecordBytes: s.maxRecordBytes };
    const read = async (): Promise<void> => {
      for await (const records of readRecordBatches(range.path, { start: range.start, end: range.end, state: task.state, line: task.line }, settings)) {
        for (const record of records) {
          if (record.offset === task.headerOffset) continue;
          batch.push(record);
          if (batch.length >= BATCH_RECORDS) {
            emit(batch);
            batch = [];
          }
        }
      }
      if (batch.length > 0) emit(batch);
    };
    return readInScopeUnlessLocal(range.path, step, read);
  }
}

function rawText(record: RawRecord): string {
  const text = record.bytes.toString("utf8");
  if (text.length <= MAX_RAW_CHARS && record.truncatedBytes === 0) return text;
  return `${text.slice(0, MAX_RAW_CHARS)}…[${Math.max(0, text.length - MAX_RAW_CHARS) + record.truncatedBytes} more bytes]`;
}

/**
 * Reads CSV files matching one or more patterns (local paths or gs://, globs, .gz) as rows.
 * Produces `{ rows, deadLetters }`.
 */
export class ReadFromCsv<S extends CsvSchema | undefined = undefined> extends PTransform<PBegin, CsvReadResult<CsvRowType<S>>> {
  /** The file patterns read. */
  readonly patterns: readonly string[];
  private readonly settings: CsvSettings;
  private readonly ignoreRejected: boolean;

  /** `p.apply(ReadFromCsv.from("data/*.csv", { schema }))`: `{ rows, deadLetters }`. */
  static from<S extends CsvSchema | undefined = undefined>(pattern: string | readonly string[], options: ReadFromCsvOptions<S> = {}): ReadFromCsv<S> {
    return new ReadFromCsv<S>(pattern, options);
  }

  private constructor(pattern: string | readonly string[], options: ReadFromCsvOptions<S>) {
    super("ReadFromCsv");
    this.patterns = typeof pattern === "string" ? [pattern] : pattern;
    this.ignoreRejected = options.ignoreRejected === true;
    if (this.patterns.length === 0) throw new ValidationError("ReadFromCsv needs at least one file pattern");
    const header = options.header ?? true;
    if (options.schema !== undefined) checkSchema(options.schema, "ReadFromCsv");
    if (!header && options.columns === undefined && options.schema === undefined) {
      throw new ValidationError("ReadFromCsv: files without a header (header: false) need `columns` or a `schema` to name their columns.");
    }
    const delimiter = options.delimiter ?? ",";
    delimiterByte(delimiter);
    const desired = options.desiredBundleSizeBytes ?? DEFAULT_BUNDLE_BYTES;
    const maxRecordBytes = options.maxRecordBytes ?? DEFAULT_MAX_RECORD_BYTES;
    if (!(desired >= 1) || !(maxRecordBytes >= 1)) throw new ValidationError("ReadFromCsv: desiredBundleSizeBytes and maxRecordBytes must be positive.");
    resolveCompression(this.patterns[0]!, options.compression ?? "auto");
    this.settings = {
      patterns: this.patterns,
      schema: options.schema,
      header,
      columns: options.columns,
      delimiter,
      compression: options.compression ?? "auto",
      desiredBundleSizeBytes: desired,
      maxRecordBytes,
    };
  }

  expand(input: PBegin): CsvReadResult<CsvRowType<S>> {
    const s = this.settings;
    const read = input
      .apply("Impulse", Impulse.create())
      .apply("ExpandFiles", ParDo.of(new ExpandFiles(s)))
      .apply("ReshuffleRanges", Reshuffle.viaRandomKey())
      .apply("ScanRanges", ParDo.of(new ScanRanges(s)))
      .apply("GroupByFile", GroupByKey.create())
      .apply("ResolveStarts", ParDo.of(new ResolveStarts(s)))
      .apply("ReshuffleReads", Reshuffle.viaRandomKey())
      .apply(
        "ReadRanges",
        // Counted as beamline/rejected on this step; the run fails if nothing reads them (unless ignoreRejected).
        ParDo.of(new ReadRanges(s), { deadLetters: { deadLetters: { reason: (d) => `${d.file}:${d.line}: ${d.reason}`, ignoreUnread: this.ignoreRejected } } }).withOutputs("deadLetters"),
      );
    return { rows: read.main as PCollection<CsvRowType<S>>, deadLetters: read.deadLetters };
  }

  /** Before the run: the patterns match files, and each file's header fits the columns and schema. */
  override async validate(ctx: ValidationContext): Promise<void> {
    try {
      const files = await FileSystems.matchAll(this.patterns);
      for (const f of files) resolveCompression(f.path, this.settings.compression);
      if (!this.settings.header) return;
      const settings = headerSettings(this.settings);
      let next = 0;
      const check = async (): Promise<void> => {
        while (next < files.length) {
          const file = files[next++]!;
          if (file.sizeBytes === 0) continue;
          const header = await readHeader(file.path, settings);
          if (header !== undefined) fileColumns(this.settings, file.path, header.columns);
        }
      };
      await Promise.all(Array.from({ length: Math.min(8, files.length) }, check));
    } catch (e) {
      throw new ValidationError(`${ctx.transformName}: ${(e as Error).message}`, { cause: e });
    }
  }
}
