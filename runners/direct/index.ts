/** Registers the DirectRunner under --runner DirectRunner. */
import { registerRunner } from "../../lib/model/runner_registry";
import { DirectRunner } from "./direct_runner";

registerRunner("DirectRunner", () => new DirectRunner());

export { DirectRunner, checkReconstruction } from "./direct_runner";
export type { DirectRunnerOptions } from "./direct_runner";
