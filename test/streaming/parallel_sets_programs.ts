/** A Sets program of the parallel streaming tests (worker threads rebuild it from this module). */
import { definePipeline, FixedWindows, ParDo, Sets, Window, type PCollection, type ProcessContext } from "../../lib";
import { ReadFromPubSub, WriteToPubSub } from "../../lib/io/pubsub";
import { IntervalWindow } from "../../lib/model/window";
import type { Pipeline } from "../../lib/model/pipeline";

/** One subscription's words (a message's data), at their event times ('ts'), in 10 s windows. */
function words(root: Pipeline, label: string, subscription: string): PCollection<string> {
  return root
    .apply(`Read${label}`, ReadFromPubSub.from({ subscription, timestampAttribute: "ts" }))
    .map(`Text${label}`, (data: Uint8Array) => Buffer.from(data).toString("utf8"))
    .apply(`Window${label}`, Window.into<string>(new FixedWindows(10_000)));
}

/** Left and right words → Sets.intersectAll and Sets.exceptAll per window → "op word start:end" lines on Pub/Sub. */
export const parallelSets = definePipeline({
  name: "test-parallel-streaming-sets",
  description: "Sets on parallel streaming instances",
  flags: {
    left: { type: "string", describe: "subscription of the left words", required: true },
    right: { type: "string", describe: "subscription of the right words", required: true },
    output: { type: "string", describe: "topic to write the results to", required: true },
  },
  build(root, f) {
    const left = words(root, "Left", f.left);
    const right = words(root, "Right", f.right);
    const describe = (op: string) =>
      ParDo.of((w: string, ctx: ProcessContext<Uint8Array>) => {
        const win = ctx.window as IntervalWindow;
        ctx.output(Buffer.from(`${op} ${w} ${win.start}:${win.end}`));
      });
    const intersect = left.apply("IntersectAll", Sets.intersectAll(right)).apply("DescribeIntersect", describe("intersectAll"));
    const except = left.apply("ExceptAll", Sets.exceptAll(right)).apply("DescribeExcept", describe("exceptAll"));
    intersect.apply("WriteIntersect", WriteToPubSub.to(f.output));
    except.apply("WriteExcept", WriteToPubSub.to(f.output));
  },
});
