/**
 * User splittable DoFns (ParDo.splittable) on the DirectRunner, bounded input: Beam Java's
 * SplittableDoFnTest cases (pairWithIndex basic and windowed, outputs after checkpoints,
 * lifecycle) and the runner's checkDone after process returns stop.
 */
import { strict as assert } from "node:assert";
import { Count, Create, GroupByKey, Pipeline, Sessions, TestStream, OffsetRange, OffsetRangeCoder, OffsetRangeTracker, ParDo, ProcessContinuation, SlidingWindows, SplittableDoFn, Window, kv } from "../../lib";
import type { KV, ProcessContext, RestrictionTracker, SplittableProcessContext } from "../../lib";
import { IntervalWindow } from "../../lib/model/window";
import { assertThat, containsInAnyOrder, equalTo } from "../../lib/testing/passert";
import { runDirect } from "../helpers";
import { BundleFinalizing, PairStringWithIndexToLength, TICKER_EXPECTED, tickerProgram } from "../portable/sdf_programs";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { readShards } from "../helpers";

/** Beam's SDFWithMultipleOutputsPerBlock: claims block starts, outputs each block's indices, checkpoints every `claimsPerCall` claims. */
class MultipleOutputsPerBlock extends SplittableDoFn<string, number, OffsetRange, number> {
  static readonly MAX_INDEX = 98765;
  readonly restrictionCoder = OffsetRangeCoder.INSTANCE;
  constructor(private readonly claimsPerCall: number) {
    super();
  }
  initialRestriction(): OffsetRange {
    return new OffsetRange(0, MultipleOutputsPerBlock.MAX_INDEX);
  }
  newTracker(range: OffsetRange): RestrictionTracker<OffsetRange, number> {
    return new OffsetRangeTracker(range);
  }
  process(_: string, tracker: RestrictionTracker<OffsetRange, number>, ctx: SplittableProcessContext<number>): ProcessContinuation {
    const starts = [-1, 0, 12, 123, 1234, 12345, 34567, MultipleOutputsPerBlock.MAX_INDEX];
    const from = tracker.currentRestriction().from;
    let i = 1;
    while (!(from > starts[i - 1]! && from <= starts[i]!)) i++;
    for (let n = 1; tracker.tryClaim(starts[i]!); i++, n++) {
      for (let index = starts[i]!; index < starts[i + 1]!; index++) ctx.output(index);
      if (n === this.claimsPerCall) return ProcessContinuation.resume();
    }
    return ProcessContinuation.stop();
  }
}

const expectedPairs = (words: readonly string[]): KV<string, number>[] => words.flatMap((w) => [...w].map((_, i) => kv(w, i)));

describe("DirectRunner: splittable DoFns (ParDo.splittable)", function () {
  this.timeout(60_000);

  it("pairWithIndex, bounded: every index of every element once, across splits and checkpoints (Beam's testPairWithIndexBasicBounded)", async () => {
    const words = ["a", "bb", "ccccc"];
    const result = await runDirect((p) => {
      const res = p.apply(Create.of(...words)).apply(ParDo.splittable(new PairStringWithIndexToLength()));
      assertThat(res, containsInAnyOrder(expectedPairs(words)));
    });
    assert.equal(result.state, "DONE", result.error?.message);
  });

  it("keeps each element's windows and timestamp (Beam's testPairWithIndexWindowedTimestamped)", async () => {
    const now = 1_700_000_000_000;
    const seen: string[] = [];
    const result = await runDirect((p) => {
      const input = p.apply(Create.timestamped([{ value: "a", timestamp: now }, { value: "bb", timestamp: now + 1000 }, { value: "ccccc", timestamp: now + 2000 }]));
      const res = input.apply(Window.into(new SlidingWindows(5000, 1000))).apply(ParDo.splittable(new PairStringWithIndexToLength()));
      res.apply(
        "Record",
        ParDo.of((x: KV<string, number>, ctx: ProcessContext<never>) => void seen.push(`${x.key}${x.value}@${ctx.timestamp - now} ${(ctx.window as IntervalWindow).start - now}`)),
      );
    });
    assert.equal(result.state, "DONE", result.error?.message);
    const expected: string[] = [];
    for (const [w, t] of [["a", 0], ["bb", 1000], ["ccccc", 2000]] as const) {
      for (let i = 0; i < w.length; i++) for (let start = t - 4000; start <= t; start += 1000) expected.push(`${w}${i}@${t} ${start}`);
    }
    assert.deepEqual(seen.sort(), expected.sort());
  });

  it("outputs everything after checkpoints (Beam's testOutputAfterCheckpoint)", async () => {
    const result = await runDirect((p) => {
      const counted = p.apply(Create.of("foo")).apply(ParDo.splittable(new MultipleOutputsPerBlock(3))).apply(Count.globally());
      assertThat(counted, equalTo([MultipleOutputsPerBlock.MAX_INDEX]));
    });
    assert.equal(result.state, "DONE", result.error?.message);
  });

  it("fails a process that returns stop with work left unclaimed, naming the transform (Beam's checkDone)", async () => {
    class StopsEarly extends PairStringWithIndexToLength {
      override splitRestriction(_: string, range: OffsetRange): OffsetRange[] {
        return [range];
      }
      override process(element: string, tracker: RestrictionTracker<OffsetRange, number>, ctx: SplittableProcessContext<KV<string, number>>): ProcessContinuation {
        if (tracker.tryClaim(tracker.currentRestriction().from)) ctx.output(kv(element, 0));
        return ProcessContinuation.stop();
      }
    }
    const result = await runDirect((p) => void p.apply(Create.of("abc")).apply("Early", ParDo.splittable(new StopsEarly())));
    assert.equal(result.state, "FAILED");
    assert.match(result.error!.message, /Early/);
    assert.match(result.error!.message, /Last attempted offset was 0 in range \[0, 3\), claiming work in \[1, 3\) was not attempted/);
  });

  it("calls the lifecycle methods in order: setup, then bundles (startBundle, process, finishBundle), then teardown (Beam's testLifecycleMethods)", async () => {
    const calls: string[] = [];
    class Lifecycle extends PairStringWithIndexToLength {
      private state = "new";
      override setup(): void {
        assert.equal(this.state, "new");
        this.state = "set up";
        calls.push("setup");
      }
      startBundle(): void {
        assert.ok(this.state === "set up" || this.state === "finished", `startBundle after ${this.state}`);
        this.state = "started";
      }
      override process(element: string, tracker: RestrictionTracker<OffsetRange, number>, ctx: SplittableProcessContext<KV<string, number>>): ProcessContinuation {
        assert.equal(this.state, "started");
        return super.process(element, tracker, ctx);
      }
      finishBundle(): void {
        assert.equal(this.state, "started");
        this.state = "finished";
      }
      override teardown(): void {
        calls.push("teardown");
      }
    }
    const result = await runDirect((p) => assertThat(p.apply(Create.of("a", "bb")).apply(ParDo.splittable(new Lifecycle())), containsInAnyOrder(expectedPairs(["a", "bb"]))));
    assert.equal(result.state, "DONE", result.error?.message);
    assert.deepEqual(calls, ["setup", "teardown"]);
  });

  for (const unbounded of [false, true]) {
    // Bounded per element: what is checkpointed is finished at the end of input. Unbounded per
    // element: the residuals resume on the wall clock after their delays, and the run ends after.
    it(`a run without TestStream finishes checkpointed restrictions, each output on time in its window (the real-runner ticker program${unbounded ? ", unbounded per element: on the wall clock" : ", at the end of input"})`, async () => {
      const out = fs.mkdtempSync(path.join(os.tmpdir(), "beamline-sdf-ticker-"));
      try {
        assert.equal(await (await tickerProgram.run({ output: out, unbounded }, { runner: "DirectRunner" })).waitUntilFinish(), "DONE");
        assert.deepEqual(readShards(path.join(out, "ticks")), TICKER_EXPECTED);
      } finally {
        fs.rmSync(out, { recursive: true, force: true });
      }
    });
  }

  it("output boundedness: the input's, unbounded for an unbounded-per-element fn (Beam's testBoundedness)", () => {
    class Unbounded extends PairStringWithIndexToLength {
      override readonly unboundedPerElement = true;
    }
    const p = Pipeline.create();
    const bounded = p.apply("Bounded", Create.of("a"));
    const unbounded = p.apply(TestStream.create<string>().addElements({ value: "a", timestamp: 0 }).advanceWatermarkToInfinity());
    assert.equal(bounded.apply("B/B", ParDo.splittable(new PairStringWithIndexToLength())).isBounded, true);
    assert.equal(bounded.apply("B/U", ParDo.splittable(new Unbounded())).isBounded, false);
    assert.equal(unbounded.apply("U/B", ParDo.splittable(new PairStringWithIndexToLength())).isBounded, false);
    assert.equal(unbounded.apply("U/U", ParDo.splittable(new Unbounded())).isBounded, false);
  });

  it("runs bundle finalization callbacks once the bundle's outputs are handed on (Beam's testBundleFinalizationOccursOnBoundedSplittableDoFn)", async () => {
    const result = await runDirect((p) => assertThat(p.apply(Create.of("foo")).apply(ParDo.splittable(new BundleFinalizing("direct-finalizing"))), equalTo(["foo"])));
    assert.equal(result.state, "DONE", result.error?.message);
    assert.ok(BundleFinalizing.finalized.has("direct-finalizing"));
  });

  it("refuses a finalization callback from a fn that does not request finalization, naming the transform", async () => {
    class Undeclared extends BundleFinalizing {
      override readonly requestsFinalization = false;
    }
    const result = await runDirect((p) => void p.apply(Create.of("foo")).apply("Undeclared", ParDo.splittable(new Undeclared("direct-undeclared"))));
    assert.equal(result.state, "FAILED");
    assert.match(result.error!.message, /'Undeclared' registered a bundle finalization callback.*requestsFinalization = true/);
  });

  it("runs on session-windowed input (windows merge only at a GroupByKey after it)", async () => {
    const result = await runDirect((p) => {
      const sessions = p.apply(Create.timestamped([{ value: "ab", timestamp: 1000 }, { value: "c", timestamp: 1500 }, { value: "d", timestamp: 9000 }])).apply(Window.into(new Sessions(1000)));
      const grouped = sessions
        .apply(ParDo.splittable(new PairStringWithIndexToLength()))
        .map("Key", (x: KV<string, number>) => kv("k", `${x.key}${x.value}`))
        .apply(GroupByKey.create())
        .map("Sort", (g: KV<string, Iterable<string>>) => [...g.value].sort().join(","));
      assertThat(grouped, containsInAnyOrder(["ab0,ab1,c0", "d0"]));
    });
    assert.equal(result.state, "DONE", result.error?.message);
  });
});
