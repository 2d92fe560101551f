/**
 * Reify against Beam's own tests as the oracle: Beam Java's ReifyTest (timestampsSucceeds,
 * timestampedValuesSucceeds, extractFromValuesSucceeds,
 * extractFromValuesWhenValueTimestampedLaterSucceeds, globalWindowNoKeys, windowsInValueSucceeds)
 * and Beam Python's Reify.Timestamp / Reify.Window, in batch and streaming: elements keep their
 * timestamps and windows, and reified windows survive encoding (a shuffle after them).
 */
import { strict as assert } from "node:assert";
import { Create, FixedWindows, GlobalWindow, GroupByKey, IntervalWindow, kv, NO_FIRING, Reify, Reshuffle, SlidingWindows, Window, WithTimestamps, type KV, type ValueInSingleWindow } from "../../lib";
import { outputsOf, timestamped, type Mode } from "./beam_helpers";
import { runOk } from "../helpers";
import { collect, type Observed } from "../streaming/collect";

const show = <T>(out: readonly Observed<T>[]): string[] => out.map((o) => `${JSON.stringify(o.value)}@${o.timestamp} ${o.window}`).sort();

describe("Beam Reify (ReifyTest.java)", () => {
  for (const mode of ["batch", "streaming"] as Mode[]) {
    it(`timestampsSucceeds (${mode}): each element with its timestamp, in its window`, async () => {
      const out: Observed<unknown>[] = [];
      await runOk((p) =>
        collect(
          timestamped(p, "Input", mode, [
            { value: "foo", timestamp: 0 },
            { value: "bar", timestamp: 1 },
            { value: "baz", timestamp: 12 },
          ])
            .apply(Window.into(new FixedWindows(10)))
            .apply(Reify.timestamps()),
          out,
        ),
      );
      assert.deepEqual(show(out), ['{"value":"bar","timestamp":1}@1 0:10', '{"value":"baz","timestamp":12}@12 10:20', '{"value":"foo","timestamp":0}@0 0:10']);
    });
  }

  it("timestampedValuesSucceeds: timestampsInValue", async () => {
    const out = await outputsOf(Create.of(kv("foo", 0), kv("foo", 1), kv("bar", 2), kv("baz", 3)), (pc) =>
      pc.apply(WithTimestamps.of((e: KV<string, number>) => e.value)).apply(Reify.timestampsInValue()),
    );
    assert.deepEqual(
      out.map((o) => JSON.stringify(o.value)).sort(),
      [kv("foo", { value: 0, timestamp: 0 }), kv("foo", { value: 1, timestamp: 1 }), kv("bar", { value: 2, timestamp: 2 }), kv("baz", { value: 3, timestamp: 3 })].map((e) => JSON.stringify(e)).sort(),
    );
  });

  it("extractFromValuesSucceeds: each element at its value's timestamp", async () => {
    const out = await outputsOf(
      Create.of(kv("foo", { value: 0, timestamp: 0 }), kv("foo", { value: 1, timestamp: 1 }), kv("bar", { value: 2, timestamp: 2 }), kv("baz", { value: 3, timestamp: 3 })),
      (pc) => pc.apply(Reify.extractTimestampsFromValues()),
    );
    assert.deepEqual(out.map((o) => `${o.value.key}=${o.value.value}@${o.timestamp}`).sort(), ["bar=2@2", "baz=3@3", "foo=0@0", "foo=1@1"]);
  });

  it("extractFromValuesWhenValueTimestampedLaterSucceeds: moving back in time is allowed", async () => {
    const out = await outputsOf(
      Create.timestamped([
        { value: kv("foo", { value: 0, timestamp: 0 }), timestamp: 100 },
        { value: kv("foo", { value: 1, timestamp: 1 }), timestamp: 101 },
        { value: kv("bar", { value: 2, timestamp: 2 }), timestamp: 102 },
        { value: kv("baz", { value: 3, timestamp: 3 }), timestamp: 103 },
      ]),
      (pc) => pc.apply(Reify.extractTimestampsFromValues()),
    );
    assert.deepEqual(out.map((o) => `${o.value.key}=${o.value.value}@${o.timestamp}`).sort(), ["bar=2@2", "baz=3@3", "foo=0@0", "foo=1@1"]);
  });

  it("globalWindowNoKeys (streaming): timestamp, the global window, no firing", async () => {
    const out: Observed<ValueInSingleWindow<string>>[] = [];
    await runOk((p) => collect(timestamped(p, "Input", "streaming", [{ value: "dei", timestamp: 123 }]).apply(Reify.windows()), out));
    assert.equal(out.length, 1);
    const v = out[0]!.value;
    assert.deepEqual([v.value, v.timestamp, v.window, v.pane], ["dei", 123, GlobalWindow.INSTANCE, NO_FIRING]);
    assert.equal(out[0]!.timestamp, 123);
  });

  it("windowsInValueSucceeds: each KV's value with its timestamp, window and pane", async () => {
    const out = await outputsOf(Create.of(kv("foo", 0), kv("foo", 1), kv("bar", 2), kv("baz", 3)), (pc) =>
      pc.apply(WithTimestamps.of((e: KV<string, number>) => e.value)).apply(Reify.windowsInValue()),
    );
    assert.deepEqual(out.map((o) => `${o.value.key}=${o.value.value.value}@${o.value.value.timestamp} ${o.value.value.window.id()}`).sort(), ["bar=2@2 global", "baz=3@3 global", "foo=0@0 global", "foo=1@1 global"]);
    for (const o of out) assert.equal(o.value.value.pane, NO_FIRING);
  });

  for (const mode of ["batch", "streaming"] as Mode[]) {
    it(`windows survive a shuffle: Reify.windows() then Reshuffle, windowsInValue() then GroupByKey (${mode})`, async () => {
      const windows: Observed<ValueInSingleWindow<string>>[] = [];
      const grouped: Observed<KV<string, ValueInSingleWindow<number>[]>>[] = [];
      await runOk((p) => {
        const input = timestamped(p, "Input", mode, [
          { value: kv("a", 1), timestamp: 5 },
          { value: kv("a", 2), timestamp: 15 },
        ]).apply(Window.into(new SlidingWindows(20, 10)));
        collect(input.map("Keys", (e) => e.key).apply(Reify.windows()).apply(Reshuffle.viaRandomKey()), windows, "CollectWindows");
        collect(input.apply(Reify.windowsInValue()).apply(GroupByKey.create()), grouped, "CollectGrouped");
      });
      // Sliding windows of 20 every 10: 5 is in [-10, 10) and [0, 20), 15 in [0, 20) and [10, 30).
      assert.deepEqual(windows.map((o) => `${o.value.value}@${o.value.timestamp} ${o.value.window.id()} in ${o.window}`).sort(), ["a@15 0:20 in 0:20", "a@15 10:30 in 10:30", "a@5 -10:10 in -10:10", "a@5 0:20 in 0:20"]);
      for (const o of windows) assert.ok(o.value.window instanceof IntervalWindow && o.value.window.maxTimestamp() === o.value.window.end - 1);
      assert.deepEqual(grouped.map((o) => `${o.window}: ${o.value.value.map((v) => `${v.value}@${v.timestamp} ${v.window.id()}`).sort().join(", ")}`).sort(), ["-10:10: 1@5 -10:10", "0:20: 1@5 0:20, 2@15 0:20", "10:30: 2@15 10:30"]);
    });
  }

  it("timestampsInValue then extractTimestampsFromValues round-trips (streaming)", async () => {
    const out: Observed<KV<string, number>>[] = [];
    await runOk((p) =>
      collect(
        timestamped(p, "Input", "streaming", [
          { value: kv("a", 1), timestamp: 5 },
          { value: kv("b", 2), timestamp: 15 },
        ])
          .apply("Reify", Reify.timestampsInValue())
          .apply("Later", WithTimestamps.of((e: KV<string, { value: number; timestamp: number }>) => e.value.timestamp + 100))
          .apply("Extract", Reify.extractTimestampsFromValues()),
        out,
      ),
    );
    assert.deepEqual(show(out), ['{"key":"a","value":1}@5 global', '{"key":"b","value":2}@15 global']);
  });
});
