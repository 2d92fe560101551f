/**
 * CombineFn setup/teardown on parallel streaming instances (--direct_num_workers 2): each worker
 * thread rebuilds the pipeline, so each has instances of its own; every one set up must be torn
 * down once the run ends (Beam Python's combinefn_lifecycle contract), as on one thread.
 */
import { strict as assert } from "node:assert";
import { BroadcastChannel } from "node:worker_threads";
import type { Message } from "@google-cloud/pubsub";
import { isStreamingResult } from "../../runners/streaming";
import { parallelBlocker } from "../../runners/streaming/parallel";
import { waitFor } from "../setup/emulators/helpers";
import { TEST_PROJECT, usePubSubEmulator } from "../io/gcp/emulator_env";
import { keyedLifecycleSum, LIFECYCLE_CHANNEL } from "./parallel_combine_lifecycle_programs";
import { useRunCleanup } from "./run_cleanup";

describe("streaming: CombineFn setup and teardown on parallel instances (--direct_num_workers 2)", function () {
  this.timeout(60_000);
  const emulator = usePubSubEmulator();
  const { running, subscribers } = useRunCleanup();
  let channel: BroadcastChannel;
  const said: string[] = [];
  beforeEach(() => {
    said.length = 0;
    channel = new BroadcastChannel(LIFECYCLE_CHANNEL);
    channel.onmessage = (e) => said.push(String((e as { data: unknown }).data));
  });
  afterEach(() => channel.close());

  it("every instance set up in a worker thread is torn down when the run drains", async () => {
    const { pubsub } = emulator;
    await pubsub.createTopic("cl-in");
    await pubsub.topic("cl-in").createSubscription("cl-in");
    await pubsub.createTopic("cl-out");
    await pubsub.topic("cl-out").createSubscription("cl-out");
    const got: string[] = [];
    const s = pubsub.subscription("cl-out");
    s.on("message", (m: Message) => {
      got.push(m.data.toString());
      m.ack();
    });
    subscribers.push(s);
    // Old, aligned event times: every window is complete once the readers have caught up.
    const past = Date.UTC(2024, 0, 1);
    const keys = ["a", "b", "c", "d", "e", "f"];
    await Promise.all(Array.from({ length: 60 }, (_, i) => pubsub.topic("cl-in").publishMessage({ data: Buffer.from(keys[i % keys.length]!), attributes: { ts: String(past + i) } })));

    const flags = { input: `projects/${TEST_PROJECT}/subscriptions/cl-in`, output: `projects/${TEST_PROJECT}/topics/cl-out` };
    assert.equal(parallelBlocker(keyedLifecycleSum.create(flags, { directNumWorkers: 2 })), undefined, "nothing keeps it on one thread");
    const r = await keyedLifecycleSum.run(flags, { directNumWorkers: 2 });
    assert.ok(isStreamingResult(r));
    running.push(r);
    await waitFor("a sum per key", () => got.length >= keys.length, 45_000);
    assert.equal(await r.drain(), "DRAINED");
    assert.deepEqual([...got].sort(), keys.map((k) => `${k} 10`));
    // Messages on a BroadcastChannel arrive asynchronously: wait for one teardown per setup.
    const count = (what: string) => said.filter((m) => m.startsWith(`${what} `)).length;
    await waitFor("a teardown for each setup", () => count("setup") > 0 && count("teardown") >= count("setup"), 10_000);
    const setups = said.filter((m) => m.startsWith("setup ")).map((m) => m.slice("setup ".length)).sort();
    const teardowns = said.filter((m) => m.startsWith("teardown ")).map((m) => m.slice("teardown ".length)).sort();
    assert.deepEqual(teardowns, setups, "each instance set up is torn down once");
    assert.ok(new Set(setups.map((s) => s.split(" ")[0])).size >= 2, `both instance threads set up the fn (${setups.join(", ")})`);
  });
});
