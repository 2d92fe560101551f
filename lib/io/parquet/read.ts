/**
 * ReadFromParquet and ReadAllFromParquet: the rows of Parquet files as plain objects (column name
 * → value), as Beam Python's `apache_beam.io.parquetio.ReadFromParquet` / `ReadAllFromParquet`
 * (Java's `ParquetIO.read`), with a `columns` projection. Files are cut into byte ranges spread
 * over the workers by a Reshuffle; as Beam Python's _ParquetSource, a row group belongs to the
 * range that holds its start (its first column's dictionary page, else its first data page), so
 * the ranges of a file read disjoint row groups and together every row exactly once.
 *
 * Values: int32/float/double as numbers, int64 as numbers (default; beyond ±2^53 fails the read)
 * or bigints (`int64: "bigint"`), strings, binary as Uint8Array, bool, timestamps (INT96 too) and
 * dates as Dates (the millisecond a finer timestamp falls in), decimals as exact decimal strings
 * ("12.30", as Beam Python's decimal.Decimal), lists as arrays, structs as objects, nulls as null
 * (./values). ReadFromParquetBatched gives each row group whole, as columns (./batch).
 */
import type { FileMetaData, RowGroup } from "hyparquet" with { "resolution-mode": "import" };
import { type Coder } from "../../coders/coder";
import { JsValueCoder } from "../../coders/js_value";
import { StringUtf8Coder } from "../../coders/primitive";
import { KVCoder } from "../../coders/structural";
import { DoFn, ProcessContext } from "../../model/dofn";
import { ValidationError } from "../../model/errors";
import { PBegin, PCollection } from "../../model/pcollection";
import { ParDo } from "../../model/pardo";
import { Impulse } from "../../model/primitives";
import { PTransform, ValidationContext } from "../../model/transform";
import { KV, kv } from "../../model/window";
import { Reshuffle } from "../../transforms/util";
import { FileSystemError, type FileMetadata } from "../filesystems/filesystem";
import { type EmptyMatchTreatment, ReadableFile } from "../fileio";
import { checkRangeOptions, ExpandFilesToRanges, ExpandPatternsToRanges, filePatterns, validatePatterns, type FileRange } from "../file_ranges";
import { fileBuffer, hyparquet, readCompressors } from "./library";
import type { Schema } from "../../coders/schema";
import { setRowCoder } from "../../transforms/schema_paths";
import { beamSchemaOfParquet, rowConverter } from "./as_rows";
import { type ParquetBatch, rowsToBatch } from "./batch";
import type { ParquetInt64 } from "./schema";
import { decimalRowConverter, plainValue, TIMESTAMP_PARSERS, withoutDecimalAnnotations } from "./values";

/** Options of ReadFromParquet (Beam Python's `columns`, `min_bundle_size`, `validate`). */
export interface ReadFromParquetOptions {
  /** Read only these top-level columns (Beam Python's `columns`); default all. */
  readonly columns?: readonly string[];
  /** How INT64 columns map to JS: "number" (default; beyond ±2^53 fails the read) or "bigint". */
  readonly int64?: ParquetInt64;
  /** Target size of the byte ranges read in parallel (default as ReadFromText's). */
  readonly desiredBundleSizeBytes?: number;
  /** No range smaller than this many bytes (Beam Python's `min_bundle_size`; default 0). */
  readonly minBundleSize?: number;
  /** Check before running that every pattern matches a file (default true, as Beam); false: a pattern matching nothing reads nothing. */
  readonly validate?: boolean;
  /** Beam rows with a RowCoder of the files' Beam schema, read from the first file's footer when the transform is made (Beam Python's `as_rows`; a local pattern; int64s as bigints, timestamps as epoch milliseconds: ./as_rows). Default false. */
  readonly asRows?: boolean;
}

/** Options of ReadAllFromParquet. */
export interface ReadAllFromParquetOptions {
  /** Read only these top-level columns; default all. */
  readonly columns?: readonly string[];
  /** How INT64 columns map to JS (see ReadFromParquetOptions.int64). */
  readonly int64?: ParquetInt64;
  /** Target size of the byte ranges read in parallel (default 64 MiB, as Beam Python's ReadAllFromParquet). */
  readonly desiredBundleSizeBytes?: number;
  /** No range smaller than this many bytes (Beam Python's `min_bundle_size`; default 0). */
  readonly minBundleSize?: number;
  /** A pattern that matches nothing: default `"ALLOW_IF_WILDCARD"` (as ReadAllFromText). */
  readonly emptyMatchTreatment?: EmptyMatchTreatment;
}

/** A byte range of a Parquet file (file_ranges.ts). */
export type ParquetRange = FileRange;

/** Where a row group starts, as Beam Python's _ParquetUtils.get_offset: its first column's dictionary page, else its first data page. */
export function rowGroupStart(group: RowGroup): number {
  const meta = group.columns[0]?.meta_data;
  if (meta === undefined) return Number(group.file_offset ?? 0);
  return Number(meta.dictionary_page_offset !== undefined && meta.dictionary_page_offset > 0n ? meta.dictionary_page_offset : meta.data_page_offset);
}

/** The row groups (index, first row, end row) whose start lies in [start, end). */
export function rowGroupsIn(metadata: FileMetaData, start: number, end: number): { index: number; rowStart: number; rowEnd: number }[] {
  const out: { index: number; rowStart: number; rowEnd: number }[] = [];
  let row = 0;
  metadata.row_groups.forEach((g, index) => {
    const rows = Number(g.num_rows);
    const at = rowGroupStart(g);
    if (at >= start && at < end) out.push({ index, rowStart: row, rowEnd: row + rows });
    row += rows;
  });
  return out;
}

/** What ReadRanges reads and how it gives it. */
export interface ReadSpec {
  readonly columns?: readonly string[];
  readonly int64: ParquetInt64;
  /** Each row group as one ParquetBatch (ReadFromParquetBatched) instead of its rows. */
  readonly batched?: boolean;
}

/** A footer as read and what reading its rows needs. */
interface Footer {
  /** The footer as hyparquet reads the rows (decimal annotations off: ./values). */
  readonly metadata: FileMetaData;
  /** The columns given, in order (the projection, else the file's top-level columns). */
  readonly columns: string[];
  readonly decimals: ((row: Record<string, unknown>) => Record<string, unknown>) | undefined;
}

/** Reads the row groups of each range; with `withFilename`, as KV(path, row or batch). */
export class ReadRanges<Out> extends DoFn<ParquetRange, Out> {
  /** Recent files' footers: the ranges of one file usually follow one another. */
  private readonly footers = new Map<string, Footer>();
  constructor(
    private readonly spec: ReadSpec,
    private readonly withFilename: boolean,
  ) {
    super();
  }

  private async footer(range: ParquetRange): Promise<Footer> {
    const known = this.footers.get(range.path);
    if (known !== undefined) return known;
    let metadata: FileMetaData;
    try {
      metadata = await hyparquet().parquetMetadataAsync(fileBuffer(range.path, range.size));
    } catch (e) {
      throw new FileSystemError(`Cannot read Parquet file ${range.path}: its footer is not a Parquet footer (${(e as Error).message}). Is it a Parquet file?`, range.path, { cause: e, code: "CORRUPT_DATA" });
    }
    const top = hyparquet().parquetSchema(metadata).children.map((c) => c.element.name);
    const columns = this.spec.columns;
    if (columns !== undefined) {
      const missing = columns.filter((c) => !top.includes(c));
      if (missing.length > 0) throw new FileSystemError(`Cannot read columns ${missing.map((c) => `'${c}'`).join(", ")} of Parquet file ${range.path}: it has no such column (its columns: ${top.join(", ")}).`, range.path, { code: "INVALID_ARGUMENT" });
    }
    const footer: Footer = { metadata: withoutDecimalAnnotations(metadata), columns: columns === undefined ? top : [...columns], decimals: decimalRowConverter(metadata) };
    if (this.footers.size >= 16) this.footers.delete(this.footers.keys().next().value as string);
    this.footers.set(range.path, footer);
    return footer;
  }

  async process(range: ParquetRange, ctx: ProcessContext<Out>): Promise<void> {
    const out = ctx as unknown as ProcessContext<unknown>;
    const { metadata, columns, decimals } = await this.footer(range);
    const file = fileBuffer(range.path, range.size);
    for (const group of rowGroupsIn(metadata, range.start, range.end)) {
      let rows: Record<string, unknown>[];
      try {
        rows = await hyparquet().parquetReadObjects({
          file,
          metadata,
          columns: this.spec.columns === undefined ? undefined : [...this.spec.columns],
          rowStart: group.rowStart,
          rowEnd: group.rowEnd,
          compressors: readCompressors(),
          utf8: false, // only columns annotated as strings are strings; binary stays bytes
          parsers: TIMESTAMP_PARSERS,
        });
      } catch (e) {
        throw new FileSystemError(`Cannot read row group ${group.index} of Parquet file ${range.path}: ${(e as Error).message}.`, range.path, { cause: e, code: "CORRUPT_DATA" });
      }
      const values = rows.map((row, i) => plainValue(decimals === undefined ? row : decimals(row), this.spec.int64, () => `Parquet file ${range.path}, row ${group.rowStart + i}`) as Record<string, unknown>);
      if (this.spec.batched) {
        const batch: ParquetBatch = rowsToBatch(values, columns);
        out.output(this.withFilename ? kv(range.path, batch) : batch);
      } else {
        for (const value of values) out.output(this.withFilename ? kv(range.path, value) : value);
      }
    }
  }
}

export function checkOptions(transform: string, options: { columns?: readonly string[]; int64?: ParquetInt64; desiredBundleSizeBytes?: number; minBundleSize?: number }): void {
  if (options.int64 !== undefined && options.int64 !== "number" && options.int64 !== "bigint") throw new ValidationError(`${transform}: unknown int64 '${String(options.int64)}'; use "number" or "bigint"`);
  checkRangeOptions(transform, options);
  const c = options.columns;
  if (c !== undefined && (!Array.isArray(c) || c.length === 0 || c.some((n) => typeof n !== "string" || n === ""))) {
    throw new ValidationError(`${transform}: columns must be a non-empty array of column names, got ${JSON.stringify(c)}`);
  }
}

/** The rows of the Parquet files matching one or more patterns (local paths or gs://), as plain objects. */
export class ReadFromParquet<T = Record<string, unknown>> extends PTransform<PBegin, PCollection<T>> {
  /** The file patterns read. */
  readonly patterns: readonly string[];

  /** `p.apply(ReadFromParquet.from<User>("data/users-*.parquet", { columns: ["name", "age"] }))`: each row as a plain object (typed as T, which the caller vouches for). */
  static from<T = Record<string, unknown>>(pattern: string | readonly string[], options: ReadFromParquetOptions = {}): ReadFromParquet<T> {
    return new ReadFromParquet<T>(pattern, options);
  }

  /** With `asRows`, the Beam schema of the rows (read from the first file when the transform was made). */
  readonly beamSchema: Schema<object> | undefined;

  private constructor(
    pattern: string | readonly string[],
    /** Projection, int64 mapping, range size, validation and asRows. */
    readonly options: ReadFromParquetOptions,
  ) {
    super("ReadFromParquet");
    this.patterns = filePatterns("ReadFromParquet", pattern);
    checkOptions("ReadFromParquet", options);
    if (options.asRows === true) {
      if (options.int64 === "number") throw new ValidationError(`ReadFromParquet: asRows gives Beam rows, whose int64s are bigints; leave int64 unset`);
      try {
        this.beamSchema = beamSchemaOfParquet(this.patterns[0]!, options.columns);
      } catch (e) {
        throw new ValidationError(`ReadFromParquet(asRows): ${(e as Error).message}`);
      }
    }
  }

  expand(input: PBegin): PCollection<T> {
    const rows = input
      .apply("Impulse", Impulse.create())
      .apply("ExpandPatterns", ParDo.of(new ExpandPatternsToRanges(this.patterns, this.options.desiredBundleSizeBytes, this.options.validate === false, this.options.minBundleSize)))
      .apply("Reshuffle", Reshuffle.viaRandomKey())
      .apply("ReadRowGroups", ParDo.of(new ReadRanges<T>({ columns: this.options.columns, int64: this.beamSchema !== undefined ? "bigint" : (this.options.int64 ?? "number") }, false)));
    if (this.beamSchema === undefined) return rows.setCoder(JsValueCoder.INSTANCE as Coder<T>);
    rows.setCoder(JsValueCoder.INSTANCE as Coder<T>);
    const convert = rowConverter(this.beamSchema);
    const out = convert === undefined ? rows : rows.map("ToBeamRows", (r: T) => convert(r as Record<string, unknown>) as T);
    setRowCoder(out as PCollection<unknown>, this.beamSchema);
    return out;
  }

  override async validate(ctx: ValidationContext): Promise<void> {
    await validatePatterns(this.patterns, this.options.validate, ctx);
  }
}

/**
 * The rows of the Parquet files named by each input element: a pattern (Beam Python's
 * `ReadAllFromParquet`), a FileMetadata (from `FileIO.matchAll`) or a ReadableFile (Beam Java's
 * `ParquetIO.readFiles`).
 */
export class ReadAllFromParquet<Out = Record<string, unknown>> extends PTransform<PCollection<string | FileMetadata | ReadableFile>, PCollection<Out>> {
  /** Each row as a plain object (typed as T). */
  static create<T = Record<string, unknown>>(options: ReadAllFromParquetOptions = {}): ReadAllFromParquet<T> {
    return new ReadAllFromParquet<T>(options, false);
  }
  /** `KV(path, row)` for each row, as Beam Python's `ReadAllFromParquet(with_filename=True)`. */
  static withFilename<T = Record<string, unknown>>(options: ReadAllFromParquetOptions = {}): ReadAllFromParquet<KV<string, T>> {
    return new ReadAllFromParquet<KV<string, T>>(options, true);
  }

  private constructor(
    /** Projection, int64 mapping, range size and what an empty match does. */
    readonly options: ReadAllFromParquetOptions,
    private readonly withFilename: boolean,
  ) {
    super("ReadAllFromParquet");
    checkOptions("ReadAllFromParquet", options);
  }

  expand(input: PCollection<string | FileMetadata | ReadableFile>): PCollection<Out> {
    const rows = JsValueCoder.INSTANCE as Coder<unknown>;
    return input
      .apply("ExpandFiles", ParDo.of(new ExpandFilesToRanges(this.options)))
      .apply("Reshuffle", Reshuffle.viaRandomKey())
      .apply("ReadRowGroups", ParDo.of(new ReadRanges<Out>({ columns: this.options.columns, int64: this.options.int64 ?? "number" }, this.withFilename)))
      .setCoder((this.withFilename ? new KVCoder(StringUtf8Coder.INSTANCE, rows) : rows) as Coder<Out>);
  }
}
