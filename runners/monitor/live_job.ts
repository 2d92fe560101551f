/**
 * A running job as progress views see it: runners create one when something watches jobs
 * (`jobsWatched()`), feed it counts through an ExecutionTally, and announce it.
 */
import { SYSTEM_NAMESPACE } from "../../lib/model/metrics";
import { MetricResults } from "../../lib/model/metric_results";
import type { JobGraph, JobSnapshot, LogEntry, MonitoredJob } from "../../lib/model/monitoring";
import type { Pipeline } from "../../lib/model/pipeline";
import type { PipelineState } from "../../lib/model/result";
import type { Instant } from "../../lib/model/window";
import type { ExecutionTally } from "./execution_tally";
import { jobGraphOf, stepProgress } from "./job_graph";

/** System counters that count elements a step rejected or dropped. */
const REJECTION_COUNTERS = new Set(["droppedDueToLateness", "deadLetters", "rejected"]);

/** The runner's side of a live job. */
export interface LiveJobSource {
  readonly jobName: string;
  readonly runner: string;
  readonly streaming: boolean;
  state(): PipelineState;
  error(): Error | undefined;
  metrics(): MetricResults;
  /** Elements per PCollection, when not counted by the tally (e.g. remote runners). */
  elements?(): ReadonlyMap<string, number>;
  /** Time per step, when not sampled by the tally (remote runners report it). */
  msSpent?(): ReadonlyMap<string, number>;
  watermarks?(): ReadonlyMap<string, Instant>;
  cancel(): Promise<void>;
  drain?(): Promise<void>;
}

/** Keeps the last `capacity` log lines with increasing sequence numbers. */
export class LogBuffer {
  private readonly entries: { seq: number; entry: LogEntry }[] = [];
  private seq = 0;
  constructor(private readonly capacity = 2000) {}
  add(entry: LogEntry): void {
    this.entries.push({ seq: ++this.seq, entry });
    if (this.entries.length > this.capacity) this.entries.splice(0, this.entries.length - this.capacity);
  }
  after(seq = 0): { entries: LogEntry[]; last: number } {
    return { entries: this.entries.filter((e) => e.seq > seq).map((e) => e.entry), last: this.seq };
  }
}

export class LiveJob implements MonitoredJob {
  readonly graph: JobGraph;
  readonly jobName: string;
  readonly runner: string;
  readonly drain?: () => Promise<void>;
  readonly logBuffer = new LogBuffer();
  /**
   * Whether this process's console output counts as the job's log (jobs running here); remote
   * jobs log their runner's messages instead.
   */
  capturesConsole = true;
  private readonly startedAt = Date.now();
  private finalSnapshot: JobSnapshot | undefined;
  private settle!: (s: PipelineState) => void;
  readonly finished = new Promise<PipelineState>((resolve) => (this.settle = resolve));

  constructor(
    pipeline: Pipeline,
    private readonly source: LiveJobSource,
    private readonly tally: ExecutionTally | undefined,
  ) {
    this.graph = jobGraphOf(pipeline);
    this.jobName = source.jobName;
    this.runner = source.runner;
    if (source.drain !== undefined) this.drain = () => source.drain!();
  }

  snapshot(): JobSnapshot {
    if (this.finalSnapshot !== undefined) return this.finalSnapshot;
    const metrics = this.source.metrics();
    const rejected = new Map<string, number>();
    for (const c of metrics.counters({ namespace: SYSTEM_NAMESPACE })) if (REJECTION_COUNTERS.has(c.name)) rejected.set(c.step, (rejected.get(c.step) ?? 0) + c.value);
    const elements = this.source.elements?.() ?? this.tally?.elements() ?? new Map<string, number>();
    const error = this.source.error();
    return {
      jobName: this.jobName,
      runner: this.runner,
      state: this.source.state(),
      streaming: this.source.streaming,
      startedAt: this.startedAt,
      at: Date.now(),
      steps: stepProgress(this.graph, { elements, msSpent: this.source.msSpent?.() ?? this.tally?.msSpent(), watermarks: this.source.watermarks?.(), rejected }),
      metrics: { counters: metrics.counters(), distributions: metrics.distributions(), gauges: metrics.gauges(), stringSets: metrics.stringSets(), boundedTries: metrics.boundedTries() },
      ...(error === undefined ? {} : { error: error.message }),
    };
  }

  logs(after?: number): { entries: readonly LogEntry[]; last: number } {
    return this.logBuffer.after(after);
  }

  /** The step executing on the coordinator thread right now, for attributing log lines. */
  currentStep(): string | undefined {
    return this.tally?.currentStep(0);
  }

  cancel(): Promise<void> {
    return this.source.cancel();
  }

  /** Runners: the job reached a final state; freezes the snapshot. */
  async finish(): Promise<void> {
    await this.tally?.stop();
    this.finalSnapshot = this.snapshot();
    this.settle(this.finalSnapshot.state);
  }
}
