/** Registers the PortableRunner under --runner PortableRunner. */
import { registerRunner } from "../../lib/model/runner_registry";
import { PortableRunner } from "./portable_runner";

registerRunner("PortableRunner", () => new PortableRunner());

export { PortableRunner } from "./portable_runner";
export type { PortableRunnerOptions } from "./portable_runner";
export { translatePipeline } from "./translate";
export { pipelineToJson, writeDescription } from "./describe";
