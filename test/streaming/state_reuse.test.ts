/**
 * The window-major grouping table hands a window's Map on to the next window when the window
 * expires (issue 16: 100,000 keys in one window's worth of heap, not two): a key's state in the
 * next window is its expired state, reset. These tests pin that the reused state behaves as a
 * new one (panes, pane numbers, trigger, holds, keys), that the table hands its Map on and drops
 * it as it should, and that reuse really happens.
 */
import { strict as assert } from "node:assert";
import { FixedWindows, kv, KV } from "../../lib";
import { MetricsContainer } from "../../lib/model/metrics";
import { AfterCount, AfterWatermark } from "../../lib/model/triggers";
import { BoundedWindow, ElementMeta, Instant, IntervalWindow, NO_FIRING } from "../../lib/model/window";
import type { WindowingStrategy } from "../../lib/model/windowing";
import { deterministicKeyCoder } from "../../runners/executor/default_coders";
import { GroupNode } from "../../runners/streaming/grouping";
import { WindowMajorGroupingState, WindowState } from "../../runners/streaming/grouping_state";
import { triggerMachine } from "../../runners/streaming/trigger_machine";

/** Early firings every 2 elements, pane timestamps from the earliest element, 5 ms of allowed lateness. */
const windowing: WindowingStrategy = {
  windowFn: new FixedWindows(10),
  trigger: AfterWatermark({ early: AfterCount(2), late: AfterCount(1) }),
  timestampCombiner: "EARLIEST",
  accumulationMode: "DISCARDING",
  allowedLatenessMillis: 5,
};

const at = (t: Instant): ElementMeta => ({ timestamp: t, windows: [new IntervalWindow(t - (t % 10), t - (t % 10) + 10)], pane: NO_FIRING });

/** Every pane as text: key, values, window, timestamp and pane info. */
function step(table?: WindowMajorGroupingState): { group: GroupNode; panes: string[]; keys: unknown[] } {
  const panes: string[] = [];
  const keys: unknown[] = [];
  const receiver = {
    receive(v: unknown, m: ElementMeta) {
      const { key, value } = v as KV<unknown, number[]>;
      keys.push(key);
      const p = m.pane;
      panes.push(`${JSON.stringify(key)}=${JSON.stringify(value)} ${m.windows[0]!.id()} @${m.timestamp} ${p.timing} #${p.index}/${p.onTimeIndex} first=${p.isFirst} last=${p.isLast}`);
      return undefined;
    },
  };
  return { group: new GroupNode("G", windowing, deterministicKeyCoder(), undefined, receiver, new MetricsContainer("G"), undefined, undefined, undefined, table), panes, keys };
}

/** Elements of one window (timestamps base+…), then watermarks past its end and its expiry. */
async function oneWindow(group: GroupNode, base: number, keys: readonly unknown[]): Promise<void> {
  for (const [i, k] of keys.entries()) {
    await group.receive(kv(k, i), at(base + 3 + (i % 4)));
    await group.receive(kv(k, i + 100), at(base + 1 + (i % 3)));
  }
  await group.receive(kv(keys[0], 7), at(base + 2));
  await group.advance({ inputWatermark: base + 5, processingTime: 0 });
  await group.advance({ inputWatermark: base + 11, processingTime: 0 });
  // A late element (within the allowed lateness) fires a late pane.
  await group.receive(kv(keys[1], 9), at(base + 8));
  await group.advance({ inputWatermark: base + 12, processingTime: 0 });
  await group.advance({ inputWatermark: base + 16, processingTime: 0 });
}

describe("Streaming DirectRunner: a window's grouping states reused by the next window", () => {
  it("fires in the next window exactly the panes a new step fires, reusing the expired states", async () => {
    const keys = ["a", "b", "c", "d"];
    const table = new WindowMajorGroupingState();
    const reused = step(table);
    await oneWindow(reused.group, 0, keys);
    assert.equal(reused.group.stateCount, 0);
    const first = reused.panes.length;
    // The next window's first elements: the expired states come back.
    const before = new Set<WindowState>();
    await reused.group.receive(kv("a", 1), at(21));
    await reused.group.receive(kv("b", 1), at(21));
    for (const ws of table.all()) before.add(ws);
    assert.equal(before.size, 2);
    const fresh = step();
    await fresh.group.receive(kv("a", 1), at(21));
    await fresh.group.receive(kv("b", 1), at(21));
    await oneWindow(reused.group, 20, keys);
    await oneWindow(fresh.group, 20, keys);
    assert.deepEqual(reused.panes.slice(first), fresh.panes);
    assert.ok(fresh.panes.some((p) => p.includes("EARLY #0/-1 first=true")) && fresh.panes.some((p) => p.includes("LATE")));
    assert.equal(reused.group.stateCount, 0);

    // The same objects were the states of the first window (removed, then reset).
    const table2 = new WindowMajorGroupingState();
    const again = step(table2);
    await again.group.receive(kv("a", 1), at(1));
    const [stateA] = [...table2.all()];
    await again.group.advance({ inputWatermark: 16, processingTime: 0 });
    await again.group.receive(kv("a", 2), at(21));
    assert.deepEqual([...table2.all()], [stateA]);
  });

  it("a reused state emits the key of its new window's elements (object keys), a string key keeps its first string", async () => {
    const table = new WindowMajorGroupingState();
    const s = step(table);
    const k1 = { id: 1 };
    await s.group.receive(kv(k1, 1), at(1));
    await s.group.advance({ inputWatermark: 16, processingTime: 0 });
    const k2 = { id: 1 };
    await s.group.receive(kv(k2, 2), at(21));
    await s.group.advance({ inputWatermark: 36, processingTime: 0 });
    assert.equal(s.keys.length, 2);
    assert.equal(s.keys[0], k1);
    assert.equal(s.keys[1], k2, "the second window's pane carries the second window's key object");
    assert.deepEqual(s.panes.map((p) => p.slice(0, p.indexOf(" "))), ['{"id":1}=[1]', '{"id":1}=[2]']);
  });

  it("the table hands an expired window's Map on: to the newest live window, else to the next window; keys that did not come back go once they are many", () => {
    const w = (i: number): BoundedWindow => new IntervalWindow(10 * i, 10 * i + 10);
    const state = (key: string, win: BoundedWindow): WindowState => new WindowState(key, win, 0, triggerMachine(undefined));
    const table = new WindowMajorGroupingState();
    const fill = (win: BoundedWindow, keys: readonly string[]): WindowState[] => keys.map((k) => {
      assert.equal(table.get(k, win.id()), undefined);
      const ws = table.recycled(k) ?? state(k, win);
      if (ws.window !== win) ws.reuse(k, win, 0, triggerMachine(undefined));
      table.put(k, win.id(), ws);
      return ws;
    });
    const w0 = fill(w(0), ["a", "b", "c"]);
    const w1 = fill(w(1), ["a"]);
    for (const ws of w0) table.remove(ws.key as string, w(0).id(), ws);
    // Window 1 (live) took window 0's Map: its other keys' states come back.
    assert.equal(table.size, 1);
    assert.deepEqual([...table.all()], w1);
    const w1more = fill(w(1), ["b", "c", "d"]);
    assert.equal(w1more[0], w0[1]);
    assert.equal(w1more[1], w0[2]);
    assert.notEqual(w1more[2], undefined);
    assert.equal(table.size, 4);
    assert.deepEqual(new Set(table.windowsOf("a")), new Set(w1));
    // No live window when window 1 goes: the next window takes its Map.
    for (const ws of [...w1, ...w1more]) table.remove(ws.key as string, w(1).id(), ws);
    assert.equal(table.size, 0);
    assert.deepEqual([...table.all()], []);
    assert.equal(table.get("a", w(1).id()), undefined, "a gone window has no states");
    const w2 = fill(w(2), ["x", "c"]);
    assert.equal(w2[1], w1more[1], "the next window reuses the gone window's state of c");
    assert.equal(table.size, 2);

    // Keys that do not come back are dropped from the Map as it is handed on, once they are many.
    const big = new WindowMajorGroupingState();
    const bigFill = (win: BoundedWindow, keys: readonly string[]): WindowState[] => keys.map((k) => {
      big.get(k, win.id());
      const ws = big.recycled(k) ?? state(k, win);
      if (ws.window !== win) ws.reuse(k, win, 0, triggerMachine(undefined));
      big.put(k, win.id(), ws);
      return ws;
    });
    const expire = (win: BoundedWindow, states: readonly WindowState[]): void => {
      for (const ws of states) big.remove(ws.key as string, win.id(), ws);
    };
    const keys = (from: number, to: number): string[] => Array.from({ length: to - from }, (_, i) => `k${from + i}`);
    const first = bigFill(w(0), keys(0, 3000));
    expire(w(0), first);
    // Window 1 reuses half the states handed on: worth it, but the 1,500 keys that did not come back go.
    const second = bigFill(w(1), keys(0, 1500));
    assert.equal(second[1], first[1], "handed on");
    expire(w(1), second);
    const third = bigFill(w(2), ["k2000", "k0"]);
    assert.notEqual(third[0], first[2000], "k2000 did not come back in window 1: dropped");
    assert.equal(third[1], first[0], "k0 came back: kept");
    // Window 2 reused 1 of the 1,500 states handed on: the next two Maps are not handed on, then one is.
    expire(w(2), third);
    const fourth = bigFill(w(3), ["k0"]);
    assert.notEqual(fourth[0], first[0]);
    expire(w(3), fourth);
    const fifth = bigFill(w(4), ["k0"]);
    assert.notEqual(fifth[0], fourth[0]);
    expire(w(4), fifth);
    const sixth = bigFill(w(5), ["k0"]);
    assert.equal(sixth[0], fifth[0], "tried again");
  });
});
