/**
 * WriteToPubSub with idAttribute and retried bundles: a message's id is fixed before the bundle
 * that publishes it, so a bundle retried after some of its messages were published publishes them
 * again under the same ids, and a reader de-duplicating on the attribute sees each element once.
 * (Beam's PubsubUnboundedSink gives each record its id in ShardFn, before the GroupByKey that
 * precedes WriterFn, so that retried writes carry the same ids.)
 */
import { strict as assert } from "node:assert";
import { PubSub } from "@google-cloud/pubsub";
import { PassThroughClient } from "google-auth-library";
import "../../../runners/direct";
import { Create } from "../../../lib";
import { PubSubReader, WriteToPubSub, type PubsubMessage } from "../../../lib/io/pubsub";
import { runDirect } from "../../helpers";
import { startEmulatorEnv, TEST_PROJECT, type EmulatorEnv } from "../gcp/emulator_env";

describe("io/pubsub: message ids survive a retried bundle", function () {
  this.timeout(60_000);
  let env: EmulatorEnv;
  let pubsub: PubSub;

  before(async () => {
    env = await startEmulatorEnv(["pubsub"]);
    pubsub = new PubSub({ projectId: TEST_PROJECT, apiEndpoint: env.emulators.pubsubHost, emulatorMode: true, authClient: new PassThroughClient() });
    await pubsub.createTopic("ids-out");
    await pubsub.topic("ids-out").createSubscription("ids-out-sub", { ackDeadlineSeconds: 60 });
  });

  after(async () => {
    await pubsub?.close();
    await env?.stop();
  });

  it("a bundle retried after its first Publish went through re-publishes those messages with the same ids", async () => {
    const n = 300;
    const faults = env.emulators.pubsub!.faults;
    // The first Publish (200 messages) is served; the second fails for good (INVALID_ARGUMENT is not
    // retried), which fails the bundle after 200 messages were published.
    faults.inject({ method: "Publish", count: 1, fault: { kind: "delay", ms: 0 } }).failNext("Publish", 1, { code: 3, message: "injected permanent failure" });
    const result = await runDirect(
      (p) => {
        p.apply(Create.from(Array.from({ length: n }, (_, i) => `m${i}`))).apply(WriteToPubSub.to(`projects/${TEST_PROJECT}/topics/ids-out`, { idAttribute: "uid" }));
      },
      { directBundleRetries: 1, directNumWorkers: 1 },
    );
    assert.equal(await result.waitUntilFinish(), "DONE");
    assert.deepEqual(faults.pending(), []);
    // Every message published (the first 200 twice), read without de-duplication.
    const reader = await PubSubReader.open<PubsubMessage>({ subscription: `projects/${TEST_PROJECT}/subscriptions/ids-out-sub`, withAttributes: true, ackDeadlineSeconds: 60 });
    const got: PubsubMessage[] = [];
    for (let i = 0; i < 200 && got.length < n + 200; i++) got.push(...(await reader.pull(1000)).map((e) => e.value));
    await reader.close();
    assert.equal(got.length, n + 200);
    const idsByData = new Map<string, Set<string>>();
    for (const m of got) {
      const data = Buffer.from(m.data).toString();
      const ids = idsByData.get(data) ?? new Set<string>();
      ids.add(m.attributes["uid"]!);
      idsByData.set(data, ids);
    }
    assert.equal(idsByData.size, n);
    const withSeveralIds = [...idsByData].filter(([, ids]) => ids.size !== 1).map(([data]) => data);
    assert.deepEqual(withSeveralIds, [], "each element is published under one id, however often it is published");
  });
});
