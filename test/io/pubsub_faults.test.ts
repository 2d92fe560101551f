/**
 * Pub/Sub IO under faults: a reader process killed with SIGKILL while holding leased messages (its
 * messages must be redelivered within seconds, not after a long lease), and a streaming pipeline
 * that completes with exactly the right output while Pull, Publish, Acknowledge and
 * ModifyAckDeadline fail with UNAVAILABLE; the client's retries are counted.
 */
import { strict as assert } from "node:assert";
import { spawn } from "node:child_process";
import * as path from "node:path";
import "../../runners/direct";
import { gcpRetryCounts } from "../../lib/io/gcp";
import { PubSubReader, ReadFromPubSub, WriteToPubSub } from "../../lib/io/pubsub";
import { isStreamingResult, type StreamingPipelineResult } from "../../runners/streaming";
import { runDirect } from "../helpers";
import { waitFor, within } from "../setup/emulators/helpers";
import { pullAllText, TEST_PROJECT, usePubSubEmulator } from "./gcp/emulator_env";

describe("io/pubsub: leases and retries under faults", function () {
  this.timeout(60_000);
  const emulator = usePubSubEmulator();

  it("redelivers the messages of a reader killed with SIGKILL within seconds (short leases, extended while held)", async () => {
    const [topic] = await emulator.pubsub.createTopic("lease-in");
    await topic.createSubscription("lease-sub");
    const N = 20;
    await Promise.all(Array.from({ length: N }, (_, i) => topic.publishMessage({ data: Buffer.from(`m${i}`) })));
    const child = spawn(process.execPath, [path.join(__dirname, "pubsub_fault_child.js"), "lease-sub", String(N)], {
      env: { ...process.env, ...emulator.env.emulators.env, GOOGLE_CLOUD_PROJECT: TEST_PROJECT },
      stdio: ["ignore", "pipe", "inherit"],
    });
    const exited = new Promise<void>((resolve) => child.once("exit", () => resolve()));
    try {
      let out = "";
      await within(
        "the child to hold every message",
        20_000,
        new Promise<void>((resolve) =>
          child.stdout!.on("data", (chunk: Buffer) => {
            out += chunk.toString();
            if (out.includes(`holding ${N}`)) resolve();
          }),
        ),
      );
      // Held past a first lease extension: the child is mid-stream, its work in flight.
      await new Promise((resolve) => setTimeout(resolve, 3500));
      const reader = await PubSubReader.open({ subscription: "lease-sub" });
      try {
        assert.equal((await reader.pull(100, 1000)).length, 0, "the live child's leases are kept (extended)");
        child.kill("SIGKILL");
        const killedAt = Date.now();
        await exited;
        const got = new Set<string>();
        while (got.size < N && Date.now() - killedAt < 30_000) for (const m of await reader.pull(100, 2000)) got.add(Buffer.from(m.value).toString());
        const seconds = (Date.now() - killedAt) / 1000;
        process.stdout.write(`      redelivered ${got.size}/${N} messages ${seconds.toFixed(1)} s after SIGKILL\n`);
        assert.equal(got.size, N);
        assert.ok(seconds < 15, `redelivery took ${seconds.toFixed(1)} s`);
        await reader.commit(reader.outstandingAckIds());
      } finally {
        await reader.close();
      }
    } finally {
      if (child.exitCode === null && child.signalCode === null) child.kill("SIGKILL");
    }
  });

  it("a streaming pipeline reads, transforms and publishes every message once while Pull, Publish, Acknowledge and ModifyAckDeadline fail", async () => {
    const [input] = await emulator.pubsub.createTopic("retry-in");
    await input.createSubscription("retry-in-sub");
    const [output] = await emulator.pubsub.createTopic("retry-out");
    await output.createSubscription("retry-out-sub");
    const N = 50;
    // Published before the faults are set: they apply to every client of the emulator, this test's too.
    await Promise.all(Array.from({ length: N }, (_, i) => input.publishMessage({ data: Buffer.from(`m${i}`) })));
    const faults = emulator.env.emulators.pubsub!.faults;
    const before = gcpRetryCounts().pubsub;
    faults.failNext("Pull", 2).failNext("Publish", 1).failNext("Acknowledge", 1).failNext("ModifyAckDeadline", 1).failNext("ModifyAckDeadline", 1, { code: 4 });
    const result = await runDirect((p) => {
      p.apply("Read", ReadFromPubSub.from({ subscription: "retry-in-sub" }))
        .map("Upper", (data: Uint8Array) => Buffer.from(data).toString().toUpperCase())
        .apply("Write", WriteToPubSub.to("retry-out"));
    });
    assert.ok(isStreamingResult(result as never));
    const streaming = result as StreamingPipelineResult;
    try {
      await waitFor(`${N} results published`, () => streaming.progress().elementsWritten >= N, 30_000);
      await waitFor("every injected fault to be hit", () => faults.pending().length === 0, 10_000);
      assert.equal(await within("drain", 15_000, streaming.drain()), "DRAINED");
    } finally {
      if (streaming.state === "RUNNING" || streaming.state === "DRAINING") await streaming.cancel().catch(() => undefined);
    }
    // The output, read after the run (the faults apply to every client of the emulator, so nothing else reads during it).
    const got = await pullAllText("retry-out-sub");
    assert.deepEqual([...new Set(got)].sort(), Array.from({ length: N }, (_, i) => `M${i}`).sort(), "every message transformed and published");
    assert.equal(got.length, N, "none twice");
    const retried = gcpRetryCounts().pubsub - before;
    assert.ok(retried >= 6, `every failed attempt counted as a retry (${retried})`);
    // Every input was acknowledged in the end: nothing comes back.
    const reader = await PubSubReader.open({ subscription: "retry-in-sub" });
    try {
      assert.equal((await reader.pull(100, 1000)).length, 0);
    } finally {
      await reader.close();
    }
  });

  it("an acknowledge that fails for good (not transiently) fails the streaming run, naming the subscription (acks run in the background)", async () => {
    const [input] = await emulator.pubsub.createTopic("ackfail-in");
    await input.createSubscription("ackfail-sub");
    const [output] = await emulator.pubsub.createTopic("ackfail-out");
    await output.createSubscription("ackfail-out-sub");
    const faults = emulator.env.emulators.pubsub!.faults;
    faults.failNext("Acknowledge", 1, { code: 7, message: "permission denied on acknowledge" });
    const result = await runDirect((p) => {
      p.apply("Read", ReadFromPubSub.from({ subscription: "ackfail-sub" }))
        .map("Upper", (data: Uint8Array) => Buffer.from(data).toString().toUpperCase())
        .apply("Write", WriteToPubSub.to("ackfail-out"));
    });
    const streaming = result as StreamingPipelineResult;
    try {
      await input.publishMessage({ data: Buffer.from("first") });
      await waitFor("the first result published", () => streaming.progress().elementsWritten >= 1, 30_000);
      await waitFor("the acknowledge fault to be hit", () => faults.pending().length === 0, 10_000);
      // The next commit (or the drain) reports the failed acknowledge.
      await input.publishMessage({ data: Buffer.from("second") });
      await assert.rejects(within("the run to fail", 20_000, streaming.waitUntilFinish()), (e: Error) => /acknowledge messages of Pub\/Sub subscription projects\/[^/]+\/subscriptions\/ackfail-sub/.test(e.message) && /permission denied on acknowledge/.test(e.message));
    } finally {
      if (streaming.state === "RUNNING" || streaming.state === "DRAINING") await streaming.cancel().catch(() => undefined);
    }
  });
});
