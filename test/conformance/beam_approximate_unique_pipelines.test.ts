/**
 * ApproximateUnique.globally / perKey in pipelines, with Beam's test inputs and expectations:
 * Python's stats_test.py ApproximateUniqueTest (test_approximate_unique_global, the older
 * test_approximate_unique_global_by_sample_size*, _by_error*, _perkey_*) and Java's
 * ApproximateUniqueTest (testApproximateUniqueWithSmallInput, ...WithDuplicates,
 * ...WithDifferentSampleSizes, ...WithSkewedDistributionsAndLargeSampleSize,
 * testApproximateUniquePerKey), in batch and streaming, on one worker and two; then per window
 * from a TestStream.
 *
 * Beam asserts exact counts where the distinct elements are no more than the sample size, and an
 * error bound otherwise (Python: |estimate - actual| / actual <= error, with error 2 / sqrt(size)
 * for a size; Java: relative error < 2 / sqrt(sampleSize)); so do we. None of these assert an
 * estimate that depends on Beam's encoded bytes, which differ from ours for default-coded values.
 */
import { strict as assert } from "node:assert";
import { ApproximateUnique, Create, FixedWindows, kv, TestStream, Window, type KV, type PCollection } from "../../lib";
import type { Pipeline } from "../../lib/model/pipeline";
import { DoubleCoder, StringUtf8Coder } from "../../lib/coders/primitive";
import { KVCoder } from "../../lib/coders/structural";
import { prng } from "../prng";
import { collect, type Observed } from "../streaming/collect";
import { runDirect } from "../helpers";
import { labelledOutputs, timestamped, type Mode } from "./beam_helpers";

const range = (n: number): number[] => Array.from({ length: n }, (_, i) => i);

/** Python's check: |estimate - actual| / actual <= error. */
function assertPythonBound(estimate: number, actual: number, error: number, what: string): void {
  assert.ok(Math.abs(estimate - actual) / actual <= error, `${what}: estimate ${estimate} of ${actual} distinct is not within ${error}`);
}

/** Java's verifyEstimate: exact below the sample size; relative error below 2 / sqrt(sampleSize). */
function assertJavaBound(estimate: number, actual: number, sampleSize: number, what: string): void {
  if (actual < sampleSize) assert.equal(estimate, actual, `${what}: fewer distinct than the sample size, so exact`);
  assert.ok(Math.abs(estimate - actual) / actual < 2 / Math.sqrt(sampleSize), `${what}: estimate ${estimate} of ${actual} distinct is not within 2 / sqrt(${sampleSize})`);
}

/** A seeded shuffle (Python and Java shuffle their inputs; the estimate must not depend on order). */
function shuffled<T>(xs: readonly T[], seed: number): T[] {
  const next = prng(seed);
  const out = [...xs];
  for (let i = out.length - 1; i > 0; i--) {
    const j = Math.floor(next() * (i + 1));
    [out[i], out[j]] = [out[j]!, out[i]!];
  }
  return out;
}

/** Python's large_population_by_error input: 500 integers drawn from 1..1000 (seeded here). */
const next = prng(63);
const LARGE_POPULATION = Array.from({ length: 500 }, () => 1 + Math.floor(next() * 1000));

/** The old test_approximate_unique_global_by_sample_size input (skipped in Beam for Python's old hash). */
const BY_SAMPLE_SIZE = [4, 34, 29, 46, 80, 66, 51, 81, 31, 9, 26, 36, 10, 41, 90, 35, 33, 19, 88, 86, 28, 93, 38, 76, 15, 87, 12, 39, 84, 13, 32, 49, 65, 100, 16, 27, 23, 30, 96, 54];
const SMALL_POPULATION = [144, 160, 229, 923, 390, 756, 674, 769, 145, 888, 809, 159, 222, 101, 943, 901, 876, 194, 232, 631, 221, 829, 965, 729, 35, 33, 115, 894, 827, 364];
const BY_ERROR = [291, 371, 271, 126, 762, 391, 222, 565, 428, 786, 801, 867, 337, 690, 261, 436, 311, 568, 946, 722, 973, 386, 506, 546, 991, 450, 226, 889, 514, 693];
const SMALL_BY_ERROR = [585, 104, 613, 503, 658, 640, 118, 492, 189, 798, 756, 755, 839, 79, 393];
const SKEWED = [19, 21, 32, 29, 5, 31, 52, 50, 59, 80, 7, 3, 34, 19, 13, 6, 55, 1, 13, 90, 4, 18, 52, 33, 0, 77, 21, 26, 5, 18];
/** test_approximate_unique_perkey's input. */
// prettier-ignore
const PER_KEY: [number, number][] = [
  [8, 73], [6, 724], [7, 70], [1, 576], [10, 120], [2, 662], [7, 115], [3, 731], [6, 340], [6, 623], [1, 74], [9, 280], [8, 298], [6, 440],
  [10, 243], [1, 125], [9, 754], [8, 833], [9, 751], [4, 818], [6, 176], [9, 253], [2, 721], [8, 936], [3, 691], [10, 685], [1, 69], [3, 155],
  [8, 86], [5, 693], [2, 809], [4, 723], [8, 102], [9, 707], [8, 558], [4, 537], [5, 371], [7, 432], [2, 51], [10, 397],
];
/** The old test_approximate_unique_perkey_by_error input. */
// prettier-ignore
const PER_KEY_SMALL: [number, number][] = [
  [9, 6], [5, 5], [6, 9], [2, 4], [8, 3], [9, 0], [6, 10], [8, 8], [9, 7], [2, 0], [9, 2], [1, 3], [4, 0], [7, 6], [10, 6], [4, 7], [5, 8], [7, 2], [7, 10], [5, 10],
];
/** Java's TestUtils.LINES (Hamlet), 35 distinct lines, repeated over 100 pages. */
// prettier-ignore
const LINES = [
  "To be, or not to be: that is the question: ", "Whether 'tis nobler in the mind to suffer ", "The slings and arrows of outrageous fortune, ",
  "Or to take arms against a sea of troubles, ", "And by opposing end them? To die: to sleep; ", "No more; and by a sleep to say we end ",
  "The heart-ache and the thousand natural shocks ", "That flesh is heir to, 'tis a consummation ", "Devoutly to be wish'd. To die, to sleep; ",
  "To sleep: perchance to dream: ay, there's the rub; ", "For in that sleep of death what dreams may come ", "When we have shuffled off this mortal coil, ",
  "Must give us pause: there's the respect ", "That makes calamity of so long life; ", "For who would bear the whips and scorns of time, ",
  "The oppressor's wrong, the proud man's contumely, ", "The pangs of despised love, the law's delay, ", "The insolence of office and the spurns ",
  "That patient merit of the unworthy takes, ", "When he himself might his quietus make ", "With a bare bodkin? who would fardels bear, ",
  "To grunt and sweat under a weary life, ", "But that the dread of something after death, ", "The undiscover'd country from whose bourn ",
  "No traveller returns, puzzles the will ", "And makes us rather bear those ills we have ", "Than fly to others that we know not of? ",
  "Thus conscience does make cowards of us all; ", "And thus the native hue of resolution ", "Is sicklied o'er with the pale cast of thought, ",
  "And enterprises of great pith and moment ", "With this regard their currents turn awry, ", "And lose the name of action.--Soft you now! ",
  "The fair Ophelia! Nymph, in thy orisons ", "Be all my sins remember'd.",
];

/** Java's runApproximateUniqueWithSkewedDistributions input: a Zipf distribution of about elementCount items. */
function zipf(elementCount: number, uniqueCount: number): number[] {
  const s = 1 - uniqueCount / elementCount;
  const maxCount = Math.pow(uniqueCount, s);
  const out: number[] = [];
  for (let k = 0; k < uniqueCount; k++) {
    // For k = 0 the weight is infinite; Java's (int) Math.round(Infinity) is -1, so max(1, ...) makes it 1.
    const weight = maxCount * Math.pow(k, -s);
    const count = Number.isFinite(weight) ? Math.max(1, Math.round(weight)) : 1;
    for (let c = 0; c < count; c++) out.push(k);
  }
  return out;
}

/** Java's ApproximateUniqueWithDuplicatesTest input: elementCount doubles 1 / (i % uniqueCount + 1), shuffled. */
const withDuplicates = (elementCount: number, uniqueCount: number) => shuffled(range(elementCount).map((i) => 1 / ((i % uniqueCount) + 1)), elementCount);

/** The global cases: label → [input, spec, check of the estimate]. */
const GLOBAL_CASES: Record<string, [readonly unknown[], number | { size: number } | { error: number }, (estimate: number, what: string) => void]> = {
  // test_approximate_unique_global's parameters.
  small_population_by_size: [range(30), { size: 32 }, (e) => assert.equal(e, 30)],
  large_population_by_size: [range(100), { size: 16 }, (e, w) => assertPythonBound(e, 100, 2 / Math.sqrt(16), w)],
  with_duplicates_by_size: [[...Array<number>(50).fill(10), ...Array<number>(50).fill(20)], { size: 30 }, (e) => assert.equal(e, 2)],
  small_population_by_error: [range(30), { error: 0.3 }, (e) => assert.equal(e, 30)],
  large_population_by_error: [LARGE_POPULATION, { error: 0.1 }, (e, w) => assertPythonBound(e, new Set(LARGE_POPULATION).size, 0.1, w)],
  // The older test_approximate_unique_global_by_* cases.
  by_sample_size: [BY_SAMPLE_SIZE, { size: 16 }, (e, w) => assertPythonBound(e, 40, 2 / Math.sqrt(16), w)],
  by_sample_size_with_small_population: [SMALL_POPULATION, { size: 31 }, (e) => assert.equal(e, 30)],
  by_error: [BY_ERROR, { error: 0.3 }, (e, w) => assertPythonBound(e, 30, 0.3, w)],
  by_error_with_small_population: [SMALL_BY_ERROR, { error: 0.01 }, (e) => assert.equal(e, 15)],
  by_error_with_skewed_data: [SKEWED, { error: 0.01 }, (e, w) => assertPythonBound(e, new Set(SKEWED).size, 0.01, w)],
  // Java's.
  small_input: [[1, 2, 3, 3], 1000, (e) => assert.equal(e, 3)],
  duplicates_100_100_100: [withDuplicates(100, 100), 100, (e, w) => assertJavaBound(e, 100, 100, w)],
  duplicates_1000_1000_100: [withDuplicates(1000, 1000), 100, (e, w) => assertJavaBound(e, 1000, 100, w)],
  duplicates_1500_1000_100: [withDuplicates(1500, 1000), 100, (e, w) => assertJavaBound(e, 1000, 100, w)],
  duplicates_10000_1000_100: [withDuplicates(10000, 1000), 100, (e, w) => assertJavaBound(e, 1000, 100, w)],
  skewed_10000_2000_1000: [zipf(10000, 2000), 1000, (e, w) => assertJavaBound(e, 2000, 1000, w)],
  ...Object.fromEntries(
    [64, 128, 256, 512, 1000, 2014].map((size) => [`lines_sample_${size}`, [range(100).flatMap(() => LINES), size, (e: number, w: string) => assertJavaBound(e, LINES.length, size, w)]]),
  ),
};

/** Java's testApproximateUniquePerKey input: keys 20, 50, 100, each with 1000 values of which `key` distinct. */
const JAVA_PER_KEY = [20, 50, 100].flatMap((u) => range(1000).map((v) => kv(u, v % u)));

/** Applies every case to `p`'s inputs and collects each estimate under its label. */
function buildCases(p: Pipeline, collectAs: (label: string, pc: PCollection<unknown>) => void, mode: Mode): void {
  for (const [label, [input, spec]] of Object.entries(GLOBAL_CASES)) {
    const values = timestamped(p, `Input_${label}`, mode, input.map((value) => ({ value, timestamp: 0 })));
    collectAs(label, values.apply(`Unique_${label}`, ApproximateUnique.globally(spec)));
  }
  const perKey = (label: string, input: readonly KV<number, number>[], spec: number | { size: number } | { error: number }) =>
    collectAs(label, timestamped(p, `Input_${label}`, mode, input.map((value) => ({ value, timestamp: 0 }))).apply(`Unique_${label}`, ApproximateUnique.perKey<number, number>(spec)));
  perKey("perkey_by_size", PER_KEY.map(([k, v]) => kv(k, v)), { size: 20 });
  perKey("perkey_by_error", PER_KEY.map(([k, v]) => kv(k, v)), { error: 0.02 });
  perKey("perkey_small_by_error", PER_KEY_SMALL.map(([k, v]) => kv(k, v)), { error: 0.01 });
  perKey("java_per_key", JAVA_PER_KEY, 100);
  if (mode === "batch") collectAs("empty", p.apply("Empty", Create.of<number>()).apply("UniqueEmpty", ApproximateUnique.globally({ size: 16 })));
}

/** The distinct values of each key of `pairs`. */
function distinctPerKey(pairs: readonly KV<number, number>[]): Map<number, number> {
  const sets = new Map<number, Set<number>>();
  for (const { key, value } of pairs) (sets.get(key) ?? sets.set(key, new Set()).get(key)!).add(value);
  return new Map([...sets].map(([k, s]) => [k, s.size]));
}

describe("Beam conformance: ApproximateUnique in pipelines (stats_test.py, ApproximateUniqueTest.java)", function () {
  this.timeout(120_000);

  for (const mode of ["batch", "streaming"] as Mode[]) {
    for (const workers of [1, 2]) {
      it(`globally and per key, within Beam's bounds and exact below the sample size (${mode}, ${workers} worker${workers > 1 ? "s" : ""})`, async () => {
        // The streams end (their watermark goes to infinity), so the global window fires then.
        const out = await labelledOutputs((p, collectAs) => buildCases(p, collectAs, mode), undefined, { directNumWorkers: workers, allowUnsafeTriggers: mode === "streaming" });
        for (const [label, [, , check]] of Object.entries(GLOBAL_CASES)) {
          assert.equal(out[label]?.length, 1, `${label}: one estimate, got ${JSON.stringify(out[label])}`);
          check(Number(out[label]![0]), label);
        }
        const perKeyChecks: [string, readonly KV<number, number>[], (estimate: number, actual: number, what: string) => void][] = [
          ["perkey_by_size", PER_KEY.map(([k, v]) => kv(k, v)), (e, a, w) => assertPythonBound(e, a, 2 / Math.sqrt(20), w)],
          ["perkey_by_error", PER_KEY.map(([k, v]) => kv(k, v)), (e, a, w) => assertPythonBound(e, a, 0.02, w)],
          ["perkey_small_by_error", PER_KEY_SMALL.map(([k, v]) => kv(k, v)), (e, a, w) => assertPythonBound(e, a, 0.01, w)],
          ["java_per_key", JAVA_PER_KEY, (e, a, w) => assertJavaBound(e, a, 100, w)],
        ];
        for (const [label, input, check] of perKeyChecks) {
          const actual = distinctPerKey(input);
          const estimates = out[label]!.map((s) => JSON.parse(s) as KV<number, number>);
          assert.deepEqual(estimates.map((e) => e.key).sort((a, b) => a - b), [...actual.keys()].sort((a, b) => a - b), `${label}: one estimate per key`);
          for (const e of estimates) check(e.value, actual.get(e.key)!, `${label} key ${e.key}`);
        }
        if (mode === "batch") assert.deepEqual(out.empty, ["0"], "an empty global window estimates 0 (the combine of nothing)");
      });
    }
  }

  for (const workers of [1, 2]) {
    it(`per window from a TestStream: each window's distinct elements, globally (withoutDefaults) and per key (${workers} worker${workers > 1 ? "s" : ""})`, async () => {
      const globally: Observed<number>[] = [];
      const perKey: Observed<KV<string, number>>[] = [];
      // Window [0, 10): 1, 2, 3 (with repeats); [10, 20): 40 distinct values, more than the sample of 16; [20, 30): nothing.
      const stream = TestStream.create<number>()
        .addElements(...[1, 2, 2, 3, 3, 3].map((value, i) => ({ value, timestamp: i })))
        .advanceWatermarkTo(10)
        .addElements(...BY_SAMPLE_SIZE.map((value, i) => ({ value, timestamp: 10 + (i % 10) })))
        .advanceWatermarkTo(30)
        .advanceWatermarkToInfinity();
      const result = await runDirect(
        (p) => {
          const windowed = p.apply("Stream", stream).apply("Window", Window.into<number>(new FixedWindows(10)));
          collect(windowed.apply("Globally", ApproximateUnique.globally({ size: 16, withoutDefaults: true })), globally, "CollectGlobally");
          const keyed = windowed.map("ByParity", (n: number) => kv(n % 2 === 0 ? "even" : "odd", n));
          collect(keyed.apply("PerKey", ApproximateUnique.perKey<string, number>({ size: 16 })), perKey, "CollectPerKey");
        },
        { directNumWorkers: workers },
      );
      await result.waitUntilFinish();
      const show = <T>(xs: readonly Observed<T>[]) => xs.map((o) => `${o.window} ${JSON.stringify(o.value)} ${o.pane.timing}`).sort();
      assert.equal(globally.length, 2, show(globally).join("; "));
      const second = globally.find((o) => o.window === "10:20")!;
      assert.deepEqual(show(globally.filter((o) => o !== second)), ["0:10 3 ON_TIME"]);
      assertPythonBound(second.value, 40, 2 / Math.sqrt(16), "window [10, 20)");
      const evens = BY_SAMPLE_SIZE.filter((n) => n % 2 === 0).length;
      const odds = BY_SAMPLE_SIZE.length - evens;
      const perKeyRows = show(perKey);
      assert.equal(perKeyRows.length, 4, perKeyRows.join("; "));
      assert.deepEqual(perKeyRows.slice(0, 2), ['0:10 {"key":"even","value":1} ON_TIME', '0:10 {"key":"odd","value":2} ON_TIME']);
      for (const o of perKey.filter((x) => x.window === "10:20")) assertPythonBound(o.value.value, o.value.key === "even" ? evens : odds, 2 / Math.sqrt(16), `window [10, 20) ${o.value.key}`);
    });
  }

  it("over non-global windows, globally needs withoutDefaults (an empty window has no estimate to give), and says so", async () => {
    await assert.rejects(
      () => runDirect((p) => p.apply(Create.of(1, 2)).apply(Window.into<number>(new FixedWindows(10))).apply("Unique", ApproximateUnique.globally(16))),
      /ApproximateUnique\.globally over non-global windows .* pass \{ withoutDefaults: true \}.*ApproximateUnique\.globally\(\{ size: 16, withoutDefaults: true \}\).*\(at transform 'Unique'\)/,
    );
  });

  it("refuses an input whose coder is not deterministic, naming the transform (Python's verify_deterministic); a KV coder's value coder for perKey", async () => {
    await assert.rejects(
      () => runDirect((p) => p.apply(Create.of(0.5, -0)).setCoder(DoubleCoder.INSTANCE).apply("Unique", ApproximateUnique.globally(16))),
      /ApproximateUnique\.globally at 'Unique' hashes each element's encoding, but its coder \(beam:coder:double:v1\) does not encode deterministically/,
    );
    await assert.rejects(
      () =>
        runDirect((p) =>
          p
            .apply(Create.of(kv("a", 0.5)))
            .setCoder(new KVCoder(StringUtf8Coder.INSTANCE, DoubleCoder.INSTANCE))
            .apply("UniquePerKey", ApproximateUnique.perKey<string, number>(16)),
        ),
      /ApproximateUnique\.perKey at 'UniquePerKey' hashes each element's encoding, but its coder \(beam:coder:double:v1\)/,
    );
  });
});
