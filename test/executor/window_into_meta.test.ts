import { strict as assert } from "node:assert";
import { FixedWindows, type WindowFn } from "../../lib/model/windowing";
import { SlidingWindows } from "../../lib/model/sliding_sessions";
import { type BoundedWindow, type ElementMeta, GLOBAL_WINDOWS, IntervalWindow, NO_FIRING, type PaneInfo } from "../../lib/model/window";
import { WindowIntoOperator } from "../../runners/executor/window_operator";

/**
 * Window.into's operator reuses its output metadata for a run of elements that share one input
 * metadata object (a streaming source's run of equal timestamps). What each element gets must
 * be what it would get alone: the window of its timestamp, its own pane, every copy counted.
 */
describe("WindowIntoOperator: elements that share their metadata", () => {
  const late: PaneInfo = { isFirst: false, isLast: false, timing: "LATE", index: 2, onTimeIndex: 1 };
  const describeMeta = (m: ElementMeta): string => `${m.timestamp} ${m.windows.map((w) => w.id()).join("+")} ${m.pane.timing}#${m.pane.index}`;

  function run(windowFn: WindowFn, inputs: readonly ElementMeta[]): { seen: string[]; objects: ElementMeta[]; count: number } {
    const objects: ElementMeta[] = [];
    const cell = { n: 0 };
    const op = new WindowIntoOperator("W", windowFn, { receive: (_v, meta) => void objects.push(meta) }, cell);
    for (const meta of inputs) op.receive("x", meta);
    return { seen: objects.map(describeMeta), objects, count: cell.n };
  }

  it("FixedWindows: a shared input gives each element its window and pane; other inputs are looked at again", () => {
    const run1: ElementMeta = { timestamp: 3, windows: GLOBAL_WINDOWS, pane: NO_FIRING };
    const sameInstantLate: ElementMeta = { timestamp: 3, windows: GLOBAL_WINDOWS, pane: late };
    const run2: ElementMeta = { timestamp: 12, windows: GLOBAL_WINDOWS, pane: NO_FIRING };
    const sliding = new SlidingWindows(6, 2).assignWindows(4); // an element in 3 windows: 3 copies
    const { seen, objects, count } = run(new FixedWindows(10), [run1, run1, sameInstantLate, run1, run2, run2, { timestamp: 4, windows: sliding, pane: NO_FIRING }, run2]);
    assert.deepEqual(seen, ["3 0:10 NONE#0", "3 0:10 NONE#0", "3 0:10 LATE#2", "3 0:10 NONE#0", "12 10:20 NONE#0", "12 10:20 NONE#0", "4 0:10 NONE#0", "4 0:10 NONE#0", "4 0:10 NONE#0", "12 10:20 NONE#0"].map((s) => s.replace("NONE", NO_FIRING.timing)));
    assert.equal(count, 10);
    // The run's elements share one output object (read-only metadata).
    assert.equal(objects[0], objects[1]);
    assert.notEqual(objects[3], objects[2]);
    assert.equal(objects[3]!.pane, NO_FIRING);
    assert.equal(objects[9]!.windows[0]!.id(), "10:20");
  });

  it("another window fn is asked for every element, as before", () => {
    let calls = 0;
    const fn = new (class extends FixedWindows {
      assignWindows(timestamp: number): readonly BoundedWindow[] {
        calls++;
        return [new IntervalWindow(timestamp - (timestamp % 10), timestamp - (timestamp % 10) + 10)];
      }
    })(10);
    const shared: ElementMeta = { timestamp: 5, windows: GLOBAL_WINDOWS, pane: NO_FIRING };
    const { seen } = run(fn, [shared, shared, shared]);
    assert.deepEqual(seen, Array(3).fill(`5 0:10 ${NO_FIRING.timing}#0`));
    assert.equal(calls, 3);
  });
});
