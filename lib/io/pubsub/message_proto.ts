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

/** Bytes of a varint of a non-negative integer (below 2^53). */
function varintSize(n: number): number {
  let size = 1;
  for (; n >= 0x80; size++) n = Math.floor(n / 128);
  return size;
}

/** Writes a varint of a non-negative integer (below 2^53) at `pos`; returns the position after it. */
function writeVarint(buf: Uint8Array, pos: number, n: number): number {
  for (; n >= 0x80; n = Math.floor(n / 128)) buf[pos++] = (n % 128) | 0x80;
  buf[pos++] = n;
  return pos;
}

/** The varint of a 64-bit two's complement value (a negative timestamp's seconds: ten bytes). */
function int64Varint(value: number): Uint8Array {
  const out: number[] = [];
  let v = BigInt.asUintN(64, BigInt(value));
  for (; v >= 0x80n; v >>= 7n) out.push(Number(v & 0x7fn) | 0x80);
  out.push(Number(v));
  return Uint8Array.from(out);
}

/** A length-delimited field: its tag, the length and the body. */
function fieldSize(body: number): number {
  return 1 + varintSize(body) + body;
}

function writeField(buf: Uint8Array, pos: number, field: number, body: Uint8Array): number {
  buf[pos++] = (field << 3) | WIRE_LENGTH_DELIMITED;
  pos = writeVarint(buf, pos, body.length);
  buf.set(body, pos);
  return pos + body.length;
}

/** google.protobuf.Timestamp of epoch milliseconds. */
function encodeTimestamp(ms: number): Uint8Array {
  const seconds = Math.floor(ms / 1000);
  const nanos = (ms - seconds * 1000) * 1_000_000;
  const secondsBytes = seconds === 0 ? undefined : seconds > 0 ? undefined : int64Varint(seconds);
  const size = (seconds === 0 ? 0 : 1 + (secondsBytes?.length ?? varintSize(seconds))) + (nanos === 0 ? 0 : 1 + varintSize(nanos));
  const out = new Uint8Array(size);
  let pos = 0;
  if (seconds !== 0) {
    out[pos++] = (1 << 3) | WIRE_VARINT;
    if (secondsBytes !== undefined) {
      out.set(secondsBytes, pos);
      pos += secondsBytes.length;
    } else pos = writeVarint(out, pos, seconds);
  }
  if (nanos !== 0) {
    out[pos++] = (2 << 3) | WIRE_VARINT;
    writeVarint(out, pos, nanos);
  }
  return out;
}

class Reader {
  pos = 0;
  constructor(private readonly buf: Uint8Array) {}
  get done(): boolean {
    return this.pos >= this.buf.length;
  }
  /** A varint that fits in 32 bits (tags, lengths): read without BigInt, as nearly all are. */
  small(): number {
    const buf = this.buf;
    let result = 0;
    for (let shift = 0; shift < 28; shift += 7) {
      if (this.pos >= buf.length) throw new RangeError("truncated varint in a PubsubMessage");
      const b = buf[this.pos++]!;
      result += (b & 0x7f) * 2 ** shift;
      if ((b & 0x80) === 0) return result;
    }
    this.pos -= 4;
    return Number(this.varint());
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
    const n = this.small();
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

/**
 * Serializes a message (data, attributes, and message id / publish time when present). Sizes are
 * computed first and the fields written into one buffer: this runs once per published message.
 */
export function encodePubsubMessage(message: Pick<PubsubMessage, "data" | "attributes"> & Partial<Pick<PubsubMessage, "messageId" | "publishTime">>): Uint8Array {
  const entries: Uint8Array[] = [];
  for (const key of Object.keys(message.attributes).sort()) {
    const k = utf8.encode(key);
    const v = utf8.encode(message.attributes[key]!);
    const entry = new Uint8Array(fieldSize(k.length) + fieldSize(v.length));
    writeField(entry, writeField(entry, 0, 1, k), 2, v);
    entries.push(entry);
  }
  const id = message.messageId !== undefined && message.messageId !== "" ? utf8.encode(message.messageId) : undefined;
  const ts = message.publishTime !== undefined ? encodeTimestamp(message.publishTime.getTime()) : undefined;
  let size = message.data.length > 0 ? fieldSize(message.data.length) : 0;
  for (const e of entries) size += fieldSize(e.length);
  if (id !== undefined) size += fieldSize(id.length);
  if (ts !== undefined) size += fieldSize(ts.length);
  const out = new Uint8Array(size);
  let pos = message.data.length > 0 ? writeField(out, 0, 1, message.data) : 0;
  for (const e of entries) pos = writeField(out, pos, 2, e);
  if (id !== undefined) pos = writeField(out, pos, 3, id);
  if (ts !== undefined) writeField(out, pos, 4, ts);
  return out;
}

/** Parses a serialized message; unknown fields (e.g. ordering_key) are skipped. */
export function decodePubsubMessage(bytes: Uint8Array): PubsubMessage {
  const r = new Reader(bytes);
  let data: Uint8Array = new Uint8Array(0);
  const attributes: Record<string, string> = {};
  let messageId: string | undefined;
  let publishTime: Date | undefined;
  while (!r.done) {
    const key = r.small();
    const field = key >>> 3;
    const wireType = key & 7;
    if (wireType !== WIRE_LENGTH_DELIMITED || field < 1 || field > 4) {
      r.skip(wireType);
      continue;
    }
    const body = r.bytes();
    // A view, not a copy: the serialized message is an immutable element, and the data is most of it.
    if (field === 1) data = body;
    else if (field === 3) messageId = fromUtf8.decode(body);
    else if (field === 2) {
      const e = new Reader(body);
      let k = "";
      let v = "";
      while (!e.done) {
        const t = e.small();
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
        const tk = t.small();
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
