/** Pipeline programs for Pub/Sub tests that run on worker threads (which rebuild programs from their module). */
import { definePipeline, DoFn, ParDo } from "../../../lib";
import { ReadFromPubSub, WriteToPubSub } from "../../../lib/io/pubsub";

class BrokenSink extends DoFn<Uint8Array, Uint8Array> {
  process(): void {
    throw new Error("sink is down");
  }
}

/** A bounded read whose sink always fails: the read's leased messages must be handed back. */
export const failingBoundedRead = definePipeline({
  name: "test-pubsub-failing-bounded-read",
  description: "bounded Pub/Sub read with a failing sink",
  flags: {
    subscription: { type: "string", describe: "subscription to read", required: true },
    messages: { type: "number", describe: "messages to read", required: true },
    topic: { type: "string", describe: "topic to write", required: true },
  },
  build(root, flags) {
    const read = ReadFromPubSub.from({ subscription: flags.subscription, maxMessages: flags.messages, maxReadTimeSeconds: 20 });
    root
      .apply("Read", read)
      .apply("BrokenSink", ParDo.of(new BrokenSink()))
      .apply("Write", WriteToPubSub.to(flags.topic))
      .apply("Commit", read.commitAfter());
  },
});
