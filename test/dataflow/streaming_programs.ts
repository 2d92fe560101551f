/** Pipeline programs for the DataflowRunner streaming tests: Pub/Sub in and out, readers of the write's ids, a bounded relay, a TestStream. */
import { AsIterable, Count, definePipeline, DoFn, FixedWindows, KV, ParDo, Window, type ProcessContext } from "../../lib";
import { ReadFromPubSub, WriteToPubSub, type PubsubMessage } from "../../lib/io/pubsub";
import { TestStream } from "../../lib/testing/test_stream";

/** Counts words of messages (with attributes and event time from `ts`) per minute, published with an id attribute. */
export const pubsubCounts = definePipeline({
  name: "pubsub-counts",
  description: "Pub/Sub → windowed count → Pub/Sub",
  flags: {},
  build(root) {
    root
      .apply("Read", ReadFromPubSub.from({ subscription: "projects/proj/subscriptions/words", withAttributes: true, timestampAttribute: "ts", idAttribute: "uid" }))
      .map("Word", (m: PubsubMessage) => Buffer.from(m.data).toString())
      .apply("Minutes", Window.into(new FixedWindows(60_000)))
      .apply("Count", Count.perElement())
      .map("Format", (kv: KV<string, number>) => `${kv.key}=${kv.value}`)
      .apply("Write", WriteToPubSub.to("projects/proj/topics/counts", { idAttribute: "rid", timestampAttribute: "ts" }));
  },
});

/** Reads the message ids WriteToPubSub produces: fine on the DirectRunner, impossible with Dataflow's native sink. */
export const consumesIds = definePipeline({
  name: "consumes-ids",
  description: "uses WriteToPubSub's message ids",
  flags: {},
  build(root) {
    root
      .apply("Read", ReadFromPubSub.from({ topic: "projects/proj/topics/in" }))
      .map("Text", (b: Uint8Array) => Buffer.from(b).toString())
      .apply("Write", WriteToPubSub.to("projects/proj/topics/out"))
      .map("LogIds", (id: string) => id.length);
  },
});

class CountPublished extends DoFn<Uint8Array, number, {}, { published: readonly string[] }> {
  process(_: Uint8Array, ctx: ProcessContext<number, {}, { published: readonly string[] }>): void {
    ctx.output(ctx.sideInputs.published.length);
  }
}

/** Reads WriteToPubSub's message ids as a side input (not as a main input). */
export const idsAsSideInput = definePipeline({
  name: "ids-as-side-input",
  description: "WriteToPubSub's message ids as a side input",
  flags: {},
  build(root) {
    const ids = root.apply("Read", ReadFromPubSub.from({ topic: "projects/proj/topics/in" })).apply("Write", WriteToPubSub.to("projects/proj/topics/out"));
    root
      .apply("Ticks", ReadFromPubSub.from({ topic: "projects/proj/topics/ticks" }))
      .apply("CountPublished", ParDo.of(new CountPublished(), { sideInputs: { published: AsIterable(ids) } }));
  },
});

/** A bounded read feeding WriteToPubSub, whose ids gate the acknowledgements: a batch job on Dataflow. */
export const boundedRelay = definePipeline({
  name: "bounded-relay",
  description: "bounded Pub/Sub read → Pub/Sub, acked after publishing",
  flags: {},
  build(root) {
    const read = ReadFromPubSub.from({ subscription: "projects/proj/subscriptions/backlog", maxMessages: 100 });
    root.apply("Read", read).apply("Write", WriteToPubSub.to("projects/proj/topics/relayed")).apply("Commit", read.commitAfter());
  },
});

/** A TestStream: for tests, not for Dataflow. */
export const scripted = definePipeline({
  name: "scripted",
  description: "a TestStream",
  flags: {},
  build(root) {
    root.apply("Events", TestStream.create<string>().addElements({ value: "a", timestamp: 1 }).advanceWatermarkToInfinity()).map("Upper", (s: string) => s.toUpperCase());
  },
});
