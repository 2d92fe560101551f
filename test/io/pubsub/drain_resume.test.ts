/**
 * A streaming run reading a topic, resumed from its checkpoint after a run that died holding
 * leases, and drained at once. The dead run's messages were read but never processed; they come
 * back only when their leases lapse (the ack deadline). A drain stops reading, and after a drain
 * the run's own subscription to the topic is deleted, so a drain that stopped before they came
 * back lost them. The reader now reads on, on a drain, until they can have come back.
 *
 * The dead run is simulated in-process: a first run creates the subscription and a checkpoint
 * and is cancelled; then a plain reader pulls the next messages from that subscription and lets
 * go of them without acknowledging or handing them back, as a process killed with -9 does.
 */
import { strict as assert } from "node:assert";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { PubSub } from "@google-cloud/pubsub";
import { PassThroughClient } from "google-auth-library";
import "../../../runners/direct";
import { PubSubReader, ReadFromPubSub } from "../../../lib/io/pubsub";
import { isStreamingResult, type StreamingPipelineResult } from "../../../runners/streaming";
import { runDirect } from "../../helpers";
import { waitFor } from "../../setup/emulators/helpers";
import { startEmulatorEnv, TEST_PROJECT, type EmulatorEnv } from "../gcp/emulator_env";

/** What the runs read, by run. */
const seen: string[][] = [];

describe("io/pubsub: a drain right after a resume reads what the dead run had leased", function () {
  this.timeout(90_000);
  let env: EmulatorEnv;
  let pubsub: PubSub;
  let dir: string;
  const running: StreamingPipelineResult[] = [];

  before(async () => {
    env = await startEmulatorEnv(["pubsub"]);
    pubsub = new PubSub({ projectId: TEST_PROJECT, apiEndpoint: env.emulators.pubsubHost, emulatorMode: true, authClient: new PassThroughClient() });
    await pubsub.createTopic("drain-resume-in");
    dir = fs.mkdtempSync(path.join(os.tmpdir(), "beamline-drain-resume-"));
  });

  after(async () => {
    for (const r of running) if (r.state === "RUNNING" || r.state === "DRAINING") await r.cancel().catch(() => undefined);
    await pubsub?.close();
    await env?.stop();
    if (dir !== undefined) fs.rmSync(dir, { recursive: true, force: true });
  });

  const publish = async (prefix: string, n: number): Promise<void> => {
    const topic = pubsub.topic("drain-resume-in");
    await Promise.all(Array.from({ length: n }, (_, i) => topic.publishMessage({ data: Buffer.from(`${prefix}${i}`) })));
  };

  const start = async (run: number): Promise<StreamingPipelineResult> => {
    seen[run] = [];
    const result = await runDirect(
      (p) => {
        p.apply("Read", ReadFromPubSub.from({ topic: `projects/${TEST_PROJECT}/topics/drain-resume-in` })).map("Keep", (b: Uint8Array) => {
          seen[run]!.push(Buffer.from(b).toString());
          return b.length;
        });
      },
      { checkpointDir: dir, checkpointIntervalMs: 0 },
    );
    assert.ok(isStreamingResult(result as never));
    running.push(result as StreamingPipelineResult);
    return result as StreamingPipelineResult;
  };

  it("the messages leased by the dead run are processed before the drain ends", async () => {
    // The first run creates its subscription and a checkpoint, reads a0-a4, and is cancelled
    // (which keeps both, so a later run resumes).
    const first = await start(0);
    // A topic delivers only what is published after a subscription exists: wait for the run's.
    const topic = pubsub.topic("drain-resume-in");
    for (let polls = 0; (await topic.getSubscriptions())[0].length === 0; polls++) {
      if (polls > 500) throw new Error("the first run created no subscription to the topic in 10 s");
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
    await publish("a", 5);
    await waitFor("the first run reads a0-a4", () => seen[0]!.length >= 5, 20_000);
    await first.cancel();
    assert.equal(first.state, "CANCELLED");
    const [subscriptions] = await pubsub.topic("drain-resume-in").getSubscriptions();
    assert.equal(subscriptions.length, 1, "the run's own subscription to the topic is kept for a resume");

    // The dead run: it pulled b0-b4 and died without acknowledging them or handing them back.
    await publish("b", 5);
    const dead = await PubSubReader.open({ subscription: subscriptions[0]!.name, ackDeadlineSeconds: 10, keepLeasesOnClose: true });
    const leased: string[] = [];
    for (let tries = 0; leased.length < 5 && tries < 20; tries++) leased.push(...(await dead.pull(5 - leased.length, 1000)).map((m) => Buffer.from(m.value as Uint8Array).toString()));
    await dead.close({ deleteSubscription: false });
    assert.deepEqual(leased.sort(), ["b0", "b1", "b2", "b3", "b4"]);

    // The next run resumes from the checkpoint and is drained at once.
    const second = await start(1);
    assert.equal(await second.drain(), "DRAINED");
    assert.deepEqual(seen[1]!.sort(), ["b0", "b1", "b2", "b3", "b4"], "the dead run's messages are read before the drain ends (before the fix: none)");
    const [left] = await pubsub.topic("drain-resume-in").getSubscriptions();
    assert.equal(left.length, 0, "after the drain the run's subscription is deleted");
  });
});
