/**
 * Hand-written encoding of the emulator's hot responses: PullResponse and StreamingPullResponse,
 * which carry every delivered message. Through @grpc/proto-loader each one was converted to a
 * protobufjs object tree (fromObject: every Timestamp's seconds parsed through Long) and written
 * with a writer that allocates an operation per field; draining a backlog of 4 KB messages, that
 * was a fifth (Pub/Sub → map → Pub/Sub) to two fifths (a keyed count) of the emulator's profile.
 * Here the response's size is computed first and the fields are written into one buffer: for 500
 * messages of 4 KB, 1–8 ms of CPU per 1,000 messages instead of 8–15 (the rest is the data copy,
 * and the page faults of a fresh 2 MB buffer).
 *
 * The bytes are the ones protobufjs writes for the same object (field order by number, proto3
 * fields written whenever present, map entries key then value), so the client cannot tell;
 * wire.test.ts compares the two. Anything outside what the emulator sends (other fields, negative
 * or non-integer numbers) goes through the generic serializer.
 */
import type * as grpc from "@grpc/grpc-js";
import type { PubSubServiceDefinitions } from "./grpc_util";
import type { PubsubMessage, ReceivedMessage, StreamingPullResponse, Timestamp } from "./types";

/** Bytes of a varint holding a non-negative safe integer. */
function varintSize(n: number): number {
  let size = 1;
  while (n >= 128) {
    n = Math.floor(n / 128);
    size++;
  }
  return size;
}

function writeVarint(buf: Buffer, pos: number, n: number): number {
  while (n >= 128) {
    buf[pos++] = (n % 128) | 128;
    n = Math.floor(n / 128);
  }
  buf[pos++] = n;
  return pos;
}

const isVarint = (n: unknown): n is number => typeof n === "number" && Number.isSafeInteger(n) && n >= 0;

/** A length-delimited field's size: tag (1 byte: field numbers here are < 16), length, body. */
const delimited = (body: number): number => 1 + varintSize(body) + body;

/** The parts of one PubsubMessage, measured once and written after. */
interface MessagePlan {
  readonly message: PubsubMessage;
  readonly ackIdBytes: number;
  readonly messageIdBytes: number;
  readonly orderingKeyBytes: number;
  readonly attributes: readonly (readonly [string, string, number, number, number])[];
  readonly seconds: number;
  readonly timestampBytes: number;
  /** The PubsubMessage's encoded size, and the ReceivedMessage's. */
  readonly messageBytes: number;
  readonly receivedBytes: number;
}

/** Measures a ReceivedMessage; undefined if it holds something this encoder does not write. */
function plan(r: ReceivedMessage): MessagePlan | undefined {
  const m = r.message;
  if (typeof r.ackId !== "string" || m === null || typeof m !== "object" || !isVarint(r.deliveryAttempt)) return undefined;
  if (!(m.data instanceof Uint8Array) || typeof m.messageId !== "string" || typeof m.orderingKey !== "string") return undefined;
  const attributes: [string, string, number, number, number][] = [];
  let size = delimited(m.data.length);
  for (const k of Object.keys(m.attributes ?? {})) {
    const v = m.attributes[k];
    if (typeof v !== "string") return undefined;
    const kb = Buffer.byteLength(k, "utf8");
    const vb = Buffer.byteLength(v, "utf8");
    const entry = delimited(kb) + delimited(vb);
    attributes.push([k, v, kb, vb, entry]);
    size += delimited(entry);
  }
  const messageIdBytes = Buffer.byteLength(m.messageId, "utf8");
  size += delimited(messageIdBytes);
  let seconds = 0;
  let timestampBytes = 0;
  if (m.publishTime !== null && m.publishTime !== undefined) {
    seconds = Number(m.publishTime.seconds);
    if (!isVarint(seconds) || !isVarint(m.publishTime.nanos)) return undefined;
    timestampBytes = 1 + varintSize(seconds) + 1 + varintSize(m.publishTime.nanos);
    size += delimited(timestampBytes);
  }
  const orderingKeyBytes = Buffer.byteLength(m.orderingKey, "utf8");
  size += delimited(orderingKeyBytes);
  const ackIdBytes = Buffer.byteLength(r.ackId, "utf8");
  const receivedBytes = delimited(ackIdBytes) + delimited(size) + 1 + varintSize(r.deliveryAttempt);
  return { message: m, ackIdBytes, messageIdBytes, orderingKeyBytes, attributes, seconds, timestampBytes, messageBytes: size, receivedBytes };
}

function writeString(buf: Buffer, pos: number, tag: number, s: string, bytes: number): number {
  buf[pos++] = tag;
  pos = writeVarint(buf, pos, bytes);
  return pos + buf.write(s, pos, bytes, "utf8");
}

function writeReceived(buf: Buffer, pos: number, r: ReceivedMessage, p: MessagePlan): number {
  const m = p.message;
  buf[pos++] = 0x0a; // ReceivedMessage.ack_id = 1
  pos = writeVarint(buf, pos, p.ackIdBytes);
  pos += buf.write(r.ackId, pos, p.ackIdBytes, "utf8");
  buf[pos++] = 0x12; // ReceivedMessage.message = 2
  pos = writeVarint(buf, pos, p.messageBytes);
  buf[pos++] = 0x0a; // PubsubMessage.data = 1
  pos = writeVarint(buf, pos, m.data.length);
  buf.set(m.data, pos);
  pos += m.data.length;
  for (const [k, v, kb, vb, entry] of p.attributes) {
    buf[pos++] = 0x12; // PubsubMessage.attributes = 2 (map entries: key = 1, value = 2)
    pos = writeVarint(buf, pos, entry);
    pos = writeString(buf, pos, 0x0a, k, kb);
    pos = writeString(buf, pos, 0x12, v, vb);
  }
  pos = writeString(buf, pos, 0x1a, m.messageId, p.messageIdBytes); // message_id = 3
  if (p.timestampBytes > 0) {
    buf[pos++] = 0x22; // publish_time = 4 (Timestamp: seconds = 1, nanos = 2)
    pos = writeVarint(buf, pos, p.timestampBytes);
    buf[pos++] = 0x08;
    pos = writeVarint(buf, pos, p.seconds);
    buf[pos++] = 0x10;
    pos = writeVarint(buf, pos, (m.publishTime as Timestamp).nanos);
  }
  pos = writeString(buf, pos, 0x2a, m.orderingKey, p.orderingKeyBytes); // ordering_key = 5
  buf[pos++] = 0x18; // ReceivedMessage.delivery_attempt = 3
  return writeVarint(buf, pos, r.deliveryAttempt);
}

/**
 * A PullResponse or StreamingPullResponse (`received_messages` = 1, then `subscription_properties`
 * = 4 with its two flags), or undefined when `response` holds anything else.
 */
export function encodeReceivedMessages(response: StreamingPullResponse): Buffer | undefined {
  return encode(response, (size) => Buffer.allocUnsafe(size));
}

/**
 * What the server's serializer writes into: grpc-js copies a serialized message into a framed
 * buffer of its own before `serialize` returns to it (`serializeMessage` in its
 * server-interceptors), so one buffer, grown when a response needs more, serves every response.
 * A fresh buffer per response (megabytes while a backlog drains) was external memory that made V8
 * run a full garbage collection every few hundred milliseconds.
 */
let scratch = Buffer.allocUnsafeSlow(1 << 16);
function inScratch(size: number): Buffer {
  if (scratch.length < size) scratch = Buffer.allocUnsafeSlow(Math.max(size, 2 * scratch.length));
  return scratch.subarray(0, size);
}

function encode(response: StreamingPullResponse, alloc: (size: number) => Buffer): Buffer | undefined {
  for (const k of Object.keys(response)) if (k !== "receivedMessages" && k !== "subscriptionProperties") return undefined;
  const received = response.receivedMessages ?? [];
  if (!Array.isArray(received)) return undefined;
  const plans: MessagePlan[] = [];
  let size = 0;
  for (const r of received) {
    const p = plan(r);
    if (p === undefined) return undefined;
    plans.push(p);
    size += delimited(p.receivedBytes);
  }
  const props = response.subscriptionProperties;
  if (props !== undefined && props !== null) {
    if (typeof props.exactlyOnceDeliveryEnabled !== "boolean" || typeof props.messageOrderingEnabled !== "boolean" || Object.keys(props).length !== 2) return undefined;
    size += delimited(4);
  }
  const buf = alloc(size);
  let pos = 0;
  for (let i = 0; i < received.length; i++) {
    buf[pos++] = 0x0a;
    pos = writeVarint(buf, pos, plans[i]!.receivedBytes);
    pos = writeReceived(buf, pos, received[i]!, plans[i]!);
  }
  if (props !== undefined && props !== null) {
    buf[pos++] = 0x22;
    buf[pos++] = 4;
    buf[pos++] = 0x08;
    buf[pos++] = props.exactlyOnceDeliveryEnabled ? 1 : 0;
    buf[pos++] = 0x10;
    buf[pos++] = props.messageOrderingEnabled ? 1 : 0;
  }
  if (pos !== size) throw new Error(`Pub/Sub emulator: encoded ${pos} bytes of a response measured at ${size}`);
  return buf;
}

/** The service definitions with Pull's and StreamingPull's responses encoded by encodeReceivedMessages. */
export function withFastResponses(defs: PubSubServiceDefinitions): PubSubServiceDefinitions {
  const subscriber: Record<string, grpc.MethodDefinition<object, object>> = { ...(defs.subscriber as Record<string, grpc.MethodDefinition<object, object>>) };
  for (const name of ["Pull", "StreamingPull"]) {
    const method = subscriber[name];
    if (method === undefined) throw new Error(`Pub/Sub emulator: the Subscriber service has no ${name}`);
    const generic = method.responseSerialize;
    subscriber[name] = { ...method, responseSerialize: (value: object) => encode(value as StreamingPullResponse, inScratch) ?? generic(value) };
  }
  return { publisher: defs.publisher, subscriber: subscriber as grpc.ServiceDefinition };
}
