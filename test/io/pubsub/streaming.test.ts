import { strict as assert } from "node:assert";
import { PubSub, type Message } from "@google-cloud/pubsub";
import { PassThroughClient } from "google-auth-library";
import { Count, DoFn, FixedWindows, ParDo, Window, type KV } from "../../../lib";
import { PubSubReader, ReadFromPubSub, WriteToPubSub, type PubsubMessage } from "../../../lib/io/pubsub";
import { isStreamingResult, type StreamingPipelineResult } from "../../../runners/streaming";
import { runDirect } from "../../helpers";
import { waitFor, within } from "../../setup/emulators/helpers";
import { startEmulatorEnv, TEST_PROJECT, type EmulatorEnv } from "../gcp/emulator_env";

const subPath = (s: string) => `projects/${TEST_PROJECT}/subscriptions/${s}`;

function double(data: Uint8Array): string {
  const { ID } = JSON.parse(Buffer.from(data).toString("utf8")) as { ID: number };
  return JSON.stringify({ ID, double: ID * 2 });
}

let failingSinkSaw = 0;
class FailingSink extends DoFn<string, string> {
  process(): void {
    failingSinkSaw++;
    throw new Error("sink is down");
  }
}

describe("io/pubsub: unbounded ReadFromPubSub on the streaming DirectRunner", function () {
  this.timeout(40_000);
  let env: EmulatorEnv;
  let pubsub: PubSub;

  const publish = async (topic: string, messages: { data: string; attributes?: Record<string, string> }[]) => {
    const t = pubsub.topic(topic);
    await Promise.all(messages.map((m) => t.publishMessage({ data: Buffer.from(m.data), attributes: m.attributes ?? {} })));
  };

  /** Collects what an official streaming subscriber receives (acking each); `stop()` closes it. */
  const collect = (subscription: string) => {
    const got: Message[] = [];
    const sub = pubsub.subscription(subscription);
    sub.on("message", (m: Message) => {
      got.push(m);
      m.ack();
    });
    const handle = { got, stop: () => sub.close() };
    subscribers.push(handle);
    return handle;
  };

  const pullAll = async (subscription: string): Promise<number> => {
    const reader = await PubSubReader.open({ subscription });
    try {
      return (await reader.pull(1000)).length;
    } finally {
      await reader.close();
    }
  };

  /** Runs still going when a test ends (an assertion failed): cancelled so nothing keeps the process alive. */
  const running: StreamingPipelineResult[] = [];
  const subscribers: { stop: () => Promise<void> }[] = [];
  const streaming = (r: unknown): StreamingPipelineResult => {
    assert.ok(isStreamingResult(r as never), "an unbounded read runs on the streaming driver");
    running.push(r as StreamingPipelineResult);
    return r as StreamingPipelineResult;
  };

  afterEach(async () => {
    for (const r of running.splice(0)) if (r.state === "RUNNING" || r.state === "DRAINING") await r.cancel().catch(() => undefined);
    for (const s of subscribers.splice(0)) await s.stop().catch(() => undefined);
  });

  before(async () => {
    env = await startEmulatorEnv(["pubsub"]);
    pubsub = new PubSub({ projectId: TEST_PROJECT, apiEndpoint: env.emulators.pubsubHost, emulatorMode: true, authClient: new PassThroughClient() });
    for (const t of ["s-in", "s-out", "w-in", "w-out", "f-in", "f-out", "g-in"]) await pubsub.createTopic(t);
    await pubsub.topic("s-in").createSubscription("s-in-sub", { ackDeadlineSeconds: 10 });
    await pubsub.topic("s-out").createSubscription("s-out-sub");
    await pubsub.topic("w-out").createSubscription("w-out-sub");
    await pubsub.topic("f-in").createSubscription("f-in-sub", { ackDeadlineSeconds: 10 });
    await pubsub.topic("f-out").createSubscription("f-out-sub");
  });

  after(async () => {
    await pubsub?.close();
    await env?.stop();
  });

  it("Pub/Sub → ParDo → Pub/Sub: a subscriber receives exactly the N results, the watermark follows, drain acks every input", async () => {
    const N = 250;
    const out = collect("s-out-sub");
    const result = streaming(
      await runDirect((p) => {
        p.apply("Read", ReadFromPubSub.from({ subscription: subPath("s-in-sub") }))
          .map("Double", double)
          .apply("Write", WriteToPubSub.to("s-out"));
      }),
    );
    assert.equal(result.state, "RUNNING");
    await publish("s-in", Array.from({ length: N }, (_, i) => ({ data: JSON.stringify({ ID: i }) })));
    // Every input is published (the server holds all N): the read's watermark may pass this instant
    // only once nothing read before it is still unacknowledged.
    const allPublishedAt = Date.now();
    await waitFor(`${N} results on s-out-sub`, () => out.got.length >= N, 20_000);
    const readWatermark = () => [...result.watermarks()].find(([id]) => id.startsWith("Read/"))?.[1] ?? -Infinity;
    await waitFor("the read's watermark passes the last publish once everything is acknowledged", () => readWatermark() >= allPublishedAt, 10_000);
    await waitFor("the progress line's output watermark follows", () => result.progress().outputWatermark >= allPublishedAt, 10_000);
    // The subscriber can see a result before the publish call that sent it returns, so the
    // leaf count (message ids from those calls) is awaited rather than sampled.
    await waitFor("the leaf PCollection (published message ids) to see every element", () => result.progress().elementsWritten >= N, 10_000);
    const progress = result.progress();
    assert.equal(progress.elementsRead, N);
    assert.equal(progress.elementsWritten, N, "the leaf PCollection (published message ids) saw every element, once");
    assert.equal(await within("drain", 10_000, result.drain()), "DRAINED");
    await out.stop();
    assert.equal(out.got.length, N, "exactly N results, no duplicates");
    const values = out.got.map((m) => JSON.parse(m.data.toString()) as { ID: number; double: number }).sort((a, b) => a.ID - b.ID);
    assert.deepEqual(values, Array.from({ length: N }, (_, i) => ({ ID: i, double: 2 * i })));
    assert.equal(await pullAll("s-in-sub"), 0, "every input was acknowledged (none redelivered)");
  });

  it("from a topic: own subscription (deleted at the end), event time from the timestamp attribute, windows fire on drain", async () => {
    const out = collect("w-out-sub");
    const result = streaming(
      await runDirect((p) => {
        p.apply("Read", ReadFromPubSub.from({ topic: "w-in", withAttributes: true, timestampAttribute: "ts" }))
          .map("Key", (m: PubsubMessage) => Buffer.from(m.data).toString())
          .apply("Window", Window.into(new FixedWindows(10_000)))
          .apply("Count", Count.perElement())
          .map("Format", (kv: KV<string, number>) => `${kv.key}=${kv.value}`)
          .apply("Write", WriteToPubSub.to("w-out"));
      }),
    );
    // The subscription exists once the source has opened; only messages published after that are read.
    const subscriptions = async () => (await pubsub.topic("w-in").getSubscriptions())[0].map((s) => s.name);
    let created: string[] = [];
    for (let i = 0; i < 200 && created.length === 0; i++) created = await subscriptions();
    assert.equal(created.length, 1, "the read created a subscription on the topic");
    // Event times an hour ahead: the processing-time watermark does not reach them before the drain.
    const base = Math.ceil((Date.now() + 3_600_000) / 10_000) * 10_000;
    const messages = [
      ...Array.from({ length: 7 }, (_, i) => ({ data: "a", attributes: { ts: String(base + i * 1000) } })),
      ...Array.from({ length: 4 }, (_, i) => ({ data: "a", attributes: { ts: String(base + 10_000 + i) } })),
      ...Array.from({ length: 3 }, () => ({ data: "b", attributes: { ts: new Date(base + 1).toISOString() } })),
      // Not a timestamp: its publish time (now, in the window before the drain's) and a counter, not a failed read.
      { data: "c", attributes: { ts: "soon" } },
    ];
    await publish("w-in", messages);
    await waitFor("all 15 messages read", () => result.progress().elementsRead >= 15, 20_000);
    assert.equal(out.got.filter((m) => !m.data.toString().startsWith("c=")).length, 0, "no window an hour ahead fired before the watermark reached it");
    assert.equal(await within("drain", 10_000, result.drain()), "DRAINED");
    await waitFor("4 window results", () => out.got.length >= 4, 10_000);
    await out.stop();
    assert.deepEqual(out.got.map((m) => m.data.toString()).sort(), ["a=4", "a=7", "b=3", "c=1"]);
    assert.equal(result.metrics.counterTotal("beamline", "pubsubInvalidTimestamps", "Read"), 1, "the message with an invalid timestamp attribute is counted on the read step");
    assert.deepEqual(await subscriptions(), [], "the subscription the read created is deleted");
  });

  it("a failing sink fails the run and the inputs are redelivered to the next run: nothing is lost", async () => {
    const M = 40;
    await publish("f-in", Array.from({ length: M }, (_, i) => ({ data: JSON.stringify({ ID: i }) })));
    failingSinkSaw = 0;
    const broken = streaming(
      await runDirect((p) => {
        p.apply("Read", ReadFromPubSub.from({ subscription: "f-in-sub" }))
          .map("Double", double)
          .apply("BrokenSink", ParDo.of(new FailingSink()));
      }),
    );
    await assert.rejects(within("the failing run ends", 15_000, broken.waitUntilFinish()), /BrokenSink.*sink is down|sink is down/s);
    assert.equal(broken.state, "FAILED");
    assert.ok(failingSinkSaw > 0, "the broken run did read messages");

    const out = collect("f-out-sub");
    const fixed = streaming(
      await runDirect((p) => {
        p.apply("Read", ReadFromPubSub.from({ subscription: "f-in-sub" }))
          .map("Double", double)
          .apply("Write", WriteToPubSub.to("f-out"));
      }),
    );
    await waitFor(`${M} results on f-out-sub`, () => out.got.length >= M, 20_000);
    assert.equal(await within("drain", 10_000, fixed.drain()), "DRAINED");
    await out.stop();
    const ids = out.got.map((m) => (JSON.parse(m.data.toString()) as { ID: number }).ID).sort((a, b) => a - b);
    assert.deepEqual(ids, Array.from({ length: M }, (_, i) => i), "every input of the failed run was redelivered and processed once");
    assert.equal(await pullAll("f-in-sub"), 0);
  });

  it("a run failing while a backlog is being read gives back every message it pulled, at once (none left leased until its lease runs out)", async () => {
    const M = 1_600; // more than three full pulls of 500
    await pubsub.topic("g-in").createSubscription("g-in-sub", { ackDeadlineSeconds: 600 });
    await publish("g-in", Array.from({ length: M }, (_, i) => ({ data: JSON.stringify({ ID: i }) })));
    failingSinkSaw = 0;
    const broken = streaming(
      await runDirect((p) => {
        p.apply("Read", ReadFromPubSub.from({ subscription: "g-in-sub" }))
          .map("Double", double)
          .apply("BrokenSink", ParDo.of(new FailingSink()));
      }),
    );
    await assert.rejects(within("the failing run ends", 15_000, broken.waitUntilFinish()), /sink is down/);
    assert.ok(failingSinkSaw > 0, "the broken run did read messages");
    // Right after the failure every message can be pulled again: a message left leased would stay away for its lease.
    const reader = await PubSubReader.open({ subscription: "g-in-sub" });
    const ids = new Set<number>();
    try {
      for (let batch = await reader.pull(1000); batch.length > 0; batch = await reader.pull(1000)) {
        for (const m of batch) ids.add((JSON.parse(Buffer.from(m.value).toString("utf8")) as { ID: number }).ID);
        await reader.commit(batch.map((m) => m.ackId));
      }
    } finally {
      await reader.close();
    }
    assert.equal(ids.size, M, "every message is back at once");
  });

  it("commitAfter() on an unbounded read is a clear error", async () => {
    const result = await runDirect((p) => {
      const read = ReadFromPubSub.from({ subscription: "s-in-sub" });
      p.apply("Read", read).apply("Commit", read.commitAfter());
    }).catch((e: Error) => e);
    const message = result instanceof Error ? result.message : result.error?.message ?? "";
    assert.match(message, /Read: commitAfter\(\) is for bounded reads.*Remove the commitAfter step/);
  });
});
