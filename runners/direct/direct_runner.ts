/**
 * The DirectRunner: runs a pipeline in this process, batch, with the Beam model's strict checks.
 *
 * 1. Rebuilds the pipeline from its builder (as remote workers do) and fails if the graph
 *    differs; the rebuilt graph's DoFns are the ones executed.
 * 2. Runs every transform's `validate` hook, so missing inputs fail before any work.
 * 3. Plans fused stages and runs them in dependency order. With `--direct_num_workers N > 1`
 *    and a program built by `definePipeline`, this thread and up to N - 1 worker threads (each
 *    rebuilding the pipeline, started once a stage has enough work for them) run bundles in
 *    parallel; otherwise N slots in this thread overlap async work.
 * 4. Once every stage has succeeded, runs the sinks' output commits (renames into place, load
 *    jobs, acknowledgements; lib/model/commits.ts). On failure, runs the `cleanupAfterFailure`
 *    hooks instead (sinks remove temporary output), so a failed run leaves no output.
 */
import { beginCombineFnRun, endCombineFnRun } from "../../lib/model/combine_lifecycle";
import { randomId } from "../../lib/model/ids";
import { PipelineError } from "../../lib/model/errors";
import { MetricsContainer } from "../../lib/model/metrics";
import { MetricResults } from "../../lib/model/metric_results";
import type { Pipeline } from "../../lib/model/pipeline";
import type { PipelineResult, PipelineState } from "../../lib/model/result";
import type { PipelineRunner } from "../../lib/model/runner_registry";
import { Execution } from "./execution";
import { checkReconstruction } from "./reconstruction";
import { needsStreaming } from "../executor/units";
import { cleanupAfterFailure } from "./failure_cleanup";
import { RunCancelledError, RunMonitor } from "../monitor/run_monitor";

/** Options of the DirectRunner beyond the pipeline options. */
export interface DirectRunnerOptions {
  /** Check every element, not a sample (slower; for tests of the checks). */
  readonly checkEveryElement?: boolean;
  /** Skip the reconstruction check even when the pipeline has a builder. */
  readonly skipReconstructionCheck?: boolean;
}

class DirectResult implements PipelineResult {
  constructor(
    readonly state: PipelineState,
    readonly metrics: MetricResults,
    readonly outputs: readonly string[],
    readonly error?: Error,
  ) {}
  async waitUntilFinish(): Promise<PipelineState> {
    // A cancelled run ends in CANCELLED, as in Beam; only a failure rejects.
    if (this.state === "FAILED" && this.error !== undefined) throw this.error;
    return this.state;
  }
  async cancel(): Promise<void> {
    // A batch DirectRunner result is final by the time it is returned.
  }
}


export class DirectRunner implements PipelineRunner {
  constructor(private readonly runnerOptions: DirectRunnerOptions = {}) {}

  async run(pipeline: Pipeline): Promise<PipelineResult> {
    const containers = new Map<string, MetricsContainer>();
    const outputs: string[] = [];
    const runId = randomId();
    let executed = pipeline;
    try {
      if (!this.runnerOptions.skipReconstructionCheck) {
        const rebuilt = pipeline.rebuild();
        if (rebuilt !== undefined) {
          checkReconstruction(pipeline, rebuilt);
          executed = rebuilt;
        }
      }
      await validate(executed);
    } catch (e) {
      return new DirectResult("FAILED", new MetricResults(containers), [], asError(e));
    }
    if (needsStreaming(executed)) {
      // Loaded only for the pipelines that need it: batch runs start without the streaming driver.
      const { runStreaming } = await import("../streaming");
      return runStreaming(executed, { runId, checkEveryElement: this.runnerOptions.checkEveryElement === true }, containers, outputs);
    }
    const monitor = RunMonitor.start(executed, {
      runner: "DirectRunner",
      streaming: false,
      threads: 1 + Math.max(1, executed.options.directNumWorkers),
      countElements: true,
      metrics: () => new MetricResults(containers),
    });
    // The CombineFns this run sets up are torn down when it ends (combine_lifecycle.ts).
    beginCombineFnRun();
    try {
      await new Execution(executed, { checkEveryElement: this.runnerOptions.checkEveryElement === true, runId, ...(monitor !== undefined ? { monitor } : {}) }, containers, outputs).run();
      await monitor?.finish("DONE");
      return new DirectResult("DONE", new MetricResults(containers), outputs);
    } catch (e) {
      const error = asError(e);
      // A cancelled run cleans up like a failed one: nothing it wrote stays.
      await cleanupAfterFailure(executed, runId, error);
      const state = e instanceof RunCancelledError ? "CANCELLED" : "FAILED";
      await monitor?.finish(state, state === "FAILED" ? error : undefined);
      return new DirectResult(state, new MetricResults(containers), [], error);
    } finally {
      endCombineFnRun();
    }
  }
}

function asError(e: unknown): Error {
  return e instanceof Error ? e : new PipelineError(String(e));
}

/**
 * Runs the transforms' validate hooks together (each mostly waits on a file system or a service,
 * and none depends on another); a failure reported is the first in graph order.
 */
async function validate(pipeline: Pipeline): Promise<void> {
  const checks: Promise<void>[] = [];
  for (const node of pipeline.transforms()) {
    const t = node.transform;
    const hook = t?.validate?.bind(t);
    if (hook !== undefined) checks.push((async () => hook({ options: pipeline.options, transformName: node.fullName }))());
  }
  for (const outcome of await Promise.allSettled(checks)) if (outcome.status === "rejected") throw outcome.reason;
}


export { checkReconstruction };
