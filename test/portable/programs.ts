/** Pipeline programs for the PortableRunner end-to-end tests. */
import { AfterCount, AsList, AsMap, AsMultimap, AsSingleton, Combine, Combiners, Create, definePipeline, DoFn, FixedWindows, Flatten, GroupByKey, KV, kv, OrFinally, ParDo, ProcessContext, Repeatedly, Reshuffle, StatefulDoFn, StatefulProcessContext, StateSpec, Window } from "../../lib";
import type { IntervalWindow } from "../../lib/model/window";
import { WriteToText } from "../../lib/io/textio";
import { SumToLimit } from "./streaming_programs";

/** A program whose DoFn throws on one element. */
export const failingProgram = definePipeline({
  name: "portable-test-failing",
  description: "fails in a Map",
  flags: {},
  build(root) {
    root.apply("Numbers", Create.from([1, 2, 3])).map("Explode", (n: number) => {
      if (n === 2) throw new Error("boom on two");
      return n;
    });
  },
});

/** Counts, per key, the elements seen so far: emits `key:1`, `key:2`, ... (the same set in any order). */
class RunningCount extends StatefulDoFn<string, number, string> {
  readonly count = StateSpec.value<number>("count");
  process(e: KV<string, number>, ctx: StatefulProcessContext<string>): void {
    const n = (ctx.state(this.count).read() ?? 0) + 1;
    ctx.state(this.count).write(n);
    ctx.output(`${e.key}:${n}`);
  }
}

/** What reads the flattened, keyed PCollection in `flattenProgram`. */
export const FLATTEN_CONSUMERS = ["gbk", "combine", "stateful"] as const;

/** What `flattenProgram` writes for each consumer: the file under --output and its sorted lines. */
export const FLATTEN_EXPECTED: Record<(typeof FLATTEN_CONSUMERS)[number], { readonly file: string; readonly lines: readonly string[] }> = {
  gbk: { file: "groups", lines: ["w:1", "x:1,1,10", "y:1,10", "z:10"] },
  combine: { file: "sums", lines: ["w:1", "x:12", "y:11", "z:10"] },
  stateful: { file: "running", lines: ["w:1", "x:1", "x:2", "x:3", "y:1", "y:2", "z:1"] },
};

/**
 * Two keyed PCollections flattened, then read by a GroupByKey, a Combine.perKey or a stateful
 * ParDo (`--consumer`, default all three), each written under `--output`. Runners pass a
 * Flatten's inputs through as bytes to the keyed consumer.
 */
export const flattenProgram = definePipeline({
  name: "portable-test-flatten",
  description: "Flatten, then a grouping or keyed consumer",
  flags: {
    output: { type: "string", describe: "Output folder", required: true },
    consumer: { type: "string", describe: "gbk, combine, stateful or all", default: "all" },
  },
  build(root, flags) {
    const consumers = flags.consumer === "all" ? FLATTEN_CONSUMERS : FLATTEN_CONSUMERS.filter((c) => c === flags.consumer);
    if (consumers.length === 0) throw new Error(`--consumer must be one of ${FLATTEN_CONSUMERS.join(", ")} or all, got ${flags.consumer}`);
    const a = root.apply("A", Create.from(["x", "y", "x", "w"])).map("PairA", (w: string) => kv(w, 1));
    const b = root.apply("B", Create.from(["y", "z", "x"])).map("PairB", (w: string) => kv(w, 10));
    const both = a.apply(Flatten.with(b));
    const out = (name: string): string => `${flags.output}/${name}`;
    if (consumers.includes("gbk")) {
      both
        .apply("Group", GroupByKey.create())
        .map("FormatGroups", (g: KV<string, number[]>) => `${g.key}:${[...g.value].sort((x, y) => x - y).join(",")}`)
        .apply("WriteGroups", WriteToText.to(out("groups")));
    }
    if (consumers.includes("combine")) {
      both
        .apply("Sum", Combine.perKey(Combiners.sum()))
        .map("FormatSums", (e: KV<string, number>) => `${e.key}:${e.value}`)
        .apply("WriteSums", WriteToText.to(out("sums")));
    }
    if (consumers.includes("stateful")) both.apply("Running", ParDo.of(new RunningCount())).apply("WriteRunning", WriteToText.to(out("running")));
  },
});

/** Words through a Reshuffle into a GroupByKey (runners such as Prism read a Reshuffle's input in its place). */
export const reshuffleProgram = definePipeline({
  name: "portable-test-reshuffle",
  description: "Reshuffle, then GroupByKey",
  flags: { output: { type: "string", describe: "Output folder", required: true } },
  build(root, flags) {
    root
      .apply("Words", Create.from(["x", "y", "x"]))
      .map("Pair", (w: string) => kv(w, 1))
      .apply("Reshuffle", Reshuffle.viaRandomKey())
      .apply("Group", GroupByKey.create())
      .map("Format", (g: KV<string, number[]>) => `${g.key}:${g.value.length}`)
      .apply("Write", WriteToText.to(`${flags.output}/groups`));
  },
});

/** What `reshuffleMetadataProgram` writes: each value with the timestamp and window it has after the Reshuffle. */
export const RESHUFFLE_METADATA_EXPECTED = ["a@1000[0,10000)", "b@12000[10000,20000)", "c@19999[10000,20000)", "d@25000[20000,30000)"];

/**
 * Timestamped values in 10 s fixed windows through a Reshuffle; a DoFn after it writes each
 * value's timestamp and window (`--output/meta`), which a Reshuffle must leave as they were.
 */
export const reshuffleMetadataProgram = definePipeline({
  name: "portable-test-reshuffle-metadata",
  description: "Reshuffle keeps timestamps and windows",
  flags: { output: { type: "string", describe: "Output folder", required: true } },
  build(root, flags) {
    root
      .apply("Values", Create.timestamped([{ value: "a", timestamp: 1000 }, { value: "b", timestamp: 12_000 }, { value: "c", timestamp: 19_999 }, { value: "d", timestamp: 25_000 }]))
      .apply("Window", Window.into(new FixedWindows(10_000)))
      .apply("Reshuffle", Reshuffle.viaRandomKey())
      .apply(
        "Describe",
        ParDo.of(
          new (class Describe extends DoFn<string, string> {
            process(v: string, ctx: ProcessContext<string>): void {
              const w = ctx.window as IntervalWindow;
              ctx.output(`${v}@${ctx.timestamp}[${w.start},${w.end})`);
            }
          })(),
        ),
      )
      .apply("Write", WriteToText.to(`${flags.output}/meta`));
  },
});

/** What `combineGloballyProgram` writes under --output: each file's sorted lines. */
export const COMBINE_GLOBALLY_EXPECTED: Readonly<Record<string, readonly string[]>> = {
  sums: ["empty=0", "sum=10"],
  shares: ["1/10", "2/10", "3/10", "4/10"],
};

/**
 * Combine.globally over values and over an empty collection (which gives the combine of nothing
 * through the default branch), and a global sum read as a singleton side input.
 */
export const combineGloballyProgram = definePipeline({
  name: "portable-test-combine-globally",
  description: "Combine.globally, empty and not, and as a side input",
  flags: { output: { type: "string", describe: "Output folder", required: true } },
  build(root, flags) {
    const nums = root.apply("Nums", Create.from([1, 2, 3, 4]));
    const total = nums.apply("Total", Combine.globally(Combiners.sum()));
    const empty = nums.filter("NoneKept", () => false).apply("EmptyTotal", Combine.globally(Combiners.sum()));
    total
      .map("FormatTotal", (n: number) => `sum=${n}`)
      .apply(Flatten.with(empty.map("FormatEmpty", (n: number) => `empty=${n}`)))
      .apply("WriteSums", WriteToText.to(`${flags.output}/sums`));
    nums
      .apply("Share", ParDo.of((n: number, ctx: ProcessContext<string, {}, { total: number }>) => ctx.output(`${n}/${ctx.sideInputs.total}`), { sideInputs: { total: AsSingleton(total) } }))
      .apply("WriteShares", WriteToText.to(`${flags.output}/shares`));
  },
});

/** What `sideInputFanoutProgram` writes under --output for each --part: its file's sorted lines. */
export const SIDE_INPUT_FANOUT_EXPECTED = {
  fanout: { file: "tagged", lines: ["j:123:3", "k:123:12", "z:123:"] },
  stateful: { file: "limits", lines: ["a reached 5kg with 6", "b left 7kg of 100"] },
} as const;

/**
 * Side inputs read by elements that one upstream call emits together (a runner that fuses the
 * reader with its producer hands them over before the first side-input fetch returns), and by a
 * stateful DoFn (whose keyed input is not the first of its inputs in every runner's descriptor).
 */
export const sideInputFanoutProgram = definePipeline({
  name: "portable-test-side-input-fanout",
  description: "list and multimap side inputs read by a fused fan-out; a stateful DoFn with side inputs",
  flags: {
    output: { type: "string", describe: "Output folder", required: true },
    part: { type: "string", describe: "fanout (list and multimap side inputs) or stateful (a stateful DoFn with side inputs and a timer)", required: true },
  },
  build(root, flags) {
    if (flags.part !== "fanout" && flags.part !== "stateful") throw new Error(`--part must be fanout or stateful, got ${flags.part}`);
    if (flags.part === "stateful") {
      const limits = AsMap(root.apply("Limits", Create.of(kv("a", 5), kv("b", 100))));
      const unit = AsSingleton(root.apply("Unit", Create.of("kg")));
      root
        .apply("Numbers", Create.timestamped([{ value: kv("a", 2), timestamp: 1_000 }, { value: kv("a", 4), timestamp: 2_000 }, { value: kv("b", 7), timestamp: 3_000 }]))
        .apply("Window", Window.into(new FixedWindows(10_000)))
        .apply("Sum", ParDo.of(new SumToLimit(), { sideInputs: { limits, unit } }))
        .apply("WriteLimits", WriteToText.to(`${flags.output}/limits`));
      return;
    }
    type Views = { digits: readonly number[]; byKey: ReadonlyMap<string, readonly number[]> };
    const digits = AsList(root.apply("Digits", Create.from([3, 1, 2])));
    const byKey = AsMultimap(root.apply("ByKey", Create.of(kv("k", 1), kv("k", 2), kv("j", 3))));
    root
      .apply("Line", Create.from(["k,j,z"]))
      .flatMap("Split", (line: string) => line.split(","))
      .apply(
        "Tag",
        ParDo.of(
          (k: string, ctx: ProcessContext<string, {}, Views>) =>
            ctx.output(`${k}:${[...ctx.sideInputs.digits].sort().join("")}:${[...(ctx.sideInputs.byKey.get(k) ?? [])].sort().join("")}`),
          { sideInputs: { digits, byKey } },
        ),
      )
      .apply("WriteTagged", WriteToText.to(`${flags.output}/tagged`));
  },
});

/** What `orFinallyProgram` writes under --output/panes: one pane per window, fired by the finally trigger. */
export const OR_FINALLY_EXPECTED = ["a [0,10000) 1,2,3 EARLY first last", "b [10000,20000) 11,12,13 EARLY first last"];

/**
 * A GroupByKey under OrFinally(Repeatedly(AfterCount(100)), AfterCount(3)), three elements per
 * key and window: whatever the bundles, the main trigger never fires and the finally trigger
 * fires at the third element, before the watermark reaches the window's end. So each window's
 * one pane is EARLY and last (the default trigger would fire it ON_TIME). The trigger may
 * finish: the pipeline needs allowUnsafeTriggers.
 */
export const orFinallyProgram = definePipeline({
  name: "portable-test-or-finally",
  description: "GroupByKey under an OrFinally trigger",
  flags: { output: { type: "string", describe: "Output folder", required: true } },
  build(root, flags) {
    const at = (key: string, ms: number) => ({ value: kv(key, ms / 1000), timestamp: ms });
    root
      .apply("Events", Create.timestamped([at("a", 1000), at("a", 2000), at("a", 3000), at("b", 11_000), at("b", 12_000), at("b", 13_000)]))
      .apply("Window", Window.into(new FixedWindows(10_000), { trigger: OrFinally(Repeatedly(AfterCount(100)), AfterCount(3)) }))
      .apply("Group", GroupByKey.create())
      .apply(
        "Describe",
        ParDo.of((g: KV<string, number[]>, ctx: ProcessContext<string>) => {
          const w = ctx.window as IntervalWindow;
          const p = ctx.pane;
          ctx.output(`${g.key} [${w.start},${w.end}) ${[...g.value].sort((x, y) => x - y).join(",")} ${p.timing}${p.isFirst ? " first" : ""}${p.isLast ? " last" : ""}`);
        }),
      )
      .apply("Write", WriteToText.to(`${flags.output}/panes`));
  },
});
