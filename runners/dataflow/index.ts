/**
 * The DataflowRunner (Google Cloud Dataflow, Runner v2). Importing this module registers it under
 * `--runner DataflowRunner`.
 *
 * @module beamline/runners/dataflow
 */
import { registerRunner } from "../../lib/model/runner_registry";
import { DataflowRunner } from "./dataflow_runner";

registerRunner("DataflowRunner", () => new DataflowRunner());

export { DataflowResult, DataflowRunner } from "./dataflow_runner";
export type { DataflowRunnerOptions } from "./dataflow_runner";
export { dataflowOptions } from "./options";
