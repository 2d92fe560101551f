/**
 * Combine against Beam Java's CombineTest as the oracle, the cases beam_combiners.test.ts does
 * not cover: its TestCombineFn (a CombineFn that clears each accumulator it has added to or
 * merged, so a runner that reuses one gives wrong output), UniqueInts, MeanInts and a product
 * (binary CombineFn), globally and per key, in the global window and in fixed windows, sliding
 * windows and sessions, with accumulating panes, and a windowed global combine read as a
 * singleton side input with a default. Batch and streaming (the same elements from a TestStream).
 *
 * Not ported: CombineTest's *WithContext cases (CombineFnWithContext: a CombineFn reading side
 * inputs), which Beamline's CombineFn does not have; the null-handling and display-data cases
 * (Java specifics).
 */
import { strict as assert } from "node:assert";
import {
  AfterCount,
  AfterWatermark,
  AsSingleton,
  binaryCombineFn,
  Combine,
  Combiners,
  FixedWindows,
  kv,
  ParDo,
  Repeatedly,
  Sessions,
  SlidingWindows,
  TestStream,
  Window,
  type CombineFn,
  type KV,
  type PCollection,
} from "../../lib";
import type { Pipeline } from "../../lib/model/pipeline";
import { paneOf, type Observed } from "../streaming/collect";
import { labelledOutputs, timestamped, type Mode } from "./beam_helpers";

/**
 * CombineTest.TestCombineFn: the sorted characters of the values' decimal forms. addInput and
 * mergeAccumulators return new accumulators and clear the one they may change: a runner must not
 * use an accumulator again after passing it to addInput, or as the first to mergeAccumulators.
 * (CombineTest's clears every accumulator it merges, which Beam's CombineFn contract, in Java and
 * Python alike, now forbids: only the first may be changed, the others may be shared.)
 */
interface Acc {
  seed: string;
  value: string;
}
const testCombineFn: CombineFn<number, Acc, string> = {
  createAccumulator: () => ({ seed: "", value: "" }),
  addInput: (acc, x) => {
    const next = { seed: acc.seed, value: acc.value + String(x) };
    acc.value = "cleared in addInput";
    return next;
  },
  mergeAccumulators: (accs) => {
    let all = "";
    let seed: string | undefined;
    let first: Acc | undefined;
    for (const a of accs) {
      first ??= a;
      seed ??= a.seed;
      all += a.value;
    }
    if (first !== undefined) first.value = "cleared in mergeAccumulators";
    return { seed: seed ?? "", value: all };
  },
  extractOutput: (acc) => [...acc.value].sort().join(""),
};

/** CombineTest.UniqueInts: the set of the inputs (output sorted, for comparison). */
const uniqueInts: CombineFn<number, number[], number[]> = {
  createAccumulator: () => [],
  addInput: (acc, x) => (acc.includes(x) ? acc : [...acc, x]),
  mergeAccumulators: (accs) => [...new Set([...accs].flat())],
  extractOutput: (acc) => [...acc].sort((a, b) => a - b),
};

/** CombineTest.MeanInts. */
const meanInts: CombineFn<number, [number, number], number> = {
  createAccumulator: () => [0, 0],
  addInput: ([sum, count], x) => [sum + x, count + 1],
  mergeAccumulators: (accs) => [...accs].reduce<[number, number]>(([s, c], [s2, c2]) => [s + s2, c + c2], [0, 0]),
  extractOutput: ([sum, count]) => sum / count,
};

const TABLE: readonly [string, number][] = [
  ["a", 1],
  ["a", 1],
  ["a", 4],
  ["b", 1],
  ["b", 13],
];

const json = (o: Observed<unknown>): string => JSON.stringify(o.value);

describe("Beam Combine (CombineTest.java): CombineFns, windows, panes", () => {
  for (const mode of ["batch", "streaming"] as const satisfies readonly Mode[]) {
    describe(mode, () => {
      /** TABLE (or `pairs`) at the given timestamps; in the global window, triggered at its end in streaming. */
      const input = (p: Pipeline, pairs: readonly [string, number][], at: (i: number) => number = () => 0, label = "Start"): PCollection<KV<string, number>> => {
        const pc = timestamped(
          p,
          label,
          mode,
          pairs.map(([k, v], i) => ({ value: kv(k, v), timestamp: at(i) })),
        );
        return mode === "batch" ? pc : pc.apply(`${label}AtEnd`, Window.configure({ trigger: AfterWatermark() }));
      };
      const values = (pc: PCollection<KV<string, number>>, label = "Values"): PCollection<number> => pc.map(label, (e: KV<string, number>) => e.value);

      it("testSimpleCombine, testSimpleCombineEmpty, testBasicCombine, testBasicCombineEmpty, testAccumulatingCombine, testAccumulatingCombineEmpty", async () => {
        const r = await labelledOutputs((p, out) => {
          for (const [label, pairs] of [
            ["", TABLE],
            ["Empty", []],
          ] as const) {
            const pc = input(p, pairs, undefined, `Start${label}`);
            const vals = values(pc, `Values${label}`);
            out(`Sum${label}`, vals.apply(`Sum${label}`, Combine.globally(Combiners.sum())));
            out(`Chars${label}`, pc.apply(`Chars${label}`, Combine.perKey(testCombineFn)));
            out(`Unique${label}`, vals.apply(`Unique${label}`, Combine.globally(uniqueInts)));
            out(`UniquePerKey${label}`, pc.apply(`UniquePerKey${label}`, Combine.perKey(uniqueInts)));
            out(`Mean${label}`, vals.apply(`Mean${label}`, Combine.globally(meanInts)));
            out(`MeanPerKey${label}`, pc.apply(`MeanPerKey${label}`, Combine.perKey(meanInts)));
          }
        }, json);
        assert.deepEqual(r, {
          Sum: ["20"],
          Chars: [JSON.stringify(kv("a", "114")), JSON.stringify(kv("b", "113"))],
          Unique: ["[1,4,13]"],
          UniquePerKey: [JSON.stringify(kv("a", [1, 4])), JSON.stringify(kv("b", [1, 13]))],
          Mean: ["4"],
          MeanPerKey: [JSON.stringify(kv("a", 2)), JSON.stringify(kv("b", 7))],
          // The combine of nothing: 0, the empty set, and 0 / 0 (Beam Java's MeanInts gives NaN;
          // JSON has no NaN).
          SumEmpty: ["0"],
          CharsEmpty: [],
          UniqueEmpty: ["[]"],
          UniquePerKeyEmpty: [],
          MeanEmpty: ["null"],
          MeanPerKeyEmpty: [],
        });
      });

      it("testBinaryCombineFn: a product, per key, over the input twice", async () => {
        const product = binaryCombineFn((a: number, b: number) => a * b, () => 1);
        const r = await labelledOutputs((p, out) => {
          out("Product", input(p, [...TABLE, ...TABLE]).apply("Product", Combine.perKey(product)));
        }, json);
        assert.deepEqual(r, { Product: [JSON.stringify(kv("a", 16)), JSON.stringify(kv("b", 169))] });
      });

      it("testFixedWindowsCombine, testSessionsCombine", async () => {
        const r = await labelledOutputs((p, out) => {
          const fixed = input(p, TABLE, (i) => [0, 1, 6, 7, 8][i]!, "Fixed").apply("Fixed2", Window.into(new FixedWindows(2)));
          out("FixedSum", values(fixed, "FixedValues").apply("FixedSum", Combine.globally(Combiners.sum(), { withoutDefaults: true })));
          out("FixedChars", fixed.apply("FixedChars", Combine.perKey(testCombineFn)));
          const sessions = input(p, TABLE, (i) => [0, 4, 7, 10, 16][i]!, "Sessions").apply("Sessions5", Window.into(new Sessions(5)));
          out("SessionsSum", values(sessions, "SessionsValues").apply("SessionsSum", Combine.globally(Combiners.sum(), { withoutDefaults: true })));
          out("SessionsChars", sessions.apply("SessionsChars", Combine.perKey(testCombineFn)));
        }, (o) => `${o.window} ${json(o)}`);
        assert.deepEqual(r, {
          FixedSum: ["0:2 2", "6:8 5", "8:10 13"],
          FixedChars: ['0:2 {"key":"a","value":"11"}', '6:8 {"key":"a","value":"4"}', '6:8 {"key":"b","value":"1"}', '8:10 {"key":"b","value":"13"}'],
          SessionsSum: ["0:15 7", "16:21 13"],
          SessionsChars: ['0:12 {"key":"a","value":"114"}', '10:15 {"key":"b","value":"1"}', '16:21 {"key":"b","value":"13"}'],
        });
      });

      it("testSlidingWindowsCombine: a CombineFn whose merge changes every accumulator it merges", async () => {
        // CombineTest's fn: "Mutate all of the accumulators. Instances should be used in only
        // one place, and not reused after merging."
        const lists: CombineFn<string, string[], string[]> = {
          createAccumulator: () => [],
          addInput: (acc, x) => {
            acc.push(x);
            return acc;
          },
          mergeAccumulators: (accs) => {
            let cur: string[] = [];
            for (const acc of accs) {
              acc.push(...cur);
              cur = acc;
            }
            return cur;
          },
          extractOutput: (acc) => [...acc].sort(),
        };
        const r = await labelledOutputs((p, out) => {
          const letters = timestamped(p, "Letters", mode, [
            { value: "a", timestamp: 1 },
            { value: "b", timestamp: 2 },
            { value: "c", timestamp: 3 },
          ]).apply("Sliding", Window.into(new SlidingWindows(3, 1)));
          out("Lists", letters.apply("Lists", Combine.globally(lists, { withoutDefaults: true })));
        }, (o) => `${o.window} ${json(o)}`);
        assert.deepEqual(r, { Lists: ['-1:2 ["a"]', '0:3 ["a","b"]', '1:4 ["a","b","c"]', '2:5 ["b","c"]', '3:6 ["c"]'] });
      });

      it("testWindowedCombineGloballyAsSingletonView: an empty window reads the combine of nothing", async () => {
        const minute = 60_000;
        const r = await labelledOutputs((p, out) => {
          const sums = timestamped(p, "Side", mode, [
            { value: 1, timestamp: 100 },
            { value: 3, timestamp: 100 },
          ])
            .apply("WindowSide", Window.into(new FixedWindows(minute)))
            .apply("CombineSide", Combine.globally(Combiners.sum(), { withoutDefaults: true }));
          const view = AsSingleton(sums, { default: 0 });
          const main = timestamped(p, "Main", mode, [
            { value: null, timestamp: 100 },
            { value: null, timestamp: -5 * minute },
          ]).apply("WindowMain", Window.into(new FixedWindows(minute)));
          out("Read", main.apply("OutputSideInput", ParDo.into<number>().of((_x: null, ctx) => ctx.output(ctx.sideInputs.view), { sideInputs: { view } })));
        }, (o) => `${o.window} ${json(o)}`);
        assert.deepEqual(r, { Read: ["-300000:-240000 0", "0:60000 4"] });
      });
    });
  }

  it("accumulating panes of TestCombineFn: each pane holds every element so far (streaming)", async () => {
    // One element per bundle, so Repeatedly(AfterCount(1)) fires a pane per element.
    const script = TestStream.create<KV<string, number>>()
      .addElements({ value: kv("a", 1), timestamp: 0 })
      .addElements({ value: kv("a", 2), timestamp: 0 })
      .addElements({ value: kv("a", 3), timestamp: 0 })
      .advanceWatermarkToInfinity();
    const r = await labelledOutputs((p, out) => {
      const triggered = p.apply(script).apply("Triggered", Window.configure({ trigger: Repeatedly(AfterCount(1)), accumulationMode: "ACCUMULATING" }));
      out("Chars", triggered.apply("Chars", Combine.perKey(testCombineFn)));
    }, (o) => `${(o.value as KV<string, string>).value} ${paneOf(o.pane)}`);
    // The on-time pane at the end of the global window repeats the whole (accumulating).
    assert.deepEqual(r, { Chars: ["1 EARLY#0/-1 first", "12 EARLY#1/-1", "123 EARLY#2/-1", "123 ON_TIME#3/0 last"] });
  });
});
