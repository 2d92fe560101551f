/** Programs with window and pane assertions, for worker threads, the Fn API harness and Prism (which rebuild them from this module). */
import { AfterCount, AfterWatermark, Create, definePipeline, DoFn, FixedWindows, Flatten, GroupByKey, IntervalWindow, kv, ParDo, SlidingWindows, Values, Window, WithKeys, type KV, type ProcessContext } from "../../lib";
import { assertThat, equalTo, equalToPerWindow } from "../../lib/testing/passert";
import { PAssert } from "../../lib/testing/pcollection_assert";
import { TestStream } from "../../lib/testing/test_stream";

class Ungroup<T> extends DoFn<KV<number, T[]>, T> {
  process(e: KV<number, T[]>, ctx: ProcessContext<T>): void {
    for (const v of e.value) ctx.output(v);
  }
}

/**
 * Batch: Beam's testWindowedContainsInAnyOrder and testWindowedIsEqualTo, assertThat with a
 * window and pane, and equalToPerWindow; with `fail`, one assertion expects a wrong value.
 */
export const windowedAssertions = definePipeline({
  name: "passert-windows",
  description: "PAssert and assertThat on windows and panes",
  flags: { fail: { type: "boolean", describe: "expect a wrong value in one window", default: false } },
  build(p, flags) {
    const sliding = p.apply("Nums", Create.timestamped([1, 2, 3, 4].map((v) => ({ value: v, timestamp: v * 100 })))).apply("Sliding", Window.into(new SlidingWindows(200, 100, 50)));
    PAssert.that(sliding).inWindow(new IntervalWindow(-50, 150)).containsInAnyOrder(1);
    PAssert.that(sliding).inWindow(new IntervalWindow(50, 250)).containsInAnyOrder(2, 1);
    PAssert.that(sliding).inWindow(new IntervalWindow(250, 450)).containsInAnyOrder(4, flags.fail ? 5 : 3);
    PAssert.that(sliding).inWindow(new IntervalWindow(1000, 1200)).empty();
    const grouped = p
      .apply("Stamped", Create.timestamped([{ value: 43, timestamp: 250 }, { value: 22, timestamp: -250 }]))
      .apply("Fixed", Window.into(new FixedWindows(500)))
      .apply(WithKeys.of(0))
      .apply(GroupByKey.create<number, number>())
      .apply("Ungroup", ParDo.of(new Ungroup<number>()));
    PAssert.thatSingleton(grouped).inOnlyPane(new IntervalWindow(0, 500)).isEqualTo(43);
    PAssert.thatSingleton(grouped).inOnTimePane(new IntervalWindow(-500, 0)).isEqualTo(22);
    assertThat(grouped, equalTo([43]), { label: "OnTime", inWindow: new IntervalWindow(0, 500), pane: "onTime" });
    assertThat(grouped, equalToPerWindow([[new IntervalWindow(0, 500), [43]], [new IntervalWindow(-500, 0), [22]]]), "PerWindow");
  },
});

/** The late-data window of these streams: [0, 1000). */
export const STREAM_WINDOW = new IntervalWindow(0, 1000);

/**
 * Streaming: Beam's testDiscardingMode shape without early firings (on time, then one late pane
 * per late element within the allowed lateness), and a second window that fires only on time.
 */
export const paneAssertions = definePipeline({
  name: "passert-panes",
  description: "PAssert on on-time, late and final panes of a TestStream",
  flags: { fail: { type: "boolean", describe: "expect a wrong on-time pane", default: false } },
  build(p, flags) {
    const stream = TestStream.create<string>()
      .advanceWatermarkTo(0)
      .addElements({ value: "a", timestamp: 100 }, { value: "b", timestamp: 200 }, { value: "c", timestamp: 1500 })
      .advanceWatermarkTo(1000)
      .addElements({ value: "late", timestamp: 750 })
      .advanceWatermarkToInfinity();
    const values = p
      .apply("Stream", stream)
      .apply("Window", Window.into(new FixedWindows(1000), { trigger: AfterWatermark({ late: AfterCount(1) }), accumulationMode: "DISCARDING", allowedLatenessMillis: 5000 }))
      .apply(WithKeys.of(1))
      .apply(GroupByKey.create<number, string>())
      .apply(Values.create())
      .apply(Flatten.iterables());
    PAssert.that(values).inWindow(STREAM_WINDOW).containsInAnyOrder("a", "b", "late");
    PAssert.that(values).inOnTimePane(STREAM_WINDOW).containsInAnyOrder("a", flags.fail ? "late" : "b");
    PAssert.that(values).inLatePane(STREAM_WINDOW).containsInAnyOrder("late");
    PAssert.that(values).inCombinedNonLatePanes(STREAM_WINDOW).containsInAnyOrder("a", "b");
    PAssert.that(values).inOnTimePane(new IntervalWindow(1000, 2000)).containsInAnyOrder("c");
    PAssert.that(values).inWindow(new IntervalWindow(5000, 6000)).empty();
    assertThat(values.map("Pair", (v) => kv(v, 1)), equalTo([kv("a", 1), kv("b", 1), kv("c", 1), kv("late", 1)]), "All");
  },
});
