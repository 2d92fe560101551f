/**
 * Type-level tests of the public splittable DoFn API: ParDo.splittable's input and output types
 * come from the SplittableDoFn, the tracker's restriction and position types reach process, and the
 * wrong uses the types refuse. Fails to COMPILE when a type breaks; each `@ts-expect-error` line
 * fails to compile when the wrong use it shows stops being an error.
 */
import { strict as assert } from "node:assert";
import { AsSingleton, Create, OffsetRange, OffsetRangeCoder, OffsetRangeTracker, ParDo, Pipeline, ProcessContinuation, SplittableDoFn, WatermarkEstimators } from "../../lib";
import type { Instant } from "../../lib/model/window";
import type { ManualWatermarkEstimator, PCollection, RestrictionTracker, SplitResult, SplittableParDo, SplittableProcessContext, WatermarkEstimator } from "../../lib";
import { expectType } from "./expect_type";

class Lengths extends SplittableDoFn<string, number, OffsetRange, number> {
  readonly restrictionCoder = OffsetRangeCoder.INSTANCE;
  initialRestriction(word: string): OffsetRange {
    return new OffsetRange(0, word.length);
  }
  newTracker(range: OffsetRange): RestrictionTracker<OffsetRange, number> {
    return new OffsetRangeTracker(range);
  }
  process(word: string, tracker: RestrictionTracker<OffsetRange, number>, ctx: SplittableProcessContext<number>): ProcessContinuation {
    expectType(tracker.currentRestriction())<OffsetRange>(true);
    expectType(tracker.tryClaim(0))<boolean>(true);
    expectType(tracker.trySplit(0))<SplitResult<OffsetRange> | undefined>(true);
    expectType(ctx.watermarkEstimator)<ManualWatermarkEstimator>(true);
    // @ts-expect-error -- positions of an OffsetRange are numbers
    tracker.tryClaim("0");
    // @ts-expect-error -- the output type is number
    ctx.output(word);
    ctx.outputWithTimestamp(word.length, ctx.timestamp);
    return ProcessContinuation.resume().withResumeDelay(1000);
  }
}

/** Side inputs, a tagged output and another watermark estimator. */
class Tagged extends SplittableDoFn<string, number, OffsetRange, number, { errors: string }, { factor: number }> {
  readonly restrictionCoder = OffsetRangeCoder.INSTANCE;
  initialRestriction(word: string): OffsetRange {
    return new OffsetRange(0, word.length);
  }
  newTracker(range: OffsetRange): RestrictionTracker<OffsetRange, number> {
    return new OffsetRangeTracker(range);
  }
  newWatermarkEstimator(state: Instant): WatermarkEstimator {
    return new WatermarkEstimators.MonotonicallyIncreasing(state);
  }
  process(word: string, tracker: RestrictionTracker<OffsetRange, number>, ctx: SplittableProcessContext<number, { errors: string }, { factor: number }>): void {
    expectType(ctx.sideInputs.factor)<number>(true);
    // @ts-expect-error -- no side input of that name
    void ctx.sideInputs.other;
    ctx.outputTo("errors", word);
    ctx.outputToWithTimestamp("errors", word, ctx.timestamp);
    // @ts-expect-error -- the tag's type is string
    ctx.outputTo("errors", 1);
    // @ts-expect-error -- no such tag
    ctx.outputTo("other", word);
    if (tracker.tryClaim(0)) ctx.output(ctx.sideInputs.factor);
  }
}

function sideInputsAndTags(words: PCollection<string>, factors: PCollection<number>, names: PCollection<string>): void {
  const factor = AsSingleton(factors);
  expectType(words.apply(ParDo.splittable(new Tagged(), { sideInputs: { factor } })))<PCollection<number>>(true);
  const outs = words.apply(ParDo.splittable(new Tagged(), { sideInputs: { factor } }).withOutputs("errors"));
  expectType(outs.main)<PCollection<number>>(true);
  expectType(outs.errors)<PCollection<string>>(true);
  // @ts-expect-error -- the fn reads side inputs: they must be given
  ParDo.splittable(new Tagged());
  // @ts-expect-error -- the side input is a number, not a string
  ParDo.splittable(new Tagged(), { sideInputs: { factor: AsSingleton(names) } });
  // @ts-expect-error -- not one of the fn's tags
  ParDo.splittable(new Tagged(), { sideInputs: { factor } }).withOutputs("other");
  // @ts-expect-error -- a fn without side inputs takes none
  ParDo.splittable(new Lengths(), { sideInputs: { factor } });
  // @ts-expect-error -- an estimator's state is an Instant
  new WatermarkEstimators.WallTime("now");
}

function wrongUses(words: PCollection<string>, counts: PCollection<number>): void {
  const applied = ParDo.splittable(new Lengths());
  expectType(applied)<SplittableParDo<string, number>>(true);
  expectType(words.apply(applied))<PCollection<number>>(true);
  // @ts-expect-error -- the fn reads strings
  counts.apply(ParDo.splittable(new Lengths()));
  // @ts-expect-error -- a splittable DoFn is not a DoFn: ParDo.of does not take one
  words.apply(ParDo.of(new Lengths()));
  // @ts-expect-error -- the abstract restrictionCoder must be implemented
  class NoCoder extends SplittableDoFn<string, number, OffsetRange> {
    initialRestriction(): OffsetRange {
      return new OffsetRange(0, 1);
    }
    newTracker(range: OffsetRange): OffsetRangeTracker {
      return new OffsetRangeTracker(range);
    }
    process(): void {}
  }
  void new NoCoder();
}

describe("Types: the splittable DoFn API", () => {
  it("compiles (the checks are in the types); ParDo.splittable applies", () => {
    assert.equal(typeof wrongUses, "function");
    assert.equal(typeof sideInputsAndTags, "function");
    const p = Pipeline.create();
    const out = p.apply(Create.of("a")).apply(ParDo.splittable(new Lengths()));
    expectType(out)<PCollection<number>>(true);
  });
});
