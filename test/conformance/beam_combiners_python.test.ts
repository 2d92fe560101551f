/**
 * Beam Python's combining transforms beyond Combine itself, against Beam's own tests as the
 * oracle (combiners_test.py): CombineValues over grouped values, the Top transforms (Largest,
 * Smallest, their PerKey forms, Of with a key function and reverse), ToDict and ToSet.
 */
import { strict as assert } from "node:assert";
import {
  AfterAll,
  AfterCount,
  AfterWatermark,
  Combine,
  CombineFn,
  Combiners,
  CombineValues,
  Create,
  FixedWindows,
  GlobalWindows,
  GroupByKey,
  kv,
  KV,
  ptransform,
  TestStream,
  Top,
  Window,
  type PCollection,
  type PTransform,
} from "../../lib";
import { runDirect } from "../helpers";
import { labelledOutputs } from "./beam_helpers";

const outputs = labelledOutputs;

/** Python's `"".join(vals)` as a CombineFn. */
const join: CombineFn<string, string, string> = {
  createAccumulator: () => "",
  addInput: (acc, x) => acc + x,
  mergeAccumulators: (accs) => [...accs].join(""),
  extractOutput: (acc) => acc,
};

describe("Beam Python combining transforms (combiners_test.py)", () => {
  it("CombineValues right after a GroupByKey (CombineValuesTest.test_gbk_immediately_followed_by_combine)", async () => {
    const r = await outputs((p, out) => {
      const grouped = p.apply("Start", Create.of(kv("key1", "foo"), kv("key2", "bar"), kv("key1", "foo"))).apply(GroupByKey.create());
      out(
        "Result",
        grouped.apply(CombineValues.of(join)).map("Format", (e: KV<string, string>) => `${e.key}: ${e.value}`),
      );
    });
    assert.deepEqual(r, { Result: ['"key1: foofoo"', '"key2: bar"'] });
  });

  it("CombineValues combines each element on its own, and no values to the combine of nothing (CombineValuesDoFn)", async () => {
    const r = await outputs((p, out) => {
      const lists = p.apply("Start", Create.of(kv("a", ["x", "y"]), kv("a", ["z"]), kv("b", [] as string[])));
      out("Result", lists.apply(CombineValues.of(join)));
    });
    assert.deepEqual(r, { Result: [kv("a", "xy"), kv("a", "z"), kv("b", "")].map((e) => JSON.stringify(e)).sort() });
  });

  // Beam Python's CombineGlobally(fn).with_fanout(n) is CombinePerKey(fn).with_hot_key_fanout(n)
  // over one key; Beamline has no Combine.globally fanout, so these run that expansion.
  const globalFanout = <In, Acc, Out>(fn: CombineFn<In, Acc, Out>, fanout: number): PTransform<PCollection<In>, PCollection<Out>> =>
    ptransform("GlobalFanout", (pc: PCollection<In>) =>
      pc
        .map("KeyWithVoid", (x: In) => kv(null, x))
        .apply("CombinePerKey", Combine.perKey<null, In, Acc, Out>(fn).withHotKeyFanout(fanout))
        .map("UnKey", (e: KV<null, Out>) => e.value),
    );

  it("a global mean with fanout (test_global_fanout)", async () => {
    const r = await outputs((p, out) => {
      out("Mean", p.apply("Start", Create.from(Array.from({ length: 100 }, (_, i) => i))).apply(globalFanout(Combiners.mean(), 11)));
    });
    assert.deepEqual(r, { Mean: ["49.5"] });
  });

  it("accumulating early panes with fanout: 1, 3, 6, 10, then 15 (test_combining_with_accumulation_mode_and_fanout)", async () => {
    let script = TestStream.create<number>().advanceWatermarkTo(0);
    for (let i = 1; i <= 5; i++) script = script.addElements({ value: i, timestamp: 0 });
    const r = await outputs((p, out) => {
      const input = p
        .apply(script.advanceWatermarkToInfinity())
        .apply(Window.into(new GlobalWindows(), { accumulationMode: "ACCUMULATING", trigger: AfterWatermark({ early: AfterAll(AfterCount(1)) }) }));
      out("Sums", input.apply(globalFanout(Combiners.sum(), 2)));
    });
    const sums = r.Sums!.map(Number).sort((a, b) => a - b);
    // Python's assertion: the early firings, then at least one 15 (runners differ in how many).
    assert.deepEqual(sums.slice(0, 4), [1, 3, 6, 10], `panes: ${r.Sums!.join(", ")}`);
    assert.ok(sums.length > 4 && sums.slice(4).every((s) => s === 15), `panes: ${r.Sums!.join(", ")}`);
  });
});

const VALS = [6, 3, 1, 1, 9, 1, 5, 2, 0, 6];

describe("Beam Python Top, ToDict, ToSet (combiners_test.py)", () => {
  it("Top.largest / smallest, globally, without defaults over windows, and per key (test_top)", async () => {
    const r = await outputs((p, out) => {
      const pc = p.apply("Start", Create.from(VALS));
      out("Top", pc.apply("TopG", Top.largest(5)));
      out("Bot", pc.apply("BotG", Top.smallest(4)));
      const windowed = p
        .apply("StartTimed", Create.timestamped(VALS.map((value) => ({ value, timestamp: 0 }))))
        .apply("Window", Window.into(new FixedWindows(60_000)));
      out("TopW", windowed.apply("TopW", Top.largest(5, { withoutDefaults: true })));
      out("BotW", windowed.apply("BotW", Top.smallest(4, { withoutDefaults: true })));
      const keyed = p.apply("StartPerKey", Create.from(VALS.map((x) => kv("a", x))));
      out("KeyTop", keyed.apply("TopK", Top.largestPerKey(5)));
      out("KeyBot", keyed.apply("BotK", Top.smallestPerKey(4)));
    });
    assert.deepEqual(r, {
      Top: ["[9,6,6,5,3]"],
      Bot: ["[0,1,1,1]"],
      TopW: ["[9,6,6,5,3]"],
      BotW: ["[0,1,1,1]"],
      KeyTop: [JSON.stringify(kv("a", [9, 6, 6, 5, 3]))],
      KeyBot: [JSON.stringify(kv("a", [0, 1, 1, 1]))],
    });
  });

  it("Top.of with a key function and reverse, largest/smallest by key, per key by key (test_top_key)", async () => {
    const r = await outputs((p, out) => {
      const words = p.apply("Words", Create.of("aa", "bbb", "c", "dddd"));
      out("Of", words.apply("Of", Top.of(3, { key: (w) => w.length })));
      out("OfRev", words.apply("OfRev", Top.of(3, { key: (w) => w.length, reverse: true })));
      const pairs = p.apply("Letters", Create.of("xc", "zb", "yd", "wa"));
      out("Largest", pairs.apply("Largest", Top.largest(3, { key: (x) => x[x.length - 1]! })));
      out("Smallest", pairs.apply("Smallest", Top.smallest(3, { key: (x) => x[x.length - 1]! })));
      const keyed = p.apply("Keyed", Create.from([1, 2, 3, 4, 1, 1].map((x) => kv("a", x))));
      out("LargestPerKey", keyed.apply("LargestPerKey", Top.largestPerKey(3, { key: (x) => -x })));
      out("SmallestPerKey", keyed.apply("SmallestPerKey", Top.smallestPerKey(3, { key: (x) => -x })));
      out("PerKeyRev", keyed.apply("PerKeyRev", Top.perKey(2, { compare: (a, b) => a - b, reverse: true })));
    });
    assert.deepEqual(r, {
      Of: ['["dddd","bbb","aa"]'],
      OfRev: ['["c","aa","bbb"]'],
      Largest: ['["yd","xc","zb"]'],
      Smallest: ['["wa","zb","xc"]'],
      LargestPerKey: [JSON.stringify(kv("a", [1, 1, 1]))],
      SmallestPerKey: [JSON.stringify(kv("a", [4, 3, 2]))],
      PerKeyRev: [JSON.stringify(kv("a", [1, 1]))],
    });
  });

  it("Top of nothing is an empty list; a bad count or two orderings are refused when built (test_empty_global_top)", async () => {
    const r = await outputs((p, out) => out("Top", p.apply("Start", Create.of<number>()).apply("TopG", Top.largest<number>(10))));
    assert.deepEqual(r, { Top: ["[]"] });
    assert.throws(() => Top.largest(-1), /Top needs an integer count of elements to keep, 0 or more; got -1/);
    assert.throws(() => Top.perKey<string, number>(2, { key: (x) => x, compare: (a, b) => a - b }), /given both a key and a compare function/);
  });

  it("ToDict and ToSet, with and without defaults (test_to_list_and_to_dict2, test_to_set)", async () => {
    const dicts: Map<number, number>[] = [];
    const sets: Set<number>[] = [];
    await runDirect((p) => {
      const pairs = p.apply("Pairs", Create.of(kv(1, 2), kv(3, 4), kv(5, 6)));
      const pairsW = p
        .apply("PairsTimed", Create.timestamped([kv(1, 2), kv(3, 4), kv(5, 6)].map((value) => ({ value, timestamp: 0 }))))
        .apply("WindowPairs", Window.into(new FixedWindows(60_000)));
      const nums = p.apply("Nums", Create.from(VALS));
      const numsW = p.apply("NumsTimed", Create.timestamped(VALS.map((value) => ({ value, timestamp: 0 })))).apply("WindowNums", Window.into(new FixedWindows(60_000)));
      const keep = <T>(into: T[]) => (x: T): T => (into.push(x), x);
      pairs.apply("ToDict", Combine.globally(Combiners.toDict<number, number>())).map("KeepDict", keep(dicts));
      pairsW.apply("ToDictW", Combine.globally(Combiners.toDict<number, number>(), { withoutDefaults: true })).map("KeepDictW", keep(dicts));
      nums.apply("ToSet", Combine.globally(Combiners.toSet<number>())).map("KeepSet", keep(sets));
      numsW.apply("ToSetW", Combine.globally(Combiners.toSet<number>(), { withoutDefaults: true })).map("KeepSetW", keep(sets));
    }).then((res) => res.waitUntilFinish());
    assert.equal(dicts.length, 2);
    for (const d of dicts) assert.deepEqual([...d].sort(), [[1, 2], [3, 4], [5, 6]]);
    assert.equal(sets.length, 2);
    for (const s of sets) assert.deepEqual([...s].sort(), [0, 1, 2, 3, 5, 6, 9]);
  });

  it("ToSet and ToDict compare by value: equal arrays are one member, one key (Python's tuples)", async () => {
    const r = await outputs((p, out) => {
      const tuples = p.apply("Tuples", Create.of<[string, number]>(["fr", 1], ["fr", 1], ["de", 2], ["fr", 1]));
      out("Set", tuples.apply("ToSet", Combine.globally(Combiners.toSet<[string, number]>())).map("SetItems", (s: Set<[string, number]>) => [...s].sort()));
      const keyed = p.apply("Keyed", Create.of(kv(["fr", 1], "a"), kv(["fr", 1], "a"), kv(["de", 2], "b")));
      out("Dict", keyed.apply("ToDict", Combine.globally(Combiners.toDict<string[] | (string | number)[], string>())).map("DictItems", (d: Map<unknown, string>) => [...d].sort()));
      out("Strings", p.apply("Strings", Create.of("\u0000x", "\u0000x", "x")).apply("ToSetS", Combine.globally(Combiners.toSet<string>())).map("StringItems", (s: Set<string>) => s.size));
    });
    assert.deepEqual(r, {
      Set: [JSON.stringify([["de", 2], ["fr", 1]])],
      Dict: [JSON.stringify([[["de", 2], "b"], [["fr", 1], "a"]])],
      Strings: ["2"],
    });
  });
});
