/**
 * Checkpoints of the streaming driver (--checkpoint_dir), in virtual time: a run that fails in
 * the middle keeps its last checkpoint, and a run of the same pipeline resumes from it — windows,
 * trigger states, stateful DoFn state and timers, watermarks and the TestStream's position — so
 * every element is counted exactly once across the two runs. A different pipeline is refused, a
 * finished run removes its checkpoints.
 */
import { strict as assert } from "node:assert";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { AfterCount, AfterWatermark, Count, FixedWindows, kv, KV, ParDo, Sessions, Window } from "../../lib";
import type { PCollection } from "../../lib/model/pcollection";
import type { Pipeline } from "../../lib/model/pipeline";
import { StatefulDoFn, StatefulProcessContext, StateSpec, TimerContext, TimerSpec } from "../../lib/model/state";
import { TestStream } from "../../lib/testing/test_stream";
import { isStreamingResult } from "../../lib/model/result";
import { runDirect } from "../helpers";
import { collect, Observed } from "./collect";

/** Counts each key's elements per window in state; reports the count when the window ends. */
class CountInState extends StatefulDoFn<string, number, string> {
  readonly count = StateSpec.value<number>("count");
  readonly seen = StateSpec.bag<number>("seen");
  readonly end = TimerSpec.eventTime("end");
  process(e: KV<string, number>, ctx: StatefulProcessContext<string>): void {
    const c = ctx.state(this.count);
    c.write((c.read() ?? 0) + 1);
    ctx.state(this.seen).add(e.value);
    ctx.timer(this.end).set(ctx.window.maxTimestamp());
  }
  onTimer(_t: string, ctx: TimerContext<string, string>): void {
    const seen = [...ctx.state(this.seen).read()].sort((a, b) => a - b);
    ctx.output(`${ctx.key} n=${ctx.state(this.count).read()} [${seen.join(",")}]`);
  }
}

const N = 90;
/** Makes the run fail at the element with this value (a crash, as far as the checkpoint is concerned). */
const crash = { at: -1 };

function script(): TestStream<KV<string, number>> {
  let s = TestStream.create<KV<string, number>>();
  for (let i = 0; i < N; i += 5) {
    s = s.addElements(...[0, 1, 2, 3, 4].map((j) => ({ value: kv(["a", "b", "c"][(i + j) % 3]!, i + j), timestamp: i + j })));
    if (i % 10 === 5) s = s.advanceWatermarkTo(i + 1);
  }
  return s.advanceWatermarkToInfinity();
}

interface Sinks {
  counts: Observed<KV<string, number>>[];
  early: Observed<KV<string, number>>[];
  state: Observed<string>[];
  sessions: Observed<KV<string, number>>[];
}

const newSinks = (): Sinks => ({ counts: [], early: [], state: [], sessions: [] });

function build(p: Pipeline, sinks: Sinks): void {
  const input = p.apply("Events", script()).map("MaybeCrash", (e: KV<string, number>) => {
    if (e.value === crash.at) throw new Error(`crash at ${e.value}`);
    return e;
  });
  const windowed = input.apply(Window.into(new FixedWindows(10)));
  collect(windowed.apply("Count", Count.perKey()), sinks.counts, "CollectCounts");
  // A trigger with state of its own (early panes every 2 elements, then the on-time pane).
  const early = input.apply("EarlyWindows", Window.into(new FixedWindows(30), { trigger: AfterWatermark({ early: AfterCount(4) }), accumulationMode: "ACCUMULATING" }));
  collect(early.apply("EarlyCount", Count.perKey()), sinks.early, "CollectEarly");
  collect(windowed.apply("State", ParDo.of(new CountInState())), sinks.state, "CollectState");
  const sessions = input.apply("SessionWindows", Window.into(new Sessions(3)));
  collect(sessions.apply("SessionCount", Count.perKey()) as PCollection<KV<string, number>>, sinks.sessions, "CollectSessions");
}

/** The final result per window and key: the last pane's value (a pane repeated after a restart must repeat the same value). */
function finalResults<T>(rows: readonly Observed<T>[], keyOf: (v: T) => string): Map<string, string> {
  const out = new Map<string, string>();
  for (const o of rows) out.set(`${o.window} ${keyOf(o.value)}`, JSON.stringify(o.value));
  return out;
}

const kvKey = (v: KV<string, number>): string => v.key;
const stateKey = (v: string): string => v.split(" ")[0]!;

describe("Streaming checkpoints (--checkpoint_dir)", () => {
  let dir: string;
  beforeEach(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), "beamline-ckpt-"));
    crash.at = -1;
  });
  afterEach(() => {
    crash.at = -1;
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it("a run that fails mid-stream resumes from its last checkpoint: windows, triggers, sessions, state and timers count every element once", async () => {
    const clean = newSinks();
    assert.equal(await (await runDirect((p) => build(p, clean))).waitUntilFinish(), "DONE");

    const sinks = newSinks();
    crash.at = 47;
    const first = await runDirect((p) => build(p, sinks), { checkpointDir: dir, checkpointIntervalMs: 0 });
    await assert.rejects(first.waitUntilFinish(), /crash at 47/);
    const kept = fs.readdirSync(dir).filter((f) => f.endsWith(".ckpt"));
    assert.ok(kept.length > 0, "the failed run keeps its checkpoints");
    const firedBefore = sinks.counts.length;
    assert.ok(firedBefore > 0 && firedBefore < clean.counts.length, `some windows fired before the failure (${firedBefore})`);

    crash.at = -1;
    const second = await runDirect((p) => build(p, sinks), { checkpointDir: dir, checkpointIntervalMs: 0 });
    assert.equal(await second.waitUntilFinish(), "DONE");

    for (const [name, keyOf] of [
      ["counts", kvKey],
      ["early", kvKey],
      ["sessions", kvKey],
      ["state", stateKey],
    ] as const) {
      const got = finalResults(sinks[name] as Observed<never>[], keyOf as (v: never) => string);
      const want = finalResults(clean[name] as Observed<never>[], keyOf as (v: never) => string);
      assert.deepEqual([...got].sort(), [...want].sort(), `${name}: the final results of the two runs equal those of an uninterrupted run`);
    }
    const total = [...finalResults(sinks.counts, kvKey).values()].reduce((n, v) => n + (JSON.parse(v) as KV<string, number>).value, 0);
    assert.equal(total, N, "every element counted once");
    // Checkpointed after every bundle: the resumed run fires only what the first did not (a run
    // started over would fire every pane again).
    for (const name of ["counts", "early", "state", "sessions"] as const) {
      assert.equal(sinks[name].length, clean[name].length, `${name}: each pane emitted once across the two runs`);
    }
    assert.equal(isStreamingResult(second) ? second.progress().elementsRead : -1, N, "element counts continue from the checkpoint");
    assert.equal(fs.readdirSync(dir).filter((f) => f.endsWith(".ckpt")).length, 0, "a finished run leaves no checkpoint behind");
  });

  it("refuses a checkpoint written by a different pipeline, naming the first difference", async () => {
    crash.at = 47;
    const first = await runDirect((p) => build(p, newSinks()), { checkpointDir: dir, checkpointIntervalMs: 0 });
    await assert.rejects(first.waitUntilFinish(), /crash at 47/);
    crash.at = -1;
    const other = await runDirect(
      (p) => {
        p.apply("Events", script())
          .apply(Window.into(new FixedWindows(20)))
          .apply("Count", Count.perKey());
      },
      { checkpointDir: dir },
    );
    await assert.rejects(other.waitUntilFinish(), (e: Error) => {
      assert.equal(e.name, "IncompatibleCheckpointError");
      assert.match(e.message, /written by a different pipeline/);
      assert.match(e.message, /First difference at transform '[^']+'/);
      assert.match(e.message, /another --checkpoint_dir/);
      return true;
    });
  });

  it("without a failure, a run with checkpoints gives the results of one without", async () => {
    const clean = newSinks();
    await (await runDirect((p) => build(p, clean))).waitUntilFinish();
    const sinks = newSinks();
    assert.equal(await (await runDirect((p) => build(p, sinks), { checkpointDir: dir, checkpointIntervalMs: 0 })).waitUntilFinish(), "DONE");
    assert.deepEqual(
      sinks.counts.map((o) => `${o.window} ${o.value.key}=${o.value.value}`),
      clean.counts.map((o) => `${o.window} ${o.value.key}=${o.value.value}`),
    );
    assert.deepEqual(sinks.state.map((o) => o.value), clean.state.map((o) => o.value));
  });
});
