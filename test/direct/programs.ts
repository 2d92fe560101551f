/** Pipeline programs used by the multi-worker tests (worker threads load this module). */
import { Combine, Combiners, Count, Create, definePipeline, DoFn, FixedWindows, GroupByKey, IntervalWindow, kv, type KV, Metrics, ParDo, ProcessContext, ptransform, Reshuffle, AsSingleton, type PCollection } from "../../lib";
import { WriteToText } from "../../lib/io/textio";
import { isMainThread, threadId } from "node:worker_threads";
import * as fs from "node:fs";
import * as path from "node:path";
import type { CombineFn } from "../../lib/model/combine_fn";
import { assertThat, equalTo } from "../../lib/testing/passert";

class Tally extends DoFn<number, number> {
  private readonly seen = Metrics.counter("test", "seen");
  process(n: number, ctx: ProcessContext<number>): void {
    this.seen.inc();
    ctx.output(n);
  }
}

/** Sums, counts and side inputs across worker threads, checked by assertions in the pipeline. */
export const parallelProgram = definePipeline({
  name: "test-parallel",
  description: "multi-worker test",
  flags: { n: { type: "number", describe: "elements", default: 10_000 } },
  build(root, flags) {
    const nums = root.apply(Create.from(Array.from({ length: flags.n }, (_, i) => i))).apply(Reshuffle.viaRandomKey());
    const offset = AsSingleton(root.apply("Offset", Create.of(1)));
    const shifted = nums.apply("Tally", ParDo.of(new Tally())).apply(
      "AddOffset",
      ParDo.into<number>().of((n, ctx) => ctx.output(n + ctx.sideInputs.offset), { sideInputs: { offset } }),
    );
    const byParity = shifted.map("KeyByParity", (n: number) => kv(n % 2 === 0 ? "even" : "odd", n));
    const n = flags.n;
    let even = 0;
    let odd = 0;
    for (let i = 1; i <= n; i++) (i % 2 === 0 ? (even += i) : (odd += i));
    assertThat(byParity.apply("Sum", Combine.perKey(Combiners.sum())), equalTo([kv("even", even), kv("odd", odd)]), "AssertSums");
    assertThat(shifted.apply(Count.globally()), equalTo([n]), "AssertCount");
  },
});

/**
 * Create.windowedValues across worker threads: elements in the interval windows they name cross
 * threads encoded by their collection's window coder and are grouped by those windows.
 */
export const windowedValuesProgram = definePipeline({
  name: "test-windowed-values",
  description: "Create.windowedValues across worker threads",
  flags: {},
  build(root) {
    const w = (start: number) => new IntervalWindow(start, start + 10);
    const created = root.apply(
      Create.windowedValues([{ value: kv("k", "a"), timestamp: 5, windows: [w(10)] }, { value: kv("k", "c"), timestamp: 3, windows: [w(0), w(10)] }], new FixedWindows(10)),
    );
    const grouped = created.apply(Reshuffle.viaRandomKey()).apply(GroupByKey.create());
    const shown = grouped.apply("Show", ParDo.into<string>().of((g: KV<string, string[]>, ctx) => ctx.output(`${[...g.value].sort().join(",")} ${ctx.window.id()}`)));
    assertThat(shown, equalTo(["a,c 10:20", "c 0:10"]), "AssertGroups");
  },
});

/** Fails in a worker thread. */
export const failingProgram = definePipeline({
  name: "test-failing-parallel",
  description: "multi-worker failure test",
  flags: {},
  build(root) {
    root
      .apply(Create.from(Array.from({ length: 100 }, (_, i) => i)))
      .apply(Reshuffle.viaRandomKey())
      .map("Explode", (n: number) => {
        if (n === 42) throw new Error("bad element");
        return n;
      });
  },
});

/**
 * Labels with '/' (Beam allows "Read from Pub/Sub"), at the top and nested, on a DoFn with a
 * counter and on a lifted combine: every lookup by full name (worker threads, the Fn API
 * harness, metrics) must still find them.
 */
export const slashLabelsProgram = definePipeline({
  name: "test-slash-labels",
  description: "labels containing '/'",
  flags: {},
  build(root) {
    const counted = root
      .apply("Read from Pub/Sub", Create.from(Array.from({ length: 10 }, (_, i) => i)))
      .apply("Spread/Out", Reshuffle.viaRandomKey())
      .apply("Outer/Stage", ptransform("Stage", (input: PCollection<number>) => input.apply("Count a/b", ParDo.of(new Tally()))));
    const sums = counted.map("Key by parity", (n: number) => kv(n % 2 === 0 ? "even" : "odd", n)).apply("Sum/All", Combine.perKey(Combiners.sum()));
    assertThat(sums, equalTo([kv("even", 20), kv("odd", 25)]), "Check/Sums");
  },
});

/**
 * Costs `mainThreadMs` of CPU per element in the main thread only, so a stage is long enough for
 * worker threads to start part-way through it (--direct_worker_threads when_worthwhile); counts
 * where each element was processed.
 */
class SlowInMainThread extends DoFn<number, number> {
  private readonly inMain = Metrics.counter("test", "inMainThread");
  private readonly inWorker = Metrics.counter("test", "inWorkerThread");
  constructor(private readonly mainThreadMs: number) {
    super();
  }
  process(n: number, ctx: ProcessContext<number>): void {
    if (isMainThread) {
      this.inMain.inc();
      // A workload, not a wait: the element costs this much CPU here (CPU time, not wall time, as
      // the runner judges a stage's pace by time worked: on a loaded machine a wall-clock spin
      // would be mostly time spent waiting for a core).
      const start = process.cpuUsage();
      for (;;) {
        const used = process.cpuUsage(start);
        if ((used.user + used.system) / 1000 >= this.mainThreadMs) break;
      }
    } else this.inWorker.inc();
    ctx.output(n);
  }
}

/** A long stage: worker threads join it once they are ready; the sums check every element arrived once. */
export const lateWorkersProgram = definePipeline({
  name: "test-late-workers",
  description: "worker threads starting during a stage",
  flags: { n: { type: "number", describe: "elements", default: 2000 }, ms: { type: "number", describe: "main-thread CPU per element (ms)", default: 5 } },
  build(root, flags) {
    const n = flags.n;
    const out = root
      .apply(Create.from(Array.from({ length: n }, (_, i) => i + 1)))
      .apply(Reshuffle.viaRandomKey())
      .apply("Slow", ParDo.of(new SlowInMainThread(flags.ms)));
    assertThat(out.apply(Combine.globally(Combiners.sum())), equalTo([(n * (n + 1)) / 2]), "AssertSum");
    assertThat(out.apply(Count.globally()), equalTo([n]), "AssertCount");
  },
});

/** Spins for `ms` of wall time: an element's work (not a wait for something else). */
function work(ms: number): void {
  const until = performance.now() + ms;
  while (performance.now() < until);
}

/** Costs little in the main thread and much in a worker thread; counts where each element ran. */
class HeavyInWorkers extends DoFn<number, number> {
  private readonly inMain = Metrics.counter("test", "heavyInMainThread");
  private readonly inWorker = Metrics.counter("test", "heavyInWorkerThread");
  constructor(
    private readonly mainThreadMs: number,
    private readonly workerThreadMs: number,
  ) {
    super();
  }
  process(n: number, ctx: ProcessContext<number>): void {
    (isMainThread ? this.inMain : this.inWorker).inc();
    work(isMainThread ? this.mainThreadMs : this.workerThreadMs);
    ctx.output(n);
  }
}

/** Counts where each element ran. */
class CountThreads extends DoFn<number, number> {
  private readonly inMain = Metrics.counter("test", "cheapInMainThread");
  private readonly inWorker = Metrics.counter("test", "cheapInWorkerThread");
  process(n: number, ctx: ProcessContext<number>): void {
    (isMainThread ? this.inMain : this.inWorker).inc();
    ctx.output(n);
  }
}

/**
 * A long first stage (worker threads start during it), then a stage of `few` elements, one per
 * chunk, that cost `workerMs` each in a worker thread and `mainMs` in the main thread: at its end
 * the main thread is idle while a worker thread is still busy with its first. And a short stage
 * of `cheap` elements that cost next to nothing.
 */
export const busyWorkerProgram = definePipeline({
  name: "test-busy-worker",
  description: "a stage's last chunks while a worker thread is busy",
  flags: {
    n: { type: "number", describe: "elements of the first stage", default: 1000 },
    ms: { type: "number", describe: "main-thread CPU per element of the first stage (ms)", default: 2 },
    few: { type: "number", describe: "elements of the second stage", default: 3 },
    mainMs: { type: "number", describe: "main-thread time per element of the second stage (ms)", default: 20 },
    workerMs: { type: "number", describe: "worker-thread time per element of the second stage (ms)", default: 500 },
    cheap: { type: "number", describe: "elements of the short stage", default: 1000 },
  },
  build(root, flags) {
    const first = root
      .apply(Create.from(Array.from({ length: flags.n }, (_, i) => i)))
      .apply(Reshuffle.viaRandomKey())
      .apply("Slow", ParDo.of(new SlowInMainThread(flags.ms)));
    const few = flags.few;
    const second = first
      .apply("CountFirst", Count.globally())
      .flatMap("Few", () => Array.from({ length: few }, (_, i) => i + 1))
      .apply("Spread", Reshuffle.viaRandomKey())
      .apply("Heavy", ParDo.of(new HeavyInWorkers(flags.mainMs, flags.workerMs)));
    assertThat(second.apply("SumSecond", Combine.globally(Combiners.sum())), equalTo([(few * (few + 1)) / 2]), "AssertSecond");
    const cheap = flags.cheap;
    const short = first
      .apply("CountAgain", Count.globally())
      .flatMap("Many", () => Array.from({ length: cheap }, (_, i) => i + 1))
      .apply("SpreadMany", Reshuffle.viaRandomKey())
      .apply("Cheap", ParDo.of(new CountThreads()));
    assertThat(short.apply("CountShort", Count.globally()), equalTo([cheap]), "AssertShort");
  },
});

/**
 * Builds a different graph in worker threads (an extra step): a worker thread started part-way
 * through the long first stage cannot rebuild the pipeline. Writes its numbers to `output`.
 */
export const divergentWorkersProgram = definePipeline({
  name: "test-divergent-workers",
  description: "worker threads that fail to start",
  flags: { output: { type: "string", describe: "output prefix", required: true } },
  build(root, flags) {
    let numbers = root
      .apply(Create.from(Array.from({ length: 1000 }, (_, i) => i)))
      .apply(Reshuffle.viaRandomKey())
      .apply("Slow", ParDo.of(new SlowInMainThread(2)));
    if (!isMainThread) numbers = numbers.map("OnlyInWorkers", (n: number) => n);
    numbers.map("Format", (n: number) => String(n)).apply("Write", WriteToText.to(flags.output));
  },
});

/**
 * A CombineFn recording its setup and teardown as files in `dir` (one per call, named by thread
 * and instance): worker threads' instances are their own, invisible to the main thread otherwise.
 */
class FileRecordingSum implements CombineFn<number, number, number> {
  private readonly id = `${threadId}-${Math.random().toString(36).slice(2)}`;
  constructor(private readonly dir: string) {}
  setup(): void {
    fs.writeFileSync(path.join(this.dir, `setup-${this.id}`), "");
  }
  teardown(): void {
    fs.writeFileSync(path.join(this.dir, `teardown-${this.id}`), "");
  }
  createAccumulator(): number {
    return 0;
  }
  addInput(a: number, x: number): number {
    return a + x;
  }
  mergeAccumulators(accs: Iterable<number>): number {
    let s = 0;
    for (const a of accs) s += a;
    return s;
  }
  extractOutput(a: number): number {
    return a;
  }
}

/** A lifted Combine.perKey over worker threads, its CombineFn recording setup and teardown in `dir`. */
export const combineLifecycleProgram = definePipeline({
  name: "test-combine-lifecycle",
  description: "CombineFn setup/teardown in worker threads",
  flags: { dir: { type: "string", describe: "where setup and teardown are recorded", default: "" } },
  build(root, flags) {
    const pairs = root.apply(Create.from(Array.from({ length: 2_000 }, (_, i) => kv(i % 2 === 0 ? "even" : "odd", i)))).apply(Reshuffle.viaRandomKey());
    let even = 0;
    let odd = 0;
    for (let i = 0; i < 2_000; i++) (i % 2 === 0 ? (even += i) : (odd += i));
    assertThat(pairs.apply("Sum", Combine.perKey<string, number, number, number>(new FileRecordingSum(flags.dir))), equalTo([kv("even", even), kv("odd", odd)]), "AssertSums");
  },
});
