/**
 * Continuous matching: the files matching a pattern, watched as they arrive (Beam Python's
 * `fileio.MatchContinuously`, Beam Java's `FileIO.match().continuously(...)` and
 * `TextIO.read().watchForNewFiles(...)`).
 *
 * As Beam Python builds it: a PeriodicImpulse fires every interval; each firing matches the
 * pattern(s); a stateful DoFn keyed by the file's path drops files already emitted (with
 * `matchUpdatedFiles`, files whose modification time is not later than the one emitted). Each new
 * file goes out once, timestamped at the firing that found it. Because the memory of what was seen
 * is keyed state (in the global window, so it never expires), it holds across bundles and workers
 * (each path belongs to one key), and on the DirectRunner it is part of the checkpoints
 * (`--checkpoint_dir`, `--direct_bundle_retries`) together with the impulse's position, so a
 * restart neither loses nor repeats a file. Beam Python keeps it in memory only ("if a pipeline is
 * restarted, already processed files will be reprocessed").
 *
 * Termination: with a `stop`, the last firing is the last match and the pipeline ends; without
 * one the stream is unbounded and a drain (or cancel) stops it. With a `terminationCondition`
 * (Beam Java's `Watch.Growth` conditions: `afterTotalOf`, `afterTimeSinceNewOutput`, ...) it is
 * built as Beam Java builds `FileIO.match().continuously(interval, condition)`: the patterns are
 * watched by `FileIO.matchAll().continuously(...)` (lib/io/fileio_watch), files timestamped at the
 * poll's processing time, and the pipeline ends once every pattern's condition holds.
 */
import { ValidationError } from "../model/errors";
import type { PBegin, PCollection } from "../model/pcollection";
import { ParDo } from "../model/pardo";
import { Window } from "../model/primitives";
import { Create } from "../transforms/util";
import type { TerminationCondition } from "../transforms/watch";
import { StatefulDoFn, StateSpec, type StatefulProcessContext } from "../model/state";
import { PTransform } from "../model/transform";
import { FixedWindows } from "../model/windowing";
import { type Instant, type KV, kv } from "../model/window";
import { PeriodicImpulse } from "../transforms/periodic_impulse";
import type { FileMetadata } from "./filesystems/filesystem";
import { type EmptyMatchTreatment, MatchAll, ReadAllFromText } from "./fileio";
import { resolveTextFormat, type TextFormatOptions } from "./text_read";
import { checkContinuousMatchAllOptions, MatchAllContinuously } from "./fileio_watch";
import type { Compression } from "./text_read";

/** Beam Python's default interval between matches: 360 seconds. */
export const DEFAULT_MATCH_INTERVAL_MILLIS = 360_000;

/** Options of `FileIO.matchContinuously` (Beam Python's `MatchContinuously` parameters). */
export interface MatchContinuouslyOptions {
  /** Milliseconds between matches, a positive integer (default 360 000, Beam Python's 360 s). */
  readonly intervalMillis?: number;
  /** The first match (default: when the run starts). A start in the past catches up at once. */
  readonly start?: Instant | Date;
  /** No match at or after this instant; the pipeline then ends (default: none, watch until drained). */
  readonly stop?: Instant | Date;
  /**
   * Also emit a file again when its modification time is later than when it was last emitted
   * (Beam's `matchUpdatedFiles`; default false: each path once). A file system that reports no
   * modification time gives each path once.
   */
  readonly matchUpdatedFiles?: boolean;
  /** Drop files already emitted (Beam Python's `has_deduplication`; default true). false: every match of every firing. */
  readonly deduplicate?: boolean;
  /** What a firing that matches nothing does (default `"ALLOW"`, as Beam Python and Beam Java's polling). */
  readonly emptyMatchTreatment?: EmptyMatchTreatment;
  /** Put each file into the fixed window of the interval its firing falls in (default: the global window). */
  readonly applyWindowing?: boolean;
  /**
   * When to stop watching each pattern (Beam Java's `continuously(pollInterval,
   * terminationCondition)`: `Watch.Growth.never()`, `afterTotalOf(ms)`,
   * `afterTimeSinceNewOutput(ms)`, `afterIterations(n)`, `eitherOf(a, b)`, `allOf(a, b)`). Given,
   * the patterns are polled every interval from when the run starts, each file timestamped at
   * its poll's processing time, and the pipeline ends once every pattern's condition holds; it
   * replaces `start`/`stop`, and needs deduplication. See `FileIO.matchAll().continuously`.
   */
  readonly terminationCondition?: TerminationCondition;
}

/** Options of `ReadFromText.watchForNewFiles`: continuous matching, and how the files are read. */
export interface WatchForNewFilesOptions extends MatchContinuouslyOptions, TextFormatOptions {
  /** How the files are compressed (default `"auto"`: gzip for `.gz`). */
  readonly compression?: Compression;
  /** Target size of the byte ranges a file is split into (default: as ReadFromText's). */
  readonly desiredBundleSizeBytes?: number;
}

/** Emits a path's metadata the first time the path is seen (Beam Python's `_RemoveDuplicates`). */
class RemoveAlreadyRead extends StatefulDoFn<string, FileMetadata, FileMetadata> {
  readonly seen = StateSpec.value<boolean>("seen");

  process(element: KV<string, FileMetadata>, ctx: StatefulProcessContext<FileMetadata>): void {
    const seen = ctx.state(this.seen);
    if (seen.read() === true) return;
    seen.write(true);
    ctx.output(element.value);
  }
}

/**
 * Emits a path's metadata when its modification time is later than the one last emitted
 * (Beam Python's `_RemoveOldDuplicates`; without a modification time, the first time only).
 */
class RemoveOldAlreadyRead extends StatefulDoFn<string, FileMetadata, FileMetadata> {
  readonly modified = StateSpec.value<number>("lastModifiedMillis");

  process(element: KV<string, FileMetadata>, ctx: StatefulProcessContext<FileMetadata>): void {
    const state = ctx.state(this.modified);
    const last = state.read();
    const now = element.value.lastModifiedMillis ?? 0;
    if (last !== undefined && !(now > last)) return;
    state.write(now);
    ctx.output(element.value);
  }
}

function checkOptions(step: string, o: MatchContinuouslyOptions): void {
  const t = o.emptyMatchTreatment;
  if (t !== undefined && t !== "ALLOW" && t !== "DISALLOW" && t !== "ALLOW_IF_WILDCARD") {
    throw new ValidationError(`${step}: unknown emptyMatchTreatment '${String(t)}'; use one of ALLOW, DISALLOW, ALLOW_IF_WILDCARD`);
  }
  for (const flag of ["matchUpdatedFiles", "deduplicate", "applyWindowing"] as const) {
    const v = o[flag];
    if (v !== undefined && typeof v !== "boolean") throw new ValidationError(`${step}: ${flag} must be true or false, got ${String(v)}`);
  }
  if (o.terminationCondition !== undefined) {
    checkContinuousMatchAllOptions(step, o);
    const clash = (["start", "stop"] as const).filter((k) => o[k] !== undefined);
    if (clash.length > 0) throw new ValidationError(`${step}: a terminationCondition replaces ${clash.join(" and ")} (polls start when the run does); drop ${clash.join("/")}, or use Watch.Growth.afterTotalOf(ms) for a time limit`);
    if (o.deduplicate === false) throw new ValidationError(`${step}: a terminationCondition watches for new files, which needs deduplication; leave deduplicate at true`);
  }
  if (o.matchUpdatedFiles === true && o.deduplicate === false) {
    throw new ValidationError(`${step}: matchUpdatedFiles needs deduplication (without it every firing emits every file anyway); leave deduplicate at true, or drop matchUpdatedFiles`);
  }
}

/**
 * `FileIO.matchContinuously(pattern, options)`: the files matching the pattern(s), each new one
 * once, timestamped at the firing that found it; see the module comment.
 */
export class MatchContinuously extends PTransform<PBegin, PCollection<FileMetadata>> {
  /** The patterns matched at each firing. */
  readonly patterns: readonly string[];

  constructor(
    pattern: string | readonly string[],
    /** Interval, start, stop, deduplication, empty matches and windowing. */
    readonly options: MatchContinuouslyOptions = {},
  ) {
    super("MatchContinuously");
    this.patterns = typeof pattern === "string" ? [pattern] : [...pattern];
    if (this.patterns.length === 0 || this.patterns.some((p) => typeof p !== "string" || p === "")) {
      throw new ValidationError(`FileIO.matchContinuously needs one or more non-empty file patterns, got ${JSON.stringify(pattern)}`);
    }
    checkOptions("FileIO.matchContinuously", options);
  }

  expand(input: PBegin): PCollection<FileMetadata> {
    const o = this.options;
    const step = input.pipeline.currentNode().fullName;
    checkOptions(step, o);
    const intervalMillis = o.intervalMillis ?? DEFAULT_MATCH_INTERVAL_MILLIS;
    const patterns = this.patterns;
    if (o.terminationCondition !== undefined) {
      // Beam Java's match().continuously: matchAll().continuously over the pattern(s).
      return input.apply("Patterns", Create.of(...patterns)).apply(
        "MatchAll",
        new MatchAllContinuously({
          intervalMillis,
          terminationCondition: o.terminationCondition,
          emptyMatchTreatment: o.emptyMatchTreatment ?? "ALLOW",
          ...(o.matchUpdatedFiles !== undefined ? { matchUpdatedFiles: o.matchUpdatedFiles } : {}),
          ...(o.applyWindowing !== undefined ? { applyWindowing: o.applyWindowing } : {}),
        }),
      );
    }
    // PeriodicImpulse checks the interval, start and stop (and names this step in its errors).
    const firings = input.apply("Impulse", PeriodicImpulse.create({ intervalMillis, ...(o.start !== undefined ? { start: o.start } : {}), ...(o.stop !== undefined ? { stop: o.stop } : {}) }));
    let files = firings
      .apply("Patterns", ParDo.into<string>().of((_: Instant, ctx) => {
        for (const p of patterns) ctx.output(p);
      }))
      .apply("Match", new MatchAll({ emptyMatchTreatment: o.emptyMatchTreatment ?? "ALLOW" }));
    if (o.deduplicate !== false) {
      // Keyed by path, so each file's memory lives with one key (one worker) and in checkpoints.
      const byPath = files.map("KeyByPath", (f: FileMetadata) => kv(f.path, f));
      files = byPath.apply(o.matchUpdatedFiles === true ? "RemoveOldAlreadyRead" : "RemoveAlreadyRead", ParDo.of(o.matchUpdatedFiles === true ? new RemoveOldAlreadyRead() : new RemoveAlreadyRead()));
    }
    // Last, as in Beam Python: the deduplication's state is in the global window, so it never expires.
    if (o.applyWindowing === true) files = files.apply("ApplyWindowing", Window.into<FileMetadata>(new FixedWindows(intervalMillis)));
    return files;
  }
}

/**
 * `ReadFromText.from(pattern).watchForNewFiles(options)` (Beam Java's `TextIO.read()
 * .watchForNewFiles`): the lines of each new file of the pattern(s), as the files arrive, each
 * line timestamped at the firing that found its file.
 */
export class WatchForNewTextFiles extends PTransform<PBegin, PCollection<string>> {
  constructor(
    /** The patterns watched. */
    readonly patterns: readonly string[],
    /** Continuous matching and reading options. */
    readonly options: WatchForNewFilesOptions = {},
  ) {
    super("ReadFromText");
    const d = options.desiredBundleSizeBytes;
    if (d !== undefined && !(Number.isInteger(d) && d > 0)) throw new ValidationError(`ReadFromText.watchForNewFiles: desiredBundleSizeBytes must be a positive integer, got ${String(d)}`);
    checkOptions("ReadFromText.watchForNewFiles", options);
    resolveTextFormat("ReadFromText.watchForNewFiles", options);
  }

  expand(input: PBegin): PCollection<string> {
    const { compression, desiredBundleSizeBytes, delimiter, skipHeaderLines, stripTrailingNewlines, ...match } = this.options;
    const format = { ...(delimiter !== undefined ? { delimiter } : {}), ...(skipHeaderLines !== undefined ? { skipHeaderLines } : {}), ...(stripTrailingNewlines !== undefined ? { stripTrailingNewlines } : {}) };
    return input
      .apply("MatchContinuously", new MatchContinuously(this.patterns, match))
      .apply("ReadAll", ReadAllFromText.create({ ...(compression !== undefined ? { compression } : {}), ...(desiredBundleSizeBytes !== undefined ? { desiredBundleSizeBytes } : {}), ...format }));
  }
}
