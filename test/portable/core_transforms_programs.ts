/**
 * A program of Beam's core shorthand transforms (Sets, Mean/Sum/Min/Max, Flatten.iterables,
 * Filter's comparisons), for running on worker threads, through the Fn API harness and on real
 * runners: each result a "name=value" line, all written to one text output.
 */
import { Combine, Create, definePipeline, FieldType, Filter, FixedWindows, Flatten, GlobalWindows, kv, Max, Mean, Min, RowCoder, Schema, Sets, Sum, Window, type PCollection } from "../../lib";
import { BigIntVarIntCoder } from "../../lib/coders/primitive";
import { IterableCoder } from "../../lib/coders/structural";
import { WriteToText } from "../../lib/io/textio";
import { IntervalWindow } from "../../lib/model/window";
import { ParDo } from "../../lib/model/pardo";
import type { ProcessContext } from "../../lib/model/dofn";

const FIRST = ["a", "a", "a", "b", "b", "c", "d", "d", "g", "g", "h", "h"];
const SECOND = ["a", "a", "b", "b", "b", "c", "d", "d", "e", "e", "f", "f"];
const ALPHABET = Schema.of({ alphabet: FieldType.STRING });

const lines = (name: string, values: readonly (string | number)[]): string[] => values.map((v) => `${name}=${v}`);

/** The program's output lines, sorted (SetsTest's, FilterTest's and combiners_test.py's expectations). */
export const CORE_TRANSFORMS_EXPECTED: readonly string[] = [
  ...lines("intersectDistinct", ["a", "b", "c", "d"]),
  ...lines("intersectAll", ["a", "a", "b", "b", "c", "d", "d"]),
  ...lines("exceptDistinct", ["g", "h"]),
  ...lines("exceptAll", ["a", "g", "g", "h", "h"]),
  ...lines("unionDistinct", ["a", "b", "c", "d", "e", "f", "g", "h"]),
  ...lines("unionAll", [...FIRST, ...SECOND]),
  ...lines("intersectDistinct3", ["b", "c"]),
  ...lines("rowsExceptAll", ["a", "g", "g", "h", "h"]),
  // Sets per 10 s window: [0, 10) left a, a, b / right a; [10, 20) left c / right c, c.
  ...lines("windowedIntersectAll", ["a@9999[0,10000)", "c@19999[10000,20000)"]),
  ...lines("windowedExceptAll", ["a@9999[0,10000)", "b@9999[0,10000)"]),
  ...lines("mean", [3.4]),
  ...lines("sum", [34]),
  ...lines("min", [0]),
  ...lines("max", [9]),
  ...lines("meanPerKey", ["a:2", "b:7"]),
  ...lines("sumPerKey", ["a:6", "b:14"]),
  ...lines("minPerKey", ["a:1", "b:1"]),
  ...lines("maxPerKey", ["a:4", "b:13"]),
  ...lines("callableMax", [9]),
  ...lines("callableJoin", ["a:114", "b:113"]),
  ...lines("flattenIterables", ["1", "1152921504606846976", "3"]),
  ...lines("lessThan", [1, 2, 3]),
  ...lines("greaterThanEq", [4, 5, 6, 7]),
  ...lines("equal", [4]),
].sort();

/** Each element with its timestamp and window: `value@timestamp[start,end)`. */
const describeWindowed = ParDo.into<string>().of((v: string, ctx: ProcessContext<string>) => {
  const w = ctx.window as IntervalWindow;
  ctx.output(`${v}@${ctx.timestamp}[${w.start},${w.end})`);
});

export const coreTransformsProgram = definePipeline({
  name: "portable-test-core-transforms",
  description: "Sets, Mean/Sum/Min/Max, Flatten.iterables and Filter's comparisons",
  flags: {
    output: { type: "string", describe: "Output folder", required: true },
  },
  build(root, flags) {
    const out: PCollection<string>[] = [];
    const emit = <T>(name: string, pc: PCollection<T>, show: (x: T) => string = String) => out.push(pc.map(`Show ${name}`, (x: T) => `${name}=${show(x)}`));

    const first = root.apply("First", Create.from(FIRST));
    const second = root.apply("Second", Create.from(SECOND));
    emit("intersectDistinct", first.apply("IntersectDistinct", Sets.intersectDistinct(second)));
    emit("intersectAll", first.apply("IntersectAll", Sets.intersectAll(second)));
    emit("exceptDistinct", first.apply("ExceptDistinct", Sets.exceptDistinct(second)));
    emit("exceptAll", first.apply("ExceptAll", Sets.exceptAll(second)));
    emit("unionDistinct", first.apply("UnionDistinct", Sets.unionDistinct(second)));
    emit("unionAll", first.apply("UnionAll", Sets.unionAll(second)));
    emit("intersectDistinct3", first.apply("IntersectDistinct3", Sets.intersectDistinct(second, root.apply("Third", Create.of("b", "b", "c", "f")))));
    // Rows in their RowCoder (beam:coder:row:v1): the runner groups by their encoding.
    const asRows = (label: string, pc: PCollection<string>) => pc.map(label, (alphabet: string) => ({ alphabet })).setCoder(RowCoder.of(ALPHABET));
    emit("rowsExceptAll", asRows("FirstRows", first).apply("RowsExceptAll", Sets.exceptAll(asRows("SecondRows", second))), (r) => r.alphabet);

    const windowed = (label: string, values: [string, number][]) =>
      root.apply(label, Create.timestamped(values.map(([value, timestamp]) => ({ value, timestamp })))).apply(`Window${label}`, Window.into<string>(new FixedWindows(10_000)));
    const left = windowed("Left", [["a", 1000], ["a", 2000], ["b", 3000], ["c", 12_000]]);
    const right = windowed("Right", [["a", 5000], ["c", 15_000], ["c", 16_000]]);
    emit("windowedIntersectAll", left.apply("WindowedIntersectAll", Sets.intersectAll(right)).apply("DescribeIntersect", describeWindowed));
    emit("windowedExceptAll", left.apply("WindowedExceptAll", Sets.exceptAll(right)).apply("DescribeExcept", describeWindowed));

    const vals = root.apply("Vals", Create.of(6, 3, 1, 1, 9, 1, 5, 2, 0, 6));
    emit("mean", vals.apply(Mean.globally()));
    emit("sum", vals.apply(Sum.globally()));
    emit("min", vals.apply(Min.globally()));
    emit("max", vals.apply(Max.globally()));
    const pairs = root.apply("Pairs", Create.of(kv("a", 1), kv("a", 1), kv("a", 4), kv("b", 1), kv("b", 13)));
    const showKv = (e: { key: string; value: number }) => `${e.key}:${e.value}`;
    emit("meanPerKey", pairs.apply(Mean.perKey<string>()), showKv);
    emit("sumPerKey", pairs.apply(Sum.perKey<string>()), showKv);
    emit("minPerKey", pairs.apply(Min.perKey<string>()), showKv);
    emit("maxPerKey", pairs.apply(Max.perKey<string>()), showKv);
    // Plain functions of the values (Python's CombineGlobally(max), CombinePerKey(sum)).
    emit("callableMax", vals.apply("CallableMax", Combine.globally((xs: number[]) => Math.max(...xs))));
    emit("callableJoin", pairs.map("AsText", (e) => kv(e.key, String(e.value))).apply("CallableJoin", Combine.perKey((xs: string[]) => [...xs].sort().join(""))), (e) => `${e.key}:${e.value}`);

    // bigints in an IterableCoder of varints: the items keep the element coder across the runner.
    const iterables = root.apply("Iterables", Create.of([1n, 2n ** 60n], [3n])).setCoder(new IterableCoder(BigIntVarIntCoder.INSTANCE));
    emit("flattenIterables", iterables.apply(Flatten.iterables<bigint>()));

    const xs = root.apply("Xs", Create.of(1, 2, 3, 4, 5, 6, 7));
    emit("lessThan", xs.apply(Filter.lessThan(4)));
    emit("greaterThanEq", xs.apply(Filter.greaterThanEq(4)));
    emit("equal", xs.apply(Filter.equal(4)));

    // One output in the global window: the windowed lines are re-windowed before the Flatten.
    const global = out.map((pc, i) => pc.apply(`Global${i}`, Window.into<string>(new GlobalWindows())));
    root.apply("All", Flatten.pCollections(...global)).apply("Write", WriteToText.to(`${flags.output}/out`));
  },
});
