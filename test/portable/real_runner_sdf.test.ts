/**
 * A user splittable DoFn (ParDo.splittable) end to end on real Beam runners over LOOPBACK, when
 * their launchers are set (see real_runners.test.ts): the runner expands the splittable ParDo,
 * our worker runs its phases, and the runner reschedules each self-checkpoint's residual.
 *
 *   BEAMLINE_PRISM=/path/to/prism/run.sh
 *   BEAMLINE_BEAM_PYTHON_JOB_SERVER=/path/to/beampy/run_job_server.sh
 */
import { strict as assert } from "node:assert";
import * as path from "node:path";
import "../../runners/direct";
import { readShards } from "../helpers";
import { REAL_RUNNERS, realRunnerSession } from "./real_runner_launch";
import { BundleFinalizing, bundleFinalizingProgram, SDF_EXPECTED, SLOW_RANGE_SIZE, sdfProgram, slowRangeProgram, TICKER_EXPECTED, tickerProgram } from "./sdf_programs";
import { EstimatedTicks, estimatorProgram } from "./sdf_estimator_programs";
import { sdfSideInputProgram, sdfTaggedOutputProgram, WINDOWED_SIDE_EXPECTED } from "./sdf_side_programs";

for (const runner of REAL_RUNNERS) {
  describe(`On a real Beam runner: ${runner.name} (LOOPBACK): splittable DoFns`, function () {
    this.timeout(120_000);
    const { tmp, options, runRemote } = realRunnerSession(runner, "beamline-real-sdf-");

    it("ParDo.splittable (Beam's PairStringWithIndexToLength: split halves, checkpoints) outputs every index once, at each word's timestamp", async () => {
      const out = path.join(tmp, "sdf");
      await runRemote(sdfProgram.create({ output: out }, options("sdf")));
      assert.deepEqual(readShards(path.join(out, "pairs")), SDF_EXPECTED);
    });

    it("checkpoints with a resume delay and a watermark estimate: every tick lands on time in its own window", async () => {
      const out = path.join(tmp, "ticker");
      await runRemote(tickerProgram.create({ output: out, unbounded: false }, options("ticker")));
      assert.deepEqual(readShards(path.join(out, "ticks")), TICKER_EXPECTED);
    });

    it("bundle finalization: the runner finalizes a bundle whose fn registered a callback, and the fn then finishes (Beam's testBundleFinalizationOccurs…)", async () => {
      const out = path.join(tmp, "finalizing");
      await runRemote(bundleFinalizingProgram.create({ key: out, output: out }, options("finalizing")));
      assert.ok(BundleFinalizing.finalized.has(out));
      assert.deepEqual(readShards(path.join(out, "out")), ["foo"]);
    });

    it("a long-running element (which the runner may split while it runs) outputs every offset exactly once", async () => {
      const out = path.join(tmp, "slow-range");
      await runRemote(slowRangeProgram.create({ output: out }, options("slow-range")));
      const offsets = readShards(path.join(out, "offsets")).map(Number).sort((a, b) => a - b);
      assert.deepEqual(offsets, Array.from({ length: SLOW_RANGE_SIZE }, (_, i) => i));
    });

    it("side inputs: reads a windowed singleton in each element's window (Beam's testWindowedSideInputBounded)", async () => {
      const out = path.join(tmp, "side-input");
      await runRemote(sdfSideInputProgram.create({ output: out, unbounded: false }, options("side-input")));
      assert.deepEqual(readShards(path.join(out, "res")), [...WINDOWED_SIDE_EXPECTED].sort());
    });

    it("tagged outputs: the main and the additional output (Beam's testAdditionalOutputBounded)", async () => {
      const out = path.join(tmp, "tagged");
      await runRemote(sdfTaggedOutputProgram.create({ output: out, unbounded: false }, options("tagged")));
      assert.deepEqual(readShards(path.join(out, "main")), ["main:0", "main:1", "main:2"]);
      assert.deepEqual(readShards(path.join(out, "additional")), ["additional:0", "additional:1", "additional:2"]);
    });

    it("a MonotonicallyIncreasing watermark estimator: its state goes to the runner with each residual and comes back with it", async () => {
      const key = `real-monotonic-${runner.name}-${Date.now()}`;
      await runRemote(estimatorProgram.create({ kind: "monotonic", key }, options("estimator")));
      // The first call starts from Create's element timestamp; each later one from the greatest output timestamp before it (x0 at 3 s, x1 at 1 s).
      assert.deepEqual(EstimatedTicks.starts.get(key)?.slice(1), [3000, 3000]);
    });

    it("an unbounded-per-element SDF makes a streaming job, which ends when its restrictions do", async () => {
      const out = path.join(tmp, "ticker-unbounded");
      const p = tickerProgram.create({ output: out, unbounded: true }, options("ticker-unbounded"));
      assert.equal(p.transforms().find((n) => n.fullName === "Tick")!.mainOutput().isBounded, false);
      await runRemote(p);
      assert.deepEqual(readShards(path.join(out, "ticks")), TICKER_EXPECTED);
    });
  });
}
