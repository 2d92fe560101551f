/**
 * WriteToAvro: records as sharded Avro object container files (Beam Python's
 * `apache_beam.io.avroio.WriteToAvro`, Java's `AvroIO.writeGenericRecords`), through the same
 * atomic machinery as WriteToText and WriteToTFRecord: files are written into a hidden temporary
 * directory of the sink and run, and renamed to `<prefix><shard name><suffix>` by the sink's output
 * commit (on the DirectRunner once the whole run has succeeded), so a failed run leaves no partial
 * output. Every record is checked against the schema first: one that does not match fails the
 * step with the field's path, its value and the type expected (nothing is written).
 *
 * Bounded input is written as one set of shards (windows are merged), unless `windowedWrites`.
 * An empty input still writes `max(numShards, 1)` files holding only a header, as Beam does.
 * Unbounded input is written per window and pane (Beam Java's `AvroIO.write().withWindowedWrites()`,
 * on the mechanism WriteToText's windowed writes share, windowed_files.ts), named as Java's
 * DefaultFilenamePolicy names them (`defaultPolicyWindowedName`). Beam Python's WriteToAvro has no
 * windowed writes.
 */
import { randomBytes } from "node:crypto";
import type * as avsc from "avsc";
import { type Coder } from "../../coders/coder";
import { BytesCoder } from "../../coders/primitive";
import { DoFn, ProcessContext } from "../../model/dofn";
import { PipelineConstructionError, ValidationError } from "../../model/errors";
import { PCollection } from "../../model/pcollection";
import { ParDo } from "../../model/pardo";
import { GroupByKey, Impulse, Window } from "../../model/primitives";
import { AsIterable } from "../../model/side_inputs";
import { FailureCleanupContext, PTransform, ValidationContext } from "../../model/transform";
import { BoundedWindow, kv, PaneInfo } from "../../model/window";
import { GlobalWindows } from "../../model/windowing";
import { type RecordFileFormat, WriteBundleFiles, WriteShardGroupFiles, writeBinaryFile } from "../binary_file_stream";
import { abortTempFiles, FinalizeShardedFiles, validateOutputPrefix, type WrittenFile } from "../sharded_files";
import { defaultPolicyWindowedName, windowedShardTemplate, removeWindowedLeftovers, type WindowedFileFormat, WriteWindowedFiles } from "../windowed_files";
import { type AvroCodec, encodeBlock, encodeHeader } from "./container";
import { isAvroCodec, prepareCodec } from "./codecs";
import { type AvroSchema, avroType, explainInvalid } from "./schema";
import type { AvroValue } from "./schema_types";

/** Options of WriteToAvro (Beam Python's `schema`, `codec`, `file_name_suffix`, `num_shards`, `shard_name_template`). */
export interface WriteToAvroOptions {
  /** The records' Avro schema (written into every file's header). Required. */
  readonly schema: AvroSchema;
  /** "deflate" (default, as Beam Python), "snappy" (Beam Java's default), "zstandard" or "null" (uncompressed); bzip2 and xz are read but not written. */
  readonly codec?: AvroCodec;
  /** Appended to every file name, e.g. ".avro" (Python's `file_name_suffix`). */
  readonly suffix?: string;
  /** Number of files; 0 (default) lets the runner decide (one per bundle). */
  readonly numShards?: number;
  /** Between prefix and suffix: default `-SSSSS-of-NNNNN`; "" writes the one file `<prefix><suffix>` (then numShards is 1, as in Beam). */
  readonly shardNameTemplate?: string;
  /** Uncompressed bytes of records per block (Avro's sync interval); default 64000, as Avro Java's. */
  readonly syncInterval?: number;
  /**
   * One set of files per window and pane, written as each pane fires (Beam Java's
   * `withWindowedWrites()`), named `<prefix><window>-<pane>-SSSSS-of-NNNNN<suffix>` by default, as
   * Java's DefaultFilenamePolicy (a `shardNameTemplate` must then have `W` for the window and `P`
   * for the pane). numShards is per window (default 1). Default: on for unbounded input, which
   * never ends (Beam Java refuses unbounded input without it); off for bounded input, whose windows
   * are merged into one set of files.
   */
  readonly windowedWrites?: boolean;
}

/** Encoded bytes buffered before a bundle's file is opened as a stream (smaller files are written whole). */
const WHOLE_FILE_BYTES = 1 << 20;

/** The settings every step of one write shares. */
interface WriteSpec {
  readonly prefix: string;
  readonly suffix: string;
  /** The schema's canonical JSON as written into headers. */
  readonly schema: string;
  readonly codec: AvroCodec;
  readonly syncInterval: number;
  readonly sink: string;
}

/** Each record checked against the schema and encoded (Avro's binary encoding). */
class EncodeRecords<T> extends DoFn<T, Uint8Array> {
  private type: avsc.Type | undefined;
  constructor(private readonly schema: string) {
    super();
  }
  process(record: T, ctx: ProcessContext<Uint8Array>): void {
    // Longs accept numbers (safe integers) and bigints alike.
    const type = (this.type ??= avroType(this.schema, "bigint"));
    let bytes: Buffer;
    let mismatch: TypeError | undefined;
    try {
      const problem = explainInvalid(type, record);
      if (problem !== undefined) {
        throw (mismatch = new TypeError(`WriteToAvro: a record does not match the schema ${type.name ?? type.typeName}: ${problem}. Convert the records to the schema before the write (or fix the schema).`));
      }
      bytes = type.toBuffer(record);
    } catch (e) {
      if (e === mismatch) throw e;
      const ambiguous = /ambiguous/.test((e as Error).message);
      throw new TypeError(
        `WriteToAvro: cannot encode a record of the schema ${type.name ?? type.typeName}: ${(e as Error).message}` +
          (ambiguous ? " (a union of long with int, float or double cannot be written with a number both branches accept; use a schema without such a union)" : "") +
          ".",
        { cause: e },
      );
    }
    ctx.output(bytes);
  }
}

/** One Avro file being written: the header, then blocks of records of about `syncInterval` bytes. */
class AvroFileBuilder {
  private readonly sync = randomBytes(16);
  private pending: Buffer[] = [];
  private pendingBytes = 0;
  private readonly done: Buffer[];
  /** Bytes in `done`. */
  bytes: number;
  records = 0;
  constructor(private readonly spec: WriteSpec) {
    const head = encodeHeader(spec.schema, spec.codec, this.sync);
    this.done = [head];
    this.bytes = head.length;
  }
  add(record: Buffer): void {
    this.pending.push(record);
    this.pendingBytes += record.length;
    this.records++;
    if (this.pendingBytes >= this.spec.syncInterval) this.endBlock();
  }
  private endBlock(): void {
    if (this.pending.length === 0) return;
    const block = encodeBlock(this.pending, this.pending.length, this.spec.codec, this.sync);
    this.done.push(block);
    this.bytes += block.length;
    this.pending = [];
    this.pendingBytes = 0;
  }
  /** The finished bytes so far (and forgets them); with `final`, the last block too. */
  take(final: boolean): Buffer {
    if (final) this.endBlock();
    const out = this.done.length === 1 ? this.done[0]! : Buffer.concat(this.done);
    this.done.length = 0;
    this.bytes = 0;
    return out;
  }
}

/** Avro container files of `spec`, for the shared bundle and shard writers (binary_file_stream.ts). */
function avroFiles(spec: WriteSpec): RecordFileFormat<Uint8Array> {
  return {
    target: spec,
    newFile: () => new AvroFileBuilder(spec),
    wholeFileBytes: WHOLE_FILE_BYTES,
    mimeType: "avro/binary",
    name: "Avro",
    prepare: () => prepareCodec(spec.codec),
  };
}

const writeWhole = (path: string, data: Buffer): Promise<void> => writeBinaryFile(path, data, "avro/binary", "Avro");

/** Windowed writes: one pane's shard of encoded records as one file, named as Beam Java names it. */
class WindowedAvroFiles implements WindowedFileFormat<Uint8Array> {
  readonly suffix: string;
  constructor(
    private readonly spec: WriteSpec,
    private readonly template: string,
  ) {
    this.suffix = spec.suffix;
  }
  fileName(window: BoundedWindow, pane: PaneInfo, shard: number, numShards: number): string {
    return defaultPolicyWindowedName(this.spec.prefix, this.template, this.spec.suffix, window, pane, shard, numShards);
  }
  async writeFile(path: string, records: readonly Uint8Array[]): Promise<void> {
    await prepareCodec(this.spec.codec);
    const file = new AvroFileBuilder(this.spec);
    for (const r of records) file.add(r as Buffer);
    await writeWhole(path, file.take(true));
  }
}

/** Writes records to Avro files `<prefix>-SSSSS-of-NNNNN<suffix>`; produces the names of the files. */
export class WriteToAvro<T = unknown> extends PTransform<PCollection<T>, PCollection<string>> {
  private readonly numShards: number;
  private readonly schema: string;

  /** `records.apply(WriteToAvro.to("out/users", { schema: USER_SCHEMA, suffix: ".avro" }))` with a schema given `as const`: the records must have the schema's type (longs as numbers or bigints); the names of the files written. */
  static to<const S extends AvroSchema>(prefix: string, options: WriteToAvroOptions & { readonly schema: S }): WriteToAvro<AvroValue<S, number | bigint>>;
  /** `WriteToAvro.to<User>("out/users", { schema })`: records of type T (checked against the schema when written). */
  static to<T>(prefix: string, options: WriteToAvroOptions): WriteToAvro<T>;
  static to<T>(prefix: string, options: WriteToAvroOptions): WriteToAvro<T> {
    return new WriteToAvro<T>(prefix, options);
  }

  private constructor(
    /** The output prefix: files are `<prefix><shard name><suffix>`. */
    readonly prefix: string,
    /** Schema, codec, suffix and sharding. */
    readonly options: WriteToAvroOptions,
  ) {
    super("WriteToAvro");
    if (typeof prefix !== "string" || prefix === "") throw new ValidationError("WriteToAvro needs an output prefix (a non-empty string)");
    if (options?.schema === undefined) throw new ValidationError("WriteToAvro needs the records' schema: WriteToAvro.to(prefix, { schema })");
    try {
      avroType(options.schema);
      // The schema goes into each header as given (as Beam Java's and Python's writers do): docs,
      // defaults, aliases and logical types stay for the files' readers.
      this.schema = typeof options.schema === "string" ? options.schema : JSON.stringify(options.schema);
    } catch (e) {
      throw new ValidationError(`WriteToAvro: the schema is not a valid Avro schema: ${(e as Error).message}`, { cause: e });
    }
    const codec = options.codec ?? "deflate";
    if (!isAvroCodec(codec)) {
      const readOnly = codec === "bzip2" || codec === "xz";
      throw new ValidationError(
        `WriteToAvro: cannot write the codec '${String(codec)}'` +
          (readOnly ? ` (Beamline reads bzip2 and xz files but cannot write them: no bzip2 or xz compressor in pure JavaScript or WebAssembly installs from npm alone with a license it can take)` : "") +
          `; use "deflate" (default), "snappy", "zstandard" or "null".`,
      );
    }
    const si = options.syncInterval ?? 64000;
    if (!(Number.isInteger(si) && si >= 1)) throw new ValidationError(`WriteToAvro syncInterval must be a positive integer, got ${String(si)}`);
    const n = options.numShards ?? 0;
    if (!(Number.isInteger(n) && n >= 0)) throw new ValidationError(`WriteToAvro numShards must be a non-negative integer, got ${String(n)}`);
    const template = options.shardNameTemplate;
    if (template === "" && n > 1) throw new ValidationError(`WriteToAvro: an empty shardNameTemplate names one file, but numShards is ${n}; leave numShards unset (or 1), or use a template with SSSSS.`);
    this.numShards = template === "" ? 1 : n;
    if (template !== undefined && template !== "" && !/S/.test(template) && this.numShards !== 1) {
      throw new ValidationError(`WriteToAvro: shardNameTemplate "${template}" has no shard number (S), so it names one file; set numShards: 1 or add SSSSS to the template (got ${n} shards).`);
    }
  }

  expand(input: PCollection<T>): PCollection<string> {
    const sink = input.pipeline.currentNode().fullName;
    const spec: WriteSpec = { prefix: this.prefix, suffix: this.options.suffix ?? "", schema: this.schema, codec: this.options.codec ?? "deflate", syncInterval: this.options.syncInterval ?? 64000, sink };
    if (this.options.windowedWrites ?? !input.isBounded) {
      const template = windowedShardTemplate(sink, this.options.shardNameTemplate);
      return input
        .apply("Encode", ParDo.of(new EncodeRecords<T>(this.schema)))
        .setCoder(BytesCoder.INSTANCE as Coder<Uint8Array>)
        .apply("WriteWindowed", new WriteWindowedFiles(new WindowedAvroFiles(spec, template), this.numShards, sink));
    }
    if (!(input.windowing.windowFn instanceof GlobalWindows)) input = input.apply("IntoGlobalWindow", Window.into(new GlobalWindows()));
    const encoded = input.apply("Encode", ParDo.of(new EncodeRecords<T>(this.schema))).setCoder(BytesCoder.INSTANCE as Coder<Uint8Array>);
    const n = this.numShards;
    let written: PCollection<WrittenFile>;
    if (n > 0) {
      let next = 0;
      written = encoded
        .map("AssignShard", (e: Uint8Array) => kv((next = (next + 1) % n), e))
        .apply("GroupByShard", GroupByKey.create())
        .apply("WriteShards", ParDo.of(new WriteShardGroupFiles(avroFiles(spec))));
    } else {
      written = encoded.apply("WriteBundles", ParDo.of(new WriteBundleFiles(avroFiles(spec))));
    }
    return input.pipeline
      .apply("FinalizeImpulse", Impulse.create())
      .apply("Finalize", ParDo.of(new FinalizeShardedFiles(spec, n, this.options.shardNameTemplate, (tempPath) => writeWhole(tempPath, new AvroFileBuilder(spec).take(true))), { sideInputs: { written: AsIterable(written) } }));
  }

  override async validate(ctx: ValidationContext): Promise<void> {
    await validateOutputPrefix(this.prefix, ctx);
  }

  override async cleanupAfterFailure(ctx: FailureCleanupContext): Promise<void> {
    await abortTempFiles(this.prefix, ctx);
    await removeWindowedLeftovers(this.prefix, ctx.runId, ctx.transformName);
  }
}
