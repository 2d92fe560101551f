/**
 * Streaming pipeline programs for the translation goldens and the worker's state/timer tests:
 * a TestStream into sessions and sliding windows with triggers, and a stateful DoFn with every
 * kind of state cell and both kinds of timers.
 */
import {
  AfterAll,
  AfterCount,
  AfterEach,
  AfterFirst,
  AfterProcessingTime,
  AfterWatermark,
  AsMap,
  AsSingleton,
  Combine,
  Combiners,
  Count,
  Create,
  definePipeline,
  FixedWindows,
  kv,
  KV,
  ParDo,
  Repeatedly,
  Sessions,
  SlidingWindows,
  StatefulDoFn,
  StateSpec,
  TestStream,
  TimerSpec,
  Window,
} from "../../lib";
import type { StatefulProcessContext, TimerContext } from "../../lib/model/state";

/**
 * Scores per user: sessions (10 s gap) with early firings every second of processing time and
 * a late firing per late element, accumulating, 60 s allowed lateness, summed; and the same
 * stream in 30 s windows sliding every 10 s, with a composite trigger, counted.
 */
export const streamingProgram = definePipeline({
  name: "portable-test-streaming",
  description: "TestStream → sessions/sliding windows with triggers → combine",
  flags: {},
  build(root) {
    const scores = root.apply(
      "Scores",
      TestStream.create<KV<string, number>>()
        .addElements({ value: kv("ann", 3), timestamp: 1_000 }, { value: kv("bob", 5), timestamp: 1_500 })
        .advanceProcessingTime(2_000)
        .advanceWatermarkTo(15_000)
        .addElements({ value: kv("ann", 4), timestamp: 2_000 })
        .advanceWatermarkToInfinity(),
    );
    scores
      .apply(
        "Sessions",
        Window.into(new Sessions(10_000), {
          trigger: AfterWatermark({ early: AfterProcessingTime(1_000), late: AfterCount(1) }),
          accumulationMode: "ACCUMULATING",
          allowedLatenessMillis: 60_000,
        }),
      )
      .apply("SumPerSession", Combine.perKey(Combiners.sum()));
    scores
      .apply(
        "Sliding",
        Window.into(new SlidingWindows(30_000, 10_000), {
          trigger: Repeatedly(AfterFirst(AfterCount(2), AfterAll(AfterProcessingTime(500), AfterEach(AfterCount(1), AfterCount(3))))),
          timestampCombiner: "EARLIEST",
        }),
      )
      .apply("CountPerKey", Count.perKey());
  },
});

/**
 * Buffers each key's values per window and flushes them when the window ends (event-time timer),
 * keeping a count (value state), a total (combining state) and how often each value was seen
 * (map state); an idle processing-time timer is armed (reporting when it fires) and cleared on flush.
 */
export class BufferPerKey extends StatefulDoFn<string, number, string> {
  readonly buffer = StateSpec.bag<number>("buffer");
  readonly count = StateSpec.value<number>("count");
  readonly total = StateSpec.combining("total", Combiners.sum());
  readonly seen = StateSpec.map<number, number>("seen");
  readonly flush = TimerSpec.eventTime("flush");
  readonly idle = TimerSpec.processingTime("idle");

  process(e: KV<string, number>, ctx: StatefulProcessContext<string>): void {
    ctx.state(this.buffer).add(e.value);
    const count = ctx.state(this.count);
    count.write((count.read() ?? 0) + 1);
    ctx.state(this.total).add(e.value);
    const seen = ctx.state(this.seen);
    seen.put(e.value, (seen.get(e.value) ?? 0) + 1);
    ctx.timer(this.flush).set(ctx.window.maxTimestamp());
    ctx.timer(this.idle).offset(60_000);
  }

  onTimer(timer: string, ctx: TimerContext<string, string>): void {
    if (timer === "idle") {
      ctx.output(`${ctx.key} idle@${ctx.timestamp} fired@${ctx.fireTimestamp}`);
      return;
    }
    const values = [...ctx.state(this.buffer).read()].sort((a, b) => a - b);
    const seen = [...ctx.state(this.seen).entries()].sort((a, b) => a[0] - b[0]).map(([v, n]) => `${v}x${n}`);
    ctx.output(`${ctx.key}@${ctx.timestamp} [${values.join(",")}] count=${ctx.state(this.count).read() ?? 0} total=${ctx.state(this.total).read()} seen=${seen.join(",")}`);
    ctx.state(this.buffer).clear();
    ctx.state(this.count).clear();
    ctx.state(this.total).clear();
    ctx.state(this.seen).clear();
    ctx.timer(this.idle).clear();
  }
}

/** Keyed numbers in 10 s fixed windows through BufferPerKey. */
export const statefulProgram = definePipeline({
  name: "portable-test-stateful",
  description: "a stateful DoFn with bag, value, combining and map state and two timers",
  flags: {},
  build(root) {
    root
      .apply("Numbers", Create.timestamped([{ value: kv("a", 1), timestamp: 1_000 }, { value: kv("b", 2), timestamp: 12_000 }]))
      .apply("Window", Window.into(new FixedWindows(10_000)))
      .apply("Buffer", ParDo.of(new BufferPerKey()));
  },
});

/** Sums each key's values per window; emits when the sum reaches the key's limit (map side input) and, for what is left, at the end of the window. */
type LimitSides = { limits: ReadonlyMap<string, number>; unit: string };

export class SumToLimit extends StatefulDoFn<string, number, string, {}, LimitSides> {
  readonly sum = StateSpec.value<number>("sum");
  readonly end = TimerSpec.eventTime("end");
  process(e: KV<string, number>, ctx: StatefulProcessContext<string, {}, LimitSides>): void {
    const sum = (ctx.state(this.sum).read() ?? 0) + e.value;
    ctx.state(this.sum).write(sum);
    const limit = ctx.sideInputs.limits.get(e.key) ?? Infinity;
    if (sum >= limit) {
      ctx.output(`${e.key} reached ${limit}${ctx.sideInputs.unit} with ${sum}`);
      ctx.state(this.sum).clear();
    }
    ctx.timer(this.end).set(ctx.window.maxTimestamp());
  }
  onTimer(_timer: string, ctx: TimerContext<string, string, {}, LimitSides>): void {
    const left = ctx.state(this.sum).read();
    if (left !== undefined) ctx.output(`${ctx.key} left ${left}${ctx.sideInputs.unit} of ${ctx.sideInputs.limits.get(ctx.key)}`);
    ctx.state(this.sum).clear();
  }
}

/** Keyed numbers in 10 s fixed windows through SumToLimit, with limits (AsMap) and a unit (AsSingleton) as side inputs. */
export const statefulSideInputProgram = definePipeline({
  name: "portable-test-stateful-side-inputs",
  description: "a stateful DoFn reading map and singleton side inputs in process and onTimer",
  flags: {},
  build(root) {
    const limits = AsMap(root.apply("Limits", Create.of(kv("a", 5), kv("b", 100))));
    const unit = AsSingleton(root.apply("Unit", Create.of("kg")));
    root
      .apply("Numbers", Create.timestamped([{ value: kv("a", 2), timestamp: 1_000 }]))
      .apply("Window", Window.into(new FixedWindows(10_000)))
      .apply("Sum", ParDo.of(new SumToLimit(), { sideInputs: { limits, unit } }));
  },
});
