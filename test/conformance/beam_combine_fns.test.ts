/**
 * CombineFns.compose against Beam Java's CombineFnsTest as the oracle (testComposedCombine,
 * testComposedCombineNullValues, testDuplicatedTags), in batch and streaming, on one worker and
 * on two (where accumulators cross workers encoded), plus windowed and accumulating panes.
 */
import { strict as assert } from "node:assert";
import { AfterCount, Combine, CombineFns, Combiners, FixedWindows, kv, Repeatedly, Values, Window, WithKeys, type CombineFn, type KV } from "../../lib";
import { labelledOutputs, timestamped, type Mode } from "./beam_helpers";

/** Beam's ConcatString: concatenates strings, in sorted order (so the result is deterministic). */
const concatString: CombineFn<string, string[], string> = {
  createAccumulator: () => [],
  addInput: (acc, s) => {
    acc.push(s);
    return acc;
  },
  mergeAccumulators: (accs) => {
    const out: string[] = [];
    for (const a of accs) out.push(...a);
    return out;
  },
  extractOutput: (acc) => [...acc].sort().join(""),
};

/** Beam's OutputNullString: whatever it combines, null. */
const outputNullString: CombineFn<string, string[], string | null> = { ...concatString, extractOutput: () => null };

type Input = KV<number, string>;
const INPUT: { value: KV<string, Input>; timestamp: number }[] = [
  { value: kv("a", kv(1, "1")), timestamp: 0 },
  { value: kv("a", kv(1, "1")), timestamp: 4 },
  { value: kv("a", kv(4, "4")), timestamp: 7 },
  { value: kv("b", kv(1, "1")), timestamp: 10 },
  { value: kv("b", kv(13, "13")), timestamp: 16 },
];

const composed = () =>
  CombineFns.compose<Input>()
    .with("maxInt", (e) => e.key, Combiners.max<number>())
    .with("concatString", (e) => e.value, concatString);

describe("Beam conformance: CombineFns.compose (CombineFnsTest)", () => {
  for (const mode of ["batch", "streaming"] as Mode[]) {
    for (const workers of [1, 2]) {
      it(`testComposedCombine: globally and per key (${mode}, ${workers} worker${workers > 1 ? "s" : ""})`, async () => {
        const out = await labelledOutputs(
          (p, collect) => {
            const perKeyInput = timestamped(p, "Input", mode, INPUT);
            collect(
              "globally",
              perKeyInput
                .apply(Values.create<Input>())
                .apply("Globally", Combine.globally(composed()))
                .apply(WithKeys.of<{ readonly maxInt: number | undefined; readonly concatString: string }, string>("global")),
            );
            collect("perKey", perKeyInput.apply("PerKey", Combine.perKey(composed())));
          },
          undefined,
          // The stream ends (its watermark goes to infinity), so its global window fires then.
          { directNumWorkers: workers, allowUnsafeTriggers: mode === "streaming" },
        );
        assert.deepEqual(out.globally, [JSON.stringify(kv("global", { maxInt: 13, concatString: "111134" }))]);
        assert.deepEqual(out.perKey, [JSON.stringify(kv("a", { maxInt: 4, concatString: "114" })), JSON.stringify(kv("b", { maxInt: 13, concatString: "113" }))]);
      });
    }

    it(`testComposedCombineNullValues (${mode})`, async () => {
      const out = await labelledOutputs(
        (p, collect) => {
          const fn = CombineFns.compose<Input>()
            .with("maxInt", (e) => e.key, Combiners.max<number>())
            .with("concatString", (e) => e.value, outputNullString);
          collect("perKey", timestamped(p, "Input", mode, INPUT).apply(Combine.perKey(fn)));
        },
        undefined,
        { allowUnsafeTriggers: mode === "streaming" },
      );
      assert.deepEqual(out.perKey, [JSON.stringify(kv("a", { maxInt: 4, concatString: null })), JSON.stringify(kv("b", { maxInt: 13, concatString: null }))]);
    });

    it(`windowed, with accumulating panes of a count trigger: each pane has every part's result (${mode})`, async () => {
      const out = await labelledOutputs(
        (p, collect) => {
          const fn = CombineFns.compose<number>().with("count", Combiners.count<number>()).with("sum", Combiners.sum()).with("mean", Combiners.mean());
          const values = timestamped(p, "Input", mode, [1, 2, 3, 10, 20].map((v) => ({ value: v, timestamp: v })));
          collect(
            "windowed",
            values.apply(Window.into<number>(new FixedWindows(10))).apply("Windowed", Combine.globally(fn, { withoutDefaults: true })),
          );
          collect(
            "accumulating",
            values
              .apply("Acc", Window.into<number>(new FixedWindows(100), { trigger: Repeatedly(AfterCount(2)), accumulationMode: "ACCUMULATING" }))
              .apply("Accumulating", Combine.globally(fn, { withoutDefaults: true })),
          );
        },
        undefined,
        { allowUnsafeTriggers: true },
      );
      assert.deepEqual(out.windowed, [JSON.stringify({ count: 1, sum: 10, mean: 10 }), JSON.stringify({ count: 1, sum: 20, mean: 20 }), JSON.stringify({ count: 3, sum: 6, mean: 2 })]);
      // Batch gives one pane; a stream may fire earlier ones: the last (largest) pane holds everything.
      const last = out.accumulating!.map((s) => JSON.parse(s) as { count: number; sum: number; mean: number }).sort((a, b) => b.count - a.count)[0];
      assert.deepEqual(last, { count: 5, sum: 36, mean: 7.2 });
    });
  }

  it("testDuplicatedTags: a name may appear once", () => {
    assert.throws(
      () =>
        CombineFns.compose<Input>()
          .with("m", (e) => e.key, Combiners.max<number>())
          // @ts-expect-error: the name is already in the composition
          .with("m", (e) => e.key, Combiners.min<number>()),
      /the name 'm' cannot be used, because it is already present in the composition \(m\)/,
    );
  });

  it("an empty composition combines to an empty record; names lists the parts in order", () => {
    const fn = CombineFns.compose<number>().with("b", Combiners.sum()).with("a", Combiners.count<number>());
    assert.deepEqual(fn.names, ["b", "a"]);
    const empty = CombineFns.compose<number>();
    assert.deepEqual(empty.extractOutput(empty.addInput(empty.createAccumulator(), 1)), {});
    const merged = fn.mergeAccumulators([fn.addInput(fn.createAccumulator(), 2), fn.addInput(fn.addInput(fn.createAccumulator(), 3), 4)]);
    assert.deepEqual(fn.extractOutput(merged), { b: 9, a: 3 });
  });
});
