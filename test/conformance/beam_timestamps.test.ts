/**
 * Element timestamps against Beam's own tests as the oracle: Beam Java's ParDoTest.TimestampTests
 * (outputWithTimestamp and the allowed timestamp skew) and SimpleDoFnRunner's bounds on output
 * timestamps.
 */
import { strict as assert } from "node:assert";
import { Create, DoFn, GLOBAL_WINDOW_MAX_TIMESTAMP, MAX_TIMESTAMP, MIN_TIMESTAMP, ParDo, type PCollection, type ProcessContext } from "../../lib";
import type { Pipeline } from "../../lib/model/pipeline";
import { runDirect } from "../helpers";
import { runError } from "./beam_helpers";
import { collect, Observed } from "../streaming/collect";


/** Outputs each element at `timestamp(input timestamp)`, with the given allowed skew. */
class ShiftTimestamp extends DoFn<number, number> {
  constructor(
    readonly allowedTimestampSkewMillis: number,
    private readonly shift: (t: number) => number,
  ) {
    super();
  }
  process(n: number, ctx: ProcessContext<number>): void {
    ctx.outputWithTimestamp(n, this.shift(ctx.timestamp));
  }
}

/** Elements stamped with their own value (ParDoTest's TestOutputTimestampDoFn). */
const stampedByValue = (p: Pipeline, values: readonly number[]): PCollection<number> =>
  p.apply("Values", Create.from(values)).apply("AssignTimestampToValue", ParDo.into<number>().of((n, ctx) => ctx.outputWithTimestamp(n, n)));

describe("Beam output timestamps (ParDoTest.TimestampTests)", () => {
  it("outputs at the given timestamp (testParDoOutputWithTimestamp)", async () => {
    const seen: Observed<number>[] = [];
    await (await runDirect((p) => collect(stampedByValue(p, [3, 42, 6]).apply("Same", ParDo.of(new ShiftTimestamp(0, (t) => t))), seen))).waitUntilFinish();
    assert.deepEqual(seen.map((o) => `${o.value}@${o.timestamp}`).sort(), ["3@3", "42@42", "6@6"]);
  });

  it("moves timestamps back within the allowed skew (testParDoShiftTimestamp)", async () => {
    const seen: Observed<number>[] = [];
    await (await runDirect((p) => collect(stampedByValue(p, [3, 42, 6]).apply("Back", ParDo.of(new ShiftTimestamp(1000, (t) => t - 1000))), seen))).waitUntilFinish();
    assert.deepEqual(seen.map((o) => `${o.value}@${o.timestamp}`).sort(), ["3@-997", "42@-958", "6@-994"]);
  });

  it("fails the step that moves a timestamp back beyond the allowed skew (testParDoShiftTimestampInvalid, ...InvalidZeroAllowed)", async () => {
    for (const skew of [1000, 0]) {
      const e = await runError((p) => {
        stampedByValue(p, [3, 42, 6]).apply("TooFar", ParDo.of(new ShiftTimestamp(skew, (t) => t - skew - 1)));
      });
      assert.match(e.message, /'TooFar'/);
      assert.match(e.message, new RegExp(`minus the allowed skew \\(${skew} ms\\)`));
    }
  });

  it("moves any timestamp back to the minimum with an unlimited skew (testParDoShiftTimestampUnlimited)", async () => {
    const seen: Observed<number>[] = [];
    await (
      await runDirect((p) => collect(stampedByValue(p, [0, MIN_TIMESTAMP, GLOBAL_WINDOW_MAX_TIMESTAMP]).apply("ToMin", ParDo.of(new ShiftTimestamp(Infinity, () => MIN_TIMESTAMP))), seen))
    ).waitUntilFinish();
    assert.deepEqual(seen.map((o) => o.timestamp), [MIN_TIMESTAMP, MIN_TIMESTAMP, MIN_TIMESTAMP]);
  });

  it("outputs at the maximum timestamp, but not after it (Java's SimpleDoFnRunner: no later than TIMESTAMP_MAX_VALUE)", async () => {
    const seen: Observed<number>[] = [];
    await (await runDirect((p) => collect(stampedByValue(p, [1]).apply("ToMax", ParDo.of(new ShiftTimestamp(0, () => MAX_TIMESTAMP))), seen))).waitUntilFinish();
    assert.deepEqual(seen.map((o) => o.timestamp), [MAX_TIMESTAMP]);
    for (const bad of [MAX_TIMESTAMP + 1_000_000, Infinity, NaN]) {
      const e = await runError((p) => {
        stampedByValue(p, [1]).apply("PastEnd", ParDo.of(new ShiftTimestamp(0, () => bad)));
      });
      assert.match(e.message, /'PastEnd'/);
      assert.match(e.message, new RegExp(`timestamp ${String(bad)}`));
    }
  });

  it("refuses a timestamp that is not a whole number of milliseconds, on every runner path (Beam timestamps are int64 millis)", async () => {
    const e = await runError((p) => {
      stampedByValue(p, [1]).apply("Fraction", ParDo.of(new ShiftTimestamp(0, (t) => t + 0.5)));
    });
    assert.match(e.message, /'Fraction'/);
    assert.match(e.message, /timestamp 1\.5/);
  });

  it("refuses Create.timestamped values outside Beam's timestamp range", async () => {
    const e = await runError((p) => {
      p.apply("Late", Create.timestamped([{ value: 1, timestamp: MAX_TIMESTAMP + 1_000_000 }]));
    });
    assert.match(e.message, /'Late\/Values'/);
  });
});
