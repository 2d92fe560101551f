/**
 * Runners by the names users pass to --runner. `lib/` never imports `runners/`: built-in runners
 * are loaded lazily by module path the first time they are asked for, and register themselves.
 */
import * as path from "node:path";
import type { Pipeline } from "./pipeline";
import type { PipelineResult } from "./result";
import { PipelineError } from "./errors";

/** Executes pipelines. */
export interface PipelineRunner {
  /** Starts running the pipeline; resolves with the result once the run has started (or ended, for in-process runners). */
  run(pipeline: Pipeline): Promise<PipelineResult>;
}

const factories = new Map<string, () => PipelineRunner>();

/** Module (relative to the package's dist/ root) that registers each built-in runner. */
const BUILT_IN: Readonly<Record<string, string>> = {
  DirectRunner: "runners/direct/index.js",
  PortableRunner: "runners/portable/index.js",
  DataflowRunner: "runners/dataflow/index.js",
};

/** Makes a runner available under `name`. */
export function registerRunner(name: string, factory: () => PipelineRunner): void {
  factories.set(name, factory);
}

/** The runner registered under `name`, loading a built-in one on first use. */
export function loadRunner(name: string): PipelineRunner {
  let factory = factories.get(name);
  if (factory === undefined && name in BUILT_IN) {
    const modulePath = path.resolve(__dirname, "..", "..", BUILT_IN[name]!);
    try {
      require(modulePath);
    } catch (e) {
      throw new PipelineError(`Runner '${name}' could not be loaded from ${modulePath}: ${(e as Error).message}`, { cause: e });
    }
    factory = factories.get(name);
  }
  if (factory === undefined) {
    const known = [...new Set([...Object.keys(BUILT_IN), ...factories.keys()])].join(", ");
    throw new PipelineError(`Unknown runner '${name}'. Pass --runner with one of: ${known}.`);
  }
  return factory();
}
