/**
 * Beam's shorthand transforms against Beam's own tests as the oracle: Mean (MeanTest.java,
 * combiners_test.py's test_builtin_combines and test_MeanCombineFn_combine[_empty]), Min, Max, Sum
 * (MinTest, MaxTest, SumTest), Flatten.iterables (FlattenTest's testFlattenIterables*) and
 * Filter's comparisons (FilterTest's testFilterLessThan, ...), in batch and streaming (TestStream,
 * windowed where Beam's tests window), on one worker and on two.
 */
import { strict as assert } from "node:assert";
import { Create, Filter, FixedWindows, Flatten, kv, Max, Mean, Min, PipelineConstructionError, Sum, Values, Window, type KV } from "../../lib";
import { combineAll, CombineGlobally, CombinePerKey } from "../../lib/transforms/combine";
import { IterableCoder } from "../../lib/coders/structural";
import { BigIntVarIntCoder, StringUtf8Coder, VarIntCoder } from "../../lib/coders/primitive";
import { labelledOutputs, timestamped, type Mode } from "./beam_helpers";
import { runDirect } from "../helpers";

const VALS = [6, 3, 1, 1, 9, 1, 5, 2, 0, 6];
const MEAN = VALS.reduce((a, b) => a + b, 0) / VALS.length;
const at0 = <T>(values: readonly T[]) => values.map((value) => ({ value, timestamp: 0 }));

describe("Beam conformance: Mean, Min, Max, Sum (MeanTest, MinTest, MaxTest, SumTest, combiners_test.py)", function () {
  this.timeout(60_000);

  it("testMeanGetNames (and Min's, Max's, Sum's): each has a label of its own", () => {
    assert.deepEqual(
      [Mean.globally(), Mean.perKey(), Sum.globally(), Sum.perKey(), Min.globally(), Min.perKey(), Max.globally(), Max.perKey()].map((t) => t.label),
      ["MeanGlobally", "MeanPerKey", "SumGlobally", "SumPerKey", "MinGlobally", "MinPerKey", "MaxGlobally", "MaxPerKey"],
    );
  });

  it("testMeanFn, testMinIntegerFn, testMaxIntegerFn, testSumIntegerFn: the CombineFns over 1, 2, 3, 4", () => {
    const xs = [1, 2, 3, 4];
    assert.equal(combineAll(Mean.of(), xs), 2.5);
    assert.equal(combineAll(Min.of(), xs), 1);
    assert.equal(combineAll(Max.of(), xs), 4);
    assert.equal(combineAll(Sum.of(), xs), 10);
    // MinTest.testMinDoubleFnNegativeInfinity-style edge: Java's comparator variants.
    assert.equal(combineAll(Min.of<string>((a, b) => a.length - b.length), ["ccc", "a", "bb"]), "a");
    assert.equal(combineAll(Max.of<string>((a, b) => a.length - b.length), ["ccc", "a", "bb"]), "ccc");
  });

  for (const mode of ["batch", "streaming"] as Mode[]) {
    for (const workers of [1, 2]) {
      it(`test_builtin_combines and test_MeanCombineFn_combine: globally, without defaults over windows, per key (${mode}, ${workers} worker${workers > 1 ? "s" : ""})`, async () => {
        const out = await labelledOutputs(
          (p, collect) => {
            // A stream in the global window needs a trigger to be combined; windowed, it fires at each window's end.
            const windowed = timestamped(p, "Vals", mode, at0(VALS)).apply("Window", Window.into<number>(new FixedWindows(60_000)));
            collect("mean-wo-defaults", windowed.apply(Mean.globally({ withoutDefaults: true })));
            collect("sum-wo-defaults", windowed.apply(Sum.globally({ withoutDefaults: true })));
            collect("min-wo-defaults", windowed.apply(Min.globally({ withoutDefaults: true })));
            collect("max-wo-defaults", windowed.apply(Max.globally((a: number, b: number) => a - b, { withoutDefaults: true })));
            const pairs = timestamped(p, "Pairs", mode, at0([kv("a", 1), kv("a", 1), kv("a", 4), kv("b", 1), kv("b", 13)])).apply("WindowPairs", Window.into<KV<string, number>>(new FixedWindows(60_000)));
            collect("mean-perkey", pairs.apply(Mean.perKey<string>()));
            collect("sum-perkey", pairs.apply(Sum.perKey<string>()));
            collect("min-perkey", pairs.apply(Min.perKey<string>()));
            collect("max-perkey", pairs.apply(Max.perKey<string>()));
            collect("global-mean", pairs.apply(Values.create<number>()).apply("GlobalMean", Mean.globally({ withoutDefaults: true })));
            if (mode === "batch") {
              const all = p.apply("AllVals", Create.from(VALS));
              collect("mean", all.apply("Mean", Mean.globally()));
              collect("mean-fanout", all.apply("MeanFanout", Mean.globally().withFanout(3)));
              collect("mean-hot-key", p.apply("HotPairs", Create.from(VALS.map((v) => kv("a", v)))).apply("MeanHotKey", Mean.perKey<string>().withHotKeyFanout(3)));
            }
          },
          undefined,
          { directNumWorkers: workers },
        );
        assert.deepEqual(out["mean-wo-defaults"], [String(MEAN)]);
        assert.deepEqual(out["sum-wo-defaults"], ["34"]);
        assert.deepEqual(out["min-wo-defaults"], ["0"]);
        assert.deepEqual(out["max-wo-defaults"], ["9"]);
        assert.deepEqual(out["mean-perkey"], [JSON.stringify(kv("a", 2)), JSON.stringify(kv("b", 7))]);
        assert.deepEqual(out["sum-perkey"], [JSON.stringify(kv("a", 6)), JSON.stringify(kv("b", 14))]);
        assert.deepEqual(out["min-perkey"], [JSON.stringify(kv("a", 1)), JSON.stringify(kv("b", 1))]);
        assert.deepEqual(out["max-perkey"], [JSON.stringify(kv("a", 4)), JSON.stringify(kv("b", 13))]);
        assert.deepEqual(out["global-mean"], ["4"]);
        if (mode === "batch") {
          assert.deepEqual(out.mean, [String(MEAN)]);
          assert.deepEqual(out["mean-fanout"], [String(MEAN)]);
          assert.deepEqual(out["mean-hot-key"], [JSON.stringify(kv("a", MEAN))]);
        }
      });
    }
  }

  it("test_MeanCombineFn_combine_empty: NaN globally (as String, 'NaN'), nothing per key; Sum 0, Min and Max undefined (Java: null)", async () => {
    const out = await labelledOutputs((p, collect) => {
      const none = p.apply("None", Create.of<KV<string, number>>());
      collect("global", none.apply(Values.create<number>()).apply(Mean.globally()).map("Str", (x: number) => String(x)));
      collect("perKey", none.apply(Mean.perKey<string>()));
      const nums = p.apply("NoNums", Create.of<number>());
      collect("sum", nums.apply(Sum.globally()));
      collect("min", nums.apply(Min.globally()).map("MinShown", (x) => String(x)));
      collect("max", nums.apply(Max.globally()).map("MaxShown", (x) => String(x)));
    });
    assert.deepEqual(out, { global: ['"NaN"'], perKey: [], sum: ["0"], min: ['"undefined"'], max: ['"undefined"'] });
  });

  it("each is a Combine.globally / Combine.perKey (lifted like any combine, withFanout / withHotKeyFanout apply)", () => {
    for (const t of [Mean.globally(), Sum.globally(), Min.globally(), Max.globally()]) assert.ok(t instanceof CombineGlobally, t.label);
    for (const t of [Mean.perKey(), Sum.perKey(), Min.perKey(), Max.perKey()]) assert.ok(t instanceof CombinePerKey, t.label);
  });
});

const LINES = ["To be, or not to be: that is the question: ", "Whether 'tis nobler in the mind to suffer ", "The slings and arrows of outrageous fortune, ", "Or to take arms against a sea of troubles, "];

describe("Beam conformance: Flatten.iterables (FlattenTest.java)", function () {
  this.timeout(60_000);

  for (const mode of ["batch", "streaming"] as Mode[]) {
    it(`testFlattenIterables, ...Lists, ...Sets, ...Collections, ...Empty (${mode})`, async () => {
      const out = await labelledOutputs((p, collect) => {
        const windowed = <T>(label: string, xs: readonly T[]) => timestamped(p, label, mode, at0(xs)).apply(`Window${label}`, Window.into<T>(new FixedWindows(60_000)));
        collect("iterables", windowed("Iterables", [LINES as Iterable<string>]).setCoder(new IterableCoder(StringUtf8Coder.INSTANCE) as never).apply("FlattenIterables", Flatten.iterables<string>()));
        collect("lists", windowed("Lists", [LINES.slice(0, 2), LINES.slice(2)]).apply("FlattenLists", Flatten.iterables<string>()));
        collect("sets", windowed("Sets", [new Set(LINES)]).apply("FlattenSets", Flatten.iterables<string>()));
        collect("empty", windowed<string[]>("Empty", [[]]).apply("FlattenEmpty", Flatten.iterables<string>()));
      }, (o) => String(o.value));
      const sorted = [...LINES].sort();
      assert.deepEqual(out.iterables, sorted);
      assert.deepEqual(out.lists, sorted);
      assert.deepEqual(out.sets, sorted);
      assert.deepEqual(out.empty, []);
    });
  }

  it("the items keep the IterableCoder's element coder (bigints as varints); another coder is refused, as Java's 'expecting an IterableLikeCoder'", async () => {
    let coder: unknown;
    const out = await labelledOutputs((p, collect) => {
      const items = p
        .apply("Big", Create.of([1n, 2n ** 60n], [3n]))
        .setCoder(new IterableCoder(BigIntVarIntCoder.INSTANCE) as never)
        .apply(Flatten.iterables<bigint>());
      coder = items.coder;
      collect("items", items);
    }, (o) => String(o.value));
    assert.deepEqual(out.items, ["1", "1152921504606846976", "3"]);
    assert.equal(coder, BigIntVarIntCoder.INSTANCE);
    await assert.rejects(
      runDirect((p) => {
        p.apply("Ints", Create.of(1, 2)).setCoder(VarIntCoder.INSTANCE).apply("Flat", Flatten.iterables<never>() as never);
      }),
      (e: unknown) => e instanceof PipelineConstructionError && /Flatten\.iterables needs the coder of its input .* to be an iterable coder/.test(e.message) && /Flat/.test(e.message),
    );
  });
});

describe("Beam conformance: Filter's comparisons (FilterTest.java)", function () {
  this.timeout(60_000);

  for (const mode of ["batch", "streaming"] as Mode[]) {
    for (const workers of [1, 2]) {
      it(`testFilterLessThan, GreaterThan, LessThanEq, GreaterThanEq, Equal (${mode}, ${workers} worker${workers > 1 ? "s" : ""})`, async () => {
        const out = await labelledOutputs(
          (p, collect) => {
            const xs = timestamped(p, "Xs", mode, at0([1, 2, 3, 4, 5, 6, 7]));
            collect("lessThan", xs.apply(Filter.lessThan(4)));
            collect("greaterThan", xs.apply(Filter.greaterThan(4)));
            collect("lessThanEq", xs.apply(Filter.lessThanEq(4)));
            collect("greaterThanEq", xs.apply(Filter.greaterThanEq(4)));
            collect("equal", xs.apply(Filter.equal(4)));
          },
          (o) => String(o.value),
          { directNumWorkers: workers },
        );
        assert.deepEqual(out, { lessThan: ["1", "2", "3"], greaterThan: ["5", "6", "7"], lessThanEq: ["1", "2", "3", "4"], greaterThanEq: ["4", "5", "6", "7"], equal: ["4"] });
      });
    }
  }

  it("strings, bigints and Dates in natural order; numbers as Java's Double.compare (NaN equal to NaN and above all, -0 below 0)", async () => {
    const out = await labelledOutputs(
      (p, collect) => {
        collect("strings", p.apply("Strings", Create.of("apple", "banana", "cherry")).apply(Filter.lessThan("banana")));
        collect("bigints", p.apply("BigInts", Create.of(1n, 2n ** 70n)).apply(Filter.greaterThanEq(2n ** 64n)));
        collect("dates", p.apply("Dates", Create.of(new Date(1000), new Date(2000))).apply(Filter.equal(new Date(2000))));
        collect("nan", p.apply("Nums", Create.of(NaN, 1, -0, 0)).apply(Filter.equal(NaN)));
        collect("aboveNaN", p.apply("Nums2", Create.of(NaN, Infinity)).apply(Filter.greaterThan(Infinity)));
        collect("negZero", p.apply("Zeros", Create.of(-0, 0)).apply(Filter.lessThan(0)));
      },
      (o) => (typeof o.value === "bigint" ? `${o.value}n` : o.value instanceof Date ? o.value.toISOString() : Object.is(o.value, -0) ? "-0" : String(o.value)),
    );
    assert.deepEqual(out, { strings: ["apple"], bigints: [`${2n ** 70n}n`], dates: [new Date(2000).toISOString()], nan: ["NaN"], aboveNaN: ["NaN"], negZero: ["-0"] });
  });

  it("labels each by its comparison: Filter(x < 4), and several apply unlabelled in one scope", () => {
    assert.deepEqual(
      [Filter.lessThan(4), Filter.greaterThan("b"), Filter.lessThanEq(3n), Filter.greaterThanEq(new Date(0)), Filter.equal(true)].map((t) => t.label),
      ["Filter(x < 4)", 'Filter(x > "b")', "Filter(x <= 3n)", "Filter(x >= 1970-01-01T00:00:00.000Z)", "Filter(x == true)"],
    );
  });
});
