/**
 * A splittable DoFn's watermark estimator on the DirectRunner (streaming, under TestStream; and
 * batch): the step's output watermark is held at what the fn's estimator reports while a residual
 * waits, and the estimator's state goes with the residual. The fn outputs x0 at 3 s, x1 at 1 s
 * (out of order) and x2 at 5 s, one per call, a second apart; the input watermark is already at
 * 10 s. As Beam documents, an output behind the estimate is late, so a GroupByKey after it drops:
 * - Manual (never set: the element's timestamp, 0): nothing, the hold stays at 0;
 * - MonotonicallyIncreasing: x1 (the estimate reached 3 s with x0);
 * - WallTime: x1 and x2 (the estimate is the wall clock).
 */
import { strict as assert } from "node:assert";
import { Create, FixedWindows, GroupByKey, kv, ParDo, Window } from "../../lib";
import type { KV } from "../../lib";
import { TestStream } from "../../lib/testing/test_stream";
import { runDirect } from "../helpers";
import { EstimatedTicks, type EstimatorKind } from "../portable/sdf_estimator_programs";
import { collect, type Observed } from "./collect";

let runs = 0;

async function run(kind: EstimatorKind): Promise<{ all: string[]; grouped: string[]; starts: number[] }> {
  const key = `streaming-${kind}-${runs++}`;
  const script = TestStream.create<string>()
    .addElements({ value: "x", timestamp: 0 })
    .advanceWatermarkTo(10_000)
    .advanceProcessingTime(1000) // x1
    .advanceProcessingTime(1000) // x2
    .advanceWatermarkToInfinity();
  const all: Observed<string>[] = [];
  const grouped: Observed<KV<string, string[]>>[] = [];
  const result = await runDirect((p) => {
    const ticks = p.apply(script).apply(ParDo.splittable(new EstimatedTicks(kind, key)));
    collect(ticks, all, "All");
    const g = ticks
      .apply(Window.into(new FixedWindows(1000)))
      .map("Key", (s: string) => kv("k", s))
      .apply(GroupByKey.create());
    collect(g, grouped, "Grouped");
  });
  assert.equal(await result.waitUntilFinish(), "DONE", result.error?.message);
  return { all: all.map((o) => o.value).sort(), grouped: grouped.flatMap((o) => o.value.value).sort(), starts: EstimatedTicks.starts.get(key) ?? [] };
}

describe("Streaming DirectRunner: splittable DoFn watermark estimators", function () {
  this.timeout(60_000);

  it("Manual (the default, never set): the hold stays at the element's timestamp, every output on time", async () => {
    const r = await run("manual");
    assert.deepEqual(r.all, ["x0", "x1", "x2"]);
    assert.deepEqual(r.grouped, ["x0", "x1", "x2"]);
    assert.deepEqual(r.starts, [0, 0, 0]);
  });

  it("MonotonicallyIncreasing: the hold follows the greatest output timestamp, its state survives checkpoints; an output behind it is late", async () => {
    const r = await run("monotonic");
    assert.deepEqual(r.all, ["x0", "x1", "x2"], "the SDF itself drops nothing");
    assert.deepEqual(r.grouped, ["x0", "x2"], "x1 (1 s) came after the estimate reached 3 s");
    // Each call starts from the state the last one checkpointed with.
    assert.deepEqual(r.starts, [0, 3000, 3000]);
  });

  it("WallTime: the hold is the wall clock, its state survives checkpoints; outputs at earlier event times are late", async () => {
    const before = Date.now();
    const r = await run("walltime");
    assert.deepEqual(r.all, ["x0", "x1", "x2"]);
    assert.deepEqual(r.grouped, ["x0"]);
    assert.equal(r.starts.length, 3);
    for (let i = 0; i < r.starts.length; i++) {
      assert.ok(r.starts[i]! >= before && (i === 0 || r.starts[i]! >= r.starts[i - 1]!), `call ${i}'s estimate is the wall clock, never going back (${r.starts.join(", ")})`);
    }
  });

  it("a bounded run (no TestStream) finishes the residuals with the estimator state they checkpointed with", async () => {
    for (const [kind, expected] of [["manual", [0, 0, 0]], ["monotonic", [0, 3000, 3000]]] as const) {
      const key = `batch-${kind}-${runs++}`;
      const out: Observed<string>[] = [];
      const result = await runDirect((p) => collect(p.apply(Create.timestamped([{ value: "x", timestamp: 0 }])).apply(ParDo.splittable(new EstimatedTicks(kind, key))), out));
      assert.equal(await result.waitUntilFinish(), "DONE", result.error?.message);
      assert.deepEqual(out.map((o) => o.value).sort(), ["x0", "x1", "x2"]);
      assert.deepEqual(EstimatedTicks.starts.get(key), expected, kind);
    }
  });
});
