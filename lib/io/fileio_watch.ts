/**
 * `FileIO.matchAll().continuously(...)`: each input pattern watched on its own (Beam Java's
 * `FileIO.matchAll().continuously(pollInterval, terminationCondition, matchUpdatedFiles)`, built
 * as Beam Java builds it, on `Watch.growthOf`). Also what `FileIO.match(p).continuously(...)` and
 * `ReadFromText.watchForNewFiles(...)` run when given a `terminationCondition`.
 *
 * A splittable DoFn, unbounded per element (Beam's WatchGrowthFn): for each pattern, the
 * restriction is its growth state — the keys of the files already output (the path; with
 * `matchUpdatedFiles` the path and modification time, as Java's `ExtractFilenameAndLastUpdateFn`)
 * and the termination condition's state. Each call polls once: it matches the pattern, outputs
 * the files not output before (timestamped at the poll's processing time, which is also the
 * watermark estimate, as Java's `MatchPollFn`), updates the termination state, and either stops
 * (the condition holds: this pattern's output is complete) or resumes after the poll interval.
 * The poll's outputs and its new state are claimed together, so a failed bundle repeats the poll
 * rather than losing or repeating a file; the residual state is what runners checkpoint (on the
 * DirectRunner, the `--checkpoint_dir` checkpoints), so a restart remembers both the files and
 * the condition's progress. When every pattern's watch has stopped (and the patterns' input has
 * ended), the output is complete and a pipeline reading it ends. A drain stops polling at once.
 *
 * Time is processing time: the wall clock, or the virtual time of a TestStream run.
 */
import { JsValueCoder } from "../coders/js_value";
import { ValidationError } from "../model/errors";
import type { PCollection } from "../model/pcollection";
import { ParDo } from "../model/pardo";
import { Window } from "../model/primitives";
import { ProcessContinuation, type RestrictionTracker, type SplitResult } from "../model/splittable";
import { SplittableDoFn, type SplittableProcessContext } from "../model/splittable_dofn";
import { PTransform } from "../model/transform";
import { FixedWindows } from "../model/windowing";
import { Reshuffle } from "../transforms/util";
import { canStopPolling, forNewInput, Growth, onPollComplete, onSeenNewOutput, type TerminationCondition, type TerminationState, validateTerminationCondition } from "../transforms/watch";
import type { FileMetadata } from "./filesystems/filesystem";
import { type EmptyMatchTreatment, matchPattern, metadataOf } from "./fileio";

/** Options of `FileIO.matchAll().continuously(...)` (Beam Java's `continuously` parameters). */
export interface ContinuousMatchAllOptions {
  /** Milliseconds between polls of each pattern, a positive integer (default 360 000, as `FileIO.matchContinuously`). */
  readonly intervalMillis?: number;
  /** When to stop watching a pattern (default `Watch.Growth.never()`: until drained). */
  readonly terminationCondition?: TerminationCondition;
  /** Also output a file again when its modification time changes (Beam's `matchUpdatedFiles`; default false: each path once). */
  readonly matchUpdatedFiles?: boolean;
  /** What a poll that matches nothing does (default `"ALLOW"`, as Beam Java's polling). */
  readonly emptyMatchTreatment?: EmptyMatchTreatment;
  /** Put each file into the fixed window of the interval its poll falls in (default: the input's windows). */
  readonly applyWindowing?: boolean;
}

/** Beam's GrowthState: what a pattern's watch has output, and its termination state (null before the first poll). */
interface GrowthState {
  readonly completed: readonly string[];
  /** Absent until the first poll (its time starts the condition's state). */
  readonly termination?: TerminationState;
}

/**
 * Claims one poll: its new growth state (the outputs it adds, the termination state after it).
 * A checkpoint hands the claimed state back as the residual; before a claim, the current one.
 */
class GrowthTracker implements RestrictionTracker<GrowthState, GrowthState> {
  private claimed: GrowthState | undefined;
  private split = false;
  constructor(private readonly state: GrowthState) {}
  currentRestriction(): GrowthState {
    return this.state;
  }
  tryClaim(next: GrowthState): boolean {
    if (this.split || this.claimed !== undefined) return false;
    this.claimed = next;
    return true;
  }
  trySplit(fractionOfRemainder: number): SplitResult<GrowthState> | undefined {
    if (fractionOfRemainder !== 0 || this.split) return undefined;
    this.split = true;
    return { primary: this.claimed ?? this.state, residual: this.claimed ?? this.state };
  }
  isBounded(): boolean {
    return false;
  }
}

/** The key a file is deduplicated by (Java's ExtractFilenameFn, or ExtractFilenameAndLastUpdateFn). */
function keyOf(f: FileMetadata, withUpdates: boolean): string {
  return withUpdates ? `${f.lastModifiedMillis ?? 0}\u0000${f.path}` : f.path;
}

class WatchPatternsFn extends SplittableDoFn<string, FileMetadata, GrowthState, GrowthState> {
  readonly restrictionCoder = JsValueCoder.INSTANCE as JsValueCoder<GrowthState>;
  // Beam's Watch is @UnboundedPerElement: a pattern may be watched forever.
  readonly unboundedPerElement = true;

  constructor(
    private readonly intervalMillis: number,
    private readonly condition: TerminationCondition,
    private readonly matchUpdatedFiles: boolean,
    private readonly treatment: EmptyMatchTreatment,
  ) {
    super();
    // Outputs are at the poll's processing time, which may be before the pattern's timestamp.
    this.allowedTimestampSkewMillis = Number.POSITIVE_INFINITY;
  }

  initialRestriction(): GrowthState {
    // The termination state starts at the first poll (Beam's forNewInput is called with "now").
    return { completed: [] };
  }

  newTracker(state: GrowthState): RestrictionTracker<GrowthState, GrowthState> {
    return new GrowthTracker(state);
  }

  /** On drain, no more polls (Beam's default for an unbounded restriction). */
  truncateRestriction(): undefined {
    return undefined;
  }

  async process(pattern: string, tracker: RestrictionTracker<GrowthState, GrowthState>, ctx: SplittableProcessContext<FileMetadata>): Promise<ProcessContinuation> {
    const state = tracker.currentRestriction();
    const now = ctx.processingTime;
    const seen = new Set(state.completed);
    const fresh: FileMetadata[] = [];
    for (const f of await matchPattern(pattern, this.treatment)) {
      const key = keyOf(f, this.matchUpdatedFiles);
      if (seen.has(key)) continue;
      seen.add(key);
      fresh.push(metadataOf(f));
    }
    let termination = state.termination ?? forNewInput(this.condition, now);
    if (fresh.length > 0) termination = onSeenNewOutput(this.condition, now, termination);
    termination = onPollComplete(this.condition, termination);
    const completed = fresh.length === 0 ? state.completed : [...state.completed, ...fresh.map((f) => keyOf(f, this.matchUpdatedFiles))];
    if (!tracker.tryClaim({ completed, termination })) return ProcessContinuation.stop();
    for (const f of fresh) await ctx.outputWithTimestamp(f, now);
    // As Java's MatchPollFn: nothing found later is timestamped before this poll.
    ctx.watermarkEstimator.setWatermark(now);
    if (canStopPolling(this.condition, now, termination)) return ProcessContinuation.stop();
    return ProcessContinuation.resume().withResumeDelay(this.intervalMillis);
  }
}

/** Checks the options of a continuous matchAll (errors name `step`). */
export function checkContinuousMatchAllOptions(step: string, o: ContinuousMatchAllOptions): void {
  const i = o.intervalMillis;
  if (i !== undefined && !(Number.isSafeInteger(i) && i > 0)) throw new ValidationError(`${step}: intervalMillis must be a positive whole number of milliseconds, got ${String(i)}`);
  if (o.terminationCondition !== undefined) validateTerminationCondition("terminationCondition", o.terminationCondition);
  for (const flag of ["matchUpdatedFiles", "applyWindowing"] as const) {
    const v = o[flag];
    if (v !== undefined && typeof v !== "boolean") throw new ValidationError(`${step}: ${flag} must be true or false, got ${String(v)}`);
  }
  const t = o.emptyMatchTreatment;
  if (t !== undefined && t !== "ALLOW" && t !== "DISALLOW" && t !== "ALLOW_IF_WILDCARD") {
    throw new ValidationError(`${step}: unknown emptyMatchTreatment '${String(t)}'; use one of ALLOW, DISALLOW, ALLOW_IF_WILDCARD`);
  }
}

/**
 * `FileIO.matchAll().continuously(options)`: each input pattern watched on its own, each new file
 * output once per pattern, until the pattern's termination condition holds; see the module comment.
 */
export class MatchAllContinuously extends PTransform<PCollection<string>, PCollection<FileMetadata>> {
  constructor(
    /** Interval, termination condition, updated files, empty matches and windowing. */
    readonly options: ContinuousMatchAllOptions = {},
  ) {
    super("MatchAllContinuously");
    checkContinuousMatchAllOptions("FileIO.matchAll().continuously", options);
  }

  expand(input: PCollection<string>): PCollection<FileMetadata> {
    const o = this.options;
    const intervalMillis = o.intervalMillis ?? 360_000;
    const fn = new WatchPatternsFn(intervalMillis, o.terminationCondition ?? Growth.never(), o.matchUpdatedFiles === true, o.emptyMatchTreatment ?? "ALLOW");
    // As Beam Java's FileIO.matchAll: a Reshuffle after the watch, a fusion break, so what follows
    // runs in bundles (and on workers) of its own: a slow step after it neither holds up the next
    // poll (a polling bundle ends when everything fused into it has run) nor handles every file of
    // a pattern in the one bundle that polled it; and a retry of that step does not poll again.
    const files = input.apply("Watch", ParDo.splittable(fn)).apply("Reshuffle", Reshuffle.viaRandomKey());
    if (o.applyWindowing !== true) return files;
    return files.apply("ApplyWindowing", Window.into<FileMetadata>(new FixedWindows(intervalMillis)));
  }
}
