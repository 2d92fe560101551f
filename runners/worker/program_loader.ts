/**
 * Worker mode: rebuild the submitter's pipeline by re-running its program (ARCHITECTURE.md §4).
 * Loads the program's module, finds the program by name among `definedPrograms()`, builds it
 * with the same flags and options, and checks the graph fingerprint.
 *
 * Modules are loaded with `import()`, so CommonJS and ES module programs (including ones with a
 * top-level `await job.main()`) both load; whoever loads them in a worker enters worker mode
 * first, so their `main()` does nothing there.
 */
import { pathToFileURL } from "node:url";
import { PipelineError, PipelineReconstructionError } from "../../lib/model/errors";
import type { Pipeline } from "../../lib/model/pipeline";
import { definedPrograms } from "../../lib/model/program";
import type { WorkerProgram } from "../portable/pipeline_options";

/**
 * A real dynamic import: TypeScript compiles `import()` in CommonJS output to `require()`, which
 * cannot load an ES module graph with top-level await.
 */
const dynamicImport = new Function("specifier", "return import(specifier)") as (specifier: string) => Promise<unknown>;

/** Loads (or finds already loaded) the module at `modulePath`, CommonJS or ES module. */
export async function importProgramModule(modulePath: string): Promise<void> {
  await dynamicImport(pathToFileURL(modulePath).href);
}

/** Builds the pipeline a WorkerProgram describes; fails fast if the graph differs. */
export async function loadWorkerPipeline(wp: WorkerProgram): Promise<Pipeline> {
  let program = definedPrograms().get(wp.program.name);
  if (program === undefined) {
    try {
      await importProgramModule(wp.program.modulePath);
    } catch (e) {
      throw new PipelineError(
        `The worker could not load the pipeline module ${wp.program.modulePath}: ${(e as Error).message}. ` +
          `The worker needs the same program as the submitter (install it in the worker image, see setup/Dockerfile).`,
        { cause: e },
      );
    }
    program = definedPrograms().get(wp.program.name);
  }
  if (program === undefined) {
    throw new PipelineError(
      `Module ${wp.program.modulePath} defines no pipeline program named '${wp.program.name}' (defined: ${[...definedPrograms().keys()].join(", ") || "none"}).`,
    );
  }
  const pipeline = program.create(wp.program.flags as never, wp.options);
  checkFingerprint(pipeline, wp.fingerprint);
  return pipeline;
}

/** Fails with a reconstruction error when the rebuilt graph is not the one submitted. */
export function checkFingerprint(pipeline: Pipeline, expected: string): void {
  const actual = pipeline.fingerprint();
  if (actual === expected) return;
  throw new PipelineReconstructionError(
    "(graph)",
    `the submitter's graph has fingerprint ${expected} but the worker rebuilt fingerprint ${actual} ` +
      `(different program version in the worker image, or construction that is not deterministic)`,
  );
}
