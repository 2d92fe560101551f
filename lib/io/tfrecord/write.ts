/**
 * WriteToTFRecord: records as sharded TFRecord files (Beam Python's
 * `apache_beam.io.tfrecordio.WriteToTFRecord`, Java's `TFRecordIO.write()`), through the same
 * atomic machinery as WriteToText: shards are written into a hidden temporary directory of the
 * sink and run, and renamed to `<prefix><shard name><suffix>` by the sink's output commit (on the
 * DirectRunner once the whole run has succeeded), so a failed run leaves no partial output.
 *
 * Bounded input only, written as one set of shards (as Beam Python's Write; windows are merged):
 * Beam has no windowed TFRecord write of this kind (Java's TFRecordIO.write() refuses unbounded
 * input; Beam writes windowed TFRecords only through TFRecordIO.sink() in FileIO.write).
 * An empty input still writes `max(numShards, 1)` empty files, as Beam does.
 */
import { encodeToBytes, type Coder } from "../../coders/coder";
import { describeValue } from "../../coders/errors";
import { BundleContext, DoFn, ProcessContext, RuntimeContext } from "../../model/dofn";
import { PipelineConstructionError, ValidationError } from "../../model/errors";
import { randomId } from "../../model/ids";
import { PCollection } from "../../model/pcollection";
import { ParDo } from "../../model/pardo";
import { GroupByKey, Impulse, Window } from "../../model/primitives";
import { AsIterable } from "../../model/side_inputs";
import { FailureCleanupContext, PTransform, ValidationContext } from "../../model/transform";
import { KV, kv } from "../../model/window";
import { GlobalWindows } from "../../model/windowing";
import { FileSystems } from "../filesystems/registry";
import { abortTempFiles, FinalizeShardedFiles, tempPathFor, validateOutputPrefix, type WrittenFile } from "../sharded_files";
import { encodeTFRecord } from "./codec";
import { compressWhole, resolveWriteCompression, type WriteCompression } from "../compression";
import { type TFRecordCompression, TFRecordStreamWriter } from "./files";

/** Options of WriteToTFRecord (Beam Python's `coder`, `file_name_suffix`, `num_shards`, `shard_name_template`, `compression_type`). */
export interface WriteToTFRecordOptions<T = Uint8Array> {
  /** Encodes each element to its record's bytes (Beam's outer context); default none: elements are Uint8Arrays (Beam's BytesCoder). */
  readonly coder?: Coder<T>;
  /** Appended to every file name, e.g. ".tfrecord" or ".tfrecord.gz" (Python's `file_name_suffix`). */
  readonly suffix?: string;
  /** Number of files; 0 (default) lets the runner decide (one per bundle). */
  readonly numShards?: number;
  /** Between prefix and suffix: default `-SSSSS-of-NNNNN`; "" writes the one file `<prefix><suffix>` (then numShards is 1, as in Beam). */
  readonly shardNameTemplate?: string;
  /** "auto" (default: by the suffix, .gz gzip, .deflate deflate, .zst zstd), "uncompressed", "gzip", "deflate", "zstd", "lzop" or "lzo" (bzip2, lzma, zip and snappy are read, not written). */
  readonly compression?: TFRecordCompression;
}

/** Framed records buffered before a bundle's file is opened as a stream (smaller files are written whole). */
const WHOLE_FILE_BYTES = 1 << 20;

/** The settings every step of one write shares. */
interface WriteSpec {
  readonly prefix: string;
  readonly suffix: string;
  readonly compression: WriteCompression;
  readonly sink: string;
}

/** Writes framed records as one whole file (compressed at once). */
async function writeWhole(path: string, frames: readonly Buffer[], compression: WriteSpec["compression"]): Promise<void> {
  const fs = FileSystems.forPath(path);
  const data = await compressWhole(Buffer.concat(frames), compression);
  if (fs.writeSmallFile !== undefined && data.length <= WHOLE_FILE_BYTES * 4) return fs.writeSmallFile(path, data);
  const writer = await TFRecordStreamWriter.open(fs, path, "uncompressed");
  try {
    await writer.write(data);
    await writer.close();
  } catch (e) {
    await writer.abort();
    throw e;
  }
}

/** Each element's record bytes: by the coder, else the element itself, which must be bytes. */
class EncodeRecords<T> {
  constructor(private readonly coder: Coder<T> | undefined) {}
  frame(element: T): Buffer {
    if (this.coder !== undefined) return encodeTFRecord(encodeToBytes(this.coder, element, "outer"));
    if (!(element instanceof Uint8Array)) {
      throw new TypeError(
        `WriteToTFRecord writes Uint8Array records, got ${describeValue(element)} (${typeof element}); ` +
          `encode elements to bytes first, or pass a coder (e.g. { coder: StringUtf8Coder.INSTANCE } for strings).`,
      );
    }
    return encodeTFRecord(element);
  }
}

/** Runner-decided sharding: one file per bundle, streamed once it outgrows WHOLE_FILE_BYTES. */
class WriteBundles<T> extends DoFn<T, WrittenFile> {
  private frames: Buffer[] = [];
  private bytes = 0;
  private records = 0;
  private writer: TFRecordStreamWriter | undefined;
  private readonly encode: EncodeRecords<T>;

  constructor(
    private readonly spec: WriteSpec,
    coder: Coder<T> | undefined,
  ) {
    super();
    this.encode = new EncodeRecords(coder);
  }

  startBundle(): void {
    this.frames = [];
    this.bytes = 0;
    this.records = 0;
    this.writer = undefined;
  }

  process(element: T, ctx: ProcessContext<WrittenFile>): Promise<void> | void {
    const frame = this.encode.frame(element);
    this.frames.push(frame);
    this.bytes += frame.length;
    this.records++;
    if (this.bytes >= WHOLE_FILE_BYTES) return this.flush(ctx.runtime);
    return undefined;
  }

  private async flush(runtime: RuntimeContext): Promise<void> {
    this.writer ??= await TFRecordStreamWriter.open(FileSystems.forPath(this.spec.prefix), tempPathFor(this.spec, runtime, randomId()), this.spec.compression);
    const data = this.frames.length === 1 ? this.frames[0]! : Buffer.concat(this.frames);
    this.frames = [];
    this.bytes = 0;
    await this.writer.write(data);
  }

  async finishBundle(ctx: BundleContext<WrittenFile>): Promise<void> {
    if (this.records === 0) return;
    if (this.writer === undefined) {
      const tempPath = tempPathFor(this.spec, ctx.runtime, randomId());
      await writeWhole(tempPath, this.frames, this.spec.compression);
      this.frames = [];
      ctx.output({ tempPath, records: this.records });
      return;
    }
    if (this.frames.length > 0) await this.flush(ctx.runtime);
    const writer = this.writer;
    this.writer = undefined;
    await writer.close();
    ctx.output({ tempPath: writer.path, records: this.records });
  }

  /** A failed bundle leaves an open file: close it so the runner's cleanup can remove it. */
  async teardown(): Promise<void> {
    const writer = this.writer;
    this.writer = undefined;
    await writer?.abort();
  }
}

/** A fixed shard count: each shard's group of elements as one file. */
class WriteShardGroups<T> extends DoFn<KV<number, T[]>, WrittenFile> {
  private readonly encode: EncodeRecords<T>;
  constructor(
    private readonly spec: WriteSpec,
    coder: Coder<T> | undefined,
  ) {
    super();
    this.encode = new EncodeRecords(coder);
  }
  async process(group: KV<number, T[]>, ctx: ProcessContext<WrittenFile>): Promise<void> {
    const tempPath = tempPathFor(this.spec, ctx.runtime, `shard-${group.key}-${randomId()}`);
    const frames = group.value.map((e) => this.encode.frame(e));
    await writeWhole(tempPath, frames, this.spec.compression);
    ctx.output({ tempPath, records: frames.length });
  }
}

/** Writes records to TFRecord files `<prefix>-SSSSS-of-NNNNN<suffix>`; produces the names of the files. */
export class WriteToTFRecord<T = Uint8Array> extends PTransform<PCollection<T>, PCollection<string>> {
  private readonly numShards: number;
  private readonly compression: WriteCompression;

  /** `records.apply(WriteToTFRecord.to("out/train", { suffix: ".tfrecord.gz" }))`: Uint8Array records; the names of the files written. */
  static to(prefix: string, options?: WriteToTFRecordOptions<Uint8Array>): WriteToTFRecord<Uint8Array>;
  /** `lines.apply(WriteToTFRecord.to("out/lines", { coder: StringUtf8Coder.INSTANCE }))`: elements encoded by the coder. */
  static to<T>(prefix: string, options: WriteToTFRecordOptions<T> & { readonly coder: Coder<T> }): WriteToTFRecord<T>;
  static to<T>(prefix: string, options: WriteToTFRecordOptions<T> = {}): WriteToTFRecord<T> {
    return new WriteToTFRecord<T>(prefix, options);
  }

  private constructor(
    /** The output prefix: files are `<prefix><shard name><suffix>`. */
    readonly prefix: string,
    /** Coder, suffix, sharding and compression. */
    readonly options: WriteToTFRecordOptions<T>,
  ) {
    super("WriteToTFRecord");
    if (typeof prefix !== "string" || prefix === "") throw new ValidationError("WriteToTFRecord needs an output prefix (a non-empty string)");
    const n = options.numShards ?? 0;
    if (!(Number.isInteger(n) && n >= 0)) throw new ValidationError(`WriteToTFRecord numShards must be a non-negative integer, got ${String(n)}`);
    const template = options.shardNameTemplate;
    // Beam Python: an empty template "behaves as if num_shards was set to 1".
    if (template === "" && n > 1) throw new ValidationError(`WriteToTFRecord: an empty shardNameTemplate names one file, but numShards is ${n}; leave numShards unset (or 1), or use a template with SSSSS.`);
    this.numShards = template === "" ? 1 : n;
    // A template without a shard number gives every shard the same name: they would overwrite each other.
    if (template !== undefined && template !== "" && !/S/.test(template) && this.numShards !== 1) {
      throw new ValidationError(`WriteToTFRecord: shardNameTemplate "${template}" has no shard number (S), so it names one file; set numShards: 1 or add SSSSS to the template (got ${n} shards).`);
    }
    try {
      this.compression = resolveWriteCompression(`${prefix}${options.suffix ?? ""}`, options.compression ?? "auto");
    } catch (e) {
      throw new ValidationError(`WriteToTFRecord: ${(e as Error).message}`, { cause: e });
    }
  }

  expand(input: PCollection<T>): PCollection<string> {
    // Temporary files are per sink and run: two sinks writing into one folder never share them.
    const sink = input.pipeline.currentNode().fullName;
    if (!input.isBounded) {
      // Beam has no windowed WriteToTFRecord: Java's TFRecordIO.write() refuses unbounded input
      // (WriteFiles: "Must use windowed writes when applying WriteFiles to an unbounded
      // PCollection") and its docs send windowed data to TFRecordIO.sink() with FileIO.write;
      // Python's WriteToTFRecord is a bounded write.
      throw new PipelineConstructionError(
        `${sink}: WriteToTFRecord writes bounded input only, as Beam's: Java's TFRecordIO.write() has no windowed writes ("Must use windowed writes when applying WriteFiles to an unbounded PCollection"; ` +
          `Beam writes windowed TFRecords with TFRecordIO.sink() in FileIO.write, which Beamline does not have: its FileIO.writeDynamic writes text), and Python's WriteToTFRecord writes bounded input. ` +
          `Bound the input first, or write the stream per window with WriteToAvro or WriteToText.`,
      );
    }
    const spec: WriteSpec = { prefix: this.prefix, suffix: this.options.suffix ?? "", compression: this.compression, sink };
    if (!(input.windowing.windowFn instanceof GlobalWindows)) input = input.apply("IntoGlobalWindow", Window.into(new GlobalWindows()));
    const n = this.numShards;
    let written: PCollection<WrittenFile>;
    if (n > 0) {
      let next = 0;
      written = input
        .map("AssignShard", (e: T) => kv((next = (next + 1) % n), e))
        .apply("GroupByShard", GroupByKey.create())
        .apply("WriteShards", ParDo.of(new WriteShardGroups<T>(spec, this.options.coder)));
    } else {
      written = input.apply("WriteBundles", ParDo.of(new WriteBundles<T>(spec, this.options.coder)));
    }
    return input.pipeline
      .apply("FinalizeImpulse", Impulse.create())
      .apply("Finalize", ParDo.of(new FinalizeShardedFiles(spec, n, this.options.shardNameTemplate, (tempPath) => writeWhole(tempPath, [], spec.compression)), { sideInputs: { written: AsIterable(written) } }));
  }

  override async validate(ctx: ValidationContext): Promise<void> {
    await validateOutputPrefix(this.prefix, ctx);
  }

  override async cleanupAfterFailure(ctx: FailureCleanupContext): Promise<void> {
    await abortTempFiles(this.prefix, ctx);
  }
}
