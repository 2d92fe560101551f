import { strict as assert } from "node:assert";
import { PubSub, type Message } from "@google-cloud/pubsub";
import { PassThroughClient } from "google-auth-library";
import "../../../runners/direct";
import { Create, DoFn, FixedWindows, ParDo, Window, type ProcessContext } from "../../../lib";
import { PubSubReader, ReadFromPubSub, WriteToPubSub, parseTimestampAttribute, type PubsubMessage } from "../../../lib/io/pubsub";
import { runDirect } from "../../helpers";
import { failingBoundedRead } from "./programs";
import { waitFor } from "../../setup/emulators/helpers";
import { startEmulatorEnv, TEST_PROJECT, type EmulatorEnv } from "../gcp/emulator_env";

const topicPath = (t: string) => `projects/${TEST_PROJECT}/topics/${t}`;
const subPath = (s: string) => `projects/${TEST_PROJECT}/subscriptions/${s}`;

/** Parses `{"ID": n}` and answers `{"ID": n, "double": 2n}`. */
function predict(data: Uint8Array): string {
  const { ID } = JSON.parse(Buffer.from(data).toString("utf8")) as { ID: number };
  return JSON.stringify({ ID, double: ID * 2 });
}

class FailingSink extends DoFn<string, string> {
  process(): void {
    throw new Error("sink is down");
  }
}

describe("io/pubsub: ReadFromPubSub / WriteToPubSub / PubSubReader against the emulator", function () {
  this.timeout(30_000);
  let env: EmulatorEnv;
  let pubsub: PubSub;

  const publish = async (topic: string, messages: { data: string; attributes?: Record<string, string> }[]) => {
    const t = pubsub.topic(topic);
    await Promise.all(messages.map((m) => t.publishMessage({ data: Buffer.from(m.data), attributes: m.attributes ?? {} })));
  };

  /** Receives from a subscription with the official streaming subscriber until `n` messages arrived, then `settleMs` more. */
  const receive = async (subscription: string, n: number, settleMs = 700): Promise<Message[]> => {
    const got: Message[] = [];
    const sub = pubsub.subscription(subscription);
    sub.on("message", (m: Message) => {
      got.push(m);
      m.ack();
    });
    try {
      await waitFor(`${n} messages on ${subscription}`, () => got.length >= n, 15_000);
      await new Promise((r) => setTimeout(r, settleMs));
    } finally {
      await sub.close();
    }
    return got;
  };

  before(async () => {
    env = await startEmulatorEnv(["pubsub"]);
    pubsub = new PubSub({ projectId: TEST_PROJECT, apiEndpoint: env.emulators.pubsubHost, emulatorMode: true, authClient: new PassThroughClient() });
    for (const t of ["input", "output", "unit", "from-topic", "fail-in", "fail-out", "gone", "many", "wm-race", "lease-fail"]) await pubsub.createTopic(t);
    await pubsub.topic("many").createSubscription("many-sub");
    await pubsub.topic("input").createSubscription("in-sub", { ackDeadlineSeconds: 10 });
    await pubsub.topic("output").createSubscription("out-sub");
    await pubsub.topic("unit").createSubscription("unit-sub", { ackDeadlineSeconds: 10 });
    await pubsub.topic("fail-in").createSubscription("fail-in-sub", { ackDeadlineSeconds: 10 });
    await pubsub.topic("fail-out").createSubscription("fail-out-sub");
    await pubsub.topic("wm-race").createSubscription("wm-race-sub", { ackDeadlineSeconds: 10 });
    // A long deadline: a message left leased by a reader that stopped would stay away for 10 minutes.
    await pubsub.topic("lease-fail").createSubscription("lease-fail-sub", { ackDeadlineSeconds: 600 });
  });

  after(async () => {
    await pubsub?.close();
    await env?.stop();
  });

  it("PubSubReader: timestamps from the attribute or publish time, dedup on the id attribute, acks only on commit, watermark", async () => {
    assert.equal(parseTimestampAttribute("1700000000123"), 1700000000123);
    assert.equal(parseTimestampAttribute("2024-01-01T00:00:00Z"), Date.UTC(2024, 0, 1));
    assert.equal(parseTimestampAttribute("soon"), undefined);
    assert.equal(parseTimestampAttribute("1700000000123000000"), undefined, "nanoseconds lie outside Beam's timestamps: the publish time is used");
    const before = Date.now() - 1000;
    await publish("unit", [
      { data: "a", attributes: { id: "1", ts: "1700000000123" } },
      { data: "a again", attributes: { id: "1" } },
      { data: "b", attributes: { id: "2" } },
    ]);
    const reader = await PubSubReader.open<PubsubMessage>({ subscription: "unit-sub", withAttributes: true, idAttribute: "id", timestampAttribute: "ts", ackDeadlineSeconds: 10 });
    let got = await reader.pull(10);
    for (let i = 0; i < 20 && got.length < 2; i++) got = [...got, ...(await reader.pull(10))];
    assert.deepEqual(got.map((m) => m.id).sort(), ["1", "2"], "the copy with the same id is emitted once");
    const a = got.find((m) => m.id === "1")!;
    const b = got.find((m) => m.id === "2")!;
    assert.equal(a.timestamp, 1700000000123, "timestamp from the attribute");
    assert.ok(b.timestamp >= before && b.timestamp === b.publishTime, "timestamp from the publish time");
    assert.equal(Buffer.from(b.value.data).toString(), "b");
    assert.deepEqual(b.value.attributes, { id: "2" });
    assert.equal(reader.watermark(), Math.min(a.timestamp, a.publishTime, b.publishTime), "watermark = oldest unacked publish or event time");

    await reader.commit([a.ackId]);
    assert.equal(reader.watermark(), b.publishTime);
    await reader.nack([b.ackId]);
    let again: typeof got = [];
    for (let i = 0; i < 20 && again.length === 0; i++) again = await reader.pull(10);
    assert.deepEqual(again.map((m) => m.id), ["2"], "the uncommitted message is redelivered; the committed one is not");
    await reader.commit(again.map((m) => m.ackId));
    await reader.close();
    const fresh = await PubSubReader.open({ subscription: "unit-sub" });
    assert.deepEqual(await fresh.pull(10), [], "nothing left after commits");
    await fresh.close();
  });

  it("PubSubReader: a pull that waits for the previous lease does not move the watermark past the messages it is about to list", async () => {
    await publish("wm-race", [{ data: "a" }]);
    const reader = await PubSubReader.open({ subscription: "wm-race-sub", ackDeadlineSeconds: 10 });
    try {
      // The lease request of the first pull is slow, so the second pull waits for it after its own response arrived.
      env.emulators.pubsub!.faults.delayNext("ModifyAckDeadline", 1, 1500);
      let first = await reader.pull(10);
      for (let i = 0; i < 20 && first.length === 0; i++) first = await reader.pull(10);
      assert.equal(first.length, 1);
      reader.markDelivered(first[0]!.id);
      await publish("wm-race", [{ data: "b" }]);
      let settled = false;
      const second = reader.pull(10).finally(() => (settled = true));
      // Meanwhile a bundle commit may read the watermark (the source reports it after each commit).
      const seen: number[] = [];
      while (!settled) {
        seen.push(reader.watermark());
        await new Promise((r) => setTimeout(r, 5));
      }
      const got = await second;
      assert.equal(got.length, 1, "the second pull returns b");
      const b = got[0]!;
      assert.ok(seen.length > 10, `the watermark was read while the pull waited (${seen.length} reads)`);
      const passed = seen.filter((w) => w > b.timestamp);
      assert.equal(passed.length, 0, `${passed.length} of ${seen.length} watermark reads during the pull passed b's timestamp ${b.timestamp} (first: ${passed[0]})`);
      assert.ok(reader.watermark() <= b.timestamp, "b holds the watermark once listed");
      await reader.commit([first[0]!.ackId, b.ackId]);
    } finally {
      await reader.close();
    }
  });

  it("PubSubReader: a pull that fails on the previous lease request gives back the messages it received (none left leased)", async () => {
    await publish("lease-fail", [{ data: "a" }, { data: "b" }]);
    const reader = await PubSubReader.open({ subscription: "lease-fail-sub", ackDeadlineSeconds: 600 });
    const got: string[] = [];
    try {
      // The lease request of the first pull fails for good; the next pull reports it, after its own response arrived.
      env.emulators.pubsub!.faults.failNext("ModifyAckDeadline", 1, { code: 7, message: "permission denied on modifyAckDeadline" });
      let first = await reader.pull(1);
      for (let i = 0; i < 20 && first.length === 0; i++) first = await reader.pull(1);
      assert.equal(first.length, 1);
      got.push(Buffer.from(first[0]!.value).toString());
      await assert.rejects(reader.pull(1), /permission denied on modifyAckDeadline/);
    } finally {
      await reader.close(); // nacks what it holds
    }
    // Every message is back at once: one the failed pull received but never listed would stay leased for the subscription's 600 s.
    const again = await PubSubReader.open({ subscription: "lease-fail-sub" });
    const back = new Set<string>();
    try {
      for (let i = 0; i < 30 && back.size < 2; i++) {
        const batch = await again.pull(10, 1000);
        for (const m of batch) back.add(Buffer.from(m.value).toString());
        await again.commit(batch.map((m) => m.ackId));
      }
    } finally {
      await again.close();
    }
    assert.deepEqual([...back].sort(), ["a", "b"], `both messages are back at once (the first pull took ${got.join()})`);
  });

  it("PubSubReader from a topic creates a subscription and deletes it on close", async () => {
    const reader = await PubSubReader.open({ topic: "from-topic" });
    const created = reader.subscription.split("/").pop()!;
    assert.equal((await pubsub.subscription(created).exists())[0], true);
    await publish("from-topic", [{ data: "x" }]);
    let got: Awaited<ReturnType<typeof reader.pull>> = [];
    for (let i = 0; i < 20 && got.length === 0; i++) got = await reader.pull(5);
    assert.equal(Buffer.from(got[0]!.value).toString(), "x");
    await reader.close();
    assert.equal((await pubsub.subscription(created).exists())[0], false);
  });

  it("Pub/Sub (bounded) → ParDo → Pub/Sub on the DirectRunner: the subscriber receives exactly the N results; inputs are acked", async () => {
    const N = 30;
    await publish("input", Array.from({ length: N }, (_, i) => ({ data: JSON.stringify({ ID: i }) })));
    const result = await runDirect((p) => {
      const read = ReadFromPubSub.from({ subscription: subPath("in-sub"), maxMessages: N, maxReadTimeSeconds: 20 });
      p.apply("Read", read)
        .map("Predict", predict)
        .apply("Write", WriteToPubSub.to(topicPath("output"), { idAttribute: "rid" }))
        .apply("Commit", read.commitAfter());
    });
    await result.waitUntilFinish();
    const got = await receive("out-sub", N);
    assert.equal(got.length, N, "exactly N results, no duplicates");
    const ids = got.map((m) => (JSON.parse(m.data.toString()) as { ID: number; double: number })).sort((x, y) => x.ID - y.ID);
    assert.deepEqual(ids, Array.from({ length: N }, (_, i) => ({ ID: i, double: 2 * i })));
    assert.equal(new Set(got.map((m) => m.attributes["rid"])).size, N, "every message has a unique id attribute");
    const check = await PubSubReader.open({ subscription: "in-sub" });
    assert.deepEqual(await check.pull(100), [], "the inputs were acknowledged after the results were published");
    await check.close();
  });

  it("a bounded read: a message whose timestamp attribute is invalid takes its publish time and is counted (beamline/pubsubInvalidTimestamps), the others keep theirs", async () => {
    const before = Date.now() - 1000;
    await publish("input", [
      { data: "good", attributes: { ts: "1700000000123" } },
      { data: "bad", attributes: { ts: "next tuesday" } },
      { data: "none" },
    ]);
    const seen = new Map<string, number>();
    const result = await runDirect((p) => {
      p.apply("Read", ReadFromPubSub.from({ subscription: subPath("in-sub"), timestampAttribute: "ts", maxMessages: 3, maxReadTimeSeconds: 20 })).apply(
        "Times",
        ParDo.of((m: Uint8Array, ctx: ProcessContext<never>) => void seen.set(Buffer.from(m).toString(), ctx.timestamp)),
      );
    });
    await result.waitUntilFinish();
    assert.deepEqual([...seen.keys()].sort(), ["bad", "good", "none"]);
    assert.equal(seen.get("good"), 1700000000123);
    assert.ok(seen.get("bad")! >= before && seen.get("none")! >= before, "the invalid and the missing attribute give the publish time");
    assert.equal(result.metrics.counterTotal("beamline", "pubsubInvalidTimestamps"), 1, "only the invalid attribute is counted (a missing one is not an error)");
  });

  it("WriteToPubSub publishes a bundle in several requests while it goes on; each message id is placed at its element's timestamp and window", async () => {
    const N = 450;
    const seen: { id: string; window: string; timestamp: number }[] = [];
    const result = await runDirect((p) => {
      p.apply(Create.timestamped(Array.from({ length: N }, (_, i) => ({ value: JSON.stringify({ ID: i }), timestamp: (i % 3) * 1000 + 7 }))))
        .apply(Window.into(new FixedWindows(1000)))
        .apply("Write", WriteToPubSub.to(topicPath("many")))
        .apply(
          "Ids",
          ParDo.of((id: string, ctx: ProcessContext<never>) => void seen.push({ id, window: ctx.window.toString(), timestamp: ctx.timestamp })),
        );
    });
    await result.waitUntilFinish();
    const got = await receive("many-sub", N);
    assert.deepEqual(got.map((m) => (JSON.parse(m.data.toString()) as { ID: number }).ID).sort((x, y) => x - y), Array.from({ length: N }, (_, i) => i));
    assert.equal(new Set(seen.map((s) => s.id)).size, N, "one message id per element");
    assert.deepEqual(new Set(seen.map((s) => s.id)), new Set(got.map((m) => m.id)));
    const perWindow = new Map<string, number>();
    for (const s of seen) perWindow.set(s.window, (perWindow.get(s.window) ?? 0) + 1);
    assert.deepEqual([...perWindow.values()], [150, 150, 150], `ids per window: ${JSON.stringify([...perWindow])}`);
    assert.ok(seen.every((s) => s.timestamp % 1000 === 7), "each id at its element's timestamp");
  });

  it("commitAfter() on windowed output: the inputs are acknowledged once every window's output is done", async () => {
    const N = 12;
    await publish("input", Array.from({ length: N }, (_, i) => ({ data: JSON.stringify({ ID: i }) })));
    const result = await runDirect((p) => {
      const read = ReadFromPubSub.from({ subscription: subPath("in-sub"), maxMessages: N, maxReadTimeSeconds: 20 });
      p.apply("Read", read)
        .apply("Window", Window.into(new FixedWindows(1)))
        .map("Predict", predict)
        .apply("Write", WriteToPubSub.to(topicPath("output")))
        .apply("Commit", read.commitAfter());
    });
    await result.waitUntilFinish();
    assert.equal((await receive("out-sub", N)).length, N);
    const check = await PubSubReader.open({ subscription: "in-sub" });
    assert.deepEqual(await check.pull(100), [], "the inputs were acknowledged");
    await check.close();
  });

  it("a failing sink: the run fails and the input messages are redelivered (not acked), not lost", async () => {
    const M = 5;
    await publish("fail-in", Array.from({ length: M }, (_, i) => ({ data: JSON.stringify({ ID: i }) })));
    const result = await runDirect((p) => {
      const read = ReadFromPubSub.from({ subscription: "fail-in-sub", maxMessages: M, maxReadTimeSeconds: 20 });
      p.apply("Read", read)
        .map("Predict", predict)
        .apply("BrokenSink", ParDo.of(new FailingSink()))
        .apply("Write", WriteToPubSub.to("fail-out"))
        .apply("Commit", read.commitAfter());
    });
    assert.equal(result.state, "FAILED");
    assert.match(result.error!.message, /sink is down/);
    const reader = await PubSubReader.open({ subscription: "fail-in-sub" });
    let again: Awaited<ReturnType<typeof reader.pull>> = [];
    for (let i = 0; i < 30 && again.length < M; i++) again = [...again, ...(await reader.pull(10))];
    assert.deepEqual(again.map((m) => (JSON.parse(Buffer.from(m.value).toString()) as { ID: number }).ID).sort(), [0, 1, 2, 3, 4], "all inputs come back");
    await reader.commit(again.map((m) => m.ackId));
    await reader.close();
  });

  it("a failing sink with --direct_num_workers 2: the worker threads hand their leased messages back at once", async () => {
    const M = 6;
    await publish("fail-in", Array.from({ length: M }, (_, i) => ({ data: JSON.stringify({ ID: i }) })));
    const result = await failingBoundedRead.run({ subscription: "fail-in-sub", messages: M, topic: "fail-out" }, { directNumWorkers: 2, directWorkerThreads: "always" });
    assert.equal(result.state, "FAILED");
    assert.match(result.error!.message, /sink is down/);
    // The read ran in a worker thread with a 600 s lease: only that thread's cleanup can release it now.
    const reader = await PubSubReader.open({ subscription: "fail-in-sub" });
    let again: Awaited<ReturnType<typeof reader.pull>> = [];
    for (let i = 0; i < 30 && again.length < M; i++) again = [...again, ...(await reader.pull(10))];
    assert.equal(again.length, M, "all inputs are redelivered at once");
    await reader.commit(again.map((m) => m.ackId));
    await reader.close();
  });

  it("errors name the topic or subscription: missing topic (before the run and while publishing), missing subscription", async () => {
    const missingTopic = await runDirect((p) => {
      p.apply(ReadFromPubSub.from({ subscription: "in-sub", maxMessages: 1, maxReadTimeSeconds: 1 })).apply(WriteToPubSub.to("nope"));
    });
    assert.equal(missingTopic.state, "FAILED");
    assert.equal(missingTopic.error!.name, "ValidationError");
    assert.match(missingTopic.error!.message, new RegExp(`Pub/Sub topic ${topicPath("nope")}: .*does not exist\\. Create it \\(gcloud pubsub topics create nope\\)`));

    const missingSub = await runDirect((p) => {
      p.apply(ReadFromPubSub.from({ subscription: "no-sub", maxMessages: 1 }));
    });
    assert.match(missingSub.error!.message, new RegExp(`subscription ${subPath("no-sub")}.*does not exist`));

    // The topic disappears after validation: the publish fails and the run fails naming it.
    const deleted = await runDirect((p) => {
      p.apply(Create.from<string>(["x"]))
        .apply(
          "DeleteTopicFirst",
          ParDo.of(async (x: string, ctx: ProcessContext<string>) => {
            await pubsub.topic("gone").delete().catch(() => undefined);
            ctx.output(x);
          }),
        )
        .apply(WriteToPubSub.to("gone", { maxAttempts: 2 }));
    });
    assert.equal(deleted.state, "FAILED");
    assert.match(deleted.error!.message, new RegExp(`publish 1 messages to Pub/Sub topic ${topicPath("gone")}: .*does not exist`));
  });
});
