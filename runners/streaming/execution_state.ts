/**
 * The state of a run on the streaming driver (driver.ts): its graph, each PCollection's
 * watermark and element count, its sources, clocks and checkpoints; what the graph's steps read
 * of it (GraphEnvironment) and what a result or monitor watching the run reads (progress,
 * snapshots). The driver is built in layers on it: BundleExecution (execution_bundles.ts) runs
 * bundles and recomputes watermarks, CheckpointingExecution (execution_checkpoints.ts) takes and
 * restores checkpoints, StreamingExecution (driver.ts) runs the loop until the run ends.
 */
import type { OutputCommit } from "../../lib/model/commits";
import type { RuntimeContext } from "../../lib/model/dofn";
import { PipelineError } from "../../lib/model/errors";
import { MetricsContainer } from "../../lib/model/metrics";
import type { Pipeline } from "../../lib/model/pipeline";
import type { PipelineState, StreamingProgress } from "../../lib/model/result";
import { Instant, MIN_TIMESTAMP } from "../../lib/model/window";
import { PipelineGraph } from "../executor/pipeline_graph";
import { StepContexts } from "../executor/step_contexts";
import { isWallClockSdfStep } from "../../lib/model/splittable_pardo";
import type { Unit } from "../executor/units";
import { progressOf } from "./progress";
import { GraphEnvironment, StreamingGraph } from "./graph";
import { LiveSource, TestStreamReplay } from "./sources";
import type { EdgeObserver } from "../executor/graph_builder";
import type { Checkpointing } from "./checkpointing";
import type { RestartHooks } from "./restart";
import type { KeyedRouting } from "./parallel/exchange";

/** Settings of a streaming run. */
export interface StreamingSettings {
  readonly runId: string;
  /** Drain on the first SIGINT/SIGTERM and cancel on the second (runs with real-time sources; default true). */
  readonly handleSignals?: boolean;
  /** How often processing time is re-evaluated while real-time sources are idle (ms, default 100). */
  readonly tickMillis?: number;
  /** Run the strict model checks on every element instead of a sample (the DirectRunner's `checkEveryElement`). */
  readonly checkEveryElement?: boolean;
  /** Live progress hooks, when something watches the run (runners/monitor). */
  readonly observer?: EdgeObserver;
  /** Called between bundles: gives a watching monitor a turn of the event loop. */
  readonly pauser?: { pause(): Promise<void> };
  /** Bundle retries (--direct_bundle_retries): in-memory snapshots and the restart decision (restart.ts). */
  readonly restarts?: RestartHooks;
  /** The keyed exchange of an instance of a parallel run (runners/streaming/parallel). */
  readonly exchange?: KeyedRouting;
}

export abstract class StreamingExecutionState implements GraphEnvironment {
  readonly graph: StreamingGraph;
  protected readonly units: readonly Unit[];
  protected readonly watermarks = new Map<string, Instant>();
  protected readonly counts = new Map<string, { n: number }>();
  private readonly contexts: StepContexts;
  /** Output commits of a run that ends by itself, run once it has succeeded (lib/model/commits.ts). */
  protected readonly commits: OutputCommit[];
  protected readonly scripts: TestStreamReplay[] = [];
  protected readonly live: LiveSource[] = [];
  protected virtualTime = 0;
  /**
   * The processing steps of unbounded-per-element splittable DoFns (isWallClockSdfStep). In a run
   * without TestStream they make processing time the wall clock (their residuals resume after
   * real delays, as on Beam's DirectRunner), and their input watermark stays at the end of the
   * global window until the run drains or they have no work left (`sdfInputHeld`): the end of
   * their input is not a drain, which would truncate their work away.
   */
  protected readonly wallClockSdfSteps: readonly string[];
  /**
   * Every unbounded-per-element splittable DoFn's processing step. Their input watermark is held
   * at the end of the global window until the run drains, its sources end (with TestStream: the
   * scripts end, virtual time moving no more) or, on the wall clock, their work ends: the end of
   * their input (a Create of patterns to watch) is not a drain of their work.
   */
  protected readonly unboundedSdfSteps: readonly string[];
  /** Whether the unbounded SDF steps' input watermark is still held (see unboundedSdfSteps). */
  protected sdfInputHeld: boolean;
  protected impulsesDone = false;
  /** Checkpoints of the run (--checkpoint_dir), if it takes them. */
  protected readonly checkpoints: Checkpointing | undefined;
  /** Why the run cannot start (an unreadable or foreign checkpoint), reported when it runs. */
  protected startupError: Error | undefined;
  /** Changes of state so far (elements, watermark moves, virtual time): whether a checkpoint has anything new. */
  protected changes = 0;
  /** The run's id: a resumed run keeps the id of the run it resumes (sinks' hidden files are named by it). */
  readonly runId: string;
  state: PipelineState = "RUNNING";
  error: Error | undefined;

  constructor(
    protected readonly pipeline: Pipeline,
    protected readonly settings: StreamingSettings,
    readonly containers: Map<string, MetricsContainer>,
    readonly outputs: string[],
  ) {
    const graph = new PipelineGraph(pipeline);
    this.units = graph.units;
    const dir = pipeline.options.checkpointDir;
    this.commits = settings.restarts?.commits ?? [];
    const warn = (m: string): boolean => process.stderr.write(`${m}\n`);
    if (dir !== undefined || settings.restarts !== undefined) {
      try {
        const interval = pipeline.options.checkpointIntervalMs;
        const { Checkpointing } = checkpointing();
        this.checkpoints = dir !== undefined ? Checkpointing.open(dir, pipeline, interval, warn) : Checkpointing.from(settings.restarts!.memory, pipeline, interval, warn);
      } catch (e) {
        this.startupError = e instanceof Error ? e : new PipelineError(String(e));
      }
    }
    this.runId = this.checkpoints?.restored?.runId ?? settings.runId;
    // A run that ends by itself commits its sinks' outputs once it has succeeded; one reading
    // real-time sources never ends that way, nor does one that checkpoints (a restart resumes
    // it after what its sinks did), so their sinks commit at once.
    const commitAtOnce = this.units.some((u) => u.kind === "readUnbounded") || dir !== undefined;
    this.contexts = new StepContexts(containers, pipeline.options, this.runId, outputs, commitAtOnce ? undefined : this.commits);
    this.graph = new StreamingGraph(graph, this);
    for (const u of this.units) {
      if (u.kind === "testStream") this.scripts.push(new TestStreamReplay(u.node.fullName, u.output.id, u.spec.events));
      if (u.kind === "readUnbounded") this.live.push(new LiveSource(u.node.fullName, u.output.id, u.spec.source, this.metricsFor(u.node.fullName)));
    }
    this.unboundedSdfSteps = this.units.filter((u) => u.kind === "pardo" && isWallClockSdfStep(u.spec.doFn)).map((u) => u.node.fullName);
    this.wallClockSdfSteps = this.scripts.length > 0 ? [] : this.unboundedSdfSteps;
    this.sdfInputHeld = this.unboundedSdfSteps.length > 0;
    this.graph.buildAll();
  }

  /** Whether the run ends by itself (every source is finite, and no splittable DoFn's work may go on forever). */
  get isFinite(): boolean {
    return this.live.length === 0 && this.wallClockSdfSteps.length === 0;
  }

  /** Whether a wall-clock SDF step still has work waiting (a residual and its timers). */
  protected get sdfWorkPending(): boolean {
    return this.wallClockSdfSteps.some((name) => (this.graph.timeAware.get(name)?.hold() ?? Infinity) < Infinity);
  }

  // ---- GraphEnvironment ----

  get observer(): EdgeObserver | undefined {
    return this.settings.observer;
  }

  get exchange(): KeyedRouting | undefined {
    return this.settings.exchange;
  }

  get checkpointed(): boolean {
    return this.checkpoints !== undefined;
  }

  get checkEveryElement(): boolean {
    return this.settings.checkEveryElement === true;
  }

  metricsFor(transformName: string): MetricsContainer {
    return this.contexts.metricsFor(transformName);
  }

  runtimeFor(transformName: string): RuntimeContext {
    return this.contexts.runtimeFor(transformName);
  }

  watermarkOf(pcollId: string): Instant {
    return this.watermarks.get(pcollId) ?? MIN_TIMESTAMP;
  }

  counterOf(pcollId: string): { n: number } {
    let c = this.counts.get(pcollId);
    if (c === undefined) this.counts.set(pcollId, (c = { n: 0 }));
    return c;
  }

  /** Elements counted on every PCollection so far (tells whether a pass produced anything). */
  protected get received(): number {
    let n = 0;
    for (const c of this.counts.values()) n += c.n;
    return n;
  }

  // ---- observation ----

  watermarkSnapshot(): ReadonlyMap<string, Instant> {
    return new Map(this.watermarks);
  }

  countSnapshot(): ReadonlyMap<string, number> {
    return new Map([...this.counts].filter(([, c]) => c.n > 0).map(([id, c]) => [id, c.n]));
  }

  /** Elements read by the sources, elements reaching the last PCollections, and their lowest watermark. */
  progress(): StreamingProgress {
    const progress = progressOf(this.units, (id) => this.counts.get(id)?.n ?? 0, (id) => this.watermarkOf(id));
    return { ...progress, ...(this.checkpoints !== undefined ? { checkpoints: this.checkpointStats() } : {}) };
  }

  /** Checkpoints written by this run and the milliseconds spent taking them (zero without --checkpoint_dir). */
  checkpointStats(): { readonly written: number; readonly millis: number } {
    return { written: this.checkpoints?.written ?? 0, millis: this.checkpoints?.writeMillis ?? 0 };
  }

  get processingTime(): Instant {
    return this.live.length === 0 && this.wallClockSdfSteps.length === 0 ? this.virtualTime : Date.now();
  }

  /** The processing time as the graph's steps see it (GraphEnvironment). */
  readonly currentProcessingTime = (): Instant => this.processingTime;
}

// Checkpoints (their module, and the coders it loads) are loaded only by runs that use them:
// --checkpoint_dir, --direct_bundle_retries.
/* eslint-disable @typescript-eslint/no-require-imports */
export const checkpointing = (): typeof import("./checkpointing") => require("./checkpointing") as typeof import("./checkpointing");
/* eslint-enable @typescript-eslint/no-require-imports */
