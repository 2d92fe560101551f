/**
 * Beam Python's trigger_test.py beyond the transcripts and TriggerPipelineTest (already in
 * beam_trigger_pipelines.test.ts): MayLoseDataTest, as the GroupByKey check that refuses a trigger
 * that may finish, and TriggerTest's run_trigger_simple cases, driven here by a TestStream whose
 * addElements calls are Python's bundles (a trigger is evaluated once per bundle, as there). Times
 * are Python's numbers, in ms. Python's driver stops at the late data; a run here ends with the
 * watermark at infinity, which closes each window: a window holding elements no pane has fired
 * fires once more then (Beam Java's ReduceFnRunner at garbage collection), noted per case.
 */
import { strict as assert } from "node:assert";
import {
  AfterAll,
  AfterCount,
  AfterEach,
  AfterFirst,
  AfterProcessingTime,
  AfterWatermark,
  Create,
  DefaultTrigger,
  FixedWindows,
  GlobalWindows,
  GroupByKey,
  Never,
  PipelineConstructionError,
  Repeatedly,
  Sessions,
  TestStream,
  Window,
  kv,
  type AccumulationMode,
  type KV,
  type Trigger,
  type WindowFn,
} from "../../lib";
import { runDirect } from "../helpers";
import { collect, type Observed } from "../streaming/collect";

describe("Beam Python MayLoseDataTest (trigger_test.py): GroupByKey refuses a trigger that may finish", () => {
  const cases: [string, Trigger, number, boolean][] = [
    ["test_default_trigger", DefaultTrigger(), 0, false],
    ["test_after_processing", AfterProcessingTime(42_000), 0, true],
    ["test_always", Repeatedly(AfterCount(1)), 0, false],
    ["test_never", Never(), 0, false],
    ["test_after_watermark_no_allowed_lateness", AfterWatermark(), 0, false],
    ["test_after_watermark_no_late_trigger", AfterWatermark(), 60_000, true],
    ["test_after_watermark_no_allowed_lateness_safe_late", AfterWatermark({ late: DefaultTrigger() }), 0, false],
    ["test_after_watermark_allowed_lateness_safe_late", AfterWatermark({ late: DefaultTrigger() }), 60_000, false],
    ["test_after_count", AfterCount(42), 0, true],
    ["test_repeatedly_safe_underlying", Repeatedly(DefaultTrigger()), 0, false],
    ["test_repeatedly_unsafe_underlying", Repeatedly(AfterCount(42)), 0, false],
    ["test_after_any_one_may_finish", AfterFirst(AfterCount(42), DefaultTrigger()), 0, true],
    ["test_after_any_all_safe", AfterFirst(Repeatedly(AfterCount(42)), DefaultTrigger()), 0, false],
    ["test_after_all_some_may_finish", AfterAll(AfterCount(1), DefaultTrigger()), 0, false],
    ["test_afer_all_all_may_finish", AfterAll(AfterCount(42), AfterProcessingTime(42_000)), 0, true],
    ["test_after_each_at_least_one_safe", AfterEach(AfterCount(1), DefaultTrigger(), AfterCount(2)), 0, false],
    ["test_after_each_all_may_finish", AfterEach(AfterCount(1), AfterCount(2), AfterCount(3)), 0, true],
  ];
  for (const [name, trigger, lateness, mayLoseData] of cases) {
    it(`${name}: ${mayLoseData ? "MAY_FINISH, refused" : "NO_POTENTIAL_LOSS, accepted"}`, async () => {
      const run = runDirect((p) =>
        p
          .apply(Create.of(kv("k", 1)))
          .apply(Window.into(new GlobalWindows(), { trigger, accumulationMode: "ACCUMULATING", allowedLatenessMillis: lateness }))
          .apply(GroupByKey.create()),
      );
      if (mayLoseData) await assert.rejects(run, (e: Error) => e instanceof PipelineConstructionError && /Unsafe trigger .* may lose data/.test(e.message));
      else await (await run).waitUntilFinish();
    });
  }
});

/**
 * Python's run_trigger_simple: `data` in bundles of `size` (reversed when negative) with the
 * watermark held back, then the watermark past every window, then `late` in bundles, then the end.
 * Returns each window's panes in firing order, a pane as its sorted letters.
 */
async function runTrigger(windowFn: WindowFn, trigger: Trigger, mode: AccumulationMode, data: [number, string][], size: number, late: [number, string][] = []): Promise<Record<string, string[]>> {
  const bundles = (d: [number, string][]): [number, string][][] => {
    const ordered = size < 0 ? [...d].reverse() : d;
    const n = Math.abs(size);
    return Array.from({ length: Math.ceil(ordered.length / n) }, (_, i) => ordered.slice(i * n, i * n + n));
  };
  let script = TestStream.create<KV<string, string>>();
  for (const b of bundles(data)) script = script.addElements(...b.map(([t, v]) => ({ value: kv("k", v), timestamp: t })));
  script = script.advanceWatermarkTo(1000);
  for (const b of bundles(late)) script = script.addElements(...b.map(([t, v]) => ({ value: kv("k", v), timestamp: t })));
  const out: Observed<KV<string, string[]>>[] = [];
  const result = await runDirect(
    (p) =>
      collect(
        p
          .apply(script.advanceWatermarkToInfinity())
          .apply(Window.into(windowFn, { trigger, accumulationMode: mode, allowedLatenessMillis: 1_000_000 }))
          .apply(GroupByKey.create<string, string>()),
        out,
      ),
    { allowUnsafeTriggers: true },
  );
  await result.waitUntilFinish();
  const panes: Record<string, string[]> = {};
  for (const o of out) (panes[o.window] ??= []).push([...o.value.value].sort().join(""));
  return panes;
}

describe("Beam Python TriggerTest (trigger_test.py run_trigger_simple cases), streaming", () => {
  it("test_fixed_watermark: one on-time pane per window, in any bundling", async () => {
    for (const size of [1, 2, 3, -3, -2, -1]) {
      assert.deepEqual(await runTrigger(new FixedWindows(10), AfterWatermark(), "ACCUMULATING", [[1, "a"], [2, "b"], [13, "c"]], size), { "0:10": ["ab"], "10:20": ["c"] }, `bundles of ${size}`);
    }
  });

  it("test_fixed_watermark_with_early: an early pane per bundle reaching the count, then on time", async () => {
    const data: [number, string][] = [[1, "a"], [2, "b"], [3, "c"]];
    assert.deepEqual(await runTrigger(new FixedWindows(10), AfterWatermark({ early: AfterCount(2) }), "ACCUMULATING", data, 2), { "0:10": ["ab", "abc"] });
    assert.deepEqual(await runTrigger(new FixedWindows(10), AfterWatermark({ early: AfterCount(2) }), "ACCUMULATING", data, 3), { "0:10": ["abc", "abc"] });
  });

  it("test_fixed_watermark_with_early_late (discarding); z, short of the late count, fires when the window closes", async () => {
    const data = [..."abcdefghi"].map((c, i): [number, string] => [i, c]);
    const late = [..."vwxyz"].map((c, i): [number, string] => [i, c]);
    assert.deepEqual(await runTrigger(new FixedWindows(100), AfterWatermark({ early: AfterCount(3), late: AfterCount(2) }), "DISCARDING", data, 2, late), {
      "0:100": ["abcd", "efgh", "i", "vw", "xy", "z"],
    });
  });

  it("test_sessions_watermark_with_early_late: late data merging two sessions fires in the merged window", async () => {
    const r = await runTrigger(new Sessions(10), AfterWatermark({ early: AfterCount(2), late: AfterCount(1) }), "ACCUMULATING", [[1, "a"], [15, "b"], [7, "c"], [30, "d"]], 2, [[1, "x"], [2, "y"], [21, "z"]]);
    assert.deepEqual(r, { "1:25": ["abc", "abc", "abcxy"], "30:40": ["d"], "1:40": ["abcdxyz"] });
  });

  it("test_fixed_after_count: the trigger finishes and the rest of the window is dropped", async () => {
    const data: [number, string][] = [[1, "a"], [2, "b"], [3, "c"], [11, "z"]];
    for (const size of [1, 2]) assert.deepEqual(await runTrigger(new FixedWindows(10), AfterCount(2), "ACCUMULATING", data, size), { "0:10": ["ab"], "10:20": ["z"] }, `bundles of ${size}`);
    for (const size of [3, 4]) assert.deepEqual(await runTrigger(new FixedWindows(10), AfterCount(2), "ACCUMULATING", data, size), { "0:10": ["abc"], "10:20": ["z"] }, `bundles of ${size}`);
  });

  it("test_repeatedly_after_first: every 3 elements or on time, then each late element", async () => {
    const data = [..."abcdefg"].map((c, i): [number, string] => [i, c]);
    const late = [..."xyz"].map((c, i): [number, string] => [i, c]);
    assert.deepEqual(await runTrigger(new FixedWindows(100), Repeatedly(AfterFirst(AfterCount(3), AfterWatermark())), "ACCUMULATING", data, 1, late), {
      "0:100": ["abc", "abcdef", "abcdefg", "abcdefgx", "abcdefgxy", "abcdefgxyz"],
    });
  });

  it("test_sessions_after_count, test_sessions_repeatedly_after_count", async () => {
    const data: [number, string][] = [[1, "a"], [15, "b"], [6, "c"], [30, "s"], [31, "t"], [50, "z"], [50, "y"]];
    for (const size of [1, 2, 3]) {
      assert.deepEqual(await runTrigger(new Sessions(10), AfterCount(2), "ACCUMULATING", data, size), { "1:25": ["abc"], "30:41": ["st"], "50:60": ["yz"] }, `bundles of ${size}`);
    }
    const five: [number, string][] = [[1, "a"], [15, "b"], [6, "c"], [2, "d"], [7, "e"]];
    assert.deepEqual(await runTrigger(new Sessions(10), Repeatedly(AfterCount(2)), "ACCUMULATING", five, 1), { "1:25": ["abc", "abcde"] });
    assert.deepEqual(await runTrigger(new Sessions(10), Repeatedly(AfterCount(2)), "DISCARDING", five, 1), { "1:25": ["abc", "de"] });
  });

  // Python drops g..j, merged into the closed session [0, 15). Beam Java's ReduceFnRunner takes a
  // window whose trigger finished out of the active (mergeable) windows: g and h start a new
  // session [6, 17) with a fresh trigger, and i, j, short of its second count, fire when it closes.
  // Beamline follows Java.
  it("test_sessions_after_each: each count in turn, over growing sessions; after it finished, a new session (as Beam Java)", async () => {
    const data = [..."abcdefghij"].map((c, i): [number, string] => [i, c]);
    assert.deepEqual(await runTrigger(new Sessions(10), AfterEach(AfterCount(2), AfterCount(3)), "ACCUMULATING", data, 2), { "0:11": ["ab"], "0:15": ["abcdef"], "6:17": ["gh"], "6:19": ["ghij"] });
    // Repeatedly never finishes: one growing session (i, j fire as the window closes, Python's driver stops before).
    assert.deepEqual(await runTrigger(new Sessions(10), Repeatedly(AfterEach(AfterCount(2), AfterCount(3))), "ACCUMULATING", data, 2), {
      "0:11": ["ab"],
      "0:15": ["abcdef"],
      "0:17": ["abcdefgh"],
      "0:19": ["abcdefghij"],
    });
  });

  it("test_sessions_default, test_sessions_watermark, test_sessions_after_all", async () => {
    for (const size of [1, 2, -2, -1]) assert.deepEqual(await runTrigger(new Sessions(10), DefaultTrigger(), "ACCUMULATING", [[1, "a"], [2, "b"]], size), { "1:12": ["ab"] }, `bundles of ${size}`);
    const data: [number, string][] = [[1, "a"], [2, "b"], [15, "c"], [16, "d"], [30, "z"], [9, "e"], [10, "f"], [30, "y"]];
    for (const size of [1, 2, 3, 4, 5, 6, -4, -2, -1]) {
      assert.deepEqual(await runTrigger(new Sessions(10), AfterWatermark(), "ACCUMULATING", data, size), { "1:26": ["abcdef"], "30:40": ["yz"] }, `bundles of ${size}`);
    }
    for (const size of [1, 2]) assert.deepEqual(await runTrigger(new Sessions(10), AfterAll(AfterCount(2), AfterWatermark()), "ACCUMULATING", [[1, "a"], [2, "b"], [3, "c"]], size), { "1:13": ["abc"] });
  });
});
