/** A program for Combine.perKey(fn).withHotKeyFanout on portable runners (in-suite and real). */
import { Combine, Combiners, Create, definePipeline, FixedWindows, Flatten, kv, KV, ParDo, PCollection, ProcessContext, Reify, Sessions, Window, type CombineFn } from "../../lib";
import type { ValueInSingleWindow } from "../../lib/coders/value_in_single_window";
import { IntervalWindow } from "../../lib/model/window";
import { WriteToText } from "../../lib/io/textio";

/** What `hotKeyFanoutProgram` writes under --output: each file's sorted lines. */
export const HOT_KEY_FANOUT_EXPECTED: Readonly<Record<string, readonly string[]>> = {
  means: ["cold:a=2", "cold:b=7", "hot:a=2", "hot:b=7", "warm:a=2", "warm:b=7"],
  sessions: ["a=13@12[1,13)", "a=30@34[30,35)", "b=4@8[4,9)"],
  // The windows each value was in, read from its reified window (a class instance only its own coder keeps).
  reified: ["a=18 in 0,10", "b=4 in 0"],
};

/** Sums reified values and notes the start of each value's window (which must still be an IntervalWindow). */
const sumWithWindows: CombineFn<ValueInSingleWindow<number>, { sum: number; starts: number[] }, string> = {
  createAccumulator: () => ({ sum: 0, starts: [] }),
  addInput: (acc, v) => {
    if (!(v.window instanceof IntervalWindow)) throw new Error(`the reified window of ${v.value} reached the combine as ${JSON.stringify(v.window)}, not an IntervalWindow`);
    return { sum: acc.sum + v.value, starts: [...acc.starts, v.window.start] };
  },
  mergeAccumulators: (accs) => {
    let sum = 0;
    const starts: number[] = [];
    for (const a of accs) {
      sum += a.sum;
      starts.push(...a.starts);
    }
    return { sum, starts };
  },
  extractOutput: (acc) => `${acc.sum} in ${[...new Set(acc.starts)].sort((x, y) => x - y).join(",")}`,
};

function describe<V>(pc: PCollection<KV<string, V>>, label: string, withWindow: boolean): PCollection<string> {
  return pc.apply(
    label,
    ParDo.into<string>().of((e: KV<string, V>, ctx: ProcessContext<string>) => {
      const w = ctx.window as IntervalWindow;
      ctx.output(withWindow ? `${e.key}=${String(e.value)}@${ctx.timestamp}[${w.start},${w.end})` : `${e.key}=${String(e.value)}`);
    }),
  );
}

/** Means (no, per-key and constant fanout), session sums, and a combine of reified windows, each with hot key fanout. */
export const hotKeyFanoutProgram = definePipeline({
  name: "portable-test-hot-key-fanout",
  description: "Combine.perKey(fn).withHotKeyFanout",
  flags: { output: { type: "string", describe: "Output folder", required: true } },
  build(root, flags) {
    const five = [kv("a", 1), kv("a", 1), kv("a", 4), kv("b", 1), kv("b", 13)];
    const pairs = root.apply("Pairs", Create.from(Array.from({ length: 10 }, () => five).flat()));
    const means = [
      ["cold", pairs.apply("ColdMean", Combine.perKey(Combiners.mean()).withHotKeyFanout(0))],
      ["warm", pairs.apply("WarmMean", Combine.perKey(Combiners.mean()).withHotKeyFanout((k: string) => (k === "a" ? 3 : 0)))],
      ["hot", pairs.apply("HotMean", Combine.perKey(Combiners.mean()).withHotKeyFanout(5))],
    ] as const;
    const described = means.map(([name, pc]) => describe(pc, `Describe${name}`, false).map(`Name${name}`, (line: string) => `${name}:${line}`));
    described[0]!.apply("FlattenMeans", Flatten.with(described[1]!, described[2]!)).apply("WriteMeans", WriteToText.to(`${flags.output}/means`));

    const timestamped = (label: string, values: readonly [string, number][]) =>
      root.apply(label, Create.timestamped(values.map(([key, t]) => ({ value: kv(key, t), timestamp: t }))));
    const sessions = timestamped("SessionValues", [["a", 1], ["a", 8], ["a", 4], ["b", 4], ["a", 30]])
      .apply("Sessions", Window.into(new Sessions(5)))
      .apply("SessionSums", Combine.perKey(Combiners.sum()).withHotKeyFanout(3));
    describe(sessions, "DescribeSessions", true).apply("WriteSessions", WriteToText.to(`${flags.output}/sessions`));

    const reified = timestamped("ReifiedValues", [["a", 1], ["a", 5], ["a", 12], ["b", 4]])
      .apply("Fixed", Window.into(new FixedWindows(10)))
      .apply("Reify", Reify.windowsInValue<string, number>())
      .apply("OneWindow", Window.into(new FixedWindows(1_000_000)))
      .apply("CombineReified", Combine.perKey(sumWithWindows).withHotKeyFanout((k: string) => (k === "a" ? 3 : 0)));
    describe(reified, "DescribeReified", false).apply("WriteReified", WriteToText.to(`${flags.output}/reified`));
  },
});
