/**
 * DataflowRunner: submits straight to Google Cloud Dataflow (Runner v2), no Python or Java.
 *
 *     node dist/pipelines/wordcount.js --runner DataflowRunner --project P --region us-central1 \
 *       --temp_location gs://BUCKET/tmp --sdk_container_image REGION-docker.pkg.dev/P/REPO/beamline-worker:TAG \
 *       --input gs://dataflow-samples/shakespeare/kinglear.txt --output gs://BUCKET/out/counts
 *
 * Validates options, stages the proto and the program to GCS, creates the job, prints the
 * console URL, then follows its state and messages until it ends.
 */
import { randomUUID } from "node:crypto";
import { Storage } from "@google-cloud/storage";
import type { AuthClient } from "google-auth-library";
import { PipelineError } from "../../lib/model/errors";
import { MetricResults } from "../../lib/model/metrics";
import type { Pipeline } from "../../lib/model/pipeline";
import type { PipelineResult, PipelineState } from "../../lib/model/result";
import type { PipelineRunner } from "../../lib/model/runner_registry";
import { TEST_STREAM_URN } from "../../lib/testing/test_stream";
import { fileArtifact } from "../portable/artifacts";
import { dockerEnvironment, sdkCapabilities } from "../portable/environments";
import { flatOptions } from "../portable/pipeline_options";
import { translatePipeline } from "../portable/translate";
import { consoleUrl, DataflowClient, DataflowMessage, TERMINAL_JOB_STATES } from "./client";
import { jobBody, stageToGcs } from "./job";
import { dataflowOptions } from "./options";

export interface DataflowRunnerOptions {
  readonly log?: (line: string) => void;
  /** Credentials (default: Application Default Credentials). */
  readonly authClient?: AuthClient;
  /** The GCS client (default: one for the project; honours STORAGE_EMULATOR_HOST). */
  readonly storage?: Storage;
  readonly pollIntervalMs?: number;
  readonly cancelOnInterrupt?: boolean;
}

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
    case "JOB_STATE_RUNNING":
      return "RUNNING";
    default:
      return "UNKNOWN";
  }
}

/** A submitted Dataflow job: its id, state while followed, cancel and (streaming) drain. */
export class DataflowResult implements PipelineResult {
  state: PipelineState = "RUNNING";
  error?: Error;
  readonly metrics = new MetricResults(new Map());
  readonly outputs: readonly string[] = [];
  finished: Promise<void> = Promise.resolve();
  constructor(
    readonly jobId: string,
    private readonly client: DataflowClient,
  ) {}
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

export class DataflowRunner implements PipelineRunner {
  constructor(private readonly runnerOptions: DataflowRunnerOptions = {}) {}

  private log(line: string): void {
    (this.runnerOptions.log ?? ((l: string) => process.stderr.write(`${l}\n`)))(line);
  }

  async run(pipeline: Pipeline): Promise<DataflowResult> {
    const o = dataflowOptions(pipeline.options);
    const program = pipeline.program;
    if (program === undefined) {
      throw new PipelineError("DataflowRunner runs pipelines built by a definePipeline() program: Dataflow workers rebuild the graph by re-running it.");
    }
    const streaming = this.streamingMode(pipeline, o.streaming);
    const fingerprint = pipeline.fingerprint();
    const runId = randomUUID();
    const env = dockerEnvironment(o.sdkContainerImage, [fileArtifact(program.modulePath, "pipeline_module.js")]);
    // Streaming jobs write Pub/Sub with Dataflow's native sink (it alone can checkpoint with its reads).
    const { proto } = translatePipeline(pipeline, env, { nativePubSubWrite: streaming });
    const storage = this.runnerOptions.storage ?? new Storage({ projectId: o.project });
    const stagingId = `${o.jobName}-${runId.slice(0, 8)}`;
    const staged = await stageToGcs(storage, proto, o, stagingId);
    this.log(`DataflowRunner: staged the pipeline to ${staged.pipelineUrl}`);
    const body = jobBody({ ...o, streaming }, staged, { ...flatOptions(pipeline.options, program, fingerprint, runId), streaming }, sdkCapabilities());
    const client = new DataflowClient(o.endpoint, o.project, o.region, this.runnerOptions.authClient);
    const job = await client.createJob(body);
    this.log(`DataflowRunner: created job ${job.id}\n  ${consoleUrl(o.project, o.region, job.id)}`);
    const result = new DataflowResult(job.id, client);
    result.finished = this.follow(client, result);
    return result;
  }

  /**
   * Whether to submit a streaming job: `--streaming`, or any unbounded PCollection (Dataflow runs
   * those only in streaming jobs; Beam users ask for exactly this, apache/beam#25264). TestStream
   * is refused: Dataflow cannot replay it.
   */
  private streamingMode(pipeline: Pipeline, requested: boolean): boolean {
    const nodes = pipeline.transforms();
    const testStream = nodes.find((n) => n.composite?.urn === TEST_STREAM_URN);
    if (testStream !== undefined) {
      throw new PipelineError(
        `'${testStream.fullName}' is a TestStream, which Dataflow cannot run (it replays scripted events for tests). Run this pipeline on the DirectRunner, or read a real source such as ReadFromPubSub.`,
      );
    }
    const unbounded = nodes.find((n) => [...n.outputs.values()].some((pc) => !pc.isBounded));
    if (requested || unbounded === undefined) return requested;
    this.log(`DataflowRunner: '${unbounded.fullName}' is unbounded, so this is a streaming job (as with --streaming)`);
    return true;
  }

  private async follow(client: DataflowClient, result: DataflowResult): Promise<void> {
    const seen = new Set<string>();
    const errors: string[] = [];
    let lastState: string | undefined;
    let startTime: string | undefined;
    const interval = this.runnerOptions.pollIntervalMs ?? 10_000;
    const onSigint = (): void => {
      this.log(`DataflowRunner: cancelling job ${result.jobId}`);
      void result.cancel().finally(() => (process.exitCode = 130));
    };
    if (this.runnerOptions.cancelOnInterrupt !== false) process.once("SIGINT", onSigint);
    const readMessages = async (): Promise<void> => {
      const messages: DataflowMessage[] = await client.messages(result.jobId, startTime);
      for (const m of messages.sort((a, b) => a.time.localeCompare(b.time))) {
        if (seen.has(m.id)) continue;
        seen.add(m.id);
        startTime = m.time;
        if (m.messageImportance === "JOB_MESSAGE_ERROR") errors.push(m.messageText);
        this.log(`DataflowRunner: [${(m.messageImportance ?? "").replace("JOB_MESSAGE_", "")}] ${m.messageText}`);
      }
    };
    try {
      for (;;) {
        const job = await client.getJob(result.jobId);
        await readMessages();
        if (job.currentState !== undefined && job.currentState !== lastState) {
          lastState = job.currentState;
          this.log(`DataflowRunner: job ${result.jobId} is ${job.currentState.replace("JOB_STATE_", "")}`);
        }
        result.state = pipelineState(job.currentState);
        if (job.currentState !== undefined && TERMINAL_JOB_STATES.has(job.currentState)) {
          if (job.currentState === "JOB_STATE_FAILED" || job.currentState === "JOB_STATE_CANCELLED") {
            await readMessages();
            result.error = new PipelineError(`Dataflow job ${result.jobId} ended ${job.currentState}${errors.length > 0 ? `: ${errors.join("\n")}` : ""}`);
          }
          return;
        }
        await new Promise((r) => setTimeout(r, interval));
      }
    } catch (e) {
      result.state = "FAILED";
      result.error = e instanceof Error ? e : new PipelineError(String(e));
    } finally {
      process.removeListener("SIGINT", onSigint);
    }
  }
}
