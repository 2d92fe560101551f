/**
 * Redistribute against Beam Java's RedistributeTest as the oracle: the output is the input, each
 * element keeping its timestamp, window and pane, after any windowing and grouping, in batch and
 * streaming, on 1 and 2 workers; AssignShardFn with a number of buckets keys by that many shards.
 */
import { strict as assert } from "node:assert";
import {
  AfterCount,
  Create,
  FixedWindows,
  GroupByKey,
  GLOBAL_WINDOW_MAX_TIMESTAMP,
  kv,
  MIN_TIMESTAMP,
  ParDo,
  Redistribute,
  Reify,
  Repeatedly,
  Sessions,
  SlidingWindows,
  TestStream,
  Values,
  Window,
  WithKeys,
  type KV,
  type PipelineOptions,
  type WindowFn,
} from "../../lib";
import { AssignShardFn } from "../../lib/transforms/redistribute";
import { PipelineConstructionError } from "../../lib/model/errors";
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

describe("Beam Redistribute (RedistributeTest.java)", function () {
  this.timeout(60_000);

  for (const run of RUNS) {
    it(`testJustRedistribute (${run.name}): byKey gives the input`, async () => {
      const out: Observed<KV<string, number>>[] = [];
      await runOk((p) => collect(timestamped(p, "Input", run.mode, ARBITRARY_KVS.map((value) => ({ value, timestamp: 0 }))).apply(Redistribute.byKey()), out), run.options);
      assert.deepEqual(shown(out.map((o) => o.value)), shown(ARBITRARY_KVS));
    });

    it(`testRedistributePreservesTimestamps (${run.name}): arbitrarily keeps each element's timestamp, the extremes included`, async () => {
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
              .apply(Redistribute.arbitrarily()),
            out,
          ),
        run.options,
      );
      assert.equal(out.length, 4);
      for (const o of out) assert.equal(o.timestamp, o.value.value.timestamp, `Redistribute must preserve element timestamps: ${JSON.stringify(o.value)}`);
    });

    for (const [name, windowFn] of [
      ["Sessions", new Sessions(10 * MINUTE)],
      ["FixedWindows", new FixedWindows(10 * MINUTE)],
      ["SlidingWindows", new SlidingWindows(10 * MINUTE, 5 * MINUTE)],
    ] as [string, WindowFn][]) {
      it(`testRedistributeAfter${name}AndGroupByKey (${run.name})`, async () => {
        const out: Observed<KV<string, number[]>>[] = [];
        await runOk(
          (p) =>
            collect(
              timestamped(p, "Input", run.mode, GBK_TESTABLE_KVS.map((value) => ({ value, timestamp: 0 })))
                .apply(Window.into(windowFn))
                .apply(GroupByKey.create())
                .apply(Redistribute.arbitrarily()),
              out,
            ),
          run.options,
        );
        const expected = name === "SlidingWindows" ? ["k1=[3]", "k1=[3]", "k2=[4]", "k2=[4]"] : ["k1=[3]", "k2=[4]"];
        assert.deepEqual(shown(out.map((o) => o.value)), expected, "one group per key (and window)");
      });
    }

    it(`testRedistributeAfterFixedWindows (${run.name}): the windowed input, element for element`, async () => {
      const out: Observed<KV<string, number>>[] = [];
      await runOk(
        (p) =>
          collect(
            timestamped(p, "Input", run.mode, ARBITRARY_KVS.map((value, i) => ({ value, timestamp: i * 4 * MINUTE })))
              .apply(Window.into(new FixedWindows(10 * MINUTE)))
              .apply(Redistribute.arbitrarily()),
            out,
          ),
        run.options,
      );
      assert.deepEqual(shown(out.map((o) => o.value)), shown(ARBITRARY_KVS));
      for (const o of out) assert.equal(o.window, `${Math.floor(o.timestamp / (10 * MINUTE)) * 10 * MINUTE}:${(Math.floor(o.timestamp / (10 * MINUTE)) + 1) * 10 * MINUTE}`);
    });
  }

  it("testRedistributePreservesMetadata (streaming): window and pane survive, the panes of a trigger that fired twice included", async () => {
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
        .apply(Redistribute.arbitrarily())
        .apply("ReifyRedistributedMetadata", Reify.windowsInValue())
        .apply(Values.create())
        .map("Compare", (v) => ({
          before: `${v.value.value.join(",")}@${v.value.timestamp} ${v.value.window.id()} ${JSON.stringify(v.value.pane)}`,
          after: `${v.value.value.join(",")}@${v.timestamp} ${v.window.id()} ${JSON.stringify(v.pane)}`,
        }));
      collect(panes, out);
    });
    assert.ok(out.length >= 2, `at least the two panes of the early firings: ${JSON.stringify(out.map((o) => o.value))}`);
    for (const o of out) assert.equal(o.value.after, o.value.before, "Redistribute did not preserve the element's timestamp, window or pane");
    assert.ok(out.some((o) => o.value.before.includes('"index":1')), "a second pane went through");
  });

  it("WithKeys and Values keep a coder set upstream (reified windows, which the default coder cannot encode) through a grouping", async () => {
    const out: Observed<string>[] = [];
    await runOk((p) =>
      collect(
        timestamped(p, "Input", "batch", [
          { value: "a", timestamp: 5 },
          { value: "b", timestamp: 15 },
        ])
          .apply(Window.into(new FixedWindows(10)))
          .apply(Reify.windows())
          .apply(WithKeys.of("all"))
          .apply(Redistribute.byKey())
          .apply(Values.create())
          .map("Show", (v) => `${v.value}@${v.timestamp} ${v.window.id()}`),
        out,
      ),
    );
    assert.deepEqual(out.map((o) => o.value).sort(), ["a@5 0:10", "b@15 10:20"]);
  });

  it("testRedistributeWithTimestampsStreaming: elements near the end of time in 10-minute windows", async () => {
    const out: Observed<number>[] = [];
    await runOk((p) => {
      const stream = TestStream.create<number>()
        .advanceWatermarkTo(48 * DAY)
        .addElements({ value: 0, timestamp: 0 }, { value: 1, timestamp: 48 * DAY }, { value: 2, timestamp: GLOBAL_WINDOW_MAX_TIMESTAMP - 48 * DAY })
        .advanceWatermarkToInfinity();
      collect(
        p
          .apply(stream)
          .apply(WithKeys.of(""))
          .apply(Window.into(new FixedWindows(10 * MINUTE)))
          .apply(Redistribute.arbitrarily())
          .apply(Values.create()),
        out,
      );
    });
    // 0 arrives behind the watermark, in a window that closed long before: Redistribute's grouping
    // allows any lateness, so it passes (there is no grouping of the user's windowing to drop it).
    assert.deepEqual(out.map((o) => o.value).sort(), [0, 1, 2]);
  });

  it("testAssignShardFn: with 2 buckets the elements are keyed by shards 0 and 1 only", async () => {
    const out: Observed<number>[] = [];
    const inputs = Array.from({ length: 10 }, () => ARBITRARY_KVS).flat();
    await runOk((p) =>
      collect(
        p
          .apply(Create.of(...inputs))
          .apply(ParDo.of(new AssignShardFn<KV<string, number>>(2)))
          .apply(GroupByKey.create())
          .map("Keys", (g) => g.key),
        out,
      ),
    );
    assert.deepEqual(out.map((o) => o.value).sort(), [0, 1]);
  });

  it("withNumBuckets refuses what is not a positive integer, naming the fix", () => {
    assert.throws(() => Redistribute.arbitrarily().withNumBuckets(0), PipelineConstructionError);
    assert.throws(() => Redistribute.arbitrarily().withNumBuckets(2.5), /positive integer/);
    assert.equal(Redistribute.arbitrarily().withNumBuckets(undefined).numBuckets, undefined);
    assert.equal(Redistribute.byKey().withAllowDuplicates().allowDuplicates, true);
  });
});
