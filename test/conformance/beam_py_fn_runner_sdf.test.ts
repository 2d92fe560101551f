/**
 * Beam Python's fn_runner_test.py (FnApiRunnerTest) splittable DoFn cases: ExpandStrings (each
 * string's characters, its range split in halves up front), a process that stops before its
 * restriction is done (checkDone fails the run), the manual watermark estimator set per claim
 * with a checkpoint after every odd offset (given by the fn and built by newWatermarkEstimator),
 * SDF-initiated checkpoints counted by a metric, a truncateRestriction that only a drain calls,
 * bundle finalization asked for before a checkpoint and then seen, and a finalization callback
 * that throws. On the DirectRunner in batch, in streaming and with --direct_num_workers 2; Prism
 * runs a selection (real_runner_fn_runner.test.ts), test/worker/splittable_*.test.ts the harness.
 */
import { strict as assert } from "node:assert";
import { Create, OffsetRange, OffsetRangeCoder, OffsetRangeTracker, ParDo, ProcessContinuation, SplittableDoFn } from "../../lib";
import type { RestrictionTracker, SplittableProcessContext } from "../../lib";
import { CheckpointingStrings, ExpandingStringsDoFn, ExpandStrings, FinalizableSdf, TruncatingSdf } from "./fn_runner_dofns";
import { runDirect } from "../helpers";
import { labelledOutputs } from "./beam_helpers";
import { DIRECT_ONLY, jsonSorted, outputsOn, type Where } from "./fn_runner_helpers";

const DATA = ["abc", "defghijklmno", "pqrstuv", "wxyz"];
const CHARS = jsonSorted([...DATA.join("")]);

/** test_sdf_with_check_done_failed: returns after the first claim, leaving the rest unclaimed. */
class StopsEarly extends ExpandStrings {
  process(element: string, tracker: RestrictionTracker<OffsetRange, number>, ctx: SplittableProcessContext<string>): ProcessContinuation {
    const cur = tracker.currentRestriction().from;
    if (tracker.tryClaim(cur)) ctx.output(element[cur]!);
    return ProcessContinuation.stop();
  }
}

/** test_callbacks_with_exception: a finalization callback that throws does not fail the run. */
class ThrowingFinalizer extends SplittableDoFn<string, string, OffsetRange, number> {
  readonly restrictionCoder = OffsetRangeCoder.INSTANCE;
  override readonly requestsFinalization = true;
  initialRestriction(): OffsetRange {
    return new OffsetRange(0, 1);
  }
  newTracker(range: OffsetRange): RestrictionTracker<OffsetRange, number> {
    return new OffsetRangeTracker(range);
  }
  process(element: string, tracker: RestrictionTracker<OffsetRange, number>, ctx: SplittableProcessContext<string>): ProcessContinuation {
    if (tracker.tryClaim(0)) {
      ctx.afterBundleCommit(() => {
        throw new Error("raise exception when calling callback");
      });
      ctx.output(element);
    }
    return ProcessContinuation.stop();
  }
}

function cases(where: Where): void {
  const run = (build: Parameters<typeof outputsOn>[1]) => outputsOn(where, build);

  it("test_sdf, test_sdf_with_dofn_as_restriction_provider: each string's characters", async () => {
    const r = await run((p, out) => out("Chars", p.apply("Create", Create.from(DATA)).apply("Expand", ParDo.splittable(new ExpandingStringsDoFn()))));
    assert.deepEqual(r.Chars, CHARS);
  });

  for (const ownEstimator of [false, true]) {
    it(`${ownEstimator ? "test_sdf_with_dofn_as_watermark_estimator" : "test_sdf_with_watermark_tracking, test_sdf_with_sdf_initiated_checkpointing"}: checkpoints after odd offsets, every character once`, async () => {
      const r = await run((p, out) => out("Chars", p.apply("Create", Create.from(DATA)).apply("Expand", ParDo.splittable(new CheckpointingStrings(ownEstimator)))));
      assert.deepEqual(r.Chars, CHARS);
    });
  }

  it("test_sdf_with_truncate, not draining: truncateRestriction is for drains only, so a run that checkpoints outputs the whole range", async () => {
    const r = await run((p, out) => {
      out("NoCheckpoint", p.apply("Create", Create.of(10)).apply("Sdf", ParDo.splittable(new TruncatingSdf(0))));
      out("Checkpointing", p.apply("Create2", Create.of(10)).apply("Sdf2", ParDo.splittable(new TruncatingSdf(3))));
    });
    const range10 = jsonSorted(Array.from({ length: 10 }, (_, i) => i));
    assert.deepEqual(r, { NoCheckpoint: range10, Checkpointing: range10 });
  });

  it("test_callbacks_with_exception: a finalization callback that throws leaves the outputs and the run alone", async () => {
    const r = await run((p, out) => out("Out", p.apply("Create", Create.of("1", "2")).apply("Finalize", ParDo.splittable(new ThrowingFinalizer()))));
    assert.deepEqual(r.Out, jsonSorted(["1", "2"]));
  });
}

for (const where of DIRECT_ONLY) {
  describe(`Beam Python fn_runner_test.py (FnApiRunnerTest) splittable DoFns: ${where}`, function () {
    this.timeout(60_000);
    cases(where);
  });
}

describe("Beam Python fn_runner_test.py (FnApiRunnerTest) splittable DoFns: metrics, failures, finalization", () => {
  it("test_sdf_with_sdf_initiated_checkpointing: my_counter counts every claimed offset once", async () => {
    const result = await runDirect((p) => p.apply(Create.from(DATA)).apply("Expand", ParDo.splittable(new CheckpointingStrings(false))));
    assert.equal(await result.waitUntilFinish(), "DONE");
    assert.equal(result.metrics.counterTotal("ns", "my_counter"), DATA.join("").length);
  });

  it("test_sdf_with_check_done_failed: a process that leaves its restriction unfinished fails the run, naming the step", async () => {
    let error: Error | undefined;
    try {
      await (await runDirect((p) => p.apply(Create.from(DATA)).apply("StopsEarly", ParDo.splittable(new StopsEarly())))).waitUntilFinish();
    } catch (e) {
      error = e as Error;
    }
    assert.ok(error !== undefined, "the run succeeded");
    assert.match(error.message, /StopsEarly/);
  });

  it("test_register_finalizations: the finalization asked for before a checkpoint runs, and the resumed restriction sees it", async () => {
    FinalizableSdf.finalized = false;
    const r = await labelledOutputs((p, out) => out("Out", p.apply("Create", Create.of(100)).apply("Finalizable", ParDo.splittable(new FinalizableSdf()))));
    assert.deepEqual(r.Out, ["100"]);
    assert.equal(FinalizableSdf.finalized, true);
  });
});
