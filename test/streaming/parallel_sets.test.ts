/**
 * Sets on parallel streaming instances (--direct_num_workers 2): two Pub/Sub inputs, each split
 * among the instances, their elements brought to the instance that owns them by the keyed
 * exchange; each window's intersectAll and exceptAll are the one-thread run's and Beam's.
 */
import { strict as assert } from "node:assert";
import type { Message } from "@google-cloud/pubsub";
import { isStreamingResult, type StreamingPipelineResult } from "../../runners/streaming";
import { parallelBlocker } from "../../runners/streaming/parallel";
import { waitFor } from "../setup/emulators/helpers";
import { TEST_PROJECT, usePubSubEmulator } from "../io/gcp/emulator_env";
import { parallelSets } from "./parallel_sets_programs";
import { useRunCleanup } from "./run_cleanup";

const sub = (s: string) => `projects/${TEST_PROJECT}/subscriptions/${s}`;
const topic = (t: string) => `projects/${TEST_PROJECT}/topics/${t}`;
const PAST = Date.UTC(2024, 0, 1);

/** The words of window w of each side: left has word i (i < 30) 1 + (i % 3) times, right (i % 4) times. */
function inputs(): { left: { w: string; ts: number }[]; right: { w: string; ts: number }[] } {
  const left: { w: string; ts: number }[] = [];
  const right: { w: string; ts: number }[] = [];
  for (let window = 0; window < 3; window++) {
    for (let i = 0; i < 30; i++) {
      const ts = PAST + window * 10_000 + i * 100;
      for (let n = 0; n < 1 + (i % 3); n++) left.push({ w: `w${i}`, ts: ts + n });
      for (let n = 0; n < i % 4; n++) right.push({ w: `w${i}`, ts: ts + 50 + n });
    }
  }
  return { left, right };
}

/** Beam's answer per window, computed here: "op word start:end" lines. */
function expected(): string[] {
  const out: string[] = [];
  for (let window = 0; window < 3; window++) {
    const id = `${PAST + window * 10_000}:${PAST + (window + 1) * 10_000}`;
    for (let i = 0; i < 30; i++) {
      const l = 1 + (i % 3);
      const r = i % 4;
      for (let n = 0; n < Math.min(l, r); n++) out.push(`intersectAll w${i} ${id}`);
      for (let n = 0; n < Math.max(l - r, 0); n++) out.push(`exceptAll w${i} ${id}`);
    }
  }
  return out.sort();
}

describe("streaming: Sets on parallel instances (--direct_num_workers 2)", function () {
  this.timeout(60_000);
  const emulator = usePubSubEmulator();
  const { running, subscribers } = useRunCleanup();

  it("intersectAll and exceptAll per window give Beam's answer on one thread and on 2 instances", async () => {
    const { pubsub } = emulator;
    const runs = ["one", "two"] as const;
    const outputs = new Map<string, string[]>();
    for (const side of ["left", "right"]) {
      await pubsub.createTopic(`sets-${side}`);
      for (const run of runs) await pubsub.topic(`sets-${side}`).createSubscription(`sets-${side}-${run}`, { ackDeadlineSeconds: 10 });
    }
    for (const run of runs) {
      await pubsub.createTopic(`sets-out-${run}`);
      await pubsub.topic(`sets-out-${run}`).createSubscription(`sets-out-${run}`);
      const got: string[] = [];
      outputs.set(run, got);
      const s = pubsub.subscription(`sets-out-${run}`);
      s.on("message", (m: Message) => {
        got.push(m.data.toString());
        m.ack();
      });
      subscribers.push(s);
    }
    const { left, right } = inputs();
    await Promise.all([
      ...left.map((m) => pubsub.topic("sets-left").publishMessage({ data: Buffer.from(m.w), attributes: { ts: String(m.ts) } })),
      ...right.map((m) => pubsub.topic("sets-right").publishMessage({ data: Buffer.from(m.w), attributes: { ts: String(m.ts) } })),
    ]);
    const flags = (run: string) => ({ left: sub(`sets-left-${run}`), right: sub(`sets-right-${run}`), output: topic(`sets-out-${run}`) });
    assert.equal(parallelBlocker(parallelSets.create(flags("two"), { directNumWorkers: 2 })), undefined, "the streaming driver runs it on parallel instances");
    const want = expected();
    const results: StreamingPipelineResult[] = [];
    for (const [run, workers] of [["one", 1], ["two", 2]] as const) {
      const r = await parallelSets.run(flags(run), { directNumWorkers: workers });
      assert.ok(isStreamingResult(r));
      running.push(r);
      results.push(r);
    }
    await waitFor(`${want.length} results from each run`, () => outputs.get("one")!.length >= want.length && outputs.get("two")!.length >= want.length, 45_000);
    for (const r of results) assert.equal(await r.drain(), "DRAINED");
    assert.deepEqual([...outputs.get("one")!].sort(), want, "one thread");
    assert.deepEqual([...outputs.get("two")!].sort(), want, "two instances");
  });
});
