/**
 * The grouping step visits windows through a wake-up heap and keeps its watermark hold in a
 * heap. These tests pin what that indexing must preserve: exactly the panes and holds a
 * step-by-step reading of the model gives, for many keys and windows, with late data, allowed
 * lateness and sessions; the stateful step's timer and expiry heaps likewise; and the heap
 * itself against sorting.
 */
import { strict as assert } from "node:assert";
import { FixedWindows, kv, KV, Sessions } from "../../lib";
import { MetricsContainer } from "../../lib/model/metrics";
import { AfterCount, AfterProcessingTime, AfterWatermark, Repeatedly } from "../../lib/model/triggers";
import { ElementMeta, IntervalWindow, NO_FIRING, PaneInfo } from "../../lib/model/window";
import type { WindowingStrategy } from "../../lib/model/windowing";
import { deterministicKeyCoder } from "../../runners/executor/default_coders";
import type { Receiver } from "../../runners/executor/receiver";
import { GroupNode } from "../../runners/streaming/grouping";
import { InMemoryStateAndTimers } from "../../runners/executor/in_memory_state";
import { AnyStatefulDoFn, StatefulParDoOperator } from "../../runners/executor/stateful_operator";
import { statefulTimeAware } from "../../runners/streaming/graph";
import { defaultOptions } from "../../lib/model/options";
import { StatefulDoFn, StatefulProcessContext, StateSpec, TimerContext, TimerSpec } from "../../lib/model/state";
import { MinHeap } from "../../runners/executor/min_heap";

/** A deterministic pseudo-random sequence (tests must not depend on Math.random). */
function lcg(seed: number): () => number {
  let x = seed;
  return () => {
    x = (x * 1103515245 + 12345) % 2147483648;
    return x / 2147483648;
  };
}

interface Pane {
  key: string;
  window: string;
  values: number[];
  timing: PaneInfo["timing"];
  at: number;
}

function recorder(): { panes: Pane[]; receiver: Receiver } {
  const panes: Pane[] = [];
  return {
    panes,
    receiver: {
      receive(value: unknown, meta: ElementMeta) {
        const { key, value: values } = value as KV<string, number[]>;
        const w = meta.windows[0] as IntervalWindow;
        panes.push({ key, window: `[${w.start},${w.end})`, values: [...values].sort((a, b) => a - b), timing: meta.pane.timing, at: meta.timestamp });
        return undefined;
      },
    },
  };
}

describe("Streaming DirectRunner: the grouping step's window index", () => {
  it("MinHeap pops in time order (against a sort of 5,000 random times, with duplicates)", () => {
    const rnd = lcg(7);
    const heap = new MinHeap<number>();
    const times: number[] = [];
    for (let i = 0; i < 5000; i++) {
      const t = Math.floor(rnd() * 1000);
      times.push(t);
      heap.push(t, i);
    }
    const popped: number[] = [];
    while (heap.size > 0) {
      popped.push(heap.peekTime());
      heap.pop();
    }
    assert.deepEqual(popped, [...times].sort((a, b) => a - b));
    assert.equal(heap.peekTime(), Infinity);
  });

  it("fires every window on time exactly when the watermark passes its end, across 2,000 keys, with late panes and expiry", async () => {
    const windowing: WindowingStrategy = {
      windowFn: new FixedWindows(100),
      timestampCombiner: "END_OF_WINDOW",
      accumulationMode: "DISCARDING",
      allowedLatenessMillis: 200,
      trigger: AfterWatermark({ late: AfterCount(1) }),
    };
    const { panes, receiver } = recorder();
    const metrics = new MetricsContainer("G");
    const group = new GroupNode("G", windowing, deterministicKeyCoder(), undefined, receiver, metrics);
    const rnd = lcg(42);
    const expected: Pane[] = [];
    // Reference model: per key and window, values collected until the watermark passes the end.
    const open = new Map<string, { key: string; start: number; values: number[] }>();
    const closedAt = new Map<string, number>(); // window end of states that fired on time (for late panes)
    let watermark = 0;
    for (let step = 0; step < 60; step++) {
      // 200 elements (one bundle), mostly near the watermark, some late (behind it, within or past lateness).
      const latePanes = new Map<string, Pane>();
      for (let i = 0; i < 200; i++) {
        const key = `k${Math.floor(rnd() * 2000)}`;
        const t = Math.max(0, watermark + Math.floor(rnd() * 400) - 100 - (rnd() < 0.1 ? 300 : 0));
        const start = Math.floor(t / 100) * 100;
        const id = `${key}|${start}`;
        const meta = { timestamp: t, windows: [new IntervalWindow(start, start + 100)], pane: NO_FIRING };
        await group.receive(kv(key, step * 1000 + i), meta);
        const end = start + 99;
        if (end + 200 < watermark) continue; // expired: dropped
        if (end < watermark) {
          // Late: a pane at the end of the bundle (AfterCount(1) late firings) with the bundle's
          // late elements of the window, stamped with the window's end.
          const pane = latePanes.get(id);
          if (pane !== undefined) pane.values.push(step * 1000 + i);
          else latePanes.set(id, { key, window: `[${start},${start + 100})`, values: [step * 1000 + i], timing: "LATE", at: end });
          closedAt.set(id, end);
          continue;
        }
        const o = open.get(id) ?? { key, start, values: [] };
        o.values.push(step * 1000 + i);
        open.set(id, o);
      }
      expected.push(...latePanes.values());
      watermark += Math.floor(rnd() * 150);
      for (const [id, o] of [...open]) {
        if (o.start + 99 < watermark) {
          expected.push({ key: o.key, window: `[${o.start},${o.start + 100})`, values: o.values.sort((a, b) => a - b), timing: "ON_TIME", at: o.start + 99 });
          open.delete(id);
        }
      }
      const before = panes.length;
      await group.advance({ inputWatermark: watermark, processingTime: 0 });
      // The hold is the earliest end of a window that still has unfired data.
      const holdExpected = Math.min(Infinity, ...[...open.values()].map((o) => o.start + 99));
      assert.equal(group.hold(), holdExpected, `hold after step ${step}`);
      assert.ok(panes.length >= before);
    }
    const key = (p: Pane): string => `${p.key}|${p.window}|${p.timing}|${p.values.join(",")}|${p.at}`;
    assert.deepEqual(panes.map(key).sort(), expected.map(key).sort());
    assert.ok(expected.filter((p) => p.timing === "LATE").length > 50, "the input had late data");
    // Everything expires once the watermark passes the last end + lateness.
    await group.advance({ inputWatermark: watermark + 10_000, processingTime: 0 });
    assert.equal(group.stateCount, 0);
  });

  it("merges sessions and fires each merged session once on time, holding the watermark at its end until then", async () => {
    const windowing: WindowingStrategy = { windowFn: new Sessions(10), timestampCombiner: "END_OF_WINDOW", accumulationMode: "DISCARDING", allowedLatenessMillis: 0 };
    const { panes, receiver } = recorder();
    const group = new GroupNode("G", windowing, deterministicKeyCoder(), undefined, receiver, new MetricsContainer("G"));
    const put = (key: string, t: number, v: number) => group.receive(kv(key, v), { timestamp: t, windows: [new IntervalWindow(t, t + 10)], pane: NO_FIRING });
    await put("a", 0, 1);
    await put("a", 5, 2); // merges with [0,10) → [0,15)
    await put("b", 3, 3);
    await put("a", 30, 4);
    await group.advance({ inputWatermark: 1, processingTime: 0 });
    assert.equal(group.hold(), 12, "b's session [3,13) ends first");
    await put("a", 12, 5); // bridges nothing: [12,22) overlaps [0,15) → [0,22)
    await group.advance({ inputWatermark: 14, processingTime: 0 });
    assert.deepEqual(panes.map((p) => `${p.key}${p.window}=${p.values.join(",")}`), ["b[3,13)=3"]);
    assert.equal(group.hold(), 21);
    await group.advance({ inputWatermark: 100, processingTime: 0 });
    assert.deepEqual(panes.map((p) => `${p.key}${p.window}=${p.values.join(",")}`).sort(), ["a[0,22)=1,2,5", "a[30,40)=4", "b[3,13)=3"]);
    assert.equal(group.hold(), Infinity);
    assert.equal(group.stateCount, 0);
  });

  it("fires the timers of 2,000 keys in firing order as the watermark advances, holds at the earliest pending timer, and collects expired slots", async () => {
    /** Sums each key's values per window; a timer at the end of the window (re-set per element) flushes the sum. */
    class SumUntilEnd extends StatefulDoFn<string, number, string> {
      readonly sum = StateSpec.value<number>("sum");
      readonly flush = TimerSpec.eventTime("flush");
      process(e: KV<string, number>, ctx: StatefulProcessContext<string>): void {
        ctx.state(this.sum).write((ctx.state(this.sum).read() ?? 0) + e.value);
        ctx.timer(this.flush).set(ctx.window.maxTimestamp());
      }
      onTimer(_timer: string, ctx: TimerContext<string, string>): void {
        ctx.output(`${ctx.key}@${ctx.timestamp}=${ctx.state(this.sum).read()}`);
        ctx.state(this.sum).clear();
      }
    }
    const windowing: WindowingStrategy = { windowFn: new FixedWindows(100), timestampCombiner: "END_OF_WINDOW", accumulationMode: "DISCARDING", allowedLatenessMillis: 50 };
    const outputs: string[] = [];
    const sink: Receiver = { receive: (v: unknown) => void outputs.push(v as string) };
    const runtime = { options: defaultOptions(), runId: "t", transformName: "S", reportOutputs: () => undefined };
    const state = new InMemoryStateAndTimers(deterministicKeyCoder(), windowing.allowedLatenessMillis);
    const op = new StatefulParDoOperator("S", new SumUntilEnd() as unknown as AnyStatefulDoFn, new Map([["main", sink]]), undefined, new MetricsContainer("S"), runtime, { state, timers: state }, windowing.allowedLatenessMillis);
    const timers = statefulTimeAware(state, op);
    await op.startBundle();
    const rnd = lcg(3);
    const sums = new Map<string, { key: string; end: number; sum: number }>();
    const expected: string[] = [];
    let watermark = 0;
    for (let step = 0; step < 40; step++) {
      for (let i = 0; i < 300; i++) {
        const key = `k${Math.floor(rnd() * 2000)}`;
        const t = watermark + Math.floor(rnd() * 300);
        const start = Math.floor(t / 100) * 100;
        await op.receive(kv(key, i), { timestamp: t, windows: [new IntervalWindow(start, start + 100)], pane: NO_FIRING });
        const id = `${key}|${start}`;
        const s = sums.get(id) ?? { key, end: start + 99, sum: 0 };
        s.sum += i;
        sums.set(id, s);
      }
      watermark += 1 + Math.floor(rnd() * 120);
      const due = [...sums.entries()].filter(([, s]) => s.end < watermark).sort((a, b) => a[1].end - b[1].end);
      for (const [id, s] of due) {
        expected.push(`${s.key}@${s.end}=${s.sum}`);
        sums.delete(id);
      }
      const before = outputs.length;
      await timers.advance({ inputWatermark: watermark, processingTime: 0 });
      const fired = outputs.slice(before);
      const firedEnds = fired.map((o) => Number(o.slice(o.indexOf("@") + 1, o.indexOf("="))));
      assert.deepEqual(firedEnds, [...firedEnds].sort((a, b) => a - b), "timers fire earliest first");
      assert.equal(timers.hold(), Math.min(Infinity, ...[...sums.values()].map((s) => s.end)), `hold after step ${step}`);
    }
    assert.deepEqual([...outputs].sort(), [...expected].sort());
    await timers.advance({ inputWatermark: watermark + 1_000, processingTime: 0 });
    assert.equal(state.slotCount, 0, "every slot expired");
    assert.equal(timers.hold(), Infinity);
  });

  it("fires processing-time panes for exactly the windows holding unfired elements as the clock moves", async () => {
    const windowing: WindowingStrategy = {
      windowFn: new FixedWindows(1_000_000),
      timestampCombiner: "END_OF_WINDOW",
      accumulationMode: "DISCARDING",
      allowedLatenessMillis: 0,
      trigger: Repeatedly(AfterProcessingTime(10)),
    };
    const { panes, receiver } = recorder();
    const group = new GroupNode("G", windowing, deterministicKeyCoder(), undefined, receiver, new MetricsContainer("G"));
    const window = new IntervalWindow(0, 1_000_000);
    const at = (processingTime: number) => group.advance({ inputWatermark: 0, processingTime });
    await at(0);
    for (let k = 0; k < 1000; k++) await group.receive(kv(`k${k}`, k), { timestamp: 5, windows: [window], pane: NO_FIRING });
    await at(5);
    assert.equal(panes.length, 0, "not yet 10 ms since the first element");
    await at(11);
    assert.equal(panes.length, 1000, "one early pane per key");
    assert.ok(panes.every((p) => p.timing === "EARLY"));
    for (let k = 0; k < 10; k++) await group.receive(kv(`k${k}`, 1000 + k), { timestamp: 6, windows: [window], pane: NO_FIRING });
    await at(15);
    await at(30);
    assert.deepEqual(panes.slice(1000).map((p) => `${p.key}:${p.values.join(",")}`).sort(), Array.from({ length: 10 }, (_, k) => `k${k}:${1000 + k}`).sort());
    await at(100);
    assert.equal(panes.length, 1010, "nothing pending, nothing fires");
  });
});
