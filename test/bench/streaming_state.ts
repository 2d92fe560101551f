/**
 * The memory a streaming Count.perKey keeps per key and window: KEYS keys, three elements each,
 * into one 1 s fixed window of the grouping step the streaming DirectRunner runs (GroupNode,
 * default trigger), measured as the growth of the V8 heap after a full GC, divided by the number
 * of live key-window states. Keys are made per element, as WithKeys makes them, so the key the
 * state keeps is counted. For reference, the same for the hand-written loop's Map of counts.
 * Needs --expose-gc (the parent starts the child with it).
 */
import { Combiners, FixedWindows } from "../../lib";
import { MetricsContainer } from "../../lib/model/metrics";
import { IntervalWindow, kv, NO_FIRING } from "../../lib/model/window";
import type { WindowingStrategy } from "../../lib/model/windowing";
import { deterministicKeyCoder } from "../../runners/executor/default_coders";
import { DISCARD } from "../../runners/executor/receiver";
import { GroupNode } from "../../runners/streaming/grouping";

function heapAfterGc(): number {
  const gc = (globalThis as { gc?: () => void }).gc;
  if (gc === undefined) throw new Error("state-bytes needs node --expose-gc");
  gc();
  gc();
  return process.memoryUsage().heapUsed;
}

/** Heap bytes per key-window state of the streaming grouping step, and of the hand-written Map. */
export async function stateBytesPerKeyWindow(keys: number): Promise<{ beamline: number; handWritten: number }> {
  const windowing: WindowingStrategy = {
    windowFn: new FixedWindows(1000),
    timestampCombiner: "END_OF_WINDOW",
    accumulationMode: "DISCARDING",
    allowedLatenessMillis: 0,
  };
  // The hand-written loop's Map first, kept alive while the step is measured.
  const base = heapAfterGc();
  const counts = new Map<string, number>();
  for (let round = 0; round < 3; round++) for (let i = 0; i < keys; i++) counts.set(`k${i}`, (counts.get(`k${i}`) ?? 0) + 1);
  const handWritten = (heapAfterGc() - base) / keys;

  const before = heapAfterGc();
  const group = new GroupNode("Count", windowing, deterministicKeyCoder(), Combiners.count(), DISCARD, new MetricsContainer("Count"));
  for (let round = 0; round < 3; round++) {
    for (let i = 0; i < keys; i++) {
      // Each element gets its window from Window.into, as in a pipeline.
      await group.receive(kv(`k${i}`, i), { timestamp: 500, windows: [new IntervalWindow(0, 1000)], pane: NO_FIRING });
    }
    await group.advance({ inputWatermark: 0, processingTime: 0 });
  }
  const beamline = (heapAfterGc() - before) / keys;
  if (group.stateCount !== keys || counts.size !== keys) throw new Error(`expected ${keys} key-window states, found ${group.stateCount} (and ${counts.size} counts)`);
  return { beamline, handWritten };
}
