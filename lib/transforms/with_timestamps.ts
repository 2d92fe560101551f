/**
 * WithTimestamps: sets each element's event time from a function of the element (Beam Java's
 * `WithTimestamps.of(fn)`, with `withAllowedTimestampSkew`).
 */
import { DoFn, ProcessContext } from "../model/dofn";
import { PipelineConstructionError } from "../model/errors";
import { PCollection } from "../model/pcollection";
import { ParDo } from "../model/pardo";
import { PTransform } from "../model/transform";
import { Instant, MAX_TIMESTAMP, MIN_TIMESTAMP } from "../model/window";

/** An instant for messages: its milliseconds, and the date when it has one. */
function describeInstant(t: unknown): string {
  if (typeof t !== "number") return `${String(t)} (${typeof t})`;
  const d = new Date(t);
  return Number.isNaN(d.getTime()) ? String(t) : `${t} (${d.toISOString()})`;
}

/** Outputs each element at the timestamp its function gives, within the allowed skew. */
class AddTimestamps<T> extends DoFn<T, T> {
  constructor(
    private readonly fn: (element: T) => Instant,
    skewMillis: number,
  ) {
    super();
    // The runner's own check of outputWithTimestamp allows the same skew (it stays a safety net).
    this.allowedTimestampSkewMillis = skewMillis;
  }

  process(element: T, ctx: ProcessContext<T>): void {
    const t: unknown = this.fn(element);
    const skew = this.allowedTimestampSkewMillis ?? 0;
    if (typeof t !== "number" || !(t >= MIN_TIMESTAMP && t <= MAX_TIMESTAMP)) {
      throw new Error(
        `WithTimestamps '${ctx.runtime.transformName}': the timestamp function returned ${describeInstant(t)}; it must return epoch milliseconds, ` +
          `a number from MIN_TIMESTAMP to MAX_TIMESTAMP`,
      );
    }
    // As Beam Java's WithTimestamps: moving an element back in time further than the allowed skew
    // could put it behind the watermark its input held, so a grouping downstream would drop it as late.
    if (t < ctx.timestamp - skew) {
      throw new Error(
        `WithTimestamps '${ctx.runtime.transformName}' moved an element back in time to ${describeInstant(t)}, earlier than its timestamp ` +
          `${describeInstant(ctx.timestamp)} minus the allowed skew (${skew} ms). Timestamps must be no earlier than that, as in Beam: ` +
          `an earlier element may be behind the watermark and dropped as late. Assign event times where elements are first read, or allow ` +
          `the skew with WithTimestamps.of(fn).withAllowedTimestampSkew(ms) (Infinity for any)`,
      );
    }
    ctx.outputWithTimestamp(element, t);
  }
}

/**
 * Sets each element's timestamp to `fn(element)` (epoch milliseconds):
 * `events.apply("EventTime", WithTimestamps.of((e) => e.time))`.
 *
 * Elements stay in the windows they were in: apply `Window.into` after it to window them by the
 * new timestamps. A timestamp may move forward freely, but back only by the allowed skew (0
 * unless `withAllowedTimestampSkew`); further back fails the run, as in Beam, because such an
 * element may be behind the watermark and dropped as late.
 */
export class WithTimestamps<T> extends PTransform<PCollection<T>, PCollection<T>> {
  private constructor(
    private readonly fn: (element: T) => Instant,
    /** How far back a timestamp may move, in milliseconds. */
    readonly allowedTimestampSkewMillis: number,
  ) {
    super("WithTimestamps");
  }

  /** Timestamps from `fn`; the element type comes from `fn` or from where it is applied. */
  static of<T>(fn: (element: T) => Instant): WithTimestamps<T> {
    if (typeof fn !== "function") throw new PipelineConstructionError(`WithTimestamps.of needs a function from an element to its timestamp, got ${String(fn)}`);
    return new WithTimestamps(fn, 0);
  }

  /**
   * The same transform, allowed to move timestamps back by up to `skewMillis` (Beam Java's
   * `withAllowedTimestampSkew`; `Infinity` for any). Elements moved back may be dropped as late
   * downstream.
   */
  withAllowedTimestampSkew(skewMillis: number): WithTimestamps<T> {
    if (!(skewMillis >= 0)) throw new PipelineConstructionError(`WithTimestamps.withAllowedTimestampSkew needs 0 or more milliseconds (Infinity for any), got ${skewMillis}`);
    return new WithTimestamps(this.fn, skewMillis);
  }

  expand(input: PCollection<T>): PCollection<T> {
    const out = input.apply("AddTimestamps", ParDo.of(new AddTimestamps<T>(this.fn, this.allowedTimestampSkewMillis)));
    if (input.coder !== undefined) out.setCoder(input.coder);
    return out;
  }
}
