/**
 * `FileIO.writeDynamic<T>()`: writes one PCollection to files chosen per element ("destinations":
 * one set of shards per customer, date, event type...), as Beam Java's
 * `FileIO.writeDynamic().by(fn).via(TextIO.sink()).to(dir).withNaming(...)` and Beam Python's
 * `fileio.WriteToFiles(path, destination=fn, file_naming=...)`. The sink is a text sink: each
 * element is one line (`via(fn)` formats non-string elements).
 *
 * Naming follows Beam Java: each destination gets a `FileNaming` (by `withNaming`), and its shards
 * are numbered per destination (and per window and pane for windowed writes). The default, when no
 * naming is given, is Java's `defaultNaming(prefix + "-" + destination, suffix)` relative to the
 * directory: `<dir>/<prefix>-<destination>[-<windowStart>-<windowEnd>][-<pane>]-SSSSS-of-NNNNN<suffix>`.
 *
 * Atomicity is WriteToText's: shards are written into a hidden temporary directory (bounded) or
 * hidden files beside the output (windowed) and renamed into place by the sink's output commit,
 * so a failed run leaves no partial output. An empty input writes no file (there is no
 * destination; Beam Python's behaviour) unless `withEmptyGlobalWindowDestination` names one (Java's).
 * The steps themselves are in fileio_write_steps.ts.
 */
import { resolveWriteCompression, type WriteCompression } from "./compression";
import { PipelineConstructionError, ValidationError } from "../model/errors";
import { PCollection } from "../model/pcollection";
import { ParDo } from "../model/pardo";
import { GroupByKey, Impulse, Window } from "../model/primitives";
import { AsIterable } from "../model/side_inputs";
import { FailureCleanupContext, PTransform, ValidationContext } from "../model/transform";
import { KV } from "../model/window";
import { GlobalWindows } from "../model/windowing";
import { FileSystems } from "./filesystems/registry";
import { checkOutputPrefix } from "./filesystems/output_check";
import { abortShards, Compression, resolveCompression } from "./text_files";
import { removeWindowedLeftovers, tempDirectoryFor } from "./windowed_files";
import { AssignDestinations, AssignShards, defaultNaming, FileNaming, FinalizeDestinations, ResolvedSpec, WriteDestinationBundles, WriteShardGroups, WriteWindowedGroups } from "./fileio_write_steps";

export { defaultNaming } from "./fileio_write_steps";
export type { FileNaming, FileNamingContext } from "./fileio_write_steps";

/** The input type of a write of non-string elements without `.via`: no PCollection has it. */
export interface NeedsVia<T> {
  /** Never present: its name is the compiler's error message. */
  readonly "FileIO.writeDynamic needs .via((element) => string) to write elements that are not strings": T;
}

/** The settings of a dynamic write (each set by one builder method). */
interface WriteDynamicSpec<T> {
  readonly destinationFn?: (element: T) => string;
  readonly formatFn?: (element: T) => string;
  readonly directory?: string;
  readonly namingFn?: (destination: string) => FileNaming;
  readonly prefix: string;
  readonly suffix: string;
  readonly numShards: number;
  readonly compression: Compression;
  readonly maxWritersPerBundle: number;
  readonly windowedWrites?: boolean;
  readonly emptyDestination?: string;
  /** FileIO.write(): one destination, its files named by defaultNaming(prefix, suffix). */
  readonly single?: true;
}

const DEFAULTS = { prefix: "output", suffix: "", numShards: 0, compression: "auto", maxWritersPerBundle: 20 } as const;

/**
 * Writes lines to files chosen per element; produces `KV(destination, file path)` for every file
 * written (Beam Java's `WriteFilesResult.getPerDestinationOutputFilenames()`).
 *
 *   events.apply("WritePerType", FileIO.writeDynamic<Event>()
 *     .by((e) => e.type)
 *     .via((e) => JSON.stringify(e))
 *     .to("out/events")
 *     .withSuffix(".json")
 *     .withNumShards(2));
 *   // out/events/output-click-00000-of-00002.json, out/events/output-view-00001-of-00002.json, ...
 *
 * `In` is the element type the transform accepts: `T` once `via` formats elements, else only
 * strings (for other `T` a type no collection has, so applying it fails to compile and names the fix).
 */
/**
 * `FileIO.write<T>()`: Beam Java's `FileIO.write()` and Beam Python's `WriteToFiles(path)` without a
 * destination: one set of files in the directory, named `<prefix>-SSSSS-of-NNNNN<suffix>` (Java's
 * `defaultNaming("output", "")` by default); otherwise as `FileIO.writeDynamic` (its output's
 * destination is ""). `.by` is refused.
 */
export function singleDestinationWrite<T>(): WriteDynamic<T> {
  return new WriteDynamic<T>({ ...DEFAULTS, destinationFn: () => "", single: true });
}

export class WriteDynamic<T, In = T extends string ? T : NeedsVia<T>> extends PTransform<PCollection<In>, PCollection<KV<string, string>>> {
  /** @internal use `FileIO.writeDynamic<T>()` */
  constructor(private readonly spec: WriteDynamicSpec<T> = DEFAULTS) {
    super("WriteDynamic");
  }

  private with<I = In>(changes: Partial<WriteDynamicSpec<T>>): WriteDynamic<T, I> {
    return new WriteDynamic<T, I>({ ...this.spec, ...changes });
  }

  /** The destination of each element (required): its files are named by `withNaming` (or the default naming) for it. */
  by(destinationFn: (element: T) => string): WriteDynamic<T, In> {
    if (this.spec.single) throw new ValidationError("FileIO.write() writes one set of files and has no .by(fn); use FileIO.writeDynamic<T>().by(fn) to choose files per element");
    if (typeof destinationFn !== "function") throw new ValidationError("FileIO.writeDynamic().by(fn) needs a function from an element to its destination string");
    return this.with({ destinationFn });
  }

  /** Formats each element as one line of text (the text sink; Beam Java's `via(fn, TextIO.sink())`). */
  via(formatFn: (element: T) => string): WriteDynamic<T, T> {
    if (typeof formatFn !== "function") throw new ValidationError("FileIO.writeDynamic().via(fn) needs a function from an element to its line");
    return this.with<T>({ formatFn });
  }

  /** The directory the files are written in (required); names from the naming are relative to it. */
  to(directory: string): WriteDynamic<T, In> {
    if (typeof directory !== "string" || directory === "") throw new ValidationError("FileIO.writeDynamic().to(directory) needs a directory");
    return this.with({ directory });
  }

  /** A FileNaming per destination, e.g. `(d) => FileIO.defaultNaming(`${d}/part`, ".csv")`. Replaces withPrefix/withSuffix. */
  withNaming(namingFn: (destination: string) => FileNaming): WriteDynamic<T, In> {
    if (typeof namingFn !== "function") throw new ValidationError("FileIO.writeDynamic().withNaming(fn) needs a function from a destination to a FileNaming");
    return this.with({ namingFn });
  }

  /** The default naming's prefix (default "output"): files are `<prefix>-<destination>-SSSSS-of-NNNNN<suffix>`. */
  withPrefix(prefix: string): WriteDynamic<T, In> {
    return this.with({ prefix });
  }

  /** The default naming's suffix (default none), e.g. ".txt"; ".gz" also compresses (with compression "auto"). */
  withSuffix(suffix: string): WriteDynamic<T, In> {
    return this.with({ suffix });
  }

  /** Files per destination (and window and pane); 0 (default) lets the runner decide: one per bundle and destination. */
  withNumShards(numShards: number): WriteDynamic<T, In> {
    if (!(Number.isInteger(numShards) && numShards >= 0)) throw new ValidationError(`FileIO.writeDynamic().withNumShards: need a non-negative integer, got ${numShards}`);
    return this.with({ numShards });
  }

  /** "auto" (default: by the suffix, `.gz` gzip, `.deflate` deflate, `.zst` zstd, `.lzo` lzop, `.lzo_deflate` lzo), "gzip", "deflate", "zstd", "lzop", "lzo" or "uncompressed". */
  withCompression(compression: Compression): WriteDynamic<T, In> {
    if (!["auto", "gzip", "deflate", "zstd", "lzop", "lzo", "uncompressed"].includes(compression)) {
      const readOnly = ["bzip2", "lzma", "zip", "snappy"].includes(compression) ? ` (${String(compression)} files are read, not written)` : "";
      throw new ValidationError(`FileIO.writeDynamic().withCompression: cannot write compression '${String(compression)}'${readOnly}; use "auto", "gzip", "deflate", "zstd", "lzop", "lzo" or "uncompressed"`);
    }
    return this.with({ compression });
  }

  /**
   * Files open at once per bundle with runner-decided sharding (default 20, as Beam); 0 opens none
   * in bundles: every line goes through a GroupByKey to one file per destination (Beam Python's
   * `max_writers_per_bundle=0`, where every record spills).
   */
  withMaxWritersPerBundle(maxWritersPerBundle: number): WriteDynamic<T, In> {
    if (!(Number.isInteger(maxWritersPerBundle) && maxWritersPerBundle >= 0)) throw new ValidationError(`FileIO.writeDynamic().withMaxWritersPerBundle: need a non-negative integer, got ${maxWritersPerBundle}`);
    return this.with({ maxWritersPerBundle });
  }

  /**
   * The destination whose files an empty input writes, empty (`withNumShards` of them, at least
   * one), as Beam Java's `withEmptyGlobalWindowDestination`; without it an empty input writes
   * nothing (as Beam Python's WriteToFiles). Bounded, non-windowed writes only.
   */
  withEmptyGlobalWindowDestination(destination: string): WriteDynamic<T, In> {
    if (typeof destination !== "string") throw new ValidationError("FileIO.writeDynamic().withEmptyGlobalWindowDestination(destination) needs a destination string");
    return this.with({ emptyDestination: destination });
  }

  /** One set of files per window and pane, written as each pane fires (default: on for unbounded input, off for bounded). */
  withWindowedWrites(windowedWrites = true): WriteDynamic<T, In> {
    return this.with({ windowedWrites });
  }

  private resolve(sink: string): ResolvedSpec {
    const { directory, namingFn, prefix, suffix, numShards } = this.spec;
    if (this.spec.destinationFn === undefined) throw new PipelineConstructionError(`${sink}: FileIO.writeDynamic() needs .by((element) => destination)`);
    if (directory === undefined) throw new PipelineConstructionError(`${sink}: FileIO.writeDynamic() needs .to(directory)`);
    let compression: WriteCompression;
    try {
      compression = resolveWriteCompression(suffix, this.spec.compression);
    } catch (e) {
      throw new ValidationError(`${sink}: FileIO.writeDynamic(): ${(e as Error).message}`, { cause: e });
    }
    const single = this.spec.single === true;
    const defaultPrefix = (destination: string): string => (single ? prefix : prefix === "" ? destination : `${prefix}-${destination}`);
    const naming = namingFn ?? ((destination: string) => defaultNaming(defaultPrefix(destination), suffix));
    const fs = FileSystems.forPath(directory);
    return { directory, base: fs.join(directory, "output"), naming, numShards, compression, sink, ...(this.spec.emptyDestination !== undefined ? { emptyDestination: this.spec.emptyDestination } : {}) };
  }

  expand(input: PCollection<In>): PCollection<KV<string, string>> {
    const sink = input.pipeline.currentNode().fullName;
    const spec = this.resolve(sink);
    const windowed = this.spec.windowedWrites ?? !input.isBounded;
    let lines = input as unknown as PCollection<T>;
    // One set of shards for the whole input: windows are merged first, or the files written in
    // other windows would be invisible to the finalizing step (which runs in the global window).
    if (!windowed && !(lines.windowing.windowFn instanceof GlobalWindows)) lines = lines.apply("IntoGlobalWindow", Window.into(new GlobalWindows()));
    const keyed = lines.apply("AssignDestinations", ParDo.of(new AssignDestinations<T>(this.spec.destinationFn!, this.spec.formatFn)));
    if (windowed) {
      const n = Math.max(spec.numShards, 1);
      return keyed
        .apply("AssignShards", ParDo.of(new AssignShards(n)))
        .apply("GroupByDestinationAndShard", GroupByKey.create())
        .apply("WriteWindowedFiles", ParDo.of(new WriteWindowedGroups(spec, n)));
    }
    // A fixed shard count, or no writer in bundles (all spilled): lines are grouped per destination and shard.
    const grouped = spec.numShards > 0 || this.spec.maxWritersPerBundle === 0;
    const written =
      grouped
        ? keyed
            .apply("AssignShards", ParDo.of(new AssignShards(Math.max(spec.numShards, 1))))
            .apply("GroupByDestinationAndShard", GroupByKey.create())
            .apply("WriteShards", ParDo.of(new WriteShardGroups(spec.base, spec.compression, sink)))
        : keyed.apply("WriteBundles", ParDo.of(new WriteDestinationBundles(spec.base, spec.compression, sink, this.spec.maxWritersPerBundle)));
    return input.pipeline
      .apply("FinalizeImpulse", Impulse.create())
      .apply("Finalize", ParDo.of(new FinalizeDestinations(spec), { sideInputs: { written: AsIterable(written) } }));
  }

  override async validate(ctx: ValidationContext): Promise<void> {
    const directory = this.spec.directory;
    if (directory === undefined) return;
    try {
      await checkOutputPrefix(FileSystems.forPath(directory).join(directory, "output"));
    } catch (e) {
      throw new ValidationError(`${ctx.transformName}: cannot write into '${directory}': ${(e as Error).message}`, { cause: e });
    }
  }

  override async cleanupAfterFailure(ctx: FailureCleanupContext): Promise<void> {
    const directory = this.spec.directory;
    if (directory === undefined) return;
    const fs = FileSystems.forPath(directory);
    const base = fs.join(directory, "output");
    await abortShards(fs, tempDirectoryFor(base, ctx.runId, ctx.transformName));
    // Windowed writes: files of panes already committed stay (unbounded runs commit each pane); the rest go.
    await removeWindowedLeftovers(base, ctx.runId, ctx.transformName);
  }
}
