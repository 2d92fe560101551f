/**
 * Beam Java's ReshuffleTest as the oracle, for Reshuffle.viaRandomKey (Beamline's Reshuffle;
 * beam_redistribute.test.ts ports the same cases for Redistribute): the output is the input, each
 * element keeping its timestamp, window and pane, after any windowing and grouping, and the output
 * keeps the input's windowing strategy; in batch and streaming, on 1 and 2 workers. The windowed
 * tests are generated per window fn: testReshuffleAfterSessionsAndGroupByKey,
 * testReshuffleAfterFixedWindowsAndGroupByKey, testReshuffleAfterSlidingWindowsAndGroupByKey,
 * testReshuffleAfterFixedWindows, testReshuffleAfterSlidingWindows.
 */
import { strict as assert } from "node:assert";
import {
  AfterCount,
  FixedWindows,
  GroupByKey,
  GLOBAL_WINDOW_MAX_TIMESTAMP,
  kv,
  MIN_TIMESTAMP,
  Reify,
  Repeatedly,
  Reshuffle,
  Sessions,
  SlidingWindows,
  TestStream,
  Values,
  Window,
  WithKeys,
  type KV,
  type PCollection,
  type PipelineOptions,
  type WindowFn,
} from "../../lib";
import { runOk } from "../helpers";
import { collect, type Observed } from "../streaming/collect";
import { timestamped, type Mode } from "./beam_helpers";

const MINUTE = 60_000;
const DAY = 24 * 60 * MINUTE;
const ARBITRARY_KVS = [kv("k1", 3), kv("k5", 2147483647), kv("k5", -2147483648), kv("k2", 66), kv("k1", 4), kv("k2", -33), kv("k3", 0)];
const GBK_TESTABLE_KVS = [kv("k1", 3), kv("k2", 4)];
const shown = (kvs: readonly KV<string, unknown>[]): string[] => kvs.map((e) => `${e.key}=${JSON.stringify(e.value)}`).sort();

const RUNS: { name: string; mode: Mode; options: Partial<PipelineOptions> }[] = [
  { name: "batch", mode: "batch", options: {} },
  { name: "streaming", mode: "streaming", options: {} },
  { name: "batch, 2 worker threads", mode: "batch", options: { directNumWorkers: 2, directWorkerThreads: "always" } },
];

/** Java's `assertEquals(input.getWindowingStrategy(), output.getWindowingStrategy())`. */
function assertSameWindowing(input: PCollection<unknown>, output: PCollection<unknown>): void {
  const { windowFn: inFn, ...inRest } = input.windowing;
  const { windowFn: outFn, ...outRest } = output.windowing;
  assert.equal(outFn, inFn, "Reshuffle keeps the input's window fn");
  assert.deepEqual(outRest, inRest, "Reshuffle keeps the input's trigger, accumulation, lateness and timestamp combiner");
}

describe("Beam Reshuffle (ReshuffleTest.java)", function () {
  this.timeout(60_000);

  for (const run of RUNS) {
    it(`testJustReshuffle (${run.name}): the input, with its windowing`, async () => {
      const out: Observed<KV<string, number>>[] = [];
      await runOk((p) => {
        const input = timestamped(p, "Input", run.mode, ARBITRARY_KVS.map((value) => ({ value, timestamp: 0 })));
        const output = input.apply(Reshuffle.viaRandomKey());
        assertSameWindowing(input, output);
        collect(output, out);
      }, run.options);
      assert.deepEqual(shown(out.map((o) => o.value)), shown(ARBITRARY_KVS));
    });

    it(`testReshufflePreservesTimestamps (${run.name}): each element keeps its timestamp, the extremes included`, async () => {
      const out: Observed<KV<string, { value: string; timestamp: number }>>[] = [];
      await runOk(
        (p) =>
          collect(
            timestamped(p, "Input", run.mode, [
              { value: "foo", timestamp: MIN_TIMESTAMP },
              { value: "foo", timestamp: 0 },
              { value: "bar", timestamp: 33 },
              { value: "bar", timestamp: GLOBAL_WINDOW_MAX_TIMESTAMP },
            ])
              .apply(WithKeys.of((s: string) => s))
              .apply("ReifyOriginalTimestamps", Reify.timestampsInValue())
              .apply(Reshuffle.viaRandomKey()),
            out,
          ),
        run.options,
      );
      assert.equal(out.length, 4);
      for (const o of out) assert.equal(o.timestamp, o.value.value.timestamp, `Reshuffle must preserve element timestamps: ${JSON.stringify(o.value)}`);
    });

    for (const [name, windowFn] of [
      ["Sessions", new Sessions(10 * MINUTE)],
      ["FixedWindows", new FixedWindows(10 * MINUTE)],
      ["SlidingWindows", new SlidingWindows(10 * MINUTE, 5 * MINUTE)],
    ] as [string, WindowFn][]) {
      it(`testReshuffleAfter${name}AndGroupByKey (${run.name}): the groups, with the grouping's windowing`, async () => {
        const out: Observed<KV<string, number[]>>[] = [];
        await runOk((p) => {
          const grouped = timestamped(p, "Input", run.mode, GBK_TESTABLE_KVS.map((value) => ({ value, timestamp: 0 })))
            .apply(Window.into(windowFn))
            .apply(GroupByKey.create());
          const output = grouped.apply(Reshuffle.viaRandomKey());
          assertSameWindowing(grouped, output);
          collect(output, out);
        }, run.options);
        const expected = name === "SlidingWindows" ? ["k1=[3]", "k1=[3]", "k2=[4]", "k2=[4]"] : ["k1=[3]", "k2=[4]"];
        assert.deepEqual(shown(out.map((o) => o.value)), expected, "one group per key (and window)");
      });
    }

    for (const [name, windowFn] of [
      ["FixedWindows", new FixedWindows(10 * MINUTE)],
      ["SlidingWindows", new SlidingWindows(10 * MINUTE, 5 * MINUTE)],
    ] as [string, WindowFn][]) {
      it(`testReshuffleAfter${name} (${run.name}): the windowed input, element for element, in its windows`, async () => {
        const out: Observed<KV<string, number>>[] = [];
        const before: Observed<KV<string, number>>[] = [];
        await runOk((p) => {
          const windowed = timestamped(p, "Input", run.mode, ARBITRARY_KVS.map((value, i) => ({ value, timestamp: i * 4 * MINUTE }))).apply(Window.into(windowFn));
          const output = windowed.apply(Reshuffle.viaRandomKey());
          assertSameWindowing(windowed, output);
          collect(windowed, before, "Before");
          collect(output, out);
        }, run.options);
        const placed = (obs: Observed<KV<string, number>>[]): string[] => obs.map((o) => `${o.value.key}=${o.value.value}@${o.timestamp} ${o.window}`).sort();
        assert.equal(out.length, name === "SlidingWindows" ? 2 * ARBITRARY_KVS.length : ARBITRARY_KVS.length);
        assert.deepEqual(placed(out), placed(before));
      });
    }
  }

  it("testReshufflePreservesMetadata (streaming): window and pane survive, the panes of a trigger that fired twice included", async () => {
    const out: Observed<{ before: string; after: string }>[] = [];
    await runOk((p) => {
      const stream = TestStream.create<KV<string, number>>()
        .addElements({ value: kv("k", 1), timestamp: 5 })
        .addElements({ value: kv("k", 2), timestamp: 6 })
        .advanceWatermarkToInfinity();
      const panes = p
        .apply(stream)
        .apply(Window.into(new FixedWindows(10), { trigger: Repeatedly(AfterCount(1)), accumulationMode: "DISCARDING" }))
        .apply(GroupByKey.create())
        .apply("ReifyOriginalMetadata", Reify.windowsInValue())
        .apply(Reshuffle.viaRandomKey())
        .apply("ReifyReshuffledMetadata", Reify.windowsInValue())
        .apply(Values.create())
        .map("Compare", (v) => ({
          before: `${v.value.value.join(",")}@${v.value.timestamp} ${v.value.window.id()} ${JSON.stringify(v.value.pane)}`,
          after: `${v.value.value.join(",")}@${v.timestamp} ${v.window.id()} ${JSON.stringify(v.pane)}`,
        }));
      collect(panes, out);
    });
    assert.ok(out.length >= 2, `at least the two panes of the early firings: ${JSON.stringify(out.map((o) => o.value))}`);
    for (const o of out) assert.equal(o.value.after, o.value.before, "Reshuffle did not preserve the element's timestamp, window or pane");
    assert.ok(out.some((o) => o.value.before.includes('"index":1')), "a second pane went through");
  });

  it("testReshuffleWithTimestampsStreaming: elements near the end of time in 10-minute windows", async () => {
    const out: Observed<number>[] = [];
    await runOk((p) => {
      const stream = TestStream.create<number>()
        .advanceWatermarkTo(48 * DAY)
        .addElements({ value: 0, timestamp: 0 }, { value: 1, timestamp: 48 * DAY }, { value: 2, timestamp: GLOBAL_WINDOW_MAX_TIMESTAMP - 48 * DAY })
        .advanceWatermarkToInfinity();
      collect(p.apply(stream).apply(WithKeys.of("")).apply(Window.into(new FixedWindows(10 * MINUTE))).apply(Reshuffle.viaRandomKey()).apply(Values.create()), out);
    });
    // 0 arrives behind the watermark, in a window long closed: Reshuffle's own grouping allows
    // any lateness (Beam's Reshuffle sets an infinite allowed lateness), so nothing is dropped.
    assert.deepEqual(out.map((o) => o.value).sort(), [0, 1, 2]);
  });
});
