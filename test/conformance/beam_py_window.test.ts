/**
 * Beam Python's window_test.py against Beam's expected outputs: window assignment (fixed, sliding
 * with fractional sizes and offsets, which Python gives in seconds and Beamline in milliseconds),
 * grouping in sliding and custom windows, rewindowing and regrouping, and combining per window.
 * Pipelines run on the DirectRunner with one worker and with --direct_num_workers 2.
 */
import { strict as assert } from "node:assert";
import {
  Combine,
  Combiners,
  Create,
  FixedWindows,
  GlobalWindow,
  GroupByKey,
  IntervalWindow,
  MAX_TIMESTAMP,
  MIN_TIMESTAMP,
  SlidingWindows,
  Window,
  WithTimestamps,
  kv,
  type BoundedWindow,
  type Instant,
  type KV,
  type WindowFn,
} from "../../lib";
import type { Observed } from "../streaming/collect";
import { labelledOutputs } from "./beam_helpers";

const windows = (ws: readonly BoundedWindow[]): string[] => ws.map((w) => (w instanceof IntervalWindow ? `[${w.start}, ${w.end})` : "global"));
const sortedGroup = <K>(g: KV<K, number[]>): KV<K, number[]> => kv(g.key, [...g.value].sort((a, b) => a - b));
/** Value and window, as Python's ReifyWindowsFn / `Map(lambda e, w=WindowParam: (e, w))`. */
const withWindow = (o: Observed<unknown>): string => `${JSON.stringify(o.value)} @ ${o.window}`;

/** Python's TestCustomWindows: [0, 3), [3, 5), and [5, t) for a later timestamp t (seconds there, ms here). */
class TestCustomWindows implements WindowFn {
  readonly urn = "beamline:test:custom_windows";
  readonly config = {};
  readonly windowCoderUrn = "beam:coder:interval_window:v1";
  readonly isMerging = false;
  assignWindows(t: Instant): readonly BoundedWindow[] {
    if (t < 3) return [new IntervalWindow(0, 3)];
    if (t < 5) return [new IntervalWindow(3, 5)];
    return [new IntervalWindow(5, t)];
  }
  sideInputWindow(mainWindow: BoundedWindow): BoundedWindow {
    return mainWindow;
  }
}

describe("Beam Python WindowTest (window_test.py): assignment", () => {
  it("test_fixed_windows: with and without an offset", () => {
    const offset = new FixedWindows(5000, 2000);
    assert.deepEqual(windows(offset.assignWindows(7000)), ["[7000, 12000)"]);
    assert.deepEqual(windows(offset.assignWindows(11000)), ["[7000, 12000)"]);
    assert.deepEqual(windows(offset.assignWindows(12000)), ["[12000, 17000)"]);
    const plain = new FixedWindows(5000);
    assert.deepEqual(windows(plain.assignWindows(5000)), ["[5000, 10000)"]);
    assert.deepEqual(windows(plain.assignWindows(9000)), ["[5000, 10000)"]);
    assert.deepEqual(windows(plain.assignWindows(10000)), ["[10000, 15000)"]);
  });

  it("test_sliding_windows_assignment_fraction(_large_offset): latest window first", () => {
    const w = new SlidingWindows(3500, 2500, 1500);
    assert.deepEqual(windows(w.assignWindows(1700)), ["[1500, 5000)", "[-1000, 2500)"]);
    assert.deepEqual(windows(w.assignWindows(3000)), ["[1500, 5000)"]);
    // Python's offset 4.0 s is 1.5 s modulo the period; Beamline (as Java) takes the offset in [0, period).
    assert.deepEqual(windows(new SlidingWindows(3500, 2500, 4000 % 2500).assignWindows(4500)), ["[4000, 7500)", "[1500, 5000)"]);
  });

  it("sliding windows of a small period near MIN_TIMESTAMP (Create's timestamp) are assigned, not looped over forever", () => {
    // Instants this far from the epoch are past 2^53: `start - 1` can round back to `start`.
    for (const [size, period] of [[2, 1], [3, 1], [4, 2], [2000, 1000]] as const) {
      const assigned = new SlidingWindows(size, period).assignWindows(MIN_TIMESTAMP);
      assert.ok(assigned.length >= 1 && assigned.length <= Math.ceil(size / period), `${size}/${period}: ${windows(assigned).join(" ")}`);
      assert.equal(new Set(windows(assigned)).size, assigned.length, `${size}/${period}: a window assigned twice: ${windows(assigned).join(" ")}`);
      for (const w of assigned as IntervalWindow[]) assert.ok(w.start <= MIN_TIMESTAMP && MIN_TIMESTAMP < w.end, `${size}/${period}: [${w.start}, ${w.end}) does not hold ${MIN_TIMESTAMP}`);
    }
  });
});

for (const workers of [1, 2] as const) {
  const options = { directNumWorkers: workers };
  describe(`Beam Python WindowTest (window_test.py): pipelines, --direct_num_workers ${workers}`, () => {
    it("test_sliding_windows: each element in every window of size 4 period 2 holding it", async () => {
      const r = await labelledOutputs(
        (p, out) => {
          const grouped = p
            .apply(Create.timestamped([1, 2, 3].map((t) => ({ value: kv("key", t), timestamp: t * 1000 }))))
            .apply(Window.into(new SlidingWindows(4000, 2000)))
            .apply(GroupByKey.create<string, number>())
            .map("Sort", sortedGroup);
          out("Result", grouped);
        },
        withWindow,
        options,
      );
      assert.deepEqual(r.Result, [`{"key":"key","value":[1,2,3]} @ 0:4000`, `{"key":"key","value":[1]} @ -2000:2000`, `{"key":"key","value":[2,3]} @ 2000:6000`]);
    });

    it("test_timestamped_value, test_rewindow: rewindowing keeps the sliding windows' copies", async () => {
      const r = await labelledOutputs(
        (p, out) => {
          const stamped = p.apply(Create.from(Array.from({ length: 10 }, (_, k) => k))).apply(WithTimestamps.of((k: number) => k * 1000));
          out("Fixed", stamped.apply("W", Window.into(new FixedWindows(5000))).map("Key", (v: number) => kv("key", v)).apply("Group", GroupByKey.create<string, number>()).map("Sort", sortedGroup));
          const rewindowed = stamped
            .apply("Sliding", Window.into(new SlidingWindows(6000, 2000)))
            .apply("Rewindow", Window.into(new FixedWindows(5000)))
            .apply("Rewindow2", Window.into(new FixedWindows(5000)));
          out("Rewindowed", rewindowed.map("Key2", (v: number) => kv("key", v)).apply("Group2", GroupByKey.create<string, number>()).map("Sort2", sortedGroup));
        },
        undefined,
        options,
      );
      const three = (vs: number[]): number[] => vs.flatMap((v) => [v, v, v]);
      assert.deepEqual(r.Fixed, [JSON.stringify(kv("key", [0, 1, 2, 3, 4])), JSON.stringify(kv("key", [5, 6, 7, 8, 9]))]);
      assert.deepEqual(r.Rewindowed, [JSON.stringify(kv("key", three([0, 1, 2, 3, 4]))), JSON.stringify(kv("key", three([5, 6, 7, 8, 9])))]);
    });

    it("test_rewindow_regroup: grouping again in the same windows, before or after ungrouping, is idempotent", async () => {
      const r = await labelledOutputs(
        (p, out) => {
          const fixed = () => Window.into<KV<string, number>>(new FixedWindows(5000, 3000));
          const grouped = p
            .apply(Create.timestamped(Array.from({ length: 5 }, (_, t) => ({ value: kv("key", t), timestamp: t * 1000 }))))
            .apply("Window", fixed())
            .apply("Group", GroupByKey.create<string, number>())
            .map("Sort", sortedGroup);
          const ungroup = (g: KV<string, number[]>): KV<string, number>[] => g.value.map((v) => kv(g.key, v));
          const regrouped1 = grouped
            .apply("W1", Window.into(new FixedWindows(5000, 3000)))
            .apply("G1", GroupByKey.create<string, number[]>())
            .flatMap("Ungroup1", (g: KV<string, number[][]>) => g.value.map((v) => kv(g.key, v)));
          const regrouped2 = grouped.flatMap("Ungroup2", ungroup).apply("W2", fixed()).apply("G2", GroupByKey.create<string, number>()).map("Sort2", sortedGroup);
          out("Grouped", grouped);
          out("Regrouped1", regrouped1);
          out("Regrouped2", regrouped2);
        },
        withWindow,
        options,
      );
      const expected = [`{"key":"key","value":[0,1,2]} @ -2000:3000`, `{"key":"key","value":[3,4]} @ 3000:8000`];
      assert.deepEqual(r, { Grouped: expected, Regrouped1: expected, Regrouped2: expected });
    });

    it("test_timestamped_with_combiners: CombinePerKey sum and Mean.PerKey per window", async () => {
      const r = await labelledOutputs(
        (p, out) => {
          const keyed = p
            .apply(Create.from(Array.from({ length: 10 }, (_, k) => k)))
            .apply(Window.into(new FixedWindows(5000)))
            .apply(WithTimestamps.of((k: number) => k * 1000))
            .map("Key", (v: number) => kv(Math.floor(v / 5), v));
          out("Sum", keyed.apply("Sum", Combine.perKey(Combiners.sum())));
          out("Mean", keyed.apply("Mean", Combine.perKey(Combiners.mean())));
        },
        undefined,
        options,
      );
      assert.deepEqual(r, { Sum: [JSON.stringify(kv(0, 10)), JSON.stringify(kv(1, 35))], Mean: [JSON.stringify(kv(0, 2)), JSON.stringify(kv(1, 7))] });
    });

    it("test_custom_windows: a user's non-merging WindowFn", async () => {
      const r = await labelledOutputs(
        (p, out) => {
          const grouped = p
            .apply(Create.timestamped([0, 1, 2, 3, 4, 5, 6].map((t) => ({ value: kv("key", t), timestamp: t }))))
            .apply(Window.into(new TestCustomWindows()))
            .apply(GroupByKey.create<string, number>())
            .map("Sort", sortedGroup);
          out("Result", grouped);
        },
        undefined,
        options,
      );
      // The element at 5 is in [5, 5): an empty window, as in Python (the window holds no instant but is still a window).
      assert.deepEqual(r.Result, [kv("key", [0, 1, 2]), kv("key", [3, 4]), kv("key", [5]), kv("key", [6])].map((e) => JSON.stringify(e)).sort());
    });

    it("test_window_assignment_through_multiple_gbk_idempotency", async () => {
      const r = await labelledOutputs(
        (p, out) => {
          const result = p
            .apply(Create.timestamped([0, 2, 4].map((t) => ({ value: kv("key", t), timestamp: t * 1000 }))))
            .apply("Window", Window.into(new FixedWindows(2000)))
            .apply("Gbk", GroupByKey.create<string, number>())
            .apply("SameWindow", Window.into(new FixedWindows(2000)))
            .apply("AnotherGbk", GroupByKey.create<string, number[]>())
            .apply("SameWindowAgain", Window.into(new FixedWindows(2000)))
            .apply("GbkAgain", GroupByKey.create<string, number[][]>());
          out("Result", result);
        },
        undefined,
        options,
      );
      assert.deepEqual(r.Result, [kv("key", [[[0]]]), kv("key", [[[2]]]), kv("key", [[[4]]])].map((e) => JSON.stringify(e)).sort());
    });
  });
}

describe("interval windows at the ends of time", () => {
  it("print (as in error messages) without throwing: Create's MIN_TIMESTAMP in fixed windows, the last fixed window", () => {
    const first = new FixedWindows(60_000).assignWindows(MIN_TIMESTAMP)[0]!;
    const last = new FixedWindows(60_000).assignWindows(MAX_TIMESTAMP - 1)[0]!;
    assert.match(String(first), /^\[-?\d+ms, -?\d+ms\)$/);
    assert.match(String(last), /^\[\d+ms, \d+ms\)$/);
    assert.equal(String(new IntervalWindow(0, 60_000)), "[1970-01-01T00:00:00.000Z, 1970-01-01T00:01:00.000Z)");
  });
});

// The global window is one window, not an interval over all time (test_global_window).
describe("Beam Python WindowTest: test_global_window", () => {
  it("the global window ends before MAX_TIMESTAMP and is not an interval window", () => {
    assert.ok(!(GlobalWindow.INSTANCE instanceof IntervalWindow));
    assert.ok(GlobalWindow.INSTANCE.maxTimestamp() < MAX_TIMESTAMP);
  });
});
