/**
 * WriteToPubSub with idAttribute in a streaming run that restarts from its checkpoint: the ids are
 * given before a Reshuffle, and (as on Dataflow, where the Reshuffle is a durable shuffle, or Flink
 * with @RequiresStableInput) what crosses the Reshuffle is in a checkpoint before anything after it
 * runs. So a run that dies after publishing, resumed from its checkpoint, publishes those messages
 * again under the ids they had, and a reader de-duplicating on the attribute sees each element once.
 * Without that, the restart re-ran the work from the source and gave the same elements new ids.
 */
import { strict as assert } from "node:assert";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { PubSub } from "@google-cloud/pubsub";
import { PassThroughClient } from "google-auth-library";
import "../../../runners/direct";
import { PubSubReader, WriteToPubSub, type PubsubMessage } from "../../../lib/io/pubsub";
import { TestStream } from "../../../lib/testing/test_stream";
import { runDirect } from "../../helpers";
import { startEmulatorEnv, TEST_PROJECT, type EmulatorEnv } from "../gcp/emulator_env";

/** Makes the first run die once it has published (set per run). */
const crash = { armed: false };

describe("io/pubsub: message ids survive a streaming restart from a checkpoint", function () {
  this.timeout(60_000);
  let env: EmulatorEnv;
  let pubsub: PubSub;
  let dir: string;

  before(async () => {
    env = await startEmulatorEnv(["pubsub"]);
    pubsub = new PubSub({ projectId: TEST_PROJECT, apiEndpoint: env.emulators.pubsubHost, emulatorMode: true, authClient: new PassThroughClient() });
    await pubsub.createTopic("restart-ids-out");
    await pubsub.topic("restart-ids-out").createSubscription("restart-ids-out-sub", { ackDeadlineSeconds: 60 });
    dir = fs.mkdtempSync(path.join(os.tmpdir(), "beamline-restart-ids-"));
  });

  after(async () => {
    crash.armed = false;
    await pubsub?.close();
    await env?.stop();
    if (dir !== undefined) fs.rmSync(dir, { recursive: true, force: true });
  });

  it("a run that dies after publishing, resumed from its checkpoint, republishes under the same ids", async () => {
    const n = 50;
    let stream = TestStream.create<string>();
    for (let i = 0; i < n; i += 10) stream = stream.addElements(...Array.from({ length: 10 }, (_, j) => ({ value: `m${i + j}`, timestamp: i + j })));
    const script = stream.advanceWatermarkToInfinity();
    const build = (p: Parameters<Parameters<typeof runDirect>[0]>[0]): void => {
      p.apply("Events", script)
        .apply("Publish", WriteToPubSub.to(`projects/${TEST_PROJECT}/topics/restart-ids-out`, { idAttribute: "uid" }))
        .map("DieAfterPublishing", (id: string) => {
          if (crash.armed) throw new Error(`died after publishing message ${id}`);
          return id;
        });
    };
    crash.armed = true;
    const first = await runDirect(build, { checkpointDir: dir, checkpointIntervalMs: 0 });
    await assert.rejects(first.waitUntilFinish(), /died after publishing/);
    crash.armed = false;
    const second = await runDirect(build, { checkpointDir: dir, checkpointIntervalMs: 0 });
    assert.equal(await second.waitUntilFinish(), "DONE");

    // Every message published, read without de-duplication.
    const reader = await PubSubReader.open<PubsubMessage>({ subscription: `projects/${TEST_PROJECT}/subscriptions/restart-ids-out-sub`, withAttributes: true, ackDeadlineSeconds: 60 });
    const got: PubsubMessage[] = [];
    for (let empty = 0; empty < 3; ) {
      const batch = await reader.pull(1000);
      got.push(...batch.map((e) => e.value));
      empty = batch.length === 0 ? empty + 1 : 0;
    }
    await reader.close();
    const idsByData = new Map<string, Set<string>>();
    for (const m of got) {
      const data = Buffer.from(m.data).toString();
      const ids = idsByData.get(data) ?? new Set<string>();
      ids.add(m.attributes["uid"]!);
      idsByData.set(data, ids);
    }
    assert.equal(idsByData.size, n, "every element published");
    assert.equal(got.length, n + 10, "the first run published its first bundle (10) before it died, and the second published those again");
    const withSeveralIds = [...idsByData].filter(([, ids]) => ids.size !== 1).map(([data, ids]) => `${data}: ${ids.size} ids`);
    assert.deepEqual(withSeveralIds, [], "each element is published under one id, however often it is published");
  });
});
