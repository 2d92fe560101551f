/**
 * Beam Java's TestStreamTest cases that assert on windows and panes (inWindow, inOnTimePane,
 * inFinalPane, inEarlyPane, inLatePane, inCombinedNonLatePanes, inEarlyGlobalWindowPanes), on the
 * DirectRunner's streaming driver in virtual time.
 */
import { strict as assert } from "node:assert";
import {
  AfterCount,
  AfterProcessingTime,
  AfterWatermark,
  Combine,
  Combiners,
  Count,
  Flatten,
  GlobalWindow,
  GlobalWindows,
  GLOBAL_WINDOW_MAX_TIMESTAMP,
  GroupByKey,
  IntervalWindow,
  kv,
  Never,
  Repeatedly,
  Values,
  Window,
  WithKeys,
  FixedWindows,
  type KV,
  type Pipeline,
} from "../../lib";
import { TestStream } from "../../lib/testing/test_stream";
import { assertThat, equalTo } from "../../lib/testing/passert";
import { PAssert } from "../../lib/testing/pcollection_assert";
import { runDirect } from "../helpers";

const MINUTE = 60_000;

async function passes(build: (p: Pipeline) => void): Promise<void> {
  const result = await runDirect(build);
  await result.waitUntilFinish().catch(() => undefined);
  assert.equal(result.state, "DONE", result.error?.message);
}

async function failure(build: (p: Pipeline) => void): Promise<Error> {
  const result = await runDirect(build);
  await result.waitUntilFinish().catch(() => undefined);
  assert.equal(result.state, "FAILED", "the assertion should have failed the run");
  return result.error!;
}

describe("PAssert on panes (Beam Java's TestStreamTest) on the DirectRunner's streaming driver", function () {
  this.timeout(60_000);

  it("testLateDataAccumulating: the final pane has the late data, the on-time pane not", () =>
    passes((p) => {
      const source = TestStream.create<number>()
        .addElements({ value: 1, timestamp: 0 }, { value: 2, timestamp: 0 }, { value: 3, timestamp: 0 })
        .advanceWatermarkTo(6 * MINUTE)
        .addElements({ value: 4, timestamp: 0 }, { value: 5, timestamp: 0 }) // late, within the allowed lateness
        .advanceWatermarkTo(10 * MINUTE)
        .advanceWatermarkTo(20 * MINUTE)
        .addElements({ value: -1, timestamp: 0 }, { value: -2, timestamp: 0 }, { value: -3, timestamp: 0 }) // droppably late
        .advanceWatermarkToInfinity();
      const windowed = p.apply(source).apply(
        Window.into(new FixedWindows(5 * MINUTE), {
          trigger: AfterWatermark({ early: AfterProcessingTime(2 * MINUTE), late: AfterCount(1) }),
          accumulationMode: "ACCUMULATING",
          allowedLatenessMillis: 5 * MINUTE,
          closingBehavior: "FIRE_ALWAYS",
        }),
      );
      const triggered = windowed.apply(WithKeys.of(1)).apply(GroupByKey.create<number, number>()).apply(Values.create()).apply(Flatten.iterables());
      const count = windowed.apply("Count", Combine.globally(Combiners.count(), { withoutDefaults: true }));
      const sum = windowed.apply("Sum", Combine.globally(Combiners.sum(), { withoutDefaults: true }));
      const window = new IntervalWindow(0, 5 * MINUTE);
      PAssert.that(triggered).inFinalPane(window).containsInAnyOrder(1, 2, 3, 4, 5);
      PAssert.that(triggered).inOnTimePane(window).containsInAnyOrder(1, 2, 3);
      PAssert.that(count).inWindow(window).satisfies((xs) => xs.forEach((c) => assert.ok(c >= 3 && c <= 5, `count ${c}`)));
      PAssert.that(sum).inWindow(window).satisfies((xs) => xs.forEach((s) => assert.ok(s >= 6 && s <= 15, `sum ${s}`)));
    }));

  it("testProcessingTimeTrigger: inEarlyGlobalWindowPanes", () =>
    passes((p) => {
      const source = TestStream.create<number>()
        .addElements({ value: 1, timestamp: 1000 }, { value: 2, timestamp: 2000 })
        .advanceProcessingTime(12 * MINUTE)
        .addElements({ value: 3, timestamp: 3000 })
        .advanceProcessingTime(6 * MINUTE)
        .advanceWatermarkToInfinity();
      const sum = p
        .apply(source)
        .apply(Window.configure({ trigger: AfterWatermark({ early: AfterProcessingTime(5 * MINUTE) }), accumulationMode: "ACCUMULATING", allowedLatenessMillis: 0 }))
        .apply(Combine.globally(Combiners.sum()));
      PAssert.that(sum).inEarlyGlobalWindowPanes().containsInAnyOrder(3, 6);
    }));

  it("testDiscardingMode: all panes, non-late panes, the on-time pane, the final (late) pane", () =>
    passes((p) => {
      const stream = TestStream.create<string>()
        .advanceWatermarkTo(0)
        .addElements({ value: "firstPane", timestamp: 100 }, { value: "alsoFirstPane", timestamp: 200 })
        .addElements({ value: "onTimePane", timestamp: 500 })
        .advanceWatermarkTo(1000)
        .addElements({ value: "finalLatePane", timestamp: 750 }, { value: "alsoFinalLatePane", timestamp: 250 })
        .advanceWatermarkToInfinity();
      const values = p
        .apply(stream)
        .apply(Window.into(new FixedWindows(1000), { trigger: AfterWatermark({ early: AfterCount(2), late: Never() }), accumulationMode: "DISCARDING", allowedLatenessMillis: 5000 }))
        .apply(WithKeys.of(1))
        .apply(GroupByKey.create<number, string>())
        .apply(Values.create())
        .apply(Flatten.iterables());
      const window = new IntervalWindow(0, 1000);
      PAssert.that(values).inWindow(window).containsInAnyOrder("firstPane", "alsoFirstPane", "onTimePane", "finalLatePane", "alsoFinalLatePane");
      PAssert.that(values).inCombinedNonLatePanes(window).containsInAnyOrder("firstPane", "alsoFirstPane", "onTimePane");
      PAssert.that(values).inOnTimePane(window).containsInAnyOrder("onTimePane");
      PAssert.that(values).inFinalPane(window).containsInAnyOrder("finalLatePane", "alsoFinalLatePane");
      PAssert.that(values).inLatePane(window).containsInAnyOrder("finalLatePane", "alsoFinalLatePane");
      PAssert.that(values).inEarlyPane(window).containsInAnyOrder("firstPane", "alsoFirstPane");
    }));

  it("testFirstElementLate: the late element's window is empty", () =>
    passes((p) => {
      const stream = TestStream.create<string>()
        .advanceWatermarkTo(0)
        .addElements({ value: "late", timestamp: -1_000_000 })
        .addElements({ value: "onTime", timestamp: 100 })
        .advanceWatermarkToInfinity();
      const values = p
        .apply(stream)
        .apply(Window.into(new FixedWindows(1000), { accumulationMode: "DISCARDING", allowedLatenessMillis: 5000 }))
        .apply(WithKeys.of(1))
        .apply(GroupByKey.create<number, string>())
        .apply(Values.create())
        .apply(Flatten.iterables());
      PAssert.that(values).inWindow(new IntervalWindow(-1_000_000, -999_000)).empty();
      PAssert.that(values).inWindow(new IntervalWindow(0, 1000)).containsInAnyOrder("onTime");
    }));

  it("testElementsAtAlmostPositiveInfinity: the last window of time", () =>
    passes((p) => {
      const stream = TestStream.create<string>()
        .addElements({ value: "foo", timestamp: GLOBAL_WINDOW_MAX_TIMESTAMP }, { value: "bar", timestamp: GLOBAL_WINDOW_MAX_TIMESTAMP })
        .advanceWatermarkToInfinity();
      const windows = new FixedWindows(6 * 60 * MINUTE);
      const values = p.apply(stream).apply(Window.into(windows)).apply(WithKeys.of(1)).apply(GroupByKey.create<number, string>()).apply(Values.create()).apply(Flatten.iterables());
      PAssert.that(values).inWindow(windows.assignWindows(GLOBAL_WINDOW_MAX_TIMESTAMP)[0]!).containsInAnyOrder("foo", "bar");
    }));

  it("testMultipleStreams: two TestStreams, count-triggered global windows", () =>
    passes((p) => {
      const strings = p
        .apply("CreateStrings", TestStream.create<string>().addElements({ value: "foo", timestamp: 0 }, { value: "bar", timestamp: 0 }).advanceWatermarkToInfinity())
        .apply("WindowStrings", Window.configure({ trigger: AfterCount(2), allowedLatenessMillis: 0, accumulationMode: "ACCUMULATING" }));
      PAssert.that(strings).containsInAnyOrder("foo", "bar");
      const ints = p
        .apply("CreateInts", TestStream.create<number>().addElements(...[1, 2, 3, 4].map((value) => ({ value, timestamp: 0 }))).advanceWatermarkToInfinity())
        .apply("WindowInts", Window.configure({ trigger: AfterCount(4), allowedLatenessMillis: 0, accumulationMode: "ACCUMULATING" }));
      PAssert.that(ints).containsInAnyOrder(1, 2, 3, 4);
    }));

  it("testEarlyPanesOfWindow: early panes, then the on-time pane, chained on one assert", () =>
    passes((p) => {
      const source = TestStream.create<number>()
        .addElements({ value: 1, timestamp: 1000 })
        .advanceProcessingTime(6 * MINUTE)
        .addElements({ value: 2, timestamp: 2000 })
        .advanceProcessingTime(6 * MINUTE)
        .addElements({ value: 3, timestamp: 3000 })
        .advanceProcessingTime(6 * MINUTE)
        .advanceWatermarkToInfinity();
      const sum = p
        .apply(source)
        .apply(Window.into(new FixedWindows(30 * MINUTE), { trigger: AfterWatermark({ early: AfterProcessingTime(5 * MINUTE) }), accumulationMode: "ACCUMULATING", allowedLatenessMillis: 0 }))
        .map("Key", (v) => kv("key", v))
        .apply(Combine.perKey(Combiners.sum()));
      const window = new IntervalWindow(0, 30 * MINUTE);
      PAssert.that(sum)
        .inEarlyPane(window)
        .satisfies((xs) => assert.equal(xs.length, 3))
        .containsInAnyOrder(kv("key", 1), kv("key", 3), kv("key", 6))
        .inOnTimePane(window)
        .satisfies((xs) => assert.equal(xs.length, 1))
        .containsInAnyOrder(kv("key", 6));
    }));

  it("inOnlyPane: a window that fired twice fails the run, naming the pane", async () => {
    const e = await failure((p) => {
      const counts = p
        .apply(TestStream.create<string>().addElements({ value: "a", timestamp: 1 }).advanceProcessingTime(1).addElements({ value: "a", timestamp: 2 }).advanceWatermarkToInfinity())
        .apply(Window.into(new FixedWindows(10), { trigger: Repeatedly(AfterCount(1)) }))
        .apply(Count.perElement());
      PAssert.that(counts).inOnlyPane(new IntervalWindow(0, 10)).containsInAnyOrder(kv("a", 1), kv("a", 1));
    });
    assert.match(e.message, /expected elements to be produced by a trigger that fires at most once, but got a value \{"key":"a","value":1\} in a pane that is not the last pane \(pane 0, EARLY\)/);
    assert.match(e.message, /PAssert\$0\/Select/);
    assert.match(e.message, /in window \[1970-01-01T00:00:00\.000Z, 1970-01-01T00:00:00\.010Z\) \(its only pane\)/);
  });

  it("a triggered global window: every pane, the early ones, and the empty on-time pane at the end of time (onTimeBehavior FIRE_ALWAYS)", () =>
    passes((p) => {
      const out = p
        .apply(TestStream.create<KV<string, number>>().addElements({ value: kv("a", 1), timestamp: 1 }).advanceProcessingTime(10).addElements({ value: kv("a", 2), timestamp: 2 }).advanceWatermarkToInfinity())
        .apply(Window.into(new GlobalWindows(), { trigger: Repeatedly(AfterCount(1)) }))
        .apply(GroupByKey.create<string, number>());
      assertThat(out, equalTo([kv("a", [1]), kv("a", [2]), kv("a", [])]));
      PAssert.that(out).inEarlyGlobalWindowPanes().containsInAnyOrder(kv("a", [1]), kv("a", [2]));
      PAssert.that(out).inOnTimePane(GlobalWindow.INSTANCE).containsInAnyOrder(kv("a", []));
      PAssert.that(out).inFinalPane(GlobalWindow.INSTANCE).containsInAnyOrder(kv("a", []));
      PAssert.that(out).inWindow(GlobalWindow.INSTANCE).containsInAnyOrder(kv("a", [1]), kv("a", [2]), kv("a", []));
    }));
});
