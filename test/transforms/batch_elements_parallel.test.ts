/**
 * BatchElements across bundles (maxBatchDurationSecs) on two parallel streaming instances
 * (directNumWorkers: 2) over the Pub/Sub emulator: elements are keyed per worker (each instance
 * thread has its own key, as Beam's WithSharedKey per worker process), batched in state on
 * whichever instance owns the key, and every element comes out once, in a batch of one window, no
 * larger than the maximum, at the timestamp Beam's stateful BatchElements gives it (its last
 * element's when it filled, its first element's when the buffering timer flushed it, the window's
 * last timestamp when the window's end did).
 */
import { strict as assert } from "node:assert";
import type { Message } from "@google-cloud/pubsub";
import { isStreamingResult, type StreamingPipelineResult } from "../../runners/streaming";
import { parallelBlocker } from "../../runners/streaming/parallel";
import { waitFor } from "../setup/emulators/helpers";
import { TEST_PROJECT, usePubSubEmulator } from "../io/gcp/emulator_env";
import { pubSubBatchElementsProgram } from "./batch_elements_programs";

const sub = (s: string) => `projects/${TEST_PROJECT}/subscriptions/${s}`;
const topic = (t: string) => `projects/${TEST_PROJECT}/topics/${t}`;

/** An old, window-aligned event time. */
const PAST = Date.UTC(2024, 0, 1);

describe("BatchElements across bundles on parallel streaming instances (--direct_num_workers 2)", function () {
  this.timeout(60_000);
  const emulator = usePubSubEmulator();
  let running: StreamingPipelineResult | undefined;
  const subscribers: { close(): Promise<void> }[] = [];

  afterEach(async () => {
    if (running !== undefined && (running.state === "RUNNING" || running.state === "DRAINING")) await running.cancel().catch(() => undefined);
    running = undefined;
    for (const s of subscribers.splice(0)) await s.close().catch(() => undefined);
  });

  it("runs on parallel instances: every element once, batches of one window, at most 8, each at its last or first element's timestamp or its window's last", async () => {
    const flags = { input: sub("batches-in"), output: topic("batches-out") };
    assert.equal(parallelBlocker(pubSubBatchElementsProgram.create(flags, { directNumWorkers: 2 })), undefined, "the streaming driver runs it on parallel instances");
    const { pubsub } = emulator;
    await pubsub.createTopic("batches-in");
    await pubsub.topic("batches-in").createSubscription("batches-in", { ackDeadlineSeconds: 10 });
    await pubsub.createTopic("batches-out");
    await pubsub.topic("batches-out").createSubscription("batches-out");
    const got: string[] = [];
    const s = pubsub.subscription("batches-out");
    s.on("message", (m: Message) => {
      got.push(m.data.toString());
      m.ack();
    });
    subscribers.push(s);
    const n = 200;
    const input = pubsub.topic("batches-in");
    await Promise.all(Array.from({ length: n }, (_, i) => input.publishMessage({ data: Buffer.from(String(i)), attributes: { ts: String(PAST + i * 300) } })));

    const r = await pubSubBatchElementsProgram.run(flags, { directNumWorkers: 2 });
    assert.ok(isStreamingResult(r));
    running = r;
    // The buffering timer (1 s) sends partial batches on without the window's end.
    const elements = () => got.reduce((k, line) => k + line.split(":")[1]!.split(",").length, 0);
    await waitFor(`${n} elements in batches`, () => elements() >= n, 45_000);
    assert.equal(await r.drain(), "DRAINED");

    const seen: number[] = [];
    for (const line of got) {
      const [where, list] = line.split(":") as [string, string];
      const [start, offset] = where.split("@").map(Number) as [number, number];
      const batch = list.split(",").map(Number);
      assert.ok(batch.length >= 1 && batch.length <= 8, `batch of ${batch.length}: ${line}`);
      for (const i of batch) assert.equal(PAST + i * 300 - ((PAST + i * 300) % 10_000), start, `element ${i} is not in window ${start}: ${line}`);
      const offsetOf = (i: number): number => PAST + i * 300 - start;
      assert.ok([9_999, offsetOf(batch[batch.length - 1]!), offsetOf(batch[0]!)].includes(offset), `at its last or first element's timestamp or its window's last: ${line}`);
      seen.push(...batch);
    }
    assert.deepEqual(
      seen.sort((a, b) => a - b),
      Array.from({ length: n }, (_, i) => i),
    );
    assert.ok(r.metrics.counterTotal("test", "batchesInWorkerThread") > 0, "batches were made on the instances' threads");
  });
});
