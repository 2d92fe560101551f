/**
 * A Job API client (BEAM_PORTABILITY.md §2): Prepare (options as `beam:option:<name>:v1`),
 * artifact staging, Run, the state and message streams, Cancel and metrics.
 */
import { RpcClient } from "./grpc";
import { jobApi, jobapi, metricsapi, rapi, structApi } from "./protos";
import type { OptionValue } from "./pipeline_options";
import { stageArtifacts } from "./artifacts";

export type JobStateName = "UNSPECIFIED" | "STOPPED" | "RUNNING" | "DONE" | "FAILED" | "CANCELLED" | "UPDATED" | "DRAINING" | "DRAINED" | "STARTING" | "CANCELLING" | "UPDATING";

export const TERMINAL_STATES: ReadonlySet<JobStateName> = new Set(["DONE", "FAILED", "CANCELLED", "UPDATED", "DRAINED"]);

export function stateName(state: jobapi.JobState_Enum): JobStateName {
  return (jobApi.JobState_Enum[state] ?? "UNSPECIFIED") as JobStateName;
}

export interface JobMessageLine {
  readonly importance: string;
  readonly text: string;
  readonly time: string;
}

export class JobServiceClient {
  private readonly rpc: RpcClient;
  constructor(readonly endpoint: string) {
    this.rpc = new RpcClient(endpoint, jobApi.JobService);
  }

  /** Prepares, stages artifacts (if the runner asks), runs; returns the job id. */
  async submit(pipeline: rapi.Pipeline, options: Readonly<Record<string, OptionValue>>, jobName: string): Promise<{ jobId: string; staged: number }> {
    const request: jobapi.PrepareJobRequest = { pipeline, pipelineOptions: structApi.Struct.fromJson(options as never), jobName };
    jobApi.PrepareJobRequest.toBinary(request); // fail here, not inside gRPC, if it cannot serialise
    const prepared = await this.rpc.unary("Prepare", jobApi.PrepareJobRequest, jobApi.PrepareJobResponse, request, 60_000);
    const url = prepared.artifactStagingEndpoint?.url ?? "";
    const staged = url !== "" ? await stageArtifacts(url, prepared.stagingSessionToken) : 0;
    const run = await this.rpc.unary("Run", jobApi.RunJobRequest, jobApi.RunJobResponse, { preparationId: prepared.preparationId, retrievalToken: "" }, 60_000);
    return { jobId: run.jobId, staged };
  }

  async state(jobId: string): Promise<JobStateName> {
    return stateName((await this.rpc.unary("GetState", jobApi.GetJobStateRequest, jobApi.JobStateEvent, { jobId }, 30_000)).state);
  }

  /** Follows the state stream until a terminal state (resolved with it), or until `signal` aborts (resolved with the last state seen). */
  watchStates(jobId: string, onState: (s: JobStateName) => void, signal?: AbortSignal): Promise<JobStateName> {
    const stream = this.rpc.serverStream("GetStateStream", jobApi.GetJobStateRequest, jobApi.JobStateEvent, { jobId });
    let last: JobStateName = "UNSPECIFIED";
    return new Promise((resolve, reject) => {
      signal?.addEventListener(
        "abort",
        () => {
          resolve(last);
          stream.cancel();
        },
        { once: true },
      );
      stream.on("data", (e: jobapi.JobStateEvent) => {
        const s = stateName(e.state);
        if (s !== last) onState(s);
        last = s;
        if (TERMINAL_STATES.has(s)) {
          stream.cancel();
          resolve(s);
        }
      });
      stream.on("error", (e: Error & { code?: number }) => (TERMINAL_STATES.has(last) ? resolve(last) : reject(e)));
      stream.on("end", () => (TERMINAL_STATES.has(last) ? resolve(last) : this.state(jobId).then(resolve, reject)));
    });
  }

  /** Streams job messages until the stream ends; returns a function that stops it. */
  watchMessages(jobId: string, onMessage: (m: JobMessageLine) => void): () => void {
    const stream = this.rpc.serverStream("GetMessageStream", jobApi.JobMessagesRequest, jobApi.JobMessagesResponse, { jobId });
    stream.on("data", (r: jobapi.JobMessagesResponse) => {
      if (r.response.oneofKind !== "messageResponse") return;
      const m = r.response.messageResponse;
      onMessage({ importance: jobApi.JobMessage_MessageImportance[m.importance] ?? "UNSPECIFIED", text: m.messageText, time: m.time });
    });
    stream.on("error", () => undefined);
    return () => stream.cancel();
  }

  async cancel(jobId: string): Promise<JobStateName> {
    return stateName((await this.rpc.unary("Cancel", jobApi.CancelJobRequest, jobApi.CancelJobResponse, { jobId }, 30_000)).state);
  }

  /**
   * The job's metrics, one value per metric: the committed one where the runner reports it, else
   * the attempted one. The Job API's MetricResults has both lists and "runners may support one or
   * the other or both": Prism reports what finished bundles sent as committed and only in-flight
   * progress as attempted; other job services fill attempted alone.
   */
  async metrics(jobId: string): Promise<metricsapi.MonitoringInfo[]> {
    const r = await this.rpc.unary("GetJobMetrics", jobApi.GetJobMetricsRequest, jobApi.GetJobMetricsResponse, { jobId }, 30_000);
    return preferCommitted(r.metrics?.committed ?? [], r.metrics?.attempted ?? []);
  }

  close(): void {
    this.rpc.close();
  }
}

/** A metric's identity: its URN and labels (a MonitoringInfo's payload is its value). */
function metricIdentity(mi: metricsapi.MonitoringInfo): string {
  return JSON.stringify([mi.urn, Object.entries(mi.labels).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))]);
}

/** Every committed metric, and the attempted ones that have no committed value. */
export function preferCommitted(committed: readonly metricsapi.MonitoringInfo[], attempted: readonly metricsapi.MonitoringInfo[]): metricsapi.MonitoringInfo[] {
  const have = new Set(committed.map(metricIdentity));
  return [...committed, ...attempted.filter((mi) => !have.has(metricIdentity(mi)))];
}
