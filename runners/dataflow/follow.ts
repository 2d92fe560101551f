/**
 * Following a submitted Dataflow job: its state and messages until it ends, what Ctrl-C does
 * meanwhile, and the commands that stop a job this process no longer follows.
 *
 * A poll that still fails after the client's retries does not make the job FAILED: the job runs
 * on Dataflow whatever happens to this process's connection, so the result says UNKNOWN and how
 * to look the job up.
 */
import { setTimeout as sleep } from "node:timers/promises";
import { PipelineError } from "../../lib/model/errors";
import { MetricResults } from "../../lib/model/metric_results";
import type { PipelineResult, PipelineState } from "../../lib/model/result";
import { InterruptAction, onFirstInterrupt } from "../interrupt";
import { DataflowClient, DataflowMessage, TERMINAL_JOB_STATES } from "./client";
import { progressFromDataflowMetrics, type DataflowNames } from "./job_progress";
import { DEFAULT_DATAFLOW_ENDPOINT, DataflowOptions } from "./options";

function pipelineState(s: string | undefined): PipelineState {
  switch (s) {
    case "JOB_STATE_DONE":
    case "JOB_STATE_UPDATED":
      return "DONE";
    case "JOB_STATE_FAILED":
      return "FAILED";
    case "JOB_STATE_CANCELLED":
      return "CANCELLED";
    case "JOB_STATE_DRAINING":
      return "DRAINING";
    case "JOB_STATE_DRAINED":
      return "DRAINED";
    // Submitted and not ended: Beam's PENDING/QUEUED have no PipelineState of their own here.
    case "JOB_STATE_RUNNING":
    case "JOB_STATE_PENDING":
    case "JOB_STATE_QUEUED":
      return "RUNNING";
    default:
      return "UNKNOWN";
  }
}

/**
 * A submitted Dataflow job: its id, state while followed, cancel and (streaming) drain, and its
 * user metrics as Dataflow reports them (jobs/{id}/metrics, as Beam Python's DataflowMetrics).
 */
export class DataflowResult implements PipelineResult {
  state: PipelineState = "RUNNING";
  error?: Error;
  /**
   * The job's user counters and distributions per step (Dataflow keeps no gauges), as of the
   * last read: while the runner follows the job, each progress poll; when it ends, a last read.
   * A job run with --async, or one this process detached from, has none until `fetchMetrics()`.
   */
  metrics = new MetricResults(new Map());
  readonly outputs: readonly string[] = [];
  /** Settles when the runner stops following the job (it ended, or the CLI detached). */
  finished: Promise<void> = Promise.resolve();
  constructor(
    /** The Dataflow job id. */
    readonly jobId: string,
    private readonly client: DataflowClient,
    /** How the metrics' step names map back to the pipeline's full names. */
    private readonly names: DataflowNames = { steps: new Map(), pcollections: new Map() },
  ) {}
  /**
   * Reads the job's metrics from Dataflow now, into `metrics`: the tentative (attempted) value of
   * each where there is one, else the committed one, as Beam Python's DataflowMetrics.
   */
  async fetchMetrics(signal?: AbortSignal): Promise<MetricResults> {
    this.metrics = progressFromDataflowMetrics(await this.client.metrics(this.jobId, signal), this.names).metrics;
    return this.metrics;
  }
  /** @internal Records a Dataflow job state (`JOB_STATE_...`) as a PipelineState. */
  setState(dataflowState: string | undefined): void {
    this.state = pipelineState(dataflowState);
  }
  async waitUntilFinish(): Promise<PipelineState> {
    await this.finished;
    if (this.error !== undefined) throw this.error;
    return this.state;
  }
  async cancel(): Promise<void> {
    await this.client.updateState(this.jobId, "JOB_STATE_CANCELLED");
  }
  /** Streaming jobs: stop reading, finish what was read, then end (JOB_STATE_DRAINED). */
  async drain(): Promise<void> {
    await this.client.updateState(this.jobId, "JOB_STATE_DRAINING");
  }
}

/** The commands that drain (streaming) or cancel a job, and its console page. */
export function stopCommands(o: Pick<DataflowOptions, "project" | "region" | "endpoint">, jobId: string, streaming: boolean): string {
  const cli = "npx beamline dataflow";
  const args = `${jobId} --project ${o.project} --region ${o.region}${o.endpoint !== DEFAULT_DATAFLOW_ENDPOINT ? ` --dataflow_endpoint ${o.endpoint}` : ""}`;
  const lines = [
    ...(streaming ? [`  drain (finish what was read, then stop): ${cli} drain ${args}`] : []),
    `  cancel (stop now):                       ${cli} cancel ${args}`,
    `  state:                                   ${cli} status ${args}`,
    `  (or gcloud dataflow jobs ${streaming ? "drain|" : ""}cancel ${jobId} --project ${o.project} --region ${o.region})`,
  ];
  return lines.join("\n");
}

export interface FollowSettings {
  readonly options: DataflowOptions;
  readonly streaming: boolean;
  readonly action: InterruptAction;
  readonly pollIntervalMs: number;
  readonly log: (line: string) => void;
  /** Each new job message (the live job's log lines). */
  readonly message?: (importance: string, text: string) => void;
}

/** Follows the job until it ends, Ctrl-C detaches, or Dataflow cannot be reached even after retries. */
export async function followJob(client: DataflowClient, result: DataflowResult, s: FollowSettings): Promise<void> {
  const { jobId } = result;
  const seen = new Set<string>();
  const errors: string[] = [];
  let lastState: string | undefined;
  let startTime: string | undefined;
  const detach = new AbortController();
  const stopWatching = onFirstInterrupt(s.action, () => {
    if (s.action === "cancel") {
      s.log(`DataflowRunner: Ctrl-C: cancelling job ${jobId} (--cancel_on_interrupt); Ctrl-C again to stop waiting`);
      result.cancel().catch((e: Error) => s.log(`DataflowRunner: cancelling job ${jobId} failed: ${e.message}`));
    } else {
      detach.abort();
    }
  });
  const readMessages = async (): Promise<void> => {
    let messages: DataflowMessage[];
    try {
      messages = await client.messages(jobId, startTime, detach.signal);
    } catch (e) {
      if (detach.signal.aborted) throw e;
      // Messages are informative; the state poll decides whether Dataflow is reachable.
      s.log(`DataflowRunner: could not list the messages of job ${jobId} (will try again): ${(e as Error).message}`);
      return;
    }
    for (const m of messages.sort((a, b) => a.time.localeCompare(b.time))) {
      if (seen.has(m.id)) continue;
      seen.add(m.id);
      startTime = m.time;
      if (m.messageImportance === "JOB_MESSAGE_ERROR") errors.push(m.messageText);
      s.message?.(m.messageImportance ?? "", m.messageText);
      s.log(`DataflowRunner: [${(m.messageImportance ?? "").replace("JOB_MESSAGE_", "")}] ${m.messageText}`);
    }
  };
  try {
    for (;;) {
      const job = await client.getJob(jobId, { signal: detach.signal, justCreated: true });
      await readMessages();
      if (job.currentState !== undefined && job.currentState !== lastState) {
        lastState = job.currentState;
        s.log(`DataflowRunner: job ${jobId} is ${job.currentState.replace("JOB_STATE_", "")}`);
      }
      if (job.currentState !== undefined && TERMINAL_JOB_STATES.has(job.currentState)) {
        // The metrics' final values, read before the state says the job ended, so a caller who
        // waited for the end finds them (a failed read keeps the last poll's, and says so).
        await result.fetchMetrics(detach.signal).catch((e: Error) => {
          if (detach.signal.aborted) throw e;
          s.log(`DataflowRunner: could not read the final metrics of job ${jobId}; result.metrics holds the last values read (await result.fetchMetrics() to try again): ${e.message}`);
        });
        result.setState(job.currentState);
        if (job.currentState === "JOB_STATE_FAILED" || job.currentState === "JOB_STATE_CANCELLED") {
          await readMessages();
          result.error = new PipelineError(`Dataflow job ${jobId} ended ${job.currentState}${errors.length > 0 ? `: ${errors.join("\n")}` : ""}`);
        }
        return;
      }
      result.setState(job.currentState);
      await sleep(s.pollIntervalMs, undefined, { signal: detach.signal });
    }
  } catch (e) {
    if (detach.signal.aborted) {
      s.log(`DataflowRunner: Ctrl-C: detached from job ${jobId}, which keeps running on Dataflow (--cancel_on_interrupt makes Ctrl-C cancel it). To stop it:\n${stopCommands(s.options, jobId, s.streaming)}`);
      return;
    }
    result.state = "UNKNOWN";
    result.error = new PipelineError(
      `Lost contact with Dataflow while following job ${jobId} (last state ${lastState ?? "unknown"}): ${(e as Error).message}\n` +
        `The job itself may still be running; look it up with:\n${stopCommands(s.options, jobId, s.streaming)}`,
      { cause: e },
    );
  } finally {
    stopWatching();
  }
}
