/**
 * OffsetRange and its tracker: the restriction of splittable DoFns that work through numbered
 * positions (records of a file, lines, indices), with Beam Java's semantics (OffsetRange,
 * OffsetRangeTracker):
 *
 * - a range is [from, to) of whole numbers (safe integers here: |x| < 2^53);
 * - claims are monotonic (a claim at or before the last attempted one is an error, as is one
 *   before `from`); a claim at or past `to` fails and ends the work;
 * - `trySplit(f)` keeps the claimed part plus `f` of what is left (at least one position past the
 *   last claimed one), and hands the rest back; `trySplit(0)` is a checkpoint;
 * - `checkDone()` fails when positions were neither claimed nor split off.
 *
 * GrowableOffsetRangeTracker is the tracker of a range without a known end ([start, MAX_OFFSET)).
 *
 * The coder writes `from` and `to` as varints, byte for byte as Beam Java's OffsetRange.Coder; on
 * portable runners it travels length-prefixed (runners do not parse it).
 */
import type { ByteReader, ByteWriter } from "../coders/byte_io";
import type { Coder } from "../coders/coder";
import type { RestrictionProgress, RestrictionTracker, SplitResult } from "./splittable";

/** A range of offsets [from, to), Beam's OffsetRange. */
export class OffsetRange {
  constructor(
    /** The first offset of the range. */
    readonly from: number,
    /** The end of the range (exclusive). */
    readonly to: number,
  ) {
    if (!Number.isSafeInteger(from) || !Number.isSafeInteger(to)) throw new RangeError(`OffsetRange [${from}, ${to}): offsets must be safe integers (|x| < 2^53)`);
    if (from > to) throw new RangeError(`OffsetRange [${from}, ${to}): from must not be greater than to`);
  }

  /** The number of offsets in the range. */
  size(): number {
    return this.to - this.from;
  }

  /**
   * The range cut into parts of about `desiredSizePerSplit` offsets (Beam's OffsetRange.split):
   * the last part takes a remainder smaller than `minSizePerSplit` rather than standing alone.
   */
  split(desiredSizePerSplit: number, minSizePerSplit = 1): OffsetRange[] {
    if (!(desiredSizePerSplit >= 1)) throw new RangeError(`OffsetRange.split(${desiredSizePerSplit}): the size per split must be at least 1`);
    const parts: OffsetRange[] = [];
    let start = this.from;
    while (start < this.to) {
      let end = Math.min(this.to, start + Math.floor(desiredSizePerSplit));
      if (this.to - end < minSizePerSplit) end = this.to;
      parts.push(new OffsetRange(start, end));
      start = end;
    }
    return parts;
  }

  /** Whether `other` is the same range. */
  equals(other: OffsetRange): boolean {
    return this.from === other.from && this.to === other.to;
  }

  /** `[from, to)`, as Beam prints it. */
  toString(): string {
    return `[${this.from}, ${this.to})`;
  }
}

/** Beam's OffsetRangeTracker: claims offsets of an OffsetRange in increasing order. */
export class OffsetRangeTracker implements RestrictionTracker<OffsetRange, number> {
  protected range: OffsetRange;
  protected lastAttempted: number | undefined;
  private lastClaimed: number | undefined;

  constructor(range: OffsetRange) {
    if (!(range instanceof OffsetRange)) throw new TypeError("OffsetRangeTracker needs an OffsetRange");
    this.range = range;
  }

  /** The range being processed (after a split, the primary). */
  currentRestriction(): OffsetRange {
    return this.range;
  }

  tryClaim(offset: number): boolean {
    if (this.lastAttempted !== undefined && !(offset > this.lastAttempted)) {
      throw new Error(`Trying to claim offset ${offset} while last attempted was ${this.lastAttempted}`);
    }
    if (offset < this.range.from) throw new Error(`Trying to claim offset ${offset} before start of the range ${this.range}`);
    this.lastAttempted = offset;
    if (offset >= this.range.to) return false;
    this.lastClaimed = offset;
    return true;
  }

  trySplit(fractionOfRemainder: number): SplitResult<OffsetRange> | undefined {
    const current = this.lastAttempted ?? this.range.from - 1;
    // The split point keeps at least one position past the current one, as Beam's does.
    const split = current + Math.floor(Math.max(1, (this.range.to - current) * fractionOfRemainder));
    if (split >= this.range.to) return undefined;
    const residual = new OffsetRange(split, this.range.to);
    this.range = new OffsetRange(this.range.from, split);
    return { primary: this.range, residual };
  }

  checkDone(): void {
    if (this.range.from === this.range.to) return;
    if (this.lastAttempted === undefined) throw new Error(`Last attempted offset should not be null. No work was claimed in non-empty range ${this.range}.`);
    if (this.lastAttempted < this.range.to - 1) {
      throw new Error(`Last attempted offset was ${this.lastAttempted} in range ${this.range}, claiming work in [${this.lastAttempted + 1}, ${this.range.to}) was not attempted`);
    }
  }

  getProgress(): RestrictionProgress {
    if (this.lastAttempted === undefined) return { workCompleted: 0, workRemaining: this.range.to - this.range.from };
    // As Beam's: the offset last attempted is in progress, not done.
    const done = Math.max(0, Math.min(this.range.to, this.lastAttempted) - this.range.from);
    return { workCompleted: done, workRemaining: this.range.to - this.range.from - done };
  }

  /** The last offset claimed, if any. */
  lastClaimedOffset(): number | undefined {
    return this.lastClaimed;
  }

  isBounded(): boolean {
    return true;
  }
}

/**
 * The end of a growable range: Beam Java's Long.MAX_VALUE, here the largest safe integer. A
 * growable range's positions go up to MAX_OFFSET - 1; claiming MAX_OFFSET (which fails) marks it
 * done.
 */
export const MAX_OFFSET = Number.MAX_SAFE_INTEGER;

/**
 * The end offset a growable range is expected to reach now (exclusive), e.g. a Kafka partition's
 * latest offset, or a growing file's length. Called when the runner splits or asks for progress;
 * it need not increase, and only counts where it is past the current position. Return
 * `Number.MIN_SAFE_INTEGER` when there is no estimate. Cache it if it is costly to compute.
 */
export type RangeEndEstimator = () => number;

/**
 * Beam's GrowableOffsetRangeTracker: the tracker of "read from offset `start` onwards" — the range
 * [start, MAX_OFFSET), whose real end is unknown and may grow while it is read (a Kafka partition,
 * a file being appended to). It claims like an OffsetRangeTracker; splits and progress take the
 * `estimator`'s end in place of the infinite one:
 *
 * - `trySplit(f)` keeps the claimed part plus `f` of what is left up to the estimate (at least the
 *   next position), and hands back [split, MAX_OFFSET): the primary is then a finite range;
 *   `trySplit(0)` is the checkpoint that leaves [next, MAX_OFFSET) for later;
 * - `getProgress()`: work done up to the last attempted offset, work left up to the estimate;
 * - unbounded until split or done (a claim of MAX_OFFSET ends it).
 */
export class GrowableOffsetRangeTracker extends OffsetRangeTracker {
  constructor(
    start: number,
    private readonly estimator: RangeEndEstimator,
  ) {
    if (typeof estimator !== "function") throw new TypeError("GrowableOffsetRangeTracker needs a range end estimator (a function returning the expected end offset)");
    super(new OffsetRange(start, MAX_OFFSET));
  }

  /** The estimate as a safe integer (no estimate, NaN: the lowest). */
  private estimate(): number {
    const e = this.estimator();
    if (Number.isNaN(e)) return Number.MIN_SAFE_INTEGER;
    return Math.max(Number.MIN_SAFE_INTEGER, Math.min(MAX_OFFSET, Math.floor(e)));
  }

  /** Whether the range is still the growable one (not split to a finite end, not empty). */
  private get growing(): boolean {
    return this.range.to === MAX_OFFSET && this.range.from !== this.range.to;
  }

  override trySplit(fractionOfRemainder: number): SplitResult<OffsetRange> | undefined {
    if (!this.growing) return super.trySplit(fractionOfRemainder);
    if (this.lastAttempted === MAX_OFFSET) return undefined;
    const cur = this.lastAttempted ?? this.range.from - 1;
    // Not short of the next position, whatever the estimate.
    const end = Math.max(this.estimate(), cur + 1);
    const share = Math.max(1, (end - cur) * fractionOfRemainder);
    // As Beam's BigDecimal.longValue(): cur + share truncated toward zero.
    const split = cur + (cur + share >= 0 ? Math.floor(share) : Math.ceil(share));
    if (split > end) return undefined;
    const residual = new OffsetRange(split, this.range.to);
    this.range = new OffsetRange(this.range.from, split);
    return { primary: this.range, residual };
  }

  override getProgress(): RestrictionProgress {
    if (!this.growing) return super.getProgress();
    const end = this.estimate();
    if (this.lastAttempted === undefined) return { workCompleted: 0, workRemaining: Math.max(0, end - this.range.from) };
    const workRemaining = Math.max(0, end - this.lastAttempted);
    const total = Math.max(end, this.lastAttempted) - this.range.from;
    return { workCompleted: total - workRemaining, workRemaining };
  }

  override isBounded(): boolean {
    return this.lastAttempted === MAX_OFFSET || this.range.to !== MAX_OFFSET;
  }
}

export const OFFSET_RANGE_CODER_URN = "beamline:coder:offset_range:v1";

/** OffsetRange as two varints (from, to), Beam Java's OffsetRange.Coder. */
export class OffsetRangeCoder implements Coder<OffsetRange> {
  /** The coder (it has no parameters). */
  static readonly INSTANCE = new OffsetRangeCoder();
  readonly urn = OFFSET_RANGE_CODER_URN;
  readonly components: readonly Coder<unknown>[] = [];
  readonly deterministic = true;
  encode(value: OffsetRange, out: ByteWriter): void {
    out.writeVarInt(value.from);
    out.writeVarInt(value.to);
  }
  decode(input: ByteReader): OffsetRange {
    const from = input.readVarInt();
    return new OffsetRange(from, input.readVarInt());
  }
}
