/**
 * Beam Java's LatestFnTest and SimpleStatsFnsTest, with Beam's inputs and expected outputs: the
 * CombineFns themselves (each input combined in one accumulator, and in parts merged after an
 * encoding round trip, as accumulators cross a shuffle), then the same data through pipelines in
 * batch on one worker and two (a global combine over an unbounded input in the global window is
 * refused by Beam, so there is no streaming form of these).
 *
 * Java's longs are bigints here (`Sum.ofBigInts()`, exact where a number sum of them is not).
 * Not ported: LatestFnTest's null accumulator / null input cases (a type error here), and
 * SimpleStatsFnsTest's typed identities for no inputs (Java's `Min.ofIntegers()` of nothing is
 * Integer.MAX_VALUE, `Min.ofDoubles()` +Infinity): Beamline's `Min.of()` / `Max.of()` give
 * `undefined`, as Java's `Min.naturalOrder()` gives null (README, "Mean, Sum, Min, Max").
 */
import { strict as assert } from "node:assert";
import { Create, kv, Latest, Max, Mean, MIN_TIMESTAMP, Min, Sum, type CombineFn, type PCollection } from "../../lib";
import { latestFn } from "../../lib/transforms/latest";
import type { Pipeline } from "../../lib/model/pipeline";
import { DeterministicJsValueCoder } from "../../lib/coders/js_value";
import { decodeFromBytes, encodeToBytes } from "../../lib/coders/coder";
import { labelledOutputs } from "./beam_helpers";

/** An accumulator after an encoding round trip, as after a shuffle. */
function roundTrip<A>(acc: A): A {
  const coder = new DeterministicJsValueCoder();
  return decodeFromBytes(coder, encodeToBytes(coder, acc)) as A;
}

/** `fn` over `inputs` in one accumulator, and in two halves merged after a round trip (with an empty one): both results. */
function combineBothWays<I, A, O>(fn: CombineFn<I, A, O>, inputs: readonly I[]): [O, O] {
  const addAll = (xs: readonly I[]) => xs.reduce((acc, x) => fn.addInput(acc, x), fn.createAccumulator());
  const half = Math.ceil(inputs.length / 2);
  const merged = fn.mergeAccumulators([roundTrip(addAll(inputs.slice(half))), roundTrip(fn.createAccumulator()), roundTrip(addAll(inputs.slice(0, half)))]);
  return [fn.extractOutput(addAll(inputs)), fn.extractOutput(merged)];
}

describe("Beam Java LatestFnTest: the CombineFn of Latest", () => {
  const fn = latestFn<number | null>();
  const INSTANT = 100;
  const VALUE = 100 * INSTANT;
  const tv = (v: number | null, t: number) => ({ v, t });
  const TV = tv(VALUE, INSTANT);
  const TV_MINUS_TEN = tv(VALUE - 10, INSTANT - 10);
  const TV_PLUS_TEN = tv(VALUE + 10, INSTANT + 10);
  const add = (...xs: { v: number | null; t: number }[]) => fn.extractOutput(xs.reduce((acc, x) => fn.addInput(acc, x), fn.createAccumulator()));

  it("testDefaultValue, testCreateAccumulator, testExtractOutputDefaultAccumulator: nothing gives undefined (Java's null)", () => {
    assert.equal(fn.extractOutput(fn.createAccumulator()), undefined);
  });
  it("testAddInputInitialAdd, testAddInputMinTimestamp: the first input, even at the minimum timestamp", () => {
    assert.equal(add(TV), VALUE);
    assert.equal(add(tv(1234, MIN_TIMESTAMP)), 1234);
  });
  it("testAddInputEarlierValue, testAddInputLaterValue, testAddInputSameTimestamp", () => {
    assert.equal(add(TV, TV_MINUS_TEN), VALUE);
    assert.equal(add(TV, TV_PLUS_TEN), VALUE + 10);
    assert.ok([100, 200].includes(add(tv(100, INSTANT), tv(200, INSTANT)) as number));
  });
  it("testAddInputNullValue, testExtractOutputNullValue: null values are allowed and win by timestamp", () => {
    assert.equal(add(TV, tv(null, INSTANT + 10)), null);
    assert.equal(add(tv(null, Date.now())), null);
  });
  it("testMergeAccumulators: multiple, single, empty, with default and all default accumulators", () => {
    const accOf = (...xs: { v: number | null; t: number }[]) => roundTrip(xs.reduce((acc, x) => fn.addInput(acc, x), fn.createAccumulator()));
    assert.equal(fn.extractOutput(fn.mergeAccumulators([accOf(TV), accOf(TV_PLUS_TEN), accOf(TV_MINUS_TEN)])), VALUE + 10);
    assert.equal(fn.extractOutput(fn.mergeAccumulators([accOf(TV)])), VALUE);
    assert.equal(fn.extractOutput(fn.mergeAccumulators([])), undefined);
    assert.equal(fn.extractOutput(fn.mergeAccumulators([accOf(TV), fn.createAccumulator()])), VALUE);
    assert.equal(fn.extractOutput(fn.mergeAccumulators([fn.createAccumulator(), roundTrip(fn.createAccumulator())])), undefined);
  });
  it("testExtractOutput", () => {
    assert.deepEqual(combineBothWays(fn, [TV, TV_PLUS_TEN, TV_MINUS_TEN]), [VALUE + 10, VALUE + 10]);
  });
});

const DOUBLES = [-312.31, 29.13, 112.158, 6312.31, -312.158, -312.158, 112.158, -312.31, 6312.31, 0.0];
const INTEGERS = [1, -3, 2, 6, 3, 4, -3, 5, 6, 1];
const LONGS = [0n, 1n, 10000000000000000n, -50000000000000000n, 70000000000000000n, 0n, 10000000000000000n, -1n, -50000000000000000n, 70000000000000000n, 33123213121n];

describe("Beam Java SimpleStatsFnsTest: Sum, Min, Max and Mean's CombineFns", () => {
  const close = (actual: number, expected: number) => assert.ok(Math.abs(actual - expected) < 1e-7, `${actual} is not ${expected} (within 1e-7)`);

  it("testDoubleStats: sum 11629.13, min -312.31, max 6312.31, mean sum / 10; one value; none", () => {
    for (const [sum, min, max, data] of [
      [11629.13, -312.31, 6312.31, DOUBLES],
      [3.14, 3.14, 3.14, [3.14]],
    ] as const) {
      for (const s of combineBothWays(Sum.of(), data)) close(s, sum);
      for (const m of combineBothWays(Min.of(), data)) close(m!, min);
      for (const m of combineBothWays(Max.of(), data)) close(m!, max);
      for (const m of combineBothWays(Mean.of(), data)) close(m, sum / data.length);
    }
    assert.deepEqual(combineBothWays(Sum.of(), []), [0, 0]);
    assert.deepEqual(combineBothWays(Mean.of(), []), [NaN, NaN]);
    assert.deepEqual(combineBothWays(Min.of(), []), [undefined, undefined]);
  });

  it("testIntegerStats: sum 22, min -3, max 6, mean 2.2", () => {
    assert.deepEqual(combineBothWays(Sum.of(), INTEGERS), [22, 22]);
    assert.deepEqual(combineBothWays(Min.of(), INTEGERS), [-3, -3]);
    assert.deepEqual(combineBothWays(Max.of(), INTEGERS), [6, 6]);
    assert.deepEqual(combineBothWays(Mean.of(), INTEGERS), [2.2, 2.2]);
    assert.deepEqual(combineBothWays(Mean.of(), [3]), [3, 3]);
  });

  it("testLongStats as bigints: sum 60000033123213121, min -50000000000000000, max 70000000000000000 (exact beyond 2^53)", () => {
    assert.deepEqual(combineBothWays(Sum.ofBigInts(), LONGS), [60000033123213121n, 60000033123213121n]);
    assert.deepEqual(combineBothWays(Sum.ofBigInts(), [3n]), [3n, 3n]);
    assert.deepEqual(combineBothWays(Sum.ofBigInts(), []), [0n, 0n]);
    assert.deepEqual(combineBothWays(Min.of<bigint>(), LONGS), [-50000000000000000n, -50000000000000000n]);
    assert.deepEqual(combineBothWays(Max.of<bigint>(), LONGS), [70000000000000000n, 70000000000000000n]);
  });

  it("testInstantStats: Min and Max of instants (epoch milliseconds) and of Dates; none gives undefined (Java's null)", () => {
    assert.deepEqual(combineBothWays(Min.of(), [1000, 2000]), [1000, 1000]);
    assert.deepEqual(combineBothWays(Max.of(), [1000, 2000]), [2000, 2000]);
    const [min] = combineBothWays(Min.of<Date>(), [new Date(1000), new Date(2000)]);
    assert.equal(min?.getTime(), 1000);
    assert.deepEqual(combineBothWays(Max.of(), []), [undefined, undefined]);
  });
});

for (const workers of [1, 2]) {
  describe(`Beam Java LatestFnTest and SimpleStatsFnsTest through pipelines: batch, ${workers} worker(s)`, () => {
    it("Latest.globally of a null value at the latest timestamp is null, of nothing undefined (testDefaultCoderHandlesNull)", async () => {
      const out = await labelledOutputs(
        (p, collectAs) => {
          collectAs("latest", p.apply("Values", Create.timestamped<number | null>([{ value: 1, timestamp: 3 }, { value: null, timestamp: 5 }, { value: 2, timestamp: MIN_TIMESTAMP }])).apply("Latest", Latest.globally()));
          collectAs("none", p.apply("Empty", Create.of<number>()).apply("LatestNone", Latest.globally()));
        },
        (o) => String(o.value),
        { directNumWorkers: workers },
      );
      assert.deepEqual(out, { latest: ["null"], none: ["undefined"] });
    });

    it("Sum, Min, Max, Mean globally of the doubles, integers and longs (bigints, by natural order)", async () => {
      const out = await labelledOutputs(
        (p: Pipeline, collectAs: (label: string, pc: PCollection<unknown>) => void) => {
          const stats = (name: string, data: readonly number[]) => {
            const pc = p.apply(name, Create.from(data));
            collectAs(`${name}Sum`, pc.apply(`${name}Sum`, Sum.globally()));
            collectAs(`${name}Min`, pc.apply(`${name}Min`, Min.globally()));
            collectAs(`${name}Max`, pc.apply(`${name}Max`, Max.globally()));
            collectAs(`${name}Mean`, pc.apply(`${name}Mean`, Mean.globally()));
          };
          stats("Doubles", DOUBLES);
          stats("Integers", INTEGERS);
          const longs = p.apply("Longs", Create.from(LONGS));
          collectAs("LongsMin", longs.apply("LongsMin", Min.globally<bigint>()));
          collectAs("LongsMax", longs.apply("LongsMax", Max.globally<bigint>()));
          collectAs("LongsSum", longs.apply("LongsSum", Sum.bigIntsGlobally()));
          collectAs("LongsSumEmpty", p.apply("NoLongs", Create.of<bigint>()).apply("LongsSumEmpty", Sum.bigIntsGlobally()));
          collectAs("LongsSumPerKey", longs.map("Keyed", (n) => kv(n < 0n ? "neg" : "pos", n)).apply("LongsSumPerKey", Sum.bigIntsPerKey()).map("ShowSum", (e) => `${e.key}:${e.value}`));
        },
        (o) => String(o.value),
        { directNumWorkers: workers },
      );
      assert.ok(Math.abs(Number(out.DoublesSum![0]) - 11629.13) < 1e-7, String(out.DoublesSum));
      assert.deepEqual([out.DoublesMin, out.DoublesMax], [["-312.31"], ["6312.31"]]);
      assert.ok(Math.abs(Number(out.DoublesMean![0]) - 1162.913) < 1e-7, String(out.DoublesMean));
      assert.deepEqual([out.IntegersSum, out.IntegersMin, out.IntegersMax, out.IntegersMean], [["22"], ["-3"], ["6"], ["2.2"]]);
      assert.deepEqual([out.LongsMin, out.LongsMax], [["-50000000000000000"], ["70000000000000000"]]);
      assert.deepEqual([out.LongsSum, out.LongsSumEmpty, out.LongsSumPerKey], [["60000033123213121"], ["0"], ["neg:-100000000000000001", "pos:160000033123213122"]]);
    });
  });
}
