/** Pipeline programs for the PortableRunner end-to-end tests. */
import { AsList, AsMap, AsMultimap, AsSingleton, CoGroupByKey, Combine, Combiners, Create, definePipeline, DoFn, FixedWindows, Flatten, GroupByKey, GroupIntoBatches, KV, kv, ParDo, PCollection, ProcessContext, Reshuffle, StatefulDoFn, StatefulProcessContext, StateSpec, Window, GlobalWindows, WithTimestamps, Latest, KvSwap, Sample, type ShardedKey, AfterCount, OrFinally, Repeatedly } from "../../lib";
import type { Coder } from "../../lib/coders/coder";
import { StringUtf8Coder, VarIntCoder } from "../../lib/coders/primitive";
import { KVCoder } from "../../lib/coders/structural";
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

/** What `coGroupByKeyProgram` writes under --output: each file's sorted lines. */
export const CO_GROUP_BY_KEY_EXPECTED: Readonly<Record<string, readonly string[]>> = {
  // Beam Java's CoGroupByKeyTest.testCoGroupByKey, with an input that is empty.
  joined: [
    "1 names=John Smith addresses= purchases=Book,Shoes none=",
    "2 names=Sally James addresses=53 S. 3rd purchases=Boat,Suit none=",
    "20 names=Joan Lichtfield addresses=3 W. Arizona purchases= none=",
    "3 names= addresses=29 School Rd purchases=Car,House none=",
    "8 names=Jeffery Spalding addresses=6 Watling Rd purchases=House,Suit Case none=",
  ],
  // Beam Java's CoGroupByKeyTest.testCoGroupByKeyWithWindowing: click:purchase=timestamp:window max.
  windowed: [
    "Click t0:Boat t1=0:3",
    "Click t0:Pens t3=0:3",
    "Click t0:Shoesi t2=0:3",
    "Click t4:Book t7=4:7",
    "Click t4:Car t6=4:7",
    "Click t6:Book t7=4:7",
    "Click t6:Car t6=4:7",
    "Click t8:House t10=8:11",
    "Click t8:House t8=8:11",
    "Click t8:Shoes t9=8:11",
  ],
  // Latest.perKey, KvSwap and the sizes of Sample.fixedSizePerKey(2), over the purchases stamped by WithTimestamps.
  latest: ["Book t7<-1", "House t10<-2", "sampled 1:2", "sampled 2:2"],
};

/**
 * CoGroupByKey as runners execute it (tag, Flatten, GroupByKey, untag): Beam Java's
 * CoGroupByKeyTest joins, global and in fixed windows (timestamps set by WithTimestamps), and
 * Latest, KvSwap and Sample over the same data.
 */
export const coGroupByKeyProgram = definePipeline({
  name: "portable-test-cogroupbykey",
  description: "CoGroupByKey, global and windowed; WithTimestamps, Latest, KvSwap, Sample",
  flags: { output: { type: "string", describe: "Output folder", required: true } },
  build(root, flags) {
    const purchases = root.apply(
      "Purchases",
      Create.of(kv(2, "Boat"), kv(1, "Shoes"), kv(3, "Car"), kv(1, "Book"), kv(8, "House"), kv(2, "Suit"), kv(8, "Suit Case"), kv(3, "House")),
    );
    const addresses = root.apply("Addresses", Create.of(kv(2, "53 S. 3rd"), kv(20, "3 W. Arizona"), kv(3, "29 School Rd"), kv(8, "6 Watling Rd")));
    const names = root.apply("Names", Create.of(kv(1, "John Smith"), kv(2, "Sally James"), kv(8, "Jeffery Spalding"), kv(20, "Joan Lichtfield")));
    const none = root.apply("None", Create.from<KV<number, string>>([]));
    root
      .apply("Join", CoGroupByKey.of({ names, addresses, purchases, none }))
      .map("FormatJoin", (e) => `${e.key} ${Object.entries(e.value).map(([tag, vs]) => `${tag}=${[...vs].sort().join(",")}`).join(" ")}`)
      .apply("WriteJoin", WriteToText.to(`${flags.output}/joined`));

    // Each value's name ends in its timestamp: "Click t4" is at 4 ms.
    const stamped = (label: string, values: KV<number, string>[]) =>
      root
        .apply(label, Create.from(values))
        .apply(`Stamp${label}`, WithTimestamps.of((e: KV<number, string>) => Number(/t(\d+)$/.exec(e.value)![1])))
        .apply(`Window${label}`, Window.into(new FixedWindows(4), { timestampCombiner: "EARLIEST" }));
    const clicks = stamped("Clicks", [kv(1, "Click t0"), kv(2, "Click t2"), kv(1, "Click t4"), kv(1, "Click t6"), kv(2, "Click t8")]);
    const timed = stamped("TimedPurchases", [
      kv(1, "Boat t1"), kv(1, "Shoesi t2"), kv(1, "Pens t3"), kv(2, "House t4"), kv(2, "Suit t5"),
      kv(1, "Car t6"), kv(1, "Book t7"), kv(2, "House t8"), kv(2, "Shoes t9"), kv(2, "House t10"),
    ]);
    root
      .apply("WindowedJoin", CoGroupByKey.of({ clicks, purchases: timed }))
      .apply(
        "ClickOfPurchase",
        ParDo.into<string>().of((e: KV<number, { clicks: string[]; purchases: string[] }>, ctx) => {
          for (const c of e.value.clicks) for (const p of e.value.purchases) ctx.output(`${c}:${p}=${ctx.timestamp}:${ctx.window.maxTimestamp()}`);
        }),
      )
      .apply("WriteWindowed", WriteToText.to(`${flags.output}/windowed`));

    const global = timed.apply("Rewindow", Window.into(new GlobalWindows()));
    const latest = global
      .apply("Latest", Latest.perKey())
      .apply("Swap", KvSwap.create())
      .map("FormatLatest", (e: KV<string, number>) => `${e.key}<-${e.value}`);
    const sampled = global.apply("Sample", Sample.fixedSizePerKey(2)).map("FormatSample", (e: KV<number, string[]>) => `sampled ${e.key}:${e.value.length}`);
    latest.apply("AllLatest", Flatten.with(sampled)).apply("WriteLatest", WriteToText.to(`${flags.output}/latest`));
  },
});

/** The parts of `groupIntoBatchesProgram` (--part), each written to the file of its name under --output. */
export const GROUP_INTO_BATCHES_PARTS = ["count", "windows", "bytes", "sharded"] as const;

/** What `groupIntoBatchesProgram` writes for the parts whose batches do not depend on the order values arrive in: sorted lines. */
export const GROUP_INTO_BATCHES_EXPECTED: Partial<Record<(typeof GROUP_INTO_BATCHES_PARTS)[number], readonly string[]>> = {
  count: ["1", "5", "5"],
  windows: ["[0,10000):1", "[0,10000):3", "[10000,20000):2@12000"],
};

/** Beam's GroupIntoBatchesTest data: scientists' names under one key. */
const SCIENTIST_NAMES = ["Einstein", "Darwin", "Copernicus", "Pasteur", "Curie", "Faraday", "Newton", "Bohr", "Galilei", "Maxwell"];

/**
 * GroupIntoBatches on a runner, one part a job (--part): by count (11 names in batches of 5),
 * per fixed window (values at 1-4 s and 12, 15 s in batches of 3), by byte size (25 bytes of
 * UTF-8 with length prefix; each line a batch's names and sizes) and with sharded keys (each line
 * the key, the shard id's length and the batch's size). Keys and values have Beam's standard
 * coders, so every runner can decode the state's keys. (One stateful step a job: Prism 2.66
 * sometimes leaves one of several concurrent stateful stages unscheduled, "nothing in progress
 * and no refreshes with non zero pending elements", which it reports as a Prism bug.)
 */
export const groupIntoBatchesProgram = definePipeline({
  name: "portable-test-group-into-batches",
  description: "GroupIntoBatches by count, per window, by byte size or with sharded keys",
  flags: {
    output: { type: "string", describe: "Output folder", required: true },
    part: { type: "string", describe: GROUP_INTO_BATCHES_PARTS.join(", "), required: true },
  },
  build(root, flags) {
    const strings = new KVCoder(new StringUtf8Coder(), new StringUtf8Coder()) as unknown as Coder<KV<string, string>>;
    const names = (n: number): PCollection<KV<string, string>> =>
      root
        .apply("Names", Create.from(Array.from({ length: n }, (_, i) => SCIENTIST_NAMES[i % SCIENTIST_NAMES.length]!)))
        .map("Key", (name: string) => kv("k", name))
        .setCoder(strings);
    const out = WriteToText.to(`${flags.output}/${flags.part}`);
    switch (flags.part) {
      case "count":
        names(11)
          .apply("Batch", GroupIntoBatches.ofSize(5))
          .map("Format", (b: KV<string, string[]>) => String(b.value.length))
          .apply("Write", out);
        return;
      case "windows":
        root
          .apply("Timed", Create.timestamped([1, 2, 3, 4, 12, 15].map((s) => ({ value: kv("k", s * 1000), timestamp: s * 1000 }))))
          .setCoder(new KVCoder(new StringUtf8Coder(), new VarIntCoder()) as unknown as Coder<KV<string, number>>)
          .apply("Window", Window.into(new FixedWindows(10_000)))
          .apply("Batch", GroupIntoBatches.ofSize(3))
          .apply(
            "Format",
            ParDo.of((b: KV<string, number[]>, ctx: ProcessContext<string>) => {
              const w = ctx.window as IntervalWindow;
              // The batch of a window's first three values depends on their order; the others do not.
              ctx.output(`[${w.start},${w.end}):${b.value.length}${w.start === 10_000 ? `@${ctx.timestamp}` : ""}`);
            }),
          )
          .apply("Write", out);
        return;
      case "bytes":
        names(10)
          .apply("Batch", GroupIntoBatches.ofByteSize(25))
          .map("Format", (b: KV<string, string[]>) => b.value.map((s) => `${s}:${Buffer.byteLength(s) + 1}`).join(" "))
          .apply("Write", out);
        return;
      case "sharded":
        names(11)
          .apply("Batch", GroupIntoBatches.ofSize(5).withShardedKey())
          .map("Format", (b: KV<ShardedKey<string>, string[]>) => `${b.key.key}:${b.key.shardId.length}:${b.value.length}`)
          .apply("Write", out);
        return;
      default:
        throw new Error(`--part must be one of ${GROUP_INTO_BATCHES_PARTS.join(", ")}, got ${flags.part}`);
    }
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
