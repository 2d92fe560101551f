/**
 * A user splittable DoFn as a program the SDK worker can rebuild (worker and real-runner tests):
 * Beam's PairStringWithIndexToLength over timestamped words, the pairs written as text.
 */
import { Create, definePipeline, kv, OffsetRange, OffsetRangeCoder, OffsetRangeTracker, ParDo, ProcessContinuation, SplittableDoFn } from "../../lib";
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
