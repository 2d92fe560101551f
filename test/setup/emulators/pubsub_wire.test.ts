import { strict as assert } from "node:assert";
import { loadPubSubServices } from "../../../setup/emulators/pubsub/grpc_util";
import type { ReceivedMessage, StreamingPullResponse } from "../../../setup/emulators/pubsub/types";
import { encodeReceivedMessages, withFastResponses } from "../../../setup/emulators/pubsub/wire";

/** The generic serializers, from the descriptor the client itself decodes with. */
const generic = loadPubSubServices().subscriber;
const fast = withFastResponses(loadPubSubServices()).subscriber;

function received(i: number, overrides: Partial<ReceivedMessage["message"]> = {}, deliveryAttempt = 0): ReceivedMessage {
  return {
    ackId: `${i}-${i * 7}`,
    message: {
      data: Buffer.from(`{"ID":${i},"payload":"${"x".repeat(i * 37)}"}`),
      attributes: {},
      messageId: String(1000 + i),
      publishTime: { seconds: String(1_765_000_000 + i), nanos: (i * 123_457) % 1_000_000_000 },
      orderingKey: "",
      ...overrides,
    },
    deliveryAttempt,
  };
}

describe("emulators: Pub/Sub responses encoded by hand (wire.ts)", () => {
  const cases: [string, StreamingPullResponse][] = [
    ["no messages (the keepalive answer)", { receivedMessages: [] }],
    ["plain messages of growing size", { receivedMessages: Array.from({ length: 40 }, (_, i) => received(i)) }],
    [
      "attributes (non-ASCII too), ordering keys, delivery attempts, an empty payload, no publish time",
      {
        receivedMessages: [
          received(1, { attributes: { id: "a-1", "clé": "välue ✓", empty: "" }, orderingKey: "key-ö" }, 3),
          received(2, { data: Buffer.alloc(0), attributes: { only: "attributes" } }, 1),
          received(3, { publishTime: null }),
          received(4, { data: Buffer.alloc(300_000, 7) }),
        ],
      },
    ],
    ["subscription properties", { receivedMessages: [received(5)], subscriptionProperties: { exactlyOnceDeliveryEnabled: true, messageOrderingEnabled: false } }],
    ["subscription properties, no messages", { receivedMessages: [], subscriptionProperties: { exactlyOnceDeliveryEnabled: false, messageOrderingEnabled: true } }],
  ];
  for (const [name, response] of cases) {
    it(`writes the bytes protobufjs writes: ${name}`, () => {
      const expected = generic["StreamingPull"]!.responseSerialize(response);
      const actual = encodeReceivedMessages(response);
      assert.ok(actual !== undefined);
      assert.deepEqual(actual, expected);
      assert.deepEqual(generic["StreamingPull"]!.responseDeserialize(actual), generic["StreamingPull"]!.responseDeserialize(expected));
      if (response.subscriptionProperties === undefined) assert.deepEqual(fast["Pull"]!.responseSerialize(response), generic["Pull"]!.responseSerialize(response));
    });
  }

  it("leaves what it does not know to the generic serializer", () => {
    const odd: StreamingPullResponse[] = [
      { receivedMessages: [received(1)], acknowledgeConfirmation: { ackIds: ["1-7"] } } as unknown as StreamingPullResponse,
      { receivedMessages: [{ ...received(2), deliveryAttempt: -1 }] },
      { receivedMessages: [received(3, { data: "aGVsbG8=" as unknown as Buffer })] },
    ];
    for (const response of odd) {
      assert.equal(encodeReceivedMessages(response), undefined);
      assert.deepEqual(fast["StreamingPull"]!.responseSerialize(response), generic["StreamingPull"]!.responseSerialize(response));
    }
  });
});
