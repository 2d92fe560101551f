/**
 * ReadFromTFRecord and ReadAllFromTFRecord: the records of TFRecord files (Beam Python's
 * `apache_beam.io.tfrecordio.ReadFromTFRecord` / `ReadAllFromTFRecord`, Java's
 * `TFRecordIO.read()` / `readFiles()`). Each file is read whole by one worker (the format has no
 * sync markers, so Beam does not split it either); the files are spread over the workers by a
 * Reshuffle. A corrupt record (a CRC that does not match, a file that ends inside a record) fails
 * the step with the file, the byte offset and the step's name, as Beam raises; nothing is dropped.
 */
import { BytesCoder, StringUtf8Coder } from "../../coders/primitive";
import { KVCoder } from "../../coders/structural";
import { type Coder, decodeFromBytes } from "../../coders/coder";
import { DoFn, ProcessContext } from "../../model/dofn";
import { ValidationError } from "../../model/errors";
import { PBegin, PCollection } from "../../model/pcollection";
import { ParDo } from "../../model/pardo";
import { Impulse } from "../../model/primitives";
import { PTransform, ValidationContext } from "../../model/transform";
import { KV, kv } from "../../model/window";
import { Reshuffle } from "../../transforms/util";
import type { FileMetadata } from "../filesystems/filesystem";
import { FileSystems } from "../filesystems/registry";
import { type EmptyMatchTreatment, matchPattern, ReadableFile } from "../fileio";
import { readTFRecordFile, resolveTFRecordCompression, type TFRecordCompression } from "./files";

/** Options of ReadFromTFRecord (Beam Python's `coder`, `compression_type`, `validate`). */
export interface ReadFromTFRecordOptions<T = Uint8Array> {
  /** Decodes each record's bytes (Beam's outer context); default none: records are Uint8Arrays (Beam's BytesCoder). */
  readonly coder?: Coder<T>;
  /** "auto" (default: by the suffix, .gz gzip, .deflate deflate, .bz2 bzip2, .zst/.zstd zstd, .xz/.lzma lzma, else uncompressed), or one of those. */
  readonly compression?: TFRecordCompression;
  /** Check before running that every pattern matches a file (default true, as Beam); false: a pattern matching nothing reads nothing. */
  readonly validate?: boolean;
}

/** Options of ReadAllFromTFRecord (Beam Python's `coder`, `compression_type`). */
export interface ReadAllFromTFRecordOptions<T = Uint8Array> {
  /** Decodes each record's bytes; default none: records are Uint8Arrays. */
  readonly coder?: Coder<T>;
  /** How the files are compressed (default "auto", by suffix); a ReadableFile's own compression wins when it is not "auto". */
  readonly compression?: TFRecordCompression;
  /** A pattern that matches nothing: default `"ALLOW_IF_WILDCARD"` (as ReadAllFromText and Beam Java's readFiles). */
  readonly emptyMatchTreatment?: EmptyMatchTreatment;
}

/** One file to read. */
export interface TFRecordFileToRead {
  readonly path: string;
  readonly compression: TFRecordCompression;
}

/** Reads each file's records, decoded by the coder; with `withFilename`, as KV(path, record). */
class ReadFiles<T, Out> extends DoFn<TFRecordFileToRead, Out> {
  constructor(
    private readonly coder: Coder<T> | undefined,
    private readonly withFilename: boolean,
  ) {
    super();
  }
  async process(file: TFRecordFileToRead, ctx: ProcessContext<Out>): Promise<void> {
    const out = ctx as unknown as ProcessContext<T | KV<string, T>>;
    const coder = this.coder;
    await readTFRecordFile(file.path, file.compression, (records) => {
      for (const bytes of records) {
        const value = coder === undefined ? (bytes as T) : decodeFromBytes(coder, bytes, "outer");
        out.output(this.withFilename ? kv(file.path, value) : value);
      }
    });
  }
}

class MatchPatterns extends DoFn<Uint8Array, TFRecordFileToRead> {
  constructor(
    private readonly patterns: readonly string[],
    private readonly compression: TFRecordCompression,
    /** validate: false: a pattern matching nothing reads nothing (Beam Python's FileBasedSource). */
    private readonly allowEmpty: boolean,
  ) {
    super();
  }
  async process(_: Uint8Array, ctx: ProcessContext<TFRecordFileToRead>): Promise<void> {
    for (const f of await FileSystems.matchAll(this.patterns, { allowEmpty: this.allowEmpty })) {
      resolveTFRecordCompression(f.path, this.compression);
      ctx.output({ path: f.path, compression: this.compression });
    }
  }
}

/** The records of the TFRecord files matching one or more patterns (local paths or gs://). */
export class ReadFromTFRecord<T = Uint8Array> extends PTransform<PBegin, PCollection<T>> {
  /** The file patterns read. */
  readonly patterns: readonly string[];

  /** `p.apply(ReadFromTFRecord.from("data/train-*.tfrecord.gz"))`: each record's bytes, as Uint8Array. */
  static from(pattern: string | readonly string[], options?: ReadFromTFRecordOptions<Uint8Array>): ReadFromTFRecord<Uint8Array>;
  /** `ReadFromTFRecord.from("data/*.tfrecord", { coder: StringUtf8Coder.INSTANCE })`: each record decoded by the coder. */
  static from<T>(pattern: string | readonly string[], options: ReadFromTFRecordOptions<T> & { readonly coder: Coder<T> }): ReadFromTFRecord<T>;
  static from<T>(pattern: string | readonly string[], options: ReadFromTFRecordOptions<T> = {}): ReadFromTFRecord<T> {
    return new ReadFromTFRecord<T>(pattern, options);
  }

  private constructor(
    pattern: string | readonly string[],
    /** Coder, compression and validation. */
    readonly options: ReadFromTFRecordOptions<T>,
  ) {
    super("ReadFromTFRecord");
    this.patterns = typeof pattern === "string" ? [pattern] : [...pattern];
    if (this.patterns.length === 0 || this.patterns.some((p) => typeof p !== "string" || p === "")) throw new ValidationError("ReadFromTFRecord needs at least one file pattern (a non-empty string)");
    checkCompression("ReadFromTFRecord", options.compression);
  }

  expand(input: PBegin): PCollection<T> {
    const compression = this.options.compression ?? "auto";
    return input
      .apply("Impulse", Impulse.create())
      .apply("MatchFiles", ParDo.of(new MatchPatterns(this.patterns, compression, this.options.validate === false)))
      .apply("Reshuffle", Reshuffle.viaRandomKey())
      .apply("ReadFiles", ParDo.of(new ReadFiles<T, T>(this.options.coder, false)))
      .setCoder((this.options.coder ?? BytesCoder.INSTANCE) as Coder<T>);
  }

  override async validate(ctx: ValidationContext): Promise<void> {
    if (this.options.validate === false) return;
    try {
      const files = await FileSystems.matchAll(this.patterns);
      for (const f of files) resolveTFRecordCompression(f.path, this.options.compression ?? "auto");
    } catch (e) {
      throw new ValidationError(`${ctx.transformName}: ${(e as Error).message}`, { cause: e });
    }
  }
}

function checkCompression(transform: string, compression: TFRecordCompression | undefined): void {
  if (compression !== undefined && !["auto", "uncompressed", "gzip", "deflate", "bzip2", "zstd", "lzma", "zip", "snappy", "lzop", "lzo"].includes(compression)) {
    throw new ValidationError(`${transform}: unknown compression '${String(compression)}'; use "auto", "uncompressed", "gzip", "deflate", "bzip2", "zstd", "lzma", "zip", "snappy", "lzop" or "lzo"`);
  }
}

/** Each input (a pattern, a FileMetadata or a ReadableFile) as the files to read. */
class ExpandFiles extends DoFn<string | FileMetadata | ReadableFile, TFRecordFileToRead> {
  constructor(private readonly options: ReadAllFromTFRecordOptions<unknown>) {
    super();
  }
  async process(element: string | FileMetadata | ReadableFile, ctx: ProcessContext<TFRecordFileToRead>): Promise<void> {
    const own = element instanceof ReadableFile && element.compression !== "auto" ? element.compression : undefined;
    const compression = own ?? this.options.compression ?? "auto";
    const files = typeof element === "string" ? await matchPattern(element, this.options.emptyMatchTreatment ?? "ALLOW_IF_WILDCARD") : [element instanceof ReadableFile ? element.metadata : element];
    for (const f of files) {
      if (f.path.endsWith("/")) continue; // an object store's folder placeholder
      resolveTFRecordCompression(f.path, compression);
      ctx.output({ path: f.path, compression });
    }
  }
}

/**
 * The records of the TFRecord files named by each input element: a pattern (Beam Python's
 * `ReadAllFromTFRecord`), a FileMetadata (from `FileIO.matchAll`) or a ReadableFile (Beam Java's
 * `TFRecordIO.readFiles()`).
 */
export class ReadAllFromTFRecord<Out = Uint8Array> extends PTransform<PCollection<string | FileMetadata | ReadableFile>, PCollection<Out>> {
  /** Each record's bytes. */
  static create(options?: ReadAllFromTFRecordOptions<Uint8Array>): ReadAllFromTFRecord<Uint8Array>;
  /** Each record decoded by the coder. */
  static create<T>(options: ReadAllFromTFRecordOptions<T> & { readonly coder: Coder<T> }): ReadAllFromTFRecord<T>;
  static create<T>(options: ReadAllFromTFRecordOptions<T> = {}): ReadAllFromTFRecord<T> {
    return new ReadAllFromTFRecord<T>(options, false);
  }
  /** `KV(path, record)` for each record, as Beam Python's `ReadAllFromTFRecord(with_filename=True)`. */
  static withFilename(options?: ReadAllFromTFRecordOptions<Uint8Array>): ReadAllFromTFRecord<KV<string, Uint8Array>>;
  /** `KV(path, record)`, each record decoded by the coder. */
  static withFilename<T>(options: ReadAllFromTFRecordOptions<T> & { readonly coder: Coder<T> }): ReadAllFromTFRecord<KV<string, T>>;
  static withFilename<T>(options: ReadAllFromTFRecordOptions<T> = {}): ReadAllFromTFRecord<KV<string, T>> {
    return new ReadAllFromTFRecord<KV<string, T>>(options as ReadAllFromTFRecordOptions<unknown>, true);
  }

  private constructor(
    /** Coder, compression and what an empty match does. */
    readonly options: ReadAllFromTFRecordOptions<unknown>,
    private readonly withFilename: boolean,
  ) {
    super("ReadAllFromTFRecord");
    checkCompression("ReadAllFromTFRecord", options.compression);
    const t = options.emptyMatchTreatment;
    if (t !== undefined && t !== "ALLOW" && t !== "DISALLOW" && t !== "ALLOW_IF_WILDCARD") throw new ValidationError(`ReadAllFromTFRecord: unknown emptyMatchTreatment '${String(t)}'; use "ALLOW", "DISALLOW" or "ALLOW_IF_WILDCARD"`);
  }

  expand(input: PCollection<string | FileMetadata | ReadableFile>): PCollection<Out> {
    return input
      .apply("ExpandFiles", ParDo.of(new ExpandFiles(this.options)))
      .apply("Reshuffle", Reshuffle.viaRandomKey())
      .apply("ReadFiles", ParDo.of(new ReadFiles<unknown, Out>(this.options.coder, this.withFilename)))
      .setCoder(this.outputCoder());
  }

  /** The records' coder (bytes by default), under a string key with the file names. */
  private outputCoder(): Coder<Out> {
    const records: Coder<unknown> = this.options.coder ?? BytesCoder.INSTANCE;
    return (this.withFilename ? new KVCoder(StringUtf8Coder.INSTANCE, records) : records) as Coder<Out>;
  }
}
