import { strict as assert } from "node:assert";
import { decodePubsubMessage, encodePubsubMessage } from "../../../lib/io/pubsub";
import { loadPubSubServices } from "../../../setup/emulators/pubsub/grpc_util";

/** The official descriptor (shipped with @google-cloud/pubsub) serializes a PublishRequest; its field 2 holds one PubsubMessage. */
const publish = loadPubSubServices().publisher["Publish"]!;

function officialEncode(message: object): Uint8Array {
  const request = publish.requestSerialize({ topic: "t", messages: [message] }) as Buffer;
  // 0a 01 74 (topic "t"), then 12 <varint length> <message>: strip all but the message.
  assert.deepEqual([...request.subarray(0, 4)], [0x0a, 0x01, 0x74, 0x12]);
  let i = 4;
  while (request[i]! & 0x80) i++;
  return new Uint8Array(request.subarray(i + 1));
}

function officialDecode(bytes: Uint8Array): { data: Buffer; attributes: Record<string, string>; messageId: string; publishTime: { seconds: string; nanos: number } | null } {
  const lengthPrefix: number[] = [];
  for (let n = bytes.length; ; n >>= 7) {
    if (n < 0x80) {
      lengthPrefix.push(n);
      break;
    }
    lengthPrefix.push((n & 0x7f) | 0x80);
  }
  const request = publish.requestDeserialize(Buffer.concat([Buffer.from([0x12, ...lengthPrefix]), bytes])) as { messages: ReturnType<typeof officialDecode>[] };
  return request.messages[0]!;
}

describe("io/pubsub: PubsubMessage wire format", () => {
  const message = {
    data: new Uint8Array(Buffer.from("{\"ID\": 7, \"Image\": \"0.1,0.2\"} ✓")),
    attributes: { id: "m-1", ts: "2024-01-01T00:00:00Z", "ünïcode": "välue" },
    messageId: "123456",
    publishTime: new Date(Date.UTC(2026, 10, 22, 23, 59, 59, 987)),
  };

  it("encodes what the official descriptor decodes", () => {
    const got = officialDecode(encodePubsubMessage(message));
    assert.equal(Buffer.from(got.data).toString(), Buffer.from(message.data).toString());
    assert.deepEqual({ ...got.attributes }, message.attributes);
    assert.equal(got.messageId, "123456");
    assert.equal(Number(got.publishTime!.seconds) * 1000 + got.publishTime!.nanos / 1e6, message.publishTime.getTime());
  });

  it("encodes large payloads and times before 1970 (negative seconds) as the official descriptor decodes them", () => {
    for (const [data, at] of [[Buffer.alloc(70_000, 7), Date.UTC(1969, 6, 20, 20, 17, 40, 5)], [Buffer.alloc(200, 1), 0], [Buffer.alloc(0), 1_000]] as const) {
      const got = officialDecode(encodePubsubMessage({ data, attributes: { k: "v" }, publishTime: new Date(at) }));
      assert.ok(Buffer.from(got.data).equals(data));
      assert.deepEqual({ ...got.attributes }, { k: "v" });
      assert.equal(Number(got.publishTime?.seconds ?? 0) * 1000 + (got.publishTime?.nanos ?? 0) / 1e6, at);
    }
  });

  it("decodes what the official descriptor encodes (large payloads, ordering keys skipped)", () => {
    const big = Buffer.alloc(70_000, 7);
    const bytes = officialEncode({
      data: big,
      attributes: message.attributes,
      messageId: "m",
      publishTime: { seconds: "1795391999", nanos: 987_000_000 },
      orderingKey: "k",
    });
    const got = decodePubsubMessage(bytes);
    assert.equal(got.data.length, 70_000);
    assert.ok(Buffer.from(got.data).equals(big));
    assert.deepEqual(got.attributes, message.attributes);
    assert.equal(got.messageId, "m");
    assert.equal(got.publishTime!.getTime(), 1795391999987);
  });

  it("round-trips empty messages and rejects truncated bytes", () => {
    assert.deepEqual(decodePubsubMessage(encodePubsubMessage({ data: new Uint8Array(0), attributes: {} })), { data: new Uint8Array(0), attributes: {} });
    const bytes = encodePubsubMessage(message);
    assert.throws(() => decodePubsubMessage(bytes.subarray(0, 10)), /truncated/);
  });
});
