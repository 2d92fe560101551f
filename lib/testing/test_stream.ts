/**
 * Unbounded sources: TestStream (a scripted stream for tests in virtual time) and ReadUnbounded
 * (a real-time source that runs until the pipeline is drained or cancelled).
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
 * Both produce UNBOUNDED PCollections: the DirectRunner runs such pipelines with its streaming
 * driver. Virtual processing time starts at 0.
 *
 * @category Testing
 */
import { DoFn, ProcessContext } from "../model/dofn";
import { PBegin, PCollection } from "../model/pcollection";
import { ParDo } from "../model/pardo";
import { Impulse } from "../model/primitives";
import { PTransform } from "../model/transform";
import { Instant, MAX_TIMESTAMP } from "../model/window";

/** An element with its event time. */
export interface TimestampedElement<T> {
  readonly value: T;
  readonly timestamp: Instant;
}

/** One step of a TestStream's script. */
export type TestStreamEvent<T> =
  | { readonly kind: "elements"; readonly elements: readonly TimestampedElement<T>[] }
  | { readonly kind: "watermark"; readonly watermark: Instant }
  | { readonly kind: "processingTime"; readonly advanceMillis: number };

/** Beam's TestStream URN (runner-executed on portable runners). */
export const TEST_STREAM_URN = "beam:transform:teststream:v1";
/** URN of a Beamline real-time unbounded read. */
export const READ_UNBOUNDED_URN = "beamline:transform:read_unbounded:v1";

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
  private constructor(readonly events: readonly TestStreamEvent<T>[]) {
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
    for (const e of elements) {
      if (!Number.isInteger(e.timestamp)) throw new RangeError(`TestStream element timestamps must be integers of milliseconds, got ${e.timestamp}`);
    }
    return new TestStream<T>([...this.events, { kind: "elements", elements }]);
  }

  /** Advances the source watermark (never backwards). */
  advanceWatermarkTo(watermark: Instant): TestStream<T> {
    const last = this.lastWatermark();
    if (watermark < last) throw new RangeError(`TestStream watermark must not go backwards: ${watermark} < ${last}`);
    return new TestStream<T>([...this.events, { kind: "watermark", watermark }]);
  }

  /** Advances virtual processing time by `millis` (> 0). */
  advanceProcessingTime(millis: number): TestStream<T> {
    if (!(Number.isInteger(millis) && millis > 0)) throw new RangeError(`advanceProcessingTime needs a positive integer, got ${millis}`);
    return new TestStream<T>([...this.events, { kind: "processingTime", advanceMillis: millis }]);
  }

  /** Advances the watermark to the end of time: every window fires and the stream ends. */
  advanceWatermarkToInfinity(): TestStream<T> {
    return this.advanceWatermarkTo(MAX_TIMESTAMP);
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

/** How a real-time run ended, as told to a source's close handler. */
export type SourceOutcome = "drained" | "done" | "cancelled" | "failed";

/** What a real-time source can do while it reads. */
export interface UnboundedSourceContext<T> {
  /**
   * Emits an element (timestamp: now, by default). The promise resolves once the runner has
   * room for more: await it to get backpressure from slow steps.
   *
   * A `receipt` (e.g. a message's ack id) is handed back to the `onCommit` handler once the
   * bundle that processed the element has completed: every step it reached has finished the
   * bundle, sinks included. Acknowledge upstream only then (at-least-once).
   */
  emit(value: T, timestamp?: Instant, receipt?: unknown): Promise<void>;
  /**
   * Declares that no element earlier than `watermark` will follow. Until the first call, the
   * watermark is the source's `initialWatermark`, or else follows the processing-time clock.
   */
  advanceWatermark(watermark: Instant): void;
  /** Aborted when the run drains or is cancelled: stop reading and return. */
  readonly signal: AbortSignal;
  /** Registers the handler of committed receipts (called in order, one bundle at a time; an error fails the run). */
  onCommit(handler: (receipts: readonly unknown[]) => Promise<void>): void;
  /**
   * Registers a handler called once when the run has ended, after the last commit: release what
   * the source holds. After "drained" or "done" every emitted element was committed; after
   * "cancelled" or "failed" the uncommitted ones should be given back for redelivery.
   */
  onClose(handler: (outcome: SourceOutcome) => Promise<void>): void;
}

/** A real-time source: `read` emits until it is told to stop (or the data ends) and then resolves. */
export interface UnboundedSource<T> {
  /**
   * The watermark until the source first calls `ctx.advanceWatermark` (e.g. the event time of the
   * oldest data it will emit, or MIN_TIMESTAMP). Without it the watermark follows the clock, so a
   * source replaying past event times must set it, or its elements arrive late and are dropped.
   */
  readonly initialWatermark?: Instant;
  read(ctx: UnboundedSourceContext<T>): Promise<void>;
}

/** @internal How a ReadUnbounded describes itself to runners. */
export interface ReadUnboundedSpec {
  readonly urn: typeof READ_UNBOUNDED_URN;
  readonly source: UnboundedSource<unknown>;
}

class NoElements<T> extends DoFn<Uint8Array, T> {
  process(): void {}
}

/**
 * Reads an unbounded source in real time: the pipeline runs until the source ends, `drain()`
 * or `cancel()` is called on the result, or the process gets SIGINT/SIGTERM (drain; a second
 * signal cancels).
 *
 *     p.apply(ReadUnbounded.from<string>({
 *       async read(ctx) {
 *         while (!ctx.signal.aborted) await ctx.emit(await nextMessage());
 *       },
 *     }));
 */
export class ReadUnbounded<T> extends PTransform<PBegin, PCollection<T>> {
  private constructor(private readonly source: UnboundedSource<T>) {
    super("ReadUnbounded");
  }
  static from<T>(source: UnboundedSource<T>): ReadUnbounded<T> {
    return new ReadUnbounded<T>(source);
  }
  expand(input: PBegin): PCollection<T> {
    const node = input.pipeline.currentNode();
    const spec: ReadUnboundedSpec = { urn: READ_UNBOUNDED_URN, source: this.source as UnboundedSource<unknown> };
    node.composite = spec;
    const out = input.apply("Impulse", Impulse.create()).apply("Read", ParDo.of(new NoElements<T>()));
    out.isBounded = false;
    return out;
  }
}
