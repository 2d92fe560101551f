/** Shared test helpers: run a pipeline built by a function on the DirectRunner; read sharded output. */
import * as fs from "node:fs";
import * as path from "node:path";
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

/** Every line of the shards `<prefix>*` (none if the folder does not exist), sorted. */
export function readShards(prefix: string): string[] {
  const dir = path.dirname(prefix);
  if (!fs.existsSync(dir)) return [];
  return fs
    .readdirSync(dir)
    .filter((f) => f.startsWith(path.basename(prefix)))
    .flatMap((f) => fs.readFileSync(path.join(dir, f), "utf8").split("\n"))
    .filter((l) => l !== "")
    .sort();
}
