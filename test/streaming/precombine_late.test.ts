/**
 * Combiner lifting in front of the keyed exchange and data behind the watermark: with the
 * EARLIEST timestamp combiner, Beam stamps a pane with the earliest of its elements that are not
 * behind the step's output watermark (a late element holds nothing). A lifted accumulator must not
 * let such an element's timestamp stand for the on-time elements merged with it.
 */
import { strict as assert } from "node:assert";
import { ByteWriter } from "../../lib/coders/byte_io";
import { StringUtf8Coder } from "../../lib/coders/primitive";
import type { CombineFnLike } from "../../lib/model/combine_fn";
import { MetricsContainer } from "../../lib/model/metrics";
import { type BoundedWindow, type Instant, IntervalWindow, NO_FIRING } from "../../lib/model/window";
import { FixedWindows, type WindowingStrategy } from "../../lib/model/windowing";
import { type AccumulatorSink, LiftedCombine } from "../../runners/streaming/parallel/precombine";

const sum: CombineFnLike = {
  createAccumulator: () => 0,
  addInput: (a, x) => (a as number) + (x as number),
  mergeAccumulators: (accs) => [...accs].reduce((a: number, b) => a + (b as number), 0),
  extractOutput: (a) => a,
};

interface Record {
  readonly key: unknown;
  readonly window: string;
  readonly timestamp: Instant;
  readonly acc: unknown;
  readonly count: number;
}

/** What the owner would be handed: every accumulator record of the drained table. */
async function lift(timestampCombiner: WindowingStrategy["timestampCombiner"], timestamps: readonly number[], watermark: Instant): Promise<Record[]> {
  const windowing: WindowingStrategy = { windowFn: new FixedWindows(10), timestampCombiner, accumulationMode: "DISCARDING", allowedLatenessMillis: 100 };
  const lifted = new LiftedCombine("Sum", sum, windowing, new StringUtf8Coder(), new MetricsContainer("Sum"));
  const table = lifted.newTable();
  const window = new IntervalWindow(0, 10);
  for (const t of timestamps) table.add({ key: "k", value: 1 }, { timestamp: t, windows: [window], pane: NO_FIRING }, new StringUtf8Coder(), watermark);
  assert.equal(table.size, timestampCombiner === "EARLIEST" ? 1 + timestamps.filter((t) => t < watermark).length : 1);
  const w = new ByteWriter(256);
  table.drainInto(w);
  assert.equal(table.size, 0);
  const records: Record[] = [];
  const sink = {
    metrics: new MetricsContainer("Sum"),
    receive: () => undefined,
    mergeAccumulator(key: unknown, win: BoundedWindow, timestamp: Instant, acc: unknown, count: number) {
      records.push({ key, window: win.id(), timestamp, acc, count });
      return undefined;
    },
  } as AccumulatorSink;
  await lifted.deliver(w.view(), sink);
  return records.sort((a, b) => a.timestamp - b.timestamp);
}

describe("streaming: lifted combines and elements behind the watermark", () => {
  it("EARLIEST: elements behind this instance's watermark travel as accumulators of their own; the on-time ones merge, stamped with their earliest", async () => {
    // Beam's transcript known_late_data_watermark: watermark 5, elements 2, 3, 7, 8 → the pane is stamped 7.
    const records = await lift("EARLIEST", [2, 7, 3, 8], 5);
    assert.deepEqual(
      records.map((r) => [r.timestamp, r.acc, r.count]),
      [
        [2, 1, 1],
        [3, 1, 1],
        [7, 2, 2],
      ],
    );
    assert.ok(records.every((r) => r.key === "k" && r.window === new IntervalWindow(0, 10).id()));
  });

  it("EARLIEST with nothing behind the watermark: one accumulator of every element", async () => {
    const records = await lift("EARLIEST", [2, 7, 3, 8], 1);
    assert.deepEqual(records.map((r) => [r.timestamp, r.acc, r.count]), [[2, 4, 4]]);
  });

  it("LATEST and END_OF_WINDOW merge everything: the latest of a merge is on time whenever any of its elements is", async () => {
    assert.deepEqual((await lift("LATEST", [2, 7, 3, 8], 5)).map((r) => [r.timestamp, r.acc, r.count]), [[8, 4, 4]]);
    assert.deepEqual((await lift("END_OF_WINDOW", [2, 7, 3, 8], 5)).map((r) => [r.timestamp, r.acc, r.count]), [[9, 4, 4]]);
  });
});
