/**
 * A splittable DoFn with a tagged output on parallel streaming instances (--direct_num_workers 2):
 * its stateful step sits behind the keyed exchange like any keyed step, and both outputs carry
 * every element once, as on one thread (Beam's testAdditionalOutput over a real-time source).
 */
import { strict as assert } from "node:assert";
import type { Message } from "@google-cloud/pubsub";
import { isStreamingResult } from "../../runners/streaming";
import { parallelBlocker } from "../../runners/streaming/parallel";
import { waitFor } from "../setup/emulators/helpers";
import { TEST_PROJECT, usePubSubEmulator } from "../io/gcp/emulator_env";
import { sdfTaggedFromPubSub } from "./parallel_sdf_programs";
import { useRunCleanup } from "./run_cleanup";

describe("streaming: a splittable DoFn with a tagged output on parallel instances (--direct_num_workers 2)", function () {
  this.timeout(60_000);
  const emulator = usePubSubEmulator();
  const { running, subscribers } = useRunCleanup();

  it("runs on 2 instances; the main and the additional output each have every message once", async () => {
    const { pubsub } = emulator;
    await pubsub.createTopic("sdft-in");
    await pubsub.topic("sdft-in").createSubscription("sdft-in");
    await pubsub.createTopic("sdft-out");
    await pubsub.topic("sdft-out").createSubscription("sdft-out");
    const got: string[] = [];
    const s = pubsub.subscription("sdft-out");
    s.on("message", (m: Message) => {
      got.push(m.data.toString());
      m.ack();
    });
    subscribers.push(s);
    const n = 40;
    await Promise.all(Array.from({ length: n }, (_, i) => pubsub.topic("sdft-in").publishMessage({ data: Buffer.from(String(i)) })));

    const flags = { input: `projects/${TEST_PROJECT}/subscriptions/sdft-in`, output: `projects/${TEST_PROJECT}/topics/sdft-out` };
    assert.equal(parallelBlocker(sdfTaggedFromPubSub.create(flags, { directNumWorkers: 2 })), undefined, "nothing keeps it on one thread");
    const r = await sdfTaggedFromPubSub.run(flags, { directNumWorkers: 2 });
    assert.ok(isStreamingResult(r));
    running.push(r);
    await waitFor(`${2 * n} outputs`, () => got.length >= 2 * n, 45_000);
    assert.equal(await r.drain(), "DRAINED");
    const expected = Array.from({ length: n }, (_, i) => [`main:${i}`, `additional:${i}`]).flat();
    assert.deepEqual([...got].sort(), expected.sort());
  });
});
