/** A splittable DoFn with a tagged output after a Pub/Sub read, for the parallel streaming tests (worker threads rebuild it from this module). */
import { definePipeline, Flatten, OffsetRange, OffsetRangeCoder, OffsetRangeTracker, ParDo, SplittableDoFn } from "../../lib";
import type { RestrictionTracker, SplittableProcessContext } from "../../lib";
import { ReadFromPubSub, WriteToPubSub } from "../../lib/io/pubsub";

/** Beam's SDFWithAdditionalOutput over Pub/Sub payloads: "main:<payload>" to the main output, "additional:<payload>" to `additional`. */
class TaggedPayloads extends SplittableDoFn<Uint8Array, string, OffsetRange, number, { additional: string }> {
  readonly restrictionCoder = OffsetRangeCoder.INSTANCE;
  initialRestriction(): OffsetRange {
    return new OffsetRange(0, 1);
  }
  newTracker(range: OffsetRange): RestrictionTracker<OffsetRange, number> {
    return new OffsetRangeTracker(range);
  }
  process(data: Uint8Array, tracker: RestrictionTracker<OffsetRange, number>, ctx: SplittableProcessContext<string, { additional: string }>): void {
    if (!tracker.tryClaim(tracker.currentRestriction().from)) throw new Error("the first claim failed");
    const text = Buffer.from(data).toString("utf8");
    ctx.output(`main:${text}`);
    ctx.outputTo("additional", `additional:${text}`);
  }
}

/** Pub/Sub → ParDo.splittable(TaggedPayloads).withOutputs("additional") → both outputs → Pub/Sub. */
export const sdfTaggedFromPubSub = definePipeline({
  name: "test-parallel-streaming-sdf-tagged",
  description: "a splittable DoFn with a tagged output on parallel streaming instances",
  flags: {
    input: { type: "string", describe: "subscription to read", required: true },
    output: { type: "string", describe: "topic to write both outputs to", required: true },
  },
  build(root, f) {
    const outs = root.apply("Read", ReadFromPubSub.from({ subscription: f.input })).apply("Tagged", ParDo.splittable(new TaggedPayloads()).withOutputs("additional"));
    outs.main
      .apply("Both", Flatten.with(outs.additional))
      .map("Encode", (s: string) => new Uint8Array(Buffer.from(s)))
      .apply("Write", WriteToPubSub.to(f.output));
  },
});
