/**
 * Timer families on parallel streaming instances (--direct_num_workers 2): the keyed exchange
 * brings each key's elements to the instance that owns it, where its family's timers live; every
 * (key, window, tag) fires once, at its time, as in one thread.
 */
import { strict as assert } from "node:assert";
import type { Message } from "@google-cloud/pubsub";
import { isStreamingResult, type StreamingPipelineResult } from "../../runners/streaming";
import { parallelBlocker } from "../../runners/streaming/parallel";
import { waitFor } from "../setup/emulators/helpers";
import { TEST_PROJECT, usePubSubEmulator } from "../io/gcp/emulator_env";
import { keyedTimerFamilies, type TaggedInput } from "./parallel_timer_family_programs";
import { useRunCleanup } from "./run_cleanup";

const sub = (s: string) => `projects/${TEST_PROJECT}/subscriptions/${s}`;
const topic = (t: string) => `projects/${TEST_PROJECT}/topics/${t}`;
/** An old, window-aligned event time: every window is complete once the readers have caught up. */
const PAST = Date.UTC(2024, 0, 1);

describe("streaming: timer families on parallel instances (--direct_num_workers 2)", function () {
  this.timeout(60_000);
  const emulator = usePubSubEmulator();
  const { running, subscribers } = useRunCleanup();

  it("every (key, window, tag) fires once, at its time, in one thread and on 2 instances", async () => {
    const { pubsub } = emulator;
    const runs = ["one", "two"] as const;
    await pubsub.createTopic("tf-in");
    const outputs = new Map<string, string[]>();
    for (const run of runs) {
      await pubsub.topic("tf-in").createSubscription(`tf-${run}`, { ackDeadlineSeconds: 10 });
      await pubsub.createTopic(`tf-out-${run}`);
      await pubsub.topic(`tf-out-${run}`).createSubscription(`tf-out-${run}`);
      const got: string[] = [];
      outputs.set(run, got);
      const s = pubsub.subscription(`tf-out-${run}`);
      s.on("message", (m: Message) => {
        got.push(m.data.toString());
        m.ack();
      });
      subscribers.push(s);
    }
    const input = Array.from({ length: 200 }, (_, i) => ({ id: i, keys: i % 4 === 0 ? [`k${i % 7}`, `k${(i * 3 + 1) % 7}`] : [`k${i % 7}`], ts: PAST + i * 300 }));
    await Promise.all(input.map(({ ts, ...m }: TaggedInput & { ts: number }) => pubsub.topic("tf-in").publishMessage({ data: Buffer.from(JSON.stringify(m)), attributes: { ts: String(ts) } })));
    const expected = new Set<string>();
    for (const m of input) {
      const start = m.ts - (m.ts % 10_000);
      const end = start + 10_000 - 1;
      for (const k of new Set(m.keys)) {
        expected.add(`${k} ${start}:${start + 10_000} perTag/m${m.id}@${Math.min(m.ts + 50, end)}`);
        expected.add(`${k} ${start}:${start + 10_000} perTag/shared@${end}`);
      }
    }
    const want = [...expected].sort();
    assert.equal(parallelBlocker(keyedTimerFamilies.create({ input: sub("tf-two"), output: topic("tf-out-two") }, { directNumWorkers: 2 })), undefined, "the streaming driver runs it on parallel instances");
    const results: StreamingPipelineResult[] = [];
    for (const [run, workers] of [["one", 1], ["two", 2]] as const) {
      const r = await keyedTimerFamilies.run({ input: sub(`tf-${run}`), output: topic(`tf-out-${run}`) }, { directNumWorkers: workers });
      assert.ok(isStreamingResult(r));
      running.push(r);
      results.push(r);
    }
    await waitFor(`${want.length} results from each run`, () => outputs.get("one")!.length >= want.length && outputs.get("two")!.length >= want.length, 45_000);
    for (const r of results) assert.equal(await r.drain(), "DRAINED");
    assert.deepEqual([...outputs.get("one")!].sort(), want, "one thread");
    assert.deepEqual([...outputs.get("two")!].sort(), want, "two instances: each tag once, on its key's owner");
  });
});
