/**
 * definePipeline: a pipeline program with typed flags and a CLI entry point.
 *
 *     export const wordcount = definePipeline({
 *       name: "wordcount",
 *       description: "Counts words",
 *       flags: { output: { type: "string", required: true, describe: "Output prefix" } },
 *       build(root, flags) { root.apply("Read", ReadFromText.from(...)) ... },
 *     });
 *     void wordcount.main();        // ES modules: await wordcount.main();
 *
 * The builder is kept, so runners (and remote workers) can build the same graph again: workers
 * (DirectRunner worker threads, Fn API harnesses) load the program's module in worker mode,
 * where `main()` does nothing, so a program needs no `require.main === module` guard.
 */
import { fileURLToPath } from "node:url";
import { REJECTED_COUNTER } from "./dead_letter";
import { PipelineError } from "./errors";
import { SYSTEM_NAMESPACE, type MetricResult } from "./metrics";
import { FlagSpec, FlagValues, parseArgs, PipelineOptions, defaultOptions } from "./options";
import { Pipeline } from "./pipeline";
import { isStreamingResult, type PipelineResult, type StreamingPipelineResult } from "./result";
import { MAX_TIMESTAMP, MIN_TIMESTAMP } from "./window";

/** What defines a pipeline program. */
export interface PipelineProgramSpec<F extends Record<string, FlagSpec>> {
  /** The program's name: the default job name, and how workers find the program in its module. Unique per process. */
  readonly name: string;
  /** One line for `--help`. */
  readonly description: string;
  /** The program's own flags, by snake_case name: `{ input: { type: "string", required: true, describe: "..." } }`. */
  readonly flags: F;
  /** Keep flags nobody declared in `options.extra` instead of refusing them (see ParseSettings). */
  readonly passThroughFlags?: boolean;
  /** Builds the graph; must be a pure function of the flags and options. */
  build(root: Pipeline, flags: FlagValues<F>, options: PipelineOptions): void;
}

/** A runnable pipeline program. */
export interface PipelineProgram<F extends Record<string, FlagSpec>> {
  /** The spec's name. */
  readonly name: string;
  /** The module that defined the program (workers load it to rebuild the graph). */
  readonly modulePath: string | undefined;
  /** What the program was defined with. */
  readonly spec: PipelineProgramSpec<F>;
  /** Builds the pipeline for these flags and options (without running it). */
  create(flags: FlagValues<F>, options?: Partial<PipelineOptions>): Pipeline;
  /** Builds and runs; resolves with the result (check `state`, or `await result.waitUntilFinish()`). */
  run(flags: FlagValues<F>, options?: Partial<PipelineOptions>): Promise<PipelineResult>;
  /**
   * CLI entry: parses argv, runs, prints a summary; sets a non-zero exit code on failure. In a
   * worker (which loads the module only to rebuild the graph) it returns at once.
   */
  main(argv?: readonly string[]): Promise<void>;
}

const programs = new Map<string, PipelineProgram<Record<string, FlagSpec>>>();
let workerMode = false;

/**
 * @internal Workers call this before loading a program's module: from then on in this thread,
 * `main()` returns without running and `run()` fails (a worker must never start a job).
 */
export function enterWorkerMode(): void {
  workerMode = true;
}

/** Whether this thread is a worker that loads programs only to rebuild their graphs. */
export function isWorkerMode(): boolean {
  return workerMode;
}

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
  return file.startsWith("file://") ? fileURLToPath(file) : file;
}

/** The programs defined in this process, by name (workers look them up here). */
export function definedPrograms(): ReadonlyMap<string, PipelineProgram<Record<string, FlagSpec>>> {
  return programs;
}

/**
 * Defines a pipeline program: typed flags, `--help`, a `main()` for the command line and
 * `run(flags)` for code and tests. Workers load the program's module and rebuild its graph, so
 * `build` must be a pure function of its flags and options.
 *
 * ```ts
 * export const wordCount = definePipeline({
 *   name: "word-count",
 *   description: "Counts the words of a text",
 *   flags: { input: { type: "string", required: true, describe: "Text file or glob" },
 *            output: { type: "string", required: true, describe: "Output prefix" } },
 *   build(root, flags) {
 *     root.apply("Read", ReadFromText.from(flags.input))
 *       .flatMap("Split", (line) => line.split(/\s+/))
 *       .apply("Count", Count.perElement())
 *       .map("Format", (c) => `${c.key}: ${c.value}`)
 *       .apply("Write", WriteToText.to(flags.output));
 *   },
 * });
 * void wordCount.main();   // node dist/word_count.js --input in.txt --output out/counts
 * ```
 */
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
      if (workerMode) {
        throw new PipelineError(
          `Pipeline program '${spec.name}' was asked to run while a worker loaded its module to rebuild the graph; a worker must not start a job. ` +
            `Start runs with main() (which does nothing in workers), or call run() only when the module is the entry point ` +
            `(CommonJS: if (require.main === module); ES modules: if (import.meta.url === pathToFileURL(process.argv[1]).href)).`,
        );
      }
      return program.create(flags, options).run();
    },
    async main(argv = process.argv.slice(2)) {
      if (workerMode) return;
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
        printMetricsSummary(result);
      } catch (e) {
        const message = e instanceof PipelineError || e instanceof Error ? e.message : String(e);
        process.stderr.write(`${spec.name} FAILED: ${message}\n`);
        if (result !== undefined) printMetricsSummary(result);
        process.exitCode = 1;
      }
    },
  };
  programs.set(spec.name, program as unknown as PipelineProgram<Record<string, FlagSpec>>);
  return program;
}

/** Counters, with the elements rejected to dead-letter outputs on lines of their own. */
function printMetricsSummary(result: PipelineResult): void {
  const counters = result.metrics.counters();
  const isRejected = (c: MetricResult<number>): boolean => c.namespace === SYSTEM_NAMESPACE && c.name === REJECTED_COUNTER;
  const rejected = counters.filter(isRejected);
  const others = counters.filter((c) => !isRejected(c));
  if (others.length > 0) process.stdout.write(`Counters:\n${others.map((c) => `  ${c.step}: ${c.namespace}/${c.name} = ${c.value}`).join("\n")}\n`);
  if (rejected.length > 0) process.stdout.write(`Rejected elements (dead-letter outputs):\n${rejected.map((c) => `  ${c.step}: ${c.value}`).join("\n")}\n`);
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
