/**
 * The DirectRunner, for running pipelines from code with runner settings. Importing this module
 * registers it under `--runner DirectRunner` (the default runner is loaded on demand anyway).
 *
 * @module beamline/runners/direct
 */
import { registerRunner } from "../../lib/model/runner_registry";
import { DirectRunner } from "./direct_runner";

registerRunner("DirectRunner", () => new DirectRunner());

export { DirectRunner, checkReconstruction } from "./direct_runner";
export type { DirectRunnerOptions } from "./direct_runner";
