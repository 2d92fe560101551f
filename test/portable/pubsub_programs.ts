/** Streaming Pub/Sub programs for the portable runners' tests: read → transform → publish. */
import { Count, definePipeline, FixedWindows, kv, Window } from "../../lib";
import { ReadFromPubSub, WriteToPubSub } from "../../lib/io/pubsub";

/** Reads `input` (a subscription or topic), upper-cases each payload and publishes it to `output`. */
export const pubsubUpperProgram = definePipeline({
  name: "portable-test-pubsub-upper",
  description: "ReadFromPubSub → upper case → WriteToPubSub",
  flags: {
    input: { type: "string", describe: "Subscription or topic to read", required: true },
    output: { type: "string", describe: "Topic to publish to", required: true },
  },
  build(root, flags) {
    root
      .apply("Read", ReadFromPubSub.from(flags.input.includes("/topics/") ? { topic: flags.input } : { subscription: flags.input }))
      .map("Upper", (data: Uint8Array) => new TextEncoder().encode(Buffer.from(data).toString("utf8").toUpperCase()))
      .apply("Publish", WriteToPubSub.to(flags.output));
  },
});

/** Reads `input` (a subscription or topic) and upper-cases each payload (the worker tests read the output from the data plane). */
export const pubsubReadProgram = definePipeline({
  name: "portable-test-pubsub-read",
  description: "ReadFromPubSub → upper case",
  flags: {
    input: { type: "string", describe: "Subscription (or topic) to read", required: true },
    timestampAttribute: { type: "string", describe: "Attribute with the event time", default: "" },
  },
  build(root, flags) {
    root
      .apply("Read", ReadFromPubSub.from({ ...(flags.input.includes("/topics/") ? { topic: flags.input } : { subscription: flags.input }), ...(flags.timestampAttribute !== "" ? { timestampAttribute: flags.timestampAttribute } : {}) }))
      .map("Upper", (data: Uint8Array) => Buffer.from(data).toString("utf8").toUpperCase());
  },
});

/**
 * Counts the messages of `input` (a subscription) per 1-second window of publish time and
 * publishes `count@windowStart` per window to `output`: output appears only as the read's
 * watermark passes each window's end.
 */
export const pubsubWindowedCountProgram = definePipeline({
  name: "portable-test-pubsub-windowed-count",
  description: "ReadFromPubSub → 1 s fixed windows → Count → WriteToPubSub",
  flags: {
    input: { type: "string", describe: "Subscription to read", required: true },
    output: { type: "string", describe: "Topic to publish to", required: true },
  },
  build(root, flags) {
    root
      .apply("Read", ReadFromPubSub.from({ subscription: flags.input }))
      .map("Key", (data: Uint8Array) => kv("all", data.length))
      .apply("Windows", Window.into(new FixedWindows(1000)))
      .apply("Count", Count.perKey())
      .map("Format", (c: { key: string; value: number }) => new TextEncoder().encode(String(c.value)))
      .apply("Publish", WriteToPubSub.to(flags.output));
  },
});
