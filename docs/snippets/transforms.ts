/** Snippets of docs/guide/03-transforms.md. */
import {
  AsIterable,
  AsMap,
  AsMultimap,
  AsSingleton,
  BatchElements,
  CoGroupByKey,
  Combine,
  CombineFns,
  Combiners,
  type CombineFnWithContext,
  Count,
  Create,
  Distinct,
  Filter,
  FlatMapElements,
  MapElements,
  Regex,
  ToString,
  DoFn,
  Flatten,
  GroupByKey,
  GroupIntoBatches,
  kv,
  Metrics,
  ParDo,
  Partition,
  PTransform,
  ptransform,
  Keys,
  KvSwap,
  Latest,
  LogElements,
  Max,
  Mean,
  Min,
  Reshuffle,
  Sets,
  Sum,
  Sample,
  Tee,
  Values,
  Wait,
  WithKeys,
  WithTimestamps,
} from "beamline";
import type { BundleContext, CombineFn, KV, PCollection, Pipeline, ProcessContext, RuntimeContext } from "beamline";

/** map / flatMap / filter. */
export function elementwise(p: Pipeline): PCollection<string> {
  // [START elementwise]
  const lines = p.apply("Lines", Create.of("the quick brown fox", "", "jumps over the lazy dog"));
  const shout = lines
    .filter("NonEmpty", (line) => line.length > 0)
    .flatMap("Words", (line) => line.split(" "))
    .map("Upper", (word) => word.toUpperCase());
  // [END elementwise]
  return shout;
}

export function elementwiseDeadLetters(p: Pipeline): { ok: PCollection<number>; bad: PCollection<string> } {
  // [START elementwise_dead_letters]
  const amounts = p.apply("Amounts", Create.of("12", "7", "twelve"));
  const parsed = amounts.apply(
    "Parse",
    MapElements.via((s: string) => {
      if (!/^\d+$/.test(s)) throw new RangeError(`not an amount: ${s}`);
      return Number(s);
    }).withExceptionHandling(),
  );
  const ok = parsed.main.apply("Positive", Filter.by((n: number) => n > 0));
  const bad = parsed.failed.map("Why", (f) => `${f.element} (${f.reason})`);
  const digits = ok.apply("Digits", FlatMapElements.via((n: number) => String(n).split("")));
  // [END elementwise_dead_letters]
  void digits;
  return { ok, bad };
}

// [START dofn_class]
/** Splits lines into words, counting empty lines; buffers nothing, so it needs no finishBundle. */
class ExtractWords extends DoFn<string, string> {
  private readonly emptyLines = Metrics.counter("ExtractWords", "emptyLines");
  private minLength = 1;

  setup(runtime: RuntimeContext): void {
    // Once per instance: create clients, load models, read options.
    this.minLength = Number(runtime.options.extra["min_word_length"] ?? 1);
  }

  process(line: string, ctx: ProcessContext<string>): void {
    if (line.trim() === "") this.emptyLines.inc();
    for (const word of line.split(/[^\p{L}']+/u)) {
      if (word.length >= this.minLength) ctx.output(word);
    }
  }
}
// [END dofn_class]

export function pardoClass(p: Pipeline): PCollection<string> {
  // [START pardo_class]
  const words = p.apply("Lines", Create.of("Hello, world", "", "hello again"))
    .apply("ExtractWords", ParDo.of(new ExtractWords()));
  // [END pardo_class]
  return words;
}

// [START dofn_bundle]
/** Sends elements in batches of up to 100: a buffer per bundle, flushed at its end. */
class BatchWords extends DoFn<string, string[]> {
  private batch: string[] = [];

  startBundle(): void {
    this.batch = [];
  }

  process(word: string, ctx: ProcessContext<string[]>): void {
    this.batch.push(word);
    if (this.batch.length === 100) {
      ctx.output(this.batch);
      this.batch = [];
    }
  }

  finishBundle(ctx: BundleContext<string[]>): void {
    // No input element here: say where the output goes (default: global window, minimum timestamp).
    if (this.batch.length > 0) ctx.output(this.batch);
  }
}
// [END dofn_bundle]

export function pardoBundle(p: Pipeline): PCollection<number> {
  return p.apply("Words", Create.from(Array.from({ length: 250 }, (_, i) => `w${i}`)))
    .apply("Batch", ParDo.of(new BatchWords()))
    .map("Sizes", (batch) => batch.length);
}

export function pardoFunction(p: Pipeline): PCollection<number> {
  const words = p.apply("Words", Create.of("a", "bb", "ccc"));
  // [START pardo_function]
  const lengths = words.apply("Lengths", ParDo.into<number>().of((word, ctx) => {
    ctx.output(word.length);
  }));
  // [END pardo_function]
  return lengths;
}

export function groupByKey(p: Pipeline): PCollection<string> {
  // [START gbk]
  const pairs = p.apply("Pairs", Create.of(kv("cat", 1), kv("dog", 5), kv("cat", 9), kv("dog", 2)));
  const grouped = pairs.apply("GroupByKey", GroupByKey.create());   // PCollection<KV<string, number[]>>
  const lines = grouped.map("Format", (g) => `${g.key}: ${[...g.value].sort((a, b) => a - b).join(",")}`);
  // [END gbk]
  return lines;
}

export function coGroupByKey(p: Pipeline): PCollection<string> {
  // [START cogbk]
  const emails = p.apply("Emails", Create.of(kv("amy", "amy@example.com"), kv("carl", "carl@example.com"), kv("amy", "amy@work.com")));
  const phones = p.apply("Phones", Create.of(kv("amy", "555-0100"), kv("james", "555-0111")));
  const contacts = p.apply("Join", CoGroupByKey.of({ emails, phones }));
  // PCollection<KV<string, { emails: string[]; phones: string[] }>>
  const lines = contacts.map("Format", (c) => `${c.key}: ${[...c.value.emails].sort().join(",")} / ${c.value.phones.join(",")}`);
  // amy: amy@example.com,amy@work.com / 555-0100   carl: carl@example.com /   james:  / 555-0111
  // [END cogbk]
  return lines;
}

export function combinePerKey(p: Pipeline): { sums: PCollection<KV<string, number>>; means: PCollection<KV<string, number>>; total: PCollection<number> } {
  const pairs = p.apply("Pairs", Create.of(kv("cat", 1), kv("dog", 5), kv("cat", 9), kv("dog", 2)));
  // [START combine]
  const sums = pairs.apply("SumPerKey", Combine.perKey(Combiners.sum()));     // KV<string, number>
  const means = pairs.apply("MeanPerKey", Combine.perKey(Combiners.mean()));
  const total = pairs
    .map("Values", (e) => e.value)
    .apply("Total", Combine.globally(Combiners.sum()));                   // one number
  // [END combine]
  return { sums, means, total };
}

// [START combine_fn]
/** The average, as a CombineFn: accumulators are merged across bundles and workers. */
const average: CombineFn<number, { sum: number; count: number }, number> = {
  createAccumulator: () => ({ sum: 0, count: 0 }),
  addInput: (acc, x) => ({ sum: acc.sum + x, count: acc.count + 1 }),
  mergeAccumulators: (accs) => {
    let sum = 0;
    let count = 0;
    for (const a of accs) {
      sum += a.sum;
      count += a.count;
    }
    return { sum, count };
  },
  extractOutput: (acc) => (acc.count === 0 ? NaN : acc.sum / acc.count),
};
// [END combine_fn]

export function customCombine(p: Pipeline): PCollection<KV<string, number>> {
  const pairs = p.apply("Pairs", Create.of(kv("cat", 1), kv("dog", 5), kv("cat", 9), kv("dog", 2)));
  // [START combine_fn_use]
  const averages = pairs.apply("AveragePerKey", Combine.perKey(average));
  // [END combine_fn_use]
  return averages;
}

export function counting(p: Pipeline): { perWord: PCollection<KV<string, number>>; howMany: PCollection<number>; distinct: PCollection<string> } {
  // [START count]
  const words = p.apply("Words", Create.of("to", "be", "or", "not", "to", "be"));
  const perWord = words.apply("CountPerWord", Count.perElement());   // KV<string, number>
  const howMany = words.apply("CountAll", Count.globally());         // 6
  const distinct = words.apply("Distinct", Distinct.create());       // to, be, or, not
  // [END count]
  return { perWord, howMany, distinct };
}

export function composedCombine(p: Pipeline): PCollection<KV<string, { readonly orders: number; readonly revenue: number; readonly largest: number | undefined }>> {
  // [START combine_fns_compose]
  const orders = p.apply("Orders", Create.of({ customer: "amy", amount: 30 }, { customer: "amy", amount: 12 }, { customer: "bo", amount: 5 }));
  const stats = CombineFns.compose<{ customer: string; amount: number }>()
    .with("orders", Combiners.count())
    .with("revenue", (o) => o.amount, Combiners.sum())
    .with("largest", (o) => o.amount, Combiners.max<number>());
  const perCustomer = orders
    .map("ByCustomer", (o) => kv(o.customer, o))
    .apply("Stats", Combine.perKey(stats));   // amy={ orders: 2, revenue: 42, largest: 30 }, bo={ orders: 1, revenue: 5, largest: 5 }
  // [END combine_fns_compose]
  return perCustomer;
}

export function combineWithSideInputs(p: Pipeline): { readonly above: PCollection<KV<string, number>>; readonly total: PCollection<number> } {
  // [START combine_side_inputs]
  const readings = p.apply("Readings", Create.of(kv("s1", 3), kv("s1", 9), kv("s2", 12), kv("s2", 4)));
  const threshold = AsSingleton(p.apply("Threshold", Create.of(5)));
  const countAbove: CombineFnWithContext<number, number, number, { threshold: number }> = {
    createAccumulator: () => 0,
    addInput: (n, x, ctx) => (x > ctx.sideInputs.threshold ? n + 1 : n),   // read in the window being combined
    mergeAccumulators: (counts) => [...counts].reduce((a, b) => a + b, 0),
    extractOutput: (n) => n,
  };
  const above = readings.apply("CountAbove", Combine.perKey(countAbove, { sideInputs: { threshold } }));   // s1=1, s2=1
  const total = readings
    .apply("Values", Values.create())
    .apply("Total", Combine.globally(Combiners.sum()).withFanout(4));   // 28, pre-combined under 4 keys first
  // [END combine_side_inputs]
  return { above, total };
}

export function waitOn(p: Pipeline): PCollection<string> {
  // [START wait_on]
  const rows = p.apply("Rows", Create.of("r1", "r2", "r3"));
  const firstWrites = rows.apply("WriteFirst", ParDo.into<string>().of((row, ctx) => ctx.output(row)));   // e.g. a write that outputs what it wrote
  const second = rows
    .apply("AfterFirstWrites", Wait.on(firstWrites))   // each window of rows, once the first writes of that window are done
    .map("WriteSecond", (row) => `second:${row}`);
  // [END wait_on]
  return second;
}

export function flatten(p: Pipeline): PCollection<string> {
  // [START flatten]
  const fromWeb = p.apply("Web", Create.of("w1", "w2"));
  const fromApp = p.apply("App", Create.of("a1"));
  const fromKiosk = p.apply("Kiosk", Create.of("k1"));
  const all = fromWeb.apply("AllClicks", Flatten.with(fromApp, fromKiosk));   // w1, w2, a1, k1
  // [END flatten]
  return all;
}

export function shorthandCombines(p: Pipeline): { mean: PCollection<number>; sums: PCollection<KV<string, number>>; longest: PCollection<string | undefined> } {
  const pairs = p.apply("Pairs", Create.of(kv("cat", 1), kv("dog", 5), kv("cat", 9), kv("dog", 2)));
  const words = p.apply("Words", Create.of("a", "ccc", "bb"));
  // [START shorthand_combines]
  const mean = pairs.apply("Values", Values.create()).apply(Mean.globally());   // 4.25
  const sums = pairs.apply(Sum.perKey());                                       // cat=10, dog=7
  const smallest = pairs.apply(Min.perKey());                                   // cat=1, dog=2
  const longest = words.apply(Max.globally((a: string, b: string) => a.length - b.length));   // "ccc"
  // [END shorthand_combines]
  void smallest;
  return { mean, sums, longest };
}

export function flattenIterables(p: Pipeline): { words: PCollection<string>; small: PCollection<number> } {
  // [START flatten_iterables]
  const lists = p.apply("Lists", Create.of(["to", "be"], ["or", "not"]));
  const words = lists.apply(Flatten.iterables<string>());                       // to, be, or, not
  const small = p.apply("Nums", Create.of(1, 5, 9)).apply(Filter.lessThan(6));   // 1, 5
  // [END flatten_iterables]
  return { words, small };
}

export function sets(p: Pipeline): { both: PCollection<string>; onlyMonday: PCollection<string>; everyDay: PCollection<string> } {
  // [START sets]
  const monday = p.apply("Monday", Create.of("amy", "bo", "bo", "carl"));
  const tuesday = p.apply("Tuesday", Create.of("bo", "dee"));
  const wednesday = p.apply("Wednesday", Create.of("bo", "amy"));
  const both = monday.apply("Both", Sets.intersectDistinct(tuesday));          // bo
  const onlyMonday = monday.apply("OnlyMonday", Sets.exceptAll(tuesday));      // amy, bo, carl
  const everyDay = monday.apply("EveryDay", Sets.intersectDistinct(tuesday, wednesday));   // bo
  // [END sets]
  return { both, onlyMonday, everyDay };
}

export function partition(p: Pipeline): PCollection<number>[] {
  // [START partition]
  const scores = p.apply("Scores", Create.of(12, 55, 97, 40, 81));
  const [low, mid, high] = scores.apply("ByRange", Partition.of(3, (s) => (s < 40 ? 0 : s < 80 ? 1 : 2)));
  // [END partition]
  return [low!, mid!, high!];
}

export function sideInputs(p: Pipeline): PCollection<string> {
  // [START side_inputs]
  const words = p.apply("Words", Create.of("apple", "kiwi", "fig"));
  const maxLength = AsSingleton(words.map("Length", (w) => w.length).apply("Max", Combine.globally(Combiners.max())));
  const stopWords = AsIterable(p.apply("StopWords", Create.of("fig")));
  const colours = AsMap(p.apply("Colours", Create.of(kv("apple", "red"), kv("kiwi", "green"))));

  const described = words.apply("Describe", ParDo.into<string>().of((word, ctx) => {
    const { maxLength, stopWords, colours } = ctx.sideInputs;   // typed: number | undefined, readonly string[], ReadonlyMap<string, string>
    if (stopWords.includes(word)) return;
    ctx.output(`${word.padEnd(maxLength ?? 0)}|${colours.get(word) ?? "?"}`);
  }, { sideInputs: { maxLength, stopWords, colours } }));
  // [END side_inputs]
  return described;
}

// [START side_inputs_dofn]
/** A DoFn declares the side inputs it reads (by name and type) in its fourth type parameter. */
class Tag extends DoFn<string, string, {}, { tagsByWord: ReadonlyMap<string, readonly string[]> }> {
  process(word: string, ctx: ProcessContext<string, {}, { tagsByWord: ReadonlyMap<string, readonly string[]> }>): void {
    const tags = ctx.sideInputs.tagsByWord.get(word) ?? [];
    ctx.output(`${word}:${[...tags].sort().join("+")}`);
  }
}
// [END side_inputs_dofn]

export function sideInputsDoFn(p: Pipeline): PCollection<string> {
  const words = p.apply("Words", Create.of("apple", "kiwi"));
  // [START side_inputs_dofn_use]
  const tags = p.apply("Tags", Create.of(kv("apple", "fruit"), kv("apple", "red"), kv("kiwi", "fruit")));
  const tagged = words.apply("Tag", ParDo.of(new Tag(), { sideInputs: { tagsByWord: AsMultimap(tags) } }));
  // [END side_inputs_dofn_use]
  return tagged;
}

// [START tagged_outputs]
/** One main output (valid numbers) and two tagged ones. */
class ParseNumbers extends DoFn<string, number, { negative: number; invalid: string }> {
  process(text: string, ctx: ProcessContext<number, { negative: number; invalid: string }>): void {
    const n = Number(text);
    if (Number.isNaN(n)) ctx.outputTo("invalid", text);
    else if (n < 0) ctx.outputTo("negative", n);
    else ctx.output(n);
  }
}
// [END tagged_outputs]

export function taggedOutputs(p: Pipeline): { main: PCollection<number>; negative: PCollection<number>; invalid: PCollection<string> } {
  // [START tagged_outputs_use]
  const texts = p.apply("Texts", Create.of("1", "-2", "x", "3"));
  const { main, negative, invalid } = texts.apply("Parse", ParDo.of(new ParseNumbers()).withOutputs("negative", "invalid"));
  // [END tagged_outputs_use]
  return { main, negative, invalid };
}

// [START composite_class]
/** Counts the words of lines: a reusable, testable step with its own name in the graph. */
export class CountWords extends PTransform<PCollection<string>, PCollection<KV<string, number>>> {
  constructor(private readonly minLength = 1) {
    super("CountWords");
  }

  expand(lines: PCollection<string>): PCollection<KV<string, number>> {
    const minLength = this.minLength;
    return lines
      .flatMap("Split", (line) => line.split(/\s+/))
      .filter("LongEnough", (w) => w.length >= minLength)
      .apply("Count", Count.perElement());
  }
}
// [END composite_class]

export function composites(p: Pipeline): { counts: PCollection<KV<string, number>>; firstLetters: PCollection<string> } {
  const lines = p.apply("Lines", Create.of("a bb a", "bb ccc"));
  // [START composite_use]
  const counts = lines.apply(new CountWords(2));   // steps CountWords/Split, CountWords/LongEnough, ...
  // [END composite_use]
  // [START composite_function]
  const initials = ptransform("Initials", (words: PCollection<string>) =>
    words.map("First", (w) => w.slice(0, 1)).apply("Distinct", Distinct.create()),
  );
  const firstLetters = counts.map("Words", (e) => e.key).apply(initials);   // steps Initials/First, Initials/Distinct
  // [END composite_function]
  return { counts, firstLetters };
}

export function keysAndValues(p: Pipeline): { byInitial: PCollection<KV<string, string>>; keys: PCollection<string>; values: PCollection<string> } {
  // [START keys_values]
  const words = p.apply("Words", Create.of("apple", "avocado", "kiwi"));
  const byInitial = words.apply("ByInitial", WithKeys.of((w) => w.slice(0, 1)));   // KV<string, string>
  const keys = byInitial.apply("Keys", Keys.create());
  const values = byInitial.apply("Values", Values.create()).apply("Spread", Reshuffle.viaRandomKey());
  // [END keys_values]
  return { byInitial, keys, values };
}

/** KvSwap, WithTimestamps, Latest, Sample. */
export function moreTransforms(p: Pipeline): {
  swapped: PCollection<KV<number, string>>;
  newest: PCollection<KV<string, number>>;
  sample: PCollection<number[]>;
  some: PCollection<KV<string, number>>;
} {
  // [START more_transforms]
  const readings = p.apply("Readings", Create.of({ sensor: "s1", at: 1_000, value: 20 }, { sensor: "s1", at: 5_000, value: 23 }, { sensor: "s2", at: 2_000, value: 7 }));
  const stamped = readings.apply("EventTime", WithTimestamps.of((r) => r.at));              // timestamps from the records
  const bySensor = stamped.map("BySensor", (r) => kv(r.sensor, r.value));
  const newest = bySensor.apply("Newest", Latest.perKey());                                   // s1=23, s2=7 (latest by timestamp)
  const swapped = newest.apply("Swap", KvSwap.create());                                      // KV<number, string>: 23=s1, 7=s2
  const sample = bySensor.map("Values", (e) => e.value).apply("Sample", Sample.fixedSizeGlobally(2));   // 2 of 20, 23, 7 at random
  const some = bySensor.apply("Some", Sample.any(1));                                         // any one reading
  // [END more_transforms]
  return { swapped, newest, sample, some };
}

export function textTransforms(p: Pipeline): { codes: PCollection<string>; fields: PCollection<KV<string, string>>; masked: PCollection<string>; words: PCollection<string>; tsv: PCollection<string> } {
  // [START text_transforms]
  const lines = p.apply("Lines", Create.of("ERR 42 disk full", "OK 7", "WARN 13 slow"));
  const codes = lines.apply("Codes", Regex.matches("(\\w+) \\d+.*", 1));                  // ERR, OK, WARN (whole line must match)
  const fields = lines.apply("Fields", Regex.findKV(/(?<level>[A-Z]+) (?<code>\d+)/, "level", "code"));   // ERR=42, OK=7, WARN=13
  const masked = lines.apply("Mask", Regex.replaceAll("\\d", "#"));                          // "ERR ## disk full", ...
  const words = lines.apply("Words", Regex.split("\\s+"));                                   // one element per word
  const tsv = fields.apply("Tsv", ToString.kvs("\t"));                                       // "ERR\t42", "OK\t7", "WARN\t13"
  // [END text_transforms]
  return { codes, fields, masked, words, tsv };
}

export function groupIntoBatches(p: Pipeline): { sizes: PCollection<string>; sharded: PCollection<string> } {
  // [START group_into_batches]
  const requests = p.apply("Requests", Create.of(kv("eu", "r1"), kv("us", "r2"), kv("eu", "r3"), kv("eu", "r4")));
  const batches = requests.apply("Batch", GroupIntoBatches.ofSize(2));   // PCollection<KV<string, string[]>>
  const sizes = batches.map("Sizes", (b) => `${b.key}: ${b.value.length}`);   // eu: 2, eu: 1, us: 1
  // [END group_into_batches]
  // [START group_into_batches_options]
  const byBytes = requests.apply("ByBytes", GroupIntoBatches.ofByteSize(64_000, (r: string) => r.length));
  const capped = requests.apply("Capped", GroupIntoBatches.ofSize(100).withMaxBufferingDuration(10_000));   // at most 10 s of waiting
  const perShard = requests.apply("PerShard", GroupIntoBatches.ofSize(100).withShardedKey());   // KV<ShardedKey<string>, string[]>
  // [END group_into_batches_options]
  const sharded = perShard.map("Keys", (b) => `${b.key.key}: ${b.value.length}`);
  return { sizes, sharded: sharded.apply(Flatten.with(byBytes.map("N", (b) => `bytes ${b.value.length}`), capped.map("C", (b) => `capped ${b.value.length}`))) };
}

export function batchElements(p: Pipeline): { sizes: PCollection<number>; sized: PCollection<number>; logged: PCollection<string>; kept: PCollection<string>; count: PCollection<number> } {
  // [START batch_elements]
  const lines = p.apply("Lines", Create.from(Array.from({ length: 25 }, (_, i) => `line ${i}`)));
  const batches = lines.apply("Batch", BatchElements.of({ minBatchSize: 10, maxBatchSize: 10 }));   // PCollection<string[]>: 10, 10, 5
  const sizes = batches.map("Sizes", (b) => b.length);
  const byLength = lines.apply("ByLength", BatchElements.of({ maxBatchSize: 64, elementSizeFn: (l: string) => l.length }));   // at most 64 characters a batch
  // [END batch_elements]
  // [START log_elements]
  const words = p.apply("Words", Create.of("a", "b"));
  const logged = words.apply("Log", LogElements.of({ prefix: "word: " }));   // prints "word: a", "word: b"; passes them on
  let count: PCollection<number> | undefined;
  const kept = words.apply("Tee", Tee.of((pc: PCollection<string>) => (count = pc.apply("Count", Count.globally()))));   // the words, unchanged
  // [END log_elements]
  return { sizes, sized: byLength.map("Chars", (b) => b.join("").length), logged, kept, count: count! };
}
