/**
 * PeriodicSequence: for each input element, a sequence definition `{ start, stop, intervalMillis }`,
 * the firings start, start + interval, ... strictly before stop, each output once the wall clock
 * has reached its instant (never before), its value and its timestamp both that instant (Beam
 * Java's `PeriodicSequence`, Beam Python's `apache_beam.transforms.periodicsequence.PeriodicSequence`).
 * Firings already past are output at once ("catch up to now"). The output is unbounded.
 *
 * - `stop` is exclusive, as Beam Python's tuple (start, end, interval) and Beamline's
 *   PeriodicImpulse; Beam Java's `SequenceDefinition(first, last, duration)` also fires at `last`.
 * - Windows: each firing is in its input element's windows (window or re-window it downstream).
 * - Timestamps: a firing may be earlier than its input element's timestamp (a definition read
 *   from a stream now, starting in the past); it is then late for windows the watermark has passed.
 * - Watermark: after each firing, the instant of the next one (Beam's manual estimator), so
 *   downstream windows close as the firings come.
 * - Drain: no firing after a drain starts (Beam truncates the rest to nothing).
 *
 * It is a splittable ParDo on the public API (splittable_dofn.ts): the restriction is the
 * OffsetRange of firing indices still to emit (index i fires at start + i * interval), as in Beam
 * Python; each call claims the firings that are due and resumes with the delay to the next one.
 */
import { TransformError } from "../model/errors";
import { OffsetRange, OffsetRangeCoder, OffsetRangeTracker } from "../model/offset_range";
import { ParDo } from "../model/pardo";
import type { PCollection } from "../model/pcollection";
import { ProcessContinuation, type RestrictionTracker } from "../model/splittable";
import { SplittableDoFn, type SplittableProcessContext } from "../model/splittable_dofn";
import { PTransform } from "../model/transform";
import { type Instant, MAX_TIMESTAMP } from "../model/window";

/** One sequence of firings (Beam Java's SequenceDefinition, Beam Python's (start, end, interval) tuple). */
export interface SequenceDefinition {
  /** The first firing (ms since the epoch). */
  readonly start: Instant;
  /** No firing at or after this instant (exclusive); MAX_TIMESTAMP for a sequence that never ends. */
  readonly stop: Instant;
  /** Milliseconds between firings, a positive integer. */
  readonly intervalMillis: number;
}

/** Firings a call outputs at most before it checkpoints (a long catch-up is split into calls). */
const MAX_BATCH = 10_000;
/** Bytes Beam counts per firing in the backlog (an encoded instant). */
const ENCODED_INSTANT_BYTES = 8;

/** The number of firings of a definition (the size of its initial restriction), after checking it. */
function firingCount(d: SequenceDefinition, step: string): number {
  if (d === null || typeof d !== "object") throw new TransformError(step, `${step}: PeriodicSequence's input must be { start, stop, intervalMillis }, got ${String(d)}`);
  const { start, stop, intervalMillis } = d;
  if (!Number.isSafeInteger(start)) throw new TransformError(step, `${step}: PeriodicSequence's start must be a whole number of milliseconds since the epoch, got ${String(start)}`);
  if (!(Number.isInteger(stop) && stop <= MAX_TIMESTAMP)) throw new TransformError(step, `${step}: PeriodicSequence's stop must be a whole number of milliseconds since the epoch (at most MAX_TIMESTAMP), got ${String(stop)}`);
  if (!(Number.isSafeInteger(intervalMillis) && intervalMillis > 0)) throw new TransformError(step, `${step}: PeriodicSequence's intervalMillis must be a positive whole number of milliseconds, got ${String(intervalMillis)}`);
  if (stop < start) throw new TransformError(step, `${step}: PeriodicSequence's stop (${stop}) is before its start (${start}); give a stop at or after the start`);
  // Offsets are safe integers: a sequence without end (stop MAX_TIMESTAMP, a 1 ms interval) is
  // cut at 2^53 - 1 firings, some 285 000 years.
  return Math.min(Math.ceil((stop - start) / intervalMillis), Number.MAX_SAFE_INTEGER);
}

/**
 * The backlog of a restriction: the bytes of the firings in `range` that are due at `now` but not
 * yet output (8 per firing), as Beam Python's `_sequence_backlog_bytes` (runners scale on it).
 */
export function sequenceBacklogBytes(d: SequenceDefinition, now: Instant, range: OffsetRange): number {
  const nowIndex = Math.floor((now - d.start) / d.intervalMillis);
  if (nowIndex < range.from) return 0;
  return ENCODED_INSTANT_BYTES * (Math.min(range.to, nowIndex) - range.from);
}

/** The splittable DoFn: claims the firings that are due, then resumes when the next one is. */
class PeriodicSequenceFn extends SplittableDoFn<SequenceDefinition, Instant, OffsetRange, number> {
  readonly restrictionCoder = OffsetRangeCoder.INSTANCE;
  // Beam Python's @unbounded_per_element: the sequence may never end.
  readonly unboundedPerElement = true;

  constructor(private readonly step: string) {
    super();
    // A definition read now may start in the past: its firings are timestamped before it.
    this.allowedTimestampSkewMillis = Number.POSITIVE_INFINITY;
  }

  initialRestriction(d: SequenceDefinition): OffsetRange {
    return new OffsetRange(0, firingCount(d, this.step));
  }

  newTracker(range: OffsetRange): RestrictionTracker<OffsetRange, number> {
    return new OffsetRangeTracker(range);
  }

  restrictionSize(d: SequenceDefinition, range: OffsetRange): number {
    return sequenceBacklogBytes(d, Date.now(), range);
  }

  /** On drain, no more firings (Beam: "stop emitting immediately upon drain"). */
  truncateRestriction(): undefined {
    return undefined;
  }

  async process(d: SequenceDefinition, tracker: RestrictionTracker<OffsetRange, number>, ctx: SplittableProcessContext<Instant>): Promise<ProcessContinuation> {
    let index = tracker.currentRestriction().from;
    let next = d.start + index * d.intervalMillis;
    ctx.watermarkEstimator.setWatermark(next);
    for (let n = 0; n < MAX_BATCH; n++) {
      const now = Date.now();
      // Never before its instant: come back when the next firing is due.
      if (next > now) return ProcessContinuation.resume().withResumeDelay(next - now);
      if (!tracker.tryClaim(index)) return ProcessContinuation.stop();
      await ctx.outputWithTimestamp(next, next);
      index++;
      next = d.start + index * d.intervalMillis;
      // Nothing earlier than the next firing follows.
      ctx.watermarkEstimator.setWatermark(next);
    }
    return ProcessContinuation.resume();
  }
}

/**
 * Firings per sequence definition; see the module comment.
 *
 *     defs.apply(PeriodicSequence.create())   // defs: PCollection<SequenceDefinition>
 */
export class PeriodicSequence extends PTransform<PCollection<SequenceDefinition>, PCollection<Instant>> {
  private constructor() {
    super("PeriodicSequence");
  }

  /** The transform (it has no parameters: each input element defines its sequence). */
  static create(): PeriodicSequence {
    return new PeriodicSequence();
  }

  expand(input: PCollection<SequenceDefinition>): PCollection<Instant> {
    const step = input.pipeline.currentNode().fullName;
    return input.apply("GenSequence", ParDo.splittable(new PeriodicSequenceFn(step)));
  }
}
