/**
 * A program whose PCollections hold bigints beyond 2^53 in BigIntVarIntCoder (beam:coder:varint:v1,
 * Beam's int64: Java's long, Python's int), through GroupByKey as keys and as values, and as the
 * keys of a Combine.perKey (which runners lift into phases joined by PCollections of their own), for the
 * portable and real-runner tests. Each line names the JS type of what came out, so a number where
 * a bigint belongs shows.
 */
import { Combine, Combiners, Create, definePipeline, GroupByKey, KV, kv, ParDo, StatefulDoFn, StatefulProcessContext, StateSpec, TimerContext, TimerSpec } from "../../lib";
import { BigIntVarIntCoder, StringUtf8Coder, VarIntCoder } from "../../lib/coders/primitive";
import { KVCoder } from "../../lib/coders/structural";
import { WriteToText } from "../../lib/io/textio";

/** 2^53 + 1 (not a JS number), int64's extremes, and a small one. */
const NUMBERS: readonly bigint[] = [9007199254740993n, -9223372036854775808n, 9223372036854775807n, 9007199254740993n, 42n];

const byValue = (a: bigint, b: bigint): number => (a < b ? -1 : a > b ? 1 : 0);
const show = (n: bigint): string => `${String(n)}:${typeof n}`;

/** What `bigintProgram` writes under --output: each file's sorted lines. */
export const BIGINT_EXPECTED: Readonly<Record<string, readonly string[]>> = {
  keys: [
    "-9223372036854775808:bigint => -9223372036854775807:bigint",
    "42:bigint => 43:bigint",
    "9007199254740993:bigint => 9007199254740994:bigint,9007199254740994:bigint",
    "9223372036854775807:bigint => -9223372036854775808:bigint",
  ],
  counts: ["-9223372036854775808:bigint => 1", "42:bigint => 1", "9007199254740993:bigint => 2", "9223372036854775807:bigint => 1"],
  signs: ["negative => -9223372036854775808:bigint", "positive => 42:bigint,9007199254740993:bigint,9007199254740993:bigint,9223372036854775807:bigint"],
};

export const bigintProgram = definePipeline({
  name: "portable-test-bigint",
  description: "int64 bigints (BigIntVarIntCoder) through GroupByKey, as keys and as values, and as Combine.perKey keys",
  flags: { output: { type: "string", describe: "Output folder", required: true } },
  build(root, flags) {
    const numbers = root.apply("Numbers", Create.from([...NUMBERS])).setCoder(BigIntVarIntCoder.INSTANCE);
    const int64 = BigIntVarIntCoder.INSTANCE;
    // n + 1 wraps at int64's top, as a Java long does: the value must be a bigint to add to it.
    const wrap = (n: bigint): bigint => BigInt.asIntN(64, n + 1n);
    numbers
      .map("ByNumber", (n) => kv(n, wrap(n)))
      .setCoder(new KVCoder(int64, int64))
      .apply("GroupByNumber", GroupByKey.create())
      .map("FormatKeys", (e) => `${show(e.key)} => ${[...e.value].sort(byValue).map(show).join(",")}`)
      .apply("WriteKeys", WriteToText.to(`${flags.output}/keys`));
    numbers
      .map("BySign", (n) => kv(n < 0n ? "negative" : "positive", n))
      .setCoder(new KVCoder(StringUtf8Coder.INSTANCE, int64))
      .apply("GroupBySign", GroupByKey.create())
      .map("FormatSigns", (e) => `${e.key} => ${[...e.value].sort(byValue).map(show).join(",")}`)
      .apply("WriteSigns", WriteToText.to(`${flags.output}/signs`));
    numbers
      .map("One", (n) => kv(n, 1))
      .setCoder(new KVCoder(int64, VarIntCoder.INSTANCE))
      .apply("CountPerNumber", Combine.perKey(Combiners.sum()))
      .map("FormatCounts", (e) => `${show(e.key)} => ${e.value}`)
      .apply("WriteCounts", WriteToText.to(`${flags.output}/counts`));
  },
});

/** Counts each key's elements in state and writes the count when its event-time timer fires. */
class CountAndFire extends StatefulDoFn<bigint, bigint, string> {
  readonly count = StateSpec.value<number>("count");
  readonly done = TimerSpec.eventTime("done");
  process(_e: KV<bigint, bigint>, ctx: StatefulProcessContext<string>): void {
    ctx.state(this.count).write((ctx.state(this.count).read() ?? 0) + 1);
    ctx.timer(this.done).set(ctx.timestamp);
  }
  onTimer(_timer: string, ctx: TimerContext<bigint, string>): void {
    ctx.output(`${show(ctx.key)} fired after ${ctx.state(this.count).read() ?? 0}`);
  }
}

/** What `bigintTimerProgram` writes under --output/fired (sorted). */
export const BIGINT_TIMER_EXPECTED: readonly string[] = ["-9223372036854775808:bigint fired after 1", "42:bigint fired after 1", "9007199254740993:bigint fired after 2", "9223372036854775807:bigint fired after 1"];

/** A stateful DoFn keyed by int64 bigints: runners send its timers back with the key in the timer coder (beam:coder:timer:v1). */
export const bigintTimerProgram = definePipeline({
  name: "portable-test-bigint-timers",
  description: "state and an event-time timer per int64 bigint key",
  flags: { output: { type: "string", describe: "Output folder", required: true } },
  build(root, flags) {
    const int64 = BigIntVarIntCoder.INSTANCE;
    root
      .apply("Numbers", Create.from([...NUMBERS]))
      .setCoder(int64)
      .map("Pair", (n) => kv(n, n))
      .setCoder(new KVCoder(int64, int64))
      .apply("CountAndFire", ParDo.of(new CountAndFire()))
      .apply("WriteFired", WriteToText.to(`${flags.output}/fired`));
  },
});
