/**
 * Type-level tests of the public splittable DoFn API: ParDo.splittable's input and output types
 * come from the SplittableDoFn, the tracker's restriction and position types reach process, and the
 * wrong uses the types refuse. Fails to COMPILE when a type breaks; each `@ts-expect-error` line
 * fails to compile when the wrong use it shows stops being an error.
 */
import { strict as assert } from "node:assert";
import { Create, OffsetRange, OffsetRangeCoder, OffsetRangeTracker, ParDo, Pipeline, ProcessContinuation, SplittableDoFn } from "../../lib";
import type { ManualWatermarkEstimator, PCollection, RestrictionTracker, SplitResult, SplittableParDo, SplittableProcessContext } from "../../lib";
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
    const p = Pipeline.create();
    const out = p.apply(Create.of("a")).apply(ParDo.splittable(new Lengths()));
    expectType(out)<PCollection<number>>(true);
  });
});
