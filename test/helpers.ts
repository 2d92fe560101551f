/** Shared test helpers: run a pipeline built by a function on the DirectRunner. */
import "../runners/direct";
import { Pipeline, PipelineBuilder } from "../lib/model/pipeline";
import type { PipelineOptions } from "../lib/model/options";
import type { PipelineResult } from "../lib/model/result";
import { DirectRunner, DirectRunnerOptions } from "../runners/direct/direct_runner";

/** Builds with `build` (so the reconstruction check runs) and runs on the DirectRunner. */
export async function runDirect(build: PipelineBuilder, options: Partial<PipelineOptions> = {}, runnerOptions: DirectRunnerOptions = {}): Promise<PipelineResult> {
  const p = Pipeline.build(options, build);
  return new DirectRunner({ checkEveryElement: true, ...runnerOptions }).run(p);
}

/** Runs and fails the test with the pipeline's own error if the run failed. */
export async function runOk(build: PipelineBuilder, options: Partial<PipelineOptions> = {}): Promise<PipelineResult> {
  const result = await runDirect(build, options);
  await result.waitUntilFinish();
  return result;
}
