/**
 * Combines with side inputs (a CombineFnWithContext and `{ sideInputs }`) against Beam Java's
 * CombineTest.CombineWithContextTests and its *WithContext windowing cases, and
 * CombineFnsTest.testComposedCombineWithContext, as the oracle: in batch and streaming (TestStream),
 * on one worker and on two. The side inputs are read in the window being combined.
 */
import { strict as assert } from "node:assert";
import {
  AsSingleton,
  Combine,
  CombineValues,
  Create,
  GroupByKey,
  Pipeline,
  CombineFns,
  Combiners,
  AfterCount,
  FixedWindows,
  GlobalWindows,
  Repeatedly,
  Sessions,
  SlidingWindows,
  Values,
  Window,
  WithKeys,
  kv,
  type CombineFnWithContext,
  type KV,
  type PCollection,
} from "../../lib";
import { PipelineConstructionError } from "../../lib/model/errors";
import { labelledOutputs, timestamped, type Mode } from "./beam_helpers";

type Acc = { readonly seed: string; readonly value: string };

/**
 * Beam's TestCombineFnWithContext: the side input's value, then the sorted digits of the inputs;
 * every method checks that it sees the side input the accumulator was created with.
 */
const testCombineFnWithContext: CombineFnWithContext<number, Acc, string, { sum: number }> = {
  createAccumulator: (ctx) => ({ seed: String(ctx.sideInputs.sum), value: "" }),
  addInput: (acc, x, ctx) => {
    if (acc.seed !== String(ctx.sideInputs.sum)) throw new Error(`addInput saw side input ${ctx.sideInputs.sum}, the accumulator ${acc.seed}`);
    return { seed: acc.seed, value: acc.value + String(x) };
  },
  mergeAccumulators: (accs, ctx) => {
    const seed = String(ctx.sideInputs.sum);
    let all = "";
    for (const a of accs) {
      if (a.seed !== seed) throw new Error(`mergeAccumulators saw side input ${seed}, an accumulator ${a.seed}`);
      all += a.value;
    }
    return { seed, value: all };
  },
  extractOutput: (acc, ctx) => {
    if (!acc.seed.startsWith(String(ctx.sideInputs.sum))) throw new Error(`extractOutput saw side input ${ctx.sideInputs.sum}, the accumulator ${acc.seed}`);
    return `${acc.seed}:${[...acc.value].sort().join("")}`;
  },
};

const TABLE: readonly (readonly [string, number, number])[] = [
  ["a", 1, 0],
  ["a", 1, 1],
  ["a", 4, 6],
  ["b", 1, 7],
  ["b", 13, 8],
];
const rows = (table: readonly (readonly [string, number, number])[]) => table.map(([k, v, t]) => ({ value: kv(k, v), timestamp: t }));

/** Beam's runTestSimpleCombineWithContext body on a (windowed) input, its side input `sum` of the values in the same windows. */
function combineWithContext(input: PCollection<KV<string, number>>, sumView: (values: PCollection<number>) => PCollection<number>, windowed: boolean) {
  const values = input.apply(Values.create<number>());
  const sum = sumView(values);
  const sideInputs = { sum: AsSingleton(sum) };
  return {
    sum,
    perKey: input.apply("PerKey", Combine.perKey(testCombineFnWithContext, { sideInputs })),
    globally: values.apply("Globally", Combine.globally(testCombineFnWithContext, { sideInputs, withoutDefaults: true })),
    ...(windowed ? {} : { withDefault: values.apply("WithDefault", Combine.globally(testCombineFnWithContext, { sideInputs })) }),
  };
}

const strings = (xs: readonly unknown[]) => xs.map((x) => JSON.stringify(x)).sort();

describe("Beam conformance: combining with side inputs (CombineTest.CombineWithContextTests)", () => {
  for (const mode of ["batch", "streaming"] as Mode[]) {
    for (const workers of [1, 2]) {
      const where = `${mode}, ${workers} worker${workers > 1 ? "s" : ""}`;
      const options = { directNumWorkers: workers, allowUnsafeTriggers: mode === "streaming" };

      it(`testSimpleCombineWithContext, and withHotKeyFanout keeps the side inputs (testHotKeyCombineWithSideInputs) (${where})`, async () => {
        const out = await labelledOutputs(
          (p, collect) => {
            const input = timestamped(p, "Input", mode, rows(TABLE));
            const r = combineWithContext(input, (v) => v.apply("Sum", Combine.globally(Combiners.sum())), false);
            for (const [label, pc] of Object.entries(r)) collect(label, pc as PCollection<unknown>);
            const sideInputs = { sum: AsSingleton(r.sum) };
            collect("hot1", input.apply("Hot1", Combine.perKey(testCombineFnWithContext, { sideInputs }).withHotKeyFanout(1)));
            collect("hot3", input.apply("Hot3", Combine.perKey(testCombineFnWithContext, { sideInputs }).withHotKeyFanout(3)));
            collect("fanout", timestamped(p, "Digits", mode, [1, 2, 3, 4, 5, 6, 7, 8, 9].map((value) => ({ value, timestamp: 0 }))).apply("Fanout", Combine.globally(testCombineFnWithContext, { sideInputs }).withFanout(3)));
          },
          undefined,
          options,
        );
        assert.deepEqual(out.sum, ["20"]);
        const perKey = strings([kv("a", "20:114"), kv("b", "20:113")]);
        assert.deepEqual(out.perKey, perKey);
        assert.deepEqual(out.hot1, perKey);
        assert.deepEqual(out.hot3, perKey);
        assert.deepEqual(out.globally, strings(["20:111134"]));
        assert.deepEqual(out.withDefault, strings(["20:111134"]));
        assert.deepEqual(out.fanout, strings(["20:123456789"]));
      });

      it(`CombineValues with side inputs (Java's Combine.groupedValues(fn).withSideInputs): each grouped element combined reading them (${where})`, async () => {
        const out = await labelledOutputs(
          (p, collect) => {
            const input = timestamped(p, "Input", mode, rows(TABLE));
            const sum = input.apply(Values.create<number>()).apply("Sum", Combine.globally(Combiners.sum()));
            const grouped = input.apply("Group", GroupByKey.create<string, number>());
            collect("grouped", grouped.apply("CombineGrouped", CombineValues.of(testCombineFnWithContext, { sideInputs: { sum: AsSingleton(sum) } })));
            collect("plain", grouped.apply("CombinePlain", CombineValues.of(Combiners.sum())));
          },
          undefined,
          options,
        );
        assert.deepEqual(out.grouped, strings([kv("a", "20:114"), kv("b", "20:113")]));
        assert.deepEqual(out.plain, strings([kv("a", 6), kv("b", 14)]));
      });

      it(`testSimpleCombineWithContextEmpty: nothing per key or without defaults; the default reads the side input (${where})`, async () => {
        const out = await labelledOutputs(
          (p, collect) => {
            const r = combineWithContext(timestamped<KV<string, number>>(p, "Input", mode, []), (v) => v.apply("Sum", Combine.globally(Combiners.sum())), false);
            for (const [label, pc] of Object.entries(r)) collect(label, pc as PCollection<unknown>);
          },
          undefined,
          options,
        );
        assert.deepEqual(out.sum, ["0"]);
        assert.deepEqual(out.perKey ?? [], []);
        assert.deepEqual(out.globally ?? [], []);
        // Beam Python's default: the CombineFn applied to nothing, with its side inputs (here 0).
        assert.deepEqual(out.withDefault, strings(["0:"]));
      });

      it(`testFixedWindowsCombineWithContext (${where})`, async () => {
        const out = await labelledOutputs(
          (p, collect) => {
            const input = timestamped(p, "Input", mode, rows(TABLE)).apply(Window.into(new FixedWindows(2)));
            const r = combineWithContext(input, (v) => v.apply("Sum", Combine.globally(Combiners.sum(), { withoutDefaults: true })), true);
            for (const [label, pc] of Object.entries(r)) collect(label, pc as PCollection<unknown>);
          },
          undefined,
          options,
        );
        assert.deepEqual(out.sum, ["13", "2", "5"]);
        assert.deepEqual(out.perKey, strings([kv("a", "2:11"), kv("a", "5:4"), kv("b", "5:1"), kv("b", "13:13")]));
        assert.deepEqual(out.globally, strings(["2:11", "5:14", "13:13"]));
      });

      it(`testSlidingWindowsCombineWithContext (${where})`, async () => {
        const out = await labelledOutputs(
          (p, collect) => {
            const table: [string, number, number][] = [["a", 1, 2], ["a", 1, 3], ["a", 4, 8], ["b", 1, 9], ["b", 13, 10]];
            const input = timestamped(p, "Input", mode, rows(table)).apply(Window.into(new SlidingWindows(2, 1)));
            const r = combineWithContext(input, (v) => v.apply("Sum", Combine.globally(Combiners.sum(), { withoutDefaults: true })), true);
            for (const [label, pc] of Object.entries(r)) collect(label, pc as PCollection<unknown>);
          },
          undefined,
          options,
        );
        assert.deepEqual(out.sum, strings([1, 2, 1, 4, 5, 14, 13]));
        assert.deepEqual(out.perKey, strings([kv("a", "1:1"), kv("a", "2:11"), kv("a", "1:1"), kv("a", "4:4"), kv("a", "5:4"), kv("b", "5:1"), kv("b", "14:113"), kv("b", "13:13")]));
        assert.deepEqual(out.globally, strings(["1:1", "2:11", "1:1", "4:4", "5:14", "14:113", "13:13"]));
      });

      it(`testSessionsCombineWithContext: the side input is read in the merged session (${where})`, async () => {
        const out = await labelledOutputs(
          (p, collect) => {
            const table: [string, number, number][] = [["a", 1, 0], ["a", 1, 4], ["a", 4, 7], ["b", 1, 10], ["b", 13, 16]];
            const input = timestamped(p, "Input", mode, rows(table));
            const values = input.apply(Values.create<number>());
            const fixedSum = values.apply("FixedWindows", Window.into(new FixedWindows(5))).apply("Sum", Combine.globally(Combiners.sum(), { withoutDefaults: true }));
            const sideInputs = { sum: AsSingleton(fixedSum, { default: 0 }) };
            collect("sum", fixedSum);
            collect("perKey", input.apply("PerKeySessions", Window.into(new Sessions(5))).apply("PerKey", Combine.perKey(testCombineFnWithContext, { sideInputs })));
            collect(
              "globally",
              values.apply("GloballySessions", Window.into(new Sessions(5))).apply("Globally", Combine.globally(testCombineFnWithContext, { sideInputs, withoutDefaults: true })),
            );
          },
          undefined,
          options,
        );
        assert.deepEqual(out.sum, strings([2, 4, 1, 13]));
        assert.deepEqual(out.perKey, strings([kv("a", "1:114"), kv("b", "1:1"), kv("b", "0:13")]));
        assert.deepEqual(out.globally, strings(["1:1114", "0:13"]));
      });

      it(`testGlobalCombineWithDefaultsAndTriggers, with side inputs: the last accumulating pane holds every value (${where})`, async () => {
        const out = await labelledOutputs(
          (p, collect) => {
            const sum = AsSingleton(timestamped(p, "Sum", mode, [{ value: 20, timestamp: 0 }]));
            collect(
              "panes",
              timestamped(p, "Input", mode, [1, 1].map((value) => ({ value, timestamp: 0 })))
                .apply(Window.into(new GlobalWindows(), { trigger: Repeatedly(AfterCount(1)), accumulationMode: "ACCUMULATING" }))
                .apply("Globally", Combine.globally(testCombineFnWithContext, { sideInputs: { sum } })),
            );
          },
          (o) => `${String(o.value)}: ${o.pane.isLast}`,
          { ...options, allowUnsafeTriggers: true },
        );
        assert.ok(out.panes!.includes("20:11: true"), out.panes!.join(" "));
        assert.ok(out.panes!.every((pane) => pane.startsWith("20:1")), out.panes!.join(" "));
      });

      it(`testComposedCombineWithContext: CombineFns.compose passes the context to its parts (${where})`, async () => {
        type Input = KV<number, string>;
        const concatStringWithContext: CombineFnWithContext<string, string, string, { prefix: string }> = {
          createAccumulator: (ctx) => ctx.sideInputs.prefix,
          addInput: (acc, s, ctx) => {
            assert.ok(acc.startsWith(ctx.sideInputs.prefix));
            return acc + s;
          },
          mergeAccumulators: (accs, ctx) => {
            let all = ctx.sideInputs.prefix;
            for (const a of accs) all += a.slice(ctx.sideInputs.prefix.length);
            return all;
          },
          extractOutput: (acc) => [...acc].sort().join(""),
        };
        const composed = () =>
          CombineFns.compose<Input>()
            .with("maxInt", (e) => e.key, Combiners.max<number>())
            .with("concatString", (e) => e.value, concatStringWithContext);
        const out = await labelledOutputs(
          (p, collect) => {
            const prefix = AsSingleton(timestamped(p, "Prefix", mode, [{ value: "I", timestamp: 0 }]));
            const input = timestamped(p, "Input", mode, [
              { value: kv("a", kv(1, "1")), timestamp: 0 },
              { value: kv("a", kv(1, "1")), timestamp: 4 },
              { value: kv("a", kv(4, "4")), timestamp: 7 },
              { value: kv("b", kv(1, "1")), timestamp: 10 },
              { value: kv("b", kv(13, "13")), timestamp: 16 },
            ]);
            collect(
              "globally",
              input
                .apply(Values.create<Input>())
                .apply("Globally", Combine.globally(composed(), { sideInputs: { prefix }, withoutDefaults: true }))
                .apply(WithKeys.of<{ readonly maxInt: number | undefined; readonly concatString: string }, string>("global")),
            );
            collect("perKey", input.apply("PerKey", Combine.perKey(composed(), { sideInputs: { prefix } })));
          },
          undefined,
          options,
        );
        assert.deepEqual(out.globally, [JSON.stringify(kv("global", { maxInt: 13, concatString: "111134I" }))]);
        assert.deepEqual(out.perKey, [JSON.stringify(kv("a", { maxInt: 4, concatString: "114I" })), JSON.stringify(kv("b", { maxInt: 13, concatString: "113I" }))]);
      });
    }
  }

  it("a combine with side inputs is a GroupByKey and a ParDo reading them (not a combine_per_key a runner would lift without them)", () => {
    const p = Pipeline.create();
    const sum = AsSingleton(p.apply("Sum", Create.of(20)));
    p.apply("Input", Create.of(kv("a", 1))).apply("PerKey", Combine.perKey(testCombineFnWithContext, { sideInputs: { sum } }));
    const nodes = p.transforms().filter((t) => t.fullName.startsWith("PerKey"));
    assert.deepEqual(
      nodes.map((t) => t.fullName),
      ["PerKey", "PerKey/GroupByKey", "PerKey/Combine"],
    );
    assert.ok(nodes.every((t) => t.composite === undefined));
    assert.equal(nodes[2]!.primitive?.kind === "pardo" && nodes[2]!.primitive.sideInputs.map((s) => s.name).join(), "sum");
    assert.throws(
      () => Combine.perKey(testCombineFnWithContext, { sideInputs: [] as never }),
      (e: unknown) => e instanceof PipelineConstructionError && /sideInputs must be a record of views by name/.test(e.message),
    );
  });
});
