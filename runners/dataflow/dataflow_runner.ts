/**
 * DataflowRunner: submits straight to Google Cloud Dataflow (Runner v2), no Python or Java.
 *
 *     node dist/pipelines/wordcount.js --runner DataflowRunner --project P --region us-central1 \
 *       --temp_location gs://BUCKET/tmp --sdk_container_image REGION-docker.pkg.dev/P/REPO/beamline-worker:TAG \
 *       --input gs://dataflow-samples/shakespeare/kinglear.txt --output gs://BUCKET/out/counts
 *
 * Validates options, stages the proto and the program to GCS, creates the job, prints the
 * console URL, then follows its state and messages until it ends (or Ctrl-C detaches; see
 * runners/interrupt.ts). `--async` returns right after creating the job.
 */
import { randomUUID } from "node:crypto";
import { Storage } from "@google-cloud/storage";
import type { AuthClient } from "google-auth-library";
import { PipelineConstructionError, PipelineError } from "../../lib/model/errors";
import { declaredStateAndTimers } from "../../lib/model/state";
import type { PipelineOptions } from "../../lib/model/options";
import type { Pipeline } from "../../lib/model/pipeline";
import type { PipelineRunner } from "../../lib/model/runner_registry";
import { TEST_STREAM_URN } from "../../lib/testing/test_stream";
import { interruptAction, InterruptOptions } from "../interrupt";
import { dockerEnvironment, sdkCapabilities } from "../portable/environments";
import { flatOptions } from "../portable/pipeline_options";
import { translatePipeline } from "../portable/translate";
import { consoleUrl, DataflowClient, DataflowJob, newClientRequestId, RetryPolicy } from "./client";
import { DataflowResult, followJob, stopCommands } from "./follow";
import { jobBody, stageToGcs } from "./job";
import { dataflowNames, progressFromDataflowMetrics } from "./job_progress";
import { jobMessageLevel, RemoteJobMonitor } from "../monitor/remote_job";
import { DataflowOptions, dataflowOptions, JOB_NAME, suggestJobName, validateForJobType } from "./options";

export { DataflowResult } from "./follow";

/** Settings of a DataflowRunner made in code (`new DataflowRunner({ ... })`); job settings come from the pipeline options. */
export interface DataflowRunnerOptions extends InterruptOptions {
  /** Where progress lines go (stderr by default). */
  readonly log?: (line: string) => void;
  /** Credentials (default: Application Default Credentials). */
  readonly authClient?: AuthClient;
  /** The GCS client (default: one for the project; honours STORAGE_EMULATOR_HOST). */
  readonly storage?: Storage;
  /** How often the job's state and messages are polled (default 10 s). */
  readonly pollIntervalMs?: number;
  /** Backoff of retried API calls (default client.DEFAULT_RETRY). */
  readonly retry?: Partial<RetryPolicy>;
}

export class DataflowRunner implements PipelineRunner {
  constructor(private readonly runnerOptions: DataflowRunnerOptions = {}) {}

  private log(line: string): void {
    (this.runnerOptions.log ?? ((l: string) => process.stderr.write(`${l}\n`)))(line);
  }

  async run(pipeline: Pipeline): Promise<DataflowResult> {
    const program = pipeline.program;
    const pipelineOptions = this.withDefaultJobName(pipeline.options, program?.name);
    const o = dataflowOptions(pipelineOptions);
    for (const w of o.warnings) this.log(`DataflowRunner: warning: ${w}`);
    if (program === undefined) {
      throw new PipelineError("DataflowRunner runs pipelines built by a definePipeline() program: Dataflow workers rebuild the graph by re-running it.");
    }
    const streaming = this.streamingMode(pipeline, o.streaming);
    validateForJobType(o, streaming);
    refuseUnsupportedState(pipeline);
    const client = new DataflowClient(o.endpoint, o.project, o.region, this.runnerOptions.authClient, { retry: this.runnerOptions.retry, log: (l) => this.log(l) });
    const replaceJobId = o.update ? await this.jobToReplace(client, o) : undefined;

    const fingerprint = pipeline.fingerprint();
    const runId = randomUUID();
    // No packages: workers run the program built into the image (--sdk_container_image), never a staged copy.
    const env = dockerEnvironment(o.sdkContainerImage);
    // Streaming jobs write Pub/Sub with Dataflow's native sink (it alone can checkpoint with its reads).
    const translation = translatePipeline(pipeline, env, { nativePubSubWrite: streaming });
    const { proto } = translation;
    const storage = this.runnerOptions.storage ?? new Storage({ projectId: o.project });
    const staged = await stageToGcs(storage, proto, o, `${o.jobName}-${runId.slice(0, 8)}`);
    this.log(`DataflowRunner: staged the pipeline to ${staged.pipelineUrl}`);
    const clientRequestId = newClientRequestId();
    const body = jobBody({ ...o, streaming }, staged, { ...flatOptions(pipelineOptions, program, fingerprint, runId), streaming }, sdkCapabilities(), { clientRequestId, replaceJobId });
    const job = await client.createJob(body);
    this.checkCreated(job, clientRequestId, o, replaceJobId);
    this.log(`DataflowRunner: created job ${job.id}${replaceJobId !== undefined ? ` (replacing ${replaceJobId})` : ""}\n  ${consoleUrl(o.project, o.region, job.id)}`);
    const names = dataflowNames(pipeline, translation);
    const result = new DataflowResult(job.id, client, names);
    if (o.async) {
      result.setState(job.currentState);
      this.log(`DataflowRunner: --async: not following job ${job.id}; it runs on Dataflow until it ends or is stopped:\n${stopCommands(o, job.id, streaming)}`);
      return result;
    }
    const action = interruptAction(this.runnerOptions, o.cancelOnInterrupt);
    const pollIntervalMs = this.runnerOptions.pollIntervalMs ?? 10_000;
    // Live progress for --dashboard and the terminal, as far as jobs/{id}/metrics reports it.
    const monitor = RemoteJobMonitor.start(pipeline, {
      runner: "DataflowRunner",
      streaming,
      state: () => result.state,
      error: () => result.error,
      poll: async () => {
        const progress = progressFromDataflowMetrics(await client.metrics(job.id), names);
        result.metrics = progress.metrics;
        return progress;
      },
      cancel: () => result.cancel(),
      ...(streaming ? { drain: () => result.drain() } : {}),
      pollIntervalMs: Math.min(pollIntervalMs, 5_000),
    });
    const message = (importance: string, text: string): void => monitor?.log(jobMessageLevel(importance), text);
    result.finished = followJob(client, result, { options: o, streaming, action, pollIntervalMs, log: (l) => this.log(l), message }).finally(() => monitor?.finish());
    return result;
  }

  /**
   * A program's runs are named after the program unless --job_name is given. A program name
   * Dataflow does not accept as a job name (e.g. with '_') gets a valid, timestamped one instead;
   * a --job_name the user chose is never rewritten (dataflowOptions refuses an invalid one).
   */
  private withDefaultJobName(options: PipelineOptions, programName: string | undefined): PipelineOptions {
    if (programName === undefined || options.jobName !== programName || JOB_NAME.test(programName)) return options;
    const stamp = new Date().toISOString().replace(/[-:T]/g, "").slice(0, 14);
    const jobName = `${suggestJobName(programName)}-${stamp}`;
    this.log(`DataflowRunner: the program's name '${programName}' is not a valid Dataflow job name; this job is named '${jobName}' (set one with --job_name)`);
    return { ...options, jobName };
  }

  /** --update: the running job of this name, as Beam's clients look it up (replaceJobId). */
  private async jobToReplace(client: DataflowClient, o: DataflowOptions): Promise<string> {
    const running = await client.activeJobNamed(o.jobName);
    if (running === undefined) {
      throw new PipelineError(
        `--update: no active job named '${o.jobName}' in ${o.region} to replace. --update replaces a running streaming job with this pipeline: ` +
          `pass that job's name with --job_name (list them with: gcloud dataflow jobs list --region ${o.region} --status active), or drop --update to start a new job.`,
      );
    }
    this.log(`DataflowRunner: --update replaces job ${running.id} ('${o.jobName}', ${running.currentState ?? "state unknown"})`);
    return running.id;
  }

  /**
   * Dataflow answers a create for a name that an active job already has with that job, so a
   * different clientRequestId in the response means this submission created nothing
   * (Beam Python's DataflowJobAlreadyExistsError). A retried create that had succeeded returns
   * our own id and is fine.
   */
  private checkCreated(job: DataflowJob, clientRequestId: string, o: DataflowOptions, replaceJobId: string | undefined): void {
    if (job.clientRequestId === undefined || job.clientRequestId === "" || job.clientRequestId === clientRequestId) return;
    if (replaceJobId !== undefined) {
      throw new PipelineError(`Job '${o.jobName}' (${replaceJobId}) has already been updated into job ${job.id} by another submission and cannot be updated again; nothing was submitted.`);
    }
    throw new PipelineError(
      `A job named '${o.jobName}' is already running in ${o.region} (id ${job.id}, ${job.currentState ?? "state unknown"}); Dataflow allows one active job per name, so nothing was submitted. ` +
        `To replace that streaming job with this pipeline, add --update; to run both, choose another --job_name; or stop it first:\n${stopCommands(o, job.id, job.type === "JOB_TYPE_STREAMING")}`,
    );
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
}

/**
 * Dataflow (Runner v2, which runs every non-Java SDK) does not serve ordered list state
 * (apache/beam#20666) nor sort a portable pipeline's input (requiresTimeSortedInput): refused
 * before anything is staged, naming the step.
 */
function refuseUnsupportedState(pipeline: Pipeline): void {
  for (const node of pipeline.transforms()) {
    if (node.primitive?.kind !== "pardo") continue;
    if ((node.primitive.doFn as { requiresTimeSortedInput?: unknown } | undefined)?.requiresTimeSortedInput === true) {
      // Beam Java's DataflowRunner refuses it in streaming, and sorts a batch job's input with a
      // Java-side override (BatchStatefulParDoOverrides) that a portable SDK's pipeline does not get.
      throw new PipelineConstructionError(
        `This stateful DoFn sets requiresTimeSortedInput, which Dataflow does not honour for Beamline pipelines (Beam sorts on Dataflow only for Java batch jobs); ` +
          `keep the elements in state and order them yourself (e.g. flush a buffer from an event-time timer), or run on the DirectRunner or Prism`,
        node.fullName,
      );
    }
    const ordered = declaredStateAndTimers(node.primitive.doFn, node.fullName).states.find((s) => s.kind === "orderedList");
    if (ordered !== undefined) {
      throw new PipelineConstructionError(
        `This stateful DoFn declares OrderedListState '${ordered.name}', which Dataflow does not support (Runner v2 has no ordered list state, apache/beam#20666); ` +
          `keep the values in a BagState or ValueState and sort them when read, or run on Prism or the Beam Python runner`,
        node.fullName,
      );
    }
  }
}
