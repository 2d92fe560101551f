/** Keyed pipeline programs of the parallel streaming tests (worker threads rebuild them from this module). */
import { BroadcastChannel } from "node:worker_threads";
import { AfterCount, ApproximateUnique, Combine, type CombineFn, Count, definePipeline, DoFn, FixedWindows, GlobalWindows, kv, KV, Metrics, ParDo, ProcessContext, Repeatedly, Window } from "../../lib";
import type { TimestampCombiner } from "../../lib/model/windowing";
import { ReadFromPubSub, WriteToPubSub } from "../../lib/io/pubsub";
import { StatefulDoFn, StatefulProcessContext, StateSpec, TimerContext, TimerSpec } from "../../lib/model/state";
import type { PCollection } from "../../lib/model/pcollection";
import type { Pipeline } from "../../lib/model/pipeline";
import { IntervalWindow } from "../../lib/model/window";

/** The channel a held message waits on: the instance posts "held", the test posts "release". */
export const HOLD_CHANNEL = "beamline-test-parallel-keyed-hold";

/** An input message: one element per key (value `v`, default 1); `hold`: wait until the test releases it. */
export interface KeyedInput {
  readonly keys: readonly string[];
  readonly v?: number;
  readonly hold?: boolean;
}

/** This thread's end of the hold channel (unreferenced: it keeps no thread alive). */
let holdChannel: BroadcastChannel | undefined;
let release: (() => void) | undefined;

/** Tells the test an element is held, and waits until it says "release". */
function heldUntilReleased(): Promise<void> {
  if (holdChannel === undefined) {
    holdChannel = new BroadcastChannel(HOLD_CHANNEL);
    (holdChannel as unknown as { unref(): void }).unref();
    holdChannel.onmessage = (e) => {
      if ((e as { data: unknown }).data === "release") release?.();
    };
  }
  const released = new Promise<void>((resolve) => (release = resolve));
  holdChannel.postMessage("held");
  return released;
}

/** Emits (key, v) for each key of a message; a held message first waits for the test's word. */
class Explode extends DoFn<Uint8Array, KV<string, number>> {
  async process(data: Uint8Array, ctx: ProcessContext<KV<string, number>>): Promise<void> {
    const m = JSON.parse(Buffer.from(data).toString("utf8")) as KeyedInput;
    if (m.hold === true) await heldUntilReleased();
    for (const k of m.keys) ctx.output(kv(k, m.v ?? 1));
  }
}

const windowId = (w: unknown): string => (w instanceof IntervalWindow ? `${w.start}:${w.end}` : "global");

const flags = {
  input: { type: "string", describe: "subscription to read (timestamps in the 'ts' attribute)", required: true },
  output: { type: "string", describe: "topic to write the results to", required: true },
  window_ms: { type: "number", describe: "fixed window size", default: 10_000 },
} as const;

/** The programs' common start: Pub/Sub (event times from 'ts') → (key, v) per key → fixed windows. */
function windowedInput(root: Pipeline, f: { readonly input: string; readonly window_ms: number }, timestampCombiner?: TimestampCombiner): PCollection<KV<string, number>> {
  return root
    .apply("Read", ReadFromPubSub.from({ subscription: f.input, timestampAttribute: "ts" }))
    .apply("Explode", ParDo.of(new Explode()))
    .apply("Window", Window.into(new FixedWindows(f.window_ms), timestampCombiner !== undefined ? { timestampCombiner } : {}));
}

/** Pub/Sub → (key, 1) per key → fixed windows → Count.perKey → "key window count timing#index" → Pub/Sub. */
export const keyedWindowCount = definePipeline({
  name: "test-parallel-streaming-keyed-count",
  description: "a keyed windowed count on parallel streaming instances",
  flags,
  build(root, f) {
    windowedInput(root, f)
      .apply("Count", Count.perKey())
      .apply(
        "Format",
        ParDo.of((c: KV<string, number>, ctx: ProcessContext<Uint8Array>) => {
          ctx.output(Buffer.from(`${c.key} ${windowId(ctx.window)} ${c.value} ${ctx.pane.timing}#${ctx.pane.index}`));
        }),
      )
      .apply("Write", WriteToPubSub.to(f.output));
  },
});

/** Sums a key's values per window in state and emits the sum from an event-time timer at the window's end. */
class SumAtWindowEnd extends StatefulDoFn<string, number, Uint8Array> {
  readonly sum = StateSpec.value<number>("sum");
  readonly count = StateSpec.value<number>("count");
  readonly end = TimerSpec.eventTime("end");
  process(e: KV<string, number>, ctx: StatefulProcessContext<Uint8Array>): void {
    if (ctx.state(this.count).read() === undefined) ctx.timer(this.end).set(ctx.window.maxTimestamp());
    ctx.state(this.sum).write((ctx.state(this.sum).read() ?? 0) + e.value);
    ctx.state(this.count).write((ctx.state(this.count).read() ?? 0) + 1);
  }
  onTimer(_timer: string, ctx: TimerContext<string, Uint8Array>): void {
    ctx.output(Buffer.from(`${ctx.key} ${windowId(ctx.window)} sum=${ctx.state(this.sum).read()} n=${ctx.state(this.count).read()} @${ctx.timestamp}`));
  }
}

/** Pub/Sub → (key, v) per key → fixed windows → stateful sum fired by event-time timers → Pub/Sub. */
export const keyedTimers = definePipeline({
  name: "test-parallel-streaming-keyed-timers",
  description: "a stateful DoFn with event-time timers on parallel streaming instances",
  flags,
  build(root, f) {
    windowedInput(root, f)
      .apply("Sum", ParDo.of(new SumAtWindowEnd()))
      .apply("Write", WriteToPubSub.to(f.output));
  },
});

interface MeanAcc {
  sum: number;
  n: number;
}

/**
 * The mean, through a { sum, n } accumulator. It counts its calls ("mean" counters) and refuses
 * an input that is not a number: an owner that added a precombined accumulator as an input fails the run.
 */
const mean: CombineFn<number, MeanAcc, number> = {
  createAccumulator: () => ({ sum: 0, n: 0 }),
  addInput(a, x) {
    if (typeof x !== "number") throw new TypeError(`mean: addInput received ${JSON.stringify(x)}, not a number`);
    Metrics.counter("mean", "addInput").inc();
    a.sum += x;
    a.n++;
    return a;
  },
  mergeAccumulators(accs) {
    Metrics.counter("mean", "mergeAccumulators").inc();
    const out = { sum: 0, n: 0 };
    for (const a of accs) {
      out.sum += a.sum;
      out.n += a.n;
    }
    return out;
  },
  extractOutput: (a) => a.sum / a.n,
};

/** Pub/Sub → (key, v) per key → fixed windows with a timestamp combiner → Combine.perKey(mean) → "key window mean @timestamp timing#index" → Pub/Sub. */
export const keyedMean = definePipeline({
  name: "test-parallel-streaming-keyed-mean",
  description: "a Combine.perKey with a custom CombineFn on parallel streaming instances",
  flags: { ...flags, timestamp_combiner: { type: "string", describe: "END_OF_WINDOW, EARLIEST or LATEST", default: "END_OF_WINDOW" } },
  build(root, f) {
    windowedInput(root, f, f.timestamp_combiner as TimestampCombiner)
      .apply("Mean", Combine.perKey(mean))
      .apply(
        "Format",
        ParDo.of((c: KV<string, number>, ctx: ProcessContext<Uint8Array>) => {
          ctx.output(Buffer.from(`${c.key} ${windowId(ctx.window)} ${c.value} @${ctx.timestamp} ${ctx.pane.timing}#${ctx.pane.index}`));
        }),
      )
      .apply("Write", WriteToPubSub.to(f.output));
  },
});

/** Pub/Sub → (key, 1) per key → global window, a pane every 2 elements (a trigger Beam does not lift for) → Count.perKey → Pub/Sub. */
export const keyedCountEvery2 = definePipeline({
  name: "test-parallel-streaming-keyed-count-every-2",
  description: "a Count.perKey under Repeatedly(AfterCount(2)) on parallel streaming instances",
  flags,
  build(root, f) {
    root
      .apply("Read", ReadFromPubSub.from({ subscription: f.input, timestampAttribute: "ts" }))
      .apply("Explode", ParDo.of(new Explode()))
      .apply("Window", Window.into(new GlobalWindows(), { trigger: Repeatedly(AfterCount(2)), onTimeBehavior: "FIRE_IF_NON_EMPTY" }))
      .apply("Count", Count.perKey())
      .apply(
        "Format",
        ParDo.of((c: KV<string, number>, ctx: ProcessContext<Uint8Array>) => {
          ctx.output(Buffer.from(`${c.key} ${c.value} ${ctx.pane.timing}#${ctx.pane.index}`));
        }),
      )
      .apply("Write", WriteToPubSub.to(f.output));
  },
});

/** Pub/Sub → (key, v) per key → fixed windows → ApproximateUnique.perKey(16) → "key window estimate timing#index" → Pub/Sub. */
export const keyedUnique = definePipeline({
  name: "test-parallel-streaming-keyed-unique",
  description: "ApproximateUnique.perKey on parallel streaming instances",
  flags,
  build(root, f) {
    windowedInput(root, f)
      .apply("Unique", ApproximateUnique.perKey<string, number>(16))
      .apply(
        "Format",
        ParDo.of((c: KV<string, number>, ctx: ProcessContext<Uint8Array>) => {
          ctx.output(Buffer.from(`${c.key} ${windowId(ctx.window)} ${c.value} ${ctx.pane.timing}#${ctx.pane.index}`));
        }),
      )
      .apply("Write", WriteToPubSub.to(f.output));
  },
});
