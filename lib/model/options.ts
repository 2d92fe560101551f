/**
 * Pipeline options, parsed from the command line with Beam Python's flag names
 * (`--runner`, `--project`, `--temp_location`, ...; camelCase aliases accepted).
 *
 * Options are parsed once by the launcher and shipped to workers; construction code reads them,
 * never the environment or the clock.
 */
import * as os from "node:os";
import type { Argv } from "yargs";
import type yargsParserType from "yargs-parser";
import { ValidationError } from "./errors";
import { allRunnerFlags, type RunnerFlagSpec } from "./runner_flags";

/** Options every pipeline understands. */
export interface PipelineOptions {
  /** DirectRunner (default), PortableRunner or DataflowRunner. */
  readonly runner: string;
  /** Name of the job on the runner. */
  readonly jobName: string;
  /** Google Cloud project (Dataflow, and the default of the Google Cloud IOs). */
  readonly project?: string;
  /** Google Cloud region of a Dataflow job (e.g. us-central1). */
  readonly region?: string;
  /** Location for temporary files (gs://... on Dataflow). */
  readonly tempLocation?: string;
  /** Location for staged artifacts (defaults to tempLocation). */
  readonly stagingLocation?: string;
  /** Run as a streaming job (unbounded sources, until cancelled). */
  readonly streaming: boolean;
  /**
   * Let a GroupByKey use a trigger that may finish and so drop the window's later data, or the
   * default trigger on unbounded input in the global window, which never fires before the input
   * ends (Beam Python's --allow_unsafe_triggers); both are refused when the pipeline is built
   * otherwise.
   */
  readonly allowUnsafeTriggers: boolean;
  /**
   * Let a GroupByKey group by a key coder that does not encode deterministically (Beam Python's
   * --allow_non_deterministic_key_coders, kept there for backwards compatibility): unsafe, as
   * equal keys that encode differently are grouped apart; refused when the pipeline is built otherwise.
   */
  readonly allowNonDeterministicKeyCoders: boolean;
  /** DirectRunner: how many bundles to process at once. */
  readonly directNumWorkers: number;
  /** DirectRunner: enforce the model checks (coder round trips, deterministic keys, no mutation). */
  readonly strictChecks: boolean;
  /** DirectRunner: memory budget of each GroupByKey before it spills to disk, in MB. */
  readonly directShuffleMemoryMb: number;
  /**
   * DirectRunner with directNumWorkers N > 1: "when_worthwhile" (default) runs bundles in the main
   * thread too and starts N - 1 worker threads once a stage has more work left than they take to
   * start; "always" runs every bundle in N worker threads, so every element crosses threads
   * encoded with its coder (as on a cluster).
   */
  readonly directWorkerThreads: "when_worthwhile" | "always";
  /**
   * DirectRunner: how many times a failed bundle is retried before the run fails (0, the default,
   * as Beam Java's DirectRunner: the first failure fails the run). A retry runs on fresh DoFn
   * instances when the pipeline can be rebuilt (definePipeline, Pipeline.build).
   */
  readonly directBundleRetries: number;
  /**
   * DirectRunner, streaming: where the driver keeps its checkpoints (state, timers, watermarks,
   * source positions); a run restarted with the same directory resumes from the last one.
   * Undefined: no checkpoints (state lives in memory only).
   */
  readonly checkpointDir?: string;
  /** DirectRunner, streaming: how often a checkpoint is taken, in milliseconds (0: after every bundle). */
  readonly checkpointIntervalMs: number;
  /** Any other flags given (runner-specific ones such as --job_endpoint), by their snake_case name. */
  readonly extra: Readonly<Record<string, string | number | boolean>>;
}

/**
 * A pipeline-specific flag: `{ type: "string", required: true, describe: "Output prefix" }`. Its
 * value in `build` is typed: a string, number or boolean, `| undefined` unless it has a default
 * or is required (booleans are false when absent).
 */
export type FlagSpec =
  | {
      /** A string flag. */
      readonly type: "string";
      /** One line for `--help`. */
      readonly describe: string;
      /** The value when the flag is not given. */
      readonly default?: string;
      /** Refuse to run without it. */
      readonly required?: boolean;
      /** Another name for the flag. */
      readonly alias?: string;
    }
  | {
      /** A number flag. */
      readonly type: "number";
      /** One line for `--help`. */
      readonly describe: string;
      /** The value when the flag is not given. */
      readonly default?: number;
      /** Refuse to run without it. */
      readonly required?: boolean;
      /** Another name for the flag. */
      readonly alias?: string;
    }
  | {
      /** A boolean flag (`--flag`, `--no_flag`). */
      readonly type: "boolean";
      /** One line for `--help`. */
      readonly describe: string;
      /** The value when the flag is not given. */
      readonly default?: boolean;
      /** Refuse to run without it. */
      readonly required?: boolean;
      /** Another name for the flag. */
      readonly alias?: string;
    };

type FlagBase<S> = S extends { type: "string" } ? string : S extends { type: "number" } ? number : boolean;
type FlagValue<S> = S extends { default: unknown } | { required: true } | { type: "boolean" } ? FlagBase<S> : FlagBase<S> | undefined;

/** The parsed values of a set of flags, by flag name. */
export type FlagValues<F extends Record<string, FlagSpec>> = { -readonly [K in keyof F]: FlagValue<F[K]> };

const GENERAL_FLAGS = {
  runner: { type: "string", describe: "Runner: DirectRunner, PortableRunner or DataflowRunner", default: "DirectRunner" },
  job_name: { type: "string", describe: "Name of the job (default: beamline-<user>-<UTC time>, the user from LOGNAME, USER, LNAME or USERNAME, else the account)" },
  project: { type: "string", describe: "Google Cloud project id" },
  region: { type: "string", describe: "Google Cloud region (e.g. us-central1)" },
  temp_location: { type: "string", describe: "Location for temporary files (gs://bucket/tmp on Dataflow)" },
  staging_location: { type: "string", describe: "Location for staged artifacts (defaults to --temp_location)" },
  streaming: { type: "boolean", describe: "Run as a streaming job", default: false },
  allow_unsafe_triggers: {
    type: "boolean",
    describe:
      "Let a GroupByKey use a trigger that may finish (AfterCount, AfterProcessingTime, ... not in Repeatedly), dropping the window's later data, " +
      "or the default trigger on unbounded input in the global window (as Beam Python's flag)",
    default: false,
  },
  allow_non_deterministic_key_coders: {
    type: "boolean",
    describe:
      "Let a GroupByKey use a key coder that does not encode deterministically (unsafe: equal keys may be grouped apart; as Beam Python's flag, for backwards compatibility)",
    default: false,
  },
} as const satisfies Record<string, FlagSpec>;

const DIRECT_FLAGS = {
  direct_num_workers: { type: "number", describe: "Bundles processed at once (worker threads for definePipeline programs)", default: 1 },
  strict_checks: {
    type: "boolean",
    describe: "Check coder round trips, deterministic keys and that DoFns do not mutate inputs (--no_strict_checks to disable)",
    default: true,
  },
  direct_shuffle_memory_mb: { type: "number", describe: "Memory per GroupByKey, Flatten, Reshuffle or side-input main input before spilling to disk (MB; sooner once the JavaScript heap is half full)", default: 256 },
  direct_worker_threads: {
    type: "string",
    describe:
      "With --direct_num_workers N > 1: when_worthwhile (this thread runs bundles too; N-1 worker threads start once a stage has enough work) " +
      "or always (N worker threads run every bundle; every element crosses threads encoded)",
    default: "when_worthwhile",
  },
  direct_bundle_retries: { type: "number", describe: "Times a failed bundle is retried before the run fails (0: fail at once, as Beam's DirectRunner)", default: 0 },
  checkpoint_dir: { type: "string", describe: "Streaming: checkpoint state here and resume from it when restarted with the same directory" },
  checkpoint_interval_ms: { type: "number", describe: "Streaming: milliseconds between checkpoints (0: after every bundle)", default: 5000 },
} as const satisfies Record<string, FlagSpec>;

/** How the command line shows a run's progress (not pipeline options: workers never see them). */
const MONITORING_FLAGS = {
  quiet: { type: "boolean", describe: "No live progress lines and no summary table (only the final state and outputs)", default: false },
  dashboard: { type: "boolean", describe: "Serve a live job dashboard on 127.0.0.1 while the job runs (the URL, with its access token, is printed)", default: false },
  dashboard_port: { type: "number", describe: "Port of the dashboard on 127.0.0.1 (implies --dashboard; default: a free port)" },
  dashboard_out: { type: "string", describe: "Write a static HTML report of the finished job to this file" },
} as const satisfies Record<string, FlagSpec>;

/** What the command line does to show a run (`--quiet`, `--dashboard`, `--dashboard_port`, `--dashboard_out`). */
export interface MonitoringFlags {
  readonly quiet: boolean;
  readonly dashboard: boolean;
  readonly dashboardPort?: number;
  readonly dashboardOut?: string;
}

/** Options with every default applied. */
export function defaultOptions(): PipelineOptions {
  return {
    runner: "DirectRunner",
    jobName: defaultJobName(),
    streaming: false,
    allowUnsafeTriggers: false,
    allowNonDeterministicKeyCoders: false,
    directNumWorkers: 1,
    strictChecks: true,
    directShuffleMemoryMb: 256,
    directWorkerThreads: "when_worthwhile",
    directBundleRetries: 0,
    checkpointIntervalMs: 5000,
    extra: {},
  };
}

function defaultJobName(): string {
  const user = userName().toLowerCase().replace(/[^a-z0-9-]/g, "-");
  const stamp = new Date().toISOString().replace(/[-:T]/g, "").slice(0, 14);
  return `beamline-${user}-${stamp}`;
}

/**
 * The user a default job name shows, found as Beam Python's `getpass.getuser()` finds it: the
 * first of LOGNAME, USER, LNAME and USERNAME that is set, else the account (which a container run
 * under a user id with no account entry does not have: then "user"). The environment comes first
 * also because the account lookup costs 1-2 ms of every run's start-up.
 */
export function userName(env: NodeJS.ProcessEnv = process.env): string {
  for (const name of ["LOGNAME", "USER", "LNAME", "USERNAME"]) {
    const value = env[name];
    if (value !== undefined && value !== "") return value;
  }
  try {
    return os.userInfo().username || "user";
  } catch {
    return "user";
  }
}

/** `tempLocation` → `temp_location`, `job-name` → `job_name`. */
function snake(name: string): string {
  return name.replace(/-/g, "_").replace(/[A-Z]/g, (c) => `_${c.toLowerCase()}`);
}

/** The result of parsing a command line. */
export interface ParsedArgs<F extends Record<string, FlagSpec>> {
  /** The general and runner options. */
  readonly options: PipelineOptions;
  /** The program's own flags, typed. */
  readonly flags: FlagValues<F>;
  /** Things worth telling the user (a flag the chosen runner does not read). */
  readonly warnings: readonly string[];
  /** How the command line shows the run's progress. */
  readonly monitoring: MonitoringFlags;
}

/** How a program's command line is parsed and described. */
export interface ParseSettings {
  /** The program's name in `--help` and errors. */
  readonly scriptName: string;
  /** One line for `--help`. */
  readonly description: string;
  /**
   * Keep flags nobody declared in `options.extra` (for a program that hands them on, e.g. to a
   * library reading its own) instead of refusing them. Off by default: a misspelled flag is an error.
   */
  readonly passThroughFlags?: boolean;
}

/** A flag the parser knows, with where `--help` lists it. */
interface Declared {
  readonly spec: FlagSpec | RunnerFlagSpec;
  readonly group: string;
  /** The runners that read it (runner flags only). */
  readonly runners?: readonly string[];
}

/** Every flag of this program: its own, the general options, the DirectRunner's, then each runner's. */
function declaredFlags(flags: Record<string, FlagSpec>): Map<string, Declared> {
  const declared = new Map<string, Declared>();
  for (const [name, spec] of Object.entries(flags)) declared.set(name, { spec, group: "Pipeline flags:" });
  const add = (table: Record<string, FlagSpec>, group: string): void => {
    for (const [name, spec] of Object.entries(table)) if (!declared.has(name)) declared.set(name, { spec, group });
  };
  add(GENERAL_FLAGS, "Pipeline options:");
  add(DIRECT_FLAGS, "DirectRunner options:");
  add(MONITORING_FLAGS, "Progress and dashboard:");
  const byRunner = new Map<string, { spec: RunnerFlagSpec; runners: string[] }>();
  for (const [runner, table] of allRunnerFlags()) {
    for (const [name, spec] of Object.entries(table)) {
      if (declared.has(name)) continue;
      const entry = byRunner.get(name);
      if (entry === undefined) byRunner.set(name, { spec, runners: [runner] });
      else entry.runners.push(runner);
    }
  }
  for (const [name, { spec, runners }] of byRunner) declared.set(name, { spec, runners, group: `${runners.join(" and ")} options:` });
  return declared;
}

/** Levenshtein distance, for suggesting the flag a typo meant. */
function editDistance(a: string, b: string): number {
  let prev = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const row = [i];
    for (let j = 1; j <= b.length; j++) row.push(Math.min(prev[j]! + 1, row[j - 1]! + 1, prev[j - 1]! + (a[i - 1] === b[j - 1] ? 0 : 1)));
    prev = row;
  }
  return prev[b.length]!;
}

/** ` (did you mean --input?)`, or "" when no known flag is close. */
function suggestion(unknown: string, known: Iterable<string>): string {
  const target = snake(unknown).replace(/^_+/, "");
  let best: string | undefined;
  let bestDistance = Infinity;
  for (const name of known) {
    const d = editDistance(target, name);
    if (d < bestDistance) [best, bestDistance] = [name, d];
  }
  return best !== undefined && bestDistance <= Math.max(2, Math.floor(target.length / 3)) ? ` (did you mean --${best}?)` : "";
}

/**
 * Rewrites the command line into the form yargs parses: Beam Python's negation `--no_flag` becomes
 * `--flag=false`, and a camelCase or dashed spelling of a declared flag becomes its snake_case name.
 */
function normalizeArgv(argv: readonly string[], declared: ReadonlyMap<string, Declared>): string[] {
  const out: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    if (arg === "--") {
      out.push(...argv.slice(i));
      break;
    }
    const m = /^--([^=]+)(=.*)?$/.exec(arg);
    if (m === null) {
      out.push(arg);
      continue;
    }
    let name = m[1]!;
    if (!declared.has(name) && declared.has(snake(name))) name = snake(name);
    const negated = /^no_(.+)$/.exec(name);
    if (!declared.has(name) && negated !== null && declared.get(negated[1]!)?.spec.type === "boolean") out.push(`--${negated[1]}=false`);
    else out.push(`--${name}${m[2] ?? ""}`);
  }
  return out;
}

/** Parser settings for yargs and yargs-parser alike. */
const PARSER_CONFIGURATION = { "camel-case-expansion": false, "boolean-negation": true, "dot-notation": false } as const;

/** A plain decimal number, as yargs-parser reads it for a number flag (anything else goes to yargs-parser). */
const PLAIN_NUMBER = /^-?(?:0|[1-9]\d*)(?:\.\d+)?$/;

/**
 * The commonest command lines without loading any parser: every argument is a declared flag's
 * primary name, given once, as `--name=value` or `--name value` (a value not starting with `-`),
 * a boolean as `--name`, `--name=true` or `--name=false`, a number in plain decimal. Gives what
 * yargs-parser gives for them (test/model/options.test.ts compares the two); undefined for
 * anything else, which `quickParse` takes. Loading and running yargs-parser over ~100 declared
 * flags cost ~7 ms of every run's start-up (1.4 % of a 5 MB word count).
 */
function simpleParse(normalized: readonly string[], declared: ReadonlyMap<string, Declared>): Record<string, unknown> | undefined {
  const given = new Map<string, unknown>();
  for (let i = 0; i < normalized.length; i++) {
    const arg = normalized[i]!;
    if (!arg.startsWith("--")) return undefined;
    const eq = arg.indexOf("=");
    const name = eq < 0 ? arg.slice(2) : arg.slice(2, eq);
    const spec = declared.get(name)?.spec;
    if (spec === undefined || given.has(name)) return undefined;
    let text: string | undefined = eq < 0 ? undefined : arg.slice(eq + 1);
    if (spec.type === "boolean") {
      if (text === undefined) {
        const next = normalized[i + 1];
        if (next !== undefined && !next.startsWith("--")) return undefined;
        given.set(name, true);
      } else if (text === "true" || text === "false") given.set(name, text === "true");
      else return undefined;
      continue;
    }
    if (text === undefined) {
      text = normalized[++i];
      if (text === undefined || text.startsWith("-")) return undefined;
    }
    if (spec.type === "number") {
      if (!PLAIN_NUMBER.test(text)) return undefined;
      given.set(name, Number(text));
    } else given.set(name, text);
  }
  const parsed: Record<string, unknown> = { _: [] };
  for (const [name, { spec }] of declared) {
    const value = given.has(name) ? given.get(name) : (spec as { default?: unknown }).default;
    if (value === undefined) continue;
    parsed[name] = value;
    const alias = (spec as { alias?: string }).alias;
    if (alias !== undefined) parsed[alias] = value;
  }
  return parsed;
}

/**
 * The common case without loading yargs (its help and error machinery is most of a pipeline's
 * start-up): yargs-parser, the parser inside yargs, with the options yargs would give it. Undefined
 * when yargs must take over: `--help`, a parse error, or a required flag missing or empty (yargs
 * prints the help, or fails with its message).
 */
function quickParse(normalized: readonly string[], declared: ReadonlyMap<string, Declared>): Record<string, unknown> | undefined {
  if (normalized.some((a) => a === "--help" || a.startsWith("--help="))) return undefined;
  const simple = simpleParse(normalized, declared);
  if (simple !== undefined) return requiredGiven(simple, declared) ? simple : undefined;
  return yargsParserParse(normalized, declared);
}

/** Whether every required flag has a value (else yargs takes over, to print the help or its message). */
function requiredGiven(parsed: Record<string, unknown>, declared: ReadonlyMap<string, Declared>): boolean {
  for (const [name, { spec }] of declared) {
    // yargs decides about an empty value too (`--output` with nothing after it is missing to yargs).
    if ((spec as { required?: boolean }).required === true && (parsed[name] === undefined || parsed[name] === "")) return false;
  }
  return true;
}

/** yargs-parser, the parser inside yargs, with the options yargs would give it; undefined on a parse error or a required flag missing. */
function yargsParserParse(normalized: readonly string[], declared: ReadonlyMap<string, Declared>): Record<string, unknown> | undefined {
  const types: Record<FlagSpec["type"], string[]> = { string: [], number: [], boolean: [] };
  const defaults: Record<string, unknown> = {};
  const aliases: Record<string, string> = {};
  for (const [name, { spec }] of declared) {
    types[spec.type].push(name);
    const own = spec as Partial<Extract<FlagSpec, { type: typeof spec.type }>>;
    if (own.default !== undefined) defaults[name] = own.default;
    if (own.alias !== undefined) aliases[name] = own.alias;
  }
  // Loaded here: worker threads rebuild the pipeline from options they are given and never parse argv.
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const yargsParser = require("yargs-parser") as typeof yargsParserType;
  const result = yargsParser.detailed([...normalized], {
    ...types,
    default: defaults,
    alias: aliases,
    configuration: PARSER_CONFIGURATION,
  });
  if (result.error !== null) return undefined;
  const parsed = result.argv as Record<string, unknown>;
  return requiredGiven(parsed, declared) ? parsed : undefined;
}

/** The full yargs parse: prints `--help` and exits, and fails with yargs's messages. */
function parseWithYargs(normalized: readonly string[], declared: ReadonlyMap<string, Declared>, usage: ParseSettings): Record<string, unknown> {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const yargs = require("yargs") as (args: string[]) => Argv;
  const parser = yargs([...normalized])
    .scriptName(usage.scriptName)
    .usage(`$0 [flags]\n\n${usage.description}`)
    .epilog("Flag names are Beam Python's (snake_case; camelCase spellings are accepted). A flag nobody declared is an error.")
    .parserConfiguration(PARSER_CONFIGURATION)
    .version(false)
    .fail((message: string | undefined, error: Error | undefined) => {
      throw error ?? new ValidationError(`${message ?? "invalid flags"}. Run with --help to list the flags.`);
    })
    .help("help")
    .wrap(Math.min(120, process.stdout.columns || 100));
  for (const [name, { spec, group }] of declared) {
    const own = spec as Partial<Extract<FlagSpec, { type: typeof spec.type }>>;
    parser.option(name, {
      type: spec.type,
      describe: spec.describe + ("repeatable" in spec && spec.repeatable === true ? " [repeatable]" : ""),
      default: own.default,
      demandOption: own.required === true ? `--${name} is required` : undefined,
      alias: own.alias,
      group,
    });
  }
  return parser.parseSync() as Record<string, unknown>;
}

/** @internal For tests: the raw values `parseArgs` works from, by one of its parsers (undefined when that parser leaves the command line to the next). */
export function rawFlagValues(argv: readonly string[], flags: Record<string, FlagSpec>, usage: ParseSettings, engine: "simple" | "yargs-parser" | "quick" | "yargs"): Record<string, unknown> | undefined {
  const declared = declaredFlags(flags);
  const normalized = normalizeArgv(argv, declared);
  if (engine === "simple") return simpleParse(normalized, declared);
  if (engine === "yargs-parser") return yargsParserParse(normalized, declared);
  return engine === "quick" ? quickParse(normalized, declared) : parseWithYargs(normalized, declared, usage);
}

/**
 * Parses `argv` into pipeline options and the pipeline's own flags. `--help` prints every flag,
 * grouped by runner, and exits. An unknown flag (unless `passThroughFlags`), a stray positional
 * argument, or a flag given twice (except repeatable runner flags such as `--experiment`) is an
 * error naming it; runner flags are kept in `options.extra` by their snake_case names.
 */
export function parseArgs<F extends Record<string, FlagSpec>>(argv: readonly string[], flags: F, usage: ParseSettings): ParsedArgs<F> {
  const declared = declaredFlags(flags);
  const normalized = normalizeArgv(argv, declared);
  const parsed = quickParse(normalized, declared) ?? parseWithYargs(normalized, declared, usage);
  const problems: string[] = [];
  const positional = (parsed["_"] as unknown[]).map(String);
  if (positional.length > 0) {
    problems.push(`unexpected argument${positional.length > 1 ? "s" : ""} ${positional.map((p) => `'${p}'`).join(", ")}: flags are given as --name value (or --name=value)`);
  }
  const known = new Set<string>(["_", "$0", "help"]);
  for (const [name, { spec }] of declared) {
    known.add(name);
    if ("alias" in spec && spec.alias !== undefined) known.add(spec.alias);
  }
  const extra: Record<string, string | number | boolean> = {};
  const keep = (key: string, value: unknown): void => {
    if (typeof value === "string" || typeof value === "number" || typeof value === "boolean") extra[key] = value;
    // A repeated flag (Beam's append-style ones: --experiment a --experiment b) arrives as a list: keep it comma-joined.
    else if (Array.isArray(value)) extra[key] = value.map(String).join(",");
  };
  for (const [key, value] of Object.entries(parsed)) {
    if (known.has(key)) continue;
    if (usage.passThroughFlags === true) keep(snake(key), value);
    else problems.push(`unknown flag --${key}${suggestion(key, declared.keys())}`);
  }
  for (const [name, { spec }] of declared) {
    const value = parsed[name];
    if (Array.isArray(value) && !("repeatable" in spec && spec.repeatable === true)) {
      problems.push(`--${name} was given ${value.length} times (${value.map((v) => `'${String(v)}'`).join(", ")}): give it once`);
    } else if (spec.type === "number" && value !== undefined && !Number.isFinite(value)) {
      problems.push(`--${name} must be a number`);
    }
  }
  if (problems.length > 0) {
    throw new ValidationError(`${usage.scriptName}: ${problems.length === 1 ? problems[0] : `invalid flags:\n  - ${problems.join("\n  - ")}`}. Run with --help to list the flags.`);
  }

  const flagValues: Record<string, unknown> = {};
  for (const name of Object.keys(flags)) flagValues[name] = parsed[name];
  const str = (k: string): string | undefined => (typeof parsed[k] === "string" ? (parsed[k] as string) : undefined);
  const runner = str("runner") ?? "DirectRunner";
  const warnings: string[] = [];
  // In command-line order (the order keys first appeared in), which list flags such as --experiment keep.
  for (const [name, value] of Object.entries(parsed)) {
    const runners = declared.get(name)?.runners;
    if (runners === undefined || value === undefined) continue;
    keep(name, value);
    if (!runners.includes(runner) && (runner === "DirectRunner" || allRunnerFlags().has(runner))) warnings.push(`--${name} is a ${runners.join(" and ")} flag; ${runner} does not read it`);
  }
  const workers = Number(parsed["direct_num_workers"]);
  if (!Number.isInteger(workers) || workers < 1) {
    throw new ValidationError(`--direct_num_workers must be a positive integer, got ${String(parsed["direct_num_workers"])}`);
  }
  const workerThreads = parsed["direct_worker_threads"];
  if (workerThreads !== "when_worthwhile" && workerThreads !== "always") {
    throw new ValidationError(`--direct_worker_threads must be when_worthwhile or always, got ${String(workerThreads)}`);
  }
  const retries = Number(parsed["direct_bundle_retries"]);
  if (!Number.isInteger(retries) || retries < 0) {
    throw new ValidationError(`--direct_bundle_retries must be a whole number (0 or more), got ${String(parsed["direct_bundle_retries"])}`);
  }
  const interval = Number(parsed["checkpoint_interval_ms"]);
  if (!(interval >= 0)) throw new ValidationError(`--checkpoint_interval_ms must be 0 or more, got ${String(parsed["checkpoint_interval_ms"])}`);
  const checkpointDir = str("checkpoint_dir");
  if (checkpointDir === "") throw new ValidationError("--checkpoint_dir is empty: give a directory (it is created if needed)");
  const options: PipelineOptions = {
    runner,
    jobName: str("job_name") ?? defaultJobName(),
    project: str("project"),
    region: str("region"),
    tempLocation: str("temp_location"),
    stagingLocation: str("staging_location") ?? str("temp_location"),
    streaming: parsed["streaming"] === true,
    allowUnsafeTriggers: parsed["allow_unsafe_triggers"] === true,
    allowNonDeterministicKeyCoders: parsed["allow_non_deterministic_key_coders"] === true,
    directNumWorkers: workers,
    strictChecks: parsed["strict_checks"] !== false,
    directShuffleMemoryMb: Number(parsed["direct_shuffle_memory_mb"]),
    directWorkerThreads: workerThreads,
    directBundleRetries: retries,
    ...(checkpointDir !== undefined ? { checkpointDir } : {}),
    checkpointIntervalMs: interval,
    extra,
  };
  const port = typeof parsed["dashboard_port"] === "number" ? parsed["dashboard_port"] : undefined;
  if (port !== undefined && (!Number.isInteger(port) || port < 0 || port > 65535)) throw new ValidationError(`--dashboard_port must be a port number (0-65535), got ${port}`);
  const monitoring: MonitoringFlags = {
    quiet: parsed["quiet"] === true,
    dashboard: parsed["dashboard"] === true || port !== undefined,
    ...(port !== undefined ? { dashboardPort: port } : {}),
    ...(str("dashboard_out") !== undefined ? { dashboardOut: str("dashboard_out")! } : {}),
  };
  return { options, flags: flagValues as FlagValues<F>, warnings, monitoring };
}
