/**
 * WriteToParquet: rows (plain objects) as sharded Parquet files (Beam Python's
 * `apache_beam.io.parquetio.WriteToParquet`, Java's `ParquetIO.sink`), through the same atomic
 * machinery as WriteToAvro (lib/io/sharded_files): files are written into a hidden temporary
 * directory of the sink and run and renamed to `<prefix><shard name><suffix>` by the sink's output
 * commit once the run succeeds, so a failed run leaves no partial output. Every row is checked
 * against the schema first (./schema): one that does not fit fails the step with the column's
 * path, its value and the type expected, before any file is written.
 *
 * A file holds row groups of `rowGroupSize` rows; each is encoded as soon as it is full, so a
 * bundle keeps at most one row group of rows, and its encoded file streams out once it outgrows a
 * few MiB. Bounded input only, written as one set of shards (windows are merged). An empty input
 * still writes `max(numShards, 1)` files holding the schema and no rows, as Beam does.
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
import { hyparquetWriter, PARQUET_CODECS, type ParquetCodec, writeCodec } from "./library";
import { checkSchema, rowNormalizer, type ParquetRow, type ParquetSchema, RowMismatch, schemaElements } from "./schema";

/** Options of WriteToParquet (Beam Python's `schema`, `codec`, `file_name_suffix`, `num_shards`, `shard_name_template`). */
export interface WriteToParquetOptions {
  /** The rows' columns (see ./schema for the types and how pyarrow's map to them). Required. */
  readonly schema: ParquetSchema;
  /** "none" (default, as Beam Python's WriteToParquet), "snappy" (Beam Java's ParquetIO default), "gzip" or "brotli". */
  readonly codec?: ParquetCodec;
  /** Rows per row group (pyarrow's `row_group_size`); default 100000. The last group of a file may be smaller. */
  readonly rowGroupSize?: number;
  /** Appended to every file name, e.g. ".parquet" (Python's `file_name_suffix`). */
  readonly suffix?: string;
  /** Number of files; 0 (default) lets the runner decide (one per bundle). */
  readonly numShards?: number;
  /** Between prefix and suffix: default `-SSSSS-of-NNNNN`; "" writes the one file `<prefix><suffix>` (then numShards is 1, as in Beam). */
  readonly shardNameTemplate?: string;
}

/** Encoded bytes kept before a bundle's file is opened as a stream (smaller files are written whole). */
const WHOLE_FILE_BYTES = 4 << 20;

/** The settings every step of one write shares. */
interface WriteSpec {
  readonly prefix: string;
  readonly suffix: string;
  readonly schema: ParquetSchema;
  readonly codec: ParquetCodec;
  readonly rowGroupSize: number;
  readonly sink: string;
}

/** Each row checked against the schema and normalized (int64s as bigints; only the schema's columns). */
class CheckRows<T> extends DoFn<T, Record<string, unknown>> {
  private normalize: ((row: unknown) => Record<string, unknown>) | undefined;
  constructor(
    private readonly schema: ParquetSchema,
    private readonly transform: string,
  ) {
    super();
  }
  process(row: T, ctx: ProcessContext<Record<string, unknown>>): void {
    try {
      ctx.output((this.normalize ??= rowNormalizer(this.schema))(row));
    } catch (e) {
      if (!(e instanceof RowMismatch)) throw e;
      throw new TypeError(`${this.transform}: a row does not match the Parquet schema: ${e.message}. Convert the rows to the schema before the write (or fix the schema).`);
    }
  }
}

/** One Parquet file being encoded: row groups as they fill, then the footer; `take` hands out the bytes so far. */
class ParquetFileBuilder {
  private readonly out;
  private readonly writer: ParquetWriter;
  private rows: Record<string, unknown>[] = [];
  records = 0;
  constructor(private readonly spec: WriteSpec) {
    const lib = hyparquetWriter();
    this.out = new lib.ByteWriter();
    const { codec, compressors } = writeCodec(spec.codec);
    this.writer = new lib.ParquetWriter({ writer: this.out, schema: schemaElements(spec.schema), codec, compressors: compressors as ConstructorParameters<typeof ParquetWriter>[0]["compressors"], createdBy: "beamline (hyparquet-writer)" });
  }
  /** Encoded bytes not yet taken. */
  get bytes(): number {
    return this.out.index;
  }
  add(row: Record<string, unknown>): void {
    this.rows.push(row);
    this.records++;
    if (this.rows.length >= this.spec.rowGroupSize) this.endGroup();
  }
  private endGroup(): void {
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
  return { target: spec, newFile: () => new ParquetFileBuilder(spec), wholeFileBytes: WHOLE_FILE_BYTES, mimeType: "application/x-parquet", name: "Parquet" };
}

const writeWhole = (path: string, data: Buffer): Promise<void> => writeBinaryFile(path, data, "application/x-parquet", "Parquet");

/** Writes rows to Parquet files `<prefix>-SSSSS-of-NNNNN<suffix>`; produces the names of the files. */
export class WriteToParquet<T = unknown> extends PTransform<PCollection<T>, PCollection<string>> {
  private readonly numShards: number;

  /** `rows.apply(WriteToParquet.to("out/users", { schema: USER, suffix: ".parquet" }))` with a schema given `as const`: the rows must have the schema's type (int64s as numbers or bigints); the names of the files written. */
  static to<const S extends ParquetSchema>(prefix: string, options: WriteToParquetOptions & { readonly schema: S }): WriteToParquet<ParquetRow<S, number | bigint>>;
  /** `WriteToParquet.to<User>("out/users", { schema })`: rows of type T (checked against the schema when written). */
  static to<T>(prefix: string, options: WriteToParquetOptions): WriteToParquet<T>;
  static to<T>(prefix: string, options: WriteToParquetOptions): WriteToParquet<T> {
    return new WriteToParquet<T>(prefix, options);
  }

  private constructor(
    /** The output prefix: files are `<prefix><shard name><suffix>`. */
    readonly prefix: string,
    /** Schema, codec, row group size, suffix and sharding. */
    readonly options: WriteToParquetOptions,
  ) {
    super("WriteToParquet");
    if (typeof prefix !== "string" || prefix === "") throw new ValidationError("WriteToParquet needs an output prefix (a non-empty string)");
    if (options?.schema === undefined) throw new ValidationError("WriteToParquet needs the rows' schema: WriteToParquet.to(prefix, { schema: { name: \"string\", age: \"int64\" } })");
    try {
      checkSchema(options.schema);
    } catch (e) {
      throw new ValidationError(`WriteToParquet: the schema is not a Parquet schema: ${(e as Error).message}`, { cause: e });
    }
    const codec = options.codec ?? "none";
    if (!PARQUET_CODECS.includes(codec)) throw new ValidationError(`WriteToParquet: unsupported codec '${String(codec)}'; use "none" (default), "snappy", "gzip" or "brotli" (zstd and lz4 are read but not written)`);
    const g = options.rowGroupSize ?? 100000;
    if (!(Number.isInteger(g) && g >= 1)) throw new ValidationError(`WriteToParquet rowGroupSize must be a positive integer (rows), got ${String(g)}`);
    const n = options.numShards ?? 0;
    if (!(Number.isInteger(n) && n >= 0)) throw new ValidationError(`WriteToParquet numShards must be a non-negative integer, got ${String(n)}`);
    const template = options.shardNameTemplate;
    if (template === "" && n > 1) throw new ValidationError(`WriteToParquet: an empty shardNameTemplate names one file, but numShards is ${n}; leave numShards unset (or 1), or use a template with SSSSS.`);
    this.numShards = template === "" ? 1 : n;
    if (template !== undefined && template !== "" && !/S/.test(template) && this.numShards !== 1) {
      throw new ValidationError(`WriteToParquet: shardNameTemplate "${template}" has no shard number (S), so it names one file; set numShards: 1 or add SSSSS to the template (got ${n} shards).`);
    }
  }

  expand(input: PCollection<T>): PCollection<string> {
    const sink = input.pipeline.currentNode().fullName;
    if (!input.isBounded) {
      throw new PipelineConstructionError(`${sink}: WriteToParquet writes bounded input (as Beam Python's WriteToParquet); for a stream, window it into files with FileIO.writeDynamic, or bound the input first.`);
    }
    const spec: WriteSpec = { prefix: this.prefix, suffix: this.options.suffix ?? "", schema: this.options.schema, codec: this.options.codec ?? "none", rowGroupSize: this.options.rowGroupSize ?? 100000, sink };
    if (!(input.windowing.windowFn instanceof GlobalWindows)) input = input.apply("IntoGlobalWindow", Window.into(new GlobalWindows()));
    const rows = input.apply("CheckRows", ParDo.of(new CheckRows<T>(spec.schema, sink))).setCoder(JsValueCoder.INSTANCE as Coder<Record<string, unknown>>);
    const n = this.numShards;
    let written: PCollection<WrittenFile>;
    if (n > 0) {
      let next = 0;
      written = rows
        .map("AssignShard", (r: Record<string, unknown>) => kv((next = (next + 1) % n), r))
        .apply("GroupByShard", GroupByKey.create())
        .apply("WriteShards", ParDo.of(new WriteShardGroupFiles(parquetFiles(spec))));
    } else {
      written = rows.apply("WriteBundles", ParDo.of(new WriteBundleFiles(parquetFiles(spec))));
    }
    return input.pipeline
      .apply("FinalizeImpulse", Impulse.create())
      .apply("Finalize", ParDo.of(new FinalizeShardedFiles(spec, n, this.options.shardNameTemplate, (tempPath) => writeWhole(tempPath, new ParquetFileBuilder(spec).take(true))), { sideInputs: { written: AsIterable(written) } }));
  }

  override async validate(ctx: ValidationContext): Promise<void> {
    await validateOutputPrefix(this.prefix, ctx);
  }

  override async cleanupAfterFailure(ctx: FailureCleanupContext): Promise<void> {
    await abortTempFiles(this.prefix, ctx);
  }
}
