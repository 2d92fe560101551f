/**
 * Worker mode: rebuild the submitter's pipeline by re-running its program (ARCHITECTURE.md §4).
 * Loads the program's module, finds the program by name among `definedPrograms()`, builds it
 * with the same flags and options, and checks the graph fingerprint.
 *
 * ES modules (including ones with a top-level `await job.main()`) are loaded with `import()`,
 * CommonJS modules with `require()`; whoever loads them in a worker enters worker mode first, so
 * their `main()` does nothing there.
 */
import * as fs from "node:fs";
import * as path from "node:path";
import { pathToFileURL } from "node:url";
import { PipelineError, PipelineReconstructionError } from "../../lib/model/errors";
import type { Pipeline } from "../../lib/model/pipeline";
import type { FlagSpec } from "../../lib/model/options";
import { definedPrograms, type PipelineProgram } from "../../lib/model/program";
import type { WorkerProgram } from "../portable/pipeline_options";

/**
 * A real dynamic import: TypeScript compiles `import()` in CommonJS output to `require()`, which
 * cannot load an ES module graph with top-level await.
 */
const dynamicImport = new Function("specifier", "return import(specifier)") as (specifier: string) => Promise<unknown>;

/** Loads (or finds already loaded) the module at `modulePath`, CommonJS or ES module. */
export async function importProgramModule(modulePath: string): Promise<void> {
  // import() would load a CommonJS module the same way, after starting Node's ES module loader:
  // 15-20 ms more of a worker thread's start-up.
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  if (loadsAsCommonJs(modulePath)) require(modulePath);
  else await dynamicImport(pathToFileURL(modulePath).href);
}

/**
 * Whether Node.js loads `file` as CommonJS: a .cjs file, or a .js file whose nearest package.json
 * does not say `"type": "module"`. Anything else (.mjs, or an extension a loader such as tsx
 * handles) goes through import(), which also reports an unreadable package.json.
 */
export function loadsAsCommonJs(file: string): boolean {
  if (file.endsWith(".cjs")) return true;
  if (!file.endsWith(".js")) return false;
  for (let dir = path.dirname(file); path.basename(dir) !== "node_modules"; dir = path.dirname(dir)) {
    let text: string | undefined;
    try {
      text = fs.readFileSync(path.join(dir, "package.json"), "utf8");
    } catch {
      // No package.json here: look further up.
    }
    if (text !== undefined) {
      try {
        return (JSON.parse(text) as { type?: unknown }).type !== "module";
      } catch {
        return false;
      }
    }
    if (path.dirname(dir) === dir) break;
  }
  return true;
}

/**
 * The pipeline modules baked into a worker image, fixed when the container or worker pool starts
 * (`BEAMLINE_PROGRAM` / `--program`): module files, or folders whose `.js`/`.mjs`/`.cjs` files
 * are the modules. A worker loads only these, whatever module path the job's options name (that
 * path only says which of them to try first): the options come from whoever starts the worker
 * (for a worker pool, anyone who can reach it), and must not choose code to run.
 */
export class BakedPrograms {
  private constructor(
    readonly spec: string,
    readonly modules: readonly string[],
  ) {}

  /** Parses a comma-separated list of module files and folders; fails if one does not exist. */
  static from(spec: string, cwd = process.cwd()): BakedPrograms {
    const modules: string[] = [];
    for (const part of spec.split(",").map((p) => p.trim()).filter((p) => p !== "")) {
      const abs = path.resolve(cwd, part);
      let stat: fs.Stats;
      try {
        stat = fs.statSync(abs);
      } catch {
        throw new PipelineError(`The worker's program ${abs} (BEAMLINE_PROGRAM / --program) does not exist: build the image with your pipeline program at that path`);
      }
      if (!stat.isDirectory()) modules.push(abs);
      else for (const f of fs.readdirSync(abs).sort()) if (/\.(c|m)?js$/.test(f)) modules.push(path.join(abs, f));
    }
    if (modules.length === 0) throw new PipelineError(`The worker's program setting '${spec}' (BEAMLINE_PROGRAM / --program) names no module`);
    return new BakedPrograms(spec, modules);
  }

  /** The program `name`, importing the modules (the hinted one first) until one defines it. */
  async find(name: string, hint: string): Promise<PipelineProgram<Record<string, FlagSpec>> | undefined> {
    const order = [...this.modules].sort((a, b) => Number(b === hint) - Number(a === hint));
    for (const m of order) {
      const found = definedPrograms().get(name);
      if (found !== undefined) return found;
      await importModule(m);
    }
    return definedPrograms().get(name);
  }
}

async function importModule(modulePath: string): Promise<void> {
  try {
    await importProgramModule(modulePath);
  } catch (e) {
    throw new PipelineError(
      `The worker could not load the pipeline module ${modulePath}: ${(e as Error).message}. ` +
        `The worker needs the same program as the submitter (install it in the worker image, see setup/Dockerfile).`,
      { cause: e },
    );
  }
}

/**
 * Builds the pipeline a WorkerProgram describes; fails fast if the graph differs. With `baked`,
 * the program comes from the image's modules only; without, from the module path in the options
 * (the submitting process's own workers, and containers started by a runner that set no program).
 */
export async function loadWorkerPipeline(wp: WorkerProgram, baked?: BakedPrograms): Promise<Pipeline> {
  let program = definedPrograms().get(wp.program.name);
  if (program === undefined && baked !== undefined) {
    program = await baked.find(wp.program.name, wp.program.modulePath);
    if (program === undefined) {
      throw new PipelineError(
        `The worker's programs (${baked.spec}) define no pipeline program named '${wp.program.name}' (defined: ${[...definedPrograms().keys()].join(", ") || "none"}). ` +
          `Build the worker image with the program you submit (see "The worker image" in the README).`,
      );
    }
  }
  if (program === undefined) {
    await importModule(wp.program.modulePath);
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
