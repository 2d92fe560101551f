/**
 * Fault suite: bundle retries in a streaming run (--direct_bundle_retries), the way Flink restarts
 * a Beam job: a failed bundle restarts the run in the process from its last snapshot (kept in
 * memory without --checkpoint_dir), the TestStream rewinds to the snapshot's position, and the
 * windowed counts count every input exactly once. A failure that does not go away fails the run
 * after the retries, naming the transform and the element, with the retries counted.
 */
import { strict as assert } from "node:assert";
import * as fs from "node:fs";
import * as path from "node:path";
import { DoFn, FixedWindows, GroupByKey, kv, KV, ParDo, ProcessContext, ReadUnbounded, Window, WriteToText } from "../../lib";
import { StatefulDoFn, StatefulProcessContext, StateSpec, TimerContext, TimerSpec } from "../../lib/model/state";
import { ReadFromPubSub } from "../../lib/io/pubsub";
import type { StreamingPipelineResult } from "../../lib/model/result";
import { TestStream } from "../../lib/testing/test_stream";
import { readShards, runDirect } from "../helpers";
import { usePubSubEmulator } from "../io/gcp/emulator_env";
import { makeTempDir, waitFor, within } from "../setup/emulators/helpers";
import { collect, Observed } from "../streaming/collect";

const N = 2_000;
const BAD = 1_234;
const KEYS = 10;
const WINDOW_MS = 100;

/** Passes elements on; throws on BAD its first `failures` times. */
class Flaky extends DoFn<KV<string, number>, KV<string, number>> {
  constructor(private readonly state: { failures: number; sawBad: number }) {
    super();
  }
  process(e: KV<string, number>, ctx: ProcessContext<KV<string, number>>): void {
    if (e.value === BAD) {
      this.state.sawBad++;
      if (this.state.sawBad <= this.state.failures) throw new Error(`flaky dependency failed on ${e.value}`);
    }
    ctx.output(e);
  }
}

/** Checks that each window of each key fired one count (repeated firings, if any, the same) and returns them. */
function countsOf(what: string, observed: readonly Observed<KV<string, number>>[]): Map<string, number> {
  const counts = new Map<string, number>();
  for (const o of observed) {
    const id = `${o.window} ${o.value.key}`;
    const before = counts.get(id);
    assert.ok(before === undefined || before === o.value.value, `${what}: window ${id} fired ${before} and then ${o.value.value}`);
    counts.set(id, o.value.value);
  }
  return counts;
}

/** Counts per key and window in value state; outputs the count from an event-time timer at the window's end. */
class StatefulCount extends StatefulDoFn<string, number, KV<string, number>> {
  readonly count = StateSpec.value<number>("count");
  readonly end = TimerSpec.eventTime("end");
  process(_e: KV<string, number>, ctx: StatefulProcessContext<KV<string, number>>): void {
    const c = ctx.state(this.count);
    c.write((c.read() ?? 0) + 1);
    ctx.timer(this.end).set(ctx.window.maxTimestamp());
  }
  onTimer(_t: string, ctx: TimerContext<string, KV<string, number>>): void {
    ctx.output(kv(ctx.key, ctx.state(this.count).read() ?? 0));
  }
}

/** N elements in 20 events of 100, the watermark following each, so windows fire all along the run. */
function script(): TestStream<KV<string, number>> {
  let s = TestStream.create<KV<string, number>>();
  for (let start = 0; start < N; start += 100) {
    const events = Array.from({ length: 100 }, (_, i) => start + i).map((n) => ({ value: kv(`k${n % KEYS}`, n), timestamp: n }));
    s = s.addElements(...events).advanceWatermarkTo(start + 100);
  }
  return s.advanceWatermarkToInfinity();
}

async function windowedCount(state: { failures: number; sawBad: number }, options: { directBundleRetries: number; checkpointIntervalMs?: number; checkpointDir?: string }, output?: string) {
  const out: Observed<KV<string, number>>[] = [];
  const stateful: Observed<KV<string, number>>[] = [];
  const result = await runDirect((p) => {
    const windowed = p
      .apply(script())
      .apply("Flaky", ParDo.of(new Flaky(state)))
      .apply(Window.into(new FixedWindows(WINDOW_MS)));
    const counts = windowed.apply(GroupByKey.create()).map("Count", (g: KV<string, number[]>) => kv(g.key, g.value.length));
    collect(counts, out);
    collect(windowed.apply("StatefulCount", ParDo.of(new StatefulCount())), stateful, "CollectStateful");
    if (output !== undefined) windowed.map("Format", (e: KV<string, number>) => `${e.key} ${e.value}`).apply("Write", WriteToText.to(output));
  }, options);
  return { result, out, stateful };
}

describe("faults: bundle retries in a streaming run (restart from the last snapshot)", function () {
  this.timeout(60_000);
  const dirs: string[] = [];
  afterEach(() => {
    for (const d of dirs.splice(0)) fs.rmSync(d, { recursive: true, force: true });
  });

  for (const [label, interval, durable] of [
    ["a snapshot after every bundle", 0, false],
    ["only the snapshot taken at the start", 60_000, false],
    ["restored from --checkpoint_dir", 0, true],
  ] as const) {
    it(`a DoFn that throws once: with --direct_bundle_retries 2 the windowed count completes, every input counted exactly once (${label})`, async () => {
      const state = { failures: 1, sawBad: 0 };
      const dir = durable ? makeTempDir("beamline-retries-") : undefined;
      if (dir !== undefined) dirs.push(dir);
      const files = makeTempDir("beamline-retries-out-");
      dirs.push(files);
      const options = { directBundleRetries: 2, checkpointIntervalMs: interval, ...(dir !== undefined ? { checkpointDir: dir } : {}) };
      const { result, out, stateful } = await windowedCount(state, options, path.join(files, "out"));
      assert.equal(await result.waitUntilFinish(), "DONE");
      // Windowed text files: each element once, and no temporary file of the failed attempt left.
      const lines = readShards(path.join(files, "out"));
      assert.equal(lines.length, N);
      assert.equal(new Set(lines).size, N);
      assert.deepEqual(fs.readdirSync(files).filter((f) => f.startsWith(".")), [], "no temporary files left");
      assert.equal(state.sawBad, 2, "the failed attempt and the retry");
      // The collecting ParDos are external sinks: a pane fired after the snapshot and before the
      // failure is fired again by the retry (at-least-once), with the same count.
      for (const [what, observed] of [["GroupByKey", out], ["stateful", stateful]] as const) {
        const counts = countsOf(what, observed);
        assert.equal(counts.size, (N / WINDOW_MS) * KEYS, `${what}: every window of every key`);
        for (const [id, n] of counts) assert.equal(n, WINDOW_MS / KEYS, `${what}: count of ${id}`);
        assert.equal([...counts.values()].reduce((a, b) => a + b, 0), N, `${what}: every input exactly once`);
      }
      assert.equal(result.metrics.counterTotal("beamline", "bundleRetries", "Flaky"), 1);
    });
  }

  it("a DoFn that always throws: fails after 2 retries naming the transform and the element, the retries counted", async () => {
    const state = { failures: Infinity, sawBad: 0 };
    const { result, out } = await windowedCount(state, { directBundleRetries: 2, checkpointIntervalMs: 0 });
    await assert.rejects(result.waitUntilFinish(), (e: Error & { transformPath?: string }) => {
      assert.equal(e.name, "UserCodeError");
      assert.equal(e.transformPath, "Flaky");
      assert.match(e.message, /transform 'Flaky' while processing element .*1234.*: Error: flaky dependency failed on 1234 \(the bundle failed on each of its 3 attempts; --direct_bundle_retries 2\)$/);
      return true;
    });
    assert.equal(state.sawBad, 3, "one attempt and two retries");
    assert.equal(result.metrics.counterTotal("beamline", "bundleRetries", "Flaky"), 2);
    assert.ok(out.every((o) => Number(o.window.split(":")[1]) <= BAD), "no window after the failing element fired");
  });

  it("a real-time source that cannot rewind (no checkpoint handler): not retried, the error says why", async () => {
    const state = { failures: 1, sawBad: 0 };
    const result = await runDirect(
      (p) => {
        p.apply(
          "Numbers",
          ReadUnbounded.from<KV<string, number>>({
            initialWatermark: 0,
            async read(ctx) {
              for (let n = 0; n < N && !ctx.signal.aborted; n++) await ctx.emit(kv(`k${n % KEYS}`, n), n);
            },
          }),
        ).apply("Flaky", ParDo.of(new Flaky(state)));
      },
      { directBundleRetries: 2 },
    );
    await assert.rejects(result.waitUntilFinish(), /flaky dependency failed on 1234 \(not retried: a real-time source of this run cannot rewind to a snapshot\)$/);
    assert.equal(state.sawBad, 1);
  });

  it("without --direct_bundle_retries a streaming run fails at once (no snapshots taken)", async () => {
    const state = { failures: 1, sawBad: 0 };
    const { result } = await windowedCount(state, { directBundleRetries: 0 });
    await assert.rejects(result.waitUntilFinish(), /transform 'Flaky' while processing element .*1234.*: Error: flaky dependency failed on 1234$/);
    assert.equal(state.sawBad, 1);
  });

  describe("from Pub/Sub (emulator)", () => {
    const emulator = usePubSubEmulator();

    it("a DoFn that throws once: the run restarts, the unacknowledged messages come back, every message counted exactly once", async () => {
      const M = 600;
      const BAD_MESSAGE = 300;
      const [topic] = await emulator.pubsub.createTopic("retries-in");
      const state = { failures: 1, sawBad: 0 };
      const out: Observed<KV<string, number>>[] = [];
      const stateful: Observed<KV<string, number>>[] = [];
      const started = Date.now();
      const result = (await runDirect(
        (p) => {
          const windowed = p
            .apply("Read", ReadFromPubSub.from({ topic: "retries-in", idAttribute: "id" }))
            .map("Parse", (data: Uint8Array) => Number(Buffer.from(data).toString()))
            .map("ByKey", (n: number) => kv(`k${n % KEYS}`, n === BAD_MESSAGE ? BAD : n))
            .apply("Flaky", ParDo.of(new Flaky(state)))
            .apply(Window.into(new FixedWindows(1000)));
          collect(windowed.apply(GroupByKey.create()).map("Count", (g: KV<string, number[]>) => kv(g.key, g.value.length)), out);
          collect(windowed.apply("StatefulCount", ParDo.of(new StatefulCount())), stateful, "CollectStateful");
        },
        { directBundleRetries: 2, checkpointIntervalMs: 100 },
      )) as StreamingPipelineResult;
      try {
        // The run reads the topic through a subscription of its own: publish once it exists.
        for (let waited = 0; (await topic.getSubscriptions())[0].length === 0; waited++) {
          if (waited > 400 || streaming(result)) throw new Error(`the run created no subscription (run ${result.state})`);
          await new Promise((resolve) => setTimeout(resolve, 50));
        }
        // Six batches: the windows (1 s, of publish time) fire as the run goes.
        for (let i = 0; i < M; i += 100) {
          await Promise.all(Array.from({ length: 100 }, (_, j) => topic.publishMessage({ data: Buffer.from(String(i + j)), attributes: { id: `m${i + j}` } })));
        }
        const total = (): number => [...countsOf("GroupByKey", out).values()].reduce((a, b) => a + b, 0);
        await waitFor(`${M} messages counted`, () => total() >= M || streaming(result), 60_000);
        assert.equal(await within("drain", 20_000, result.drain()), "DRAINED");
      } finally {
        if (result.state === "RUNNING" || result.state === "DRAINING") await result.cancel().catch(() => undefined);
      }
      console.log(`      ${M} messages through a restart in ${Date.now() - started} ms`);
      assert.equal(state.sawBad, 2, "the failed attempt and the retry");
      const grouped = countsOf("GroupByKey", out);
      assert.deepEqual([...countsOf("stateful", stateful)].sort(), [...grouped].sort(), "the stateful counts equal the GroupByKey's, window by window");
      const perKey = new Map<string, number>();
      for (const [id, n] of grouped) perKey.set(id.split(" ")[1]!, (perKey.get(id.split(" ")[1]!) ?? 0) + n);
      assert.deepEqual([...perKey.values()], Array<number>(KEYS).fill(M / KEYS), "every message counted exactly once");
      assert.equal(result.metrics.counterTotal("beamline", "droppedDueToLateness"), 0, "no message came back late");
      assert.equal(result.metrics.counterTotal("beamline", "bundleRetries", "Flaky"), 1);
      assert.deepEqual((await topic.getSubscriptions())[0], [], "the drained run deleted its subscription");
    });
  });
});

/** Whether a streaming run has ended (a failed run stops the wait at once). */
function streaming(result: StreamingPipelineResult): boolean {
  return result.state !== "RUNNING" && result.state !== "DRAINING";
}
