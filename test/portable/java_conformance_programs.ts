/**
 * A selection of the Beam Java ValidatesRunner cases ported in test/conformance/beam_java_*.test.ts,
 * as one program for real runners: windowed views (ViewTest), WindowingTest's counts, Reshuffle,
 * Top of 0, a tagged output at a timestamp, timers after a grouping and the key in onTimer
 * (ParDoTest), side inputs of an element in several windows, and a Flatten of inputs with
 * different coders. Each result a "name=value" line, all written to one text output.
 */
import {
  AsList,
  AsMap,
  AsSingleton,
  Combine,
  Combiners,
  Count,
  Create,
  definePipeline,
  FixedWindows,
  Flatten,
  GlobalWindows,
  GroupByKey,
  IntervalWindow,
  kv,
  ParDo,
  Reshuffle,
  Sessions,
  SlidingWindows,
  Top,
  Values,
  Window,
  type KV,
  type PCollection,
  type WindowFn,
} from "../../lib";
import { DoubleCoder, VarIntCoder } from "../../lib/coders/primitive";
import { NullableCoder } from "../../lib/coders/structural";
import { WriteToText } from "../../lib/io/textio";
import { StatefulDoFn, type StatefulProcessContext, type TimerContext, TimerSpec } from "../../lib/model/state";

const lines = (name: string, values: readonly (string | number)[]): string[] => values.map((v) => `${name}=${v}`);

/** The program's output lines, sorted: Beam Java's expectations for each case. */
export const JAVA_CONFORMANCE_EXPECTED: readonly string[] = [
  ...lines("windowedSingleton", [47, 47, 48]),
  ...lines("windowedList", [11, 13, 17, 23, 31, 33, 37, 43]),
  ...lines("windowedMap", ["a:1", "b:2", "b:3"]),
  ...lines("sideWindowNotPresent", ["0@[0,10000)"]),
  ...lines("partitioning", ["a:1:1:[0..10)", "b:2:2:[0..10)", "c:1:11:[10..20)", "d:1:11:[10..20)"]),
  ...lines("nonPartitioning", ["a:1:1:[-5..5)", "a:1:7:[5..15)", "a:2:1:[0..10)", "b:1:8:[0..10)", "b:1:8:[5..15)"]),
  ...lines("merging", ["a:1:20:[20..30)", "a:2:1:[1..15)"]),
  ...lines("reshuffle", ["k1=3@0[0,600000)", "k1=4@240000[0,600000)", "k2=66@720000[600000,1200000)", "k3=0@960000[600000,1200000)"]),
  ...lines("topZero", ["[]"]),
  ...lines("topZeroPerKey", ["a:[]", "b:[]"]),
  ...lines("taggedTimestamp", ["3@3", "42@42", "6@6"]),
  ...lines("gbkThenTimers", [3, 42]),
  ...lines("keyInOnTimer", [1, 2]),
  ...lines("multipleWindows", [0, 1, 2, 3, 4].map((i) => `a:1[${-i * 1000},${-i * 1000 + 5000})`)),
  ...lines("flattenCoders", ["0", "0", "1", "1", "2", "3", "null"]),
].sort();

/** Beam's WindowedCount (WindowingTest): EARLIEST timestamps, counts per element and window. */
function windowedCount(root: PCollection<string>, label: string, fn: WindowFn): PCollection<string> {
  return root
    .apply(`Window${label}`, Window.into(fn, { timestampCombiner: "EARLIEST" }))
    .apply(`Count${label}`, Count.perElement<string>())
    .apply(
      `Format${label}`,
      ParDo.into<string>().of((e: KV<string, number>, ctx) => {
        const w = ctx.window as IntervalWindow;
        ctx.output(`${e.key}:${e.value}:${ctx.timestamp}:[${w.start}..${w.end})`);
      }),
    );
}

class AfterGbk extends StatefulDoFn<string, number[], number> {
  readonly foo = TimerSpec.eventTime("foo");
  process(_e: KV<string, number[]>, ctx: StatefulProcessContext<number>): void {
    ctx.timer(this.foo).offset(1000);
    ctx.output(3);
  }
  onTimer(_t: string, ctx: TimerContext<string, number>): void {
    if (ctx.timeDomain === "EVENT_TIME") ctx.output(42);
  }
}

class KeyInOnTimer extends StatefulDoFn<string, number, number> {
  readonly foo = TimerSpec.eventTime("foo");
  process(_e: KV<string, number>, ctx: StatefulProcessContext<number>): void {
    ctx.timer(this.foo).set(1);
  }
  onTimer(_t: string, ctx: TimerContext<string, number>): void {
    ctx.output(Number.parseInt(ctx.key, 10));
  }
}

export const javaConformanceProgram = definePipeline({
  name: "portable-test-java-conformance",
  description: "A selection of Beam Java's ValidatesRunner cases",
  flags: {
    output: { type: "string", describe: "Output folder", required: true },
  },
  build(root, flags) {
    const out: PCollection<string>[] = [];
    const emit = <T>(name: string, pc: PCollection<T>, show: (x: T) => string = String) => out.push(pc.map(`Show ${name}`, (x: T) => `${name}=${show(x)}`));
    const stamped = <T>(label: string, values: [T, number][]) => root.apply(label, Create.timestamped(values.map(([value, timestamp]) => ({ value, timestamp }))));
    const tenMs = new FixedWindows(10);

    // ViewTest: windowed singleton, list and map views.
    const singletonSide = stamped("Side47", [[47, 1], [48, 11]]).apply("SideWindow47", Window.into(tenMs));
    const singletonMain = stamped("Main123", [[1, 4], [2, 8], [3, 12]]).apply("MainWindow123", Window.into(tenMs));
    emit("windowedSingleton", singletonMain.apply("ReadSingleton", ParDo.into<number>().of((_x, ctx) => ctx.output(ctx.sideInputs.view), { sideInputs: { view: AsSingleton(singletonSide) } })));
    const listSide = stamped("ListSide", [11, 13, 17, 23].map((v): [number, number] => [v, 1]).concat([31, 33, 37, 43].map((v): [number, number] => [v, 11]))).apply("ListSideWindow", Window.into(tenMs));
    const listMain = stamped("ListMain", [[29, 1], [35, 11]]).apply("ListMainWindow", Window.into(tenMs));
    emit(
      "windowedList",
      listMain.apply(
        "ReadList",
        ParDo.into<number>().of(
          (_x, ctx) => {
            for (const i of ctx.sideInputs.view) ctx.output(i);
          },
          { sideInputs: { view: AsList(listSide) } },
        ),
      ),
    );
    const mapSide = stamped("MapSide", [[kv("a", 1), 1], [kv("b", 2), 4], [kv("b", 3), 18]]).apply("MapSideWindow", Window.into(tenMs));
    const mapMain = stamped("MapMain", [[2, 5], [1, 16]]).apply("MapMainWindow", Window.into(tenMs));
    emit(
      "windowedMap",
      mapMain.apply(
        "ReadMap",
        ParDo.into<string>().of(
          (_x, ctx) => {
            for (const [k, v] of ctx.sideInputs.view) ctx.output(`${k}:${v}`);
          },
          { sideInputs: { view: AsMap(mapSide) } },
        ),
      ),
    );
    // testWindowedSideInputNotPresent, from Create: the main window [0, 10s) finds its side window empty.
    const notPresentInput = stamped("NotPresentInput", [[kv(1000, 1000), 1000]]);
    const sums = notPresentInput
      .apply("NotPresentValues", Values.create<number>())
      .apply("NotPresentSideWindow", Window.into(new FixedWindows(100_000)))
      .apply("NotPresentSum", Combine.globally(Combiners.sum(), { withoutDefaults: true }))
      .apply("NotPresentRewindow", Window.into(new FixedWindows(10_000)));
    const grouped = notPresentInput.apply("NotPresentMainWindow", Window.into(new FixedWindows(10_000))).apply("NotPresentGroup", GroupByKey.create<number, number>());
    emit(
      "sideWindowNotPresent",
      grouped.apply(
        "NotPresentRead",
        ParDo.into<string>().of(
          (_kv, ctx) => {
            const w = ctx.window as IntervalWindow;
            ctx.output(`${ctx.sideInputs.view}@[${w.start},${w.end})`);
          },
          { sideInputs: { view: AsSingleton(sums, { default: 0 }) } },
        ),
      ),
    );

    // WindowingTest.
    emit("partitioning", windowedCount(stamped("Partitioning", [["a", 1], ["b", 2], ["b", 3], ["c", 11], ["d", 11]]), "Partitioning", new FixedWindows(10)));
    emit("nonPartitioning", windowedCount(stamped("NonPartitioning", [["a", 1], ["a", 7], ["b", 8]]), "NonPartitioning", new SlidingWindows(10, 5)));
    emit("merging", windowedCount(stamped("Merging", [["a", 1], ["a", 5], ["a", 20]]), "Merging", new Sessions(10)));

    // ReshuffleTest.testReshuffleAfterFixedWindows: elements keep their timestamps and windows.
    const reshuffled = stamped("ReshuffleInput", [[kv("k1", 3), 0], [kv("k1", 4), 240_000], [kv("k2", 66), 720_000], [kv("k3", 0), 960_000]])
      .apply("ReshuffleWindow", Window.into(new FixedWindows(600_000)))
      .apply("Reshuffle", Reshuffle.viaRandomKey());
    emit(
      "reshuffle",
      reshuffled.apply(
        "DescribeReshuffled",
        ParDo.into<string>().of((e: KV<string, number>, ctx) => {
          const w = ctx.window as IntervalWindow;
          ctx.output(`${e.key}=${e.value}@${ctx.timestamp}[${w.start},${w.end})`);
        }),
      ),
    );

    // TopTest.testTopZero.
    emit("topZero", root.apply("TopInput", Create.of("a", "bb", "c")).apply("TopZero", Top.largest<string>(0)), (xs) => JSON.stringify(xs));
    emit("topZeroPerKey", root.apply("TopTable", Create.of(kv("a", 1), kv("a", 2), kv("b", 1))).apply("TopZeroPerKey", Top.largestPerKey<string, number>(0)), (e) => `${e.key}:${JSON.stringify(e.value)}`);

    // ParDoTest.testParDoTaggedOutputWithTimestamp.
    const tagged = root
      .apply("TaggedInput", Create.of(3, 42, 6))
      .apply("Tagged", ParDo.into<number, { additional: number }>().of((x: number, ctx) => ctx.outputToWithTimestamp("additional", x, x)).withOutputs("additional"));
    emit("taggedTimestamp", tagged.additional.apply("StampOf", ParDo.into<string>().of((x, ctx) => ctx.output(`${x}@${ctx.timestamp}`))));

    // ParDoTest.TimerTests: testGbkFollowedByUserTimers, testKeyInOnTimer.
    emit("gbkThenTimers", root.apply("GbkTimersInput", Create.of(kv("hello", 37))).apply("GbkTimersGroup", GroupByKey.create<string, number>()).apply("GbkTimers", ParDo.of(new AfterGbk())));
    emit("keyInOnTimer", root.apply("KeyInput", Create.of(kv("1", 37), kv("2", 3))).apply("KeyInOnTimer", ParDo.of(new KeyInOnTimer())));

    // ParDoTest.testSideInputsWithMultipleWindows (at time 0).
    const view = AsSingleton(root.apply("MultiSide", Create.of(1)));
    const multi = stamped("MultiMain", [["a", 0]]).apply("MultiWindow", Window.into(new SlidingWindows(5000, 1000)));
    emit(
      "multipleWindows",
      multi.apply(
        "MultiRead",
        ParDo.into<string>().of(
          (x, ctx) => {
            const w = ctx.window as IntervalWindow;
            ctx.output(`${x}:${ctx.sideInputs.view}[${w.start},${w.end})`);
          },
          { sideInputs: { view } },
        ),
      ),
    );

    // FlattenTest.testFlattenMultipleCoders.
    const doubles = root.apply("Doubles", Create.of<number | null>(0, 1, null, 2)).setCoder(new NullableCoder(DoubleCoder.INSTANCE));
    const varints = root.apply("Varints", Create.of<number | null>(0, 1, 3)).setCoder(new NullableCoder(VarIntCoder.INSTANCE));
    emit("flattenCoders", root.apply("FlattenCoders", Flatten.pCollections(doubles, varints)).setCoder(new NullableCoder(VarIntCoder.INSTANCE)));

    const global = out.map((pc, i) => pc.apply(`Global${i}`, Window.into<string>(new GlobalWindows())));
    root.apply("All", Flatten.pCollections(...global)).apply("Write", WriteToText.to(`${flags.output}/out`));
  },
});
