import { strict as assert } from "node:assert";
import { BroadcastChannel } from "node:worker_threads";
import type { Message } from "@google-cloud/pubsub";
import { MAX_TIMESTAMP } from "../../lib/model/window";
import { isStreamingResult, type StreamingPipelineResult } from "../../runners/streaming";
import { parallelBlocker } from "../../runners/streaming/parallel";
import type { ParallelStreamingExecution } from "../../runners/streaming/parallel/coordinator";
import { waitFor } from "../setup/emulators/helpers";
import { pullAllText, TEST_PROJECT, usePubSubEmulator } from "../io/gcp/emulator_env";
import { Sessions } from "../../lib/model/sliding_sessions";
import { AfterCount, AfterProcessingTime, AfterWatermark, FixedWindows, OrFinally, Repeatedly } from "../../lib";
import { GLOBAL_WINDOWING, type WindowingStrategy } from "../../lib/model/windowing";
import { liftable } from "../../runners/streaming/parallel/precombine";
import { HOLD_CHANNEL, type KeyedInput, keyedCountEvery2, keyedMean, keyedTimers, keyedUnique, keyedWindowCount } from "./parallel_keyed_programs";
import { useRunCleanup } from "./run_cleanup";

const sub = (s: string) => `projects/${TEST_PROJECT}/subscriptions/${s}`;
const topic = (t: string) => `projects/${TEST_PROJECT}/topics/${t}`;

/** A published input message with its event time. */
interface Timed extends KeyedInput {
  readonly ts: number;
}

/** An old, window-aligned event time: every window of the input is complete once the readers have caught up. */
const PAST = Date.UTC(2024, 0, 1);

/** Messages over 9 windows of 10 s and 7 keys (one or two keys each, values 1–5). */
function backlog(): Timed[] {
  return Array.from({ length: 300 }, (_, i) => ({ keys: i % 4 === 0 ? [`k${i % 7}`, `k${(i * 3 + 1) % 7}`] : [`k${i % 7}`], v: (i % 5) + 1, ts: PAST + i * 300 }));
}

/** The one-thread truth, computed here: "key start:end count" per key and window. */
function countsOf(input: readonly Timed[], windowMs: number): Map<string, number> {
  const out = new Map<string, number>();
  for (const m of input) {
    const start = m.ts - (m.ts % windowMs);
    for (const k of m.keys) {
      const id = `${k} ${start}:${start + windowMs}`;
      out.set(id, (out.get(id) ?? 0) + 1);
    }
  }
  return out;
}

describe("streaming: keyed steps on parallel instances (--direct_num_workers 2, the keyed exchange)", function () {
  this.timeout(60_000);
  const emulator = usePubSubEmulator();
  const { running, subscribers } = useRunCleanup();

  /** An input topic with a subscription per run, and an output topic per run whose messages are collected. */
  const setUp = async (name: string, runs: readonly string[]) => {
    const { pubsub } = emulator;
    await pubsub.createTopic(`${name}-in`);
    const outputs = new Map<string, string[]>();
    for (const run of runs) {
      await pubsub.topic(`${name}-in`).createSubscription(`${name}-${run}`, { ackDeadlineSeconds: 10 });
      await pubsub.createTopic(`${name}-out-${run}`);
      await pubsub.topic(`${name}-out-${run}`).createSubscription(`${name}-out-${run}`);
      const got: string[] = [];
      outputs.set(run, got);
      const s = pubsub.subscription(`${name}-out-${run}`);
      s.on("message", (m: Message) => {
        got.push(m.data.toString());
        m.ack();
      });
      subscribers.push(s);
    }
    const input = pubsub.topic(`${name}-in`);
    const publish = (messages: readonly Timed[]) => Promise.all(messages.map(({ ts, ...m }) => input.publishMessage({ data: Buffer.from(JSON.stringify(m)), attributes: { ts: String(ts) } })));
    return { outputs, publish };
  };

  type Program = typeof keyedWindowCount | typeof keyedTimers | typeof keyedMean | typeof keyedCountEvery2 | typeof keyedUnique;

  const start = async (program: Program, name: string, run: string, workers: number, extra: Record<string, string> = {}): Promise<StreamingPipelineResult> => {
    const r = await (program as typeof keyedMean).run({ input: sub(`${name}-${run}`), output: topic(`${name}-out-${run}`), window_ms: 10_000, timestamp_combiner: "END_OF_WINDOW", ...extra }, { directNumWorkers: workers });
    assert.ok(isStreamingResult(r));
    running.push(r);
    return r;
  };

  /** Runs `program` in one thread and on 2 instances over the same input until each wrote `results`; drains both. */
  const runOneAndTwo = async (program: Program, name: string, outputs: Map<string, string[]>, results: number, extra: Record<string, string> = {}): Promise<StreamingPipelineResult> => {
    const one = await start(program, name, "one", 1, extra);
    const two = await start(program, name, "two", 2, extra);
    await waitFor(`${results} results from each run`, () => outputs.get("one")!.length >= results && outputs.get("two")!.length >= results, 45_000);
    assert.equal(await one.drain(), "DRAINED");
    assert.equal(await two.drain(), "DRAINED");
    return two;
  };

  it("keyed windowed counts and stateful timers run in parallel; side inputs and checkpoints still say why not", () => {
    const flags = { input: sub("in"), output: topic("out"), window_ms: 10_000 };
    assert.equal(parallelBlocker(keyedWindowCount.create(flags, { directNumWorkers: 2 })), undefined);
    assert.equal(parallelBlocker(keyedTimers.create(flags, { directNumWorkers: 2 })), undefined);
    assert.match(parallelBlocker(keyedWindowCount.create(flags, { directNumWorkers: 2, checkpointDir: "/tmp/x" }))!, /--checkpoint_dir/);
  });

  it("a keyed windowed count on 2 instances gives the one-thread result: every key and window once, one on-time pane, each message counted once", async () => {
    const { outputs, publish } = await setUp("kc", ["one", "two"]);
    const input = backlog();
    await publish(input);
    const expected = [...countsOf(input, 10_000)].map(([kw, n]) => `${kw} ${n} ON_TIME#0`).sort();
    const two = await runOneAndTwo(keyedWindowCount, "kc", outputs, expected.length);
    assert.deepEqual([...outputs.get("one")!].sort(), expected, "one thread");
    assert.deepEqual([...outputs.get("two")!].sort(), expected, "two instances: the same counts, windows and panes");
    assert.deepEqual(await pullAllText(sub("kc-two")), [], "every message acknowledged: nothing comes back to be counted again");
    assert.equal(two.progress().elementsRead, input.length, "each message read once");
    assert.equal(two.metrics.counterTotal("beamline", "droppedDueToLateness"), 0);
    assert.equal(two.progress().elementsWritten, expected.length, "each count written once");
    assert.equal(two.metrics.counterTotal("beamline", "droppedDueToClosedWindow"), 0);
    assert.equal(input.reduce((n, m) => n + m.keys.length, 0), [...expected].reduce((n, row) => n + Number(row.split(" ")[2]), 0), "the counts add up to the elements");
  });

  it("Combine.perKey is lifted before the exchange only where Beam lifts: non-merging windows, triggers that count at most one element", () => {
    const fixed = (trigger?: WindowingStrategy["trigger"]): WindowingStrategy => ({ ...GLOBAL_WINDOWING, windowFn: new FixedWindows(1000), ...(trigger !== undefined ? { trigger } : {}) });
    assert.equal(liftable(fixed()), true, "default trigger");
    assert.equal(liftable(fixed(AfterWatermark({ early: AfterProcessingTime(1000), late: AfterCount(1) }))), true, "early firings in processing time, late per element");
    assert.equal(liftable(fixed(Repeatedly(AfterCount(1)))), true);
    assert.equal(liftable(fixed(Repeatedly(AfterCount(2)))), false, "a count of 2 would see an accumulator as one element");
    assert.equal(liftable(fixed(AfterWatermark({ early: AfterCount(100) }))), false, "early firings by count");
    assert.equal(liftable(fixed(OrFinally(Repeatedly(AfterCount(1)), AfterWatermark()))), false, "OrFinally, which Beam Python's rule does not lift");
    assert.equal(liftable({ ...GLOBAL_WINDOWING, windowFn: new Sessions(1000) }), false, "merging windows");
  });

  for (const timestampCombiner of ["END_OF_WINDOW", "EARLIEST", "LATEST"] as const) {
    it(`a Combine.perKey with its own CombineFn (mean, { sum, n } accumulators) on 2 instances gives the one-thread panes, timestamp combiner ${timestampCombiner}: other instances' elements arrive as merged accumulators`, async () => {
      const name = `km${timestampCombiner.slice(0, 3).toLowerCase()}`;
      const { outputs, publish } = await setUp(name, ["one", "two"]);
      const input = backlog();
      await publish(input);
      const windows = new Map<string, { sum: number; n: number; min: number; max: number; end: number }>();
      for (const m of input) {
        const start = m.ts - (m.ts % 10_000);
        for (const k of m.keys) {
          const id = `${k} ${start}:${start + 10_000}`;
          const w = windows.get(id) ?? { sum: 0, n: 0, min: Infinity, max: -Infinity, end: start + 10_000 };
          w.sum += m.v!;
          w.n++;
          w.min = Math.min(w.min, m.ts);
          w.max = Math.max(w.max, m.ts);
          windows.set(id, w);
        }
      }
      const stamp = (w: { min: number; max: number; end: number }): number => (timestampCombiner === "EARLIEST" ? w.min : timestampCombiner === "LATEST" ? w.max : w.end - 1);
      const expected = [...windows].map(([kw, w]) => `${kw} ${w.sum / w.n} @${stamp(w)} ON_TIME#0`).sort();
      const two = await runOneAndTwo(keyedMean, name, outputs, expected.length, { timestamp_combiner: timestampCombiner });
      assert.deepEqual([...outputs.get("one")!].sort(), expected, "one thread");
      assert.deepEqual([...outputs.get("two")!].sort(), expected, "two instances: the same means, timestamps and panes");
      const elements = input.reduce((n, m) => n + m.keys.length, 0);
      assert.equal(two.metrics.counterTotal("mean", "addInput"), elements, "each element added once, on one instance; never an accumulator as an input");
      assert.ok(two.metrics.counterTotal("mean", "mergeAccumulators") > 0, "the owners merged accumulators precombined by the other instance");
      assert.equal(two.metrics.counterTotal("beamline", "droppedDueToLateness"), 0);
    });
  }

  it("ApproximateUnique.perKey on 2 instances gives the one-thread estimates: each key's sample of hashes merges the same wherever its values were read", async () => {
    const { outputs, publish } = await setUp("ku", ["one", "two"]);
    // 3 keys in 2 windows of 10 s; key a has 12 distinct values a window (fewer than the sample
    // of 16: exact), b 40 and c 100 (estimated from the 16 largest hashes), each value twice.
    const distinct: Record<string, number> = { a: 12, b: 40, c: 100 };
    const input: Timed[] = [];
    for (const [key, n] of Object.entries(distinct)) for (let i = 0; i < 2 * n; i++) for (const w of [0, 1]) input.push({ keys: [key], v: i % n, ts: PAST + w * 10_000 + i });
    await publish(input);
    await runOneAndTwo(keyedUnique, "ku", outputs, 6);
    const one = [...outputs.get("one")!].sort();
    assert.equal(one.length, 6, one.join("; "));
    assert.deepEqual([...outputs.get("two")!].sort(), one, "two instances: the same estimates, windows and panes");
    for (const line of one) {
      const [key, , estimate, pane] = line.split(" ");
      assert.equal(pane, "ON_TIME#0", line);
      const actual = distinct[key!]!;
      // Beam Java's bound: exact below the sample size, else a relative error below 2 / sqrt(16).
      if (actual < 16) assert.equal(Number(estimate), actual, line);
      else assert.ok(Math.abs(Number(estimate) - actual) / actual < 0.5, line);
    }
  });

  it("a trigger that counts elements (Repeatedly(AfterCount(2))) is not lifted: each key fires once its second element arrives, wherever it was read", async () => {
    const { outputs, publish } = await setUp("ke", ["one", "two"]);
    // Two messages for each of 60 keys: a lifted combine would see the two of a key read in one bundle as one element.
    const input = Array.from({ length: 120 }, (_, i) => ({ keys: [`k${i % 60}`], ts: PAST + i }));
    await publish(input);
    const expected = Array.from({ length: 60 }, (_, i) => `k${i} 2 EARLY#0`).sort();
    await runOneAndTwo(keyedCountEvery2, "ke", outputs, expected.length);
    assert.deepEqual([...outputs.get("one")!].sort(), expected, "one thread");
    assert.deepEqual([...outputs.get("two")!].sort(), expected, "two instances: a pane per key at its second element");
  });

  it("a stateful DoFn with event-time timers on 2 instances gives the one-thread result", async () => {
    const { outputs, publish } = await setUp("kt", ["one", "two"]);
    const input = backlog();
    await publish(input);
    const sums = new Map<string, { sum: number; n: number; end: number }>();
    for (const m of input) {
      const start = m.ts - (m.ts % 10_000);
      for (const k of m.keys) {
        const id = `${k} ${start}:${start + 10_000}`;
        const s = sums.get(id) ?? { sum: 0, n: 0, end: start + 10_000 - 1 };
        s.sum += m.v!;
        s.n++;
        sums.set(id, s);
      }
    }
    const expected = [...sums].map(([kw, s]) => `${kw} sum=${s.sum} n=${s.n} @${s.end}`).sort();
    await runOneAndTwo(keyedTimers, "kt", outputs, expected.length);
    assert.deepEqual([...outputs.get("one")!].sort(), expected, "one thread");
    assert.deepEqual([...outputs.get("two")!].sort(), expected, "two instances: each key's timers fire once, on its owner, with all its state");
  });

  it("a window fires only once every instance's input has passed it: an instance holding an element back holds the window on the other", async function () {
    this.timeout(120_000);
    const { outputs, publish } = await setUp("kh", ["two"]);
    const keys = Array.from({ length: 10 }, (_, i) => `k${i}`);
    // Event times ahead of the wall clock: no window is complete until the run drains.
    const windowStart = Math.floor((Date.now() + 3_600_000) / 60_000) * 60_000;
    const held = new BroadcastChannel(HOLD_CHANNEL);
    let holding = false;
    held.onmessage = (e) => {
      if ((e as { data: unknown }).data === "held") holding = true;
    };
    try {
      const r = await keyedWindowCount.run({ input: sub("kh-two"), output: topic("kh-out-two"), window_ms: 60_000 }, { directNumWorkers: 2 });
      assert.ok(isStreamingResult(r));
      running.push(r);
      await publish(Array.from({ length: 40 }, (_, i) => ({ keys, ts: windowStart + i })));
      await waitFor("the first 40 messages read", () => r.progress().elementsRead >= 40, 30_000);
      // One more element for every key, held in the element-wise step of whichever instance reads it.
      await publish([{ keys, hold: true, ts: windowStart + 100 }]);
      await waitFor("an instance to hold the last message", () => holding, 30_000);
      const drained = r.drain();
      // The other instance's reader stops on drain: its own input is complete, but the window waits for the held element.
      const execution = (r as unknown as { execution: ParallelStreamingExecution }).execution;
      const sources = [...r.watermarks().keys()].filter((id) => id.includes("ReadUnbounded"));
      assert.equal(sources.length, 1, [...r.watermarks().keys()].join(", "));
      let other: ReadonlyMap<string, number> | undefined;
      await waitFor("the other instance's input to end", () =>  (other = execution.instanceWatermarks().find((w) => w.get(sources[0]!) === MAX_TIMESTAMP)) !== undefined, 30_000);
      const counted = [...other!].filter(([id]) => id.startsWith("Count"));
      assert.ok(counted.length > 0 && counted.every(([, w]) => w < windowStart + 60_000), `the count's output watermark is held: ${JSON.stringify(counted)}`);
      assert.deepEqual(outputs.get("two"), [], "no window fired early");
      held.postMessage("release");
      const dbg = setInterval(() => console.log(JSON.stringify(execution.instanceWatermarks().map((m) => [...m].map(([k, v]) => `${k.slice(0, 8)}=${v}`)))), 2000);
      try { assert.equal(await drained, "DRAINED"); } finally { clearInterval(dbg); }
      assert.deepEqual([...outputs.get("two")!].sort(), keys.map((k) => `${k} ${windowStart}:${windowStart + 60_000} 41 ON_TIME#0`).sort(), "each key's window fired once, with the held element");
      assert.equal(r.metrics.counterTotal("beamline", "droppedDueToLateness"), 0);
    } finally {
      held.postMessage("release");
      held.close();
    }
  });
});
