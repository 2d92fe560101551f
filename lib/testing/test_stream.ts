/**
 * TestStream: a scripted unbounded source for tests in virtual time (the real-time source is
 * ReadUnbounded, lib/io/read_unbounded.ts).
 *
 * A TestStream is a script of events: elements with event timestamps, watermark advances and
 * processing-time advances. A streaming runner replays it in virtual time, so tests of windows,
 * triggers, late data and timers are deterministic and fast:
 *
 *     const events = p.apply(TestStream.create<string>()
 *       .addElements({ value: "a", timestamp: 1_000 }, { value: "b", timestamp: 2_000 })
 *       .advanceProcessingTime(5_000)   // fires processing-time triggers and timers
 *       .advanceWatermarkTo(10_000)     // windows ending at or before 10 s fire on time
 *       .addElements({ value: "late", timestamp: 3_000 })
 *       .advanceWatermarkToInfinity()); // everything fires; the run ends
 *
 * It produces an UNBOUNDED PCollection: the DirectRunner runs such pipelines with its streaming
 * driver. Virtual processing time starts at 0.
 *
 * @category Testing
 */
import { DoFn, ProcessContext } from "../model/dofn";
import { PBegin, PCollection } from "../model/pcollection";
import { ParDo } from "../model/pardo";
import { Impulse } from "../model/primitives";
import { PTransform } from "../model/transform";
import { Instant, MAX_TIMESTAMP, MIN_TIMESTAMP } from "../model/window";

/** An element with its event time. */
export interface TimestampedElement<T> {
  /** The element. */
  readonly value: T;
  /** Its event time (integer epoch milliseconds). */
  readonly timestamp: Instant;
}

/** One step of a TestStream's script. */
export type TestStreamEvent<T> =
  | {
      /** Elements arriving together (`addElements`). */
      readonly kind: "elements";
      /** The elements, with their event times. */
      readonly elements: readonly TimestampedElement<T>[];
    }
  | {
      /** A watermark advance (`advanceWatermarkTo`). */
      readonly kind: "watermark";
      /** The new watermark. */
      readonly watermark: Instant;
    }
  | {
      /** A processing-time advance (`advanceProcessingTime`). */
      readonly kind: "processingTime";
      /** How far virtual processing time moves. */
      readonly advanceMillis: number;
    };

/** Beam's TestStream URN (runner-executed on portable runners). */
export const TEST_STREAM_URN = "beam:transform:teststream:v1";

/** Emits every element with its timestamp (what runners without TestStream support execute). */
class EmitAll<T> extends DoFn<Uint8Array, T> {
  constructor(private readonly events: readonly TestStreamEvent<T>[]) {
    super();
  }
  process(_: Uint8Array, ctx: ProcessContext<T>): void {
    for (const e of this.events) if (e.kind === "elements") for (const el of e.elements) ctx.outputWithTimestamp(el.value, el.timestamp);
  }
}

/** A scripted unbounded source for tests. Each method returns a new, longer script. */
export class TestStream<T> extends PTransform<PBegin, PCollection<T>> {
  private constructor(
    /** The script. */
    readonly events: readonly TestStreamEvent<T>[],
  ) {
    super("TestStream");
  }

  /** An empty script. */
  static create<T>(): TestStream<T> {
    return new TestStream<T>([]);
  }

  /**
   * Adds elements at their event timestamps. They arrive together, as one bundle: a trigger
   * sees them all before it is evaluated (`AfterCount(2)` over three elements fires one pane of
   * three), as on Beam's runners.
   */
  addElements(...elements: TimestampedElement<T>[]): TestStream<T> {
    this.checkNotEnded("addElements");
    for (const e of elements) {
      if (!Number.isInteger(e.timestamp)) throw new RangeError(`TestStream element timestamps must be integers of milliseconds, got ${e.timestamp}`);
      // As Beam's TestStream builders (Java and Python): an element at the end of time is in no window.
      if (e.timestamp < MIN_TIMESTAMP || e.timestamp >= MAX_TIMESTAMP) {
        throw new RangeError(`TestStream element timestamps must be from MIN_TIMESTAMP (${MIN_TIMESTAMP}) to before MAX_TIMESTAMP (${MAX_TIMESTAMP}), got ${e.timestamp}`);
      }
    }
    return new TestStream<T>([...this.events, { kind: "elements", elements }]);
  }

  /**
   * Advances the source watermark (never backwards) to before MAX_TIMESTAMP, as Beam Java's
   * builder: the end of time is `advanceWatermarkToInfinity()`, which ends the stream.
   */
  advanceWatermarkTo(watermark: Instant): TestStream<T> {
    this.checkNotEnded("advanceWatermarkTo");
    const last = this.lastWatermark();
    if (watermark < last) throw new RangeError(`TestStream watermark must not go backwards: ${watermark} < ${last}`);
    if (watermark >= MAX_TIMESTAMP) {
      throw new RangeError(`TestStream watermark must stay before MAX_TIMESTAMP (${MAX_TIMESTAMP}), got ${watermark}; end the stream with advanceWatermarkToInfinity()`);
    }
    return new TestStream<T>([...this.events, { kind: "watermark", watermark }]);
  }

  /** Advances virtual processing time by `millis` (> 0). */
  advanceProcessingTime(millis: number): TestStream<T> {
    this.checkNotEnded("advanceProcessingTime");
    if (!(Number.isInteger(millis) && millis > 0)) throw new RangeError(`advanceProcessingTime needs a positive integer, got ${millis}`);
    return new TestStream<T>([...this.events, { kind: "processingTime", advanceMillis: millis }]);
  }

  /** Advances the watermark to the end of time: every window fires and the stream ends (nothing can follow). */
  advanceWatermarkToInfinity(): TestStream<T> {
    this.checkNotEnded("advanceWatermarkToInfinity");
    return new TestStream<T>([...this.events, { kind: "watermark", watermark: MAX_TIMESTAMP }]);
  }

  /** Beam Java's advanceWatermarkToInfinity returns a finished TestStream, not a builder: nothing follows it. */
  private checkNotEnded(method: string): void {
    if (this.lastWatermark() >= MAX_TIMESTAMP) {
      throw new RangeError(`TestStream.${method}: the stream has ended (advanceWatermarkToInfinity was called); put every event before it`);
    }
  }

  private lastWatermark(): Instant {
    for (let i = this.events.length - 1; i >= 0; i--) {
      const e = this.events[i]!;
      if (e.kind === "watermark") return e.watermark;
    }
    return -Infinity;
  }

  expand(input: PBegin): PCollection<T> {
    const node = input.pipeline.currentNode();
    const spec: TestStreamSpec = { urn: TEST_STREAM_URN, events: this.events as readonly TestStreamEvent<unknown>[] };
    node.composite = spec;
    const out = input.apply("Impulse", Impulse.create()).apply("Events", ParDo.of(new EmitAll<T>(this.events)));
    out.isBounded = false;
    return out;
  }
}

/** @internal How a TestStream describes itself to runners. */
export interface TestStreamSpec {
  readonly urn: typeof TEST_STREAM_URN;
  readonly events: readonly TestStreamEvent<unknown>[];
}

declare module "../model/pipeline" {
  interface CompositeSpecs {
    [TEST_STREAM_URN]: TestStreamSpec;
  }
}
