/**
 * Pipeline options, parsed from the command line with Beam Python's flag names
 * (`--runner`, `--project`, `--temp_location`, ...; camelCase aliases accepted).
 *
 * Options are parsed once by the launcher and shipped to workers; construction code reads them,
 * never the environment or the clock.
 */
import * as os from "node:os";
import yargs from "yargs";

/** Options every pipeline understands. */
export interface PipelineOptions {
  /** DirectRunner (default), PortableRunner or DataflowRunner. */
  readonly runner: string;
  /** Name of the job on the runner. */
  readonly jobName: string;
  readonly project?: string;
  readonly region?: string;
  /** Location for temporary files (gs://... on Dataflow). */
  readonly tempLocation?: string;
  /** Location for staged artifacts (defaults to tempLocation). */
  readonly stagingLocation?: string;
  /** Run as a streaming job (unbounded sources, until cancelled). */
  readonly streaming: boolean;
  /** DirectRunner: how many bundles to process at once. */
  readonly directNumWorkers: number;
  /** DirectRunner: enforce the model checks (coder round trips, deterministic keys, no mutation). */
  readonly strictChecks: boolean;
  /** DirectRunner: memory budget of each GroupByKey before it spills to disk, in MB. */
  readonly directShuffleMemoryMb: number;
  /** Any other flags given (runner-specific ones such as --job_endpoint), by their snake_case name. */
  readonly extra: Readonly<Record<string, string | number | boolean>>;
}

/** A pipeline-specific flag. */
export type FlagSpec =
  | { readonly type: "string"; readonly describe: string; readonly default?: string; readonly required?: boolean; readonly alias?: string }
  | { readonly type: "number"; readonly describe: string; readonly default?: number; readonly required?: boolean; readonly alias?: string }
  | { readonly type: "boolean"; readonly describe: string; readonly default?: boolean; readonly required?: boolean; readonly alias?: string };

type FlagBase<S> = S extends { type: "string" } ? string : S extends { type: "number" } ? number : boolean;
type FlagValue<S> = S extends { default: unknown } | { required: true } | { type: "boolean" } ? FlagBase<S> : FlagBase<S> | undefined;

/** The parsed values of a set of flags, by flag name. */
export type FlagValues<F extends Record<string, FlagSpec>> = { -readonly [K in keyof F]: FlagValue<F[K]> };

const STANDARD_FLAGS = {
  runner: { type: "string", describe: "Runner: DirectRunner, PortableRunner or DataflowRunner", default: "DirectRunner" },
  job_name: { type: "string", describe: "Name of the job" },
  project: { type: "string", describe: "Google Cloud project id" },
  region: { type: "string", describe: "Google Cloud region (e.g. us-central1)" },
  temp_location: { type: "string", describe: "Location for temporary files (gs://bucket/tmp on Dataflow)" },
  staging_location: { type: "string", describe: "Location for staged artifacts (defaults to --temp_location)" },
  streaming: { type: "boolean", describe: "Run as a streaming job", default: false },
  direct_num_workers: { type: "number", describe: "DirectRunner: bundles processed at once", default: 1 },
  strict_checks: {
    type: "boolean",
    describe: "DirectRunner: check coder round trips, deterministic keys and that DoFns do not mutate inputs (--no_strict_checks to disable)",
    default: true,
  },
  direct_shuffle_memory_mb: { type: "number", describe: "DirectRunner: memory per GroupByKey before spilling to disk (MB)", default: 256 },
} as const satisfies Record<string, FlagSpec>;

/** Options with every default applied. */
export function defaultOptions(): PipelineOptions {
  return {
    runner: "DirectRunner",
    jobName: defaultJobName(),
    streaming: false,
    directNumWorkers: 1,
    strictChecks: true,
    directShuffleMemoryMb: 256,
    extra: {},
  };
}

function defaultJobName(): string {
  const user = (os.userInfo().username || "user").toLowerCase().replace(/[^a-z0-9-]/g, "-");
  const stamp = new Date().toISOString().replace(/[-:T]/g, "").slice(0, 14);
  return `beamline-${user}-${stamp}`;
}

function camel(name: string): string {
  return name.replace(/_([a-z])/g, (_m, c: string) => c.toUpperCase());
}

/** The result of parsing a command line. */
export interface ParsedArgs<F extends Record<string, FlagSpec>> {
  readonly options: PipelineOptions;
  readonly flags: FlagValues<F>;
}

/**
 * Parses `argv` into pipeline options and the pipeline's own flags. `--help` prints every flag
 * and exits. Unknown flags are kept in `options.extra` (runners read their own from there).
 */
export function parseArgs<F extends Record<string, FlagSpec>>(
  argv: readonly string[],
  flags: F,
  usage: { readonly scriptName: string; readonly description: string },
): ParsedArgs<F> {
  // Beam Python spells negated booleans --no_<flag>; yargs expects --no-<flag>.
  const booleans = new Set(
    [...Object.entries(flags), ...Object.entries(STANDARD_FLAGS)].filter(([, s]) => s.type === "boolean").map(([n]) => n),
  );
  const args = argv.map((a) => {
    const m = /^--no_(\w+)$/.exec(a);
    return m !== null && booleans.has(m[1]!) ? `--${m[1]}=false` : a;
  });
  const parser = yargs(args)
    .scriptName(usage.scriptName)
    .usage(`$0 [flags]\n\n${usage.description}`)
    .parserConfiguration({ "camel-case-expansion": false, "boolean-negation": true })
    .version(false)
    .fail((message: string | undefined, error: Error | undefined) => {
      throw error ?? new Error(`${message ?? "invalid flags"}. Run with --help to list the flags.`);
    })
    .help("help")
    .wrap(Math.min(110, process.stdout.columns || 100));
  const declare = (name: string, spec: FlagSpec, group: string): void => {
    const aliases = [camel(name), spec.alias].filter((a): a is string => a !== undefined && a !== name);
    parser.option(name, {
      type: spec.type,
      describe: spec.describe,
      default: spec.default,
      demandOption: spec.required === true ? `--${name} is required` : undefined,
      alias: aliases,
      group,
    });
  };
  for (const [name, spec] of Object.entries(flags)) declare(name, spec, "Pipeline flags:");
  for (const [name, spec] of Object.entries(STANDARD_FLAGS)) {
    if (!(name in flags)) declare(name, spec, "Pipeline options:");
  }
  const parsed = parser.parseSync() as Record<string, unknown>;

  const known = new Set<string>(["_", "$0", "help"]);
  const flagValues: Record<string, unknown> = {};
  for (const [name, spec] of Object.entries(flags)) {
    known.add(name).add(camel(name));
    if (spec.alias) known.add(spec.alias);
    flagValues[name] = parsed[name];
  }
  for (const name of Object.keys(STANDARD_FLAGS)) known.add(name).add(camel(name));
  const extra: Record<string, string | number | boolean> = {};
  for (const [k, v] of Object.entries(parsed)) {
    if (known.has(k) || k.includes("-")) continue;
    const key = k.replace(/[A-Z]/g, (c) => `_${c.toLowerCase()}`);
    if (typeof v === "string" || typeof v === "number" || typeof v === "boolean") extra[key] = v;
    // A repeated flag (Beam's append-style ones: --experiment a --experiment b) arrives as a list: keep it comma-joined.
    else if (Array.isArray(v) && v.every((x) => typeof x === "string" || typeof x === "number")) extra[key] = v.join(",");
  }
  const str = (k: string): string | undefined => (typeof parsed[k] === "string" ? (parsed[k] as string) : undefined);
  const workers = Number(parsed["direct_num_workers"]);
  if (!Number.isInteger(workers) || workers < 1) {
    throw new Error(`--direct_num_workers must be a positive integer, got ${String(parsed["direct_num_workers"])}`);
  }
  const options: PipelineOptions = {
    runner: str("runner") ?? "DirectRunner",
    jobName: str("job_name") ?? defaultJobName(),
    project: str("project"),
    region: str("region"),
    tempLocation: str("temp_location"),
    stagingLocation: str("staging_location") ?? str("temp_location"),
    streaming: parsed["streaming"] === true,
    directNumWorkers: workers,
    strictChecks: parsed["strict_checks"] !== false,
    directShuffleMemoryMb: Number(parsed["direct_shuffle_memory_mb"]),
    extra,
  };
  return { options, flags: flagValues as FlagValues<F> };
}
