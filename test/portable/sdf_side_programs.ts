/**
 * Splittable DoFns with side inputs and tagged outputs, as programs the SDK worker can rebuild
 * (DirectRunner, worker and real-runner tests): Beam Java's SplittableDoFnTest SDFWithSideInput
 * (testWindowedSideInput) and SDFWithAdditionalOutput (testAdditionalOutput).
 */
import { AsSingleton, Create, definePipeline, FixedWindows, OffsetRange, OffsetRangeCoder, OffsetRangeTracker, ParDo, SplittableDoFn, Window } from "../../lib";
import type { PCollection, Pipeline, RestrictionTracker, SplittableProcessContext } from "../../lib";
import { WriteToText } from "../../lib/io/textio";

/** Beam's SDFWithSideInput: claims its one offset and outputs "<side input>:<element>". */
export class SdfWithSideInput extends SplittableDoFn<number, string, OffsetRange, number, {}, { side: string }> {
  readonly restrictionCoder = OffsetRangeCoder.INSTANCE;
  constructor(readonly unboundedPerElement: boolean) {
    super();
  }
  initialRestriction(): OffsetRange {
    return new OffsetRange(0, 1);
  }
  newTracker(range: OffsetRange): RestrictionTracker<OffsetRange, number> {
    return new OffsetRangeTracker(range);
  }
  process(element: number, tracker: RestrictionTracker<OffsetRange, number>, ctx: SplittableProcessContext<string, {}, { side: string }>): void {
    if (!tracker.tryClaim(tracker.currentRestriction().from)) throw new Error("the first claim failed");
    ctx.output(`${ctx.sideInputs.side}:${element}`);
  }
}

/** Beam's SDFWithAdditionalOutput: "main:<element>" to the main output, "additional:<element>" to `additional`. */
export class SdfWithAdditionalOutput extends SplittableDoFn<number, string, OffsetRange, number, { additional: string }> {
  readonly restrictionCoder = OffsetRangeCoder.INSTANCE;
  constructor(readonly unboundedPerElement: boolean) {
    super();
  }
  initialRestriction(): OffsetRange {
    return new OffsetRange(0, 1);
  }
  newTracker(range: OffsetRange): RestrictionTracker<OffsetRange, number> {
    return new OffsetRangeTracker(range);
  }
  process(element: number, tracker: RestrictionTracker<OffsetRange, number>, ctx: SplittableProcessContext<string, { additional: string }>): void {
    if (!tracker.tryClaim(tracker.currentRestriction().from)) throw new Error("the first claim failed");
    ctx.output(`main:${element}`);
    ctx.outputTo("additional", `additional:${element}`);
  }
}

/** Beam's testWindowedSideInput: main input 0..7 at 0..7 ms in 2 ms windows, side input "a"@0, "b"@4 in 4 ms windows. */
export function windowedSideInput(root: Pipeline, unbounded: boolean): PCollection<string> {
  const main = root
    .apply("Main", Create.timestamped([0, 1, 2, 3, 4, 5, 6, 7].map((i) => ({ value: i, timestamp: i }))))
    .apply("Window2", Window.into(new FixedWindows(2)));
  const side = root
    .apply("Side", Create.timestamped([{ value: "a", timestamp: 0 }, { value: "b", timestamp: 4 }]))
    .apply("Window4", Window.into(new FixedWindows(4)));
  return main.apply("WithSide", ParDo.splittable(new SdfWithSideInput(unbounded), { sideInputs: { side: AsSingleton(side) } }));
}

/** What testWindowedSideInput expects. */
export const WINDOWED_SIDE_EXPECTED = ["a:0", "a:1", "a:2", "a:3", "b:4", "b:5", "b:6", "b:7"];

export const sdfSideInputProgram = definePipeline({
  name: "portable-test-sdf-side-input",
  description: "Beam's testWindowedSideInput: a splittable DoFn reading a windowed singleton side input → text",
  flags: {
    output: { type: "string", describe: "Output folder", default: "" },
    unbounded: { type: "boolean", describe: "Whether the fn is unbounded per element", default: false },
  },
  build(root, flags) {
    const res = windowedSideInput(root, flags.unbounded);
    if (flags.output !== "") res.apply("Write", WriteToText.to(`${flags.output}/res`, { numShards: 1 }));
  },
});

/** Beam's testAdditionalOutput: the main and additional outputs of 0, 1, 2. */
export const sdfTaggedOutputProgram = definePipeline({
  name: "portable-test-sdf-tagged-output",
  description: "Beam's testAdditionalOutput: a splittable DoFn with a tagged output → two text outputs",
  flags: {
    output: { type: "string", describe: "Output folder", default: "" },
    unbounded: { type: "boolean", describe: "Whether the fn is unbounded per element", default: false },
  },
  build(root, flags) {
    const res = root.apply("Input", Create.of(0, 1, 2)).apply("Tagged", ParDo.splittable(new SdfWithAdditionalOutput(flags.unbounded)).withOutputs("additional"));
    if (flags.output === "") return;
    res.main.apply("WriteMain", WriteToText.to(`${flags.output}/main`, { numShards: 1 }));
    res.additional.apply("WriteAdditional", WriteToText.to(`${flags.output}/additional`, { numShards: 1 }));
  },
});
