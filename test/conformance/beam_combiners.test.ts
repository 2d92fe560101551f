/**
 * Combine and its combiners against Beam's own tests as the oracle: the cases of Beam Python's
 * combiners_test.py and Beam Java's CombineTest.java that Beamline's API can express (Count,
 * Mean, Top, ToList, Combine.globally with and without defaults, windowed and triggered
 * combines), with Beam's expected outputs. Windowed cases run in batch and in streaming (the
 * same elements from a TestStream): the streaming driver combines on its own path.
 */
import { strict as assert } from "node:assert";
import {
  AfterCount,
  AfterWatermark,
  AsSingleton,
  Combine,
  CombineFn,
  Combiners,
  Count,
  Create,
  FixedWindows,
  Flatten,
  GlobalWindows,
  kv,
  KV,
  ParDo,
  PCollection,
  PipelineBuilder,
  Repeatedly,
  Sessions,
  Window,
} from "../../lib";
import type { Pipeline } from "../../lib/model/pipeline";
import { runDirect } from "../helpers";
import { collect, Observed } from "../streaming/collect";
import { timestamped, type Mode } from "./beam_helpers";

const source = timestamped;

async function run(build: PipelineBuilder): Promise<void> {
  const result = await runDirect(build);
  await result.waitUntilFinish();
}

/** Runs `build`, which names what it collects; returns each collection's values (JSON, sorted). */
async function outputs(build: (p: Pipeline, out: (label: string, pc: PCollection<unknown>) => void) => void): Promise<Record<string, string[]>> {
  const sinks: Record<string, Observed<unknown>[]> = {};
  await run((p) =>
    build(p, (label, pc) => {
      sinks[label] = [];
      collect(pc, sinks[label]!, `Collect${label}`);
    }),
  );
  return Object.fromEntries(Object.entries(sinks).map(([label, obs]) => [label, obs.map((o) => JSON.stringify(o.value)).sort()]));
}

const VALS = [6, 3, 1, 1, 9, 1, 5, 2, 0, 6];
const byNumber = (a: number, b: number): number => a - b;

describe("Beam combiners (combiners_test.py, CombineTest.java)", () => {
  it("mean and count, globally and per key (test_builtin_combines)", async () => {
    const r = await outputs((p, out) => {
      const pc = p.apply("Start", Create.from(VALS));
      out("Mean", pc.apply("MeanG", Combine.globally(Combiners.mean())));
      out("Count", pc.apply("CountG", Count.globally()));
      const keyed = p.apply("StartPerKey", Create.from(VALS.map((x) => kv("a", x))));
      out("KeyMean", keyed.apply("MeanK", Combine.perKey(Combiners.mean())));
      out("KeyCount", keyed.apply("CountK", Count.perKey()));
      out("PerElement", pc.apply("CountE", Count.perElement()));
    });
    assert.deepEqual(r, {
      Mean: ["3.4"],
      Count: ["10"],
      KeyMean: [JSON.stringify(kv("a", 3.4))],
      KeyCount: [JSON.stringify(kv("a", 10))],
      PerElement: [
        [0, 1],
        [1, 3],
        [2, 1],
        [3, 1],
        [5, 1],
        [6, 2],
        [9, 1],
      ]
        .map(([k, n]) => JSON.stringify(kv(k, n)))
        .sort(),
    });
  });

  it("largest and smallest, globally and per key (test_top, test_top_shorthands)", async () => {
    const r = await outputs((p, out) => {
      const pc = p.apply("Start", Create.from(VALS));
      out("Top", pc.apply("TopG", Combine.globally(Combiners.top<number>(5))));
      out("Bot", pc.apply("BotG", Combine.globally(Combiners.smallest<number>(4))));
      const keyed = p.apply("StartPerKey", Create.from(VALS.map((x) => kv("a", x))));
      out("KeyTop", keyed.apply("TopK", Combine.perKey(Combiners.top<number>(5))));
      out("KeyBot", keyed.apply("BotK", Combine.perKey(Combiners.smallest<number>(4))));
    });
    assert.deepEqual(r, {
      Top: ["[9,6,6,5,3]"],
      Bot: ["[0,1,1,1]"],
      KeyTop: [JSON.stringify(kv("a", [9, 6, 6, 5, 3]))],
      KeyBot: [JSON.stringify(kv("a", [0, 1, 1, 1]))],
    });
  });

  it("top by a key function, and reversed (test_top_key)", async () => {
    const byLength = (a: string, b: string): number => a.length - b.length;
    const r = await outputs((p, out) => {
      const pc = p.apply("Start", Create.of("aa", "bbb", "c", "dddd"));
      out("Top", pc.apply("TopG", Combine.globally(Combiners.top(3, byLength))));
      out("Rev", pc.apply("RevG", Combine.globally(Combiners.smallest(3, byLength))));
    });
    assert.deepEqual(r, { Top: ['["dddd","bbb","aa"]'], Rev: ['["c","aa","bbb"]'] });
  });

  it("top of nothing is an empty list (test_empty_global_top)", async () => {
    const r = await outputs((p, out) => out("Top", p.apply("Start", Create.of<number>()).apply("TopG", Combine.globally(Combiners.top<number>(10)))));
    assert.deepEqual(r, { Top: ["[]"] });
  });

  it("top over flattened shards (test_sharded_top)", async () => {
    const elements = Array.from({ length: 100 }, (_, i) => (i * 37) % 100); // a fixed shuffle of 0..99
    const r = await outputs((p, out) => {
      const shards = Array.from({ length: 7 }, (_, s) => p.apply(`Shard${s}`, Create.from(elements.filter((_, i) => i % 7 === s))));
      out("Top", shards[0]!.apply(Flatten.with(...shards.slice(1))).apply("TopG", Combine.globally(Combiners.top<number>(10))));
    });
    assert.deepEqual(r, { Top: ["[99,98,97,96,95,94,93,92,91,90]"] });
  });

  it("the top CombineFn over sharded accumulators, merged (test_sharded_top_combine_fn)", () => {
    const check = <A>(fn: CombineFn<number, A, number[]>, shards: number[][], expected: number[]): void => {
      const accs = shards.map((shard) => shard.reduce((acc, x) => fn.addInput(acc, x), fn.createAccumulator()));
      assert.deepEqual(fn.extractOutput(fn.mergeAccumulators(accs)), expected);
    };
    const range = (n: number): number[] => Array.from({ length: n }, (_, i) => i);
    check(Combiners.top<number>(3), [range(10), range(10)], [9, 9, 8]);
    check(Combiners.top<number>(5), [range(1000), range(100), range(1001)], [1000, 999, 999, 998, 998]);
  });

  it("the built-in CombineFns give the same output for every sharding and merge order (Beam Java's CombineFnTester)", () => {
    // CombineFnTester shards the input every way it can, adds each shard to its own accumulator,
    // then merges them all at once, one pair at a time, and one accumulator at a time.
    const check = <I, A, O>(name: string, make: () => CombineFn<I, A, O>, input: readonly I[], expected: O, normalize: (o: O) => unknown = (o) => o): void => {
      for (const shardSize of [1, 2, 3, input.length || 1]) {
        const shards: I[][] = [];
        for (let i = 0; i < input.length; i += shardSize) shards.push(input.slice(i, i + shardSize));
        for (const reversed of [false, true]) {
          const ordered = reversed ? [...shards].reverse() : shards;
          const accumulate = (fn: CombineFn<I, A, O>): A[] => ordered.map((shard) => shard.reduce((acc, x) => fn.addInput(acc, x), fn.createAccumulator()));
          const allAtOnce = (fn: CombineFn<I, A, O>): A => fn.mergeAccumulators(accumulate(fn));
          const pairwise = (fn: CombineFn<I, A, O>): A => accumulate(fn).reduce((a, b) => fn.mergeAccumulators([a, b]), fn.createAccumulator());
          const singly = (fn: CombineFn<I, A, O>): A => fn.mergeAccumulators(accumulate(fn).map((a) => fn.mergeAccumulators([fn.compact ? fn.compact(a) : a])));
          for (const [how, merge] of [
            ["all at once", allAtOnce],
            ["pairwise", pairwise],
            ["one at a time", singly],
          ] as const) {
            const fn = make();
            assert.deepEqual(normalize(fn.extractOutput(merge(fn))), normalize(expected), `${name}: shards of ${shardSize}${reversed ? ", reversed" : ""}, merged ${how}`);
          }
        }
      }
    };
    check("sum", () => Combiners.sum(), VALS, 34);
    check("count", () => Combiners.count<number>(), VALS, 10);
    check("mean", () => Combiners.mean(), VALS, 3.4);
    check("mean of nothing", () => Combiners.mean(), [], NaN);
    check("min", () => Combiners.min<number>(), VALS, 0);
    check("max", () => Combiners.max<number>(), VALS, 9);
    check("top", () => Combiners.top<number>(5), VALS, [9, 6, 6, 5, 3]);
    check("smallest", () => Combiners.smallest<number>(4), VALS, [0, 1, 1, 1]);
    check("toList", () => Combiners.toList<number>(), VALS, VALS, (o) => [...o].sort(byNumber));
  });

  it("to list (test_to_list_and_to_dict)", async () => {
    const r = await outputs((p, out) => out("List", p.apply("Start", Create.from(VALS)).apply("ToList", Combine.globally(Combiners.toList<number>())).map("Sort", (xs: number[]) => [...xs].sort(byNumber))));
    assert.deepEqual(r, { List: [JSON.stringify([...VALS].sort(byNumber))] });
  });

  it("a global combine read as a singleton side input (test_combine_globally_with_default_side_input, testCombineGloballyAsSingletonView)", async () => {
    const r = await outputs((p, out) => {
      for (const [label, values] of [
        ["Empty", [] as number[]],
        ["Full", [1, 2, 3, 4]],
      ] as const) {
        const side = AsSingleton(p.apply(`I${label}`, Create.from(values)).apply(`Sum${label}`, Combine.globally(Combiners.sum())));
        out(label, p.apply(`Main${label}`, Create.of(null)).apply(`Read${label}`, ParDo.into<number>().of((_x, ctx) => ctx.output(ctx.sideInputs.side), { sideInputs: { side } })));
      }
    });
    assert.deepEqual(r, { Empty: ["0"], Full: ["10"] });
  });

  it("mean globally and per key (test_MeanCombineFn_combine)", async () => {
    const r = await outputs((p, out) => {
      const input = p.apply("Start", Create.of(kv("a", 1), kv("a", 1), kv("a", 4), kv("b", 1), kv("b", 13)));
      out("Global", input.map("Values", (e: KV<string, number>) => e.value).apply("MeanG", Combine.globally(Combiners.mean())));
      out("PerKey", input.apply("MeanK", Combine.perKey(Combiners.mean())));
    });
    assert.deepEqual(r, { Global: ["4"], PerKey: [JSON.stringify(kv("a", 2)), JSON.stringify(kv("b", 7))] });
  });

  it("refuses defaults over non-global windows at construction (CombineTest: Combine.globally over FixedWindows without withoutDefaults)", async () => {
    await assert.rejects(
      run((p) => p.apply("Start", Create.of(1)).apply("Fixed", Window.into(new FixedWindows(10))).apply("Sum", Combine.globally(Combiners.sum()))),
      // Beam's error names both ways out: withoutDefaults, and asSingletonView (here: AsSingleton with a default).
      (e: Error) => /Combine\.globally over non-global windows .*withoutDefaults/.test(e.message) && /AsSingleton\(.*\{ default/.test(e.message),
    );
  });

  for (const mode of ["batch", "streaming"] as const) {
    describe(mode, () => {
      const keyed = (p: Pipeline, pairs: readonly [string, number][]): PCollection<KV<string, number>> =>
        source(
          p,
          "Start",
          mode,
          pairs.map(([k, v]) => ({ value: kv(k, v), timestamp: v * 1000 })),
        );

      it("an empty global combine gives the combine of nothing, unless without defaults (test_combine_globally_with_default, ..._without_default)", async () => {
        const r = await outputs((p, out) => {
          const input = source<number>(p, "Empty", mode, []);
          // Unbounded input in the global window needs a trigger before a grouping (Beam refuses the default one there).
          const empty = mode === "batch" ? input : input.apply("FireAtEnd", Window.into(new GlobalWindows(), { trigger: AfterWatermark() }));
          out("With", empty.apply("SumWith", Combine.globally(Combiners.sum())));
          out("Without", empty.apply("SumWithout", Combine.globally(Combiners.sum(), { withoutDefaults: true })));
          out("Count", empty.apply("CountG", Count.globally()));
          out("PerKey", empty.map("Key", (x: number) => kv("k", x)).apply("MeanK", Combine.perKey(Combiners.mean())));
          out("Mean", empty.apply("MeanG", Combine.globally(Combiners.mean())).map("Str", (m: number) => String(m)));
          out("Top", empty.apply("TopG", Combine.globally(Combiners.top<number>(10))));
        });
        // Beam Python's test_MeanCombineFn_combine_empty: the global mean of nothing is NaN; per key, nothing.
        assert.deepEqual(r, { With: ["0"], Without: [], Count: ["0"], PerKey: [], Mean: ['"NaN"'], Top: ["[]"] });
      });

      it("sessions (test_sessions_combine)", async () => {
        const r = await outputs((p, out) => {
          const input = keyed(p, [
            ["c", 1],
            ["c", 9],
            ["c", 12],
            ["d", 2],
            ["d", 4],
          ]).apply("Sessions", Window.into(new Sessions(4000)));
          out("Global", input.map("Values", (e: KV<string, number>) => e.value).apply("SumG", Combine.globally(Combiners.sum(), { withoutDefaults: true })));
          out("PerKey", input.apply("SumK", Combine.perKey(Combiners.sum())));
        });
        assert.deepEqual(r, { Global: ["21", "7"], PerKey: [kv("c", 1), kv("c", 21), kv("d", 6)].map((e) => JSON.stringify(e)).sort() });
      });

      it("fixed windows (test_fixed_windows_combine)", async () => {
        const r = await outputs((p, out) => {
          const input = keyed(p, [
            ["c", 1],
            ["c", 2],
            ["c", 10],
            ["d", 5],
            ["d", 8],
            ["d", 9],
          ]).apply("Fixed", Window.into(new FixedWindows(4000)));
          out("Global", input.map("Values", (e: KV<string, number>) => e.value).apply("SumG", Combine.globally(Combiners.sum(), { withoutDefaults: true })));
          out("PerKey", input.apply("SumK", Combine.perKey(Combiners.sum())));
        });
        assert.deepEqual(r, { Global: ["27", "3", "5"], PerKey: [kv("c", 3), kv("c", 10), kv("d", 5), kv("d", 17)].map((e) => JSON.stringify(e)).sort() });
      });

      it("an empty windowed input combines to nothing without defaults (testWindowedCombineEmpty)", async () => {
        const r = await outputs((p, out) => {
          const input = source<number>(p, "Start", mode, []).apply("Fixed", Window.into(new FixedWindows(1)));
          out("Mean", input.apply("MeanG", Combine.globally(Combiners.mean(), { withoutDefaults: true })));
          out("Sum", input.apply("SumG", Combine.globally(Combiners.sum(), { withoutDefaults: true })));
        });
        assert.deepEqual(r, { Mean: [], Sum: [] });
      });

      for (const [timestampCombiner, at] of [
        ["EARLIEST", 2000],
        ["LATEST", 7000],
      ] as const) {
        it(`the ${timestampCombiner} timestamp combiner stamps the combined value (TimestampCombinerTest.test_combiner_${timestampCombiner.toLowerCase()})`, async () => {
          const sink: Observed<KV<string, number>>[] = [];
          await run((p) => {
            const input = source(p, "Start", mode, [
              { value: kv("k", 100), timestamp: 2000 },
              { value: kv("k", 400), timestamp: 7000 },
            ]).apply("Fixed", Window.into(new FixedWindows(10_000), { timestampCombiner }));
            collect(input.apply("Sum", Combine.perKey(Combiners.sum())), sink);
          });
          assert.deepEqual(
            sink.map((o) => `${JSON.stringify(o.value)} ${o.window} @${o.timestamp}`),
            [`${JSON.stringify(kv("k", 500))} 0:10000 @${at}`],
          );
        });
      }

      it("a triggered, accumulating global sum ends with the full sum in its last pane (testHotKeyCombiningWithAccumulationMode, testGlobalCombineWithDefaultsAndTriggers)", async () => {
        const sink: Observed<number>[] = [];
        await run((p) => {
          const input = source(
            p,
            "Start",
            mode,
            [1, 2, 3, 4, 5].map((x) => ({ value: x, timestamp: 0 })),
          ).apply("Triggered", Window.into(new GlobalWindows(), { trigger: Repeatedly(AfterCount(1)), accumulationMode: "ACCUMULATING" }));
          collect(input.apply("Sum", Combine.globally(Combiners.sum())), sink);
        });
        const last = sink.filter((o) => o.pane.isLast);
        assert.deepEqual(
          last.map((o) => o.value),
          [15],
          `panes: ${sink.map((o) => `${o.value}${o.pane.isLast ? " last" : ""}`).join(", ")}`,
        );
        // The default (0) is only for an empty input: a non-empty one never emits it.
        assert.ok(!sink.some((o) => o.value === 0), `panes: ${sink.map((o) => o.value).join(", ")}`);
      });

      it("an accumulating pane of toList does not change once emitted (CombineFn contract: extractOutput may return its accumulator)", async () => {
        const sink: Observed<number[]>[] = [];
        const atEmission: string[] = [];
        await run((p) => {
          const input = source(
            p,
            "Start",
            mode,
            [1, 2, 3].map((x) => ({ value: x, timestamp: 0 })),
          ).apply("Triggered", Window.into(new GlobalWindows(), { trigger: Repeatedly(AfterCount(1)), accumulationMode: "ACCUMULATING" }));
          const lists = input.apply("ToList", Combine.globally(Combiners.toList<number>(), { withoutDefaults: true }));
          lists.apply(
            "Snapshot",
            ParDo.of((xs: number[]) => {
              atEmission.push(JSON.stringify([...xs].sort(byNumber)));
            }),
          );
          collect(lists, sink);
        });
        // Each list is as it was when its pane was emitted.
        assert.deepEqual(
          sink.map((o) => JSON.stringify([...o.value].sort(byNumber))),
          atEmission,
        );
        assert.equal(sink.filter((o) => o.pane.isLast).map((o) => JSON.stringify([...o.value].sort(byNumber)))[0], "[1,2,3]");
      });
    });
  }
});
