/**
 * Beam Python's combiners_test.py cases not in beam_combiners_python.test.ts: Latest over nothing,
 * the timestamp combiners of a CombinePerKey (streaming), hot-key fanout by a function of the key
 * and over many sharded inputs, fanout in sliding windows, TupleCombineFn (CombineFns.compose),
 * CombineGlobally without defaults, ToList, and metrics reported from inside a CombineFn. Each runs
 * on the DirectRunner with one worker and with --direct_num_workers 2.
 */
import { strict as assert } from "node:assert";
import {
  Combine,
  CombineFns,
  Combiners,
  Create,
  FixedWindows,
  Flatten,
  Latest,
  Metrics,
  SlidingWindows,
  TestStream,
  Values,
  Window,
  kv,
  type CombineFn,
  type KV,
  type PCollection,
} from "../../lib";
import { runDirect } from "../helpers";
import type { Observed } from "../streaming/collect";
import { collect } from "../streaming/collect";
import { labelledOutputs } from "./beam_helpers";

const json = (values: readonly unknown[]): string[] => values.map((v) => JSON.stringify(v)).sort();

/** Python's SortedConcatWithCounters: sorted characters of the inputs, with a counter, a distribution and a gauge. */
function sortedConcatWithCounters(): CombineFn<string, string, string> {
  const words = Metrics.counter("combiners_test", "word_counter");
  const lengths = Metrics.counter("combiners_test", "word_lengths");
  const lengthDist = Metrics.distribution("combiners_test", "word_len_dist");
  const lastLength = Metrics.gauge("combiners_test", "last_word_len");
  return {
    createAccumulator: () => "",
    addInput: (acc, word) => {
      words.inc();
      lengths.inc(word.length);
      lengthDist.update(word.length);
      lastLength.set(word.length);
      return acc + word;
    },
    mergeAccumulators: (accs) => [...accs].join(""),
    extractOutput: (acc) => [...acc].sort().join(""),
  };
}

for (const workers of [1, 2] as const) {
  const options = { directNumWorkers: workers };
  describe(`Beam Python combiners_test.py, --direct_num_workers ${workers}`, () => {
    it("LatestTest.test_globally_empty (the default, undefined as Python's None), test_per_key_empty", async () => {
      const r = await labelledOutputs(
        (p, out) => {
          const empty = p.apply("Start", Create.from<number>([])).map("Identity", (x: number) => x);
          out("Globally", empty.apply("Globally", Latest.globally<number>()).map("Show", (x: number | undefined) => String(x)));
          out("PerKey", empty.map("Key", (x: number) => kv("k", x)).apply("PerKey", Latest.perKey<string, number>()));
        },
        undefined,
        options,
      );
      assert.deepEqual(r, { Globally: ['"undefined"'], PerKey: [] });
    });

    for (const [combiner, at] of [["EARLIEST", 2000], ["LATEST", 7000]] as const) {
      it(`LatestCombineFnTest.test_combiner_${combiner.toLowerCase()}: a CombinePerKey's output at the ${combiner} input's timestamp (streaming)`, async () => {
        const r = await labelledOutputs(
          (p, out) => {
            const summed = p
              .apply(
                TestStream.create<KV<string, number>>()
                  .addElements({ value: kv("k", 100), timestamp: 2000 })
                  .addElements({ value: kv("k", 400), timestamp: 7000 })
                  .advanceWatermarkToInfinity(),
              )
              .apply(Window.into(new FixedWindows(10_000), { timestampCombiner: combiner }))
              .apply(Combine.perKey(Combiners.sum()));
            out("Result", summed);
          },
          (o: Observed<unknown>) => `${JSON.stringify(o.value)} @${o.timestamp} ${o.window}`,
          options,
        );
        assert.deepEqual(r.Result, [`{"key":"k","value":500} @${at} 0:10000`]);
      });
    }

    it("CombineGloballyTest.test_hot_key_fanout: a fanout chosen per key (5 for the hot one, none for the cold)", async () => {
      const r = await labelledOutputs(
        (p, out) => {
          const input = p.apply(Create.from(["hot", "cold"].flatMap((k) => Array.from({ length: 10 }, (_, i) => kv(k, i)))));
          out("Result", input.apply(Combine.perKey<string, number, { sum: number; count: number }, number>(Combiners.mean()).withHotKeyFanout((key: string) => (key === "hot" ? 5 : 0))));
        },
        undefined,
        options,
      );
      assert.deepEqual(r.Result, json([kv("hot", 4.5), kv("cold", 4.5)]));
    });

    it("CombineGloballyTest.test_hot_key_fanout_sharded: 1000 values of one key from 20 inputs, a random fanout per element", async () => {
      const r = await labelledOutputs(
        (p, out) => {
          const elements = Array.from({ length: 1000 }, (_, e) => kv(null, e));
          const shards: PCollection<KV<null, number>>[] = Array.from({ length: 20 }, (_, s) => p.apply(`Shard${s}`, Create.from(elements.filter((_e, i) => i % 20 === s))));
          const mean = Combine.perKey<null, number, { sum: number; count: number }, number>(Combiners.mean()).withHotKeyFanout(() => Math.floor(Math.random() * 5));
          out("Result", shards[0]!.apply(Flatten.with(...shards.slice(1))).apply(mean));
        },
        undefined,
        options,
      );
      assert.deepEqual(r.Result, json([kv(null, 499.5)]));
    });

    it("test_combining_with_sliding_windows_and_fanout_raises_error: Beamline combines with fanout in sliding windows (Python refuses, issue 20528), as without fanout", async () => {
      const seconds = [1666707510, 1666707511, 1666707512, 1666707513, 1666707515, 1666707516, 1666707517, 1666707518];
      const r = await labelledOutputs(
        (p, out) => {
          const windowed = p
            .apply(Create.timestamped(seconds.map((s, i) => ({ value: i < 4 ? i : i + 1, timestamp: s * 1000 }))))
            .apply(Window.into(new SlidingWindows(10_000, 5000)));
          const sorted = (xs: number[]): number[] => [...xs].sort((a, b) => a - b);
          out("Fanout", windowed.apply("Fanout", Combine.globally(Combiners.toList<number>(), { withoutDefaults: true }).withFanout(7)).map("SortF", sorted));
          out("Plain", windowed.apply("Plain", Combine.globally(Combiners.toList<number>(), { withoutDefaults: true })).map("SortP", sorted));
        },
        (o) => `${JSON.stringify(o.value)} ${o.window}`,
        options,
      );
      assert.deepEqual(r.Fanout, r.Plain);
      assert.deepEqual(r.Plain, ["[0,1,2,3,5,6,7,8] 1666707510000:1666707520000", "[0,1,2,3] 1666707505000:1666707515000", "[5,6,7,8] 1666707515000:1666707525000"]);
    });

    it("test_tuple_combine_fn, test_tuple_combine_fn_without_defaults (with_common_input), test_empty_tuple_combine_fn: CombineFns.compose", async () => {
      const r = await labelledOutputs(
        (p, out) => {
          type Row = readonly [string, number, number];
          const rows = p.apply("Rows", Create.of<Row>(["a", 100, 0.0], ["b", 10, -1], ["c", 1, 100]));
          const perField = CombineFns.compose<Row>()
            .with("max", (r: Row) => r[0], Combiners.max<string>())
            .with("mean", (r: Row) => r[1], Combiners.mean())
            .with("sum", (r: Row) => r[2], Combiners.sum());
          out("Tuple", rows.apply("Tuple", Combine.globally(perField, { withoutDefaults: true })));
          const common = CombineFns.compose<number>().with("min", Combiners.min()).with("mean", Combiners.mean()).with("max", Combiners.max());
          out("Common", p.apply("Numbers", Create.of(1, 1, 2, 3)).apply("Common", Combine.globally(common, { withoutDefaults: true })));
          out("Empty", p.apply("Unit", Create.of(null, null, null)).apply("Empty", Combine.globally(CombineFns.compose<null>())));
        },
        undefined,
        options,
      );
      assert.deepEqual(r, {
        Tuple: [JSON.stringify({ max: "c", mean: 111 / 3, sum: 99 })],
        Common: [JSON.stringify({ min: 1, mean: 7 / 4, max: 3 })],
        Empty: ["{}"],
      });
    });

    it("test_combine_globally_without_default, test_to_list_and_to_dict1 (ToList, globally and windowed without defaults)", async () => {
      const theList = [6, 3, 1, 1, 9, 1, 5, 2, 0, 6];
      const r = await labelledOutputs(
        (p, out) => {
          out("NoDefault", p.apply("Empty", Create.from<number>([])).apply("Sum", Combine.globally(Combiners.sum(), { withoutDefaults: true })));
          const pc = p.apply("Start", Create.from(theList));
          const sorted = (xs: number[]): number[] => [...xs].sort((a, b) => a - b);
          out("ToList", pc.apply("ToList", Combine.globally(Combiners.toList<number>())).map("Sort", sorted));
          const windowed = p.apply("Stamped", Create.timestamped(theList.map((value) => ({ value, timestamp: 0 })))).apply(Window.into(new FixedWindows(60_000)));
          out("Windowed", windowed.apply("ToListWoDefaults", Combine.globally(Combiners.toList<number>(), { withoutDefaults: true })).map("SortW", sorted));
        },
        undefined,
        options,
      );
      assert.deepEqual(r, { NoDefault: [], ToList: [JSON.stringify(theList.sort((a, b) => a - b))], Windowed: [JSON.stringify(theList)] });
    });
  });
}

describe("Beam Python combiners_test.py: metrics in a CombineFn", () => {
  it("test_custormized_counters_in_combine_fn: counters, distributions and gauges of a CombineFn are reported", async () => {
    const concat: Observed<string>[] = [];
    const perKey: Observed<KV<string, string>>[] = [];
    const result = await runDirect((p) => {
      const input = p.apply(Create.of(kv("key1", "a"), kv("key1", "ab"), kv("key1", "abc"), kv("key2", "uvxy"), kv("key2", "uvxyz")));
      collect(input.apply(Values.create<string>()).apply("Global", Combine.globally(sortedConcatWithCounters())), concat, "CollectGlobal");
      collect(input.apply("PerKey", Combine.perKey(sortedConcatWithCounters())), perKey, "CollectPerKey");
    });
    await result.waitUntilFinish();
    assert.deepEqual(concat.map((o) => o.value), ["aaabbcuuvvxxyyz"]);
    assert.deepEqual(json(perKey.map((o) => o.value)), json([kv("key1", "aaabbc"), kv("key2", "uuvvxxyyz")]));
    const metrics = result.metrics;
    const ns = { namespace: "combiners_test" };
    // Both combines count their five words (Python's filter takes the first of its two counters).
    assert.deepEqual(metrics.counters(ns).map((c) => [c.name, c.value]).sort(), [["word_counter", 5], ["word_counter", 5], ["word_lengths", 15], ["word_lengths", 15]]);
    assert.ok(metrics.distributions(ns).length > 0);
    for (const d of metrics.distributions(ns)) assert.equal(d.value.sum / d.value.count, 3);
    assert.ok(metrics.gauges(ns).length > 0);
    for (const g of metrics.gauges(ns)) assert.ok([1, 2, 3, 4, 5].includes(g.value.value), String(g.value.value));
  });

  it("test_custormized_counters_in_combine_fn_empty: nothing counted, no gauge set, the default '' globally", async () => {
    const concat: Observed<string>[] = [];
    const result = await runDirect((p) => {
      const input = p.apply(Create.from<KV<string, string>>([]));
      collect(input.apply(Values.create<string>()).apply("Global", Combine.globally(sortedConcatWithCounters())), concat, "CollectGlobal");
      collect(input.apply("PerKey", Combine.perKey(sortedConcatWithCounters())), [], "CollectPerKey");
    });
    await result.waitUntilFinish();
    assert.deepEqual(concat.map((o) => o.value), [""]);
    const metrics = result.metrics;
    const ns = { namespace: "combiners_test" };
    for (const c of metrics.counters(ns)) assert.equal(c.value, 0);
    for (const d of metrics.distributions(ns)) assert.equal(d.value.count, 0);
    assert.deepEqual(metrics.gauges(ns), []);
  });
});
