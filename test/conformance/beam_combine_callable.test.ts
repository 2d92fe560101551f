/**
 * Combine.globally / Combine.perKey with a plain function of the values (Beam Python's
 * `CombineGlobally(sum)`, `CombinePerKey(max)`, Java's `Combine.globally(SerializableFunction<
 * Iterable<V>, V>)`, `Combine.perKey(...)`), against Beam's own tests as the oracle
 * (ptransform_test.py's test_combine_with_callable, test_combine_per_key_with_callable,
 * test_named_tuple; combiners_test.py's test_combine_globally_with[out]_default), in batch and
 * streaming, on one worker and on two, lifted with partial results merged (many values per key,
 * fanout).
 */
import { strict as assert } from "node:assert";
import { Combine, Create, FixedWindows, kv, Window, type KV } from "../../lib";
import { combineAll } from "../../lib/transforms/combine";
import { labelledOutputs, timestamped, type Mode } from "./beam_helpers";

const sum = (xs: number[]): number => xs.reduce((a, b) => a + b, 0);
const max = (xs: number[]): number => Math.max(...xs);
const min = (xs: number[]): number => Math.min(...xs);

describe("Beam conformance: Combine with a plain function (ptransform_test.py, combiners_test.py)", function () {
  this.timeout(60_000);

  for (const mode of ["batch", "streaming"] as Mode[]) {
    for (const workers of [1, 2]) {
      it(`test_combine_with_callable, test_combine_per_key_with_callable, test_named_tuple (${mode}, ${workers} worker${workers > 1 ? "s" : ""})`, async () => {
        const vals1 = [1, 2, 3, 4, 5, 6, 7];
        const vals2 = [2, 4, 6, 8, 10, 12, 14];
        const many = Array.from({ length: 500 }, (_, i) => i);
        const out = await labelledOutputs(
          (p, collect) => {
            const win = <T>(label: string, xs: readonly T[]) => timestamped(p, label, mode, xs.map((value) => ({ value, timestamp: 0 }))).apply(`Window${label}`, Window.into<T>(new FixedWindows(60_000)));
            const vals = win("Vals", vals1);
            collect("sum", vals.apply("Sum", Combine.globally(sum, { withoutDefaults: true })));
            collect("min", vals.apply("Min", Combine.globally(min, { withoutDefaults: true })));
            collect("max", vals.apply("Max", Combine.globally(max, { withoutDefaults: true })));
            const pairs = win("Pairs", [...vals1.map((x) => kv("a", x)), ...vals2.map((x) => kv("b", x))]);
            collect("perKey", pairs.apply("SumPerKey", Combine.perKey(sum)));
            // More values than the buffer holds: partial sums merged, also across a fanout's keys.
            const lots = win("Many", many.map((x) => kv(x % 2 === 0 ? "even" : "odd", x)));
            collect("many", lots.apply("SumMany", Combine.perKey(sum)));
            collect("manyFanout", lots.apply("SumManyFanout", Combine.perKey(sum).withHotKeyFanout(4)));
            collect("manyGlobal", win("ManyGlobal", many).apply("SumGlobal", Combine.globally(sum, { withoutDefaults: true }).withFanout(3)));
          },
          undefined,
          { directNumWorkers: workers },
        );
        assert.deepEqual(out.sum, ["28"]);
        assert.deepEqual(out.min, ["1"]);
        assert.deepEqual(out.max, ["7"]);
        assert.deepEqual(out.perKey, [JSON.stringify(kv("a", 28)), JSON.stringify(kv("b", 56))]);
        const evens = sum(many.filter((x) => x % 2 === 0));
        const odds = sum(many.filter((x) => x % 2 === 1));
        assert.deepEqual(out.many, [JSON.stringify(kv("even", evens)), JSON.stringify(kv("odd", odds))]);
        assert.deepEqual(out.manyFanout, out.many);
        assert.deepEqual(out.manyGlobal, [String(sum(many))]);
      });
    }
  }

  it("test_combine_globally_with_default / without_default: the function of no values for an empty global window, or nothing", async () => {
    const out = await labelledOutputs((p, collect) => {
      collect("withDefault", p.apply("Empty", Create.of<number>()).apply("Sum", Combine.globally(sum)));
      collect("withoutDefault", p.apply("Empty2", Create.of<number>()).apply("Sum2", Combine.globally(sum, { withoutDefaults: true })));
    });
    assert.deepEqual(out, { withDefault: ["0"], withoutDefault: [] });
  });

  it("buffers at most 10 values before reducing them, as Python's CallableWrapperCombineFn; merging reduces all the partial results", () => {
    const calls: number[] = [];
    const fn = Combine.perKey<string, number>((xs: number[]) => {
      calls.push(xs.length);
      return sum(xs);
    }).combineFn as unknown as Parameters<typeof combineAll<number, number[], number>>[0];
    assert.equal(combineAll(fn, Array.from({ length: 25 }, () => 1)), 25);
    assert.ok(calls.every((n) => n <= 11), `each call reduces at most 11 values (10 buffered and one more): ${calls.join(",")}`);
    assert.equal(fn.extractOutput(fn.mergeAccumulators([[1, 2], [3], []])), 6);
  });

  it("typed: the function's value type is the input's and the output's", () => {
    const typeOnly = (): void => {
      const p = null as unknown as import("../../lib").Pipeline;
      const words = p.apply(Create.of(kv("a", "x")));
      const joined: import("../../lib").PCollection<KV<string, string>> = words.apply(Combine.perKey((xs: string[]) => xs.sort().join("")));
      void joined;
      // @ts-expect-error: a function of numbers does not combine strings
      words.apply("Wrong", Combine.perKey(sum));
    };
    assert.equal(typeof typeOnly, "function");
  });
});
