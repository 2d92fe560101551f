/**
 * FileIO: files as elements (Beam Java's `FileIO.match()`, `matchAll()`, `readMatches()`; Beam
 * Python's `fileio.MatchFiles`, `MatchAll`, `ReadMatches`), and `ReadAllFromText`, which reads the
 * lines of files named by a PCollection of patterns (Python's `ReadAllFromText`, Java's
 * `TextIO.readFiles()`).
 *
 * Matching runs when the pipeline runs, once per pattern element, so the patterns can be data.
 * A pattern that matches nothing fails its step or yields nothing, by its EmptyMatchTreatment
 * (Beam's defaults: `match` disallows it, `matchAll` allows it when the pattern has a wildcard).
 */
import { pipeline, type Readable } from "node:stream";
import { ByteReader, ByteWriter } from "../coders/byte_io";
import { Coder, CoderContext } from "../coders/coder";
import { registerCoderUrn } from "../coders/registry";
import { DoFn, ProcessContext, RuntimeContext } from "../model/dofn";
import { ValidationError } from "../model/errors";
import { PBegin, PCollection } from "../model/pcollection";
import { ParDo } from "../model/pardo";
import { KV } from "../model/window";
import { PTransform } from "../model/transform";
import { Create, Reshuffle } from "../transforms/util";
import type { FileMetadata } from "./filesystems/filesystem";
import { FileSystemError, type EmptyMatchTreatment } from "./filesystems/filesystem";
import { escapeGlob } from "./filesystems/glob";
import { FileSystems } from "./filesystems/registry";
import { Compression, desiredRangeBytes, resolveCompression, resolveTextFormat, splitIntoRanges, type TextFormat, type TextFormatOptions } from "./text_read";
import { decompressing } from "./compression";
import { RangeToRead, ReadRanges } from "./textio";
import { defaultNaming, singleDestinationWrite, WriteDynamic } from "./fileio_write";
import type * as ContinuousT from "./fileio_continuous";
import type * as WatchT from "./fileio_watch";

/** The continuous-matching module, loaded on first use (it brings PeriodicImpulse and keyed state). */
function continuousModule(): typeof ContinuousT {
  return require("./fileio_continuous") as typeof ContinuousT;
}

export type { EmptyMatchTreatment } from "./filesystems/filesystem";

/** Options of `FileIO.match` and `FileIO.matchAll`. */
export interface MatchOptions {
  /** Default: `"DISALLOW"` for `match`, `"ALLOW_IF_WILDCARD"` for `matchAll` (as Beam Java). */
  readonly emptyMatchTreatment?: EmptyMatchTreatment;
}

/** Options of `FileIO.readMatches`. */
export interface ReadMatchesOptions {
  /** How the files are compressed (default `"auto"`: gzip for `.gz`, deflate for `.deflate`). */
  readonly compression?: Compression;
  /** A match that is a directory (a path ending in `/`, e.g. a Cloud Storage folder placeholder): `"SKIP"` (default) or `"PROHIBIT"` (fails the step). */
  readonly directoryTreatment?: "SKIP" | "PROHIBIT";
}

const EMPTY_MATCH_TREATMENTS: readonly EmptyMatchTreatment[] = ["ALLOW", "DISALLOW", "ALLOW_IF_WILDCARD"];

function checkTreatment(transform: string, t: EmptyMatchTreatment): EmptyMatchTreatment {
  if (!EMPTY_MATCH_TREATMENTS.includes(t)) throw new ValidationError(`${transform}: unknown emptyMatchTreatment '${String(t)}'; use one of ${EMPTY_MATCH_TREATMENTS.join(", ")}`);
  return t;
}

/** Whether a glob has a wildcard our file systems expand (an unescaped `*`, `?` or `[`). */
export function hasGlobWildcard(pattern: string): boolean {
  return /(^|[^\\])(\\\\)*[*?[]/.test(pattern);
}

/** The files matching `pattern`, or an error if it matches none and `treatment` does not allow that. */
export async function matchPattern(pattern: string, treatment: EmptyMatchTreatment): Promise<FileMetadata[]> {
  if (typeof pattern !== "string") throw new ValidationError(`FileIO.matchAll: an element is not a file pattern string: ${JSON.stringify(pattern)}`);
  return FileSystems.match(pattern, { emptyMatchTreatment: treatment });
}

/** A plain copy of a file's metadata (file systems may return richer objects). */
export function metadataOf(f: FileMetadata): FileMetadata {
  return f.lastModifiedMillis === undefined ? { path: f.path, sizeBytes: f.sizeBytes } : { path: f.path, sizeBytes: f.sizeBytes, lastModifiedMillis: f.lastModifiedMillis };
}

class MatchPatterns extends DoFn<string, FileMetadata> {
  constructor(private readonly treatment: EmptyMatchTreatment) {
    super();
  }
  async process(pattern: string, ctx: ProcessContext<FileMetadata>): Promise<void> {
    for (const f of await matchPattern(pattern, this.treatment)) ctx.output(metadataOf(f));
  }
}

/**
 * A matched file, to read whole (Beam's `ReadableFile`): its metadata, its compression, and ways to
 * read it decompressed. Elements of this type have their own coder (`ReadableFileCoder`).
 */
export class ReadableFile {
  constructor(
    /** The file's path, size and modification time. */
    readonly metadata: FileMetadata,
    /** How it is compressed (`"auto"`: by its suffix). */
    readonly compression: Compression = "auto",
  ) {}

  /** A stream of the file's bytes, decompressed. */
  async open(): Promise<Readable> {
    const raw = await FileSystems.openRead(this.metadata.path);
    const decompress = decompressing(resolveCompression(this.metadata.path, this.compression));
    if (decompress === undefined) return raw;
    // pipeline, not pipe: when decompressing fails (not that format, truncated) or the caller
    // destroys it (stops reading early), the file stream is destroyed too, closing its descriptor;
    // with pipe it stayed open until garbage collection. A read error of the file reaches the
    // caller through the decompressing stream.
    return pipeline(raw, decompress, () => {
      /* errors surface through the decompressing stream */
    });
  }

  /** The whole file's bytes, decompressed (Java's `readFullyAsBytes`, Python's `read`). */
  async readBytes(): Promise<Buffer> {
    const chunks: Buffer[] = [];
    for await (const chunk of await this.open()) chunks.push(chunk as Buffer);
    return Buffer.concat(chunks);
  }

  /** The whole file as UTF-8 text (Java's `readFullyAsUTF8String`, Python's `read_utf8`). */
  async readUtf8(): Promise<string> {
    return (await this.readBytes()).toString("utf8");
  }
}

export const READABLE_FILE_URN = "beamline:coder:readable_file:v1";

/** Encodes a ReadableFile as its path, size, modification time (if known) and compression. */
export class ReadableFileCoder implements Coder<ReadableFile> {
  static readonly INSTANCE = new ReadableFileCoder();
  readonly urn = READABLE_FILE_URN;
  readonly components: readonly Coder<unknown>[] = [];
  readonly deterministic = true;

  encode(f: ReadableFile, out: ByteWriter, _context: CoderContext): void {
    out.writeUtf8Nested(f.metadata.path);
    out.writeVarInt(f.metadata.sizeBytes);
    const modified = f.metadata.lastModifiedMillis;
    out.writeByte(modified === undefined ? 0 : 1);
    if (modified !== undefined) out.writeDoubleBE(modified);
    out.writeUtf8Nested(f.compression);
  }

  decode(input: ByteReader, _context: CoderContext): ReadableFile {
    const path = input.readUtf8Nested();
    const sizeBytes = input.readVarInt();
    const modified = input.readByte() === 1 ? input.readDoubleBE() : undefined;
    const compression = input.readUtf8Nested() as Compression;
    return new ReadableFile(modified === undefined ? { path, sizeBytes } : { path, sizeBytes, lastModifiedMillis: modified }, compression);
  }
}
registerCoderUrn(READABLE_FILE_URN, () => ReadableFileCoder.INSTANCE);

/**
 * The metadata of a file named by its path (Beam Python's ReadMatches takes paths as strings too):
 * looked up, so its size is known to readers that split by it; a path ending in a separator is a
 * directory, left to the directory treatment. A path naming no file fails with code "NO_MATCH",
 * as an empty `FileSystems.match` / `FileIO.match` does: the lookup is a match of the path.
 */
async function metadataOfPath(path: string): Promise<FileMetadata> {
  if (path.endsWith("/") || path.endsWith("\\")) return { path, sizeBytes: 0 };
  const found = (await FileSystems.match(escapeGlob(path)))[0];
  if (found === undefined) {
    throw new FileSystemError(`FileIO.readMatches: no file '${path}' (an input element naming a file to read). Check the path, or match patterns with FileIO.matchAll() first.`, path, { code: "NO_MATCH" });
  }
  return found;
}

class ToReadableFiles extends DoFn<string | FileMetadata, ReadableFile> {
  constructor(private readonly options: ReadMatchesOptions) {
    super();
  }
  async process(element: string | FileMetadata, ctx: ProcessContext<ReadableFile>): Promise<void> {
    const metadata = typeof element === "string" ? await metadataOfPath(element) : element;
    if (metadata.path.endsWith("/") || metadata.path.endsWith("\\")) {
      if ((this.options.directoryTreatment ?? "SKIP") === "SKIP") return;
      throw new FileSystemError(
        `Matched '${metadata.path}', a directory, and directories are not allowed here (directoryTreatment PROHIBIT). Narrow the pattern to files, or use directoryTreatment "SKIP".`,
        metadata.path,
        { code: "INVALID_ARGUMENT" },
      );
    }
    const compression = this.options.compression ?? "auto";
    resolveCompression(metadata.path, compression);
    ctx.output(new ReadableFile(metadataOf(metadata), compression));
  }
}

/** `FileIO.match(pattern)`: the files matching a pattern, as a PCollection of FileMetadata. */
export class MatchFiles extends PTransform<PBegin, PCollection<FileMetadata>> {
  constructor(
    /** The file pattern matched. */
    readonly pattern: string,
    /** What an empty match does. */
    readonly options: MatchOptions = {},
  ) {
    super("MatchFiles");
    if (typeof pattern !== "string" || pattern === "") throw new ValidationError("FileIO.match needs a file pattern");
    checkTreatment("FileIO.match", options.emptyMatchTreatment ?? "DISALLOW");
  }
  /**
   * Watches the pattern: each new file once (Beam Java's `FileIO.match().filepattern(p)
   * .continuously(pollInterval, terminationCondition)`): until `stop`, or until a
   * `terminationCondition` (`Watch.Growth...`) holds. An empty match is allowed unless this
   * match's options say otherwise (as Java's polling). See `FileIO.matchContinuously`.
   */
  continuously(options: ContinuousT.MatchContinuouslyOptions = {}): ContinuousT.MatchContinuously {
    const treatment = options.emptyMatchTreatment ?? this.options.emptyMatchTreatment;
    return new (continuousModule().MatchContinuously)(this.pattern, treatment === undefined ? options : { ...options, emptyMatchTreatment: treatment });
  }
  expand(input: PBegin): PCollection<FileMetadata> {
    return input.apply("Pattern", Create.of(this.pattern)).apply("MatchAll", new MatchAll({ emptyMatchTreatment: this.options.emptyMatchTreatment ?? "DISALLOW" }));
  }
}

/** `FileIO.matchAll()`: the files matching each pattern of the input. */
export class MatchAll extends PTransform<PCollection<string>, PCollection<FileMetadata>> {
  constructor(
    /** What an empty match does. */
    readonly options: MatchOptions = {},
  ) {
    super("MatchAll");
    checkTreatment("FileIO.matchAll", options.emptyMatchTreatment ?? "ALLOW_IF_WILDCARD");
  }
  /**
   * Watches each input pattern on its own (Beam Java's `FileIO.matchAll().continuously(pollInterval,
   * terminationCondition, matchUpdatedFiles)`): polled every `intervalMillis`, each new file output
   * once per pattern (timestamped at the poll's processing time), until the pattern's
   * `terminationCondition` (`Watch.Growth...`, default `never()`) holds. An empty match is allowed
   * unless this matchAll's options say otherwise (as Java's polling). See lib/io/fileio_watch.
   *
   *     patterns.apply(FileIO.matchAll().continuously({ intervalMillis: 30_000, terminationCondition: Watch.Growth.afterTimeSinceNewOutput(3_600_000) }))
   */
  continuously(options: WatchT.ContinuousMatchAllOptions = {}): WatchT.MatchAllContinuously {
    const treatment = options.emptyMatchTreatment ?? this.options.emptyMatchTreatment;
    const { MatchAllContinuously } = require("./fileio_watch") as typeof WatchT;
    return new MatchAllContinuously(treatment === undefined ? options : { ...options, emptyMatchTreatment: treatment });
  }
  expand(input: PCollection<string>): PCollection<FileMetadata> {
    return input.apply("Match", ParDo.of(new MatchPatterns(this.options.emptyMatchTreatment ?? "ALLOW_IF_WILDCARD")));
  }
}

/**
 * `FileIO.readMatches()`: each matched file (its FileMetadata, or its path as a string, as Beam
 * Python's ReadMatches) as a ReadableFile (directories skipped by default).
 */
export class ReadMatches extends PTransform<PCollection<FileMetadata | string>, PCollection<ReadableFile>> {
  constructor(
    /** Compression and what a directory match does. */
    readonly options: ReadMatchesOptions = {},
  ) {
    super("ReadMatches");
    const d = options.directoryTreatment;
    if (d !== undefined && d !== "SKIP" && d !== "PROHIBIT") throw new ValidationError(`FileIO.readMatches: unknown directoryTreatment '${String(d)}'; use "SKIP" or "PROHIBIT"`);
  }
  expand(input: PCollection<FileMetadata | string>): PCollection<ReadableFile> {
    return input.apply("ToReadableFiles", ParDo.of(new ToReadableFiles(this.options))).setCoder(ReadableFileCoder.INSTANCE);
  }
}

/** Files as elements: match patterns, then read the matches (Beam's FileIO / Python's fileio). */
export const FileIO = {
  /** The files matching `pattern` (default: a pattern matching nothing fails the run, as Beam Java's). */
  match: (pattern: string, options: MatchOptions = {}): MatchFiles => new MatchFiles(pattern, options),
  /**
   * The files matching `pattern`, watched every `intervalMillis` from `start` to `stop` (Beam
   * Python's `MatchContinuously`): each new file once (with `matchUpdatedFiles`, again when it
   * changes), timestamped at the firing that found it. Without a `stop` it runs until drained.
   */
  matchContinuously: (pattern: string, options: ContinuousT.MatchContinuouslyOptions = {}): ContinuousT.MatchContinuously => new (continuousModule().MatchContinuously)(pattern, options),
  /** The files matching each input pattern (default: nothing for a wildcard pattern matching nothing, an error for a missing plain path). */
  matchAll: (options: MatchOptions = {}): MatchAll => new MatchAll(options),
  /** Each FileMetadata as a ReadableFile, to read whole. */
  readMatches: (options: ReadMatchesOptions = {}): ReadMatches => new ReadMatches(options),
  /**
   * Writes lines to files chosen per element (Beam Java's `FileIO.writeDynamic()`): set `.by(fn)`
   * and `.to(dir)`; `.via(fn)` formats non-string elements (see lib/io/fileio_write).
   */
  writeDynamic: <T = string>(): WriteDynamic<T> => new WriteDynamic<T>(),
  /**
   * Writes lines to one set of files in a directory (Beam Java's `FileIO.write()`, Python's
   * `WriteToFiles(path)`): `.to(dir)`, `.via(fn)` for non-string elements, and the same options as
   * `writeDynamic` but `.by`. Files are `<dir>/output-SSSSS-of-NNNNN` by default.
   */
  write: <T = string>(): WriteDynamic<T> => singleDestinationWrite<T>(),
  /** Beam Java's default file naming: `<prefix>[-<window>][-<pane>]-SSSSS-of-NNNNN<suffix>`. */
  defaultNaming,
} as const;

/** Options of ReadAllFromText. */
export interface ReadAllFromTextOptions extends MatchOptions, TextFormatOptions {
  /** How the files are compressed (default `"auto"`: gzip for `.gz`); ReadableFiles carry their own. */
  readonly compression?: Compression;
  /** Target size of the byte ranges files are split into (default: as ReadFromText's). */
  readonly desiredBundleSizeBytes?: number;
}

/** Splits each input (a pattern, a file's metadata or a ReadableFile) into byte ranges to read. */
class ExpandIntoRanges extends DoFn<string | FileMetadata | ReadableFile, RangeToRead> {
  private readers = 1;
  constructor(private readonly options: ReadAllFromTextOptions) {
    super();
  }
  setup(runtime: RuntimeContext): void {
    this.readers = runtime.options.directNumWorkers;
  }
  async process(element: string | FileMetadata | ReadableFile, ctx: ProcessContext<RangeToRead>): Promise<void> {
    const files = typeof element === "string" ? await matchPattern(element, this.options.emptyMatchTreatment ?? "ALLOW_IF_WILDCARD") : [element instanceof ReadableFile ? element.metadata : element];
    const compression = element instanceof ReadableFile ? element.compression : (this.options.compression ?? "auto");
    const desired = this.options.desiredBundleSizeBytes ?? desiredRangeBytes(files, this.readers, compression);
    for (const r of splitIntoRanges(files, desired, compression)) {
      ctx.output(element instanceof ReadableFile ? { path: r.path, start: r.start, end: r.end, compression } : { path: r.path, start: r.start, end: r.end });
    }
  }
}

/**
 * The lines of the files named by each input element: a pattern (Beam Python's `ReadAllFromText`),
 * a FileMetadata (from `FileIO.matchAll`) or a ReadableFile (Beam Java's `TextIO.readFiles()`).
 * Large files are split into ranges read in parallel, as by ReadFromText.
 */
export class ReadAllFromText<Out extends string | KV<string, string> = string> extends PTransform<PCollection<string | FileMetadata | ReadableFile>, PCollection<Out>> {
  /** Lines of the files each input names. */
  static create(options: ReadAllFromTextOptions = {}): ReadAllFromText<string> {
    return new ReadAllFromText<string>(options, false);
  }
  /** `KV(path, line)` for each line, as Beam Python's `ReadAllFromText(with_filename=True)`. */
  static withFilename(options: ReadAllFromTextOptions = {}): ReadAllFromText<KV<string, string>> {
    return new ReadAllFromText<KV<string, string>>(options, true);
  }
  private readonly format: TextFormat | undefined;
  private constructor(
    readonly options: ReadAllFromTextOptions,
    private readonly withFilename: boolean,
  ) {
    super("ReadAllFromText");
    checkTreatment("ReadAllFromText", options.emptyMatchTreatment ?? "ALLOW_IF_WILDCARD");
    const d = options.desiredBundleSizeBytes;
    if (d !== undefined && !(Number.isInteger(d) && d > 0)) throw new ValidationError(`ReadAllFromText: desiredBundleSizeBytes must be a positive integer, got ${String(d)}`);
    this.format = resolveTextFormat("ReadAllFromText", options);
  }
  expand(input: PCollection<string | FileMetadata | ReadableFile>): PCollection<Out> {
    return input
      .apply("ExpandIntoRanges", ParDo.of(new ExpandIntoRanges(this.options)))
      .apply("Reshuffle", Reshuffle.viaRandomKey())
      .apply("ReadRanges", ParDo.of(new ReadRanges<Out>(this.options.compression ?? "auto", this.withFilename, this.format)));
  }
}
