/**
 * The small transforms' Beam Java tests not yet ported elsewhere, with Beam's inputs and expected
 * outputs: MapElementsTest, FlatMapElementsTest and FilterTest (lambdas, failures to a dead-letter
 * output), KeysTest, ValuesTest, WithKeysTest.testExtractKeys, PartitionTest.testModPartitionWithLambda,
 * WithTimestampsTest, ReifyTimestampsTest.inValuesSucceeds, CreateTest's null elements,
 * CountTest.testCountPerElementEmpty, TopTest (testTop, testTopEmpty, testTopZero), SampleTest's
 * Sample.any of 0 and of more than there are, and CombineTest's lambda combines. Element-wise
 * cases run in batch (one worker and two) and streaming; global combines (which Beam refuses over
 * an unbounded input in the global window) in batch.
 */
import { strict as assert } from "node:assert";
import {
  binaryCombineFn,
  Combine,
  Count,
  Create,
  Filter,
  FixedWindows,
  FlatMapElements,
  Keys,
  kv,
  KV,
  MapElements,
  Partition,
  Reify,
  Sample,
  Top,
  Values,
  Window,
  WithKeys,
  WithTimestamps,
} from "../../lib";
import type { Pipeline } from "../../lib/model/pipeline";
import { labelledOutputs, timestamped, type Mode } from "./beam_helpers";

/** Java's integer division by zero: it throws. */
const oneOver = (i: number): number => {
  if (i === 0) throw new RangeError("/ by zero");
  return Math.trunc(1 / i);
};

const runs: { mode: Mode; workers: number }[] = [
  { mode: "batch", workers: 1 },
  { mode: "batch", workers: 2 },
  { mode: "streaming", workers: 1 },
];

for (const { mode, workers } of runs) {
  describe(`Beam Java element-wise transform tests: ${mode}, ${workers} worker(s)`, () => {
    const run = (build: (p: Pipeline, out: (label: string, pc: import("../../lib").PCollection<unknown>) => void) => void) => labelledOutputs(build, undefined, { directNumWorkers: workers });
    const create = <T>(p: Pipeline, label: string, values: readonly T[]) => timestamped(p, label, mode, values.map((value) => ({ value, timestamp: 0 })));

    it("MapElements, FlatMapElements, Filter by lambdas (testMapLambda, testFlatMapBasicWithLambda, testFilterByPredicateWithLambda, testIdentityFilterByPredicate, testNoFilterByPredicate)", async () => {
      const out = await run((p, collectAs) => {
        const input = create(p, "Create", [1, 2, 3, 4, 5, 6, 7]);
        collectAs("map", input.apply("Map", MapElements.via((i: number) => i * 2)));
        collectAs("flatMap", create(p, "CreateFlat", [1, 2, 3]).apply("FlatMap", FlatMapElements.via((i: number) => [i, -i])));
        collectAs("even", input.apply("Even", Filter.by((i: number) => i % 2 === 0)));
        collectAs("all", input.apply("All", Filter.by(() => true)));
        collectAs("none", input.apply("None", Filter.by((_i: number) => false)));
      });
      assert.deepEqual(out.map, ["10", "12", "14", "2", "4", "6", "8"]);
      assert.deepEqual(out.flatMap, ["-1", "-2", "-3", "1", "2", "3"]);
      assert.deepEqual(out.even, ["2", "4", "6"]);
      assert.deepEqual(out.all, ["1", "2", "3", "4", "5", "6", "7"]);
      assert.deepEqual(out.none ?? [], []);
    });

    it("Map and FlatMap with failures: the failing element and its error go to the failures (testMapWithFailuresLambda, testFlatMapWithFailuresLambda, testExceptionAsMap)", async () => {
      const out = await run((p, collectAs) => {
        const mapped = create(p, "CreateMap", [0, 1]).apply("Map", MapElements.via(oneOver).withExceptionHandling());
        collectAs("mapMain", mapped.main);
        collectAs("mapFailed", mapped.failed.map("ShowMapFailure", (f) => `${f.element}: ${f.reason} (${f.step}) stack=${f.stack !== undefined}`));
        const flat = create(p, "CreateFlat", [0, 2, 3]).apply("FlatMap", FlatMapElements.via((i: number) => [i + oneOver(i), -i - oneOver(i)]).withExceptionHandling());
        collectAs("flatMain", flat.main);
        collectAs("flatFailed", flat.failed.map("ShowFlatFailure", (f) => `${f.element}: ${f.reason}`));
      });
      assert.deepEqual(out.mapMain, ["1"]);
      // Java's ExceptionAsMapHandler gives the class name, message and stack trace.
      assert.deepEqual(out.mapFailed, ['"0: RangeError: / by zero (Map) stack=true"']);
      assert.deepEqual(out.flatMain, ["-2", "-3", "2", "3"]);
      assert.deepEqual(out.flatFailed, ['"0: RangeError: / by zero"']);
    });

    it("Keys, Values, and keys extracted by WithKeys (testKeys, testKeysEmpty, testValues, testValuesEmpty, testExtractKeys)", async () => {
      const table = [kv("one", 1), kv("two", 2), kv("three", 3), kv("dup", 4), kv("dup", 5)];
      const out = await run((p, collectAs) => {
        collectAs("keys", create(p, "Table", table).apply("Keys", Keys.create<string>()));
        collectAs("values", create(p, "Table2", table).apply("Values", Values.create<number>()));
        collectAs("keysEmpty", create<KV<string, number>>(p, "Empty", []).apply("KeysEmpty", Keys.create<string>()));
        collectAs("valuesEmpty", create<KV<string, number>>(p, "Empty2", []).apply("ValuesEmpty", Values.create<number>()));
        collectAs("withKeys", create(p, "Words", ["a", "bb", "c", "c", "z"]).apply("LengthAsKey", WithKeys.of((s: string) => s.length)));
      });
      assert.deepEqual(out.keys, ['"dup"', '"dup"', '"one"', '"three"', '"two"']);
      assert.deepEqual(out.values, ["1", "2", "3", "4", "5"]);
      assert.deepEqual(out.keysEmpty ?? [], []);
      assert.deepEqual(out.valuesEmpty ?? [], []);
      assert.deepEqual(out.withKeys, ['{"key":1,"value":"a"}', '{"key":1,"value":"c"}', '{"key":1,"value":"c"}', '{"key":1,"value":"z"}', '{"key":2,"value":"bb"}']);
    });

    it("Partition by a lambda, element mod 3 (testModPartitionWithLambda)", async () => {
      const out = await run((p, collectAs) => {
        const parts = create(p, "Create", [1, 2, 4, 5]).apply("Partition", Partition.of(3, (e: number, n) => e % n));
        assert.equal(parts.length, 3);
        parts.forEach((part, i) => collectAs(`p${i}`, part));
      });
      assert.deepEqual(out.p0 ?? [], []);
      assert.deepEqual(out.p1, ["1", "4"]);
      assert.deepEqual(out.p2, ["2", "5"]);
    });

    it("WithTimestamps from a lambda; ReifyTimestamps in values (withTimestampsLambdaShouldApplyTimestamps, inValuesSucceeds)", async () => {
      const yearTwoThousand = "946684800000";
      const out = await labelledOutputs(
        (p, collectAs) => {
          const stamped = create(p, "Create", ["1234", "0", String(2 ** 31 - 1), yearTwoThousand]).apply("WithTimestamps", WithTimestamps.of((s: string) => Number(s)));
          collectAs("stamped", stamped);
          const reified = create(p, "CreateKvs", [kv("foo", 0), kv("foo", 1), kv("bar", 2), kv("baz", 3)])
            .apply("Stamp", WithTimestamps.of((e: KV<string, number>) => e.value))
            .apply("ReifyInValues", Reify.timestampsInValue<string, number>());
          collectAs("reified", reified);
        },
        (o) => `${JSON.stringify(o.value)}@${o.timestamp}`,
        { directNumWorkers: workers },
      );
      assert.deepEqual(out.stamped, ['"0"@0', '"1234"@1234', `"${2 ** 31 - 1}"@${2 ** 31 - 1}`, `"${yearTwoThousand}"@${yearTwoThousand}`].sort());
      assert.deepEqual(
        out.reified,
        [
          '{"key":"foo","value":{"value":0,"timestamp":0}}@0',
          '{"key":"foo","value":{"value":1,"timestamp":1}}@1',
          '{"key":"bar","value":{"value":2,"timestamp":2}}@2',
          '{"key":"baz","value":{"value":3,"timestamp":3}}@3',
        ].sort(),
      );
    });

    it("null elements and null values (testCreateWithVoidType, testCreateWithKVVoidType)", async () => {
      const out = await run((p, collectAs) => {
        collectAs("nulls", create<null>(p, "Nulls", [null, null]));
        collectAs("kvNulls", create(p, "KvNulls", [kv(null, null), kv(null, null)]));
      });
      assert.deepEqual(out.nulls, ["null", "null"]);
      assert.deepEqual(out.kvNulls, ['{"key":null,"value":null}', '{"key":null,"value":null}']);
    });
  });
}

for (const workers of [1, 2]) {
  describe(`Beam Java combining transform tests: batch, ${workers} worker(s)`, () => {
    const run = (build: Parameters<typeof labelledOutputs>[0]) => labelledOutputs(build, undefined, { directNumWorkers: workers });
    const COLLECTION = ["a", "bb", "c", "c", "z"];
    const TABLE = [kv("a", 1), kv("a", 2), kv("a", 3), kv("b", 1), kv("b", 10), kv("b", 10), kv("b", 100)];
    const byLength = { compare: (a: string, b: string) => a.length - b.length };

    it("Top.of, largest, smallest, largestPerKey, smallestPerKey (testTop)", async () => {
      const out = await run((p, collectAs) => {
        const input = p.apply("Create", Create.from(COLLECTION));
        collectAs("top1", input.apply("Top1", Top.of(1, byLength)));
        collectAs("top2", input.apply("Top2", Top.largest<string>(2)));
        collectAs("top3", input.apply("Top3", Top.smallest<string>(3)));
        const table = p.apply("CreateInputTable", Create.from(TABLE));
        collectAs("largestPerKey", table.apply("LargestPerKey", Top.largestPerKey<string, number>(2)));
        collectAs("smallestPerKey", table.apply("SmallestPerKey", Top.smallestPerKey<string, number>(2)));
      });
      assert.deepEqual(out.top1, ['["bb"]']);
      assert.deepEqual(out.top2, ['["z","c"]']);
      assert.deepEqual(out.top3, ['["a","bb","c"]']);
      assert.deepEqual(out.largestPerKey, ['{"key":"a","value":[3,2]}', '{"key":"b","value":[100,10]}']);
      assert.deepEqual(out.smallestPerKey, ['{"key":"a","value":[1,2]}', '{"key":"b","value":[1,10]}']);
    });

    it("Top of an empty collection: one empty list globally, nothing per key (testTopEmpty)", async () => {
      const out = await run((p, collectAs) => {
        const input = p.apply("Create", Create.of<string>());
        collectAs("top1", input.apply("Top1", Top.of(1, byLength)));
        collectAs("top2", input.apply("Top2", Top.largest<string>(2)));
        collectAs("top3", input.apply("Top3", Top.smallest<string>(3)));
        const table = p.apply("CreateEmptyInputTable", Create.of<KV<string, number>>());
        collectAs("largestPerKey", table.apply("LargestPerKey", Top.largestPerKey<string, number>(2)));
      });
      assert.deepEqual(out.top1, ["[]"]);
      assert.deepEqual(out.top2, ["[]"]);
      assert.deepEqual(out.top3, ["[]"]);
      assert.deepEqual(out.largestPerKey ?? [], []);
    });

    it("Top of 0 elements: empty lists, one per key (testTopZero; Java's TopCombineFn allows count >= 0)", async () => {
      const out = await run((p, collectAs) => {
        const input = p.apply("Create", Create.from(COLLECTION));
        collectAs("top1", input.apply("Top1", Top.of(0, byLength)));
        collectAs("top2", input.apply("Top2", Top.largest<string>(0)));
        collectAs("top3", input.apply("Top3", Top.smallest<string>(0)));
        const table = p.apply("CreateInputTable", Create.from(TABLE));
        collectAs("largestPerKey", table.apply("LargestPerKey", Top.largestPerKey<string, number>(0)));
        collectAs("smallestPerKey", table.apply("SmallestPerKey", Top.smallestPerKey<string, number>(0)));
      });
      assert.deepEqual(out.top1, ["[]"]);
      assert.deepEqual(out.top2, ["[]"]);
      assert.deepEqual(out.top3, ["[]"]);
      assert.deepEqual(out.largestPerKey, ['{"key":"a","value":[]}', '{"key":"b","value":[]}']);
      assert.deepEqual(out.smallestPerKey, ['{"key":"a","value":[]}', '{"key":"b","value":[]}']);
    });

    it("Sample.any of 0, and of more than a window has (testSampleAnyZero, testSampleAnyInsufficientElements)", async () => {
      const out = await labelledOutputs(
        (p, collectAs) => {
          const input = p.apply("Create", Create.timestamped([0, 1, 2, 3, 4, 5].map((i) => ({ value: i, timestamp: i * 1000 })))).apply("Window", Window.into(new FixedWindows(3000)));
          collectAs("zero", input.apply("AnyZero", Sample.any<number>(0)));
          collectAs("ten", input.apply("AnyTen", Sample.any<number>(10)));
          collectAs("empty", p.apply("CreateEmpty", Create.of<number>()).apply("WindowEmpty", Window.into(new FixedWindows(3000))).apply("AnyOfEmpty", Sample.any<number>(10)));
        },
        (o) => `${String(o.value)}@${o.window}`,
        { directNumWorkers: workers },
      );
      assert.deepEqual(out.zero ?? [], []);
      assert.deepEqual(out.ten, ["0@0:3000", "1@0:3000", "2@0:3000", "3@3000:6000", "4@3000:6000", "5@3000:6000"]);
      assert.deepEqual(out.empty ?? [], []);
    });

    it("Count.perElement of nothing is nothing (testCountPerElementEmpty)", async () => {
      const out = await run((p, collectAs) => collectAs("counts", p.apply("Create", Create.of<string>()).apply("Count", Count.perElement<string>())));
      assert.deepEqual(out.counts ?? [], []);
    });

    it("Combine.perKey and Combine.globally of lambdas (testCombinePerKeyLambda, testBinaryCombinePerKeyLambda, testCombineGloballyLambda)", async () => {
      const out = await run((p, collectAs) => {
        const kvs = p.apply("CreateKvs", Create.of(kv("a", 1), kv("b", 2), kv("a", 3), kv("c", 4)));
        collectAs("perKey", kvs.apply("SumPerKey", Combine.perKey((values: number[]) => values.reduce((a, b) => a + b, 0))));
        collectAs("binary", kvs.apply("BinarySumPerKey", Combine.perKey(binaryCombineFn((a: number, b: number) => a + b, () => 0))));
        collectAs("globally", p.apply("CreateInts", Create.of(1, 2, 3, 4)).apply("SumGlobally", Combine.globally((values: number[]) => values.reduce((a, b) => a + b, 0))));
      });
      assert.deepEqual(out.perKey, ['{"key":"a","value":4}', '{"key":"b","value":2}', '{"key":"c","value":4}']);
      assert.deepEqual(out.binary, out.perKey);
      assert.deepEqual(out.globally, ["10"]);
    });
  });
}
