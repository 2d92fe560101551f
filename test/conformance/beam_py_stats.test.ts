/**
 * Beam Python's stats_test.py ApproximateQuantilesTest as pipelines (beam_approximate_quantiles
 * runs the Java-named cases on the CombineFn): globally and per key, reversed (Python's
 * `reverse=True` is a reversed compare here), per key with Python's `key=len` (a compare by
 * length), a singleton, and uneven and large quantile counts within Beam's tolerance. Each runs
 * with one worker and with --direct_num_workers 2.
 */
import { strict as assert } from "node:assert";
import { ApproximateQuantiles, Create, kv, type KV } from "../../lib";
import { labelledOutputs } from "./beam_helpers";

const KV_DATA: [string, number][] = [["a", 1], ["a", 2], ["a", 3], ["b", 1], ["b", 10], ["b", 10], ["b", 100]];
const desc = (a: number, b: number): number => b - a;
const byLength = (a: string, b: string): number => a.length - b.length;

/** Python's _approx_quantile_generator: exact ends, inner quantiles within absoluteError of their rank. */
function checkApproximate(actual: number[], size: number, n: number, absoluteError: number): void {
  assert.equal(actual.length, n);
  assert.equal(actual[0], 0);
  assert.equal(actual[n - 1], size - 1);
  for (let k = 1; k < n - 1; k++) {
    const expected = ((size - 1) * k) / (n - 1);
    assert.ok(Math.abs(actual[k]! - expected) <= absoluteError, `quantile ${k}: ${actual[k]} is not within ${absoluteError} of ${expected}`);
  }
}

for (const workers of [1, 2] as const) {
  describe(`Beam Python ApproximateQuantilesTest (stats_test.py), --direct_num_workers ${workers}`, () => {
    it("test_quantiles_globaly (and reversed), test_singleton, test_uneven_quantiles, test_large_quantiles", async () => {
      const r = await labelledOutputs(
        (p, out) => {
          const pc = p.apply("Numbers", Create.from(Array.from({ length: 101 }, (_, i) => i)));
          out("Globally", pc.apply("QuantilesGlobally", ApproximateQuantiles.globally<number>(5)));
          out("Reversed", pc.apply("QuantilesGloballyReversed", ApproximateQuantiles.globally<number>(5, { compare: desc })));
          out("Singleton", p.apply("One", Create.of(389)).apply("Singleton", ApproximateQuantiles.globally<number>(5)));
          out("Uneven", p.apply("FiveThousand", Create.from(Array.from({ length: 5000 }, (_, i) => i))).apply("Uneven", ApproximateQuantiles.globally<number>(37)));
          out("Large", p.apply("TenThousand", Create.from(Array.from({ length: 10001 }, (_, i) => i))).apply("Large", ApproximateQuantiles.globally<number>(50)));
        },
        undefined,
        { directNumWorkers: workers },
      );
      assert.deepEqual(r.Globally, ["[0,25,50,75,100]"]);
      assert.deepEqual(r.Reversed, ["[100,75,50,25,0]"]);
      assert.deepEqual(r.Singleton, ["[389,389,389,389,389]"]);
      checkApproximate(JSON.parse(r.Uneven![0]!) as number[], 5000, 37, 20);
      checkApproximate(JSON.parse(r.Large![0]!) as number[], 10001, 50, 20);
    });

    it("test_quantiles_per_key (and reversed), test_quantiles_per_key_with_key_argument (key=len)", async () => {
      const r = await labelledOutputs(
        (p, out) => {
          const pc = p.apply("Numbers", Create.from(KV_DATA.map(([k, v]) => kv(k, v))));
          out("PerKey", pc.apply("PerKey", ApproximateQuantiles.perKey<string, number>(2)));
          out("PerKeyReversed", pc.apply("PerKeyReversed", ApproximateQuantiles.perKey<string, number>(2, { compare: desc })));
          const strings = p.apply("Strings", Create.from(KV_DATA.map(([k, v]) => kv(k, k.repeat(v)))));
          const lengths = (e: KV<string, string[]>): KV<string, number[]> => kv(e.key, e.value.map((s) => s.length));
          out("ByLength", strings.apply("ByLength", ApproximateQuantiles.perKey<string, string>(2, { compare: byLength })).map("Lengths", lengths));
          out("ByLengthReversed", strings.apply("ByLengthReversed", ApproximateQuantiles.perKey<string, string>(2, { compare: (a, b) => byLength(b, a) })).map("LengthsR", lengths));
        },
        undefined,
        { directNumWorkers: workers },
      );
      const json = (xs: KV<string, number[]>[]): string[] => xs.map((x) => JSON.stringify(x)).sort();
      assert.deepEqual(r, {
        PerKey: json([kv("a", [1, 3]), kv("b", [1, 100])]),
        PerKeyReversed: json([kv("a", [3, 1]), kv("b", [100, 1])]),
        ByLength: json([kv("a", [1, 3]), kv("b", [1, 100])]),
        ByLengthReversed: json([kv("a", [3, 1]), kv("b", [100, 1])]),
      });
    });
  });
}
