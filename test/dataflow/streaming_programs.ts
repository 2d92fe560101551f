/** Streaming pipeline programs for the DataflowRunner tests: Pub/Sub in, Pub/Sub out. */
import { Count, definePipeline, FixedWindows, KV, Window } from "../../lib";
import { ReadFromPubSub, WriteToPubSub, type PubsubMessage } from "../../lib/io/pubsub";
import { TestStream } from "../../lib/testing/test_stream";

/** Counts words of messages (with attributes and event time from `ts`) per minute, published with an id attribute. */
export const pubsubCounts = definePipeline({
  name: "pubsub-counts",
  description: "Pub/Sub → windowed count → Pub/Sub",
  flags: {},
  build(root) {
    root
      .apply("Read", new ReadFromPubSub({ subscription: "projects/proj/subscriptions/words", withAttributes: true, timestampAttribute: "ts", idAttribute: "uid" }))
      .map("Word", (m: PubsubMessage) => Buffer.from(m.data).toString())
      .apply("Minutes", Window.into<string>(new FixedWindows(60_000)))
      .apply("Count", Count.perElement<string>())
      .map("Format", (kv: KV<string, number>) => `${kv.key}=${kv.value}`)
      .apply("Write", new WriteToPubSub("projects/proj/topics/counts", { idAttribute: "rid", timestampAttribute: "ts" }));
  },
});

/** Reads the message ids WriteToPubSub produces: fine on the DirectRunner, impossible with Dataflow's native sink. */
export const consumesIds = definePipeline({
  name: "consumes-ids",
  description: "uses WriteToPubSub's message ids",
  flags: {},
  build(root) {
    root
      .apply("Read", new ReadFromPubSub({ topic: "projects/proj/topics/in" }))
      .map("Text", (b: Uint8Array) => Buffer.from(b).toString())
      .apply("Write", new WriteToPubSub("projects/proj/topics/out"))
      .map("LogIds", (id: string) => id.length);
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
