/**
 * Beam Java's ApproximateQuantilesTest as the oracle: the CombineFn over Beam's inputs, fed whole and
 * split into shards merged in different orders (as Beam's CombineFnTester does), the transforms in
 * pipelines (globally, per key, with a comparator), and Beam's buffer-size table.
 */
import { strict as assert } from "node:assert";
import { ApproximateQuantiles, Create, kv, type KV } from "../../lib";
import { approximateQuantilesFn, quantileBufferSizes, type ApproximateQuantilesOptions } from "../../lib/transforms/approximate_quantiles";
import { outputsOf } from "./beam_helpers";

const range = (n: number): number[] => Array.from({ length: n }, (_, i) => i);

/** What the CombineFn gives for `inputs` added to one accumulator, and to shards merged forwards and backwards. */
function combineAllWays<T>(numQuantiles: number, inputs: readonly T[], options: ApproximateQuantilesOptions<T> = {}): T[][] {
  const fn = approximateQuantilesFn<T>(numQuantiles, options);
  const whole = (xs: readonly T[]) => xs.reduce((acc, x) => fn.addInput(acc, x), fn.createAccumulator());
  const results = [fn.extractOutput(whole(inputs))];
  for (const shards of [2, 3, 10]) {
    const parts = Array.from({ length: shards }, (_, s) => whole(inputs.filter((_, i) => i % shards === s)));
    results.push(fn.extractOutput(fn.mergeAccumulators(parts.map((p) => JSON.parse(JSON.stringify(p)) as typeof p))));
    results.push(fn.extractOutput(fn.mergeAccumulators([fn.createAccumulator(), ...parts.reverse()])));
  }
  return results;
}

/** Beam's quantileMatcher: each boundary within `tolerance` of its exact rank in 0..size-1. */
function assertNear(actual: readonly number[], size: number, numQuantiles: number, tolerance: number): void {
  assert.equal(actual.length, numQuantiles);
  assert.equal(actual[0], 0);
  assert.equal(actual[numQuantiles - 1], size - 1);
  for (let i = 1; i < numQuantiles - 1; i++) {
    const expected = (size * i) / (numQuantiles - 1);
    assert.ok(Math.abs(actual[i]! - expected) <= tolerance, `quantile ${i}: ${actual[i]} is not within ${tolerance} of ${expected}`);
  }
}

describe("Beam conformance: ApproximateQuantiles (ApproximateQuantilesTest)", () => {
  it("testSingleton, testSimpleQuantiles, testDuplicates: exact boundaries, whatever the sharding", () => {
    for (const r of combineAllWays(5, [389])) assert.deepEqual(r, [389, 389, 389, 389, 389]);
    for (const r of combineAllWays(5, range(101))) assert.deepEqual(r, [0, 25, 50, 75, 100]);
    const tenTimes = range(10).flatMap(() => range(101));
    for (const r of combineAllWays(5, tenTimes)) assert.deepEqual(r, [0, 25, 50, 75, 100]);
  });

  it("testLotsOfDuplicates, testLogDistribution, testZipfianDistribution", () => {
    const dups = [1, ...Array<number>(299).fill(2), ...Array<number>(700).fill(3)];
    for (const r of combineAllWays(5, dups)) assert.deepEqual(r, [1, 2, 3, 3, 3]);
    const log = range(999).map((i) => Math.trunc(Math.log(i + 1)));
    for (const r of combineAllWays(5, log)) assert.deepEqual(r, [0, 5, 6, 6, 6]);
    const zipf = range(999).map((i) => Math.trunc(1000 / (i + 1)));
    for (const r of combineAllWays(5, zipf)) assert.deepEqual(r, [1, 1, 2, 4, 1000]);
  });

  it("testUnevenQuantiles, testLargerQuantiles, testTightEpsilon: within Beam's tolerances", () => {
    for (const r of combineAllWays(37, range(5000))) assertNear(r, 5000, 37, 20);
    for (const r of combineAllWays(50, range(10001))) assertNear(r, 10001, 50, 20);
    for (const r of combineAllWays(10, range(10001), { epsilon: 0.01 })) assertNear(r, 10001, 10, 5);
  });

  it("approximates with bounded buffers (many collapses): 200,000 elements stay within epsilon of the true rank", () => {
    const n = 200_000;
    const shuffled = range(n).map((i) => (i * 7919) % n);
    const r = combineAllWays(11, shuffled, { maxInputSize: n, epsilon: 0.01 })[0]!;
    assertNear(r, n, 11, 0.01 * n);
  });

  it("testAlternateComparator: natural string order, and by length", () => {
    const inputs = ["aa", "aaa", "aaaa", "b", "ccccc", "dddd", "zz"];
    for (const r of combineAllWays(3, inputs)) assert.deepEqual(r, ["aa", "b", "zz"]);
    for (const r of combineAllWays(3, inputs, { compare: (a, b) => a.length - b.length })) assert.deepEqual(r, ["b", "aaa", "ccccc"]);
  });

  it("testQuantilesGlobally, testQuantilesGobally_comparable (descending), and an empty input", async () => {
    const asc = await outputsOf(Create.from(range(101)), (c) => c.apply(ApproximateQuantiles.globally(5)));
    assert.deepEqual(asc.map((o) => o.value), [[0, 25, 50, 75, 100]]);
    const desc = await outputsOf(Create.from(range(101)), (c) => c.apply(ApproximateQuantiles.globally(5, { compare: (a: number, b: number) => b - a })));
    assert.deepEqual(desc.map((o) => o.value), [[100, 75, 50, 25, 0]]);
    const empty = await outputsOf(Create.from<number>([]), (c) => c.apply(ApproximateQuantiles.globally(5)));
    assert.deepEqual(empty.map((o) => o.value), [[]]);
  });

  it("testQuantilesPerKey, testQuantilesPerKey_reversed", async () => {
    const table = [kv("a", 1), kv("a", 2), kv("a", 3), kv("b", 1), kv("b", 10), kv("b", 10), kv("b", 100)];
    const show = (out: readonly { value: KV<string, number[]> }[]) => out.map((o) => `${o.value.key}=${o.value.value.join(",")}`).sort();
    assert.deepEqual(show(await outputsOf(Create.from(table), (c) => c.apply(ApproximateQuantiles.perKey<string, number>(2)))), ["a=1,3", "b=1,100"]);
    assert.deepEqual(show(await outputsOf(Create.from(table), (c) => c.apply(ApproximateQuantiles.perKey<string, number>(2, { compare: (a, b) => b - a })))), ["a=3,1", "b=100,1"]);
  });

  it("BufferTests: Beam's table of buffer counts and sizes, and its two constraints", () => {
    // Beam's table (from the Munro-Paterson paper's reference values): epsilon x N = 1e5 .. 1e9.
    const epsilons = [0.1, 0.05, 0.01, 0.005, 0.001];
    const exponents = [5, 6, 7, 8, 9];
    const buffers = [
      [11, 14, 17, 21, 24],
      [11, 14, 17, 20, 23],
      [9, 11, 14, 17, 21],
      [8, 11, 14, 17, 20],
      [6, 9, 11, 14, 17],
    ];
    const sizes = [
      [98, 123, 153, 96, 120],
      [98, 123, 153, 191, 239],
      [391, 977, 1221, 1526, 954],
      [782, 977, 1221, 1526, 1908],
      [3125, 3907, 9766, 12208, 15259],
    ];
    epsilons.forEach((e, i) =>
      exponents.forEach((x, j) => {
        const n = 10 ** x;
        const { numBuffers: b, bufferSize: k } = quantileBufferSizes(e, n);
        assert.deepEqual([b, k], [buffers[i]![j], sizes[i]![j]], `epsilon ${e}, N 1e${x}`);
        assert.ok((b - 2) * 2 ** (b - 2) + 0.5 <= e * n);
        assert.ok((k * 2) ** (b - 1) >= n);
      }),
    );
  });

  it("refuses fewer than 2 quantiles, and elements without a natural order unless given a compare function", () => {
    assert.throws(() => ApproximateQuantiles.globally(1), /at least 2 quantiles/);
    const fn = approximateQuantilesFn<{ n: number }>(3);
    assert.throws(() => fn.extractOutput(fn.addInput(fn.addInput(fn.createAccumulator(), { n: 1 }), { n: 2 })), /Pass \{ compare: \(a, b\) => \.\.\. \}/);
  });
});
