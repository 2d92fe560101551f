/**
 * WriteToParquet: rows (plain objects) as sharded Parquet files (Beam Python's
 * `apache_beam.io.parquetio.WriteToParquet`, Java's `ParquetIO.sink`), through the same atomic
 * machinery as WriteToAvro (lib/io/sharded_files): files are written into a hidden temporary
 * directory of the sink and run and renamed to `<prefix><shard name><suffix>` by the sink's output
 * commit once the run succeeds, so a failed run leaves no partial output. Every row is checked
 * against the schema first (./schema): one that does not fit fails the step with the column's
 * path, its value and the type expected, before any file is written.
 *
 * Row groups are cut as Beam Python cuts them: rows gather in record batches of
 * `recordBatchSize` rows, and a row group ends once its batches' estimated in-memory (Arrow
 * layout) size reaches `rowGroupBufferSize` bytes, or once it holds `rowGroupSize` rows (a bound
 * on the JS objects a bundle keeps). Each group is encoded as soon as it ends, so a bundle keeps at
 * most one row group of rows, and its encoded file streams out once it outgrows a few MiB.
 * Bounded input only, written as one set of shards (windows are merged). An empty input still
 * writes `max(numShards, 1)` files holding the schema and no rows, as Beam does. Without a schema,
 * a RowCoder input's Beam schema is written (./beam_schema), as Beam Python infers it.
 */
import type { ParquetWriter } from "hyparquet-writer" with { "resolution-mode": "import" };
import { type Coder } from "../../coders/coder";
import { JsValueCoder } from "../../coders/js_value";
import { DoFn, ProcessContext } from "../../model/dofn";
import { PipelineConstructionError, ValidationError } from "../../model/errors";
import { PCollection } from "../../model/pcollection";
import { ParDo } from "../../model/pardo";
import { GroupByKey, Impulse, Window } from "../../model/primitives";
import { AsIterable } from "../../model/side_inputs";
import { FailureCleanupContext, PTransform, ValidationContext } from "../../model/transform";
import { kv } from "../../model/window";
import { GlobalWindows } from "../../model/windowing";
import { type RecordFileFormat, WriteBundleFiles, WriteShardGroupFiles, writeBinaryFile } from "../binary_file_stream";
import { abortTempFiles, FinalizeShardedFiles, validateOutputPrefix, type WrittenFile } from "../sharded_files";
import { typeInt96Columns } from "./int96";
import { hyparquetWriter, PARQUET_CODECS, type ParquetCodec, writeCodec } from "./library";
import { parquetSchemaOfRows } from "./beam_schema";
import { checkSchema, rowNormalizer, rowSizer, type ParquetRow, type ParquetSchema, RowMismatch, schemaElements } from "./schema";

/** Options of WriteToParquet and WriteToParquetBatched (Beam Python's `schema`, `codec`, `row_group_buffer_size`, `record_batch_size`, `use_compliant_nested_type`, `file_name_suffix`, `num_shards`, `shard_name_template`, `mime_type`). */
export interface WriteToParquetOptions {
  /** The rows' columns (see ./schema for the types and how pyarrow's map to them). Required unless the input has a RowCoder (then its Beam schema, as Beam Python infers one). */
  readonly schema?: ParquetSchema;
  /** "none" (default, as Beam Python's WriteToParquet), "snappy" (Beam Java's ParquetIO default), "gzip", "brotli", "lz4" (LZ4_RAW) or "zstd" (on Node 22.15 or later). */
  readonly codec?: ParquetCodec;
  /** Bytes of rows (estimated in Arrow's in-memory layout, uncompressed) a row group gathers before it is written (Beam Python's `row_group_buffer_size`); default 64 MiB. */
  readonly rowGroupBufferSize?: number;
  /** Rows per record batch, the step at which the buffer's size is checked (Beam Python's `record_batch_size`); default 1000. `rowGroupBufferSize: 1` makes each batch a row group. */
  readonly recordBatchSize?: number;
  /** At most this many rows per row group (pyarrow's `row_group_size`; default 100000, which bounds the JS objects a bundle keeps). The last group of a file may be smaller. */
  readonly rowGroupSize?: number;
  /** Lists as the Parquet spec names their parts ("element"; pyarrow's `use_compliant_nested_type=True`, default here) or Arrow's older form ("item"; Beam Python's default). Readers take either. */
  readonly useCompliantNestedType?: boolean;
  /** Timestamps (every unit) as deprecated INT96 values, for readers that want them, e.g. old Impala and Hive (Beam Python's `use_deprecated_int96_timestamps`); default false. */
  readonly useDeprecatedInt96Timestamps?: boolean;
  /** Appended to every file name, e.g. ".parquet" (Python's `file_name_suffix`). */
  readonly suffix?: string;
  /** Number of files; 0 (default) lets the runner decide (one per bundle). */
  readonly numShards?: number;
  /** Between prefix and suffix: default `-SSSSS-of-NNNNN`; "" writes the one file `<prefix><suffix>` (then numShards is 1, as in Beam). */
  readonly shardNameTemplate?: string;
  /** The files' MIME type, for file systems that keep one (Python's `mime_type`); default "application/x-parquet". */
  readonly mimeType?: string;
}

/** Encoded bytes kept before a bundle's file is opened as a stream (smaller files are written whole). */
const WHOLE_FILE_BYTES = 4 << 20;

/** The settings every step of one write shares. */
export interface WriteSpec {
  readonly prefix: string;
  readonly suffix: string;
  readonly schema: ParquetSchema;
  readonly codec: ParquetCodec;
  readonly rowGroupSize: number;
  readonly rowGroupBufferSize: number;
  readonly recordBatchSize: number;
  readonly compliant: boolean;
  readonly int96: boolean;
  readonly mimeType: string;
  readonly sink: string;
}

/** Each row checked against the schema and normalized (int64s as bigints; only the schema's columns). */
class CheckRows<T> extends DoFn<T, Record<string, unknown>> {
  private normalize: ((row: unknown) => Record<string, unknown>) | undefined;
  constructor(
    private readonly schema: ParquetSchema,
    private readonly transform: string,
    private readonly int96: boolean,
  ) {
    super();
  }
  process(row: T, ctx: ProcessContext<Record<string, unknown>>): void {
    ctx.output(checkRow((this.normalize ??= rowNormalizer(this.schema, this.int96)), row, this.transform));
  }
}

/** `row` normalized, or a TypeError naming the transform and the value that does not fit. */
export function checkRow(normalize: (row: unknown) => Record<string, unknown>, row: unknown, transform: string, where = "a row"): Record<string, unknown> {
  try {
    return normalize(row);
  } catch (e) {
    if (!(e instanceof RowMismatch)) throw e;
    throw new TypeError(`${transform}: ${where} does not match the Parquet schema: ${e.message}. Convert the rows to the schema before the write (or fix the schema).`);
  }
}

/** One Parquet file being encoded: row groups as they fill, then the footer; `take` hands out the bytes so far. */
export class ParquetFileBuilder {
  private readonly out;
  private readonly writer: ParquetWriter;
  private readonly size: (row: Record<string, unknown>) => number;
  private rows: Record<string, unknown>[] = [];
  /** Rows of the group not yet in a record batch, and the bytes of its full batches. */
  private batchRows = 0;
  private batchBytes = 0;
  private groupBytes = 0;
  records = 0;
  constructor(private readonly spec: WriteSpec) {
    const lib = hyparquetWriter();
    this.out = new lib.ByteWriter();
    const { codec, compressors } = writeCodec(spec.codec);
    this.size = rowSizer(spec.schema);
    this.writer = new lib.ParquetWriter({ writer: this.out, schema: schemaElements(spec.schema, { compliant: spec.compliant, int96: spec.int96 }), codec, compressors: compressors as ConstructorParameters<typeof ParquetWriter>[0]["compressors"], createdBy: "beamline (hyparquet-writer)" });
  }
  /** Encoded bytes not yet taken. */
  get bytes(): number {
    return this.out.index;
  }
  add(row: Record<string, unknown>): void {
    this.rows.push(row);
    this.records++;
    this.batchBytes += this.size(row);
    if (++this.batchRows >= this.spec.recordBatchSize) {
      // A full record batch: its bytes count toward the row group buffer (Beam Python's _flush_buffer).
      this.groupBytes += this.batchBytes;
      this.batchRows = 0;
      this.batchBytes = 0;
    }
    if (this.groupBytes >= this.spec.rowGroupBufferSize || this.rows.length >= this.spec.rowGroupSize) this.endGroup();
  }
  /** Writes the rows added since the last group as one row group (none when there are none). */
  endGroup(): void {
    this.batchRows = this.batchBytes = this.groupBytes = 0;
    if (this.rows.length === 0) return;
    const rows = this.rows;
    this.rows = [];
    const columnData = Object.keys(this.spec.schema).map((name) => ({ name, data: rows.map((r) => r[name]) }));
    void this.writer.write({ columnData, rowGroupSize: rows.length });
  }
  /** The encoded bytes so far (and forgets them); with `final`, the last row group and the footer too. */
  take(final: boolean): Buffer {
    if (final) {
      this.endGroup();
      if (this.spec.int96) typeInt96Columns(this.writer);
      void this.writer.finish();
    }
    // A copy: the writer reuses its buffer from index 0 (its `offset` keeps the file position).
    const bytes = Buffer.from(this.out.getBytes());
    this.out.index = 0;
    return bytes;
  }
}

/** Parquet files of `spec`, for the shared bundle and shard writers (binary_file_stream.ts). */
function parquetFiles(spec: WriteSpec): RecordFileFormat<Record<string, unknown>> {
  return { target: spec, newFile: () => new ParquetFileBuilder(spec), wholeFileBytes: WHOLE_FILE_BYTES, mimeType: spec.mimeType, name: "Parquet" };
}

/** The checks both writes make when constructed: the options, and the number of shards they mean. */
export function checkWriteOptions(transform: string, prefix: string, options: WriteToParquetOptions): number {
  if (typeof prefix !== "string" || prefix === "") throw new ValidationError(`${transform} needs an output prefix (a non-empty string)`);
  if (options.schema !== undefined) {
    try {
      checkSchema(options.schema);
    } catch (e) {
      throw new ValidationError(`${transform}: the schema is not a Parquet schema: ${(e as Error).message}`, { cause: e });
    }
  }
  const codec = options.codec ?? "none";
  if (!PARQUET_CODECS.includes(codec)) throw new ValidationError(`${transform}: unsupported codec '${String(codec)}'; use ${PARQUET_CODECS.map((c) => `"${c}"`).join(", ")}`);
  try {
    writeCodec(codec);
  } catch (e) {
    throw new ValidationError(`${transform}: ${(e as Error).message}`);
  }
  const int96 = options.useDeprecatedInt96Timestamps;
  if (int96 !== undefined && typeof int96 !== "boolean") throw new ValidationError(`${transform} useDeprecatedInt96Timestamps must be a boolean, got ${String(int96)}`);
  const positive = (name: string, v: number | undefined): void => {
    if (v !== undefined && !(Number.isInteger(v) && v >= 1)) throw new ValidationError(`${transform} ${name} must be a positive integer, got ${String(v)}`);
  };
  positive("rowGroupSize", options.rowGroupSize);
  positive("rowGroupBufferSize", options.rowGroupBufferSize);
  positive("recordBatchSize", options.recordBatchSize);
  if (options.mimeType !== undefined && (typeof options.mimeType !== "string" || options.mimeType === "")) throw new ValidationError(`${transform} mimeType must be a non-empty string, got ${String(options.mimeType)}`);
  const n = options.numShards ?? 0;
  if (!(Number.isInteger(n) && n >= 0)) throw new ValidationError(`${transform} numShards must be a non-negative integer, got ${String(n)}`);
  const template = options.shardNameTemplate;
  if (template === "" && n > 1) throw new ValidationError(`${transform}: an empty shardNameTemplate names one file, but numShards is ${n}; leave numShards unset (or 1), or use a template with SSSSS.`);
  const shards = template === "" ? 1 : n;
  if (template !== undefined && template !== "" && !/S/.test(template) && shards !== 1) {
    throw new ValidationError(`${transform}: shardNameTemplate "${template}" has no shard number (S), so it names one file; set numShards: 1 or add SSSSS to the template (got ${n} shards).`);
  }
  return shards;
}

/** The spec of a write at expansion: the schema given, else the input's Beam schema. */
export function writeSpec(transform: string, prefix: string, options: WriteToParquetOptions, input: PCollection<unknown>, sink: string): WriteSpec {
  if (!input.isBounded) {
    throw new PipelineConstructionError(`${sink}: ${transform} writes bounded input (as Beam Python's ${transform}); for a stream, window it into files with FileIO.writeDynamic, or bound the input first.`);
  }
  const schema = options.schema ?? parquetSchemaOfRows(input, `${sink}: ${transform}`);
  return {
    prefix,
    suffix: options.suffix ?? "",
    schema,
    codec: options.codec ?? "none",
    rowGroupSize: options.rowGroupSize ?? 100000,
    rowGroupBufferSize: options.rowGroupBufferSize ?? 64 * 1024 * 1024,
    recordBatchSize: options.recordBatchSize ?? 1000,
    compliant: options.useCompliantNestedType ?? true,
    int96: options.useDeprecatedInt96Timestamps ?? false,
    mimeType: options.mimeType ?? "application/x-parquet",
    sink,
  };
}

/** Writes `records` (each a row, or a batch of rows) as the shards of `spec`: the names of the files written. */
export function writeParquetShards<E>(records: PCollection<E>, format: RecordFileFormat<E>, spec: WriteSpec, numShards: number, template: string | undefined): PCollection<string> {
  let written: PCollection<WrittenFile>;
  if (numShards > 0) {
    let next = 0;
    written = records
      .map("AssignShard", (r: E) => kv((next = (next + 1) % numShards), r))
      .apply("GroupByShard", GroupByKey.create())
      .apply("WriteShards", ParDo.of(new WriteShardGroupFiles(format)));
  } else {
    written = records.apply("WriteBundles", ParDo.of(new WriteBundleFiles(format)));
  }
  const writeEmpty = (tempPath: string): Promise<void> => writeBinaryFile(tempPath, new ParquetFileBuilder(spec).take(true), spec.mimeType, "Parquet");
  return records.pipeline.apply("FinalizeImpulse", Impulse.create()).apply("Finalize", ParDo.of(new FinalizeShardedFiles(spec, numShards, template, writeEmpty), { sideInputs: { written: AsIterable(written) } }));
}

/** Writes rows to Parquet files `<prefix>-SSSSS-of-NNNNN<suffix>`; produces the names of the files. */
export class WriteToParquet<T = unknown> extends PTransform<PCollection<T>, PCollection<string>> {
  private readonly numShards: number;

  /** `rows.apply(WriteToParquet.to("out/users", { schema: USER, suffix: ".parquet" }))` with a schema given `as const`: the rows must have the schema's type (int64s as numbers or bigints); the names of the files written. */
  static to<const S extends ParquetSchema>(prefix: string, options: WriteToParquetOptions & { readonly schema: S }): WriteToParquet<ParquetRow<S, number | bigint>>;
  /** `WriteToParquet.to<User>("out/users", { schema })`: rows of type T (checked against the schema when written); without a schema, the input's RowCoder schema is written. */
  static to<T>(prefix: string, options?: WriteToParquetOptions): WriteToParquet<T>;
  static to<T>(prefix: string, options: WriteToParquetOptions = {}): WriteToParquet<T> {
    return new WriteToParquet<T>(prefix, options);
  }

  private constructor(
    /** The output prefix: files are `<prefix><shard name><suffix>`. */
    readonly prefix: string,
    /** Schema, codec, row groups, nesting, suffix, sharding and MIME type. */
    readonly options: WriteToParquetOptions,
  ) {
    super("WriteToParquet");
    this.numShards = checkWriteOptions("WriteToParquet", prefix, options ?? {});
  }

  expand(input: PCollection<T>): PCollection<string> {
    const sink = input.pipeline.currentNode().fullName;
    const spec = writeSpec("WriteToParquet", this.prefix, this.options, input as PCollection<unknown>, sink);
    if (!(input.windowing.windowFn instanceof GlobalWindows)) input = input.apply("IntoGlobalWindow", Window.into(new GlobalWindows()));
    const rows = input.apply("CheckRows", ParDo.of(new CheckRows<T>(spec.schema, sink, spec.int96))).setCoder(JsValueCoder.INSTANCE as Coder<Record<string, unknown>>);
    return writeParquetShards(rows, parquetFiles(spec), spec, this.numShards, this.options.shardNameTemplate);
  }

  override async validate(ctx: ValidationContext): Promise<void> {
    await validateOutputPrefix(this.prefix, ctx);
  }

  override async cleanupAfterFailure(ctx: FailureCleanupContext): Promise<void> {
    await abortTempFiles(this.prefix, ctx);
  }
}
