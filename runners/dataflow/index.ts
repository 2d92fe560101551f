/** Registers the DataflowRunner under --runner DataflowRunner. */
import { registerRunner } from "../../lib/model/runner_registry";
import { DataflowRunner } from "./dataflow_runner";

registerRunner("DataflowRunner", () => new DataflowRunner());

export { DataflowResult, DataflowRunner } from "./dataflow_runner";
export type { DataflowRunnerOptions } from "./dataflow_runner";
export { dataflowOptions } from "./options";
