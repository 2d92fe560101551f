/**
 * PeriodicImpulse: an unbounded stream of firings, one every interval from a start to a stop in
 * event time (Beam Java's `PeriodicImpulse`, Beam Python's `apache_beam.transforms.periodicsequence
 * .PeriodicImpulse`). Each firing's value is its instant (ms since the epoch) and so is its
 * timestamp; it is emitted once the wall clock has reached that instant (never before; firings
 * already past when the run starts are emitted at once, as Beam "catches up to now").
 *
 * - Firings: start, start + interval, ... strictly before stop (stop is exclusive, as Beam
 *   Python documents it: "at or after which no elements will be output"; Beam Java's
 *   PeriodicImpulse also emits a firing at exactly stop).
 * - Watermark: after a firing, the instant of the next one (no earlier firing can follow); after
 *   the last one, the end of time. A finite stop makes the stream finite: the pipeline ends once
 *   the last firing is processed. Without a stop it runs until drained or cancelled.
 * - `applyWindowing`: each firing goes into its own fixed window of the interval.
 * - Drain: no firing is emitted after a drain starts (Beam's truncate to nothing).
 *
 * How it runs: the DirectRunner reads it as a real-time source (ReadUnbounded); portable runners
 * (Prism, Flink, Beam Python's job service) run it as a splittable DoFn in our worker, whose
 * restriction is the range of firing instants still to emit: each bundle claims the firings that
 * are due, reports the next one as its watermark and resumes (self-checkpoints) with the delay
 * until that one is due.
 *
 * The canonical use is Beam's "slowly updating side input": a PeriodicImpulse mapped to a
 * freshly read value, windowed (into the global window with a repeated trigger, or into fixed
 * windows of the interval) and read as a singleton side input by a main stream.
 */
import { ByteReader, ByteWriter } from "../coders/byte_io";
import { DoubleCoder } from "../coders/primitive";
import { KVCoder } from "../coders/structural";
import { ValidationError } from "../model/errors";
import type { PBegin, PCollection } from "../model/pcollection";
import type { TransformNode } from "../model/pipeline";
import { Window } from "../model/primitives";
import { ProcessContinuation, registerSplittableComposite, type RestrictionTracker, type SplitResult, type SplittableFn, type SplittableFnContext } from "../model/splittable";
import { PTransform } from "../model/transform";
import { FixedWindows } from "../model/windowing";
import { type Instant, type KV, kv, MAX_TIMESTAMP, MIN_TIMESTAMP } from "../model/window";
import { pauseUnlessAborted as pause, ReadUnbounded, type UnboundedSource, type UnboundedSourceContext } from "../io/read_unbounded";

/** URN of the firings composite (a Beamline composite: Beam has no standard URN for it). */
export const PERIODIC_IMPULSE_URN = "beamline:transform:periodic_impulse:v1";

/** What a runner needs to produce the firings. */
export interface PeriodicImpulseSpec {
  readonly urn: typeof PERIODIC_IMPULSE_URN;
  /** The first firing; undefined: the time the run starts emitting (resolved at run time, in the worker). */
  readonly start: Instant | undefined;
  /** No firing at or after this instant; MAX_TIMESTAMP: none (unbounded). */
  readonly stop: Instant;
  readonly intervalMillis: number;
}

declare module "../model/pipeline" {
  interface CompositeSpecs {
    [PERIODIC_IMPULSE_URN]: PeriodicImpulseSpec;
  }
}

/** Options of PeriodicImpulse (Beam Python's parameters; Beam Java's builder methods). */
export interface PeriodicImpulseOptions {
  /** The first firing (default: when the run starts emitting, as Beam Java's `Instant.now()`). */
  readonly start?: Instant | Date;
  /** No firing at or after this instant (default: none, the stream is unbounded). */
  readonly stop?: Instant | Date;
  /** Milliseconds between firings, a positive integer (default 60 000, Beam Java's one minute). */
  readonly intervalMillis?: number;
  /** Put each firing into its own fixed window of the interval (default: the global window). */
  readonly applyWindowing?: boolean;
}

/** Firings a DirectRunner read hands over at once, or a worker bundle outputs before it checkpoints. */
const MAX_BATCH = 10_000;
/**
 * The DirectRunner source's longest wait before it looks at the clock again: a firing further
 * away (a monthly interval) is waited for in steps, as Node's timers overflow past 2^31 - 1 ms
 * (24.8 days) and then fire at once.
 */
const MAX_WAIT_MS = 3_600_000;

/**
 * The unbounded stream of firings; see the module comment.
 *
 *     p.apply(PeriodicImpulse.create({ intervalMillis: 60_000 }))            // every minute, from now on
 *     p.apply(PeriodicImpulse.create().startAt(t0).stopAt(t1).withInterval(5_000).applyWindowing())
 */
export class PeriodicImpulse extends PTransform<PBegin, PCollection<Instant>> {
  private readonly options: PeriodicImpulseOptions;

  private constructor(options: PeriodicImpulseOptions) {
    super("PeriodicImpulse");
    this.options = options;
  }

  /** `PeriodicImpulse.create({ start, stop, intervalMillis, applyWindowing })`; every option may be left out. */
  static create(options: PeriodicImpulseOptions = {}): PeriodicImpulse {
    return new PeriodicImpulse(options);
  }

  /** The first firing (Beam Java's `startAt`). */
  startAt(start: Instant | Date): PeriodicImpulse {
    return new PeriodicImpulse({ ...this.options, start });
  }

  /** No firing at or after `stop` (Beam Java's `stopAt`; Beam Java includes a firing at exactly `stop`, Beam Python and Beamline do not). */
  stopAt(stop: Instant | Date): PeriodicImpulse {
    return new PeriodicImpulse({ ...this.options, stop });
  }

  /** Milliseconds between firings (Beam Java's `withInterval`). */
  withInterval(intervalMillis: number): PeriodicImpulse {
    return new PeriodicImpulse({ ...this.options, intervalMillis });
  }

  /** Each firing into its own fixed window of the interval (Beam Java's `applyWindowing`). */
  applyWindowing(): PeriodicImpulse {
    return new PeriodicImpulse({ ...this.options, applyWindowing: true });
  }

  expand(input: PBegin): PCollection<Instant> {
    const spec = specOf(this.options, input.pipeline.currentNode().fullName);
    const firings = input.apply("GenSequence", new Firings(spec));
    if (this.options.applyWindowing !== true) return firings;
    return firings.apply("ApplyWindowing", Window.into<Instant>(new FixedWindows(spec.intervalMillis)));
  }
}

function instantOf(t: Instant | Date | undefined, what: string, step: string): Instant | undefined {
  if (t === undefined) return undefined;
  const ms = t instanceof Date ? t.getTime() : t;
  if (!Number.isInteger(ms)) throw new ValidationError(`${step}: PeriodicImpulse's ${what} must be a whole number of milliseconds since the epoch (or a valid Date), got ${String(t)}`);
  return ms;
}

function specOf(o: PeriodicImpulseOptions, step: string): PeriodicImpulseSpec {
  const intervalMillis = o.intervalMillis ?? 60_000;
  if (!(Number.isInteger(intervalMillis) && intervalMillis > 0)) {
    throw new ValidationError(`${step}: PeriodicImpulse's intervalMillis must be a positive whole number of milliseconds, got ${intervalMillis}`);
  }
  const start = instantOf(o.start, "start", step);
  const stop = Math.min(instantOf(o.stop, "stop", step) ?? MAX_TIMESTAMP, MAX_TIMESTAMP);
  if (start !== undefined && start < MIN_TIMESTAMP) throw new ValidationError(`${step}: PeriodicImpulse's start ${start} is before the beginning of time (MIN_TIMESTAMP)`);
  if (start !== undefined && stop < start) throw new ValidationError(`${step}: PeriodicImpulse's stop (${stop}) is before its start (${start}); give a stop at or after the start`);
  return { urn: PERIODIC_IMPULSE_URN, start, stop, intervalMillis };
}

/** The firings composite: a real-time source on the DirectRunner, a splittable DoFn on portable runners. */
class Firings extends PTransform<PBegin, PCollection<Instant>> {
  constructor(private readonly spec: PeriodicImpulseSpec) {
    super("Firings");
  }

  expand(input: PBegin): PCollection<Instant> {
    input.pipeline.currentNode().composite = this.spec;
    return input.apply("ReadUnbounded", ReadUnbounded.from(firingSource(this.spec)));
  }
}

/** A checkpoint mark of the DirectRunner's source: the first firing the checkpoint does not hold (version 1). */
function encodeMark(next: Instant): Uint8Array {
  const w = new ByteWriter(9);
  w.writeByte(1);
  w.writeDoubleBE(next);
  return w.finish();
}

function decodeMark(mark: Uint8Array): Instant {
  const r = new ByteReader(mark);
  if (r.readByte() !== 1) throw new Error("PeriodicImpulse: unknown checkpoint mark version (a checkpoint written by a newer Beamline?)");
  return r.readDoubleBE();
}

/**
 * The DirectRunner's source: emits each firing once the clock has reached it, the next firing as
 * its watermark. In runs that take checkpoints (--checkpoint_dir, --direct_bundle_retries), each
 * firing's receipt is its instant and a checkpoint's mark is the firing after the last one it
 * holds: a restart emits from there (firings emitted but not held are emitted again, none twice).
 */
function firingSource(spec: PeriodicImpulseSpec): UnboundedSource<Instant> {
  return {
    // Until read() starts: the first firing (a start in the past must not make its firings late).
    initialWatermark: spec.start ?? MIN_TIMESTAMP,
    async read(ctx: UnboundedSourceContext<Instant>): Promise<void> {
      const cp = ctx.checkpoints;
      const restored = cp?.restoredMark !== undefined && cp.restoredMark.length > 0 ? decodeMark(cp.restoredMark) : undefined;
      let next = restored ?? spec.start ?? Date.now();
      let held = next;
      cp?.onCheckpoint((covered) => {
        for (const t of covered as readonly Instant[]) held = Math.max(held, t + spec.intervalMillis);
        return encodeMark(held);
      });
      ctx.advanceWatermark(next);
      while (next < spec.stop && !ctx.signal.aborted) {
        const now = Date.now();
        if (next > now) {
          await pause(Math.min(next - now, MAX_WAIT_MS), ctx.signal);
          continue;
        }
        // Every firing that is due (a start in the past catches up at once), in batches.
        const due: Instant[] = [];
        while (next <= now && next < spec.stop && due.length < MAX_BATCH) {
          due.push(next);
          next += spec.intervalMillis;
        }
        await ctx.emitAll(due, due, cp !== undefined ? due : undefined);
        ctx.advanceWatermark(next);
      }
    },
  };
}

/** A restriction: KV(the next firing to emit, the stop (exclusive)); MAX_TIMESTAMP as stop: unbounded. */
type FiringRange = KV<Instant, Instant>;

/** Claims firing instants of a range in order; a checkpoint hands back the firings not yet claimed. */
export class FiringRangeTracker implements RestrictionTracker<FiringRange, Instant> {
  private range: FiringRange;
  private lastClaimed: Instant | undefined;

  constructor(
    range: FiringRange,
    private readonly intervalMillis: number,
  ) {
    this.range = range;
  }

  currentRestriction(): FiringRange {
    return this.range;
  }

  tryClaim(firing: Instant): boolean {
    if (this.lastClaimed !== undefined && firing <= this.lastClaimed) throw new Error(`PeriodicImpulse claimed firing ${firing} after ${this.lastClaimed}: firings are claimed in increasing order`);
    if (firing < this.range.key) throw new Error(`PeriodicImpulse claimed firing ${firing} before the start of its range [${this.range.key}, ${this.range.value})`);
    if (firing >= this.range.value) return false;
    this.lastClaimed = firing;
    return true;
  }

  trySplit(fractionOfRemainder: number): SplitResult<FiringRange> | undefined {
    if (fractionOfRemainder !== 0) return undefined;
    const rest = this.lastClaimed === undefined ? this.range.key : this.lastClaimed + this.intervalMillis;
    if (rest >= this.range.value) return undefined;
    const residual = kv(rest, this.range.value);
    this.range = kv(this.range.key, rest);
    return { primary: this.range, residual };
  }

  isBounded(): boolean {
    return this.range.value < MAX_TIMESTAMP;
  }
}

/** The splittable DoFn of the firings on portable runners (its input is the impulse). */
export class PeriodicImpulseFn implements SplittableFn<Uint8Array, FiringRange, Instant> {
  readonly restrictionCoder = new KVCoder(DoubleCoder.INSTANCE, DoubleCoder.INSTANCE);
  readonly requestsFinalization = false;

  constructor(private readonly spec: PeriodicImpulseSpec) {}

  /** From the start (the worker's clock when none was given) to the stop. */
  initialRestriction(): FiringRange {
    return kv(this.spec.start ?? Date.now(), this.spec.stop);
  }

  /** The firings already due: the backlog runners may scale on (Beam's sequence backlog, in elements). */
  restrictionSize(_: Uint8Array, r: FiringRange): number {
    const last = Math.min(Date.now(), r.value - 1);
    return last < r.key ? 0 : Math.floor((last - r.key) / this.spec.intervalMillis) + 1;
  }

  /** On drain, no more firings (Beam's PeriodicSequence truncates to nothing). */
  truncateRestriction(): undefined {
    return undefined;
  }

  newTracker(r: FiringRange): RestrictionTracker<FiringRange> {
    return new FiringRangeTracker(r, this.spec.intervalMillis) as RestrictionTracker<FiringRange>;
  }

  async process(_: Uint8Array, tracker: RestrictionTracker<FiringRange>, ctx: SplittableFnContext<Instant>): Promise<ProcessContinuation> {
    let next = tracker.currentRestriction().key;
    for (let n = 0; ; n++) {
      const now = Date.now();
      if (next > now || n >= MAX_BATCH) {
        if (next >= tracker.currentRestriction().value) return ProcessContinuation.stop();
        // Nothing earlier than the next firing will follow; come back when it is due.
        ctx.updateWatermark(next);
        return ProcessContinuation.resume().withResumeDelay(Math.max(0, next - now));
      }
      if (!tracker.tryClaim(next)) return ProcessContinuation.stop();
      await ctx.output(next, next);
      next += this.spec.intervalMillis;
    }
  }
}

registerSplittableComposite(PERIODIC_IMPULSE_URN, (node: TransformNode) => new PeriodicImpulseFn(node.composite as PeriodicImpulseSpec) as unknown as SplittableFn<unknown, unknown, unknown>);
