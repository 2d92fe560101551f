/**
 * Pipeline options on the wire: the Job API's `beam:option:<snake_case>:v1` Struct, and how a
 * worker turns it (or Dataflow's `{options: {...}}` shape) back into PipelineOptions and the
 * program reference it needs to rebuild the graph (BEAM_PORTABILITY.md §2.2, §6.5).
 */
import * as path from "node:path";
import { defaultOptions, PipelineOptions } from "../../lib/model/options";
import type { ProgramReference } from "../../lib/model/pipeline";
import { optionKey } from "./urns";

/** A JSON value as it appears in option Structs. */
export type OptionValue = string | number | boolean | null | OptionValue[] | { [k: string]: OptionValue };

/** What a worker needs to rebuild the pipeline: the program, its options and the fingerprint. */
export interface WorkerProgram {
  /** Program name, module path relative to the package's dist root (or absolute), flags. */
  readonly program: ProgramReference;
  readonly options: PipelineOptions;
  readonly fingerprint: string;
  /** Id of the run, the same on every worker. */
  readonly runId: string;
}

/** The dist/ root of this package (module paths are stored relative to it). */
export function distRoot(): string {
  return path.resolve(__dirname, "..", "..");
}

/** Flat snake_case options of a run (Beam style), including the program reference. */
export function flatOptions(options: PipelineOptions, program: ProgramReference | undefined, fingerprint: string, runId: string): Record<string, OptionValue> {
  const out: Record<string, OptionValue> = {
    runner: options.runner,
    job_name: options.jobName,
    streaming: options.streaming,
    strict_checks: options.strictChecks,
    direct_num_workers: String(options.directNumWorkers),
    direct_shuffle_memory_mb: String(options.directShuffleMemoryMb),
    beamline_fingerprint: fingerprint,
    beamline_run_id: runId,
  };
  // Workers rebuild the graph, so they need it too; sent only when set, as Beam's SDKs send flags.
  if (options.allowUnsafeTriggers) out["allow_unsafe_triggers"] = true;
  if (options.allowNonDeterministicKeyCoders) out["allow_non_deterministic_key_coders"] = true;
  if (options.project !== undefined) out["project"] = options.project;
  if (options.region !== undefined) out["region"] = options.region;
  if (options.tempLocation !== undefined) out["temp_location"] = options.tempLocation;
  if (options.stagingLocation !== undefined) out["staging_location"] = options.stagingLocation;
  for (const [k, v] of Object.entries(options.extra)) out[k] = typeof v === "number" ? String(v) : v;
  if (program !== undefined) {
    // Relative to beamline's dist/ even when outside it (a user's project: ../../../dist/main.js from
    // node_modules/beamline/dist), so a worker image with the same layout under another root finds it.
    const rel = path.relative(distRoot(), program.modulePath);
    out["beamline_program"] = JSON.stringify({ name: program.name, modulePath: path.isAbsolute(rel) ? program.modulePath : rel.split(path.sep).join("/"), flags: program.flags });
  }
  return out;
}

/** The Job API form: every key wrapped as `beam:option:<name>:v1`. */
export function jobApiOptions(flat: Readonly<Record<string, OptionValue>>): Record<string, OptionValue> {
  const out: Record<string, OptionValue> = {};
  for (const [k, v] of Object.entries(flat)) out[optionKey(k)] = v;
  return out;
}

/** Accepts the Job API Struct, Dataflow's `{options: {...}}` and plain flat objects; returns flat snake_case keys. */
export function unwrapOptions(raw: Readonly<Record<string, unknown>>): Record<string, unknown> {
  const flat: Record<string, unknown> = {};
  const nested = raw["options"];
  if (nested !== null && typeof nested === "object" && !Array.isArray(nested)) Object.assign(flat, nested);
  for (const [k, v] of Object.entries(raw)) {
    const m = /^beam:option:(.+):v1$/.exec(k);
    if (m !== null) flat[m[1]!] = v;
    else if (k !== "options" && k !== "display_data" && !(k in flat)) flat[k] = v;
  }
  return flat;
}

function str(v: unknown): string | undefined {
  return typeof v === "string" ? v : typeof v === "number" || typeof v === "boolean" ? String(v) : undefined;
}

const STANDARD_KEYS = new Set([
  "runner", "job_name", "project", "region", "temp_location", "staging_location", "streaming", "allow_unsafe_triggers", "allow_non_deterministic_key_coders", "strict_checks",
  "direct_num_workers", "direct_shuffle_memory_mb", "beamline_fingerprint", "beamline_program", "beamline_run_id",
]);

/** Rebuilds the program reference, options and fingerprint a worker received. */
export function workerProgramFrom(raw: Readonly<Record<string, unknown>>): WorkerProgram {
  const flat = unwrapOptions(raw);
  const programText = str(flat["beamline_program"]);
  const fingerprint = str(flat["beamline_fingerprint"]);
  if (programText === undefined || fingerprint === undefined) {
    throw new Error(
      "The pipeline options carry no Beamline program (beam:option:beamline_program:v1 / beamline_fingerprint). " +
        "Workers rebuild the pipeline from a program defined with definePipeline(); submit the job with such a program.",
    );
  }
  const program = JSON.parse(programText) as ProgramReference;
  const extra: Record<string, string | number | boolean> = {};
  for (const [k, v] of Object.entries(flat)) {
    if (STANDARD_KEYS.has(k) || k.startsWith("beam:") || k.includes(":")) continue;
    if (typeof v === "string" || typeof v === "number" || typeof v === "boolean") extra[k] = v;
  }
  const d = defaultOptions();
  const options: PipelineOptions = {
    ...d,
    runner: str(flat["runner"]) ?? d.runner,
    jobName: str(flat["job_name"]) ?? d.jobName,
    project: str(flat["project"]),
    region: str(flat["region"]),
    tempLocation: str(flat["temp_location"]),
    stagingLocation: str(flat["staging_location"]),
    streaming: flat["streaming"] === true || flat["streaming"] === "true",
    allowUnsafeTriggers: flat["allow_unsafe_triggers"] === true || flat["allow_unsafe_triggers"] === "true",
    allowNonDeterministicKeyCoders: flat["allow_non_deterministic_key_coders"] === true || flat["allow_non_deterministic_key_coders"] === "true",
    strictChecks: !(flat["strict_checks"] === false || flat["strict_checks"] === "false"),
    directNumWorkers: Number(str(flat["direct_num_workers"]) ?? d.directNumWorkers),
    directShuffleMemoryMb: Number(str(flat["direct_shuffle_memory_mb"]) ?? d.directShuffleMemoryMb),
    extra,
  };
  const modulePath = path.isAbsolute(program.modulePath) ? program.modulePath : path.resolve(distRoot(), program.modulePath);
  return { program: { ...program, modulePath }, options, fingerprint, runId: str(flat["beamline_run_id"]) ?? fingerprint };
}
