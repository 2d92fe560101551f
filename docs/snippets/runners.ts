/** Snippets of docs/guide/10-runners.md. */
import { Pipeline } from "beamline";
import type { PipelineResult } from "beamline";
import { DirectRunner } from "beamline/runners/direct";
import { wordLengths } from "./pipelines";

export async function directFromCode(build: (p: Pipeline) => void): Promise<PipelineResult> {
  // [START direct]
  const p = Pipeline.create({ directNumWorkers: 1, strictChecks: true });
  build(p);
  const result = await new DirectRunner().run(p);   // the same as p.run() with runner "DirectRunner"
  await result.waitUntilFinish();
  // [END direct]
  return result;
}

export async function portableFromCode(jobEndpoint: string, input: string, output: string): Promise<PipelineResult> {
  // [START portable]
  const result = await wordLengths.run(
    { input, output, min_length: 1 },
    { runner: "PortableRunner", extra: { job_endpoint: jobEndpoint, environment_type: "LOOPBACK" } },
  );
  await result.waitUntilFinish();
  // [END portable]
  return result;
}
