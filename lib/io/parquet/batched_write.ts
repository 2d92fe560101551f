/**
 * WriteToParquetBatched (Beam Python's, which takes `pyarrow.Table`s): ParquetBatches (./batch)
 * written as sharded Parquet files, each batch its own row group (split further only past
 * `rowGroupSize` rows), as pyarrow's `write_table` writes each Table given. The same options,
 * checks and atomic output as WriteToParquet; a batch is checked whole (every column an array of
 * `numRows` values, every value fitting the schema) before anything is written.
 */
import { type Coder } from "../../coders/coder";
import { JsValueCoder } from "../../coders/js_value";
import { DoFn, ProcessContext } from "../../model/dofn";
import { ValidationError } from "../../model/errors";
import { PCollection } from "../../model/pcollection";
import { ParDo } from "../../model/pardo";
import { Window } from "../../model/primitives";
import { FailureCleanupContext, PTransform, ValidationContext } from "../../model/transform";
import { GlobalWindows } from "../../model/windowing";
import type { RecordFileBuilder, RecordFileFormat } from "../binary_file_stream";
import { abortTempFiles, validateOutputPrefix } from "../sharded_files";
import { batchProblem, batchRows, type ParquetBatch } from "./batch";
import { type ParquetRow, type ParquetSchema, rowNormalizer } from "./schema";
import { checkRow, checkWriteOptions, ParquetFileBuilder, type WriteSpec, type WriteToParquetOptions, writeParquetShards, writeSpec } from "./write";

type Rows = Record<string, unknown>[];

/** Each batch checked and normalized into its rows (kept together: they become one row group). */
class CheckBatches extends DoFn<ParquetBatch, Rows> {
  private normalize: ((row: unknown) => Record<string, unknown>) | undefined;
  constructor(
    private readonly schema: ParquetSchema,
    private readonly transform: string,
    private readonly int96: boolean,
  ) {
    super();
  }
  process(batch: ParquetBatch, ctx: ProcessContext<Rows>): void {
    const problem = batchProblem(batch);
    if (problem !== undefined) throw new TypeError(`${this.transform}: an input is not a ParquetBatch: ${problem}. Give { numRows, columns: { name: values[] } }.`);
    const normalize = (this.normalize ??= rowNormalizer(this.schema, this.int96));
    const missing = Object.keys(this.schema).filter((c) => !(c in batch.columns));
    if (missing.length > 0) throw new TypeError(`${this.transform}: a batch has no column ${missing.map((c) => `'${c}'`).join(", ")} (every column of the schema must be given).`);
    const rows = batchRows(batch).map((r, i) => checkRow(normalize, r, this.transform, `row ${i} of a batch`));
    if (rows.length > 0) ctx.output(rows);
  }
}

/** A file of batches: each batch's rows, then the row group ends. */
class BatchFileBuilder implements RecordFileBuilder<Rows> {
  private readonly file: ParquetFileBuilder;
  constructor(spec: WriteSpec) {
    // No byte-size cut inside a batch: a batch is a row group, as pyarrow writes a Table.
    this.file = new ParquetFileBuilder({ ...spec, rowGroupBufferSize: Number.MAX_SAFE_INTEGER });
  }
  get bytes(): number {
    return this.file.bytes;
  }
  get records(): number {
    return this.file.records;
  }
  add(rows: Rows): void {
    for (const r of rows) this.file.add(r);
    this.file.endGroup();
  }
  take(final: boolean): Buffer {
    return this.file.take(final);
  }
}

/** Writes ParquetBatches to Parquet files `<prefix>-SSSSS-of-NNNNN<suffix>`, one row group per batch; produces the names of the files. */
export class WriteToParquetBatched<T extends object = Record<string, unknown>> extends PTransform<PCollection<ParquetBatch<T>>, PCollection<string>> {
  private readonly numShards: number;

  /** `batches.apply(WriteToParquetBatched.to("out/users", { schema: USER }))` with a schema given `as const`: batches of the schema's rows. */
  static to<const S extends ParquetSchema>(prefix: string, options: WriteToParquetOptions & { readonly schema: S }): WriteToParquetBatched<ParquetRow<S, number | bigint>>;
  /** `WriteToParquetBatched.to<User>("out/users", { schema })`: batches of rows of type T. */
  static to<T extends object>(prefix: string, options: WriteToParquetOptions & { readonly schema: ParquetSchema }): WriteToParquetBatched<T>;
  static to<T extends object>(prefix: string, options: WriteToParquetOptions & { readonly schema: ParquetSchema }): WriteToParquetBatched<T> {
    return new WriteToParquetBatched<T>(prefix, options);
  }

  private constructor(
    /** The output prefix: files are `<prefix><shard name><suffix>`. */
    readonly prefix: string,
    /** Schema (required: batches carry no Beam schema), codec, row groups, suffix, sharding and MIME type. */
    readonly options: WriteToParquetOptions & { readonly schema: ParquetSchema },
  ) {
    super("WriteToParquetBatched");
    if (options?.schema === undefined) throw new ValidationError("WriteToParquetBatched needs the batches' schema: WriteToParquetBatched.to(prefix, { schema: { name: \"string\", age: \"int64\" } })");
    this.numShards = checkWriteOptions("WriteToParquetBatched", prefix, options);
  }

  expand(input: PCollection<ParquetBatch<T>>): PCollection<string> {
    const sink = input.pipeline.currentNode().fullName;
    const spec = writeSpec("WriteToParquetBatched", this.prefix, this.options, input as PCollection<unknown>, sink);
    if (!(input.windowing.windowFn instanceof GlobalWindows)) input = input.apply("IntoGlobalWindow", Window.into(new GlobalWindows()));
    const batches = (input as PCollection<ParquetBatch>).apply("CheckBatches", ParDo.of(new CheckBatches(spec.schema, sink, spec.int96))).setCoder(JsValueCoder.INSTANCE as Coder<Rows>);
    const format: RecordFileFormat<Rows> = { target: spec, newFile: () => new BatchFileBuilder(spec), wholeFileBytes: 4 << 20, mimeType: spec.mimeType, name: "Parquet" };
    return writeParquetShards(batches, format, spec, this.numShards, this.options.shardNameTemplate);
  }

  override async validate(ctx: ValidationContext): Promise<void> {
    await validateOutputPrefix(this.prefix, ctx);
  }

  override async cleanupAfterFailure(ctx: FailureCleanupContext): Promise<void> {
    await abortTempFiles(this.prefix, ctx);
  }
}
