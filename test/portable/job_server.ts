/**
 * A small Beam Job API server for tests: Prepare, artifact staging (reverse retrieval), Run,
 * GetState/GetStateStream/GetMessageStream, Cancel, GetJobMetrics. Jobs run on mini_runner.ts,
 * which starts the SDK harness through the EXTERNAL environment's worker pool.
 */
import * as grpc from "@grpc/grpc-js";
import { RpcClient, startServer, stopServer } from "../../runners/portable/grpc";
import { artapi, artifactApi, fnApi, jobApi, jobapi, metricsapi, rapi, runnerApi, structApi } from "../../runners/portable/protos";
import { URNS } from "../../runners/portable/urns";
import { FnApiServer } from "../worker/fn_server";
import { executePipeline } from "./mini_runner";

const S = jobApi.JobState_Enum;

export interface Job {
  readonly id: string;
  readonly name: string;
  readonly pipeline: rapi.Pipeline;
  readonly options: Record<string, unknown>;
  readonly artifacts: Map<string, Buffer>;
  state: jobapi.JobState_Enum;
  readonly messages: jobapi.JobMessage[];
  metrics: metricsapi.MonitoringInfo[];
  readonly listeners: Set<() => void>;
  cancelled: boolean;
}

const TERMINAL = new Set([S.DONE, S.FAILED, S.CANCELLED, S.UPDATED, S.DRAINED]);

export class MiniJobServer {
  readonly jobs = new Map<string, Job>();
  /**
   * Which of GetJobMetrics' lists carries the jobs' metrics: runners may report attempted values,
   * committed ones or both (Prism reports what finished bundles sent as committed).
   */
  metricsAs: "attempted" | "committed" = "attempted";
  /** When set, jobs stay RUNNING (after starting their worker) until cancelled. */
  holdJobs = false;
  private readonly prepared = new Map<string, Job>();
  private readonly running: Promise<void>[] = [];
  private constructor(
    private readonly server: grpc.Server,
    readonly url: string,
  ) {}

  static async start(): Promise<MiniJobServer> {
    let self: MiniJobServer | undefined;
    const started = await startServer([
      {
        service: jobApi.JobService,
        impl: {
          Prepare: (call: grpc.ServerUnaryCall<jobapi.PrepareJobRequest, jobapi.PrepareJobResponse>, cb: grpc.sendUnaryData<jobapi.PrepareJobResponse>) => {
            const r = call.request;
            const id = `prep-${self!.prepared.size + 1}`;
            const options = structApi.Struct.toJson(r.pipelineOptions!) as Record<string, unknown>;
            const bad = Object.keys(options).filter((k) => !/^beam:option:[a-z0-9_]+:v1$/.test(k));
            if (bad.length > 0) return cb({ code: grpc.status.INVALID_ARGUMENT, details: `option keys must be beam:option:<name>:v1, got ${bad.join(", ")}` });
            const job: Job = { id: `job-${id}`, name: r.jobName, pipeline: r.pipeline!, options, artifacts: new Map(), state: S.STOPPED, messages: [], metrics: [], listeners: new Set(), cancelled: false };
            self!.prepared.set(id, job);
            cb(null, { preparationId: id, artifactStagingEndpoint: { url: self!.url, authentication: undefined }, stagingSessionToken: id });
          },
          Run: (call: grpc.ServerUnaryCall<jobapi.RunJobRequest, jobapi.RunJobResponse>, cb: grpc.sendUnaryData<jobapi.RunJobResponse>) => {
            const job = self!.prepared.get(call.request.preparationId);
            if (job === undefined) return cb({ code: grpc.status.NOT_FOUND, details: "unknown preparation" });
            self!.prepared.delete(call.request.preparationId);
            self!.jobs.set(job.id, job);
            self!.setState(job, S.STARTING);
            self!.running.push(self!.execute(job));
            cb(null, { jobId: job.id });
          },
          GetState: (call: grpc.ServerUnaryCall<jobapi.GetJobStateRequest, jobapi.JobStateEvent>, cb: grpc.sendUnaryData<jobapi.JobStateEvent>) => {
            const job = self!.jobs.get(call.request.jobId);
            if (job === undefined) return cb({ code: grpc.status.NOT_FOUND, details: "unknown job" });
            cb(null, { state: job.state, timestamp: undefined });
          },
          GetStateStream: (call: grpc.ServerWritableStream<jobapi.GetJobStateRequest, jobapi.JobStateEvent>) => {
            const job = self!.jobs.get(call.request.jobId);
            if (job === undefined) return call.destroy(Object.assign(new Error("unknown job"), { code: grpc.status.NOT_FOUND }));
            let last: number | undefined;
            const push = (): void => {
              if (job.state !== last) call.write({ state: job.state, timestamp: undefined });
              last = job.state;
              if (TERMINAL.has(job.state)) {
                job.listeners.delete(push);
                call.end();
              }
            };
            job.listeners.add(push);
            call.on("cancelled", () => job.listeners.delete(push));
            push();
          },
          GetMessageStream: (call: grpc.ServerWritableStream<jobapi.JobMessagesRequest, jobapi.JobMessagesResponse>) => {
            const job = self!.jobs.get(call.request.jobId);
            if (job === undefined) return call.destroy(Object.assign(new Error("unknown job"), { code: grpc.status.NOT_FOUND }));
            let sent = 0;
            const push = (): void => {
              for (; sent < job.messages.length; sent++) call.write({ response: { oneofKind: "messageResponse", messageResponse: job.messages[sent]! } });
              call.write({ response: { oneofKind: "stateResponse", stateResponse: { state: job.state, timestamp: undefined } } });
              if (TERMINAL.has(job.state)) {
                job.listeners.delete(push);
                call.end();
              }
            };
            job.listeners.add(push);
            call.on("cancelled", () => job.listeners.delete(push));
            push();
          },
          Cancel: (call: grpc.ServerUnaryCall<jobapi.CancelJobRequest, jobapi.CancelJobResponse>, cb: grpc.sendUnaryData<jobapi.CancelJobResponse>) => {
            const job = self!.jobs.get(call.request.jobId);
            if (job === undefined) return cb({ code: grpc.status.NOT_FOUND, details: "unknown job" });
            job.cancelled = true;
            if (!TERMINAL.has(job.state)) self!.setState(job, S.CANCELLING);
            cb(null, { state: job.state });
          },
          GetJobMetrics: (call: grpc.ServerUnaryCall<jobapi.GetJobMetricsRequest, jobapi.GetJobMetricsResponse>, cb: grpc.sendUnaryData<jobapi.GetJobMetricsResponse>) => {
            const job = self!.jobs.get(call.request.jobId);
            const metrics = job?.metrics ?? [];
            cb(null, { metrics: self!.metricsAs === "attempted" ? { attempted: metrics, committed: [] } : { attempted: [], committed: metrics } });
          },
        },
      },
      {
        service: artifactApi.ArtifactStagingService,
        impl: { ReverseArtifactRetrievalService: (call: grpc.ServerDuplexStream<artapi.ArtifactResponseWrapper, artapi.ArtifactRequestWrapper>) => self!.stage(call) },
      },
    ]);
    self = new MiniJobServer(started.server, started.url);
    return self;
  }

  /** Asks the client for every dependency of every environment: resolve, then get each. */
  private stage(call: grpc.ServerDuplexStream<artapi.ArtifactResponseWrapper, artapi.ArtifactRequestWrapper>): void {
    const responses: artapi.ArtifactResponseWrapper[] = [];
    let wake: (() => void) | undefined;
    call.on("data", (r: artapi.ArtifactResponseWrapper) => {
      responses.push(r);
      wake?.();
    });
    const next = async (): Promise<artapi.ArtifactResponseWrapper> => {
      while (responses.length === 0) await new Promise<void>((r) => (wake = r));
      return responses.shift()!;
    };
    void (async () => {
      const token = (await next()).stagingToken;
      const job = this.prepared.get(token);
      if (job === undefined) return call.destroy(new Error("unknown staging token"));
      for (const env of Object.values(job.pipeline.components!.environments)) {
        call.write({ request: { oneofKind: "resolveArtifact", resolveArtifact: { artifacts: env.dependencies, preferredUrns: [] } } });
        const resolved = await next();
        if (resolved.response.oneofKind !== "resolveArtifactResponse") return call.destroy(new Error("expected a resolve response"));
        for (const a of resolved.response.resolveArtifactResponse.replacements) {
          call.write({ request: { oneofKind: "getArtifact", getArtifact: { artifact: a } } });
          const chunks: Buffer[] = [];
          for (;;) {
            const r = await next();
            if (r.response.oneofKind === "getArtifactResponse") chunks.push(Buffer.from(r.response.getArtifactResponse.data));
            if (r.isLast) break;
          }
          const name = runnerApi.ArtifactStagingToRolePayload.fromBinary(a.rolePayload).stagedName;
          job.artifacts.set(name, Buffer.concat(chunks));
        }
      }
      call.end();
    })();
  }

  private setState(job: Job, state: jobapi.JobState_Enum): void {
    job.state = state;
    for (const l of [...job.listeners]) l();
  }

  private message(job: Job, importance: jobapi.JobMessage_MessageImportance, text: string): void {
    job.messages.push({ messageId: String(job.messages.length), time: new Date().toISOString(), importance, messageText: text });
    for (const l of [...job.listeners]) l();
  }

  private async execute(job: Job): Promise<void> {
    const fn = await FnApiServer.start();
    const env = job.pipeline.components!.environments["beamline"]!;
    const workerId = `${job.id}-worker-1`;
    let pool: RpcClient | undefined;
    try {
      this.setState(job, S.RUNNING);
      if (env.urn !== URNS.envExternal) throw new Error(`this test runner starts workers only for EXTERNAL environments, got ${env.urn}`);
      const endpoint = runnerApi.ExternalPayload.fromBinary(env.payload).endpoint!.url;
      pool = new RpcClient(endpoint, fnApi.BeamFnExternalWorkerPool);
      const started = await pool.unary("StartWorker", fnApi.StartWorkerRequest, fnApi.StartWorkerResponse, {
        workerId,
        controlEndpoint: { url: fn.url, authentication: undefined },
        loggingEndpoint: { url: fn.url, authentication: undefined },
        artifactEndpoint: undefined,
        provisionEndpoint: undefined,
        params: {},
      });
      if (started.error !== "") throw new Error(`StartWorker failed: ${started.error}`);
      while (this.holdJobs && !job.cancelled) await new Promise((r) => setTimeout(r, 20));
      const report = await executePipeline(job.pipeline, fn, (t) => this.message(job, jobApi.JobMessage_MessageImportance.JOB_MESSAGE_DETAILED, t), () => job.cancelled);
      job.metrics = report.metrics;
      this.message(job, jobApi.JobMessage_MessageImportance.JOB_MESSAGE_BASIC, `ran ${report.bundles} bundles`);
      this.setState(job, S.DONE);
    } catch (e) {
      if (job.cancelled) this.setState(job, S.CANCELLED);
      else {
        this.message(job, jobApi.JobMessage_MessageImportance.JOB_MESSAGE_ERROR, (e as Error).message);
        this.setState(job, S.FAILED);
      }
    } finally {
      await pool?.unary("StopWorker", fnApi.StopWorkerRequest, fnApi.StopWorkerResponse, { workerId }).catch(() => undefined);
      pool?.close();
      await fn.stop();
    }
  }

  async stop(): Promise<void> {
    await Promise.allSettled(this.running);
    await stopServer(this.server);
  }
}
