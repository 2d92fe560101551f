/**
 * The wire form of `google.pubsub.v1.PubsubMessage` (protobuf), which is what runners that read
 * and write Pub/Sub natively (Dataflow's pubsub_read / pubsub_write) exchange with SDK steps:
 * the read hands attribute-carrying messages over as serialized protos, and the write takes
 * serialized protos. Fields: 1 data (bytes), 2 attributes (map<string,string>), 3 message_id,
 * 4 publish_time (google.protobuf.Timestamp {1 seconds, 2 nanos}), 5 ordering_key.
 */
import type { PubsubMessage } from "./resources";

const WIRE_VARINT = 0;
const WIRE_LENGTH_DELIMITED = 2;
const utf8 = new TextEncoder();
const fromUtf8 = new TextDecoder("utf-8", { fatal: true });

class Writer {
  private readonly chunks: number[] = [];
  varint(value: number | bigint): this {
    let v = BigInt.asUintN(64, BigInt(value));
    while (v >= 0x80n) {
      this.chunks.push(Number(v & 0x7fn) | 0x80);
      v >>= 7n;
    }
    this.chunks.push(Number(v));
    return this;
  }
  tag(field: number, wireType: number): this {
    return this.varint((field << 3) | wireType);
  }
  bytes(field: number, value: Uint8Array): this {
    this.tag(field, WIRE_LENGTH_DELIMITED).varint(value.length);
    for (const b of value) this.chunks.push(b);
    return this;
  }
  finish(): Uint8Array {
    return Uint8Array.from(this.chunks);
  }
}

class Reader {
  pos = 0;
  constructor(private readonly buf: Uint8Array) {}
  get done(): boolean {
    return this.pos >= this.buf.length;
  }
  varint(): bigint {
    let result = 0n;
    for (let shift = 0n; ; shift += 7n) {
      if (this.pos >= this.buf.length) throw new RangeError("truncated varint in a PubsubMessage");
      const b = this.buf[this.pos++]!;
      result |= BigInt(b & 0x7f) << shift;
      if ((b & 0x80) === 0) return result;
      if (shift > 63n) throw new RangeError("varint too long in a PubsubMessage");
    }
  }
  bytes(): Uint8Array {
    const n = Number(this.varint());
    if (this.pos + n > this.buf.length) throw new RangeError("truncated field in a PubsubMessage");
    const out = this.buf.subarray(this.pos, this.pos + n);
    this.pos += n;
    return out;
  }
  skip(wireType: number): void {
    if (wireType === WIRE_VARINT) this.varint();
    else if (wireType === WIRE_LENGTH_DELIMITED) this.bytes();
    else if (wireType === 1) this.pos += 8;
    else if (wireType === 5) this.pos += 4;
    else throw new RangeError(`unsupported wire type ${wireType} in a PubsubMessage`);
  }
}

/** Serializes a message (data, attributes, and message id / publish time when present). */
export function encodePubsubMessage(message: Pick<PubsubMessage, "data" | "attributes"> & Partial<Pick<PubsubMessage, "messageId" | "publishTime">>): Uint8Array {
  const w = new Writer();
  if (message.data.length > 0) w.bytes(1, message.data);
  for (const key of Object.keys(message.attributes).sort()) {
    const entry = new Writer().bytes(1, utf8.encode(key)).bytes(2, utf8.encode(message.attributes[key]!)).finish();
    w.bytes(2, entry);
  }
  if (message.messageId !== undefined && message.messageId !== "") w.bytes(3, utf8.encode(message.messageId));
  if (message.publishTime !== undefined) {
    const ms = message.publishTime.getTime();
    const seconds = Math.floor(ms / 1000);
    const ts = new Writer();
    if (seconds !== 0) ts.tag(1, WIRE_VARINT).varint(seconds);
    const nanos = (ms - seconds * 1000) * 1_000_000;
    if (nanos !== 0) ts.tag(2, WIRE_VARINT).varint(nanos);
    w.bytes(4, ts.finish());
  }
  return w.finish();
}

/** Parses a serialized message; unknown fields (e.g. ordering_key) are skipped. */
export function decodePubsubMessage(bytes: Uint8Array): PubsubMessage {
  const r = new Reader(bytes);
  let data: Uint8Array = new Uint8Array(0);
  const attributes: Record<string, string> = {};
  let messageId: string | undefined;
  let publishTime: Date | undefined;
  while (!r.done) {
    const key = Number(r.varint());
    const field = key >>> 3;
    const wireType = key & 7;
    if (wireType !== WIRE_LENGTH_DELIMITED || field < 1 || field > 4) {
      r.skip(wireType);
      continue;
    }
    const body = r.bytes();
    if (field === 1) data = Uint8Array.from(body);
    else if (field === 3) messageId = fromUtf8.decode(body);
    else if (field === 2) {
      const e = new Reader(body);
      let k = "";
      let v = "";
      while (!e.done) {
        const t = Number(e.varint());
        if ((t & 7) !== WIRE_LENGTH_DELIMITED) e.skip(t & 7);
        else if (t >>> 3 === 1) k = fromUtf8.decode(e.bytes());
        else if (t >>> 3 === 2) v = fromUtf8.decode(e.bytes());
        else e.bytes();
      }
      attributes[k] = v;
    } else {
      const t = new Reader(body);
      let seconds = 0n;
      let nanos = 0n;
      while (!t.done) {
        const tk = Number(t.varint());
        if ((tk & 7) !== WIRE_VARINT) t.skip(tk & 7);
        else if (tk >>> 3 === 1) seconds = BigInt.asIntN(64, t.varint());
        else if (tk >>> 3 === 2) nanos = BigInt.asIntN(32, t.varint());
        else t.varint();
      }
      publishTime = new Date(Number(seconds) * 1000 + Math.floor(Number(nanos) / 1_000_000));
    }
  }
  return { data, attributes, ...(messageId !== undefined ? { messageId } : {}), ...(publishTime !== undefined ? { publishTime } : {}) };
}
