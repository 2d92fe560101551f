/**
 * Beam Java's MapKeysTest, MapValuesTest, WithFailuresTest, errorhandling/ErrorHandlerTest and
 * BadRecordRouterTest (as Beamline's dead-letter outputs), PCollectionTupleTest's composition and
 * PerKeyOrderingTest, with Beam's inputs and expected outputs, in batch (one worker and two) and
 * streaming. Java's `exceptionsVia(ee -> ee.exception().getMessage())` is `failed.map((f) => f.message)`
 * here; Java's ArithmeticException("/ by zero") is a RangeError thrown by `oneOver`.
 */
import { strict as assert } from "node:assert";
import {
  Create,
  DoFn,
  Flatten,
  FlatMapElements,
  kv,
  MapElements,
  MapKeys,
  MapValues,
  ParDo,
  PeriodicImpulse,
  RejectedElementError,
  Reshuffle,
  type KV,
  type PCollection,
  type ProcessContext,
} from "../../lib";
import type { Pipeline } from "../../lib/model/pipeline";
import { StatefulDoFn, StateSpec, type StatefulProcessContext } from "../../lib/model/state";
import { labelledOutputs, runError, timestamped, type Mode } from "./beam_helpers";

/** Java's integer division 1 / n: it throws on 0. */
const oneOver = (n: number): number => {
  if (n === 0) throw new RangeError("/ by zero");
  return Math.trunc(1 / n);
};

/** BRHEnabledPTransform's OddIsBad: even numbers out, odd ones to the dead-letter output `bad` with why. */
class OddIsBad extends DoFn<number, number, { bad: { record: number; description: string } }> {
  process(n: number, ctx: ProcessContext<number, { bad: { record: number; description: string } }>): void {
    if (n % 2 === 0) ctx.output(n);
    else ctx.outputTo("bad", { record: n, description: "Integer was odd" });
  }
}
const oddIsBad = () => ParDo.of(new OddIsBad(), { deadLetters: { bad: { reason: (b) => b.description } } }).withOutputs("bad");

/** PerKeyOrderingTest's VerifyDoFn: true for a key once its values came in `expected`'s order, false at the first out of order. */
class VerifyOrder<T> extends StatefulDoFn<string, T, KV<string, boolean>> {
  readonly matched = StateSpec.value<number>("matchedElements");
  constructor(private readonly expected: readonly T[]) {
    super();
  }
  process(e: KV<string, T>, ctx: StatefulProcessContext<KV<string, boolean>>): void {
    const matched = ctx.state(this.matched).read() ?? 0;
    if (matched === -1) return;
    if (matched >= this.expected.length) throw new Error("Got more elements than expected!");
    if (this.expected[matched] !== e.value) {
      ctx.state(this.matched).write(-1);
      ctx.output(kv(e.key, false));
      return;
    }
    ctx.state(this.matched).write(matched + 1);
    if (matched + 1 === this.expected.length) ctx.output(kv(e.key, true));
  }
}

/** PerKeyOrderingTest's StatefulOrderedGenerator: each input of a key outputs the key's next value. */
class OrderedGenerator<T> extends StatefulDoFn<string, unknown, KV<string, T>> {
  readonly index = StateSpec.value<number>("outputElements");
  constructor(private readonly values: readonly T[]) {
    super();
  }
  process(e: KV<string, unknown>, ctx: StatefulProcessContext<KV<string, T>>): void {
    const i = ctx.state(this.index).read() ?? 0;
    if (i >= this.values.length) return;
    ctx.output(kv(e.key, this.values[i]!));
    ctx.state(this.index).write(i + 1);
  }
}

/** A fixed shuffle of -8..8 and one large value (Beam shuffles them at random; any order must hold). */
const PER_KEY = [3, -8, 123456789, 0, -1, 7, -5, 2, 8, -3, 5, -7, 1, -2, 6, -6, 4, -4];
const ALL_KEYS = Array.from({ length: 10 }, (_, i) => `k${i + 1}`);
const ALL_TRUE = ALL_KEYS.map((k) => JSON.stringify(kv(k, true))).sort();

const runs: { mode: Mode; workers: number }[] = [
  { mode: "batch", workers: 1 },
  { mode: "batch", workers: 2 },
  { mode: "streaming", workers: 1 },
];

for (const { mode, workers } of runs) {
  describe(`Beam Java MapKeys, MapValues, failures and dead letters: ${mode}, ${workers} worker(s)`, () => {
    const run = (build: (p: Pipeline, out: (label: string, pc: PCollection<unknown>) => void) => void) => labelledOutputs(build, undefined, { directNumWorkers: workers });
    const create = <T>(p: Pipeline, label: string, values: readonly T[]) => timestamped(p, label, mode, values.map((value) => ({ value, timestamp: 0 })));

    it("MapKeys.via and MapValues.via (testMapKeysInto, testMapValuesInto, testMapKeysEmpty, testMapValuesEmpty)", async () => {
      const out = await run((p, collectAs) => {
        const table = create(p, "Table", [kv(1, "one"), kv(2, "two"), kv(3, "none")]);
        collectAs("keys", table.apply("Keys", MapKeys.via((k: number) => k * 2.5)));
        const values = create(p, "ValuesTable", [kv("one", 1), kv("two", 2), kv("dup", 2)]);
        collectAs("values", values.apply("Values", MapValues.via((v: number) => v * 2.5)));
        collectAs("keysEmpty", create<KV<number, string>>(p, "Empty", []).apply("KeysEmpty", MapKeys.via((k: number) => k * 1.5)));
        collectAs("valuesEmpty", create<KV<string, number>>(p, "Empty2", []).apply("ValuesEmpty", MapValues.via((v: number) => v * 1.5)));
      });
      // Java doubles the values (2.0, 4.0, 6.0); 2.5 keeps them apart from integers in JSON.
      assert.deepEqual(out.keys, ['{"key":2.5,"value":"one"}', '{"key":5,"value":"two"}', '{"key":7.5,"value":"none"}']);
      assert.deepEqual(out.values, ['{"key":"dup","value":5}', '{"key":"one","value":2.5}', '{"key":"two","value":5}']);
      assert.deepEqual(out.keysEmpty ?? [], []);
      assert.deepEqual(out.valuesEmpty ?? [], []);
    });

    it("MapKeys and MapValues with failures: the message of what threw (testMapKeysWithFailures, testMapValuesWithFailures)", async () => {
      const out = await run((p, collectAs) => {
        const keys = create(p, "Words", [kv("one", "Length = 3"), kv("three", "Length = 4"), kv("", "Length = 0")]).apply(
          "Keys",
          MapKeys.via((word: string) => oneOver(word.length)).withExceptionHandling(),
        );
        collectAs("keys", keys.main);
        collectAs("keysFailed", keys.failed.map("KeysMessage", (f) => f.message));
        const values = create(p, "Words2", [kv("Length = 3", "one"), kv("Length = 4", "three"), kv("Length = 0", "")]).apply(
          "Values",
          MapValues.via((word: string) => oneOver(word.length)).withExceptionHandling(),
        );
        collectAs("values", values.main);
        collectAs("valuesFailed", values.failed.map("ValuesMessage", (f) => `${JSON.stringify(f.element)} ${f.message}`));
      });
      assert.deepEqual(out.keys, ['{"key":0,"value":"Length = 3"}', '{"key":0,"value":"Length = 4"}']);
      assert.deepEqual(out.keysFailed, ['"/ by zero"']);
      assert.deepEqual(out.values, ['{"key":"Length = 3","value":0}', '{"key":"Length = 4","value":0}']);
      assert.deepEqual(out.valuesFailed, [JSON.stringify('{"key":"Length = 0","value":""} / by zero')]);
    });

    it("the failure keeps the element, the error's class and message (testDirectException, testExceptionAsMap: className, message, stackTrace)", async () => {
      const out = await run((p, collectAs) => {
        const mapped = create(p, "Create", [0, 1]).apply("Map", MapElements.via(oneOver).withExceptionHandling());
        collectAs("main", mapped.main);
        collectAs("failed", mapped.failed.map("AsMap", (f) => ({ key: f.element, className: f.errorName, message: f.message, hasStack: (f.stack ?? "").includes("oneOver") })));
      });
      assert.deepEqual(out.main, ["1"]);
      assert.deepEqual(out.failed, ['{"key":0,"className":"RangeError","message":"/ by zero","hasStack":true}']);
    });

    it("a thrown non-error: its preview as the message, no class name", async () => {
      const out = await run((p, collectAs) => {
        const mapped = create(p, "Create", [1]).apply(
          "Map",
          MapElements.via((n: number): number => {
            throw { code: n };
          }).withExceptionHandling(),
        );
        collectAs("failed", mapped.failed.map("Show", (f) => `${f.errorName ?? "-"} ${f.message} | ${f.reason}`));
      });
      assert.deepEqual(out.failed, [JSON.stringify('- {"code":1} | thrown: {"code":1}')]);
    });

    it("records rejected to a dead-letter output that is read, from two transforms into one sink (testErrorHandlerWithBRHTransform, testRecordingHandler)", async () => {
      const out = await run((p, collectAs) => {
        const first = create(p, "Records", [1, 2, 3, 4]).apply("BRH", oddIsBad());
        const second = create(p, "More", [5, 6]).apply("BRH2", oddIsBad());
        collectAs("records", p.apply("AllRecords", Flatten.pCollections(first.main, second.main)));
        // Java's ErrorHandler gathers the bad records of every transform registered with it: a Flatten.
        collectAs("bad", p.apply("AllBad", Flatten.pCollections(first.bad, second.bad)));
      });
      assert.deepEqual(out.records, ["2", "4", "6"]);
      assert.deepEqual(out.bad, ['{"record":1,"description":"Integer was odd"}', '{"record":3,"description":"Integer was odd"}', '{"record":5,"description":"Integer was odd"}']);
    });

    it("an unread dead-letter output fails the run on the first rejected record, naming the step (testBRHEnabledPTransform, testThrowingHandlerWithException)", async () => {
      const error = await runError((p) => {
        create(p, "Records", [1, 2, 3, 4]).apply("BRH", oddIsBad());
      });
      assert.ok(error instanceof RejectedElementError, String(error));
      assert.equal(error.transformPath, "BRH");
      assert.equal(error.reason, "Integer was odd");
    });

    it("a ParDo's outputs composed with its input (PCollectionTupleTest.testComposePCollectionTuple)", async () => {
      const out = await run((p, collectAs) => {
        const input = create(p, "Create", [3, -42, 666]);
        const outputs = input.apply(
          "Extra",
          ParDo.into<number, { extra: number }>()
            .of((n: number, ctx: ProcessContext<number, { extra: number }>) => ctx.outputTo("extra", n))
            .withOutputs("extra"),
        );
        const composed = { ...outputs, mainInput: input };
        collectAs("main", composed.mainInput);
        collectAs("extra", composed.extra);
        collectAs("empty", composed.main);
      });
      assert.deepEqual(out.main, ["-42", "3", "666"]);
      assert.deepEqual(out.extra, ["-42", "3", "666"]);
      assert.deepEqual(out.empty ?? [], []);
    });

    it("one call's outputs reach a stateful DoFn in order per key, with and without a Reshuffle (testSingleCallOrderingWithShuffle, testSingleCallOrderingWithoutShuffle)", async () => {
      const out = await run((p, collectAs) => {
        const seeds = create(p, "Keys", ALL_KEYS)
          .apply("Pairs", MapElements.via((k: string) => kv(k, 0)))
          .apply("ShuffleByKey", Reshuffle.viaRandomKey<KV<string, number>>());
        const generated = seeds.apply("Generate", FlatMapElements.via((e: KV<string, number>) => PER_KEY.map((n) => kv(e.key, n))));
        collectAs("shuffled", generated.apply("Reshuffle", Reshuffle.viaRandomKey<KV<string, number>>()).apply("Verify", ParDo.of(new VerifyOrder(PER_KEY))));
        collectAs("direct", generated.apply("VerifyDirect", ParDo.of(new VerifyOrder(PER_KEY))));
      });
      assert.deepEqual(out.shuffled, ALL_TRUE);
      assert.deepEqual(out.direct, ALL_TRUE);
    });
  });
}

for (const workers of [1, 2]) {
  describe(`Beam Java PerKeyOrderingTest over PeriodicImpulse: ${workers} worker(s)`, () => {
    it("a stateful generator's outputs, one per firing, reach the verifier in order per key (testMultipleStatefulOrderingWithShuffle, testMultipleStatefulOrderingWithoutShuffle)", async () => {
      const out = await labelledOutputs(
        (p, collectAs) => {
          const seeds = p
            .apply("Impulse", PeriodicImpulse.create().startAt(0).withInterval(1000).stopAt(PER_KEY.length * 1000))
            .apply("AllKeys", FlatMapElements.via(() => ALL_KEYS.map((k) => kv(k, 0))));
          const generated = seeds.apply("ShuffleByKey", Reshuffle.viaRandomKey<KV<string, number>>()).apply("Generate", ParDo.of(new OrderedGenerator(PER_KEY)));
          collectAs("shuffled", generated.apply("Reshuffle", Reshuffle.viaRandomKey<KV<string, number>>()).apply("Verify", ParDo.of(new VerifyOrder(PER_KEY))));
          collectAs("direct", seeds.apply("GenerateDirect", ParDo.of(new OrderedGenerator(PER_KEY))).apply("VerifyDirect", ParDo.of(new VerifyOrder(PER_KEY))));
        },
        undefined,
        { directNumWorkers: workers },
      );
      assert.deepEqual(out.shuffled, ALL_TRUE);
      assert.deepEqual(out.direct, ALL_TRUE);
    });
  });
}
