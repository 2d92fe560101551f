/**
 * A splittable DoFn with side inputs and a tagged output on the streaming DirectRunner under
 * TestStream: its residuals resume on (virtual) processing time, and every call — the first, the
 * resumed ones, and the one the drain finishes — reads the side input in the element's window and
 * writes each tag at the timestamp it gives, in the element's window.
 */
import { strict as assert } from "node:assert";
import { AsSingleton, Create, FixedWindows, OffsetRange, OffsetRangeCoder, OffsetRangeTracker, ParDo, ProcessContinuation, SplittableDoFn, Window } from "../../lib";
import type { RestrictionTracker, SplittableProcessContext } from "../../lib";
import { TestStream } from "../../lib/testing/test_stream";
import { runDirect } from "../helpers";
import { collect, type Observed } from "./collect";

type Tags = { odd: string };
type Sides = { prefix: string };

/** Claims one offset a call: even ones to the main output, odd ones to `odd`, each at element time + offset; checkpoints for a second. */
class TaggedTicks extends SplittableDoFn<string, string, OffsetRange, number, Tags, Sides> {
  readonly restrictionCoder = OffsetRangeCoder.INSTANCE;
  initialRestriction(): OffsetRange {
    return new OffsetRange(0, 4);
  }
  newTracker(range: OffsetRange): RestrictionTracker<OffsetRange, number> {
    return new OffsetRangeTracker(range);
  }
  process(element: string, tracker: RestrictionTracker<OffsetRange, number>, ctx: SplittableProcessContext<string, Tags, Sides>): ProcessContinuation {
    const i = tracker.currentRestriction().from;
    if (!tracker.tryClaim(i)) return ProcessContinuation.stop();
    const value = `${ctx.sideInputs.prefix}${element}${i}`;
    if (i % 2 === 0) ctx.outputWithTimestamp(value, ctx.timestamp + i);
    else ctx.outputToWithTimestamp("odd", value, ctx.timestamp + i);
    return ProcessContinuation.resume().withResumeDelay(1000);
  }
}

describe("Streaming DirectRunner: splittable DoFns with side inputs and tagged outputs", function () {
  this.timeout(60_000);

  it("reads the side input in the element's window and outputs to each tag, in resumed calls and on drain", async () => {
    const script = TestStream.create<string>()
      .addElements({ value: "x", timestamp: 100 }, { value: "y", timestamp: 1100 })
      .advanceProcessingTime(1000) // x1, y1
      .advanceProcessingTime(1000) // x2, y2
      .advanceWatermarkToInfinity(); // the input ends: x3, y3 are finished at once
    const main: Observed<string>[] = [];
    const odd: Observed<string>[] = [];
    const result = await runDirect((p) => {
      const prefixes = p.apply("Prefixes", Create.timestamped([{ value: "a-", timestamp: 0 }, { value: "b-", timestamp: 1000 }])).apply("WindowPrefixes", Window.into(new FixedWindows(1000)));
      const input = p.apply(script).apply("WindowInput", Window.into(new FixedWindows(1000)));
      const outs = input.apply("Ticks", ParDo.splittable(new TaggedTicks(), { sideInputs: { prefix: AsSingleton(prefixes) } }).withOutputs("odd"));
      collect(outs.main, main, "Main");
      collect(outs.odd, odd, "Odd");
    });
    assert.equal(await result.waitUntilFinish(), "DONE", result.error?.message);
    const show = (o: Observed<string>): string => `${o.value}@${o.timestamp} ${o.window}`;
    assert.deepEqual(main.map(show).sort(), ["a-x0@100 0:1000", "a-x2@102 0:1000", "b-y0@1100 1000:2000", "b-y2@1102 1000:2000"]);
    assert.deepEqual(odd.map(show).sort(), ["a-x1@101 0:1000", "a-x3@103 0:1000", "b-y1@1101 1000:2000", "b-y3@1103 1000:2000"]);
  });
});
