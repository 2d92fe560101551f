/**
 * ReadFromParquetBatched and ReadAllFromParquetBatched (Beam Python's, which give a
 * `pyarrow.Table` per row group): each row group read whole as one ParquetBatch (./batch), split
 * over workers by row groups as ReadFromParquet, with the same options (`columns`, `int64`,
 * range size, `validate` / `emptyMatchTreatment`). A file with no row groups gives no batch.
 */
import { type Coder } from "../../coders/coder";
import { JsValueCoder } from "../../coders/js_value";
import { StringUtf8Coder } from "../../coders/primitive";
import { KVCoder } from "../../coders/structural";
import { ValidationError } from "../../model/errors";
import { PBegin, PCollection } from "../../model/pcollection";
import { ParDo } from "../../model/pardo";
import { Impulse } from "../../model/primitives";
import { PTransform, ValidationContext } from "../../model/transform";
import { type KV } from "../../model/window";
import { Reshuffle } from "../../transforms/util";
import { type FileMetadata } from "../filesystems/filesystem";
import { ReadableFile } from "../fileio";
import { ExpandFilesToRanges, ExpandPatternsToRanges, filePatterns, validatePatterns } from "../file_ranges";
import type { ParquetBatch } from "./batch";
import { checkOptions, ReadRanges, type ReadAllFromParquetOptions, type ReadFromParquetOptions } from "./read";

/** Each row group of the Parquet files matching the patterns as one ParquetBatch (Beam Python's `ReadFromParquetBatched`). */
export class ReadFromParquetBatched<T extends object = Record<string, unknown>> extends PTransform<PBegin, PCollection<ParquetBatch<T>>> {
  /** The file patterns read. */
  readonly patterns: readonly string[];

  /** `p.apply(ReadFromParquetBatched.from<User>("data/*.parquet"))`: one `{ numRows, columns }` per row group (columns typed from T, which the caller vouches for). */
  static from<T extends object = Record<string, unknown>>(pattern: string | readonly string[], options: ReadFromParquetOptions = {}): ReadFromParquetBatched<T> {
    return new ReadFromParquetBatched<T>(pattern, options);
  }

  private constructor(
    pattern: string | readonly string[],
    /** Projection, int64 mapping, range size and validation (as ReadFromParquet's). */
    readonly options: ReadFromParquetOptions,
  ) {
    super("ReadFromParquetBatched");
    this.patterns = filePatterns("ReadFromParquetBatched", pattern);
    checkOptions("ReadFromParquetBatched", options);
    if (options.asRows === true) throw new ValidationError("ReadFromParquetBatched: asRows is ReadFromParquet's (batches are columns, not Beam rows); use ReadFromParquet.from(pattern, { asRows: true })");
  }

  expand(input: PBegin): PCollection<ParquetBatch<T>> {
    return input
      .apply("Impulse", Impulse.create())
      .apply("ExpandPatterns", ParDo.of(new ExpandPatternsToRanges(this.patterns, this.options.desiredBundleSizeBytes, this.options.validate === false, this.options.minBundleSize)))
      .apply("Reshuffle", Reshuffle.viaRandomKey())
      .apply("ReadRowGroups", ParDo.of(new ReadRanges<ParquetBatch<T>>({ columns: this.options.columns, int64: this.options.int64 ?? "number", batched: true }, false)))
      .setCoder(JsValueCoder.INSTANCE as Coder<ParquetBatch<T>>);
  }

  override async validate(ctx: ValidationContext): Promise<void> {
    await validatePatterns(this.patterns, this.options.validate, ctx);
  }
}

/** Each row group of the Parquet files each input element names (a pattern, FileMetadata or ReadableFile) as one ParquetBatch (Beam Python's `ReadAllFromParquetBatched`). */
export class ReadAllFromParquetBatched<Out = ParquetBatch> extends PTransform<PCollection<string | FileMetadata | ReadableFile>, PCollection<Out>> {
  /** One ParquetBatch per row group. */
  static create<T extends object = Record<string, unknown>>(options: ReadAllFromParquetOptions = {}): ReadAllFromParquetBatched<ParquetBatch<T>> {
    return new ReadAllFromParquetBatched<ParquetBatch<T>>(options, false);
  }
  /** `KV(path, batch)` per row group, as Beam Python's `ReadAllFromParquetBatched(with_filename=True)`. */
  static withFilename<T extends object = Record<string, unknown>>(options: ReadAllFromParquetOptions = {}): ReadAllFromParquetBatched<KV<string, ParquetBatch<T>>> {
    return new ReadAllFromParquetBatched<KV<string, ParquetBatch<T>>>(options, true);
  }

  private constructor(
    /** Projection, int64 mapping, range size and what an empty match does. */
    readonly options: ReadAllFromParquetOptions,
    private readonly withFilename: boolean,
  ) {
    super("ReadAllFromParquetBatched");
    checkOptions("ReadAllFromParquetBatched", options);
  }

  expand(input: PCollection<string | FileMetadata | ReadableFile>): PCollection<Out> {
    const batches = JsValueCoder.INSTANCE as Coder<unknown>;
    return input
      .apply("ExpandFiles", ParDo.of(new ExpandFilesToRanges(this.options)))
      .apply("Reshuffle", Reshuffle.viaRandomKey())
      .apply("ReadRowGroups", ParDo.of(new ReadRanges<Out>({ columns: this.options.columns, int64: this.options.int64 ?? "number", batched: true }, this.withFilename)))
      .setCoder((this.withFilename ? new KVCoder(StringUtf8Coder.INSTANCE, batches) : batches) as Coder<Out>);
  }
}
