/**
 * A splittable DoFn over int64 bigints (BigIntVarIntCoder, beam:coder:varint:v1) with a
 * restriction coder of the user's own (a URN no registry knows), for the portable and real-runner
 * tests. A runner expanding the SDF makes the PCollections between its phases itself
 * (KV(element, restriction), then KV(that, size)) from the proto's coders, so the worker must take
 * their JS values from the SDK's coders too. Each line names the JS type of the element it came
 * from, so a number where a bigint belongs shows.
 */
import { Create, definePipeline, OffsetRange, OffsetRangeTracker, ParDo, ProcessContinuation, SplittableDoFn } from "../../lib";
import type { RestrictionTracker, SplittableProcessContext } from "../../lib";
import type { ByteReader, ByteWriter } from "../../lib/coders/byte_io";
import type { Coder } from "../../lib/coders/coder";
import { BigIntVarIntCoder } from "../../lib/coders/primitive";
import { WriteToText } from "../../lib/io/textio";

/** 2^53 + 1 (not a JS number) and int64's extremes. */
const NUMBERS: readonly bigint[] = [9007199254740993n, -9223372036854775808n, 9223372036854775807n];

/** An OffsetRange as two varints under a URN of the user's own: the registry cannot build it, only the SDK's coder can. */
export class UserRangeCoder implements Coder<OffsetRange> {
  static readonly INSTANCE = new UserRangeCoder();
  readonly urn = "beamline-test:coder:user_range:v1";
  readonly components = [];
  readonly deterministic = true;
  encode(value: OffsetRange, out: ByteWriter): void {
    out.writeVarInt(value.from);
    out.writeVarInt(value.to);
  }
  decode(input: ByteReader): OffsetRange {
    return new OffsetRange(input.readVarInt(), input.readVarInt());
  }
}

/**
 * Outputs "<n>:<typeof n>#<i>" for i in [0, 3), split into [0, 1) and [1, 3); with `checkpoint`,
 * it resumes after each claim, so the runner gets the element back in residuals (the in-suite
 * runner does not reschedule residuals: it runs it without).
 */
export class IndexBigInts extends SplittableDoFn<bigint, string, OffsetRange, number> {
  readonly restrictionCoder = UserRangeCoder.INSTANCE;
  constructor(private readonly checkpoint: boolean) {
    super();
  }
  initialRestriction(): OffsetRange {
    return new OffsetRange(0, 3);
  }
  splitRestriction(_n: bigint, range: OffsetRange): OffsetRange[] {
    return [new OffsetRange(range.from, range.from + 1), new OffsetRange(range.from + 1, range.to)];
  }
  newTracker(range: OffsetRange): RestrictionTracker<OffsetRange, number> {
    return new OffsetRangeTracker(range);
  }
  process(n: bigint, tracker: RestrictionTracker<OffsetRange, number>, ctx: SplittableProcessContext<string>): ProcessContinuation {
    // A number here (2^53 + 1 read as 2^53) would print without its bigint type, or off by one.
    for (let i = tracker.currentRestriction().from; tracker.tryClaim(i); i++) {
      ctx.output(`${String(n)}:${typeof n}#${i}`);
      if (this.checkpoint) return ProcessContinuation.resume();
    }
    return ProcessContinuation.stop();
  }
}

/** What `sdfBigintProgram` writes under --output/indexed (sorted). */
export const SDF_BIGINT_EXPECTED: readonly string[] = NUMBERS.flatMap((n) => [0, 1, 2].map((i) => `${String(n)}:bigint#${i}`)).sort();

export const sdfBigintProgram = definePipeline({
  name: "portable-test-sdf-bigint",
  description: "int64 bigints (BigIntVarIntCoder) into a splittable DoFn with a user's restriction coder",
  flags: {
    output: { type: "string", describe: "Output folder", required: true },
    checkpoint: { type: "boolean", describe: "Resume after each claim (the runner reschedules residuals)", default: false },
  },
  build(root, flags) {
    root
      .apply("Numbers", Create.from([...NUMBERS]))
      .setCoder(BigIntVarIntCoder.INSTANCE)
      .apply("IndexBigInts", ParDo.splittable(new IndexBigInts(flags.checkpoint)))
      .apply("WriteIndexed", WriteToText.to(`${flags.output}/indexed`, { numShards: 1 }));
  },
});
