/**
 * The flags each runner reads from `PipelineOptions.extra`, so the command line parser knows them
 * (an unknown flag is an error, `--help` lists them by runner) without `lib/` importing `runners/`.
 *
 * A built-in runner declares its flags in a module with no imports (`runners/<name>/flags.ts`,
 * exporting `flags`), which is loaded by path the first time flags are asked for, the way
 * runner_registry.ts loads runners. Other runners declare theirs with `registerRunnerFlags`.
 */
import * as path from "node:path";
import { PipelineError } from "./errors";

/**
 * One runner flag, by its snake_case name. Values reach the runner as given (strings, or true /
 * false for booleans); the runner validates them and reports every problem at once.
 */
export interface RunnerFlagSpec {
  /** The flag's value type. */
  readonly type: "string" | "boolean";
  /** One line for `--help`. */
  readonly describe: string;
  /** May be given several times (`--experiment a --experiment b`); the values arrive comma-joined. */
  readonly repeatable?: boolean;
}

/** A runner's flags by snake_case name. */
export type RunnerFlags = Readonly<Record<string, RunnerFlagSpec>>;

/** Modules (relative to the package's dist/ root) that declare the flags of each built-in runner. */
const BUILT_IN: Readonly<Record<string, string>> = {
  PortableRunner: "runners/portable/flags.js",
  DataflowRunner: "runners/dataflow/flags.js",
};

const registered = new Map<string, RunnerFlags>();

/** Declares the flags a runner reads (for runners registered with `registerRunner`). */
export function registerRunnerFlags(runner: string, flags: RunnerFlags): void {
  registered.set(runner, flags);
}

function loadBuiltIn(runner: string): RunnerFlags {
  const modulePath = path.resolve(__dirname, "..", "..", BUILT_IN[runner]!);
  try {
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const mod = require(modulePath) as { flags?: RunnerFlags };
    if (mod.flags === undefined) throw new Error("it exports no `flags`");
    return mod.flags;
  } catch (e) {
    throw new PipelineError(`The flags of runner '${runner}' could not be loaded from ${modulePath}: ${(e as Error).message}`, { cause: e });
  }
}

/** Every runner's flags, by runner name (built-in runners first). */
export function allRunnerFlags(): ReadonlyMap<string, RunnerFlags> {
  for (const runner of Object.keys(BUILT_IN)) if (!registered.has(runner)) registered.set(runner, loadBuiltIn(runner));
  return registered;
}
