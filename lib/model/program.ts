/**
 * definePipeline: a pipeline program with typed flags and a CLI entry point.
 *
 *     export const wordcount = definePipeline({
 *       name: "wordcount",
 *       description: "Counts words",
 *       flags: { output: { type: "string", required: true, describe: "Output prefix" } },
 *       build(root, flags) { root.apply("Read", ReadFromText(...)) ... },
 *     });
 *     if (require.main === module) void wordcount.main();
 *
 * The builder is kept, so runners (and remote workers) can build the same graph again.
 */
import { PipelineError } from "./errors";
import { FlagSpec, FlagValues, parseArgs, PipelineOptions, defaultOptions } from "./options";
import { Pipeline } from "./pipeline";
import { isStreamingResult, type PipelineResult, type StreamingPipelineResult } from "./result";
import { MAX_TIMESTAMP, MIN_TIMESTAMP } from "./window";

/** What defines a pipeline program. */
export interface PipelineProgramSpec<F extends Record<string, FlagSpec>> {
  readonly name: string;
  readonly description: string;
  readonly flags: F;
  /** Keep flags nobody declared in `options.extra` instead of refusing them (see ParseSettings). */
  readonly passThroughFlags?: boolean;
  /** Builds the graph; must be a pure function of the flags and options. */
  build(root: Pipeline, flags: FlagValues<F>, options: PipelineOptions): void;
}

/** A runnable pipeline program. */
export interface PipelineProgram<F extends Record<string, FlagSpec>> {
  readonly name: string;
  /** The module that defined the program (workers load it to rebuild the graph). */
  readonly modulePath: string | undefined;
  readonly spec: PipelineProgramSpec<F>;
  /** Builds the pipeline for these flags and options (without running it). */
  create(flags: FlagValues<F>, options?: Partial<PipelineOptions>): Pipeline;
  /** Builds and runs; resolves with the result (check `state`, or `await result.waitUntilFinish()`). */
  run(flags: FlagValues<F>, options?: Partial<PipelineOptions>): Promise<PipelineResult>;
  /** CLI entry: parses argv, runs, prints a summary; sets a non-zero exit code on failure. */
  main(argv?: readonly string[]): Promise<void>;
}

const programs = new Map<string, PipelineProgram<Record<string, FlagSpec>>>();

/**
 * The compiled file of the module calling definePipeline. Read from V8's structured call sites,
 * which name the JS file that runs (source-mapped stack text would name the .ts file).
 */
function callerModule(): string | undefined {
  const original = Error.prepareStackTrace;
  let sites: NodeJS.CallSite[] = [];
  try {
    Error.prepareStackTrace = (_e, stack) => stack;
    const holder: { stack?: unknown } = {};
    Error.captureStackTrace(holder, definePipeline);
    sites = (holder.stack as NodeJS.CallSite[] | undefined) ?? [];
  } finally {
    Error.prepareStackTrace = original;
  }
  const file = sites[0]?.getFileName();
  if (file === undefined || file === null) return undefined;
  return file.startsWith("file://") ? new URL(file).pathname : file;
}

/** The programs defined in this process, by name (workers look them up here). */
export function definedPrograms(): ReadonlyMap<string, PipelineProgram<Record<string, FlagSpec>>> {
  return programs;
}

export function definePipeline<F extends Record<string, FlagSpec>>(spec: PipelineProgramSpec<F>): PipelineProgram<F> {
  const modulePath = callerModule();
  const program: PipelineProgram<F> = {
    name: spec.name,
    modulePath,
    spec,
    create(flags, options = {}) {
      const full: PipelineOptions = { ...defaultOptions(), jobName: spec.name, ...options };
      const p = Pipeline.build(full, (root) => spec.build(root, flags, full));
      if (modulePath !== undefined) p.program = { name: spec.name, modulePath, flags: { ...flags } };
      return p;
    },
    async run(flags, options = {}) {
      return program.create(flags, options).run();
    },
    async main(argv = process.argv.slice(2)) {
      let result: PipelineResult | undefined;
      const started = Date.now();
      try {
        const { options, flags, warnings } = parseArgs(argv, spec.flags, { scriptName: spec.name, description: spec.description, passThroughFlags: spec.passThroughFlags });
        for (const w of warnings) process.stderr.write(`${spec.name}: warning: ${w}\n`);
        process.stderr.write(`${spec.name}: running on ${options.runner}...\n`);
        result = await program.run(flags, options);
        const stopProgress = isStreamingResult(result) ? reportProgress(spec.name, result, started) : undefined;
        try {
          await result.waitUntilFinish();
        } finally {
          stopProgress?.();
        }
        const seconds = ((Date.now() - started) / 1000).toFixed(1);
        process.stdout.write(`${spec.name}: ${result.state} in ${seconds} s\n`);
        if (result.outputs.length > 0) process.stdout.write(`Output written to:\n${result.outputs.map((o) => `  ${o}`).join("\n")}\n`);
        const counters = result.metrics.counters();
        if (counters.length > 0) {
          process.stdout.write(`Counters:\n${counters.map((c) => `  ${c.step}: ${c.namespace}/${c.name} = ${c.value}`).join("\n")}\n`);
        }
      } catch (e) {
        const message = e instanceof PipelineError || e instanceof Error ? e.message : String(e);
        process.stderr.write(`${spec.name} FAILED: ${message}\n`);
        process.exitCode = 1;
      }
    },
  };
  programs.set(spec.name, program as unknown as PipelineProgram<Record<string, FlagSpec>>);
  return program;
}

/** How often a streaming run started from the command line prints its progress line. */
const PROGRESS_INTERVAL_MS = 10_000;

/** Prints `name: RUNNING 42 s, read 1234, written 1200, output watermark <ISO>` to stderr until stopped. */
function reportProgress(name: string, result: StreamingPipelineResult, started: number): () => void {
  const timer = setInterval(() => {
    const p = result.progress();
    const watermark = p.outputWatermark <= MIN_TIMESTAMP ? "-inf" : p.outputWatermark >= MAX_TIMESTAMP ? "+inf" : new Date(p.outputWatermark).toISOString();
    const seconds = Math.round((Date.now() - started) / 1000);
    process.stderr.write(`${name}: ${result.state} ${seconds} s, read ${p.elementsRead}, written ${p.elementsWritten}, output watermark ${watermark}\n`);
  }, PROGRESS_INTERVAL_MS);
  timer.unref();
  return () => clearInterval(timer);
}
