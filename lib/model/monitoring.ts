/**
 * Live views of running jobs, for progress lines and dashboards.
 *
 * A runner announces each job it starts as a `MonitoredJob`: the pipeline's graph (the user's
 * step names, composites included) and a `snapshot()` of per-step progress that callers poll.
 * The command line (`definePipeline(...).main()`) watches for jobs to draw terminal progress and
 * serve the `--dashboard`; code can do the same with `watchJobs`.
 */
import type { BoundedTrieResult, DistributionResult, GaugeResult, MetricResult, StringSetResult } from "./metrics";
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
  /** Ids of the PCollections it reads as main inputs. */
  readonly inputs: readonly string[];
  /** Ids of the PCollections it reads as side inputs. */
  readonly sideInputs: readonly string[];
  /** Ids of the PCollections it writes. */
  readonly outputs: readonly string[];
}

/** A PCollection between steps. */
export interface PCollectionNode {
  /** The PCollection's id (what `StepNode.inputs` and `outputs` list). */
  readonly id: string;
  /** Full name of the primitive or composite that produces it. */
  readonly producer: string;
  /** False for unbounded PCollections (streaming sources). */
  readonly bounded: boolean;
}

/** The shape of a job: its steps (parents before children) and PCollections. */
export interface JobGraph {
  /** Every application, parents before children. */
  readonly steps: readonly StepNode[];
  /** Every PCollection a primitive step produces. */
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
  /** Severity (lines a program writes to stderr that announce a problem count as WARN). */
  readonly level: "DEBUG" | "INFO" | "WARN" | "ERROR";
  /** Full name of the step that wrote it, when known. */
  readonly step?: string;
  /** The line's text. */
  readonly message: string;
}

/** Log lines of a job from some point on. */
export interface LogPage {
  /** The lines, oldest first. */
  readonly entries: readonly LogEntry[];
  /** The sequence number of the last line kept (pass it as `after` to get only newer lines). */
  readonly last: number;
}

/** The metrics of a job so far. */
export interface MetricsSnapshot {
  /** Counters, per step. */
  readonly counters: readonly MetricResult<number>[];
  /** Distributions, per step. */
  readonly distributions: readonly MetricResult<DistributionResult>[];
  /** Gauges, per step. */
  readonly gauges: readonly MetricResult<GaugeResult>[];
  /** String sets, per step (each value the set's strings, sorted). */
  readonly stringSets: readonly MetricResult<StringSetResult>[];
  /** Bounded tries, per step (each value the trie's paths, sorted). */
  readonly boundedTries: readonly MetricResult<BoundedTrieResult>[];
}

/** Everything a progress view shows about a job at one instant. */
export interface JobSnapshot {
  /** The program's name (or the job name for pipelines built by hand). */
  readonly jobName: string;
  /** Name of the runner (`DirectRunner`, `PortableRunner`, `DataflowRunner`). */
  readonly runner: string;
  /** The job's state at `at`. */
  readonly state: PipelineState;
  /** Whether the job runs in streaming mode (watermarks and lag apply). */
  readonly streaming: boolean;
  /** When the job started (ms since the epoch). */
  readonly startedAt: number;
  /** When this snapshot was taken (ms since the epoch). */
  readonly at: number;
  /** Progress per step full name (primitives and composites). */
  readonly steps: Readonly<Record<string, StepProgress>>;
  /** The job's metrics so far. */
  readonly metrics: MetricsSnapshot;
  /** The error message of a failed job. */
  readonly error?: string;
}

/** A job whose progress can be watched while it runs. */
export interface MonitoredJob {
  /** The program's name (or the job name for pipelines built by hand). */
  readonly jobName: string;
  /** Name of the runner (`DirectRunner`, `PortableRunner`, `DataflowRunner`). */
  readonly runner: string;
  /** The pipeline's steps and PCollections. */
  readonly graph: JobGraph;
  /** Progress so far (cheap enough to call every few hundred milliseconds). */
  snapshot(): JobSnapshot;
  /** Log lines with a sequence number greater than `after` (all kept lines when absent). */
  logs(after?: number): LogPage;
  /** Stops the job at once. */
  cancel(): Promise<void>;
  /** Streaming jobs: stops reading and finishes what was read. Absent for batch jobs. */
  drain?(): Promise<void>;
  /** Settles when the job reaches a final state. */
  readonly finished: Promise<PipelineState>;
}

/** Called with each job a runner in this process starts. */
export type JobListener = (job: MonitoredJob) => void;
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
