/**
 * A selection of the Beam Python fn_runner_test.py ports (test/conformance/beam_py_fn_runner_*.test.ts)
 * as programs for real runners: timers set twice and re-set from their callback, a cleared timer,
 * dynamic timers, combining and read-modify-write state, splittable DoFns that checkpoint (with a
 * truncateRestriction a run that does not drain must not call), windowed and multimap side inputs,
 * sessions and a gauge; each result a "name=value" line, all written to one text output. Also a
 * program that fails in user code, and one with gauge and counter metrics.
 */
import { AsList, AsMultimap, Create, definePipeline, Flatten, FixedWindows, GlobalWindows, GroupByKey, kv, Metrics, ParDo, Sessions, Window, type KV, type PCollection } from "../../lib";
import { WriteToText } from "../../lib/io/textio";
import { AddIndex, CheckpointingStrings, ClearingTimerDoFn, DynamicTimerDoFn, ExpandingStringsDoFn, TimerDoFn, TruncatingSdf } from "../conformance/fn_runner_dofns";

const lines = (name: string, values: readonly (string | number)[]): string[] => values.map((v) => `${name}=${v}`);
const range = (a: number, b: number): number[] => Array.from({ length: b - a }, (_, i) => a + i);
const DATA = ["abc", "defghijklmno", "pqrstuv", "wxyz"];

/** The program's output lines, sorted: Beam Python's expectations for each case. */
export const FN_RUNNER_EXPECTED: readonly string[] = [
  ...lines("timers", ["fired@20", "fired@200", "fired@40", "fired@400"]),
  ...lines("timersClear", ["fired@20", "fired@200"]),
  ...lines("dynamicTimer", ["key1@10", "key2@20", "key3@30"]),
  ...lines("stateOnly", ["A,a,1,a:1", "A,a,2,a:2", "B,b,1,b:1", "B,b,2,b:2", "B,b,3,b:3"]),
  ...lines("sdf", [...DATA.join("")]),
  ...lines("sdfCheckpointing", [...DATA.join("")]),
  ...lines("sdfNotDrained", range(0, 10)),
  ...lines("windowedSide", range(0, 10).map((x) => `${x}:${(x < 5 ? range(0, 7) : range(7, 10)).join(",")}`)),
  ...lines("multimap", ["a:1,3:1,2,3", "b:2:1,2,3"]),
  ...lines("sessions", ["k:1000,2000", "k:100000,101000,102000"]),
].sort();

export const fnRunnerProgram = definePipeline({
  name: "portable-test-fn-runner",
  description: "A selection of Beam Python's fn_runner_test.py cases",
  flags: { output: { type: "string", describe: "Output folder", required: true } },
  build(root, flags) {
    const out: PCollection<string>[] = [];
    const emit = <T>(name: string, pc: PCollection<T>, show: (x: T) => string = String) => out.push(pc.map(`Show ${name}`, (x: T) => `${name}=${show(x)}`));
    const withTimestamp = (name: string, pc: PCollection<string>) => out.push(pc.apply(`Show ${name}`, ParDo.into<string>().of((x: string, ctx) => ctx.output(`${name}=${x}@${ctx.timestamp}`))));

    // test_pardo_timers, test_pardo_timers_clear, test_pardo_dynamic_timer.
    const timerInput = root.apply("TimerInput", Create.of(kv("k1", 10), kv("k2", 100)));
    withTimestamp("timers", timerInput.apply("Timers", ParDo.of(new TimerDoFn())));
    withTimestamp("timersClear", timerInput.apply("TimersClear", ParDo.of(new ClearingTimerDoFn())));
    emit("dynamicTimer", root.apply("DynamicInput", Create.of(kv("key1", 10), kv("key2", 20), kv("key3", 30))).apply("Dynamic", ParDo.of(new DynamicTimerDoFn())), ([tag, t]) => `${tag}@${t}`);

    // test_pardo_state_only.
    emit("stateOnly", root.apply("StateInput", Create.of(kv("A", "a"), kv("A", "a"), kv("B", "b"), kv("B", "b"), kv("B", "b"))).apply("AddIndex", ParDo.of(new AddIndex())), (r) => r.join(","));

    // test_sdf, test_sdf_with_sdf_initiated_checkpointing, test_sdf_with_truncate (not draining).
    const strings = root.apply("Strings", Create.from(DATA));
    emit("sdf", strings.apply("Expand", ParDo.splittable(new ExpandingStringsDoFn())));
    emit("sdfCheckpointing", strings.apply("ExpandCheckpointing", ParDo.splittable(new CheckpointingStrings(false))));
    emit("sdfNotDrained", root.apply("Ten", Create.of(10)).apply("Truncating", ParDo.splittable(new TruncatingSdf(3))));

    // test_pardo_windowed_side_inputs.
    const pcoll = root.apply("Numbers", Create.timestamped(range(0, 10).map((t) => ({ value: t, timestamp: t * 1000 }))));
    const main = pcoll.apply("WindowMain", Window.into(new FixedWindows(5000)));
    const side = pcoll.apply("WindowSide", Window.into(new FixedWindows(7000)));
    emit("windowedSide", main.apply("ReadWindowed", ParDo.into<string>().of((x: number, ctx) => ctx.output(`${x}:${[...ctx.sideInputs.s].sort((a, b) => a - b).join(",")}`), { sideInputs: { s: AsList(side) } })));

    // test_multimap_multiside_input.
    const keys = root.apply("Keys", Create.of("a", "b"));
    const pairs = root.apply("Pairs", Create.of(kv("a", 1), kv("b", 2), kv("a", 3)));
    const sorted = (xs: readonly number[]) => [...xs].sort((x, y) => x - y).join(",");
    emit(
      "multimap",
      keys.apply("ReadMultimap", ParDo.into<string>().of((k: string, ctx) => ctx.output(`${k}:${sorted(ctx.sideInputs.d.get(k) ?? [])}:${sorted(ctx.sideInputs.l.map((e) => e.value))}`), { sideInputs: { d: AsMultimap(pairs), l: AsList(pairs) } })),
    );

    // test_windowing.
    emit(
      "sessions",
      root
        .apply("SessionInput", Create.timestamped([1, 2, 100, 101, 102].map((t) => ({ value: kv("k", t * 1000), timestamp: t * 1000 }))))
        .apply("Sessions", Window.into(new Sessions(10_000)))
        .apply("GroupSessions", GroupByKey.create<string, number>()),
      (g: KV<string, number[]>) => `${g.key}:${[...g.value].sort((a, b) => a - b).join(",")}`,
    );

    const global = out.map((pc, i) => pc.apply(`Global${i}`, Window.into<string>(new GlobalWindows())));
    root.apply("All", Flatten.pCollections(...global)).apply("Write", WriteToText.to(`${flags.output}/out`));
  },
});

/** test_metrics: a counter from two steps and a gauge; a counter in a checkpointing splittable DoFn (the DirectRunner's and the harness's metrics are checked in the conformance tests). */
export const fnRunnerMetricsProgram = definePipeline({
  name: "portable-test-fn-runner-metrics",
  description: "test_metrics: counters and a gauge",
  flags: {},
  build(root) {
    const counter = Metrics.counter("ns", "counter");
    const gauge = Metrics.gauge("ns", "gauge");
    const pcoll = root.apply("Create", Create.of("a", "zzz"));
    pcoll.apply("count1", ParDo.of(() => counter.inc()));
    pcoll.apply("count2", ParDo.of((x: string) => counter.inc(x.length)));
    pcoll.apply("gauge", ParDo.of(() => gauge.set(3)));
    // run_sdf_initiated_checkpointing: my_counter counts each claimed offset once, across checkpoints.
    root.apply("Strings", Create.from(DATA)).apply("ExpandCheckpointing", ParDo.splittable(new CheckpointingStrings(false)));
  },
});

function first(x: number): number {
  return second(x);
}
function second(x: number): number {
  return third(x);
}
function third(_x: number): number {
  throw new Error("This error is expected and does not indicate a test failure.");
}

/** test_error_traceback_includes_user_code: fails in first → second → third. */
export const fnRunnerFailingProgram = definePipeline({
  name: "portable-test-fn-runner-failing",
  description: "test_error_traceback_includes_user_code",
  flags: {},
  build(root) {
    root.apply("Create", Create.of(0)).map("StageC", first);
  },
});
