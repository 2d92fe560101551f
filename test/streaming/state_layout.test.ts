/**
 * The compact streaming state (issue 16): keys keep distinct identities when strings are their
 * own identity; holds counted per instant and wake-ups bucketed per instant give what a per-state
 * index gave; a real-time source's watermark follows its queued elements without scanning them.
 */
import { strict as assert } from "node:assert";
import { Combiners, FixedWindows, kv, KV } from "../../lib";
import { MetricsContainer } from "../../lib/model/metrics";
import { BoundedWindow, ElementMeta, Instant, IntervalWindow, NO_FIRING } from "../../lib/model/window";
import type { WindowingStrategy } from "../../lib/model/windowing";
import { deterministicKeyCoder } from "../../runners/executor/default_coders";
import { GroupNode } from "../../runners/streaming/grouping";
import { WindowMajorGroupingState, WindowState } from "../../runners/streaming/grouping_state";
import { triggerMachine } from "../../runners/streaming/trigger_machine";
import { WindowIntoOperator } from "../../runners/executor/window_operator";
import { HoldCounts, TimeBuckets } from "../../runners/streaming/hold_counts";
import { LiveSource } from "../../runners/streaming/sources";

const fixed: WindowingStrategy = { windowFn: new FixedWindows(10), timestampCombiner: "END_OF_WINDOW", accumulationMode: "DISCARDING", allowedLatenessMillis: 0 };

describe("Streaming DirectRunner: compact grouping state", () => {
  it("counts keys that print alike apart: strings (one starting with U+0000), numbers, -0, booleans, null", async () => {
    const panes: [unknown, number][] = [];
    const group = new GroupNode("Count", fixed, deterministicKeyCoder(), Combiners.count(), { receive: (v: unknown) => void panes.push([(v as KV<unknown, number>).key, (v as KV<unknown, number>).value]) }, new MetricsContainer("Count"));
    const keys: unknown[] = ["5", 5, "\u0000n5", "n5", "\u0000s5", "s5", 0, -0, "", "\u0000", true, "T", null, "N"];
    const meta: ElementMeta = { timestamp: 1, windows: [new IntervalWindow(0, 10)], pane: NO_FIRING };
    for (const k of keys) await group.receive(kv(k, 1), meta);
    await group.receive(kv(5, 1), meta);
    await group.receive(kv("\u0000n5", 1), meta);
    await group.advance({ inputWatermark: 0, processingTime: 0 });
    assert.equal(group.stateCount, keys.length);
    await group.advance({ inputWatermark: 10, processingTime: 0 });
    assert.equal(group.stateCount, 0, "expired at the end of the window");
    const counts = new Map<unknown, number>();
    for (const [k, n] of panes) counts.set(Object.is(k, -0) ? "-0" : k, n);
    assert.equal(panes.length, keys.length);
    assert.equal(counts.get(5), 2);
    assert.equal(counts.get("\u0000n5"), 2);
    assert.equal(counts.get("5"), 1);
    assert.equal(counts.get("-0"), 1);
    assert.equal(counts.get(0), 1);
  });

  it("holds the output watermark at the earliest window end over many keys and windows, releasing each as it fires", async () => {
    const group = new GroupNode("Count", fixed, deterministicKeyCoder(), Combiners.count(), { receive: () => undefined }, new MetricsContainer("Count"));
    for (let w = 0; w < 5; w++) {
      for (let k = 0; k < 100; k++) await group.receive(kv(`k${k}`, 1), { timestamp: w * 10 + 1, windows: [new IntervalWindow(w * 10, w * 10 + 10)], pane: NO_FIRING });
    }
    await group.advance({ inputWatermark: 0, processingTime: 0 });
    assert.equal(group.hold(), 9);
    await group.advance({ inputWatermark: 25, processingTime: 0 });
    assert.equal(group.hold(), 29, "windows [0,10) and [10,20) fired and were collected");
    assert.equal(group.stateCount, 300);
    await group.advance({ inputWatermark: 100, processingTime: 0 });
    assert.equal(group.hold(), Infinity);
    assert.equal(group.stateCount, 0);
  });

  it("HoldCounts and TimeBuckets: the smallest held instant, and items by instant in arrival order", () => {
    const holds = new HoldCounts();
    holds.add(20);
    holds.add(10);
    holds.add(10);
    holds.remove(10);
    assert.equal(holds.min(), 10);
    holds.remove(10);
    assert.equal(holds.min(), 20);
    holds.add(10);
    assert.equal(holds.min(), 10, "an instant released and held again");
    holds.remove(10);
    holds.remove(20);
    assert.equal(holds.min(), Infinity);
    assert.throws(() => holds.remove(5), /no watermark hold at 5/);

    const buckets = new TimeBuckets<string>();
    for (const [t, x] of [[30, "c"], [10, "a"], [30, "d"], [10, "b"]] as const) buckets.push(t, x);
    assert.equal(buckets.peekTime(), 10);
    const pop = (): string[] => {
      const items: string[] = [];
      buckets.popBucket((x) => void items.push(x));
      return items;
    };
    assert.deepEqual(pop(), ["a", "b"]);
    // A bucket's array is reused for a later instant: it holds only the new instant's items.
    buckets.push(40, "e");
    assert.deepEqual(pop(), ["c", "d"]);
    buckets.push(50, "f");
    buckets.push(50, "g");
    assert.deepEqual(pop(), ["e"]);
    assert.deepEqual(pop(), ["f", "g"]);
    assert.equal(buckets.peekTime(), Infinity);
  });

  it("a real-time source's watermark is the earliest queued timestamp (repeated and out of order) until it is taken", async () => {
    const timestamps = [50, 30, 30, 70, 30, 30, 60];
    const src = new LiveSource("Read", "out", {
      initialWatermark: 100,
      read(ctx) {
        for (const t of timestamps) void ctx.emit(t, t);
        // Still reading (nothing more to emit) until the run stops it.
        return new Promise<void>((resolve) => ctx.signal.addEventListener("abort", () => resolve()));
      },
    }, new MetricsContainer("Read"));
    src.start(() => undefined);
    await new Promise((resolve) => setImmediate(resolve));
    const seen: number[] = [];
    while (src.queued > 0) {
      seen.push(src.computeWatermark(0));
      src.takeBundle(1);
    }
    seen.push(src.computeWatermark(0));
    assert.deepEqual(seen, [30, 30, 30, 30, 30, 30, 60, 100]);
    await src.stop("cancel");
  });

  it("the window-major table: a removed state is gone at once, its window's keys go when the last one is removed", () => {
    const table = new WindowMajorGroupingState();
    const w1 = new IntervalWindow(0, 10);
    const w2 = new IntervalWindow(10, 20);
    const state = (key: string, w: BoundedWindow): WindowState => new WindowState(key, w, 0, triggerMachine(undefined));
    const a1 = state("a", w1);
    const b1 = state("b", w1);
    const a2 = state("a", w2);
    table.put("a", w1.id(), a1);
    table.put("b", w1.id(), b1);
    table.put("a", w2.id(), a2);
    assert.equal(table.size, 3);
    table.remove("a", w1.id(), a1);
    assert.equal(table.get("a", w1.id()), undefined);
    assert.equal(table.get("b", w1.id()), b1);
    assert.deepEqual([...table.windowsOf("a")], [a2]);
    assert.deepEqual(new Set(table.all()), new Set([b1, a2]));
    assert.equal(table.size, 2);
    table.remove("a", w1.id(), a1);
    assert.equal(table.size, 2, "removing twice counts once");
    // A new state for a removed key of a window that still has live keys.
    const a1again = state("a", w1);
    table.put("a", w1.id(), a1again);
    assert.equal(table.get("a", w1.id()), a1again);
    assert.equal(table.size, 3);
    table.remove("b", w1.id(), b1);
    table.remove("a", w1.id(), a1again);
    assert.equal(table.size, 1);
    assert.deepEqual([...table.all()], [a2]);
    // The window is gone: a key put again starts it afresh.
    const b1again = state("b", w1);
    table.put("b", w1.id(), b1again);
    assert.equal(table.get("b", w1.id()), b1again);
    assert.equal(table.get("a", w1.id()), undefined);
    assert.equal(table.size, 2);
  });

  it("counts a key again in a window whose other keys are still live after its state expired (allowed lateness)", async () => {
    const late: WindowingStrategy = { ...fixed, allowedLatenessMillis: 5 };
    const panes: string[] = [];
    const group = new GroupNode("Count", late, deterministicKeyCoder(), Combiners.count(), { receive: (v: unknown, m: ElementMeta) => void panes.push(`${(v as KV<string, number>).key}=${(v as KV<string, number>).value} ${m.pane.timing}`) }, new MetricsContainer("Count"));
    const at = (t: Instant): ElementMeta => ({ timestamp: t, windows: [new IntervalWindow(0, 10)], pane: NO_FIRING });
    await group.receive(kv("a", 1), at(1));
    await group.receive(kv("b", 1), at(2));
    await group.advance({ inputWatermark: 10, processingTime: 0 });
    assert.deepEqual(panes, ["a=1 ON_TIME", "b=1 ON_TIME"]);
    await group.receive(kv("a", 1), at(3));
    await group.advance({ inputWatermark: 12, processingTime: 0 });
    assert.deepEqual(panes.slice(2), ["a=1 LATE"]);
    assert.equal(group.stateCount, 2);
    await group.advance({ inputWatermark: 15, processingTime: 0 });
    assert.equal(group.stateCount, 0, "both expired at the end of the window plus the allowed lateness");
    await group.receive(kv("a", 1), { timestamp: 11, windows: [new IntervalWindow(10, 20)], pane: NO_FIRING });
    await group.advance({ inputWatermark: 20, processingTime: 0 });
    assert.deepEqual(panes.slice(3), ["a=1 ON_TIME"]);
  });

  it("Window.into with FixedWindows assigns what the window fn assigns, timestamps moving back and forth, negative ones and offsets included", () => {
    for (const fn of [new FixedWindows(10), new FixedWindows(7, 3)]) {
      const seen: [number, string][] = [];
      const op = new WindowIntoOperator("Window", fn, { receive: (_v: unknown, m: ElementMeta) => void seen.push([m.timestamp, m.windows.map((w) => w.id()).join()]) });
      const timestamps = [5, 5, 9, 10, 10, 3, -1, -10, -11, 0, 12, 12.5, 19.999, 20, 9, 2, 2];
      for (const t of timestamps) op.receive(t, { timestamp: t, windows: [new IntervalWindow(-100, 100)], pane: NO_FIRING });
      assert.deepEqual(
        seen,
        timestamps.map((t) => [t, fn.assignWindows(t).map((w) => w.id()).join()]),
      );
    }
  });

  it("Window.into asks a subclass of FixedWindows for every element's windows", () => {
    class Halves extends FixedWindows {
      override assignWindows(t: Instant): readonly BoundedWindow[] {
        return t % 2 === 0 ? super.assignWindows(t) : [new IntervalWindow(t, t + 1)];
      }
    }
    const ids: string[] = [];
    const op = new WindowIntoOperator("Window", new Halves(10), { receive: (_v: unknown, m: ElementMeta) => void ids.push(m.windows[0]!.id()) });
    for (const t of [2, 3, 4, 5]) op.receive(t, { timestamp: t, windows: [new IntervalWindow(0, 100)], pane: NO_FIRING });
    assert.deepEqual(ids, ["0:10", "3:4", "0:10", "5:6"]);
  });
});
