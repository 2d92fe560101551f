/**
 * SetState and OrderedListState on the DirectRunner's streaming driver, beyond Beam's conformance
 * cases (test/conformance/beam_set_ordered_state): a failed element (withExceptionHandling)
 * leaves no change to either behind, and a run resumed from a checkpoint (--checkpoint_dir)
 * finds both as the checkpoint left them.
 */
import { strict as assert } from "node:assert";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { FailedElement, kv, KV, ParDo } from "../../lib";
import type { Pipeline } from "../../lib/model/pipeline";
import { StatefulDoFn, StatefulProcessContext, StateSpec, TimerContext, TimerSpec } from "../../lib/model/state";
import { TestStream } from "../../lib/testing/test_stream";
import { runDirect } from "../helpers";
import { InMemoryStateAndTimers } from "../../runners/executor/in_memory_state";
import { deterministicKeyCoder } from "../../runners/executor/default_coders";
import { GlobalWindow } from "../../lib/model/window";

/** Makes elements fail after changing state: with withExceptionHandling (`throwAt`) or as a crash of the run (`crashAt`). */
const faults = { throwAt: new Set<number>(), crashAt: -1 };
/** The values `SetAndList` has processed (a resumed run processes only those after its checkpoint). */
const processed: number[] = [];

/**
 * Per key: a set of objects `{ mod: value % 5 }` (one element per encoding), from which value 13
 * removes `{ mod: 1 }`; an ordered list of the values at timestamp `-value`, from which every
 * tenth value clears the range [-value - 5, -value + 5) it is in. At the end: both, read.
 */
class SetAndList extends StatefulDoFn<string, number, string> {
  readonly mods = StateSpec.set<{ mod: number }>("mods");
  readonly list = StateSpec.orderedList<number>("list");
  readonly end = TimerSpec.eventTime("end");
  process(e: KV<string, number>, ctx: StatefulProcessContext<string>): void {
    if (e.value === faults.crashAt) throw new Error(`crash at ${e.value}`);
    processed.push(e.value);
    const mods = ctx.state(this.mods);
    const list = ctx.state(this.list);
    mods.add({ mod: e.value % 5 });
    if (e.value === 13) mods.remove({ mod: 1 });
    list.add({ value: e.value, timestamp: -e.value });
    if (e.value % 10 === 0) list.clearRange(-e.value - 5, -e.value + 5);
    ctx.timer(this.end).set(ctx.window.maxTimestamp());
    if (faults.throwAt.has(e.value)) {
      // Changes a failed element makes, to be undone: a removal, a clear, an add.
      mods.remove({ mod: 0 });
      list.clear();
      mods.add({ mod: 99 });
      throw new Error(`bad value ${e.value}`);
    }
  }
  onTimer(_t: string, ctx: TimerContext<string, string>): void {
    const mods = ctx.state(this.mods).read().map((m) => m.mod);
    const list = ctx.state(this.list).read();
    ctx.output(`${ctx.key} mods=${[...mods].sort((a, b) => a - b).join(",")} list=${list.map((v) => `${v.value}@${v.timestamp}`).join(",")}`);
  }
}

const N = 30;

function script(): TestStream<KV<string, number>> {
  let s = TestStream.create<KV<string, number>>();
  for (let i = 0; i < N; i += 3) s = s.addElements(...[i, i + 1, i + 2].map((v) => ({ value: kv(v % 2 === 0 ? "even" : "odd", v), timestamp: 0 })));
  return s.advanceWatermarkToInfinity();
}

/** What `SetAndList` outputs per key for `values` (the model the runner must match). */
function expected(values: readonly number[]): string[] {
  const out: string[] = [];
  for (const key of ["even", "odd"]) {
    const mods = new Set<number>();
    let list: number[] = [];
    for (const v of values.filter((x) => (x % 2 === 0 ? "even" : "odd") === key)) {
      mods.add(v % 5);
      if (v === 13) mods.delete(1);
      list.push(v);
      if (v % 10 === 0) list = list.filter((x) => !(-x >= -v - 5 && -x < -v + 5));
    }
    list.sort((a, b) => b - a);
    out.push(`${key} mods=${[...mods].sort((a, b) => a - b).join(",")} list=${list.map((v) => `${v}@${-v}`).join(",")}`);
  }
  return out;
}

const all = Array.from({ length: N }, (_, i) => i);

describe("SetState and OrderedListState on the DirectRunner: rollback and checkpoints", function () {
  this.timeout(60_000);
  afterEach(() => {
    faults.throwAt = new Set();
    faults.crashAt = -1;
  });

  it("ordered list ranges take any Instant (fractional, infinite) and refuse NaN", () => {
    const backend = new InMemoryStateAndTimers(deterministicKeyCoder(), 0);
    const list = backend.cell(StateSpec.orderedList<string>("items"), backend.keyId("k"), "k", GlobalWindow.INSTANCE);
    for (const t of [-5, 0, 1, 2, 3]) list.add({ value: `v${t}`, timestamp: t });
    assert.deepEqual(list.readRange(0.5, 2.5).map((v) => v.value), ["v1", "v2"]);
    list.clearRange(-Infinity, -1);
    assert.deepEqual(list.readRange(-Infinity, Infinity).map((v) => v.value), ["v0", "v1", "v2", "v3"]);
    assert.throws(() => list.readRange(Number.NaN, 1), /OrderedListState 'items': readRange\(from, to\) takes two Instants/);
    assert.throws(() => list.clearRange(0, Number.NaN), /clearRange\(from, to\)/);
    assert.throws(() => list.add({ value: "x", timestamp: 1.5 }), /whole number of epoch milliseconds/);
  });

  it("a failed element (withExceptionHandling) leaves no change to a set or an ordered list behind", async () => {
    faults.throwAt = new Set([7, 12, 20]);
    const out: string[] = [];
    const failed: FailedElement<KV<string, number>>[] = [];
    const result = await runDirect((p) => {
      const r = p.apply("Events", script()).apply("State", ParDo.of(new SetAndList()).withExceptionHandling());
      r.main.apply("Keep", ParDo.of((s: string) => void out.push(s)));
      r.failed.apply("KeepFailed", ParDo.of((f: FailedElement<KV<string, number>>) => void failed.push(f)));
    });
    assert.equal(await result.waitUntilFinish(), "DONE");
    assert.equal(failed.length, 3);
    assert.deepEqual(out.sort(), expected(all.filter((v) => !faults.throwAt.has(v))));
  });

  it("a run resumed from its checkpoint finds both as they were checkpointed", async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "beamline-set-ordered-"));
    try {
      const out: string[] = [];
      const build = (p: Pipeline): void => void p.apply("Events", script()).apply("State", ParDo.of(new SetAndList())).apply("Keep", ParDo.of((s: string) => void out.push(s)));
      faults.crashAt = 23;
      const first = await runDirect(build, { checkpointDir: dir, checkpointIntervalMs: 0 });
      await assert.rejects(first.waitUntilFinish(), /crash at 23/);
      assert.ok(fs.readdirSync(dir).some((f) => f.endsWith(".ckpt")), "the failed run keeps its checkpoints");
      assert.deepEqual(out, [], "nothing is output before the end");
      faults.crashAt = -1;
      processed.length = 0;
      const second = await runDirect(build, { checkpointDir: dir, checkpointIntervalMs: 0 });
      assert.equal(await second.waitUntilFinish(), "DONE");
      assert.ok(processed.length > 0 && !processed.includes(0), `the resumed run starts after the checkpoint (it processed ${processed.join(",")})`);
      assert.deepEqual(out.sort(), expected(all));
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});
