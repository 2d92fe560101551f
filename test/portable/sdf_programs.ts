/**
 * A user splittable DoFn as a program the SDK worker can rebuild (worker and real-runner tests):
 * Beam's PairStringWithIndexToLength over timestamped words, the pairs written as text.
 */
import { Create, definePipeline, FixedWindows, GroupByKey, kv, OffsetRange, Window, OffsetRangeCoder, OffsetRangeTracker, ParDo, ProcessContinuation, SplittableDoFn } from "../../lib";
import type { KV, RestrictionTracker, SplittableProcessContext } from "../../lib";
import { WriteToText } from "../../lib/io/textio";

/** Beam's PairStringWithIndexToLength: outputs (element, i) for each index, checkpointing every 3 claims; splits the range in halves. */
export class PairStringWithIndexToLength extends SplittableDoFn<string, KV<string, number>, OffsetRange, number> {
  /** setup and teardown calls of every instance in this process: "<instance> setup|teardown". */
  static readonly lifecycle: string[] = [];
  private static instances = 0;
  private readonly instance = PairStringWithIndexToLength.instances++;
  readonly restrictionCoder = OffsetRangeCoder.INSTANCE;
  setup(): void {
    PairStringWithIndexToLength.lifecycle.push(`${this.instance} setup`);
  }
  teardown(): void {
    PairStringWithIndexToLength.lifecycle.push(`${this.instance} teardown`);
  }
  initialRestriction(element: string): OffsetRange {
    return new OffsetRange(0, element.length);
  }
  splitRestriction(_: string, range: OffsetRange): OffsetRange[] {
    const mid = Math.floor((range.from + range.to) / 2);
    return [new OffsetRange(range.from, mid), new OffsetRange(mid, range.to)];
  }
  newTracker(range: OffsetRange): RestrictionTracker<OffsetRange, number> {
    return new OffsetRangeTracker(range);
  }
  process(element: string, tracker: RestrictionTracker<OffsetRange, number>, ctx: SplittableProcessContext<KV<string, number>>): ProcessContinuation {
    for (let i = tracker.currentRestriction().from, n = 0; tracker.tryClaim(i); i++, n++) {
      ctx.output(kv(element, i));
      if (n % 3 === 0) return ProcessContinuation.resume();
    }
    return ProcessContinuation.stop();
  }
}

export const SDF_WORDS = [
  { value: "a", timestamp: 1000 },
  { value: "bb", timestamp: 2000 },
  { value: "ccccccc", timestamp: 3000 },
];

/** What the program writes: each word's indices, at the word's timestamp. */
export const SDF_EXPECTED = SDF_WORDS.flatMap((w) => [...w.value].map((_, i) => `${w.value}:${i}@${w.timestamp}`)).sort();

export const sdfProgram = definePipeline({
  name: "portable-test-sdf",
  description: "Create → ParDo.splittable(PairStringWithIndexToLength) → text",
  flags: { output: { type: "string", describe: "Output folder (none: the pairs are the last step's output)", default: "" } },
  build(root, flags) {
    const pairs = root
      .apply("Words", Create.timestamped(SDF_WORDS))
      .apply("PairWithIndex", ParDo.splittable(new PairStringWithIndexToLength()))
      .apply(
        "Format",
        ParDo.into<string>().of((p: KV<string, number>, ctx) => ctx.output(`${p.key}:${p.value}@${ctx.timestamp}`)),
      );
    if (flags.output !== "") pairs.apply("Write", WriteToText.to(`${flags.output}/pairs`, { numShards: 1 }));
  },
});

/** Outputs offset i at event time i seconds, moves its watermark estimate past it, and checkpoints for `delayMs`. */
export class Ticker extends SplittableDoFn<string, string, OffsetRange, number> {
  readonly restrictionCoder = OffsetRangeCoder.INSTANCE;
  constructor(
    private readonly ticks: number,
    private readonly delayMs: number,
  ) {
    super();
  }
  initialRestriction(): OffsetRange {
    return new OffsetRange(0, this.ticks);
  }
  newTracker(range: OffsetRange): RestrictionTracker<OffsetRange, number> {
    return new OffsetRangeTracker(range);
  }
  process(element: string, tracker: RestrictionTracker<OffsetRange, number>, ctx: SplittableProcessContext<string>): ProcessContinuation {
    const i = tracker.currentRestriction().from;
    if (!tracker.tryClaim(i)) return ProcessContinuation.stop();
    ctx.outputWithTimestamp(`${element}${i}`, i * 1000);
    ctx.watermarkEstimator.setWatermark((i + 1) * 1000);
    return ProcessContinuation.resume().withResumeDelay(this.delayMs);
  }
}

/** The ticker declared unbounded per element (Beam's @UnboundedPerElement): its output is a streaming PCollection. */
export class UnboundedTicker extends Ticker {
  override readonly unboundedPerElement = true;
}

/** Each tick in its own 1 s window, grouped: one on-time pane per window (the SDF's watermark holds them open). */
export const TICKER_EXPECTED = [0, 1, 2, 3, 4].map((i) => `${i * 1000}:${i * 1000 + 1000} x${i} ON_TIME`);

export const tickerProgram = definePipeline({
  name: "portable-test-sdf-ticker",
  description: "Create → ParDo.splittable(Ticker) (checkpoints with a delay and a watermark) → 1 s windows → GroupByKey → text",
  flags: {
    output: { type: "string", describe: "Output folder", required: true },
    unbounded: { type: "boolean", describe: "Declare the ticker unbounded per element (a streaming job)", default: false },
  },
  build(root, flags) {
    const ticker = flags.unbounded ? new UnboundedTicker(5, 100) : new Ticker(5, 100);
    root
      .apply("Start", Create.of("x"))
      .apply("Tick", ParDo.splittable(ticker))
      .apply("Window", Window.into(new FixedWindows(1000)))
      .map("Key", (s: string) => kv("k", s))
      .apply("Group", GroupByKey.create())
      .apply(
        "Describe",
        ParDo.into<string>().of((g: KV<string, Iterable<string>>, ctx) => {
          const w = ctx.window as unknown as { start: number; end: number };
          ctx.output(`${w.start}:${w.end} ${[...g.value].sort().join(",")} ${ctx.pane.timing}`);
        }),
      )
      .apply("Write", WriteToText.to(`${flags.output}/ticks`, { numShards: 1 }));
  },
});

/**
 * Beam's BundleFinalizingSplittableDoFn: until its finalization callback has run, it claims one
 * more offset, registers the callback and checkpoints; once it has run, it outputs the element and
 * stops. `key` names the run (the callback's flag is kept by key in this process: LOOPBACK workers
 * run here).
 */
export class BundleFinalizing extends SplittableDoFn<string, string, OffsetRange, number> {
  static readonly MAX_ATTEMPTS = 3000;
  static readonly finalized = new Set<string>();
  readonly restrictionCoder = OffsetRangeCoder.INSTANCE;
  override readonly requestsFinalization: boolean = true;
  constructor(private readonly key: string) {
    super();
  }
  initialRestriction(): OffsetRange {
    return new OffsetRange(0, BundleFinalizing.MAX_ATTEMPTS);
  }
  newTracker(range: OffsetRange): RestrictionTracker<OffsetRange, number> {
    // Only checkpoints, as Beam's test's tracker.
    return new (class extends OffsetRangeTracker {
      override trySplit() {
        return super.trySplit(0);
      }
    })(range);
  }
  async process(element: string, tracker: RestrictionTracker<OffsetRange, number>, ctx: SplittableProcessContext<string>): Promise<ProcessContinuation> {
    const from = tracker.currentRestriction().from;
    if (BundleFinalizing.finalized.has(this.key)) {
      tracker.tryClaim(from + 1);
      ctx.output(element);
      tracker.tryClaim(Number.MAX_SAFE_INTEGER);
      return ProcessContinuation.stop();
    }
    if (!tracker.tryClaim(from + 1)) return ProcessContinuation.stop();
    ctx.afterBundleCommit(() => void BundleFinalizing.finalized.add(this.key));
    await new Promise((resolve) => setTimeout(resolve, 10));
    return ProcessContinuation.resume();
  }
}

export const bundleFinalizingProgram = definePipeline({
  name: "portable-test-sdf-finalizing",
  description: "Create → ParDo.splittable(BundleFinalizing) → text",
  flags: {
    key: { type: "string", describe: "Names the run's finalization flag", required: true },
    output: { type: "string", describe: "Output folder (none: the element is the last step's output)", default: "" },
  },
  build(root, flags) {
    const out = root.apply("Start", Create.of("foo")).apply("Finalizing", ParDo.splittable(new BundleFinalizing(flags.key)));
    if (flags.output !== "") out.apply("Write", WriteToText.to(`${flags.output}/out`, { numShards: 1 }));
  },
});

/**
 * Outputs each offset of [0, 100); after its first claim it waits for `Gated.gate` (when set), so a
 * test can ask the runner-side split of the element while it is being processed.
 */
export class Gated extends SplittableDoFn<string, number, OffsetRange, number> {
  /** Set by a test: `reached` resolves when process waits, `release` lets it go on. */
  static gate: { reached: () => void; wait: Promise<void> } | undefined;
  readonly restrictionCoder = OffsetRangeCoder.INSTANCE;
  initialRestriction(): OffsetRange {
    return new OffsetRange(0, 100);
  }
  newTracker(range: OffsetRange): RestrictionTracker<OffsetRange, number> {
    return new OffsetRangeTracker(range);
  }
  async process(_: string, tracker: RestrictionTracker<OffsetRange, number>, ctx: SplittableProcessContext<number>): Promise<ProcessContinuation> {
    for (let i = tracker.currentRestriction().from; tracker.tryClaim(i); i++) {
      ctx.output(i);
      const gate = Gated.gate;
      if (gate !== undefined) {
        Gated.gate = undefined;
        gate.reached();
        await gate.wait;
      }
    }
    return ProcessContinuation.stop();
  }
}

export const gatedProgram = definePipeline({
  name: "portable-test-sdf-gated",
  description: "Create → ParDo.splittable(Gated)",
  flags: {},
  build(root) {
    root.apply("Start", Create.of("x")).apply("Gated", ParDo.splittable(new Gated()));
  },
});

/** Outputs each offset of [0, n) of its element, pausing now and then (a long-running element, which runners may split while it runs). */
export class SlowRange extends SplittableDoFn<number, number, OffsetRange, number> {
  readonly restrictionCoder = OffsetRangeCoder.INSTANCE;
  initialRestriction(n: number): OffsetRange {
    return new OffsetRange(0, n);
  }
  newTracker(range: OffsetRange): RestrictionTracker<OffsetRange, number> {
    return new OffsetRangeTracker(range);
  }
  async process(_: number, tracker: RestrictionTracker<OffsetRange, number>, ctx: SplittableProcessContext<number>): Promise<ProcessContinuation> {
    for (let i = tracker.currentRestriction().from; tracker.tryClaim(i); i++) {
      ctx.output(i);
      if (i % 50 === 0) await new Promise((resolve) => setTimeout(resolve, 20));
    }
    return ProcessContinuation.stop();
  }
}

export const SLOW_RANGE_SIZE = 4000;

export const slowRangeProgram = definePipeline({
  name: "portable-test-sdf-slow-range",
  description: "Create → ParDo.splittable(SlowRange) → text",
  flags: { output: { type: "string", describe: "Output folder", required: true } },
  build(root, flags) {
    root
      .apply("Start", Create.of(SLOW_RANGE_SIZE))
      .apply("Range", ParDo.splittable(new SlowRange()))
      .map("Format", (i: number) => String(i))
      .apply("Write", WriteToText.to(`${flags.output}/offsets`, { numShards: 1 }));
  },
});
