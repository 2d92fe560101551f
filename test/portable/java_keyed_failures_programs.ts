/**
 * The Beam Java cases of test/conformance/beam_java_keyed_failures.test.ts and
 * beam_java_latest_stats.test.ts as one program, for worker threads, the Fn API harness and real
 * runners: MapKeys/MapValues (with failures and their messages), WithFailuresTest's class and
 * message, dead letters of two transforms into one sink (ErrorHandlerTest), PerKeyOrderingTest's
 * single-call cases, PCollectionTupleTest's composition, Latest of a null value, and Min/Max/Sum
 * of bigints beyond 2^53. Each result a "name=value" line, all written to one text output. With
 * --part, one of JAVA_KEYED_FAILURES_PARTS: Prism 2.66 sometimes leaves one of several concurrent
 * stateful stages unscheduled ("nothing in progress and no refreshes with non zero pending
 * elements", seen here in about half the runs), so on Prism each stateful step runs in a job of its own.
 */
import { Create, definePipeline, DoFn, Flatten, FlatMapElements, kv, Latest, MapElements, MapKeys, MapValues, Max, Min, ParDo, Reshuffle, Sum, type KV, type PCollection, type ProcessContext } from "../../lib";
import { WriteToText } from "../../lib/io/textio";
import { StatefulDoFn, StateSpec, type StatefulProcessContext } from "../../lib/model/state";

const lines = (name: string, values: readonly (string | number)[]): string[] => values.map((v) => `${name}=${v}`);
const PER_KEY = [3, -8, 123456789, 0, -1, 7, -5, 2, 8, -3, 5, -7, 1, -2, 6, -6, 4, -4];
const ALL_KEYS = Array.from({ length: 10 }, (_, i) => `k${i + 1}`);

/** The parts a job may run alone: the stateless cases, and each PerKeyOrderingTest verifier (a stateful step). */
export const JAVA_KEYED_FAILURES_PARTS = ["main", "orderedShuffled", "orderedDirect"] as const;

/** Each part's output lines: Beam Java's expectations for each case. */
const EXPECTED_BY_PART: Record<(typeof JAVA_KEYED_FAILURES_PARTS)[number], readonly string[]> = {
  main: [
    ...lines("mapKeys", ["2.5:one", "5:two", "7.5:none"]),
    ...lines("mapValues", ["dup:5", "one:2.5", "two:5"]),
    ...lines("mapKeysFailures", ["0:Length = 3", "0:Length = 4"]),
    ...lines("mapKeysFailed", ["/ by zero"]),
    ...lines("mapValuesFailures", ["Length = 3:0", "Length = 4:0"]),
    ...lines("mapValuesFailed", ["Length = 0: / by zero"]),
    ...lines("mapFailed", ["0 RangeError / by zero"]),
    ...lines("mapMain", [1]),
    ...lines("records", [2, 4, 6]),
    ...lines("badRecords", ["1 Integer was odd", "3 Integer was odd", "5 Integer was odd"]),
    ...lines("tupleMain", [-42, 3, 666]),
    ...lines("tupleExtra", [-42, 3, 666]),
    ...lines("latestNull", ["null"]),
    ...lines("longs", ["-50000000000000000", "70000000000000000"]),
    ...lines("longsSum", ["30000033123213121"]),
  ],
  orderedShuffled: lines("orderedShuffled", ALL_KEYS.map((k) => `${k}:true`)),
  orderedDirect: lines("orderedDirect", ALL_KEYS.map((k) => `${k}:true`)),
};

/** The output lines, sorted, of `part` (or of the whole program). */
export function javaKeyedFailuresExpected(part: (typeof JAVA_KEYED_FAILURES_PARTS)[number] | "all" = "all"): string[] {
  return (part === "all" ? Object.values(EXPECTED_BY_PART).flat() : [...EXPECTED_BY_PART[part]]).sort();
}

/** Java's integer division 1 / n: it throws on 0. */
const oneOver = (n: number): number => {
  if (n === 0) throw new RangeError("/ by zero");
  return Math.trunc(1 / n);
};

/** BRHEnabledPTransform's OddIsBad: even numbers out, odd ones to the dead-letter output `bad`. */
class OddIsBad extends DoFn<number, number, { bad: { record: number; description: string } }> {
  process(n: number, ctx: ProcessContext<number, { bad: { record: number; description: string } }>): void {
    if (n % 2 === 0) ctx.output(n);
    else ctx.outputTo("bad", { record: n, description: "Integer was odd" });
  }
}

/** PerKeyOrderingTest's VerifyDoFn: true once a key's values came in `expected`'s order, false at the first out of order. */
class VerifyOrder extends StatefulDoFn<string, number, KV<string, boolean>> {
  readonly matched = StateSpec.value<number>("matchedElements");
  process(e: KV<string, number>, ctx: StatefulProcessContext<KV<string, boolean>>): void {
    const matched = ctx.state(this.matched).read() ?? 0;
    if (matched === -1) return;
    if (matched >= PER_KEY.length) throw new Error("Got more elements than expected!");
    if (PER_KEY[matched] !== e.value) {
      ctx.state(this.matched).write(-1);
      ctx.output(kv(e.key, false));
      return;
    }
    ctx.state(this.matched).write(matched + 1);
    if (matched + 1 === PER_KEY.length) ctx.output(kv(e.key, true));
  }
}

export const javaKeyedFailuresProgram = definePipeline({
  name: "portable-test-java-keyed-failures",
  description: "Beam Java's MapKeys/MapValues, WithFailures, ErrorHandler, PerKeyOrdering, PCollectionTuple, Latest and stats cases",
  flags: {
    output: { type: "string", describe: "Output folder", required: true },
    part: { type: "string", describe: `all, or one of ${JAVA_KEYED_FAILURES_PARTS.join(", ")}`, default: "all" },
  },
  build(root, flags) {
    const runs = (part: (typeof JAVA_KEYED_FAILURES_PARTS)[number]) => flags.part === "all" || flags.part === part;
    const out: PCollection<string>[] = [];
    const emit = <T>(name: string, pc: PCollection<T>, show: (x: T) => string = String) => out.push(pc.map(`Show ${name} ${out.length}`, (x: T) => `${name}=${show(x)}`));
    const showKv = (e: KV<unknown, unknown>) => `${e.key}:${e.value}`;

    if (runs("main")) {
      emit("mapKeys", root.apply("KeysTable", Create.of(kv(1, "one"), kv(2, "two"), kv(3, "none"))).apply("MapKeys", MapKeys.via((k: number) => k * 2.5)), showKv);
      emit("mapValues", root.apply("ValuesTable", Create.of(kv("one", 1), kv("two", 2), kv("dup", 2))).apply("MapValues", MapValues.via((v: number) => v * 2.5)), showKv);
      const keys = root
        .apply("KeyWords", Create.of(kv("one", "Length = 3"), kv("three", "Length = 4"), kv("", "Length = 0")))
        .apply("MapKeysFailing", MapKeys.via((w: string) => oneOver(w.length)).withExceptionHandling());
      emit("mapKeysFailures", keys.main, showKv);
      emit("mapKeysFailed", keys.failed, (f) => f.message);
      const values = root
        .apply("ValueWords", Create.of(kv("Length = 3", "one"), kv("Length = 4", "three"), kv("Length = 0", "")))
        .apply("MapValuesFailing", MapValues.via((w: string) => oneOver(w.length)).withExceptionHandling());
      emit("mapValuesFailures", values.main, showKv);
      emit("mapValuesFailed", values.failed, (f) => `${f.element.key}: ${f.message}`);
      const mapped = root.apply("ZeroOne", Create.of(0, 1)).apply("MapFailing", MapElements.via(oneOver).withExceptionHandling());
      emit("mapMain", mapped.main);
      emit("mapFailed", mapped.failed, (f) => `${f.element} ${f.errorName} ${f.message}`);

      const bad = () => ParDo.of(new OddIsBad(), { deadLetters: { bad: { reason: (b) => b.description } } }).withOutputs("bad");
      const first = root.apply("Records", Create.of(1, 2, 3, 4)).apply("BRH", bad());
      const second = root.apply("More", Create.of(5, 6)).apply("BRH2", bad());
      emit("records", root.apply("AllRecords", Flatten.pCollections(first.main, second.main)));
      emit("badRecords", root.apply("AllBad", Flatten.pCollections(first.bad, second.bad)), (b) => `${b.record} ${b.description}`);
    }
    const generated = root
      .apply("OrderKeys", Create.from(ALL_KEYS))
      .apply("Pairs", MapElements.via((k: string) => kv(k, 0)))
      .apply("ShuffleByKey", Reshuffle.viaRandomKey<KV<string, number>>())
      .apply("Generate", FlatMapElements.via((e: KV<string, number>) => PER_KEY.map((n) => kv(e.key, n))));
    if (runs("orderedShuffled")) emit("orderedShuffled", generated.apply("Reshuffle", Reshuffle.viaRandomKey<KV<string, number>>()).apply("Verify", ParDo.of(new VerifyOrder())), showKv);
    if (runs("orderedDirect")) emit("orderedDirect", generated.apply("VerifyDirect", ParDo.of(new VerifyOrder())), showKv);

    if (runs("main")) {
      const input = root.apply("TupleInput", Create.of(3, -42, 666));
      const outputs = input.apply(
        "Extra",
        ParDo.into<number, { extra: number }>()
          .of((n: number, ctx: ProcessContext<number, { extra: number }>) => ctx.outputTo("extra", n))
          .withOutputs("extra"),
      );
      const composed = { ...outputs, mainInput: input };
      emit("tupleMain", composed.mainInput);
      emit("tupleExtra", composed.extra);
      emit("tupleEmpty", composed.main);

      const stamped = root.apply("Stamped", Create.timestamped<number | null>([{ value: 1, timestamp: 3 }, { value: null, timestamp: 5 }]));
      emit("latestNull", stamped.apply("Latest", Latest.globally()));
      const longs = root.apply("Longs", Create.of(0n, 10000000000000000n, -50000000000000000n, 70000000000000000n, 33123213121n));
      emit("longs", longs.apply("MinLongs", Min.globally<bigint>()));
      emit("longs", longs.apply("MaxLongs", Max.globally<bigint>()));
      emit("longsSum", longs.apply("SumLongs", Sum.bigIntsGlobally()));
    }
    root.apply("All", Flatten.pCollections(...out)).apply("Write", WriteToText.to(`${flags.output}/out`));
  },
});
