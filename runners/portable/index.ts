/**
 * The PortableRunner (Flink, Spark, Prism through their Job API) and the pipeline's translation
 * to Beam's portable proto. Importing this module registers it under `--runner PortableRunner`.
 *
 * @module beamline/runners/portable
 */
import { registerRunner } from "../../lib/model/runner_registry";
import { PortableRunner } from "./portable_runner";

registerRunner("PortableRunner", () => new PortableRunner());

export { PortableRunner } from "./portable_runner";
export type { PortableRunnerOptions } from "./portable_runner";
export { translatePipeline } from "./translate";
export { pipelineToJson, writeDescription } from "./describe";
