/**
 * Streaming windowed writes for the real-runner tests (real_runner_windowed_writes.test.ts): a
 * TestStream (or a PeriodicImpulse, an unbounded source run as a splittable DoFn in our worker)
 * of keyed numbers in 10 s fixed windows, optionally through a step (a stateful DoFn,
 * a GroupByKey or a Reshuffle), written per window with WriteToText, WriteToAvro or
 * FileIO.writeDynamic. `readWindowedOutput` reads what a run wrote, for comparing runners.
 */
import * as fs from "node:fs";
import * as path from "node:path";
import * as avsc from "avsc";
import { definePipeline, FileIO, FixedWindows, GroupByKey, kv, KV, ParDo, PCollection, Pipeline, PeriodicImpulse, Reshuffle, StatefulDoFn, StateSpec, TestStream, TimerSpec, Window } from "../../lib";
import { WriteToAvro } from "../../lib/io/avro";
import { WriteToText } from "../../lib/io/textio";
import type { StatefulProcessContext, TimerContext } from "../../lib/model/state";

/** Buffers a key's values per window and emits them, sorted, when the window ends (event-time timer). */
class FlushAtWindowEnd extends StatefulDoFn<string, number, string> {
  readonly buffer = StateSpec.bag<number>("buffer");
  readonly flush = TimerSpec.eventTime("flush");
  readonly idle = TimerSpec.processingTime("idle");
  /** @param idle also arm an idle processing-time timer per key and window, cleared at the flush */
  constructor(private readonly withIdle: boolean) {
    super();
  }
  process(e: KV<string, number>, ctx: StatefulProcessContext<string>): void {
    ctx.state(this.buffer).add(e.value);
    ctx.timer(this.flush).set(ctx.window.maxTimestamp());
    if (this.withIdle) ctx.timer(this.idle).offset(60_000);
  }
  onTimer(timer: string, ctx: TimerContext<string, string>): void {
    if (timer === "idle") {
      ctx.output(`${ctx.key} idle`);
      return;
    }
    ctx.output(`${ctx.key}:${[...ctx.state(this.buffer).read()].sort((a, b) => a - b).join(",")}`);
    ctx.state(this.buffer).clear();
    if (this.withIdle) ctx.timer(this.idle).clear();
  }
}

/** Buffers a key's values per window and emits them a second of processing time after the first. */
class FlushAfterProcessingTime extends StatefulDoFn<string, number, string> {
  readonly buffer = StateSpec.bag<number>("buffer");
  readonly flush = TimerSpec.processingTime("flush");
  readonly armed = StateSpec.value<boolean>("armed");
  process(e: KV<string, number>, ctx: StatefulProcessContext<string>): void {
    ctx.state(this.buffer).add(e.value);
    if (ctx.state(this.armed).read() === true) return;
    ctx.state(this.armed).write(true);
    ctx.timer(this.flush).offset(1_000);
  }
  onTimer(_timer: string, ctx: TimerContext<string, string>): void {
    ctx.output(`${ctx.key}:${[...ctx.state(this.buffer).read()].sort((a, b) => a - b).join(",")}`);
    ctx.state(this.buffer).clear();
    ctx.state(this.armed).clear();
  }
}

/** Sets an event-time timer for 5 s on "set" and clears it on "clear" (TimerClearProgram). */
class SetThenClear extends StatefulDoFn<string, string, string> {
  readonly timer = TimerSpec.eventTime("timer");
  process(e: KV<string, string>, ctx: StatefulProcessContext<string>): void {
    if (e.value === "set") ctx.timer(this.timer).set(5_000);
    else ctx.timer(this.timer).clear();
    ctx.output(`${e.value}@${ctx.timestamp}`);
  }
  onTimer(_timer: string, ctx: TimerContext<string, string>): void {
    ctx.output(`fired@${ctx.fireTimestamp}`);
  }
}

/**
 * An event-time timer set by one element and cleared by the next, which the TestStream puts in a
 * later bundle (after a watermark advance); written per window. Beam: the timer never fires.
 */
export const timerClearProgram = definePipeline({
  name: "portable-test-timer-clear",
  description: "an event-time timer cleared in a later bundle than it was set",
  flags: { output: { type: "string", describe: "Output folder", required: true } },
  build(root, flags) {
    root
      .apply(
        "Commands",
        TestStream.create<KV<string, string>>()
          .addElements({ value: kv("a", "set"), timestamp: 1_000 })
          .advanceWatermarkTo(2_000)
          .addElements({ value: kv("a", "clear"), timestamp: 1_500 })
          .advanceWatermarkTo(3_000)
          .advanceWatermarkToInfinity(),
      )
      .apply("Window", Window.into(new FixedWindows(10_000)))
      .apply("SetThenClear", ParDo.of(new SetThenClear()))
      .apply("Write", WriteToText.to(`${flags.output}/text/out`, { suffix: ".txt" }));
  },
});

/** Numbers each of a key's values in a window (value state, no timers). */
class CountSoFar extends StatefulDoFn<string, number, string> {
  readonly count = StateSpec.value<number>("count");
  process(e: KV<string, number>, ctx: StatefulProcessContext<string>): void {
    const n = (ctx.state(this.count).read() ?? 0) + 1;
    ctx.state(this.count).write(n);
    ctx.output(`${e.key}:${e.value}#${n}`);
  }
}

function withProcessingTime(): TestStream<KV<string, number>> {
  return TestStream.create<KV<string, number>>()
    .addElements({ value: kv("a", 1), timestamp: 1_000 }, { value: kv("b", 2), timestamp: 2_000 }, { value: kv("a", 3), timestamp: 3_000 })
    .advanceProcessingTime(2_000)
    .advanceWatermarkTo(10_000)
    .addElements({ value: kv("a", 4), timestamp: 12_000 }, { value: kv("b", 5), timestamp: 15_000 }, { value: kv("b", 6), timestamp: 25_000 })
    .advanceProcessingTime(2_000);
}

/** The input, before the windowing. */
const SOURCES = {
  testStream: (root: Pipeline) =>
    root.apply(
      "Numbers",
      TestStream.create<KV<string, number>>()
        .addElements({ value: kv("a", 1), timestamp: 1_000 }, { value: kv("b", 2), timestamp: 2_000 }, { value: kv("a", 3), timestamp: 3_000 })
        .advanceWatermarkTo(10_000)
        .addElements({ value: kv("a", 4), timestamp: 12_000 }, { value: kv("b", 5), timestamp: 15_000 }, { value: kv("b", 6), timestamp: 25_000 })
        .advanceWatermarkToInfinity(),
    ),
  // Each batch followed by 2 s of processing time (for processing-time timers), the stream ended
  // explicitly (`advanceWatermarkToInfinity`) or not ("processingTimeOpen"; runners then end it).
  processingTime: (root: Pipeline) => root.apply("Numbers", withProcessingTime().advanceWatermarkToInfinity()),
  processingTimeOpen: (root: Pipeline) => root.apply("Numbers", withProcessingTime()),
  // The same with late data (allowed by the windowing below): a late pane of window [0, 10 s).
  late: (root: Pipeline) =>
    root.apply(
      "Numbers",
      TestStream.create<KV<string, number>>()
        .addElements({ value: kv("a", 1), timestamp: 1_000 }, { value: kv("b", 2), timestamp: 2_000 })
        .advanceWatermarkTo(15_000)
        .addElements({ value: kv("a", 3), timestamp: 3_000 }, { value: kv("a", 4), timestamp: 12_000 })
        .advanceWatermarkToInfinity(),
    ),
  // Firings at 1, 6, 11, 16 and 21 s after the epoch: all past, so due at once.
  periodic: (root: Pipeline) =>
    root
      .apply("Firings", PeriodicImpulse.create({ start: 1_000, stop: 26_000, intervalMillis: 5_000 }))
      .map("Key", (t: number) => kv(t % 10_000 === 1_000 ? "a" : "b", t / 1_000)),
} as const;
export type WindowedWriteSource = keyof typeof SOURCES;

/** What runs between the windowing and the write. */
const STEPS = {
  none: (input: PCollection<KV<string, number>>) => input.map("Format", (e: KV<string, number>) => `${e.key}:${e.value}`),
  stateful: (input: PCollection<KV<string, number>>) => input.apply("Flush", ParDo.of(new FlushAtWindowEnd(false))),
  stateOnly: (input: PCollection<KV<string, number>>) => input.apply("Count", ParDo.of(new CountSoFar())),
  processingFlush: (input: PCollection<KV<string, number>>) => input.apply("FlushLater", ParDo.of(new FlushAfterProcessingTime())),
  idleCleared: (input: PCollection<KV<string, number>>) => input.apply("FlushWithIdle", ParDo.of(new FlushAtWindowEnd(true))),
  gbk: (input: PCollection<KV<string, number>>) =>
    input.apply("Group", GroupByKey.create<string, number>()).map("Format", (g: KV<string, number[]>) => `${g.key}:${[...g.value].sort((a, b) => a - b).join(",")}`),
  reshuffle: (input: PCollection<KV<string, number>>) => input.apply("Reshuffle", Reshuffle.viaRandomKey<KV<string, number>>()).map("Format", (e: KV<string, number>) => `${e.key}:${e.value}`),
} as const;
export type WindowedWriteStep = keyof typeof STEPS;

const LINE_SCHEMA = { type: "record", name: "Line", fields: [{ name: "line", type: "string" }] } as const;

/** The sinks, each writing under `<output>/<sink>/`. */
const SINKS = {
  text: (lines: PCollection<string>, output: string, shards: number) => lines.apply("WriteText", WriteToText.to(`${output}/text/out`, { suffix: ".txt", ...(shards > 0 ? { numShards: shards } : {}) })),
  avro: (lines: PCollection<string>, output: string, shards: number) =>
    lines.map("ToRecord", (line: string) => ({ line })).apply("WriteAvro", WriteToAvro.to(`${output}/avro/out`, { schema: LINE_SCHEMA, suffix: ".avro", ...(shards > 0 ? { numShards: shards } : {}) })),
  fileio: (lines: PCollection<string>, output: string, shards: number) =>
    lines.apply("WriteFiles", FileIO.writeDynamic<string>().by((l) => l.slice(0, 1)).to(`${output}/fileio`).withPrefix("lines").withSuffix(".txt").withWindowedWrites().withNumShards(shards)),
} as const;
export type WindowedWriteSink = keyof typeof SINKS;

export const windowedWriteProgram = definePipeline({
  name: "portable-test-windowed-writes",
  description: "TestStream → fixed windows → (a step) → windowed text, Avro or FileIO writes",
  flags: {
    output: { type: "string", describe: "Output folder", required: true },
    source: { type: "string", describe: `The input: ${Object.keys(SOURCES).join(", ")}`, default: "testStream" },
    step: { type: "string", describe: `What runs before the write: ${Object.keys(STEPS).join(", ")}`, default: "none" },
    sink: { type: "string", describe: `The write: ${Object.keys(SINKS).join(", ")}`, default: "text" },
    shards: { type: "number", describe: "Shards per window (0: the sink's default)", default: 0 },
  },
  build(root, flags) {
    const lateness = flags.source === "late" ? { allowedLatenessMillis: 60_000 } : {};
    const numbers = SOURCES[flags.source as WindowedWriteSource](root).apply("Window", Window.into(new FixedWindows(10_000), lateness));
    SINKS[flags.sink as WindowedWriteSink](STEPS[flags.step as WindowedWriteStep](numbers), flags.output, flags.shards);
  },
});

/**
 * What a run wrote under `<output>/<sink>`: each file's name with its shard number in place of the
 * digits (`SSSSS`), mapped to its lines (Avro: each record's line) sorted, the lines of one name's
 * shards together. Beam assigns elements to a window's shards in no set order, and writes no file
 * for an empty shard of a windowed write (FileBasedSink.finalizeDestination), so only this is
 * comparable between runners (which shards of a window hold lines, and so how many files there
 * are, may differ from run to run).
 */
export async function readWindowedOutput(output: string, sink: WindowedWriteSink): Promise<Record<string, string[]>> {
  const dir = path.join(output, sink);
  const files: Record<string, string[]> = {};
  for (const name of fs.existsSync(dir) ? fs.readdirSync(dir).sort() : []) {
    const full = path.join(dir, name);
    let lines: string[];
    if (sink === "avro") {
      lines = [];
      await new Promise<void>((resolve, reject) =>
        avsc
          .createFileDecoder(full)
          .on("data", (r: { line: string }) => lines.push(r.line))
          .on("end", resolve)
          .on("error", reject),
      );
    } else {
      lines = fs.readFileSync(full, "utf8").split("\n").filter((l) => l !== "");
    }
    const key = name.replace(/\d{5}-of-/, "SSSSS-of-");
    (files[key] ??= []).push(...lines);
    files[key]!.sort();
  }
  return files;
}
