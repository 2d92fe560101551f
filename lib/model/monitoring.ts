/**
 * Live views of running jobs, for progress lines and dashboards.
 *
 * A runner announces each job it starts as a `MonitoredJob`: the pipeline's graph (the user's
 * step names, composites included) and a `snapshot()` of per-step progress that callers poll.
 * The command line (`definePipeline(...).main()`) watches for jobs to draw terminal progress and
 * serve the `--dashboard`; code can do the same with `watchJobs`.
 */
import type { DistributionResult, GaugeResult, MetricResult } from "./metrics";
import type { PipelineState } from "./result";
import type { Instant } from "./window";

/** One application of a transform, as the graph view shows it. */
export interface StepNode {
  /** The unique full name (`wordcount/Split`). */
  readonly name: string;
  /** The label it was applied with (the last part of `name`). */
  readonly label: string;
  /** The enclosing composite's full name; absent for top-level steps. */
  readonly parent?: string;
  /** Whether the step is a composite (has steps inside) rather than a primitive. */
  readonly composite: boolean;
  /** What the step is: a primitive's kind (`pardo`, `gbk`, ...), a composite's URN, or `composite`. */
  readonly kind: string;
  /** Ids of the PCollections it reads as main inputs, reads as side inputs, and writes. */
  readonly inputs: readonly string[];
  readonly sideInputs: readonly string[];
  readonly outputs: readonly string[];
}

/** A PCollection between steps. */
export interface PCollectionNode {
  readonly id: string;
  /** Full name of the primitive or composite that produces it. */
  readonly producer: string;
  readonly bounded: boolean;
}

/** The shape of a job: its steps (parents before children) and PCollections. */
export interface JobGraph {
  readonly steps: readonly StepNode[];
  readonly pcollections: readonly PCollectionNode[];
}

/** Progress of one step so far. */
export interface StepProgress {
  /** Elements that reached the step (over all its inputs, side inputs excluded). */
  readonly elementsIn: number;
  /** Elements the step produced (over all its outputs). */
  readonly elementsOut: number;
  /** Time spent executing the step's code (sampled; composites: the sum of their steps), if the runner measures it. */
  readonly msSpent?: number;
  /** The step's output watermark (streaming), if known. */
  readonly watermark?: Instant;
  /** Elements the step rejected to a dead-letter output or dropped (e.g. late data). */
  readonly rejected?: number;
}

/** A log line of a job, attributed to the step that wrote it when known. */
export interface LogEntry {
  /** Milliseconds since the epoch. */
  readonly time: number;
  readonly level: "DEBUG" | "INFO" | "WARN" | "ERROR";
  readonly step?: string;
  readonly message: string;
}

/** The metrics of a job so far. */
export interface MetricsSnapshot {
  readonly counters: readonly MetricResult<number>[];
  readonly distributions: readonly MetricResult<DistributionResult>[];
  readonly gauges: readonly MetricResult<GaugeResult>[];
}

/** Everything a progress view shows about a job at one instant. */
export interface JobSnapshot {
  readonly jobName: string;
  /** Name of the runner (`DirectRunner`, `PortableRunner`, `DataflowRunner`). */
  readonly runner: string;
  readonly state: PipelineState;
  readonly streaming: boolean;
  /** When the job started and when this snapshot was taken (ms since the epoch). */
  readonly startedAt: number;
  readonly at: number;
  /** Progress per step full name (primitives and composites). */
  readonly steps: Readonly<Record<string, StepProgress>>;
  readonly metrics: MetricsSnapshot;
  /** The error message of a failed job. */
  readonly error?: string;
}

/** A job whose progress can be watched while it runs. */
export interface MonitoredJob {
  readonly jobName: string;
  readonly runner: string;
  readonly graph: JobGraph;
  /** Progress so far (cheap enough to call every few hundred milliseconds). */
  snapshot(): JobSnapshot;
  /** Log lines with a sequence number greater than `after` (all kept lines when absent). */
  logs(after?: number): { readonly entries: readonly LogEntry[]; readonly last: number };
  /** Stops the job at once. */
  cancel(): Promise<void>;
  /** Streaming jobs: stops reading and finishes what was read. Absent for batch jobs. */
  drain?(): Promise<void>;
  /** Settles when the job reaches a final state. */
  readonly finished: Promise<PipelineState>;
}

type JobListener = (job: MonitoredJob) => void;
const listeners = new Set<JobListener>();

/** Calls `listener` with every job a runner in this process starts from now on; returns an unsubscribe function. */
export function watchJobs(listener: JobListener): () => void {
  listeners.add(listener);
  return () => listeners.delete(listener);
}

/** @internal Runners: announce a job that started. */
export function announceJob(job: MonitoredJob): void {
  for (const l of listeners) l(job);
}

/** @internal Runners: whether anything watches jobs (so live tracking is worth its cost). */
export function jobsWatched(): boolean {
  return listeners.size > 0;
}
