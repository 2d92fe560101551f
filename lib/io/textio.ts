/**
 * TextIO: read lines from text files, write lines to sharded text files.
 *
 * Reading matches the pattern(s), splits files into byte ranges (gzip files stay whole),
 * redistributes the ranges and streams each one; a missing file or an empty glob fails before
 * the pipeline runs. Writing goes to a hidden temporary directory beside the output (one per sink
 * and run); the files are renamed into place by the sink's output commit: on the DirectRunner once
 * the whole run has succeeded, so a failed run leaves no partial output; on remote runners when
 * the sink's own branch completes (as in Beam).
 */
import { randomId } from "../model/ids";
import { BundleContext, DoFn, ProcessContext, RuntimeContext } from "../model/dofn";
import { PipelineConstructionError, ValidationError } from "../model/errors";
import { PBegin, PCollection } from "../model/pcollection";
import { ParDo } from "../model/pardo";
import { GroupByKey, Impulse } from "../model/primitives";
import { KV, kv } from "../model/window";
import { AsIterable, SideInput, type SideInputViews } from "../model/side_inputs";
import { FailureCleanupContext, PTransform, ValidationContext } from "../model/transform";
import { Reshuffle } from "../transforms/util";
import { FileSystems, readInScopeUnlessLocal } from "./filesystems/registry";
import { checkOutputPrefix } from "./filesystems/output_check";
import { WriteWindowedText } from "./text_windowed_write";
import { removeWindowedLeftovers, tempDirectoryFor, windowedShardTemplate } from "./windowed_files";
import { GlobalWindows } from "../model/windowing";
import { Window } from "../model/primitives";
import { resolveWriteCompression } from "./compression";
import { Compression, resolveCompression, desiredRangeBytes, readLineBatches, shardPath, splitForReaders, splitIntoRanges, TextShardWriter, abortShards, textFilesCommit, type TextShardWriterOptions } from "./text_files";
import { commitOutput } from "../model/commits";
import { currentStep, inStep, Metrics, OWN_METRICS_ATTRIBUTION, SYSTEM_NAMESPACE } from "../model/metrics";
import type * as ContinuousT from "./fileio_continuous";
import { resolveTextFormat, type TextFormat, type TextFormatOptions } from "./text_read";

/** Options of ReadFromText (and of ReadFromTextWithFilename). */
export interface ReadFromTextOptions extends TextFormatOptions {
  /** "auto" (default: by suffix as Beam's AUTO: .gz, .deflate/.zlib, .bz2, .zst/.zstd, .xz/.lzma, .zip, .snappy, .lzo, .lzo_deflate), or "gzip", "deflate", "bzip2", "zstd", "lzma", "zip", "snappy", "lzop", "lzo", "uncompressed". Compressed files are read whole by one worker. */
  readonly compression?: Compression;
  /**
   * Target size of the byte ranges read in parallel (default: about 32 per worker, 1 to 64 MiB; one
   * worker: up to 64 MiB; in a large read with several DirectRunner workers, a small first range
   * and quartered last ones).
   */
  readonly desiredBundleSizeBytes?: number;
}

/** A byte range of a file to read. */
export interface TextRange {
  /** The file. */
  readonly path: string;
  /** First byte offset (the range reads the lines that start in it). */
  readonly start: number;
  /** End byte offset (exclusive). */
  readonly end: number;
}

/** Lines read whose bytes were not valid UTF-8 (a system counter on the read step). */
const INVALID_UTF8_LINES = Metrics.counter(SYSTEM_NAMESPACE, "invalidUtf8Lines");

class ExpandPatterns extends DoFn<Uint8Array, TextRange> {
  constructor(
    private readonly patterns: readonly string[],
    private readonly options: ReadFromTextOptions,
  ) {
    super();
  }
  async process(_: Uint8Array, ctx: ProcessContext<TextRange>): Promise<void> {
    const files = await FileSystems.matchAll(this.patterns);
    const compression = this.options.compression ?? "auto";
    const readers = ctx.runtime.options.directNumWorkers;
    const desired = this.options.desiredBundleSizeBytes;
    const ranges = desired !== undefined ? splitIntoRanges(files, desired, compression) : splitForReaders(files, desiredRangeBytes(files, readers, compression), readers, compression);
    for (const range of ranges) {
      ctx.output({ path: range.path, start: range.start, end: range.end });
    }
  }
}

/** A range to read, with the compression of its file when it is not the read's (ReadableFiles carry their own). */
export interface RangeToRead extends TextRange {
  readonly compression?: Compression;
}

/**
 * Reads byte ranges as lines: ReadFromText's and ReadAllFromText's last step. With `withFilename`
 * each line comes out as KV(the file's path, the line), as Beam Python's `with_filename`.
 */
export class ReadRanges<Out extends string | KV<string, string> = string> extends DoFn<RangeToRead, Out> {
  /** Called without an async scope (all its elements are emitted from one long call): it attributes its updates after awaits itself. */
  readonly [OWN_METRICS_ATTRIBUTION] = true;
  constructor(
    private readonly compression: Compression,
    private readonly withFilename = false,
    /** Delimiter, kept terminators, header lines (`resolveTextFormat`); undefined: plain lines. */
    private readonly format?: TextFormat,
  ) {
    super();
  }
  async process(range: RangeToRead, ctx: ProcessContext<Out>): Promise<void> {
    const step = currentStep();
    const onInvalidUtf8 = (lines: number): void => {
      inStep(step, () => INVALID_UTF8_LINES.inc(lines));
      process.stderr.write(
        `Warning: reading text: ${lines} line(s) of ${range.path} (bytes ${range.start}-${range.end}) are not valid UTF-8; ` +
          `their invalid bytes were read as U+FFFD (counted as beamline/invalidUtf8Lines). Convert the file to UTF-8 (e.g. iconv -f latin1 -t utf-8), or read it with a binary reader.\n`,
      );
    };
    const out = ctx as unknown as ProcessContext<string | KV<string, string>>;
    const read = async (): Promise<void> => {
      const options = this.format !== undefined ? { onInvalidUtf8, format: this.format } : { onInvalidUtf8 };
      for await (const lines of readLineBatches(range.path, { start: range.start, end: range.end }, range.compression ?? this.compression, options)) {
        if (this.withFilename) for (let i = 0; i < lines.length; i++) out.output(kv(range.path, lines[i]!));
        else for (let i = 0; i < lines.length; i++) out.output(lines[i]!);
      }
    };
    return readInScopeUnlessLocal(range.path, step, read);
  }
}

/** Checks ReadFromText's options (and ReadFromTextWithFilename's) at construction; errors name `transform`. */
function checkReadOptions(transform: string, patterns: readonly string[], options: ReadFromTextOptions): TextFormat | undefined {
  if (patterns.length === 0) throw new ValidationError(`${transform} needs at least one file pattern`);
  return resolveTextFormat(transform, options);
}

/** The files matching `patterns` must exist and have a compression we read; errors name the transform. */
async function validateRead(ctx: ValidationContext, patterns: readonly string[], options: ReadFromTextOptions): Promise<void> {
  try {
    const files = await FileSystems.matchAll(patterns);
    for (const f of files) resolveCompression(f.path, options.compression ?? "auto");
  } catch (e) {
    throw new ValidationError(`${ctx.transformName}: ${(e as Error).message}`, { cause: e });
  }
}

/** Reads the lines of text files matching one or more patterns (local paths or gs://). */
export class ReadFromText extends PTransform<PBegin, PCollection<string>> {
  /** The file patterns read. */
  readonly patterns: readonly string[];
  private readonly format: TextFormat | undefined;

  /**
   * `p.apply(ReadFromText.from("gs://bucket/logs/*.gz"))`: the lines of the matching files.
   * `{ skipHeaderLines: 1 }` drops each file's first line, `{ delimiter: "|" }` splits records at
   * `|` instead of at line ends, `{ stripTrailingNewlines: false }` keeps each record's terminator.
   */
  static from(pattern: string | readonly string[], options: ReadFromTextOptions = {}): ReadFromText {
    return new ReadFromText(pattern, options);
  }

  private constructor(
    pattern: string | readonly string[],
    /** Compression, bundle size and the records' format. */
    readonly options: ReadFromTextOptions = {},
  ) {
    super("ReadFromText");
    this.patterns = typeof pattern === "string" ? [pattern] : pattern;
    this.format = checkReadOptions("ReadFromText", this.patterns, options);
  }

  /**
   * Reads new files as they arrive instead (Beam Java's `TextIO.read().watchForNewFiles(pollInterval,
   * terminationCondition)`): the patterns are matched every `intervalMillis` (from `start`, until
   * `stop`, else until drained; or, with a `terminationCondition` such as
   * `Watch.Growth.afterTimeSinceNewOutput(ms)`, each pattern until its condition holds) and the
   * lines of each file not seen before are read, timestamped at the firing (poll) that found it;
   * an unbounded (streaming) read. This read's compression and bundle
   * size carry over. See `FileIO.matchContinuously` (lib/io/fileio_continuous, loaded on first use).
   *
   *     p.apply(ReadFromText.from("/incoming/*.csv").watchForNewFiles({ intervalMillis: 10_000 }))
   */
  watchForNewFiles(options: ContinuousT.MatchContinuouslyOptions = {}): ContinuousT.WatchForNewTextFiles {
    const { WatchForNewTextFiles } = require("./fileio_continuous") as typeof ContinuousT;
    return new WatchForNewTextFiles(this.patterns, { ...this.options, ...options });
  }

  expand(input: PBegin): PCollection<string> {
    return input
      .apply("Impulse", Impulse.create())
      .apply("ExpandPatterns", ParDo.of(new ExpandPatterns(this.patterns, this.options)))
      .apply("Reshuffle", Reshuffle.viaRandomKey())
      .apply("ReadRanges", ParDo.of(new ReadRanges(this.options.compression ?? "auto", false, this.format)));
  }

  override async validate(ctx: ValidationContext): Promise<void> {
    await validateRead(ctx, this.patterns, this.options);
  }
}

/**
 * Reads the lines of text files as KV(the file's path, the line) (Beam Python's
 * `ReadFromTextWithFilename`); the same options as ReadFromText.
 */
export class ReadFromTextWithFilename extends PTransform<PBegin, PCollection<KV<string, string>>> {
  /** The file patterns read. */
  readonly patterns: readonly string[];
  private readonly format: TextFormat | undefined;

  /** `p.apply(ReadFromTextWithFilename.from("logs/*.txt"))`: KV(path, line) for each line. */
  static from(pattern: string | readonly string[], options: ReadFromTextOptions = {}): ReadFromTextWithFilename {
    return new ReadFromTextWithFilename(pattern, options);
  }

  private constructor(
    pattern: string | readonly string[],
    /** Compression, bundle size and the records' format. */
    readonly options: ReadFromTextOptions = {},
  ) {
    super("ReadFromTextWithFilename");
    this.patterns = typeof pattern === "string" ? [pattern] : pattern;
    this.format = checkReadOptions("ReadFromTextWithFilename", this.patterns, options);
  }

  expand(input: PBegin): PCollection<KV<string, string>> {
    return input
      .apply("Impulse", Impulse.create())
      .apply("ExpandPatterns", ParDo.of(new ExpandPatterns(this.patterns, this.options)))
      .apply("Reshuffle", Reshuffle.viaRandomKey())
      .apply("ReadRanges", ParDo.of(new ReadRanges<KV<string, string>>(this.options.compression ?? "auto", true, this.format)));
  }

  override async validate(ctx: ValidationContext): Promise<void> {
    await validateRead(ctx, this.patterns, this.options);
  }
}

/** Options of WriteToText. */
export interface WriteToTextOptions {
  /** Appended to every file name (e.g. ".txt"; ".gz" compresses). */
  readonly suffix?: string;
  /** Number of output files; 0 (default) lets the runner decide (one per bundle). */
  readonly numShards?: number;
  /**
   * A first line written to every file; a side input (`AsSingleton` of a one-element collection)
   * when it depends on the data, e.g. CSV columns found while running (bounded writes only).
   */
  readonly header?: string | SideInput<string>;
  /**
   * Beam's shard name template, between prefix and suffix: default `-SSSSS-of-NNNNN`; "" names the
   * one file `<prefix><suffix>` (numShards then defaults to 1, as in Beam Python), as does any
   * template without an `S` (which needs numShards: 1). Windowed writes: default
   * `W-P-SSSSS-of-NNNNN` (Beam Java's), and a template must have `W` (the window) and `P` (the pane).
   */
  readonly shardNameTemplate?: string;
  /** Compression of the output (default "auto": by the output's name, prefix then suffix: `.gz` gzip, `.deflate` deflate). */
  readonly compression?: Compression;
  /**
   * One set of shards per window and pane, written as the pane fires, named as Beam Java's
   * DefaultFilenamePolicy names them: `<prefix><start>-<end>-pane-<index>[-late][-last]-SSSSS-of-NNNNN<suffix>`
   * (times in ISO 8601; `GlobalWindow` for the global window). Default: on for unbounded input, which never ends;
   * off for bounded input, whose windows are merged into one set of shards (as in Beam Python).
   */
  readonly windowedWrites?: boolean;
  /** A last line written to every file (Beam's `footer` / `withFooter`), empty ones included. */
  readonly footer?: string;
  /**
   * Written after every line, the header and the footer (Beam Java's `withDelimiter`); default
   * "\n". "" writes the lines back to back, as `appendTrailingNewlines: false`.
   */
  readonly delimiter?: string;
  /** false: nothing is written after each line, the header and the footer (Beam Python's `append_trailing_newlines=False`). */
  readonly appendTrailingNewlines?: boolean;
  /**
   * No file at all when the input is empty (Beam Java's `skipIfEmpty()`, Python's
   * `skip_if_empty=True`). Default: an empty input still writes one empty file, or numShards of them.
   */
  readonly skipIfEmpty?: boolean;
  /**
   * A file is closed once it has this many lines and the next line starts a new one (Beam
   * Python's `max_records_per_shard`). Only with runner-chosen sharding (numShards 0) and bounded
   * writes: Beam Python ignores it under a fixed num_shards, which we refuse rather than ignore.
   */
  readonly maxRecordsPerShard?: number;
  /**
   * A file is closed once this many bytes were written to it (uncompressed, header included; the
   * line that crosses the limit, its delimiter and the footer still go in it), and the next line
   * starts a new one (Beam Python's `max_bytes_per_shard`). As maxRecordsPerShard, numShards 0 only.
   */
  readonly maxBytesPerShard?: number;
}

/** A file written to the temporary directory, waiting to be renamed into place. */
interface WrittenFile {
  readonly tempPath: string;
  readonly lines: number;
}

/** The side input of a writing step: the header, when it is one. */
type HeaderSide = { header?: string };

/** The header line, read from its side input when it is one. */
function headerOf(options: WriteToTextOptions, ctx: ProcessContext<unknown, {}, HeaderSide>): string | undefined {
  return options.header instanceof SideInput ? ctx.sideInputs.header : options.header;
}

/** What every file of a write starts and ends with, and what follows each line. */
function fileOptions(options: WriteToTextOptions, header: string | undefined): TextShardWriterOptions {
  const lineSeparator = options.delimiter ?? (options.appendTrailingNewlines === false ? "" : "\n");
  return { header, compression: options.compression ?? "auto", lineSeparator, ...(options.footer !== undefined ? { footer: options.footer } : {}) };
}

/** Checks WriteToText's options at construction (errors name the transform). */
function checkWriteOptions(options: WriteToTextOptions): void {
  const n = options.numShards ?? 0;
  const positive = (name: string, v: number | undefined): void => {
    if (v !== undefined && !(Number.isInteger(v) && v > 0)) throw new ValidationError(`WriteToText: ${name} must be a positive integer, got ${String(v)}.`);
  };
  positive("maxRecordsPerShard", options.maxRecordsPerShard);
  positive("maxBytesPerShard", options.maxBytesPerShard);
  const capped = options.maxRecordsPerShard !== undefined ? "maxRecordsPerShard" : options.maxBytesPerShard !== undefined ? "maxBytesPerShard" : undefined;
  if (capped !== undefined && n > 0) {
    throw new ValidationError(`WriteToText: ${capped} starts new files as they fill, so it needs runner-chosen sharding (numShards 0), got numShards ${n}. Beam Python ignores it with a fixed num_shards; drop one of the two.`);
  }
  for (const [name, v] of [["footer", options.footer], ["delimiter", options.delimiter]] as const) {
    if (v !== undefined && typeof v !== "string") throw new ValidationError(`WriteToText: ${name} must be a string, got ${typeof v}.`);
  }
  for (const [name, v] of [["appendTrailingNewlines", options.appendTrailingNewlines], ["skipIfEmpty", options.skipIfEmpty], ["windowedWrites", options.windowedWrites]] as const) {
    if (v !== undefined && typeof v !== "boolean") throw new ValidationError(`WriteToText: ${name} must be true or false, got ${String(v)}.`);
  }
  if (options.delimiter !== undefined && options.appendTrailingNewlines === false && options.delimiter !== "") {
    throw new ValidationError(`WriteToText: appendTrailingNewlines: false writes nothing after each line, but delimiter is ${JSON.stringify(options.delimiter)}; set one of the two.`);
  }
}

/** The side inputs a writing step declares (the header's, if it is one). */
function headerSideInputs(options: WriteToTextOptions): SideInputViews<HeaderSide> {
  return options.header instanceof SideInput ? { header: options.header } : {};
}

class WriteBundles extends DoFn<string, WrittenFile, {}, HeaderSide> {
  private writer: TextShardWriter | undefined;
  private opening: Promise<TextShardWriter> | undefined;
  private buffer: string[] = [];
  private tempPath = "";
  private header: string | undefined;
  /** Names this bundle's files (with `fileIndex`), so that they sort in the order written. */
  private bundleId = randomId();
  private fileIndex = 0;
  /** With maxRecordsPerShard / maxBytesPerShard: the current file's lines and bytes so far. */
  private fileLines = 0;
  private fileBytes = 0;
  /** Whether files have a size cap (decided once: the uncapped path's per-line work stays a buffer push). */
  private readonly capped: boolean;

  constructor(
    private readonly prefix: string,
    private readonly options: WriteToTextOptions,
    private readonly sink: string,
  ) {
    super();
    this.capped = options.maxRecordsPerShard !== undefined || options.maxBytesPerShard !== undefined;
  }

  startBundle(): void {
    this.writer = undefined;
    this.opening = undefined;
    this.buffer = [];
    this.bundleId = randomId();
    this.fileIndex = 0;
  }

  process(line: string, ctx: ProcessContext<WrittenFile, {}, HeaderSide>): void | Promise<void> {
    if (this.buffer.length === 0 && this.writer === undefined && this.opening === undefined) this.header = headerOf(this.options, ctx);
    this.buffer.push(line);
    if (this.capped) return this.countLine(line, ctx);
    if (this.buffer.length >= 8192) return this.flush(ctx.runtime);
    return undefined;
  }

  /** Counts a line into the current file; a full file is closed (as Beam Python's `at_capacity`), the next line starts another. */
  private countLine(line: string, ctx: ProcessContext<WrittenFile, {}, HeaderSide>): void | Promise<void> {
    const { maxRecordsPerShard, maxBytesPerShard } = this.options;
    const separator = fileOptions(this.options, undefined).lineSeparator!;
    if (this.fileLines === 0 && maxBytesPerShard !== undefined && this.header !== undefined) this.fileBytes = Buffer.byteLength(this.header + separator);
    this.fileLines++;
    if (maxBytesPerShard !== undefined) this.fileBytes += Buffer.byteLength(line) + Buffer.byteLength(separator);
    if ((maxRecordsPerShard !== undefined && this.fileLines >= maxRecordsPerShard) || (maxBytesPerShard !== undefined && this.fileBytes >= maxBytesPerShard)) {
      return this.closeFile(ctx.runtime).then((written) => {
        if (written !== undefined) ctx.output(written);
      });
    }
    if (this.buffer.length >= 8192) return this.flush(ctx.runtime);
    return undefined;
  }

  private async open(runtime: RuntimeContext): Promise<TextShardWriter> {
    if (this.writer !== undefined) return this.writer;
    this.opening ??= (async () => {
      this.tempPath = this.newTempPath(runtime);
      return TextShardWriter.open(FileSystems.forPath(this.prefix), this.tempPath, fileOptions(this.options, this.header));
    })();
    this.writer = await this.opening;
    return this.writer;
  }

  /** A new file in the sink's temporary directory for this run. */
  private newTempPath(runtime: RuntimeContext): string {
    const name = `${this.bundleId}-${String(this.fileIndex++).padStart(6, "0")}`;
    return FileSystems.forPath(this.prefix).join(tempDirectoryFor(this.prefix, runtime.runId, this.sink), `${name}${this.options.suffix ?? ""}`);
  }

  private async flush(runtime: RuntimeContext): Promise<void> {
    const lines = this.buffer;
    this.buffer = [];
    const writer = await this.open(runtime);
    await writer.writeLines(lines);
  }

  /** A failed bundle leaves an open file: close it so the runner's cleanup can remove it. */
  async teardown(): Promise<void> {
    const writer = this.writer ?? (this.opening !== undefined ? await this.opening.catch(() => undefined) : undefined);
    this.writer = undefined;
    this.opening = undefined;
    await writer?.abort();
  }

  async finishBundle(ctx: BundleContext<WrittenFile>): Promise<void> {
    const written = await this.closeFile(ctx.runtime);
    if (written !== undefined) ctx.output(written);
  }

  /** Finishes the file being written, if any (the bundle's end, or a file at its size limit). */
  private async closeFile(runtime: RuntimeContext): Promise<WrittenFile | undefined> {
    this.fileLines = 0;
    this.fileBytes = 0;
    if (this.writer === undefined && this.opening === undefined) {
      // The file's lines were never flushed: it is written whole (for a small one, without a stream).
      if (this.buffer.length === 0) return undefined;
      const lines = this.buffer;
      this.buffer = [];
      const fs = FileSystems.forPath(this.prefix);
      const tempPath = this.newTempPath(runtime);
      const written = await TextShardWriter.writeWhole(fs, tempPath, lines, fileOptions(this.options, this.header));
      return { tempPath, lines: written.lines };
    }
    if (this.buffer.length > 0) await this.flush(runtime);
    if (this.writer === undefined) return undefined;
    const written = await this.writer.close();
    this.writer = undefined;
    this.opening = undefined;
    return { tempPath: this.tempPath, lines: written.lines };
  }
}

class FinalizeFiles extends DoFn<Uint8Array, string, {}, HeaderSide & { written: readonly WrittenFile[] }> {
  constructor(
    private readonly prefix: string,
    private readonly options: WriteToTextOptions,
    private readonly sink: string,
  ) {
    super();
  }
  async process(_: Uint8Array, ctx: ProcessContext<string, {}, HeaderSide & { written: readonly WrittenFile[] }>): Promise<void> {
    const fs = FileSystems.forPath(this.prefix);
    const tempDir = tempDirectoryFor(this.prefix, ctx.runtime.runId, this.sink);
    const written = [...ctx.sideInputs.written].sort((a, b) => (a.tempPath < b.tempPath ? -1 : 1));
    const temps = written.map((w) => w.tempPath);
    // Like Beam, an empty input still produces one (empty) file, and a fixed shard count is
    // honoured even when some shards got no lines; with skipIfEmpty, an empty input writes none
    // (Beam's _finalize_write: it pads only when some shard was written or skip_if_empty is off).
    if (temps.length === 0 && this.options.skipIfEmpty === true) return;
    const wanted = Math.max(this.options.numShards ?? 0, 1);
    for (let i = temps.length; i < wanted; i++) {
      const emptyPath = fs.join(tempDir, `empty-${i}${this.options.suffix ?? ""}`);
      await TextShardWriter.writeWhole(fs, emptyPath, [], fileOptions(this.options, headerOf(this.options, ctx)));
      temps.push(emptyPath);
    }
    const suffix = this.options.suffix ?? "";
    const template = this.options.shardNameTemplate;
    const finals = temps.map((_, i) => shardPath(this.prefix, i, temps.length, suffix, template));
    // The rename into place is the sink's commit: on the DirectRunner it waits for the whole run.
    // (Shards of an earlier run are removed by the default names' pattern only; not with a custom template.)
    const stale = template === undefined ? { prefix: this.prefix, suffix } : {};
    await commitOutput(ctx.runtime, textFilesCommit(this.sink, temps, finals, { ...stale, tempDir }));
    ctx.runtime.reportOutputs(finals);
    for (const f of finals) ctx.output(f);
  }
}

/**
 * Writes lines to `<prefix>-SSSSS-of-NNNNN<suffix>` files; produces the names of the files.
 */
export class WriteToText extends PTransform<PCollection<string>, PCollection<string>> {
  /** `lines.apply(WriteToText.to("out/counts", { suffix: ".txt" }))`: the names of the files written. */
  static to(prefix: string, options: WriteToTextOptions = {}): WriteToText {
    return new WriteToText(prefix, options);
  }

  private constructor(
    /** The output prefix: files are `<prefix>-SSSSS-of-NNNNN<suffix>`. */
    readonly prefix: string,
    /** Sharding, suffix, header, compression, windowed writes. */
    readonly options: WriteToTextOptions = {},
  ) {
    super("WriteToText");
    // Beam Python: an empty template alone means one file (FileBasedSink sets num_shards = 1).
    if (options.shardNameTemplate === "" && (options.numShards ?? 0) === 0) this.options = options = { ...options, numShards: 1 };
    checkWriteOptions(options);
    const n = options.numShards ?? 0;
    if (!(Number.isInteger(n) && n >= 0)) throw new ValidationError(`WriteToText numShards must be a non-negative integer, got ${n}`);
    // "auto" is resolved here, by the output's name (prefix and suffix, as Beam Python's sink does
    // by its temporary file's, which ends in both): every file of the write then has the one
    // compression, whatever its temporary name (`WriteToText.to("out.gz", { shardNameTemplate: "" })` is gzip).
    let compression: Compression;
    try {
      compression = resolveWriteCompression(`${prefix}${options.suffix ?? ""}`, options.compression ?? "auto");
    } catch (e) {
      throw new ValidationError(`WriteToText: ${(e as Error).message}`, { cause: e });
    }
    this.options = options = { ...options, compression };
    if (options.shardNameTemplate === "" && n !== 1) throw new ValidationError(`WriteToText: an empty shardNameTemplate names one file; it cannot be numShards ${n}. Leave numShards unset (or 1) for one file <prefix><suffix>, or use a template with SSSSS.`);
    // A template without a shard number gives every shard the same name: they would overwrite each other.
    if (options.shardNameTemplate !== undefined && options.shardNameTemplate !== "" && !/S/.test(options.shardNameTemplate) && n !== 1) {
      throw new ValidationError(`WriteToText: shardNameTemplate "${options.shardNameTemplate}" has no shard number (S), so it names one file; set numShards: 1 or add SSSSS to the template (got ${n} shards).`);
    }
  }

  expand(input: PCollection<string>): PCollection<string> {
    // Temporary files are per sink and run: two sinks writing into one folder never share them.
    const sink = input.pipeline.currentNode().fullName;
    if (this.options.windowedWrites ?? !input.isBounded) {
      const { header } = this.options;
      if (header instanceof SideInput) {
        throw new PipelineConstructionError(`${sink}: a side-input header needs bounded input written as one set of shards (windowedWrites off).`);
      }
      const shardNameTemplate = windowedShardTemplate(sink, this.options.shardNameTemplate);
      if (this.options.maxRecordsPerShard !== undefined || this.options.maxBytesPerShard !== undefined) {
        throw new PipelineConstructionError(`${sink}: maxRecordsPerShard and maxBytesPerShard need bounded input written as one set of shards (windowedWrites off); windowed writes set numShards per window instead.`);
      }
      return input.apply("WriteWindowed", new WriteWindowedText(this.prefix, { ...this.options, shardNameTemplate, header, lineSeparator: fileOptions(this.options, header).lineSeparator! }, sink));
    }
    // One set of shards for the whole input: its windows are merged first, or the files written
    // in other windows would be invisible to the finalizing step (which runs in the global window).
    if (!(input.windowing.windowFn instanceof GlobalWindows)) input = input.apply("IntoGlobalWindow", Window.into(new GlobalWindows()));
    const n = this.options.numShards ?? 0;
    let written: PCollection<WrittenFile>;
    if (n > 0) {
      // A fixed shard count: group lines into n shards, one file each.
      let next = 0;
      written = input
        .map("AssignShard", (line: string) => kv((next = (next + 1) % n), line))
        .apply("GroupByShard", GroupByKey.create())
        .apply("WriteShards", ParDo.of(new WriteShardGroups(this.prefix, this.options, sink), { sideInputs: headerSideInputs(this.options) }));
    } else {
      written = input.apply("WriteBundles", ParDo.of(new WriteBundles(this.prefix, this.options, sink), { sideInputs: headerSideInputs(this.options) }));
    }
    return input.pipeline
      .apply("FinalizeImpulse", Impulse.create())
      .apply("Finalize", ParDo.of(new FinalizeFiles(this.prefix, this.options, sink), { sideInputs: { written: AsIterable(written), ...headerSideInputs(this.options) } }));
  }

  override async validate(ctx: ValidationContext): Promise<void> {
    try {
      await checkOutputPrefix(this.prefix);
    } catch (e) {
      throw new ValidationError(`${ctx.transformName}: cannot write output '${this.prefix}': ${(e as Error).message}`, { cause: e });
    }
  }

  override async cleanupAfterFailure(ctx: FailureCleanupContext): Promise<void> {
    const fs = FileSystems.forPath(this.prefix);
    await abortShards(fs, tempDirectoryFor(this.prefix, ctx.runId, ctx.transformName));
    // Windowed writes: shards of windows already committed stay (unbounded runs commit each pane); the rest go.
    await removeWindowedLeftovers(this.prefix, ctx.runId, ctx.transformName);
  }
}

/** Writes each shard's group of lines (fixed numShards) as one file. */
class WriteShardGroups extends DoFn<KV<number, string[]>, WrittenFile, {}, HeaderSide> {
  constructor(
    private readonly prefix: string,
    private readonly options: WriteToTextOptions,
    private readonly sink: string,
  ) {
    super();
  }
  async process(group: KV<number, string[]>, ctx: ProcessContext<WrittenFile, {}, HeaderSide>): Promise<void> {
    const fs = FileSystems.forPath(this.prefix);
    const tempPath = fs.join(tempDirectoryFor(this.prefix, ctx.runtime.runId, this.sink), `shard-${group.key}-${randomId()}${this.options.suffix ?? ""}`);
    const written = await TextShardWriter.writeWhole(fs, tempPath, group.value, fileOptions(this.options, headerOf(this.options, ctx)));
    ctx.output({ tempPath, lines: written.lines });
  }
}
