import { strict as assert } from "node:assert";
import { Duration, PubSub, type Message, type Subscription, type SubscriberOptions } from "@google-cloud/pubsub";
import { PassThroughClient } from "google-auth-library";
import { startPubSubEmulator, type PubSubEmulator } from "../../../setup/emulators";
import { isolateFromGoogleCredentials, makeTempDir, rejectionOf, setEnv, waitFor } from "./helpers";

const PROJECT = "beamline-test";

/** Collects what a subscriber receives; `autoAck` acks on arrival. */
function listen(subscription: Subscription, onMessage: (m: Message) => void = (m) => m.ack()): Message[] {
  const received: Message[] = [];
  subscription.on("message", (m: Message) => {
    received.push(m);
    onMessage(m);
  });
  subscription.on("error", (e: Error) => {
    throw e;
  });
  return received;
}

/** Short client-side leases so an unacked message's deadline really expires within ~1 s. */
const SHORT_LEASE: SubscriberOptions = {
  minAckDeadline: Duration.from({ seconds: 1 }),
  maxAckDeadline: Duration.from({ seconds: 1 }),
  maxExtensionTime: Duration.from({ seconds: 1 }),
};

describe("emulators: Pub/Sub through @google-cloud/pubsub", function () {
  this.timeout(20_000);
  let restoreEnv: () => void;
  let emulator: PubSubEmulator;
  let pubsub: PubSub;
  const open: Subscription[] = [];

  const newClient = (host: string): PubSub => new PubSub({ projectId: PROJECT, apiEndpoint: host, emulatorMode: true, authClient: new PassThroughClient() });

  /** A subscription handle that the afterEach hook closes. */
  function subscriber(name: string, options: SubscriberOptions = {}): Subscription {
    const sub = pubsub.subscription(name, options);
    open.push(sub);
    return sub;
  }

  before(async () => {
    restoreEnv = isolateFromGoogleCredentials();
    emulator = await startPubSubEmulator({ port: 0 });
    pubsub = newClient(emulator.host);
  });

  afterEach(async () => {
    await Promise.all(open.splice(0).map((s) => s.close()));
  });

  after(async () => {
    await pubsub?.close();
    await emulator?.stop();
    restoreEnv();
  });

  it("creates, gets, lists and deletes topics and subscriptions with gRPC status codes", async () => {
    const [topic] = await pubsub.createTopic("admin-topic");
    assert.equal(topic.name, `projects/${PROJECT}/topics/admin-topic`);
    assert.equal((await topic.exists())[0], true);
    assert.equal((await pubsub.topic("nope").exists())[0], false);
    const dup = await rejectionOf(() => pubsub.createTopic("admin-topic"));
    assert.equal(dup.code, 6); // ALREADY_EXISTS
    assert.match(dup.message, /admin-topic/);

    const [sub] = await topic.createSubscription("admin-sub");
    const [meta] = await sub.getMetadata();
    assert.equal(meta.ackDeadlineSeconds, 10);
    assert.equal(meta.topic, topic.name);
    const [subs] = await topic.getSubscriptions();
    assert.deepEqual(
      subs.map((s) => s.name),
      [`projects/${PROJECT}/subscriptions/admin-sub`],
    );
    const [topics] = await pubsub.getTopics();
    assert.ok(topics.some((t) => t.name === topic.name));

    const missingTopic = await rejectionOf(() => pubsub.topic("ghost").createSubscription("ghost-sub"));
    assert.equal(missingTopic.code, 5); // NOT_FOUND
    const noTopic = await rejectionOf(() => pubsub.topic("ghost").publishMessage({ data: Buffer.from("x") }));
    assert.equal(noTopic.code, 5);
    assert.match(noTopic.message, /ghost/);
    const badName = await rejectionOf(() => pubsub.createTopic("a"));
    assert.equal(badName.code, 3); // INVALID_ARGUMENT

    await sub.delete();
    assert.equal((await sub.exists())[0], false);
    await topic.delete();
    assert.equal((await topic.exists())[0], false);
  });

  it("publishes with attributes and ordering keys; an ordered subscriber gets each message once, in order", async () => {
    const [topic] = await pubsub.createTopic("ordered");
    await topic.createSubscription("ordered-sub", { enableMessageOrdering: true });
    const publisher = pubsub.topic("ordered", { messageOrdering: true });
    const received = listen(subscriber("ordered-sub"));
    const ids: string[] = [];
    for (let i = 0; i < 6; i++) {
      ids.push(await publisher.publishMessage({ data: Buffer.from(`m${i}`), attributes: { i: String(i) }, orderingKey: i % 2 === 0 ? "even" : "odd" }));
    }
    await waitFor("6 ordered messages", () => received.length >= 6);
    assert.equal(new Set(received.map((m) => m.id)).size, 6);
    assert.deepEqual(new Set(received.map((m) => m.id)), new Set(ids));
    for (const key of ["even", "odd"]) {
      const forKey = received.filter((m) => m.orderingKey === key);
      assert.deepEqual(
        forKey.map((m) => m.data.toString()),
        key === "even" ? ["m0", "m2", "m4"] : ["m1", "m3", "m5"],
      );
      for (const m of forKey) assert.equal(m.attributes.i, m.data.toString().slice(1));
    }
    assert.ok(received.every((m) => m.publishTime.getTime() > 0));
  });

  it("delivers only messages matching a subscription's attribute filter", async () => {
    const [topic] = await pubsub.createTopic("filtered");
    await topic.createSubscription("filtered-sub", { filter: 'attributes.kind = "keep" AND NOT attributes:skip' });
    const received = listen(subscriber("filtered-sub"));
    await topic.publishMessage({ data: Buffer.from("1"), attributes: { kind: "drop" } });
    await topic.publishMessage({ data: Buffer.from("2"), attributes: { kind: "keep", skip: "yes" } });
    const kept = await topic.publishMessage({ data: Buffer.from("3"), attributes: { kind: "keep" } });
    await waitFor("the matching message", () => received.length >= 1);
    assert.deepEqual(
      received.map((m) => m.id),
      [kept],
    );
    const bad = await rejectionOf(() => topic.createSubscription("bad-filter", { filter: "attributes.kind > 3" }));
    assert.equal(bad.code, 3);
  });

  it("stops delivering a message once it is acked", async () => {
    const [topic] = await pubsub.createTopic("acked");
    await topic.createSubscription("acked-sub");
    const first = listen(subscriber("acked-sub", SHORT_LEASE));
    const ackedId = await topic.publishMessage({ data: Buffer.from("once") });
    await waitFor("the first delivery", () => first.length === 1);
    await open.pop()?.close(); // flushes the ack

    // A later subscriber gets the next message; an unacked earlier one would be delivered first.
    const second = listen(subscriber("acked-sub", SHORT_LEASE));
    const markerId = await topic.publishMessage({ data: Buffer.from("marker") });
    await waitFor("the marker", () => second.some((m) => m.id === markerId));
    assert.deepEqual(
      second.map((m) => m.id),
      [markerId],
    );
    assert.equal(first[0].id, ackedId);
  });

  it("redelivers a nacked message under a new ackId", async () => {
    const [topic] = await pubsub.createTopic("nacked");
    await topic.createSubscription("nacked-sub");
    let nacked = false;
    const received = listen(subscriber("nacked-sub"), (m) => {
      if (!nacked) {
        nacked = true;
        m.nack();
      } else m.ack();
    });
    const id = await topic.publishMessage({ data: Buffer.from("again") });
    await waitFor("a redelivery", () => received.length >= 2);
    assert.deepEqual(
      received.map((m) => m.id),
      [id, id],
    );
    assert.notEqual(received[0].ackId, received[1].ackId);
  });

  it("counts delivery attempts and dead-letters after maxDeliveryAttempts nacks", async () => {
    const [topic] = await pubsub.createTopic("dl-source");
    const [deadTopic] = await pubsub.createTopic("dl-dead");
    await deadTopic.createSubscription("dl-dead-sub");
    await topic.createSubscription("dl-sub", { deadLetterPolicy: { deadLetterTopic: deadTopic.name, maxDeliveryAttempts: 5 } });
    const attempts = listen(subscriber("dl-sub"), (m) => m.nack());
    const dead = listen(subscriber("dl-dead-sub"));
    await topic.publishMessage({ data: Buffer.from("poison"), attributes: { why: "test" } });
    await waitFor("the dead-lettered copy", () => dead.length >= 1, 8000);
    assert.deepEqual(
      attempts.map((m) => m.deliveryAttempt),
      [1, 2, 3, 4, 5],
    );
    assert.equal(dead[0].data.toString(), "poison");
    assert.deepEqual(dead[0].attributes, { why: "test" });
  });

  it("redelivers a message whose ack deadline expires", async () => {
    const [topic] = await pubsub.createTopic("expiring");
    await topic.createSubscription("expiring-sub", { ackDeadlineSeconds: 1 });
    let seen = 0;
    // Never ack the first delivery: the client stops extending it after maxExtensionTime (1 s).
    const received = listen(subscriber("expiring-sub", SHORT_LEASE), (m) => {
      if (++seen > 1) m.ack();
    });
    const id = await topic.publishMessage({ data: Buffer.from("late") });
    await waitFor("redelivery after the deadline", () => received.length >= 2, 8000);
    assert.equal(received[0].id, id);
    assert.equal(received[1].id, id);
  });

  it("spreads messages over the streams of several clients, each message to one stream", async () => {
    const [topic] = await pubsub.createTopic("fanout");
    await topic.createSubscription("fanout-sub");
    const a = listen(subscriber("fanout-sub"));
    const b = listen(subscriber("fanout-sub"));
    // Both clients open their 5 streams asynchronously. Probe until each has received something,
    // so both are attached before the real batch (event-driven, bounded).
    for (let probe = 0; (a.length === 0 || b.length === 0) && probe < 50; probe++) {
      const before = a.length + b.length;
      await topic.publishMessage({ data: Buffer.from("probe") });
      await waitFor("a probe", () => a.length + b.length > before);
    }
    assert.ok(a.length > 0 && b.length > 0, "both clients attached");
    const probes = a.length + b.length;
    const [aBefore, bBefore] = [a.length, b.length];
    const ids = await Promise.all(Array.from({ length: 40 }, (_, i) => topic.publishMessage({ data: Buffer.from(`f${i}`) })));
    await waitFor("all 40 messages", () => a.length + b.length >= probes + 40);
    const batch = [...a.slice(aBefore), ...b.slice(bBefore)];
    assert.equal(batch.length, 40);
    assert.deepEqual(new Set(batch.map((m) => m.id)), new Set(ids));
    // One dispatch pass round-robins over every open stream, so both clients share the batch.
    assert.ok(a.length > aBefore && b.length > bBefore, `both clients got part of the batch (a=${a.length - aBefore}, b=${b.length - bBefore})`);
  });

  it("delivers many messages exactly once across the default 5 streams", async () => {
    const [topic] = await pubsub.createTopic("bulk");
    await topic.createSubscription("bulk-sub");
    const received = listen(subscriber("bulk-sub"));
    const ids = await Promise.all(Array.from({ length: 200 }, (_, i) => topic.publishMessage({ data: Buffer.from(`b${i}`), attributes: { n: String(i) } })));
    await waitFor("200 messages", () => received.length >= 200);
    assert.equal(received.length, 200);
    assert.deepEqual(new Set(received.map((m) => m.id)), new Set(ids));
  });

  it("works through PUBSUB_EMULATOR_HOST and keeps unacked messages across a restart with data_dir", async () => {
    const dataDir = makeTempDir("beamline-pubsub-");
    let persistent = await startPubSubEmulator({ port: 0, dataDir });
    const restore = setEnv({ PUBSUB_EMULATOR_HOST: persistent.host });
    let client = new PubSub({ projectId: PROJECT, authClient: new PassThroughClient() });
    try {
      const [topic] = await client.createTopic("kept");
      await topic.createSubscription("kept-sub");
      const id = await topic.publishMessage({ data: Buffer.from("survives"), attributes: { a: "b" } });
      await client.close();
      await persistent.stop();

      persistent = await startPubSubEmulator({ port: 0, dataDir });
      process.env.PUBSUB_EMULATOR_HOST = persistent.host;
      client = new PubSub({ projectId: PROJECT, authClient: new PassThroughClient() });
      const sub = client.subscription("kept-sub");
      open.push(sub);
      const received = listen(sub);
      await waitFor("the persisted message", () => received.length >= 1);
      assert.equal(received[0].id, id);
      assert.equal(received[0].data.toString(), "survives");
      assert.deepEqual(received[0].attributes, { a: "b" });
    } finally {
      await Promise.all(open.splice(0).map((s) => s.close()));
      await client.close();
      await persistent.stop();
      restore();
    }
  });
});
