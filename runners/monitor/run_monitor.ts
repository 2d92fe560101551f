/**
 * What a DirectRunner run does when something watches jobs (`watchJobs`, the command line's
 * progress and dashboard): it creates a tally shared by its threads, inserts the tally's hooks
 * into the operator graphs, announces a LiveJob, keeps the event loop responsive during long
 * synchronous stretches, and honours cancel requests.
 *
 * When nothing watches, runners create none of this and pay nothing.
 */
import { PipelineError } from "../../lib/model/errors";
import type { MetricResults } from "../../lib/model/metric_results";
import { announceJob, jobsWatched } from "../../lib/model/monitoring";
import type { Pipeline } from "../../lib/model/pipeline";
import type { PipelineState } from "../../lib/model/result";
import type { Instant } from "../../lib/model/window";
import type { EdgeObserver } from "../executor/graph_builder";
import { ExecutionTally, TallyLayout, ThreadTally } from "./execution_tally";
import { LiveJob } from "./live_job";
import { TallyObserver } from "./tally_observer";

/** A run stopped because it was cancelled (from the dashboard or the result). */
export class RunCancelledError extends PipelineError {
  constructor() {
    super("The run was cancelled.");
  }
}

export interface RunMonitorSettings {
  readonly runner: string;
  readonly streaming: boolean;
  /** Threads that run bundles (the coordinator is thread 0). */
  readonly threads: number;
  /** Whether the hooks count elements per PCollection (false: the driver counts, see `elements`). */
  readonly countElements: boolean;
  metrics(): MetricResults;
  elements?(): ReadonlyMap<string, number>;
  watermarks?(): ReadonlyMap<string, Instant>;
  state?(): PipelineState;
  error?(): Error | undefined;
  /** Streaming runs: drain. */
  drain?(): Promise<void>;
  /** Stops the run. Without it (batch runs), the next `pause()` raises RunCancelledError. */
  cancel?(): Promise<void>;
}

/**
 * Runs with less work than this (CPU time and I/O waits) get no time per step: the sampler thread starts after it, as its
 * start-up (0.05-0.1 s of CPU, a tenth of a 5 MB wordcount's) would cost a short run more than
 * its figures are worth.
 */
const SAMPLING_DELAY_MS = 1000;

/** How long synchronous work may hold the event loop before the run pauses for a turn. */
const MAX_BUSY_MS = 50;

export class RunMonitor {
  readonly job: LiveJob;
  readonly tally: ExecutionTally;
  private state: PipelineState = "RUNNING";
  private error: Error | undefined;
  private cancelRequested = false;
  private lastTurn = performance.now();
  private readonly coordinator: ThreadTally;

  private constructor(pipeline: Pipeline, private readonly settings: RunMonitorSettings) {
    const steps = pipeline.transforms().map((n) => n.fullName);
    const pcollections = settings.countElements ? pipeline.transforms().flatMap((n) => (n.primitive !== undefined ? [...n.outputs.values()].map((pc) => pc.id) : [])) : [];
    this.tally = new ExecutionTally(steps, pcollections, settings.threads);
    this.coordinator = this.tally.thread(0);
    this.job = new LiveJob(
      pipeline,
      {
        // A program's name reads better than its generated job name.
        jobName: pipeline.program?.name ?? pipeline.options.jobName,
        runner: settings.runner,
        streaming: settings.streaming,
        state: () => settings.state?.() ?? this.state,
        error: () => settings.error?.() ?? this.error,
        metrics: settings.metrics,
        ...(settings.elements !== undefined ? { elements: settings.elements } : {}),
        ...(settings.watermarks !== undefined ? { watermarks: settings.watermarks } : {}),
        ...(settings.drain !== undefined ? { drain: settings.drain } : {}),
        cancel: async () => {
          this.cancelRequested = true;
          await settings.cancel?.();
        },
      },
      this.tally,
    );
  }

  /** A monitor for this run if anything watches jobs, else undefined. */
  static start(pipeline: Pipeline, settings: RunMonitorSettings): RunMonitor | undefined {
    if (!jobsWatched()) return undefined;
    const m = new RunMonitor(pipeline, settings);
    m.tally.startSampling(SAMPLING_DELAY_MS);
    announceJob(m.job);
    return m;
  }

  /** The hooks for the operator graphs built on the coordinator thread. */
  observer(): EdgeObserver {
    return new TallyObserver(this.coordinator, this.settings.countElements);
  }

  /** What a worker thread needs to write into the tally (its thread number is 1 + its index). */
  get layout(): TallyLayout {
    return this.tally.layout;
  }

  get cancelled(): boolean {
    return this.cancelRequested;
  }

  /**
   * Called by drivers every so many elements: after more than 50 ms of work without a turn of the
   * event loop, gives it one (progress timers, the dashboard, cancel requests run); raises
   * RunCancelledError once cancel was requested.
   */
  async pause(): Promise<void> {
    this.throwIfCancelled();
    const now = performance.now();
    if (now - this.lastTurn < MAX_BUSY_MS) return;
    await new Promise<void>((resolve) => setImmediate(resolve));
    this.lastTurn = performance.now();
    this.throwIfCancelled();
  }

  private throwIfCancelled(): void {
    if (this.cancelRequested && this.settings.cancel === undefined) throw new RunCancelledError();
  }

  /** The run ended: freezes the job's final snapshot. */
  async finish(state: PipelineState, error?: Error): Promise<void> {
    this.state = state;
    this.error = error;
    await this.job.finish();
  }
}

/** The hooks a worker thread inserts into its operator graphs. */
export function workerObserver(layout: TallyLayout, thread: number, countElements: boolean): EdgeObserver {
  return new TallyObserver(new ThreadTally(layout, thread), countElements);
}
