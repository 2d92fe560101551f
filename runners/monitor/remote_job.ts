/**
 * Live progress of a job running on a remote runner (a Beam portable runner, Dataflow), as far as
 * its API reports it: the runner's own counts and times, polled every few seconds, plus the job's
 * state and messages as the runner follows them.
 */
import { MetricResults } from "../../lib/model/metric_results";
import { announceJob, jobsWatched, type LogEntry } from "../../lib/model/monitoring";
import type { Pipeline } from "../../lib/model/pipeline";
import type { PipelineState } from "../../lib/model/result";
import { LiveJob } from "./live_job";

/** What one poll of the runner's metrics gives, keyed by our PCollection ids and step full names. */
export interface RemoteProgress {
  readonly elements: ReadonlyMap<string, number>;
  readonly msSpent: ReadonlyMap<string, number>;
  readonly metrics: MetricResults;
}

export interface RemoteJobSettings {
  readonly runner: string;
  readonly streaming: boolean;
  state(): PipelineState;
  error(): Error | undefined;
  /** One poll of the runner's metrics (failures are ignored until the next poll). */
  poll(): Promise<RemoteProgress>;
  cancel(): Promise<void>;
  drain?(): Promise<void>;
  readonly pollIntervalMs?: number;
}

/** A job message's importance (Beam's Job API and Dataflow name them alike: JOB_MESSAGE_*) as a log level. */
export function jobMessageLevel(importance: string): LogEntry["level"] {
  if (importance === "JOB_MESSAGE_ERROR") return "ERROR";
  if (importance === "JOB_MESSAGE_WARNING") return "WARN";
  if (importance === "JOB_MESSAGE_DEBUG") return "DEBUG";
  return "INFO";
}

export class RemoteJobMonitor {
  readonly job: LiveJob;
  private last: RemoteProgress = { elements: new Map(), msSpent: new Map(), metrics: new MetricResults(new Map()) };
  private timer: NodeJS.Timeout | undefined;
  private polling: Promise<void> | undefined;

  private constructor(pipeline: Pipeline, private readonly settings: RemoteJobSettings) {
    this.job = new LiveJob(
      pipeline,
      {
        jobName: pipeline.program?.name ?? pipeline.options.jobName,
        runner: settings.runner,
        streaming: settings.streaming,
        state: settings.state,
        error: settings.error,
        metrics: () => this.last.metrics,
        elements: () => this.last.elements,
        msSpent: () => this.last.msSpent,
        cancel: settings.cancel,
        ...(settings.drain !== undefined ? { drain: settings.drain } : {}),
      },
      undefined,
    );
    this.job.capturesConsole = false;
  }

  /** A monitor for this job if anything watches jobs, else undefined. */
  static start(pipeline: Pipeline, settings: RemoteJobSettings): RemoteJobMonitor | undefined {
    if (!jobsWatched()) return undefined;
    const m = new RemoteJobMonitor(pipeline, settings);
    m.timer = setInterval(() => void m.pollOnce(), settings.pollIntervalMs ?? 2000);
    m.timer.unref();
    announceJob(m.job);
    return m;
  }

  private pollOnce(): Promise<void> {
    this.polling ??= this.settings
      .poll()
      .then((p) => void (this.last = p))
      .catch(() => undefined)
      .finally(() => (this.polling = undefined));
    return this.polling;
  }

  /** A message of the job, as a log line. */
  log(level: LogEntry["level"], message: string, step?: string): void {
    this.job.logBuffer.add({ time: Date.now(), level, message, ...(step !== undefined ? { step } : {}) });
  }

  /** The job ended: one last poll, then the final snapshot. */
  async finish(): Promise<void> {
    if (this.timer !== undefined) clearInterval(this.timer);
    // A poll still in flight may predate the end: wait for it, then take the final figures.
    await this.polling;
    await this.pollOnce();
    await this.job.finish();
  }
}
