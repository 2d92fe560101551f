/**
 * ApproximateUnique's parameters, hash and CombineFn against Beam's tests as the oracle: Python's
 * stats_test.py ApproximateUniqueTest (the validation cases, test_get_sample_size_from_est_error,
 * the coder checks) and Java's ApproximateUniqueTest (testEstimationErrorToSampleSize, the
 * sampleSize < 16 refusal, ApproximateUniqueCombineFnTest with its error bounds, fed whole and in
 * shards merged in different orders after crossing the accumulator coder, as Beam's
 * CombineFnTester does). The pipelines are in beam_approximate_unique_pipelines.test.ts.
 */
import { strict as assert } from "node:assert";
import { ApproximateUnique, approximateUniqueFn, type ApproximateUniqueAccumulator, type CombineFn } from "../../lib";
import { decodeFromBytes, encodeToBytes } from "../../lib/coders/coder";
import { JsValueCoder } from "../../lib/coders/js_value";
import { DoubleCoder, StringUtf8Coder } from "../../lib/coders/primitive";
import { approximateUniqueSampleSize, sampleSizeFromEstimationError } from "../../lib/transforms/approximate_unique";
import { murmur3Hash128, murmur3Hash64 } from "../../lib/transforms/murmur3";

/** Java's estimateIsWithinRangeFor: exact up to the sample size, else within ceil(2u / sqrt(k)) (exclusive). */
export function assertWithinRange(estimate: number, uniqueCount: number, sampleSize: number, what = ""): void {
  if (uniqueCount <= sampleSize) {
    assert.equal(estimate, uniqueCount, `${what}: ${uniqueCount} distinct of a sample of ${sampleSize} are counted exactly`);
    return;
  }
  const maxError = Math.ceil((2 * uniqueCount) / Math.sqrt(sampleSize));
  assert.ok(Math.abs(estimate - uniqueCount) < maxError, `${what}: estimate ${estimate} of ${uniqueCount} distinct is not within ${maxError} (sample ${sampleSize})`);
}

/** What the CombineFn gives for `inputs` added to one accumulator, and to shards merged forwards and backwards after an encoding round trip. */
function combineAllWays<T>(fn: CombineFn<T, ApproximateUniqueAccumulator, number>, inputs: readonly T[]): number[] {
  const whole = (xs: readonly T[]) => xs.reduce((acc, x) => fn.addInput(acc, x), fn.createAccumulator());
  // Accumulators cross workers (and portable runners) encoded with the default coder.
  const roundTrip = (acc: ApproximateUniqueAccumulator) => decodeFromBytes(JsValueCoder.INSTANCE, encodeToBytes(JsValueCoder.INSTANCE, acc)) as ApproximateUniqueAccumulator;
  const results = [fn.extractOutput(whole(inputs))];
  for (const shards of [2, 3, 10]) {
    const parts = Array.from({ length: shards }, (_, s) => whole(inputs.filter((_, i) => i % shards === s)));
    results.push(fn.extractOutput(fn.mergeAccumulators(parts.map(roundTrip))));
    results.push(fn.extractOutput(fn.mergeAccumulators([fn.createAccumulator(), ...parts.reverse()])));
  }
  return results;
}

describe("Beam conformance: ApproximateUnique parameters and CombineFn (stats_test.py, ApproximateUniqueTest.java)", () => {
  it("test_approximate_unique_global_value_error: exactly one of size or error, size >= 16, 0.01 <= error <= 0.5", () => {
    for (const make of [(s: never) => ApproximateUnique.globally(s), (s: never) => ApproximateUnique.perKey(s)]) {
      // invalid_input_size
      assert.throws(() => make({ size: 10 } as never), /needs a sample size >= 16 for an estimation error <= 0\.5.*2 \/ sqrt\(sampleSize\).*size: 10/);
      // invalid_type_size: Python refuses 100.0 (a float); a JS number has no such type, so a fraction stands for it.
      assert.throws(() => make({ size: 100.5 } as never), /needs a sample size >= 16.*size: 100\.5/);
      // invalid_small_error, invalid_big_error
      assert.throws(() => make({ error: 0.0 } as never), /needs an estimation error between 0\.01 and 0\.5; received \{ error: 0 \}/);
      assert.throws(() => make({ error: 0.6 } as never), /needs an estimation error between 0\.01 and 0\.5; received \{ error: 0\.6 \}/);
      assert.throws(() => make({ error: Number.NaN } as never), /between 0\.01 and 0\.5; received \{ error: NaN \}/);
      // no_input, both_input
      assert.throws(() => make({} as never), /needs either a sample size or an estimation error, received neither/);
      assert.throws(() => make({ size: 30, error: 0.2 } as never), /either a sample size or an estimation error, not both; received \{ size: 30, error: 0\.2 \}/);
    }
    // Java's testApproximateUniqueWithDifferentSampleSizes(15): "ApproximateUnique needs a sampleSize >= 16".
    assert.throws(() => ApproximateUnique.globally(15), /ApproximateUnique\.globally needs a sample size >= 16/);
    assert.throws(() => ApproximateUnique.perKey(15), /ApproximateUnique\.perKey needs a sample size >= 16/);
    // Java's globally(double): a fraction as the number is not a sample size; the message says how to pass an error.
    assert.throws(() => ApproximateUnique.globally(0.1), /an estimation error is passed as \{ error: 0\.1 \}/);
    // The bounds themselves are accepted.
    assert.equal(ApproximateUnique.globally({ size: 16 }).sampleSize, 16);
    assert.equal(ApproximateUnique.globally({ error: 0.01 }).sampleSize, 40000);
    assert.equal(ApproximateUnique.perKey({ error: 0.5 }).sampleSize, 16);
    assert.equal(ApproximateUnique.perKey(1000).sampleSize, 1000);
  });

  it("testApproximateUniqueGetName: the transforms are named ApproximateUnique.Globally and ApproximateUnique.PerKey", () => {
    assert.equal(ApproximateUnique.perKey(16).label, "ApproximateUnique.PerKey");
    assert.equal(ApproximateUnique.globally(16).label, "ApproximateUnique.Globally");
  });

  it("test_get_sample_size_from_est_error, testEstimationErrorToSampleSize: ceil(4 / error^2)", () => {
    const table: [number, number][] = [
      [0.5, 16],
      [0.4, 25],
      [0.2, 100],
      [0.1, 400],
      [0.05, 1600],
      [0.04, 2500],
      [0.02, 10000],
      [0.01, 40000],
    ];
    for (const [error, size] of table) {
      assert.equal(sampleSizeFromEstimationError(error), size, `error ${error}`);
      assert.equal(approximateUniqueSampleSize({ error }, "test"), size);
    }
  });

  it("hashes bytes with MurmurHash3_x64_128 as Beam (Guava's murmur3_128, Python's mmh3.hash64): the published vectors", () => {
    // SMHasher's vectors as Guava's Murmur3Hash128Test lists them: (seed, h1, h2, input).
    const vectors: [number, string, string, string][] = [
      [0, "629942693e10f867", "92db0b82baeb5347", "hell"],
      [1, "a78ddff5adae8d10", "128900ef20900135", "hello"],
      [2, "8a486b23f422e826", "f962a2c58947765f", "hello "],
      [3, "2ea59f466f6bed8c", "c610990acc428a17", "hello w"],
      [4, "79f6305a386c572c", "46305aed3483b94e", "hello wo"],
      [5, "c2219d213ec1f1b5", "a1d8e2e0a52785bd", "hello wor"],
      [0, "e34bbc7bbc071b6c", "7a433ca9c49a9347", "The quick brown fox jumps over the lazy dog"],
      [0, "658ca970ff85269a", "43fee3eaa68e5c3e", "The quick brown fox jumps over the lazy cog"],
    ];
    for (const [seed, h1, h2, input] of vectors) {
      assert.deepEqual(murmur3Hash128(Buffer.from(input), seed), [BigInt(`0x${h1}`), BigInt(`0x${h2}`)], input);
    }
    // mmh3's documented hash64("foo") is (-2129773440516405919, ...) signed; Beam Python reads it unsigned.
    assert.equal(BigInt.asIntN(64, murmur3Hash64(Buffer.from("foo"))), -2129773440516405919n);
    assert.equal(murmur3Hash64(new Uint8Array(0)), 0n);
    // Every tail length (0..15 bytes past whole 16-byte blocks) gives a distinct hash.
    const lengths = new Set(Array.from({ length: 40 }, (_, n) => murmur3Hash64(new Uint8Array(n).fill(7))));
    assert.equal(lengths.size, 40);
  });

  it("hashes each element's encoding by its coder: with Beam's StringUtf8Coder the sample holds Beam Java's hashes", () => {
    // Beam Java hashes coder.encode(element, Context.OUTER): for a string, its UTF-8 bytes.
    const fn = approximateUniqueFn<string>(16, StringUtf8Coder.INSTANCE);
    const acc = fn.addInput(fn.addInput(fn.createAccumulator(), "hell"), "hell");
    assert.deepEqual(acc.sample, [0x629942693e10f867n]);
    assert.equal(fn.extractOutput(acc), 1);
  });

  it("test_approximate_unique_combine_fn_requires_nondeterministic_coder / _requires_compatible_coder", () => {
    // A coder that may encode equal elements differently would count them twice: refused, as Python refuses Base64PickleCoder.
    assert.throws(() => approximateUniqueFn(30, DoubleCoder.INSTANCE), /approximateUniqueFn hashes each element's encoding, but its coder \(beam:coder:double:v1\) does not encode deterministically/);
    // The default JS value coder is replaced by its deterministic variant (Python's as_deterministic_coder).
    const objects = approximateUniqueFn<object>(30, JsValueCoder.INSTANCE as never);
    const acc = [{ a: 1, b: 2 }, { b: 2, a: 1 }, new Map([["x", 1]]), new Map([["x", 1]])].reduce((a, x) => objects.addInput(a, x), objects.createAccumulator());
    assert.equal(objects.extractOutput(acc), 2);
    // An element its coder cannot encode fails the add (Python raises RuntimeError).
    const strings = approximateUniqueFn<string>(30, StringUtf8Coder.INSTANCE);
    assert.throws(() => strings.addInput(strings.createAccumulator(), 1 as never), /StringUtf8Coder/);
  });

  it("ApproximateUniqueCombineFnTest: testFnWithSmallerFractionOfUniques, testWithLargerFractionOfUniques, testWithLargeSampleSize", () => {
    // Java's runCombineFnTest: elementCount values 1 / (i % uniqueCount + 1). Java hashes them with
    // DoubleCoder, which is not deterministic here (0 and -0): the default coder hashes them instead.
    for (const [elementCount, uniqueCount, sampleSize] of [
      [1000, 100, 16],
      [1000, 800, 100],
      [200, 100, 150],
    ] as const) {
      const input = Array.from({ length: elementCount }, (_, i) => 1 / ((i % uniqueCount) + 1));
      const estimates = combineAllWays(approximateUniqueFn<number>(sampleSize), input);
      // Merging in any order, after any encoding, keeps the same sample: one estimate.
      assert.equal(new Set(estimates).size, 1, `estimates ${estimates.join(", ")}`);
      assertWithinRange(estimates[0]!, uniqueCount, sampleSize, `${elementCount} of ${uniqueCount} distinct`);
    }
  });

  it("the estimate is Beam's formula over the sample (2^64 space, the smallest kept hash), exact below the sample size, 0 for nothing", () => {
    const fn = approximateUniqueFn<number>(16);
    assert.equal(fn.extractOutput(fn.createAccumulator()), 0);
    assert.equal(fn.extractOutput(fn.mergeAccumulators([])), 0);
    // A full sample whose smallest hash is 3/4 of the way up the space: the 16 kept cover a quarter of it.
    const sample = Array.from({ length: 16 }, (_, i) => 3n * 2n ** 62n + BigInt(i) * 2n ** 40n);
    const space = 2 ** 64 - Number(sample[0]);
    const expected = Math.round((Math.log1p(-16 / space) / Math.log1p(-1 / space)) * (2 ** 64 / space));
    assert.equal(fn.extractOutput({ sample }), expected);
    assert.equal(expected, 64);
    const fewer = { sample: sample.slice(0, 15) };
    assert.equal(fn.extractOutput(fewer), 15);
  });
});
