/**
 * Bounded ReadFromPubSub's acknowledgements are its output commit, run after the sinks' commits:
 * on the DirectRunner, messages are acked only when the whole run has succeeded, so a run that
 * fails after the commit step ran loses no message (they are redelivered), and leaves no file.
 */
import { strict as assert } from "node:assert";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { PubSub } from "@google-cloud/pubsub";
import { PassThroughClient } from "google-auth-library";
import "../../../runners/direct";
import { Create } from "../../../lib";
import { PubSubReader, ReadFromPubSub } from "../../../lib/io/pubsub";
import { WriteToText } from "../../../lib/io/textio";
import { runDirect } from "../../helpers";
import { startEmulatorEnv, TEST_PROJECT, type EmulatorEnv } from "../gcp/emulator_env";

describe("io/pubsub: acknowledgements are committed with the run's outputs", function () {
  this.timeout(30_000);
  let env: EmulatorEnv;
  let pubsub: PubSub;
  let dir: string;

  before(async () => {
    env = await startEmulatorEnv(["pubsub"]);
    pubsub = new PubSub({ projectId: TEST_PROJECT, apiEndpoint: env.emulators.pubsubHost, emulatorMode: true, authClient: new PassThroughClient() });
    await pubsub.createTopic("ack-in");
    await pubsub.topic("ack-in").createSubscription("ack-in-sub", { ackDeadlineSeconds: 10 });
    dir = fs.mkdtempSync(path.join(os.tmpdir(), "ack-commit-"));
  });

  after(async () => {
    await pubsub?.close();
    await env?.stop();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  const run = (fail: boolean, n: number) =>
    runDirect((p) => {
      const read = ReadFromPubSub.from({ subscription: `projects/${TEST_PROJECT}/subscriptions/ack-in-sub`, maxMessages: n, maxReadTimeSeconds: 20 });
      p.apply("Read", read)
        .map("Decode", (b: Uint8Array) => Buffer.from(b).toString())
        .apply("Write", WriteToText.to(path.join(dir, "out")))
        .apply("Commit", read.commitAfter());
      // Another branch, scheduled after the commit step, fails.
      p.apply("Other", Create.from([0])).map("Explode", (x: number) => {
        if (fail) throw new Error("another branch failed");
        return x;
      });
    });

  it("a run failing after the commit step: no message acked (all redelivered), no file; the next run commits both", async () => {
    const n = 4;
    const topic = pubsub.topic("ack-in");
    await Promise.all(Array.from({ length: n }, (_, i) => topic.publishMessage({ data: Buffer.from(`m${i}`) })));
    const failed = await run(true, n);
    assert.equal(failed.state, "FAILED");
    assert.match(failed.error!.message, /Explode.*another branch failed/);
    assert.deepEqual(fs.readdirSync(dir), [], "no output file");

    const ok = await run(false, n);
    assert.equal(await ok.waitUntilFinish(), "DONE");
    const lines = fs.readFileSync(path.join(dir, "out-00000-of-00001"), "utf8").split("\n").filter((l) => l !== "").sort();
    assert.deepEqual(lines, ["m0", "m1", "m2", "m3"], "every message of the failed run was redelivered");
    const check = await PubSubReader.open({ subscription: "ack-in-sub" });
    assert.deepEqual(await check.pull(100), [], "acknowledged once the successful run committed");
    await check.close();
  });
});
