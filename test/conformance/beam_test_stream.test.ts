/**
 * TestStream against Beam's own tests as the oracle: Beam Java's TestStreamTest and Beam
 * Python's test_stream_test.py (late data dropped or within the allowed lateness, processing-time
 * triggers, several streams, elements at the end of time, a multi-stage pipeline, the builder's
 * checks). Java's `Window.configure()` (keep the window function, set a trigger) is written
 * `Window.into(new GlobalWindows(), {...})` here, the input being in the global window.
 */
import { strict as assert } from "node:assert";
import {
  AfterCount,
  AfterProcessingTime,
  AfterWatermark,
  Combine,
  Combiners,
  FixedWindows,
  Flatten,
  GLOBAL_WINDOW_MAX_TIMESTAMP,
  GlobalWindows,
  GroupByKey,
  IntervalWindow,
  kv,
  MAX_TIMESTAMP,
  MIN_TIMESTAMP,
  ParDo,
  StatefulDoFn,
  StateSpec,
  TestStream,
  TimerSpec,
  Values,
  Window,
  WithKeys,
  type KV,
  type PCollection,
  type StatefulProcessContext,
  type TimerContext,
} from "../../lib";
import { labelledOutputs } from "./beam_helpers";
import type { Observed } from "../streaming/collect";

const MINUTE = 60_000;

/** Each output as "window pane value", sorted (pane: timing, and "last" for the final pane). */
const described = (o: Observed<unknown>): string => `${o.window} ${o.pane.timing}${o.pane.isLast ? "/last" : ""} ${JSON.stringify(o.value)}`;

/** The grouped values of one key, flattened back into elements (Java's Values.create() then Flatten.iterables()). */
const flattenIterables = <T>(pc: PCollection<KV<number, T[]>>): PCollection<T> =>
  pc.apply(Values.create<T[]>()).apply("FlattenIterables", ParDo.into<T>().of((vs: T[], ctx) => vs.forEach((v) => ctx.output(v))));

describe("Beam TestStream (TestStreamTest.java)", () => {
  it("testLateDataAccumulating: late data within the allowed lateness fires late panes; droppably late data is dropped", async () => {
    const source = TestStream.create<number>()
      .addElements({ value: 1, timestamp: 0 }, { value: 2, timestamp: 0 }, { value: 3, timestamp: 0 })
      .advanceWatermarkTo(6 * MINUTE)
      .addElements({ value: 4, timestamp: 0 }, { value: 5, timestamp: 0 })
      .advanceWatermarkTo(10 * MINUTE)
      .advanceWatermarkTo(20 * MINUTE)
      .addElements({ value: -1, timestamp: 0 }, { value: -2, timestamp: 0 }, { value: -3, timestamp: 0 })
      .advanceWatermarkToInfinity();
    const r = await labelledOutputs((p, out) => {
      const windowed = p.apply(source).apply(
        Window.into(new FixedWindows(5 * MINUTE), {
          trigger: AfterWatermark({ early: AfterProcessingTime(2 * MINUTE), late: AfterCount(1) }),
          accumulationMode: "ACCUMULATING",
          allowedLatenessMillis: 5 * MINUTE,
        }),
      );
      out("Triggered", flattenIterables(windowed.apply(WithKeys.of<number, number>(1)).apply(GroupByKey.create())));
      out("Count", windowed.apply("Count", Combine.globally(Combiners.count<number>(), { withoutDefaults: true })));
      out("Sum", windowed.apply("Sum", Combine.globally(Combiners.sum(), { withoutDefaults: true })));
    }, described);
    const window = `0:${5 * MINUTE}`;
    // inOnTimePane: 1, 2, 3; the -1..-3 never appear. Java's inFinalPane (1..5) is the pane its
    // ClosingBehavior.FIRE_ALWAYS adds when the window expires; Beamline closes windows as Beam's
    // default FIRE_IF_NON_EMPTY does (no closing option), so the accumulating late pane holds 1..5.
    assert.deepEqual(r["Triggered"]!.filter((s) => s.includes("ON_TIME")).map((s) => s.split(" ")[2]).sort(), ["1", "2", "3"]);
    assert.deepEqual(r["Triggered"]!.filter((s) => s.includes("LATE")).map((s) => s.split(" ")[2]).sort(), ["1", "2", "3", "4", "5"]);
    for (const s of [...r["Triggered"]!, ...r["Count"]!, ...r["Sum"]!]) assert.ok(s.startsWith(`${window} `), s);
    for (const c of r["Count"]!.map((s) => Number(s.split(" ")[2]))) assert.ok(c >= 3 && c <= 5, `count ${c}`);
    for (const c of r["Sum"]!.map((s) => Number(s.split(" ")[2]))) assert.ok(c >= 6 && c <= 15, `sum ${c}`);
  });

  it("testProcessingTimeTrigger: early panes in the global window by processing time", async () => {
    const source = TestStream.create<number>()
      .addElements({ value: 1, timestamp: 1000 }, { value: 2, timestamp: 2000 })
      .advanceProcessingTime(12 * MINUTE)
      .addElements({ value: 3, timestamp: 3000 })
      .advanceProcessingTime(6 * MINUTE)
      .advanceWatermarkToInfinity();
    const r = await labelledOutputs((p, out) => {
      const sum = p
        .apply(source)
        .apply(Window.into(new GlobalWindows(), { trigger: AfterWatermark({ early: AfterProcessingTime(5 * MINUTE) }), accumulationMode: "ACCUMULATING" }))
        .apply(Combine.globally(Combiners.sum()));
      out("Sum", sum);
    }, described);
    assert.deepEqual(r["Sum"]!.filter((s) => s.includes("EARLY")), ["global EARLY 3", "global EARLY 6"]);
  });

  it("testDiscardingMode", async () => {
    const stream = TestStream.create<string>()
      .advanceWatermarkTo(0)
      .addElements({ value: "firstPane", timestamp: 100 }, { value: "alsoFirstPane", timestamp: 200 })
      .addElements({ value: "onTimePane", timestamp: 500 })
      .advanceWatermarkTo(1000)
      .addElements({ value: "finalLatePane", timestamp: 750 }, { value: "alsoFinalLatePane", timestamp: 250 })
      .advanceWatermarkToInfinity();
    const r = await labelledOutputs((p, out) => {
      const values = p
        .apply(stream)
        .apply(
          Window.into(new FixedWindows(1000), {
            // Java's withLateFirings(Never.ever()) holds late data for the final pane at expiry;
            // Beamline has no Never trigger, so the two late elements (one bundle) fire one late pane.
            trigger: AfterWatermark({ early: AfterCount(2), late: AfterCount(2) }),
            accumulationMode: "DISCARDING",
            allowedLatenessMillis: 5000,
          }),
        )
        .apply(WithKeys.of<string, number>(1))
        .apply(GroupByKey.create());
      out("Values", flattenIterables(values));
    }, described);
    const byTiming = (t: string): string[] => r["Values"]!.filter((s) => s.split(" ")[1]!.startsWith(t)).map((s) => JSON.parse(s.split(" ")[2]!) as string).sort();
    assert.deepEqual(r["Values"]!.map((s) => s.split(" ")[0]), Array(5).fill("0:1000"));
    assert.deepEqual([...byTiming("EARLY"), ...byTiming("ON_TIME")].sort(), ["alsoFirstPane", "firstPane", "onTimePane"]);
    assert.deepEqual(byTiming("ON_TIME"), ["onTimePane"]);
    assert.deepEqual(byTiming("LATE"), ["alsoFinalLatePane", "finalLatePane"]);
  });

  it("testFirstElementLate: an element behind the watermark by more than the allowed lateness is dropped", async () => {
    const stream = TestStream.create<string>()
      .advanceWatermarkTo(0)
      .addElements({ value: "late", timestamp: -1_000_000 })
      .addElements({ value: "onTime", timestamp: 100 })
      .advanceWatermarkToInfinity();
    const r = await labelledOutputs((p, out) => {
      const grouped = p
        .apply(stream)
        .apply(Window.into(new FixedWindows(1000), { accumulationMode: "DISCARDING", allowedLatenessMillis: 5000 }))
        .apply(WithKeys.of<string, number>(1))
        .apply(GroupByKey.create());
      out("Values", flattenIterables(grouped));
    }, described);
    assert.deepEqual(r["Values"], ['0:1000 ON_TIME/last "onTime"']);
  });

  it("testElementsAtAlmostPositiveInfinity: elements at the global window's end are in the last fixed window", async () => {
    const end = GLOBAL_WINDOW_MAX_TIMESTAMP;
    const stream = TestStream.create<string>().addElements({ value: "foo", timestamp: end }, { value: "bar", timestamp: end }).advanceWatermarkToInfinity();
    const windowFn = new FixedWindows(6 * 60 * MINUTE);
    const r = await labelledOutputs((p, out) => {
      const grouped = p.apply(stream).apply(Window.into(windowFn)).apply(WithKeys.of<string, number>(1)).apply(GroupByKey.create());
      out("Values", flattenIterables(grouped));
    }, (o) => `${o.window} ${String(o.value)}`);
    const w = (windowFn.assignWindows(end)[0] as IntervalWindow).id();
    assert.deepEqual(r["Values"], [`${w} bar`, `${w} foo`]);
  });

  it("testMultipleStreams: two TestStreams in one pipeline, each with its own trigger", async () => {
    const r = await labelledOutputs((p, out) => {
      const strings = p
        .apply("CreateStrings", TestStream.create<string>().addElements({ value: "foo", timestamp: 0 }, { value: "bar", timestamp: 0 }).advanceWatermarkToInfinity())
        .apply("WindowStrings", Window.into(new GlobalWindows(), { trigger: AfterCount(2), accumulationMode: "ACCUMULATING" }));
      const ints = p
        .apply("CreateInts", TestStream.create<number>().addElements(...[1, 2, 3, 4].map((value) => ({ value, timestamp: 0 }))).advanceWatermarkToInfinity())
        .apply("WindowInts", Window.into(new GlobalWindows(), { trigger: AfterCount(4), accumulationMode: "ACCUMULATING" }));
      out("Strings", strings);
      out("Ints", ints);
    });
    assert.deepEqual(r, { Strings: ['"bar"', '"foo"'], Ints: ["1", "2", "3", "4"] });
  });

  it("testElementAtPositiveInfinityThrows, testAdvanceWatermarkNonMonotonicThrows, testAdvanceWatermarkEqualToPositiveInfinityThrows", () => {
    // Java's TIMESTAMP_MAX_VALUE minus 1 ms is not a distinct number here (beyond 2^53): the global
    // window's end stands for "just before the end of time".
    const stream = TestStream.create<number>().addElements({ value: -1, timestamp: GLOBAL_WINDOW_MAX_TIMESTAMP });
    assert.throws(() => stream.addElements({ value: 1, timestamp: MAX_TIMESTAMP }), RangeError);
    assert.throws(() => TestStream.create<number>().advanceWatermarkTo(0).advanceWatermarkTo(-1), RangeError);
    assert.throws(() => TestStream.create<number>().advanceWatermarkTo(GLOBAL_WINDOW_MAX_TIMESTAMP).advanceWatermarkTo(MAX_TIMESTAMP), RangeError);
    // Python's test_test_stream_errors: processing time advances by a positive amount.
    assert.throws(() => TestStream.create<number>().advanceProcessingTime(-1), RangeError);
    // Java's advanceWatermarkToInfinity returns a TestStream, not a builder: nothing follows it.
    const ended = TestStream.create<number>().advanceWatermarkToInfinity();
    assert.throws(() => ended.addElements({ value: 1, timestamp: 0 }), /has ended/);
    assert.throws(() => ended.advanceWatermarkToInfinity(), /has ended/);
  });

  it("testEarlyPanesOfWindow: three early panes by processing time, then the on-time pane", async () => {
    const source = TestStream.create<number>()
      .addElements({ value: 1, timestamp: 1000 })
      .advanceProcessingTime(6 * MINUTE)
      .addElements({ value: 2, timestamp: 2000 })
      .advanceProcessingTime(6 * MINUTE)
      .addElements({ value: 3, timestamp: 3000 })
      .advanceProcessingTime(6 * MINUTE)
      .advanceWatermarkToInfinity();
    const r = await labelledOutputs((p, out) => {
      const sum = p
        .apply(source)
        .apply(Window.into(new FixedWindows(30 * MINUTE), { trigger: AfterWatermark({ early: AfterProcessingTime(5 * MINUTE) }), accumulationMode: "ACCUMULATING" }))
        .apply(WithKeys.of<number, string>("key"))
        .apply(Combine.perKey(Combiners.sum()));
      out("Sum", sum);
    }, described);
    const w = `0:${30 * MINUTE}`;
    const kvs = (n: number): string => JSON.stringify(kv("key", n));
    assert.deepEqual(r["Sum"], [`${w} EARLY ${kvs(1)}`, `${w} EARLY ${kvs(3)}`, `${w} EARLY ${kvs(6)}`, `${w} ON_TIME/last ${kvs(6)}`]);
  });

  it("testMultiStage: a TestStream, its grouped and re-windowed output, flattened into a stateful DoFn", async () => {
    class Collect extends StatefulDoFn<string, string, string> {
      readonly seen = StateSpec.value<string>("seen");
      readonly emit = TimerSpec.eventTime("emit");
      process(e: KV<string, string>, ctx: StatefulProcessContext<string>): void {
        const seen = ctx.state(this.seen);
        const before = seen.read();
        seen.write(before === undefined ? e.value : `${before},${e.value}`);
        ctx.timer(this.emit).set(100_000);
      }
      onTimer(_timer: string, ctx: TimerContext<string, string>): void {
        ctx.output(ctx.state(this.seen).read()!);
      }
    }
    const stream = TestStream.create<string>()
      // Java's addElements(T...) stamps elements with the current watermark, initially the minimum.
      .addElements({ value: "before", timestamp: MIN_TIMESTAMP })
      .advanceWatermarkTo(0)
      .addElements({ value: "after", timestamp: 10_000 })
      .advanceWatermarkToInfinity();
    const r = await labelledOutputs((p, out) => {
      const input = p.apply(stream);
      const grouped = input
        .apply(Window.into(new FixedWindows(1000)))
        .apply("KeyByItself", ParDo.into<KV<string, string>>().of((e: string, ctx) => ctx.output(kv(e, e))))
        .apply(GroupByKey.create())
        .apply("Keys", ParDo.into<string>().of((g: KV<string, string[]>, ctx) => ctx.output(g.key)))
        .apply("Upper", ParDo.into<string>().of((s: string, ctx) => ctx.output(s.toUpperCase())))
        .apply("Rewindow", Window.into(new GlobalWindows()));
      const result = input
        .apply(Flatten.with(grouped))
        .apply("Key", ParDo.into<KV<string, string>>().of((e: string, ctx) => ctx.output(kv("key", e))))
        .apply(ParDo.of(new Collect()));
      out("Result", result);
    }, (o) => String(o.value));
    assert.deepEqual(r["Result"], ["before,BEFORE,after,AFTER"]);
  });
});


describe("Beam TestStream (test_stream_test.py)", () => {
  // Python's times are seconds; the same numbers as milliseconds keep every case's meaning.
  const script = (): TestStream<string> =>
    TestStream.create<string>()
      .advanceWatermarkTo(10)
      .addElements(...["a", "b", "c"].map((value) => ({ value, timestamp: 10 })))
      .advanceWatermarkTo(20)
      .addElements({ value: "d", timestamp: 20 })
      .addElements({ value: "e", timestamp: 20 })
      .advanceProcessingTime(10)
      .advanceWatermarkTo(300)
      .addElements({ value: "late", timestamp: 12 })
      .addElements({ value: "last", timestamp: 310 })
      .advanceWatermarkToInfinity();
  const grouped = (o: Observed<unknown>): string => `${o.window} ${JSON.stringify(o.value)}`;

  it("test_basic_execution: a ParDo sees every element at its timestamp, late ones included", async () => {
    const r = await labelledOutputs((p, out) => out("Records", p.apply(script())), (o) => `${String(o.value)}@${o.timestamp}`);
    assert.deepEqual(r["Records"], ["a@10", "b@10", "c@10", "d@20", "e@20", "last@310", "late@12"]);
  });

  it("test_gbk_execution_no_triggers: late data within the allowed lateness is a second pane of its window", async () => {
    const r = await labelledOutputs((p, out) => {
      const g = p.apply(script()).apply(Window.into(new FixedWindows(15), { allowedLatenessMillis: 300 })).apply(WithKeys.of<string, string>("k")).apply(GroupByKey.create());
      out("Grouped", g);
    }, grouped);
    assert.deepEqual(r["Grouped"], ['0:15 {"key":"k","value":["a","b","c"]}', '0:15 {"key":"k","value":["late"]}', '15:30 {"key":"k","value":["d","e"]}', '300:315 {"key":"k","value":["last"]}']);
  });

  it("test_gbk_execution_after_watermark_trigger: an early pane per element, then an empty on-time pane", async () => {
    const stream = TestStream.create<string>().advanceWatermarkTo(10).addElements({ value: "a", timestamp: 11 }).advanceWatermarkTo(20).addElements({ value: "b", timestamp: 21 }).advanceWatermarkToInfinity();
    const r = await labelledOutputs((p, out) => {
      const g = p
        .apply(stream)
        .apply(Window.into(new FixedWindows(15), { trigger: AfterWatermark({ early: AfterCount(1) }), accumulationMode: "DISCARDING" }))
        .apply(WithKeys.of<string, string>("k"))
        .apply(GroupByKey.create());
      out("Grouped", g);
    }, grouped);
    assert.deepEqual(r["Grouped"], ['0:15 {"key":"k","value":["a"]}', '0:15 {"key":"k","value":[]}', '15:30 {"key":"k","value":["b"]}', '15:30 {"key":"k","value":[]}']);
  });

  it("test_gbk_execution_after_processing_trigger_fired: one pane once processing time passes the delay", async () => {
    const stream = TestStream.create<string>().advanceWatermarkTo(10).addElements({ value: "a", timestamp: 10 }).advanceProcessingTime(5100).advanceWatermarkToInfinity();
    const r = await labelledOutputs((p, out) => {
      const g = p
        .apply(stream)
        .apply(Window.into(new FixedWindows(15_000), { trigger: AfterProcessingTime(5000), accumulationMode: "DISCARDING" }))
        .apply(WithKeys.of<string, string>("k"))
        .apply(GroupByKey.create());
      out("Grouped", g);
    }, grouped, { allowUnsafeTriggers: true }); // as the Python test: the trigger finishes
    assert.deepEqual(r["Grouped"], ['0:15000 {"key":"k","value":["a"]}']);
  });
});

describe("Beam TestStream: elements at the watermark", () => {
  /** Groups one key per window of 1 s (no allowed lateness) and describes each pane. */
  const panes = (stream: TestStream<string>): Promise<Record<string, string[]>> =>
    labelledOutputs((p, out) => {
      const g = p.apply(stream).apply(Window.into(new FixedWindows(1000))).apply(WithKeys.of<string, string>("k")).apply(GroupByKey.create());
      out("Panes", g.apply("Values", ParDo.into<string>().of((kvs: KV<string, string[]>, ctx) => ctx.output([...kvs.value].sort().join(",")))));
    }, described);

  it("a window fires on time once the watermark passes its last timestamp, not when it reaches it", async () => {
    const r = await panes(
      TestStream.create<string>()
        .advanceWatermarkTo(999)
        // At the watermark and behind it, but the window [0, 1000) has not fired: both on time.
        .addElements({ value: "at", timestamp: 999 }, { value: "behind", timestamp: 500 })
        .advanceWatermarkTo(1000)
        // The window's end plus lateness (0) is behind the watermark now: dropped.
        .addElements({ value: "expired", timestamp: 999 }, { value: "next", timestamp: 1000 })
        .advanceWatermarkToInfinity(),
    );
    assert.deepEqual(r["Panes"], ['0:1000 ON_TIME/last "at,behind"', '1000:2000 ON_TIME/last "next"']);
  });
});

describe("Beam TestStream: several streams flattened", () => {
  it("a window fires when the watermarks of all the flattened streams have passed it", async () => {
    // The fast stream's watermark passes the window [0, 1000) long before the slow one's; the
    // slow stream's element at 900 arrives after that and is still on time: the flattened
    // watermark is the earlier of the two.
    const fast = TestStream.create<string>().addElements({ value: "fast", timestamp: 100 }).advanceWatermarkTo(5000).advanceWatermarkToInfinity();
    const slow = TestStream.create<string>().advanceWatermarkTo(500).addElements({ value: "slow", timestamp: 900 }).advanceWatermarkToInfinity();
    const r = await labelledOutputs((p, out) => {
      const merged = p.apply("Fast", fast).apply(Flatten.with(p.apply("Slow", slow)));
      const g = merged.apply(Window.into(new FixedWindows(1000))).apply(WithKeys.of<string, string>("k")).apply(GroupByKey.create());
      out("Panes", g.apply("Values", ParDo.into<string>().of((kvs: KV<string, string[]>, ctx) => ctx.output([...kvs.value].sort().join(",")))));
    }, described);
    assert.deepEqual(r["Panes"], ['0:1000 ON_TIME/last "fast,slow"']);
  });
});
