/** Pub/Sub IO: WriteToPubSub, bounded ReadFromPubSub, and the PubSubReader core for streaming. */
export { ReadFromPubSub } from "./read";
export type { ReadFromPubSubOptions, PubSubAcks } from "./read";
export { WriteToPubSub } from "./write";
export type { WriteToPubSubOptions, PubSubPayload } from "./write";
export { PubSubReader, parseTimestampAttribute } from "./reader";
export type { PubSubReaderOptions, ReceivedElement } from "./reader";
export { parsePubSubName } from "./resources";
export type { PubsubMessage, PubSubName } from "./resources";
