/**
 * The parts of the `google.pubsub.v1` messages the emulator reads, as @grpc/proto-loader decodes
 * them (camelCase, int64 as strings, every field present with its default value).
 */

export interface Duration {
  seconds: string | number;
  nanos: number;
}

export interface Timestamp {
  seconds: string | number;
  nanos: number;
}

export interface PubsubMessage {
  data: Buffer;
  attributes: Record<string, string>;
  messageId: string;
  publishTime: Timestamp | null;
  orderingKey: string;
}

/** A Topic as the client sent it; echoed back with the emulator's normalisation. */
export interface Topic {
  name: string;
  labels: Record<string, string>;
  [field: string]: unknown;
}

export interface DeadLetterPolicy {
  deadLetterTopic: string;
  maxDeliveryAttempts: number;
}

export interface Subscription {
  name: string;
  topic: string;
  ackDeadlineSeconds: number;
  retainAckedMessages: boolean;
  messageRetentionDuration: Duration | null;
  labels: Record<string, string>;
  enableMessageOrdering: boolean;
  filter: string;
  deadLetterPolicy: DeadLetterPolicy | null;
  detached: boolean;
  enableExactlyOnceDelivery: boolean;
  [field: string]: unknown;
}

export interface FieldMask {
  paths: string[];
}

export interface ReceivedMessage {
  ackId: string;
  message: PubsubMessage;
  deliveryAttempt: number;
}

export interface StreamingPullRequest {
  subscription: string;
  ackIds: string[];
  modifyDeadlineSeconds: number[];
  modifyDeadlineAckIds: string[];
  streamAckDeadlineSeconds: number;
  clientId: string;
  maxOutstandingMessages: string;
  maxOutstandingBytes: string;
  protocolVersion: string;
}

export interface StreamingPullResponse {
  receivedMessages: ReceivedMessage[];
  subscriptionProperties?: { exactlyOnceDeliveryEnabled: boolean; messageOrderingEnabled: boolean };
}

/** `{}` for RPCs that return google.protobuf.Empty. */
export type Empty = Record<string, never>;
