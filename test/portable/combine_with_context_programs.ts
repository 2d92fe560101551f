/** A program for combines with side inputs and Combine.globally(fn).withFanout on portable runners (in-suite and real). */
import { AsSingleton, Combine, CombineFns, Combiners, Create, definePipeline, FixedWindows, Flatten, kv, KV, ParDo, PCollection, ProcessContext, Sessions, Values, Window, type CombineFnWithContext } from "../../lib";
import { IntervalWindow } from "../../lib/model/window";
import { WriteToText } from "../../lib/io/textio";

/** What `combineWithContextProgram` writes under --output: each file's sorted lines (Beam's CombineTest/CombineFnsTest expectations). */
export const COMBINE_WITH_CONTEXT_EXPECTED: Readonly<Record<string, readonly string[]>> = {
  // testSimpleCombineWithContext (per key, globally, with hot key fanout 3), and the default of an empty input with its side input.
  simple: ["empty:7:", "globally:20:111134", "hot:a=20:114", "hot:b=20:113", "perKey:a=20:114", "perKey:b=20:113"],
  // testFixedWindowsCombineWithContext
  fixed: ["globally:[0,2)=2:11", "globally:[6,8)=5:14", "globally:[8,10)=13:13", "perKey:a[0,2)=2:11", "perKey:a[6,8)=5:4", "perKey:b[6,8)=5:1", "perKey:b[8,10)=13:13"],
  // testSessionsCombineWithContext: the side input read in the merged session's window.
  sessions: ["globally:[0,15)=1:1114", "globally:[16,21)=0:13", "perKey:a[0,12)=1:114", "perKey:b[10,15)=1:1", "perKey:b[16,21)=0:13"],
  // testComposedCombineWithContext, and test_global_fanout.
  composed: ['a={"maxInt":4,"concatString":"114I"}', 'b={"maxInt":13,"concatString":"113I"}'],
  fanout: ["mean=49.5", "sumWithContext=7:190"],
};

type Acc = { readonly seed: string; readonly value: string };

/** Beam's TestCombineFnWithContext: the side input's value, then the sorted digits of the inputs. */
const withContext: CombineFnWithContext<number, Acc, string, { sum: number }> = {
  createAccumulator: (ctx) => ({ seed: String(ctx.sideInputs.sum), value: "" }),
  addInput: (acc, x, ctx) => {
    if (acc.seed !== String(ctx.sideInputs.sum)) throw new Error(`addInput saw side input ${ctx.sideInputs.sum}, the accumulator ${acc.seed}`);
    return { seed: acc.seed, value: acc.value + String(x) };
  },
  mergeAccumulators: (accs, ctx) => {
    let all = "";
    for (const a of accs) all += a.value;
    return { seed: String(ctx.sideInputs.sum), value: all };
  },
  extractOutput: (acc, ctx) => `${ctx.sideInputs.sum}:${[...acc.value].sort().join("")}`,
};

/** Beam's ConcatStringWithContext: the side input's prefix, then the sorted characters of the inputs. */
const concatWithContext: CombineFnWithContext<string, string, string, { prefix: string }> = {
  createAccumulator: (ctx) => ctx.sideInputs.prefix,
  addInput: (acc, s) => acc + s,
  mergeAccumulators: (accs, ctx) => ctx.sideInputs.prefix + [...accs].map((a) => a.slice(ctx.sideInputs.prefix.length)).join(""),
  extractOutput: (acc) => [...acc].sort().join(""),
};

function windowOf(ctx: ProcessContext<string>): string {
  return ctx.window instanceof IntervalWindow ? `[${ctx.window.start},${ctx.window.end})` : "";
}

function describe<V>(pc: PCollection<KV<string, V>>, label: string, prefix: string): PCollection<string> {
  return pc.apply(label, ParDo.into<string>().of((e: KV<string, V>, ctx: ProcessContext<string>) => ctx.output(`${prefix}:${e.key}${windowOf(ctx)}=${typeof e.value === "string" ? e.value : JSON.stringify(e.value)}`)));
}

function describeGlobal(pc: PCollection<string>, label: string, prefix: string): PCollection<string> {
  return pc.apply(label, ParDo.into<string>().of((v: string, ctx: ProcessContext<string>) => ctx.output(`${prefix}:${windowOf(ctx)}${windowOf(ctx) === "" ? "" : "="}${v}`)));
}

function flattenAll(label: string, pcs: readonly PCollection<string>[]): PCollection<string> {
  return pcs[0]!.apply(label, Flatten.with(...pcs.slice(1)));
}

const TABLE: readonly (readonly [string, number, number])[] = [
  ["a", 1, 0],
  ["a", 1, 1],
  ["a", 4, 6],
  ["b", 1, 7],
  ["b", 13, 8],
];

export const combineWithContextProgram = definePipeline({
  name: "portable-test-combine-with-context",
  description: "Combine.perKey/globally with side inputs (CombineFnWithContext), and Combine.globally(fn).withFanout",
  flags: { output: { type: "string", describe: "Output folder", required: true } },
  build(root, flags) {
    const pairs = root.apply("Pairs", Create.timestamped(TABLE.map(([k, v, t]) => ({ value: kv(k, v), timestamp: t }))));
    const values = pairs.apply("Values", Values.create<number>());
    const sum = AsSingleton(values.apply("Sum", Combine.globally(Combiners.sum())));
    const seven = AsSingleton(root.apply("Seven", Create.of(7)));
    const simple = [
      describe(pairs.apply("PerKey", Combine.perKey(withContext, { sideInputs: { sum } })), "DescribePerKey", "perKey"),
      describe(pairs.apply("Hot", Combine.perKey(withContext, { sideInputs: { sum } }).withHotKeyFanout(3)), "DescribeHot", "hot"),
      describeGlobal(values.apply("Globally", Combine.globally(withContext, { sideInputs: { sum } })), "DescribeGlobally", "globally"),
      describeGlobal(root.apply("Empty", Create.of<number>()).apply("EmptyGlobally", Combine.globally(withContext, { sideInputs: { sum: seven } })), "DescribeEmpty", "empty"),
    ];
    flattenAll("FlattenSimple", simple).apply("WriteSimple", WriteToText.to(`${flags.output}/simple`));

    const fixedPairs = pairs.apply("Fixed", Window.into(new FixedWindows(2)));
    const fixedValues = fixedPairs.apply("FixedValues", Values.create<number>());
    const fixedSum = AsSingleton(fixedValues.apply("FixedSum", Combine.globally(Combiners.sum(), { withoutDefaults: true })));
    flattenAll("FlattenFixed", [
      describe(fixedPairs.apply("FixedPerKey", Combine.perKey(withContext, { sideInputs: { sum: fixedSum } })), "DescribeFixedPerKey", "perKey"),
      describeGlobal(fixedValues.apply("FixedGlobally", Combine.globally(withContext, { sideInputs: { sum: fixedSum }, withoutDefaults: true })), "DescribeFixedGlobally", "globally"),
    ]).apply("WriteFixed", WriteToText.to(`${flags.output}/fixed`));

    const sessionPairs = root.apply("SessionPairs", Create.timestamped(([["a", 1, 0], ["a", 1, 4], ["a", 4, 7], ["b", 1, 10], ["b", 13, 16]] as const).map(([k, v, t]) => ({ value: kv<string, number>(k, v), timestamp: t }))));
    const sessionValues = sessionPairs.apply("SessionValues", Values.create<number>());
    const fixedFiveSum = sessionValues.apply("FixedFive", Window.into(new FixedWindows(5))).apply("FixedFiveSum", Combine.globally(Combiners.sum(), { withoutDefaults: true }));
    const fiveSum = AsSingleton(fixedFiveSum, { default: 0 });
    flattenAll("FlattenSessions", [
      describe(sessionPairs.apply("PerKeySessions", Window.into(new Sessions(5))).apply("SessionsPerKey", Combine.perKey(withContext, { sideInputs: { sum: fiveSum } })), "DescribeSessionsPerKey", "perKey"),
      describeGlobal(
        sessionValues.apply("GloballySessions", Window.into(new Sessions(5))).apply("SessionsGlobally", Combine.globally(withContext, { sideInputs: { sum: fiveSum }, withoutDefaults: true })),
        "DescribeSessionsGlobally",
        "globally",
      ),
    ]).apply("WriteSessions", WriteToText.to(`${flags.output}/sessions`));

    const prefix = AsSingleton(root.apply("Prefix", Create.of("I")));
    const composedInput = pairs.map("ToComposed", (e: KV<string, number>) => kv(e.key, kv(e.value, String(e.value))));
    const composed = CombineFns.compose<KV<number, string>>()
      .with("maxInt", (e) => e.key, Combiners.max<number>())
      .with("concatString", (e) => e.value, concatWithContext);
    describe(composedInput.apply("Composed", Combine.perKey(composed, { sideInputs: { prefix } })), "DescribeComposed", "")
      .map("StripPrefix", (s: string) => s.slice(1))
      .apply("WriteComposed", WriteToText.to(`${flags.output}/composed`));

    const hundred = root.apply("Hundred", Create.from(Array.from({ length: 100 }, (_, i) => i)));
    flattenAll("FlattenFanout", [
      hundred.apply("Mean", Combine.globally(Combiners.mean()).withFanout(11)).map("DescribeMean", (m: number) => `mean=${m}`),
      hundred.apply("FanoutWithContext", Combine.globally(withContext, { sideInputs: { sum: seven } }).withFanout(4)).map("DescribeFanoutWithContext", (s: string) => `sumWithContext=${s.slice(0, 2)}${s.length - 2}`),
    ]).apply("WriteFanout", WriteToText.to(`${flags.output}/fanout`));
  },
});
