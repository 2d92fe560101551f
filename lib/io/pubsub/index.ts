/** Pub/Sub IO: WriteToPubSub, bounded ReadFromPubSub, and the PubSubReader core for streaming. */
export { ReadFromPubSub } from "./read";
export type { ReadFromPubSubOptions, PubSubAcks } from "./read";
export { WriteToPubSub } from "./write";
export type { WriteToPubSubOptions, PubSubPayload } from "./write";
export { PubSubReader, parseTimestampAttribute } from "./reader";
export type { PubSubReaderOptions, ReceivedElement } from "./reader";
export { parsePubSubName } from "./resources";
export type { PubsubMessage, PubSubName } from "./resources";
export { encodePubsubMessage, decodePubsubMessage } from "./message_proto";
export { PUBSUB_READ_URN } from "./unbounded";
export type { PubSubReadSpec } from "./unbounded";
export { PUBSUB_WRITE_URN } from "./write";
export type { PubSubWriteSpec } from "./write";
