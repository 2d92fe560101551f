/**
 * Window functions against Beam's own tests as the oracle: Beam Java's FixedWindowsTest,
 * SlidingWindowsTest, SessionsTest and IntervalWindowTest, and Beam Python's window_test.py.
 * Assignment cases run the window fn directly (as Beam's WindowFnTestUtils.runWindowFn does);
 * the pipeline cases group in batch and in streaming (the same elements from a TestStream).
 */
import { strict as assert } from "node:assert";
import { FixedWindows, GlobalWindow, GlobalWindows, GroupByKey, IntervalWindow, kv, KV, Sessions, SlidingWindows, Window, type WindowFn } from "../../lib";
import { ByteReader, ByteWriter } from "../../lib/coders/byte_io";
import { IntervalWindowCoder } from "../../lib/coders/windowed";
import { isMergingWindowFn } from "../../lib/model/sliding_sessions";
import { GLOBAL_WINDOW_MAX_TIMESTAMP } from "../../lib/model/window";
import { windowFnsCompatible } from "../../lib/model/windowing";
import { runDirect } from "../helpers";
import { collect, Observed } from "../streaming/collect";
import { timestamped, type Mode } from "./beam_helpers";

/**
 * Beam's WindowFnTestUtils.runWindowFn: each timestamp's windows (merged, for sessions), as
 * "start:end" → the sorted timestamps in it.
 */
function runWindowFn(fn: WindowFn, timestamps: readonly number[]): Record<string, number[]> {
  const members = new Map<string, { window: IntervalWindow; ts: number[] }>();
  for (const t of timestamps) {
    for (const w of fn.assignWindows(t)) {
      const iw = w as IntervalWindow;
      const entry = members.get(iw.id()) ?? { window: iw, ts: [] };
      entry.ts.push(t);
      members.set(iw.id(), entry);
    }
  }
  if (isMergingWindowFn(fn)) {
    for (const m of fn.mergeWindows([...members.values()].map((e) => e.window))) {
      const ts = m.from.flatMap((w) => members.get(w.id())!.ts);
      for (const w of m.from) members.delete(w.id());
      members.set(m.merged.id(), { window: m.merged, ts });
    }
  }
  return Object.fromEntries([...members].map(([id, e]) => [id, [...e.ts].sort((a, b) => a - b)]).sort());
}

const expect = (entries: Record<string, number[]>): Record<string, number[]> => Object.fromEntries(Object.entries(entries).sort());

describe("Beam window functions (FixedWindowsTest, SlidingWindowsTest, SessionsTest, window_test.py)", () => {
  describe("FixedWindows", () => {
    it("assigns [N*size + offset, (N+1)*size + offset) (testSimpleFixedWindow, testFixedOffsetWindow, testTimeUnit)", () => {
      assert.deepEqual(runWindowFn(new FixedWindows(10), [1, 2, 5, 9, 10, 11, 100]), expect({ "0:10": [1, 2, 5, 9], "10:20": [10, 11], "100:110": [100] }));
      assert.deepEqual(runWindowFn(new FixedWindows(10, 5), [1, 2, 5, 9, 10, 11, 100]), expect({ "-5:5": [1, 2], "5:15": [5, 9, 10, 11], "95:105": [100] }));
      assert.deepEqual(runWindowFn(new FixedWindows(10_000, 5_000), [1, 2, 1000, 5000, 5001, 10000]), expect({ "-5000:5000": [1, 2, 1000], "5000:15000": [5000, 5001, 10000] }));
    });

    it("floors negative timestamps into the window that contains them (Python's floor modulo)", () => {
      assert.deepEqual(runWindowFn(new FixedWindows(10), [-1, -10, -11, -15]), expect({ "-10:0": [-10, -1], "-20:-10": [-15, -11] }));
      assert.deepEqual(runWindowFn(new FixedWindows(5, 2), [7, 11, 12, -3, -4]), expect({ "7:12": [7, 11], "12:17": [12], "-3:2": [-3], "-8:-3": [-4] }));
    });

    it("ends the last window of time at the end of the global window (testEndOfTime)", () => {
      const [w] = new FixedWindows(60 * 60_000).assignWindows(GLOBAL_WINDOW_MAX_TIMESTAMP - 1);
      assert.equal(w!.maxTimestamp(), GLOBAL_WINDOW_MAX_TIMESTAMP);
      const [week] = new FixedWindows(7 * 86_400_000).assignWindows(GLOBAL_WINDOW_MAX_TIMESTAMP - 10);
      assert.equal(week!.maxTimestamp(), GLOBAL_WINDOW_MAX_TIMESTAMP);
      // After the global window (up to MAX_TIMESTAMP), a window keeps its size: never one that ends before it starts.
      const [after] = new FixedWindows(1000).assignWindows(GLOBAL_WINDOW_MAX_TIMESTAMP + 5000) as IntervalWindow[];
      assert.equal(after!.end - after!.start, 1000);
    });

    it("refuses offsets outside [0, size) and sizes of 0 or less (testInvalidInput)", () => {
      assert.throws(() => new FixedWindows(-1000, 0), /FixedWindows size/);
      assert.throws(() => new FixedWindows(1000, 2000), /FixedWindows offset/);
      assert.throws(() => new FixedWindows(1000, -1000), /FixedWindows offset/);
    });

    it("is compatible only with the same size and offset (testEquality)", () => {
      assert.equal(windowFnsCompatible(new FixedWindows(10), new FixedWindows(10)), true);
      assert.equal(windowFnsCompatible(new FixedWindows(10), new FixedWindows(20)), false);
      assert.equal(windowFnsCompatible(new FixedWindows(10, 1), new FixedWindows(10, 2)), false);
    });

    it("maps a main-input window to the side window containing its end (testDefaultWindowMappingFn)", () => {
      const side = new FixedWindows(20 * 60_000).sideInputWindow(new IntervalWindow(0, 101));
      assert.equal(side.id(), `0:${20 * 60_000}`);
    });
  });

  describe("SlidingWindows", () => {
    it("assigns every window containing the timestamp (testSimple, testSlightlyOverlapping, testEqualSize)", () => {
      assert.deepEqual(runWindowFn(new SlidingWindows(10, 5), [1, 2, 5, 9, 10, 11]), expect({ "-5:5": [1, 2], "0:10": [1, 2, 5, 9], "5:15": [5, 9, 10, 11], "10:20": [10, 11] }));
      assert.deepEqual(runWindowFn(new SlidingWindows(7, 5), [1, 2, 5, 9, 10, 11]), expect({ "-5:2": [1], "0:7": [1, 2, 5], "5:12": [5, 9, 10, 11], "10:17": [10, 11] }));
      assert.deepEqual(runWindowFn(new SlidingWindows(3, 3), [1, 2, 3, 4, 5, 6, 7]), expect({ "0:3": [1, 2], "3:6": [3, 4, 5], "6:9": [6, 7] }));
    });

    it("accepts a period longer than the size, leaving gaps no window covers (testElidings)", () => {
      assert.deepEqual(runWindowFn(new SlidingWindows(3, 10), [1, 2, 3, 5, 9, 10, 11, 100]), expect({ "0:3": [1, 2], "10:13": [10, 11], "100:103": [100] }));
    });

    it("shifts windows by the offset (testOffset; Python's test_sliding_windows_assignment)", () => {
      assert.deepEqual(runWindowFn(new SlidingWindows(10, 5, 2), [1, 2, 5, 9, 10, 11]), expect({ "-8:2": [1], "-3:7": [1, 2, 5], "2:12": [2, 5, 9, 10, 11], "7:17": [9, 10, 11] }));
      for (const t of [7, 8, 11]) assert.deepEqual(new SlidingWindows(15, 5, 2).assignWindows(t).map((w) => w.id()), ["7:22", "2:17", "-3:12"]);
    });

    it("refuses offsets outside [0, period) and sizes of 0 or less", () => {
      assert.throws(() => new SlidingWindows(0, 5), /SlidingWindows size/);
      assert.throws(() => new SlidingWindows(10, 5, 5), /SlidingWindows offset/);
      assert.throws(() => new SlidingWindows(10, 5, -1), /SlidingWindows offset/);
      assert.throws(() => new SlidingWindows(10, 0), /SlidingWindows period/);
    });

    it("maps a main-input window to the earliest side window containing its end (testDefaultWindowMappingFn)", () => {
      const fn = new SlidingWindows(1000, 300, 40);
      assert.equal(fn.sideInputWindow(new IntervalWindow(0, 1041)).id(), "340:1340");
      assert.equal(fn.sideInputWindow(new IntervalWindow(0, 1339)).id(), "340:1340");
      assert.equal(fn.sideInputWindow(new IntervalWindow(0, 1340)).id(), "340:1340");
      assert.equal(fn.sideInputWindow(new IntervalWindow(0, 1341)).id(), "640:1640");
    });

    it("maps into a gap of a sliding fn with period > size to the next window, as Beam Java", () => {
      // Windows [0,3), [10,13), ...: a main window ending at 6 (max 5) has no side window containing 5.
      assert.equal(new SlidingWindows(3, 10).sideInputWindow(new IntervalWindow(0, 6)).id(), "10:13");
    });
  });

  describe("Sessions", () => {
    it("merges overlapping sessions but not touching ones (testSimple, testConsecutive, testMerging, testTimeUnit)", () => {
      assert.deepEqual(runWindowFn(new Sessions(10), [0, 10, 101]), expect({ "0:10": [0], "10:20": [10], "101:111": [101] }));
      assert.deepEqual(runWindowFn(new Sessions(10), [1, 2, 5, 9, 100, 101]), expect({ "1:19": [1, 2, 5, 9], "100:111": [100, 101] }));
      assert.deepEqual(runWindowFn(new Sessions(10), [1, 15, 30, 100, 101, 95, 22, 10]), expect({ "1:40": [1, 10, 15, 22, 30], "95:111": [95, 100, 101] }));
      assert.deepEqual(runWindowFn(new Sessions(1000), [1, 2, 1000, 5000, 5001, 10000]), expect({ "1:2000": [1, 2, 1000], "5000:6001": [5000, 5001], "10000:11000": [10000] }));
    });

    it("merges as Python's test_sessions_merging", () => {
      const merged = (...ts: number[]): string[] => Object.keys(runWindowFn(new Sessions(10), ts)).sort();
      assert.deepEqual(merged(2, 19), ["19:29", "2:12"]);
      assert.deepEqual(merged(9, 2), ["2:19"]);
      assert.deepEqual(merged(19, 9, 2), ["19:29", "2:19"]);
      assert.deepEqual(merged(2, 15, 10), ["2:25"]);
    });

    it("is compatible with sessions of any gap, not with other window fns (testEquality, testVerifyCompatibility)", () => {
      assert.equal(windowFnsCompatible(new Sessions(10), new Sessions(20)), true);
      assert.equal(windowFnsCompatible(new Sessions(10), new FixedWindows(10)), false);
    });
  });

  describe("windows", () => {
    it("are equal by interval, and the global window is not the interval of all time (test_global_window)", () => {
      assert.equal(new IntervalWindow(3, 8).id(), new IntervalWindow(3, 8).id());
      assert.notEqual(new IntervalWindow(3, 8).id(), new IntervalWindow(3, 9).id());
      assert.notEqual(GlobalWindow.INSTANCE.id(), new IntervalWindow(-9223372036854775, 9223372036854775).id());
      assert.ok(GlobalWindow.INSTANCE.maxTimestamp() < 9223372036854775);
    });

    it("round-trip through the interval window coder (IntervalWindowTest.testBasicEncoding, testLengthsOfEncodingChoices)", () => {
      const start = Date.parse("2015-04-01T00:00:00Z");
      const values = [[0, 0], [0, 1000], [-1000, 735], [350, 3_600_000], [0, 86_400_000], [start, Date.parse("2015-04-01T11:45:13Z")]];
      for (const [s, e] of values) {
        const out = new ByteWriter();
        IntervalWindowCoder.INSTANCE.encode(new IntervalWindow(s!, e!), out, "nested");
        assert.equal(IntervalWindowCoder.INSTANCE.decode(new ByteReader(out.finish()), "nested").id(), `${s}:${e}`);
      }
      // An 8-byte end and a varint span: a minute's window takes 16 - 5 bytes, an hour's or a day's 16 - 4.
      const size = (end: number): number => {
        const out = new ByteWriter();
        IntervalWindowCoder.INSTANCE.encode(new IntervalWindow(start, end), out, "nested");
        return out.finish().length;
      };
      assert.deepEqual([size(start + 60_000), size(start + 3_600_000), size(start + 86_400_000)], [11, 12, 12]);
    });
  });
});

/** Groups `values` (keyed "key", timestamps = values) by `fn`; rows "window: values". */
async function groupedBy(mode: Mode, fns: readonly WindowFn[], values: readonly number[]): Promise<string[]> {
  const out: Observed<KV<string, number[]>>[] = [];
  const result = await runDirect((p) => {
    let pc = timestamped(p, "Input", mode, values.map((v) => ({ value: kv("key", v), timestamp: v })));
    fns.forEach((fn, i) => (pc = pc.apply(`Window${i}`, Window.into(fn))));
    collect(
      pc.apply(GroupByKey.create()).map("Sort", (g: KV<string, number[]>) => kv(g.key, [...g.value].sort((a, b) => a - b))),
      out,
    );
  });
  await result.waitUntilFinish();
  return out.map((o) => `${o.window}: ${o.value.value.join(",")}`).sort();
}

for (const mode of ["batch", "streaming"] as const) {
  describe(`Beam windowing in pipelines (window_test.py), ${mode}`, () => {
    it("groups by sliding windows (test_sliding_windows)", async () => {
      assert.deepEqual(await groupedBy(mode, [new SlidingWindows(4, 2)], [1, 2, 3]), ["-2:2: 1", "0:4: 1,2,3", "2:6: 2,3"]);
    });

    it("groups by sessions (test_sessions)", async () => {
      assert.deepEqual(await groupedBy(mode, [new Sessions(10)], [1, 2, 3, 20, 35, 27]), ["1:13: 1,2,3", "20:45: 20,27,35"]);
    });

    it("keeps each copy of an element in several windows when re-windowed (test_rewindow)", async () => {
      const values = [0, 1, 2, 3, 4, 5, 6, 7, 8, 9];
      const triple = (vs: number[]): string => vs.flatMap((v) => [v, v, v]).join(",");
      assert.deepEqual(await groupedBy(mode, [new SlidingWindows(6, 2), new FixedWindows(5), new FixedWindows(5)], values), [
        `0:5: ${triple([0, 1, 2, 3, 4])}`,
        `5:10: ${triple([5, 6, 7, 8, 9])}`,
      ]);
    });

    it("windows idempotently (test_window_assignment_idempotency)", async () => {
      assert.deepEqual(await groupedBy(mode, [new FixedWindows(2), new FixedWindows(2), new FixedWindows(2)], [0, 2, 4]), ["0:2: 0", "2:4: 2", "4:6: 4"]);
    });

    it("leaves elements in the gaps of a sliding fn with period > size in no window (testElidings)", async () => {
      assert.deepEqual(await groupedBy(mode, [new SlidingWindows(3, 10)], [1, 2, 3, 5, 9, 10, 11, 100]), ["0:3: 1,2", "100:103: 100", "10:13: 10,11"]);
    });

    it("fires the last fixed window of time, which ends with the global window (testEndOfTime)", async () => {
      const t = GLOBAL_WINDOW_MAX_TIMESTAMP - 10;
      const rows = await groupedBy(mode, [new FixedWindows(7 * 86_400_000)], [t]);
      assert.equal(rows.length, 1, `the window holding ${t} fired: ${JSON.stringify(rows)}`);
    });

    it("fires every sliding window and session at the end of time, stamped no later than the global window's end", async () => {
      // Beam Java cuts only FixedWindows' last window short; sliding windows and sessions ending
      // after the final watermark would never fire in streaming (and stamp batch results past
      // MAX_TIMESTAMP), so they are cut the same way.
      const t = GLOBAL_WINDOW_MAX_TIMESTAMP - 10;
      const day = 86_400_000;
      for (const fn of [new SlidingWindows(7 * day, day), new Sessions(7 * day)]) {
        const out: Observed<KV<string, number[]>>[] = [];
        await (
          await runDirect((p) => collect(timestamped(p, "Input", mode, [{ value: kv("key", 1), timestamp: t }]).apply(Window.into(fn)).apply(GroupByKey.create()), out))
        ).waitUntilFinish();
        assert.equal(out.length, fn instanceof Sessions ? 1 : 7, `${fn.constructor.name}: every window holding ${t} fired: ${JSON.stringify(out.map((o) => o.window))}`);
        for (const o of out) assert.ok(o.timestamp <= GLOBAL_WINDOW_MAX_TIMESTAMP, `${o.window} stamped ${o.timestamp}`);
      }
    });

    it("groups the global window again after a windowed step (batch: unbounded global input needs a trigger)", async function () {
      if (mode === "streaming") this.skip();
      assert.deepEqual(await groupedBy(mode, [new FixedWindows(2), new GlobalWindows()], [0, 2, 4]), ["global: 0,2,4"]);
    });
  });
}
