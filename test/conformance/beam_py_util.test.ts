/**
 * Beam Python's util_test.py (ReshuffleTest, WithKeysTest, CoGroupByKeyTest) and ptransform_test.py's
 * Keys/Values/KvSwap/Distinct cases, against Beam's expected outputs. Each case runs on the
 * DirectRunner with one worker and with --direct_num_workers 2 (outputs are compared sorted: a
 * shuffle does not keep order); the cases about streaming run from a TestStream.
 */
import { strict as assert } from "node:assert";
import {
  AfterProcessingTime,
  AsList,
  AsSingleton,
  CoGroupByKey,
  Create,
  Distinct,
  GlobalWindows,
  GroupByKey,
  Keys,
  KvSwap,
  MIN_TIMESTAMP,
  PipelineConstructionError,
  Repeatedly,
  Reshuffle,
  Sessions,
  SlidingWindows,
  TestStream,
  Values,
  Window,
  WithKeys,
  WithTimestamps,
  kv,
  type KV,
  type PCollection,
} from "../../lib";
import type { Observed } from "../streaming/collect";
import { paneOf } from "../streaming/collect";
import { labelledOutputs } from "./beam_helpers";

const WORKERS = [1, 2] as const;
const DATA: [number, number][] = [[1, 1], [2, 1], [3, 1], [1, 2], [2, 2], [1, 3]];
const json = (values: readonly unknown[]): string[] => values.map((v) => JSON.stringify(v)).sort();
/** An element with its timestamp, window and pane, as Beam Python's `reify_windows=True` compares them. */
const reified = (o: Observed<unknown>): string => `${JSON.stringify(o.value)} @${o.timestamp} ${o.window} ${paneOf(o.pane)}`;
const sortedGroup = (g: KV<number, number[]>): KV<number, number[]> => kv(g.key, [...g.value].sort((a, b) => a - b));
const pairs = (p: PCollection<unknown>["pipeline"], data: readonly [number, number][] = DATA, label = "Start"): PCollection<KV<number, number>> =>
  p.apply(label, Create.from(data)).map(`${label}KV`, (e: [number, number]) => kv(e[0], e[1]));

for (const workers of WORKERS) {
  const options = { directNumWorkers: workers };
  describe(`Beam Python ReshuffleTest (util_test.py), --direct_num_workers ${workers}`, () => {
    it("test_reshuffle_contents_unchanged, test_reshuffle_contents_unchanged_with_buckets", async () => {
      const r = await labelledOutputs(
        (p, out) => {
          const input = pairs(p);
          out("Plain", input.apply("Plain", Reshuffle.viaRandomKey()));
          out("Buckets", input.apply("Buckets", Reshuffle.viaRandomKey<KV<number, number>>().withNumBuckets(2)));
        },
        undefined,
        options,
      );
      const expected = json(DATA.map(([k, v]) => kv(k, v)));
      assert.deepEqual(r, { Plain: expected, Buckets: expected });
    });

    it("test_reshuffle_after_gbk_contents_unchanged", async () => {
      const r = await labelledOutputs(
        (p, out) => {
          const grouped = pairs(p).apply(GroupByKey.create<number, number>()).map("Sort", sortedGroup);
          out("AfterGbk", grouped);
          out("AfterReshuffle", grouped.apply(Reshuffle.viaRandomKey()));
        },
        undefined,
        options,
      );
      const expected = json([kv(1, [1, 2, 3]), kv(2, [1, 2]), kv(3, [1])]);
      assert.deepEqual(r, { AfterGbk: expected, AfterReshuffle: expected });
    });

    it("test_reshuffle_timestamps_unchanged, test_reshuffle_preserves_timestamps (MIN_TIMESTAMP too)", async () => {
      const r = await labelledOutputs(
        (p, out) => {
          const stamped = pairs(p).apply(WithTimestamps.of((e: KV<number, number>) => (e.key === 3 ? MIN_TIMESTAMP : 5000)));
          out("Before", stamped);
          out("After", stamped.apply(Reshuffle.viaRandomKey()));
        },
        reified,
        options,
      );
      assert.deepEqual(r.After, r.Before);
      assert.equal(r.After!.length, 6);
      assert.ok(r.After!.some((l) => l.startsWith(`{"key":3,"value":1} @${MIN_TIMESTAMP} global`)), r.After!.join("\n"));
    });

    it("test_reshuffle_windows_unchanged: merged session windows, timestamps and panes after a GroupByKey", async () => {
      const data: [number, number][] = [[1, 1], [2, 1], [3, 1], [1, 2], [2, 2], [1, 4]];
      const r = await labelledOutputs(
        (p, out) => {
          const grouped = pairs(p, data)
            .apply(WithTimestamps.of((e: KV<number, number>) => e.value * 1000))
            .apply(Window.into(new Sessions(2000)))
            .apply(GroupByKey.create<number, number>())
            .map("Sort", sortedGroup);
          out("Before", grouped);
          out("After", grouped.apply(Reshuffle.viaRandomKey()));
        },
        reified,
        options,
      );
      const expected = [
        `{"key":1,"value":[1,2]} @3999 1000:4000 ON_TIME#0/0 first last`,
        `{"key":1,"value":[4]} @5999 4000:6000 ON_TIME#0/0 first last`,
        `{"key":2,"value":[1,2]} @3999 1000:4000 ON_TIME#0/0 first last`,
        `{"key":3,"value":[1]} @2999 1000:3000 ON_TIME#0/0 first last`,
      ];
      assert.deepEqual(r, { Before: expected, After: expected });
    });

    it("test_reshuffle_window_fn_preserved: unmerged sessions pass through, a GroupByKey after merges them", async () => {
      const data: [number, number][] = [[1, 1], [2, 1], [3, 1], [1, 2], [2, 2], [1, 4]];
      const r = await labelledOutputs(
        (p, out) => {
          const windowed = pairs(p, data)
            .apply(WithTimestamps.of((e: KV<number, number>) => e.value * 1000))
            .apply(Window.into(new Sessions(2000)));
          const reshuffled = windowed.apply(Reshuffle.viaRandomKey());
          out("Before", windowed);
          out("After", reshuffled);
          out("Grouped", reshuffled.apply(GroupByKey.create<number, number>()).map("Sort", sortedGroup));
        },
        (o) => `${JSON.stringify(o.value)} @${o.timestamp} ${o.window}`,
        options,
      );
      const windows = [
        `{"key":1,"value":1} @1000 1000:3000`,
        `{"key":1,"value":2} @2000 2000:4000`,
        `{"key":1,"value":4} @4000 4000:6000`,
        `{"key":2,"value":1} @1000 1000:3000`,
        `{"key":2,"value":2} @2000 2000:4000`,
        `{"key":3,"value":1} @1000 1000:3000`,
      ];
      assert.deepEqual(r.Before, windows);
      assert.deepEqual(r.After, windows);
      assert.deepEqual(r.Grouped, [
        `{"key":1,"value":[1,2]} @3999 1000:4000`,
        `{"key":1,"value":[4]} @5999 4000:6000`,
        `{"key":2,"value":[1,2]} @3999 1000:4000`,
        `{"key":3,"value":[1]} @2999 1000:3000`,
      ]);
    });

    it("test_reshuffle_global_window, test_reshuffle_sliding_window: windows are not assigned again", async () => {
      const data: [number, number][] = [[1, 1], [2, 1], [3, 1], [1, 2], [2, 2], [1, 4]];
      const r = await labelledOutputs(
        (p, out) => {
          const global = pairs(p, data, "G").apply("Global", Window.into(new GlobalWindows())).apply("GroupG", GroupByKey.create<number, number>()).map("SortG", sortedGroup);
          out("Global", global.apply("ReshuffleG", Reshuffle.viaRandomKey()));
          // Create's elements are at MIN_TIMESTAMP: each is in two sliding windows of size 2 s, period 1 s.
          const sliding = pairs(p, data, "S")
            .apply("Sliding", Window.into(new SlidingWindows(2000, 1000)))
            .apply("GroupS", GroupByKey.create<number, number>())
            .map("SortS", sortedGroup);
          out("SlidingBefore", sliding);
          out("SlidingAfter", sliding.apply("ReshuffleS", Reshuffle.viaRandomKey()));
        },
        undefined,
        options,
      );
      const once = [kv(1, [1, 2, 4]), kv(2, [1, 2]), kv(3, [1])];
      assert.deepEqual(r.Global, json(once));
      assert.deepEqual(r.SlidingBefore, json([...once, ...once]));
      assert.deepEqual(r.SlidingAfter, json([...once, ...once]));
    });

    it("test_reshuffle_streaming_global_window(_with_buckets)", async () => {
      const data: [number, number][] = [[1, 1], [2, 1], [3, 1], [1, 2], [2, 2], [1, 4]];
      const r = await labelledOutputs(
        (p, out) => {
          // As Python's: bounded input (Create) run as a streaming job.
          const grouped = pairs(p, data)
            .apply(Window.into(new GlobalWindows()))
            .apply(GroupByKey.create<number, number>())
            .map("Sort", sortedGroup);
          out("Plain", grouped.apply("Plain", Reshuffle.viaRandomKey()));
          out("Buckets", grouped.apply("Buckets", Reshuffle.viaRandomKey<KV<number, number[]>>().withNumBuckets(2)));
        },
        undefined,
        { ...options, streaming: true },
      );
      const expected = json([kv(1, [1, 2, 4]), kv(2, [1, 2]), kv(3, [1])]);
      assert.deepEqual(r, { Plain: expected, Buckets: expected });
    });

    it("test_reshuffle_custom_window_preserves_metadata: early panes keep their pane info through the shuffle (streaming)", async () => {
      const els = (from: number) => [from, from + 1, from + 2].map((i) => ({ value: kv("key", i), timestamp: 0 }));
      const script = TestStream.create<KV<string, number>>()
        .advanceWatermarkTo(0)
        .advanceProcessingTime(100)
        .addElements(...els(0))
        .advanceProcessingTime(100)
        .advanceWatermarkTo(100)
        .addElements(...els(3))
        .advanceProcessingTime(100)
        .advanceWatermarkTo(200)
        .addElements(...els(6))
        .advanceProcessingTime(100)
        .advanceWatermarkTo(300)
        .addElements(...els(9))
        .advanceProcessingTime(100)
        .advanceWatermarkToInfinity();
      const r = await labelledOutputs(
        (p, out) => {
          const grouped = p
            .apply(script)
            .apply(Window.into(new GlobalWindows(), { trigger: Repeatedly(AfterProcessingTime(1)), accumulationMode: "DISCARDING" }))
            .apply(GroupByKey.create<string, number>());
          out("Grouped", grouped);
          out("Reshuffled", grouped.apply(Reshuffle.viaRandomKey()));
        },
        (o) => `${JSON.stringify(o.value)} ${o.window} ${paneOf(o.pane)}`,
        options,
      );
      assert.deepEqual(r.Reshuffled, r.Grouped);
      // Beam Python's four early panes. (Beamline, as Beam Java, also fires the on-time pane of the
      // global window when the watermark reaches its end, empty: OnTimeBehavior FIRE_ALWAYS.)
      assert.deepEqual(
        r.Reshuffled!.filter((l) => l.includes("EARLY")),
        [
          `{"key":"key","value":[0,1,2]} global EARLY#0/-1 first`,
          `{"key":"key","value":[3,4,5]} global EARLY#1/-1`,
          `{"key":"key","value":[6,7,8]} global EARLY#2/-1`,
          `{"key":"key","value":[9,10,11]} global EARLY#3/-1`,
        ],
      );
    });
  });

  describe(`Beam Python WithKeysTest, CoGroupByKeyTest (util_test.py), Keys/Values/KvSwap/Distinct (ptransform_test.py), --direct_num_workers ${workers}`, () => {
    it("test_constant_k, test_callable_k, test_sideinputs", async () => {
      const r = await labelledOutputs(
        (p, out) => {
          const pc = p.apply("Start", Create.of(1, 2, 3));
          const list = AsList(p.apply("SideInput1", Create.of(1, 2, 3)));
          const single = AsSingleton(p.apply("SideInput2", Create.of(10)));
          out("Constant", pc.apply("Constant", WithKeys.of<number, string>("k")));
          out("Callable", pc.apply("Callable", WithKeys.of((x: number) => x * x)));
          out(
            "SideInputs",
            pc.apply(
              "SideInputs",
              WithKeys.of((x: number, s: { theList: readonly number[]; theSingleton: number }) => x + s.theList.reduce((a, b) => a + b, 0) + s.theSingleton, {
                sideInputs: { theList: list, theSingleton: single },
              }),
            ),
          );
        },
        undefined,
        options,
      );
      assert.deepEqual(r, {
        Constant: json([kv("k", 1), kv("k", 2), kv("k", 3)]),
        Callable: json([kv(1, 1), kv(4, 2), kv(9, 3)]),
        SideInputs: json([kv(17, 1), kv(18, 2), kv(19, 3)]),
      });
    });

    it("test_co_group_by_key_on_tuple (as positional tags): a key missing from one input gets []", async () => {
      const r = await labelledOutputs(
        (p, out) => {
          const a = pairs(p, [[1, 1], [1, 2], [2, 3], [3, 4]], "Start1");
          const b = pairs(p, [[1, 5], [1, 6], [3, 7], [3, 8]], "Start2");
          out(
            "Joined",
            p.apply(CoGroupByKey.of({ "0": a, "1": b })).map("Sort", (e: KV<number, { "0": number[]; "1": number[] }>) => kv(e.key, [[...e.value["0"]].sort(), [...e.value["1"]].sort()])),
          );
        },
        undefined,
        options,
      );
      assert.deepEqual(r.Joined, json([kv(1, [[1, 2], [5, 6]]), kv(2, [[3], []]), kv(3, [[4], [7, 8]])]));
    });

    it("test_keys_and_values, test_kv_swap, test_distinct", async () => {
      const r = await labelledOutputs(
        (p, out) => {
          const pc = pairs(p, [[3, 1], [2, 1], [1, 1], [3, 2], [2, 2], [3, 3]]);
          out("Keys", pc.apply(Keys.create<number>()));
          out("Values", pc.apply(Values.create<number>()));
          out("Swapped", pc.apply(KvSwap.create<number, number>()));
          out("Distinct", p.apply("Numbers", Create.of(2, 1, 3, 4, 5, 1, 4, 3, 5, 2, 4)).apply(Distinct.create<number>()));
        },
        undefined,
        options,
      );
      assert.deepEqual(r, {
        Keys: json([1, 2, 2, 3, 3, 3]),
        Values: json([1, 1, 1, 2, 2, 3]),
        Swapped: json([kv(1, 3), kv(1, 2), kv(1, 1), kv(2, 3), kv(2, 2), kv(3, 3)]),
        Distinct: json([1, 2, 3, 4, 5]),
      });
    });
  });
}

describe("Beam Python ReshuffleTest: construction", () => {
  it("test_reshuffle_contents_unchanged_with_wrong_buckets: 0, -1 and 2.5 are refused when the transform is made", () => {
    for (const wrong of [0, -1, 2.5, Number.NaN]) {
      assert.throws(() => Reshuffle.viaRandomKey().withNumBuckets(wrong), (e: Error) => e instanceof PipelineConstructionError && /Reshuffle\.withNumBuckets needs an integer greater than 0, got/.test(e.message));
    }
  });
});
