/**
 * ReadFromAvro and ReadAllFromAvro: the records of Avro object container files (Beam Python's
 * `apache_beam.io.avroio.ReadFromAvro` / `ReadAllFromAvro`, Java's `AvroIO.readGenericRecords`).
 * Records come out as plain JS objects (see ./schema for the mapping) in the file's writer schema,
 * or resolved to a reader schema (`schema`), as Avro's schema resolution does (new fields take
 * their defaults, removed fields are skipped, int widens to long, ...). Files are split into byte
 * ranges at their sync markers (see ./container), spread over the workers by a Reshuffle.
 */
import type * as avsc from "avsc";
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
import { type AvroHeader, readAvroBlocks, readAvroHeader } from "./container";
import { type AvroLongs, type AvroSchema, avroType, plain } from "./schema";
import type { AvroValue } from "./schema_types";

/** Options of ReadFromAvro. */
export interface ReadFromAvroOptions {
  /** A reader schema: records are resolved from each file's writer schema to it (Avro's schema evolution). Default: each file's own schema. */
  readonly schema?: AvroSchema;
  /** How longs map to JS: "number" (default; a long beyond ±2^53 fails the read) or "bigint" (every long). */
  readonly longs?: AvroLongs;
  /** Target size of the byte ranges read in parallel (default as ReadFromText's). */
  readonly desiredBundleSizeBytes?: number;
  /** Check before running that every pattern matches a file (default true, as Beam); false: a pattern matching nothing reads nothing. */
  readonly validate?: boolean;
}

/** Options of ReadAllFromAvro. */
export interface ReadAllFromAvroOptions {
  /** A reader schema (see ReadFromAvroOptions.schema). */
  readonly schema?: AvroSchema;
  /** How longs map to JS (see ReadFromAvroOptions.longs). */
  readonly longs?: AvroLongs;
  /** Target size of the byte ranges read in parallel (default 64 MiB, as Beam Python's ReadAllFromAvro). */
  readonly desiredBundleSizeBytes?: number;
  /** A pattern that matches nothing: default `"ALLOW_IF_WILDCARD"` (as ReadAllFromText). */
  readonly emptyMatchTreatment?: EmptyMatchTreatment;
}

/** A byte range of an Avro file (file_ranges.ts). */
export type AvroRange = FileRange;

interface ReadSpec {
  readonly schema?: AvroSchema;
  readonly longs: AvroLongs;
}

/** Reads ranges' records; with `withFilename`, as KV(path, record). */
class ReadRanges<Out> extends DoFn<AvroRange, Out> {
  private readerType: avsc.Type | undefined;
  /** Recent files' headers and resolvers: the ranges of one file usually follow one another. */
  private readonly files = new Map<string, { head: AvroHeader; read: (buf: Buffer, pos: number) => { value: unknown; offset: number } }>();
  constructor(
    private readonly spec: ReadSpec,
    private readonly withFilename: boolean,
  ) {
    super();
  }

  private async open(path: string): Promise<{ head: AvroHeader; read: (buf: Buffer, pos: number) => { value: unknown; offset: number } }> {
    const known = this.files.get(path);
    if (known !== undefined) return known;
    const head = await readAvroHeader(path);
    let writer: avsc.Type;
    try {
      writer = avroType(head.schema, this.spec.longs);
    } catch (e) {
      throw new FileSystemError(`Cannot read Avro file ${path}: its schema is invalid (${(e as Error).message}).`, path, { cause: e });
    }
    let read: (buf: Buffer, pos: number) => { value: unknown; offset: number };
    if (this.spec.schema === undefined) read = (buf, pos) => writer.decode(buf, pos);
    else {
      const reader = (this.readerType ??= avroType(this.spec.schema, this.spec.longs));
      let resolver: avsc.Resolver;
      try {
        resolver = reader.createResolver(writer);
      } catch (e) {
        throw new FileSystemError(
          `Cannot read Avro file ${path} with the reader schema given: its writer schema cannot be resolved to it (${(e as Error).message}). Writer schema: ${head.schema}`,
          path,
          { cause: e },
        );
      }
      read = (buf, pos) => reader.decode(buf, pos, resolver);
    }
    if (this.files.size >= 16) this.files.delete(this.files.keys().next().value as string);
    const entry = { head, read };
    this.files.set(path, entry);
    return entry;
  }

  async process(range: AvroRange, ctx: ProcessContext<Out>): Promise<void> {
    const out = ctx as unknown as ProcessContext<unknown>;
    const { head, read } = await this.open(range.path);
    await readAvroBlocks(range.path, head, range.start, range.end, (block) => {
      let pos = 0;
      for (let i = 0; i < block.count; i++) {
        let decoded: { value: unknown; offset: number };
        try {
          decoded = read(block.data, pos);
        } catch (e) {
          throw new FileSystemError(`Cannot read Avro file ${range.path}: record ${i} of the block after byte ${block.offset}: ${(e as Error).message}.`, range.path, { cause: e });
        }
        if (decoded.offset < 0) throw new FileSystemError(`Cannot read Avro file ${range.path}: the block after byte ${block.offset} holds fewer bytes than its ${block.count} records need (corrupt).`, range.path, { code: "DATA_LOSS" });
        pos = decoded.offset;
        const value = plain(decoded.value);
        out.output(this.withFilename ? kv(range.path, value) : value);
      }
    });
  }
}

function checkOptions(transform: string, options: { longs?: AvroLongs; schema?: AvroSchema; desiredBundleSizeBytes?: number }): void {
  if (options.longs !== undefined && options.longs !== "number" && options.longs !== "bigint") throw new ValidationError(`${transform}: unknown longs '${String(options.longs)}'; use "number" or "bigint"`);
  checkRangeOptions(transform, options);
  if (options.schema !== undefined) {
    try {
      avroType(options.schema, options.longs);
    } catch (e) {
      throw new ValidationError(`${transform}: the reader schema is not a valid Avro schema: ${(e as Error).message}`, { cause: e });
    }
  }
}

/** The records of the Avro files matching one or more patterns (local paths or gs://), as plain JS objects. */
export class ReadFromAvro<T = Record<string, unknown>> extends PTransform<PBegin, PCollection<T>> {
  /** The file patterns read. */
  readonly patterns: readonly string[];

  /** `ReadFromAvro.from("data/*.avro", { schema: USER_SCHEMA })` with a schema given `as const`: records typed by the (reader) schema, longs as numbers. */
  static from<const S extends AvroSchema>(pattern: string | readonly string[], options: ReadFromAvroOptions & { readonly schema: S; readonly longs?: "number" }): ReadFromAvro<AvroValue<S>>;
  /** `ReadFromAvro.from("data/*.avro", { schema: USER_SCHEMA, longs: "bigint" })`: records typed by the schema, longs as bigints. */
  static from<const S extends AvroSchema>(pattern: string | readonly string[], options: ReadFromAvroOptions & { readonly schema: S; readonly longs: "bigint" }): ReadFromAvro<AvroValue<S, bigint>>;
  /** `p.apply(ReadFromAvro.from<User>("data/users-*.avro"))`: each record as a plain object (typed as T, which the caller vouches for). */
  static from<T = Record<string, unknown>>(pattern: string | readonly string[], options?: ReadFromAvroOptions): ReadFromAvro<T>;
  static from<T>(pattern: string | readonly string[], options: ReadFromAvroOptions = {}): ReadFromAvro<T> {
    return new ReadFromAvro<T>(pattern, options);
  }

  private constructor(
    pattern: string | readonly string[],
    /** Reader schema, long mapping, range size and validation. */
    readonly options: ReadFromAvroOptions,
  ) {
    super("ReadFromAvro");
    this.patterns = filePatterns("ReadFromAvro", pattern);
    checkOptions("ReadFromAvro", options);
  }

  expand(input: PBegin): PCollection<T> {
    return input
      .apply("Impulse", Impulse.create())
      .apply("ExpandPatterns", ParDo.of(new ExpandPatternsToRanges(this.patterns, this.options.desiredBundleSizeBytes, this.options.validate === false)))
      .apply("Reshuffle", Reshuffle.viaRandomKey())
      .apply("ReadRanges", ParDo.of(new ReadRanges<T>({ schema: this.options.schema, longs: this.options.longs ?? "number" }, false)))
      .setCoder(JsValueCoder.INSTANCE as Coder<T>);
  }

  override async validate(ctx: ValidationContext): Promise<void> {
    await validatePatterns(this.patterns, this.options.validate, ctx);
  }
}

/**
 * The records of the Avro files named by each input element: a pattern (Beam Python's
 * `ReadAllFromAvro`), a FileMetadata (from `FileIO.matchAll`) or a ReadableFile (Beam Java's
 * `AvroIO.readFilesGenericRecords`).
 */
export class ReadAllFromAvro<Out = Record<string, unknown>> extends PTransform<PCollection<string | FileMetadata | ReadableFile>, PCollection<Out>> {
  /** Each record as a plain object (typed as T). */
  static create<T = Record<string, unknown>>(options: ReadAllFromAvroOptions = {}): ReadAllFromAvro<T> {
    return new ReadAllFromAvro<T>(options, false);
  }
  /** `KV(path, record)` for each record, as Beam Python's `ReadAllFromAvro(with_filename=True)`. */
  static withFilename<T = Record<string, unknown>>(options: ReadAllFromAvroOptions = {}): ReadAllFromAvro<KV<string, T>> {
    return new ReadAllFromAvro<KV<string, T>>(options, true);
  }

  private constructor(
    /** Reader schema, long mapping, range size and what an empty match does. */
    readonly options: ReadAllFromAvroOptions,
    private readonly withFilename: boolean,
  ) {
    super("ReadAllFromAvro");
    checkOptions("ReadAllFromAvro", options);
  }

  expand(input: PCollection<string | FileMetadata | ReadableFile>): PCollection<Out> {
    const records = JsValueCoder.INSTANCE as Coder<unknown>;
    return input
      .apply("ExpandFiles", ParDo.of(new ExpandFilesToRanges(this.options)))
      .apply("Reshuffle", Reshuffle.viaRandomKey())
      .apply("ReadRanges", ParDo.of(new ReadRanges<Out>({ schema: this.options.schema, longs: this.options.longs ?? "number" }, this.withFilename)))
      .setCoder((this.withFilename ? new KVCoder(StringUtf8Coder.INSTANCE, records) : records) as Coder<Out>);
  }
}
