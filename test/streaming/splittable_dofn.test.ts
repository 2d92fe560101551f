/**
 * User splittable DoFns on the streaming DirectRunner, driven by TestStream (virtual processing
 * time): a checkpointed residual resumes once processing time passes its delay; while it waits
 * the step's output watermark is held at the fn's watermark estimate, so downstream windows do
 * not close before it outputs into them (Beam's testLateData idea); at the end of input the rest is
 * finished (only a drain truncates, and only an unbounded-per-element fn's input ends by a drain).
 */
import { strict as assert } from "node:assert";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { Create, FixedWindows, GroupByKey, Keys, OffsetRange, OffsetRangeCoder, OffsetRangeTracker, ParDo, ProcessContinuation, SplittableDoFn, Window, kv } from "../../lib";
import type { KV, RestrictionTracker, SplittableProcessContext } from "../../lib";
import { TestStream } from "../../lib/testing/test_stream";
import { PairStringWithIndexToLength } from "../portable/sdf_programs";
import type { PipelineOptions } from "../../lib/model/options";
import { runDirect } from "../helpers";
import { collect, type Observed, paneOf } from "./collect";

/** Outputs offset i at event time i seconds, moves its watermark estimate past it, and checkpoints for a second. */
class Ticker extends SplittableDoFn<string, string, OffsetRange, number> {
  readonly restrictionCoder = OffsetRangeCoder.INSTANCE;
  constructor(private readonly finishOnDrain: boolean) {
    super();
  }
  initialRestriction(): OffsetRange {
    return new OffsetRange(0, 5);
  }
  newTracker(range: OffsetRange): RestrictionTracker<OffsetRange, number> {
    return new OffsetRangeTracker(range);
  }
  truncateRestriction(_: string, range: OffsetRange): OffsetRange | undefined {
    return this.finishOnDrain ? range : undefined;
  }
  process(element: string, tracker: RestrictionTracker<OffsetRange, number>, ctx: SplittableProcessContext<string>): ProcessContinuation {
    const i = tracker.currentRestriction().from;
    if (!tracker.tryClaim(i)) return ProcessContinuation.stop();
    ctx.outputWithTimestamp(`${element}${i}`, i * 1000);
    ctx.watermarkEstimator.setWatermark((i + 1) * 1000);
    return ProcessContinuation.resume().withResumeDelay(1000);
  }
}

/**
 * Unbounded per element (Beam's @UnboundedPerElement, as Watch): outputs the processing time of
 * each call, then resumes a second later, forever.
 */
class Poller extends SplittableDoFn<string, string, OffsetRange, number> {
  readonly restrictionCoder = OffsetRangeCoder.INSTANCE;
  readonly unboundedPerElement = true;
  initialRestriction(): OffsetRange {
    return new OffsetRange(0, Number.MAX_SAFE_INTEGER);
  }
  newTracker(range: OffsetRange): RestrictionTracker<OffsetRange, number> {
    return new OffsetRangeTracker(range);
  }
  /** On drain, nothing more (as Beam's default for an unbounded restriction). */
  truncateRestriction(): undefined {
    return undefined;
  }
  process(element: string, tracker: RestrictionTracker<OffsetRange, number>, ctx: SplittableProcessContext<string>): ProcessContinuation {
    if (!tracker.tryClaim(tracker.currentRestriction().from)) return ProcessContinuation.stop();
    ctx.output(`${element}@${ctx.processingTime}`);
    return ProcessContinuation.resume().withResumeDelay(1000);
  }
}

async function run(script: TestStream<string>, finishOnDrain: boolean, options: Partial<PipelineOptions> = {}): Promise<string[]> {
  const out: Observed<KV<string, string[]>>[] = [];
  const result = await runDirect((p) => {
    const ticks = p.apply(script).apply(ParDo.splittable(new Ticker(finishOnDrain)));
    const grouped = ticks
      .apply(Window.into(new FixedWindows(1000)))
      .map("Key", (s: string) => kv("k", s))
      .apply(GroupByKey.create());
    collect(grouped, out);
  }, options);
  assert.equal(await result.waitUntilFinish(), "DONE", result.error?.message);
  return out.map((o) => `${o.value.value.join(",")} ${o.window} ${paneOf(o.pane)}`);
}

describe("Streaming DirectRunner: splittable DoFns", function () {
  this.timeout(60_000);

  it("resumes a checkpoint once processing time passes its delay; the end of the input is no drain: the rest is finished, not truncated", async () => {
    const script = TestStream.create<string>()
      .addElements({ value: "x", timestamp: 0 })
      .advanceProcessingTime(999) // the first residual waits for 1000
      .advanceProcessingTime(1) // 1000: x1
      .advanceProcessingTime(500)
      .advanceProcessingTime(500) // 2000: x2
      .advanceWatermarkToInfinity(); // the input ends: x3, x4 too, though the fn's truncateRestriction would drop them on a drain
    assert.deepEqual(await run(script, false), HOLD_EXPECTED);
  });

  it("holds the output watermark at the fn's estimate: outputs after the input watermark passed are on time, not late", async () => {
    assert.deepEqual(await run(holdScript(), true), HOLD_EXPECTED);
  });

  it("checkpoints a waiting residual with the run's state (--checkpoint_dir): its restriction is encoded with the fn's coder", async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "beamline-sdf-checkpoint-"));
    try {
      assert.deepEqual(await run(holdScript(), true, { checkpointDir: dir, checkpointIntervalMs: 0 }), HOLD_EXPECTED);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});

const HOLD_EXPECTED = [
  "x0 0:1000 ON_TIME#0/0 first last",
  "x1 1000:2000 ON_TIME#0/0 first last",
  "x2 2000:3000 ON_TIME#0/0 first last",
  "x3 3000:4000 ON_TIME#0/0 first last",
  "x4 4000:5000 ON_TIME#0/0 first last",
];

function holdScript(): TestStream<string> {
  return TestStream.create<string>()
    .addElements({ value: "x", timestamp: 0 })
    .advanceWatermarkTo(10_000) // the input is done up to 10 s; the SDF still holds at 1 s
    .advanceProcessingTime(1000) // x1 at 1 s
    .advanceProcessingTime(1000) // x2 at 2 s
    .advanceWatermarkToInfinity(); // the input ends: x3, x4 are finished at once
}

describe("Streaming DirectRunner: splittable DoFns and late data", function () {
  this.timeout(60_000);

  it("an unbounded-per-element fn over a bounded input (Create) in a TestStream run works through the script in its virtual processing time; the script's end drains it", async () => {
    const out: Observed<string>[] = [];
    const result = await runDirect((p) => {
      // The script only moves processing time; the fn's input is a Create, which ends at once.
      p.apply(TestStream.create<string>().advanceProcessingTime(1000).advanceProcessingTime(1000).advanceProcessingTime(500).advanceWatermarkToInfinity());
      collect(p.apply("Inputs", Create.of("a")).apply(ParDo.splittable(new Poller())), out);
    });
    assert.equal(await result.waitUntilFinish(), "DONE", result.error?.message);
    assert.deepEqual(
      out.map((o) => o.value),
      ["a@0", "a@1000", "a@2000"],
      "one call per second of virtual time: the end of the Create is not a drain",
    );
  });

  it("passes late data through and keeps the input's windowing, so a GroupByKey after it drops the late element (Beam's testLateData)", async () => {
    const base = 1_700_000_000_000;
    const script = TestStream.create<string>()
      .advanceWatermarkTo(base)
      .addElements({ value: "aa", timestamp: base })
      .advanceWatermarkTo(base + 5000)
      .addElements({ value: "bb", timestamp: base - 3_600_000 }) // an hour late: its window has expired
      .advanceProcessingTime(3_600_000)
      .advanceWatermarkToInfinity();
    const afterSdf: Observed<KV<string, number>>[] = [];
    const nonLate: Observed<string>[] = [];
    const result = await runDirect((p) => {
      const input = p.apply(script).apply(Window.into(new FixedWindows(60_000), { allowedLatenessMillis: 60_000, accumulationMode: "DISCARDING" }));
      const pairs = input.apply(ParDo.splittable(new PairStringWithIndexToLength()));
      assert.equal(pairs.windowing, input.windowing, "the SDF's output keeps its input's windowing strategy");
      collect(pairs, afterSdf, "AfterSdf");
      collect(pairs.apply(GroupByKey.create()).apply(Keys.create()), nonLate, "NonLate");
    });
    assert.equal(await result.waitUntilFinish(), "DONE", result.error?.message);
    assert.deepEqual(afterSdf.map((o) => `${o.value.key}${o.value.value}`).sort(), ["aa0", "aa1", "bb0", "bb1"], "the SDF drops nothing");
    assert.deepEqual(nonLate.map((o) => o.value), ["aa"]);
  });
});
