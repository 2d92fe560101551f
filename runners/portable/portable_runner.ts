/**
 * PortableRunner: runs a pipeline on any Beam portable runner (Flink, Spark, Prism) through the
 * Job API.
 *
 *     node dist/pipelines/wordcount.js --output out/counts --runner PortableRunner \
 *       --job_endpoint localhost:8099 [--environment_type DOCKER|EXTERNAL|LOOPBACK] \
 *       [--environment_config IMAGE_OR_POOL_ADDRESS] [--describe_to pipeline.json] \
 *       [--async | --cancel_on_interrupt]
 *
 * `--describe_to FILE` (or `-`) writes the translated proto as JSON and submits nothing.
 * `--async` submits and returns; otherwise the job is followed until it ends or Ctrl-C detaches.
 */
import { randomUUID } from "node:crypto";
import { PipelineError } from "../../lib/model/errors";
import { BoundedTrieData } from "../../lib/model/bounded_trie";
import { metricKey, MetricsContainer } from "../../lib/model/metrics";
import { MetricResults } from "../../lib/model/metric_results";
import type { Pipeline } from "../../lib/model/pipeline";
import type { PipelineResult, PipelineState } from "../../lib/model/result";
import type { PipelineRunner } from "../../lib/model/runner_registry";
import { followFlags, interruptAction, InterruptOptions, onFirstInterrupt } from "../interrupt";
import { loadWorkerPipeline } from "../worker/program_loader";
import { WorkerPoolServer } from "../worker/worker_pool";
import { writeDescription } from "./describe";
import { dockerEnvironment, externalEnvironment, parseEnvironmentType } from "./environments";
import { JobServiceClient, JobStateName, TERMINAL_STATES } from "./job_client";
import { flatOptions, jobApiOptions, WorkerProgram } from "./pipeline_options";
import type { metricsapi } from "./protos";
import { translatePipeline } from "./translate";
import { decodeMetric } from "../worker/monitoring";
import { jobMessageLevel, RemoteJobMonitor } from "../monitor/remote_job";
import { progressFromMonitoringInfos, protoNames } from "./job_progress";

/**
 * Ctrl-C while following a job (runners/interrupt.ts): the job runs on the cluster, so Ctrl-C
 * detaches and prints how to cancel it, or cancels it with --cancel_on_interrupt. LOOPBACK is
 * the exception: its workers live in this process and stop with it, so Ctrl-C cancels the job.
 */
export interface PortableRunnerOptions extends InterruptOptions {
  /** Where progress lines go (stderr by default). */
  readonly log?: (line: string) => void;
}

function toPipelineState(s: JobStateName): PipelineState {
  switch (s) {
    case "DONE":
    case "FAILED":
    case "CANCELLED":
    case "DRAINING":
    case "DRAINED":
    case "RUNNING":
      return s;
    case "UPDATED":
      return "DONE";
    default:
      return "UNKNOWN";
  }
}

/** User metrics of a job, by step (unique name). */
export function metricResultsFrom(infos: readonly metricsapi.MonitoringInfo[], stepNames: ReadonlyMap<string, string>): MetricResults {
  const containers = new Map<string, MetricsContainer>();
  for (const mi of infos) {
    if (!mi.urn.startsWith("beam:metric:user:")) continue;
    const m = decodeMetric(mi);
    const step = stepNames.get(m.labels["PTRANSFORM"] ?? "") ?? m.labels["PTRANSFORM"] ?? "";
    let c = containers.get(step);
    if (c === undefined) containers.set(step, (c = new MetricsContainer(step)));
    const key = metricKey(m.labels["NAMESPACE"] ?? "", m.labels["NAME"] ?? "");
    const v = m.value;
    if (typeof v === "number") c.incCounter(key, v);
    else if (v instanceof BoundedTrieData) c.mergeBoundedTrie(key, v);
    else if ("count" in v) c.distributions.set(key, { ...v });
    else if ("latest" in v) {
      // The latest of the step's gauge values (by their timestamps), as Beam's GaugeResult.
      const before = c.gauges.get(key);
      if (before === undefined || v.timestamp >= before.timestamp) c.gauges.set(key, { value: v.latest, timestamp: v.timestamp });
    }
    else c.addToStringSet(key, v);
  }
  return new MetricResults(containers);
}

class PortableResult implements PipelineResult {
  state: PipelineState = "RUNNING";
  error?: Error;
  metrics = new MetricResults(new Map());
  readonly outputs: readonly string[] = [];
  constructor(
    private readonly finished: Promise<void>,
    private readonly cancelJob: () => Promise<void>,
  ) {}
  async waitUntilFinish(): Promise<PipelineState> {
    await this.finished;
    if (this.error !== undefined) throw this.error;
    return this.state;
  }
  cancel(): Promise<void> {
    return this.cancelJob();
  }
  withState(s: PipelineState): this {
    this.state = s;
    return this;
  }
}

export class PortableRunner implements PipelineRunner {
  constructor(private readonly runnerOptions: PortableRunnerOptions = {}) {}

  private log(line: string): void {
    (this.runnerOptions.log ?? ((l: string) => process.stderr.write(`${l}\n`)))(line);
  }

  async run(pipeline: Pipeline): Promise<PipelineResult> {
    const extra = pipeline.options.extra;
    const str = (k: string): string | undefined => (extra[k] === undefined ? undefined : String(extra[k]));
    const envType = parseEnvironmentType(str("environment_type"));
    const describeTo = str("describe_to");
    const endpoint = str("job_endpoint");
    const program = pipeline.program;
    const fingerprint = pipeline.fingerprint();
    const runId = randomUUID();
    // No artifacts: workers run the program built into their image (or this process, LOOPBACK), never a staged copy.

    if (describeTo !== undefined) {
      const env = envType === "DOCKER" ? dockerEnvironment(str("environment_config") ?? str("sdk_container_image")) : externalEnvironment(str("environment_config") ?? "localhost:50000");
      writeDescription(translatePipeline(pipeline, env, { liftCombiners: true, splittableReads: true }).proto, describeTo);
      this.log(`PortableRunner: wrote the pipeline proto to ${describeTo} (dry run, nothing submitted)`);
      return new PortableResult(Promise.resolve(), async () => undefined).withState("DONE");
    }
    if (endpoint === undefined) throw new PipelineError("PortableRunner needs --job_endpoint host:port (the runner's Job API), or --describe_to FILE for a dry run");
    const follow = followFlags(extra);
    if (follow.problems.length > 0) throw new PipelineError(`Invalid PortableRunner options: ${follow.problems.join("; ")}`);
    if (follow.async && envType === "LOOPBACK") {
      throw new PipelineError("--async submits and exits, but LOOPBACK workers run inside this process and would stop with it: use --environment_type DOCKER or EXTERNAL, or drop --async");
    }
    if (program === undefined) {
      throw new PipelineError(
        "PortableRunner runs pipelines built by a definePipeline() program: workers rebuild the graph by re-running the program. " +
          "Wrap the construction in definePipeline({...}) and run it with program.run(flags, options).",
      );
    }
    // Runners such as Flink choose streaming execution from this option: set it for unbounded pipelines.
    const unbounded = pipeline.transforms().some((n) => [...n.outputs.values()].some((pc) => !pc.isBounded));
    const options = { ...flatOptions(pipeline.options, program, fingerprint, runId), ...(unbounded ? { streaming: true } : {}) };
    let pool: WorkerPoolServer | undefined;
    let env;
    if (envType === "LOOPBACK") {
      const wp: WorkerProgram = { program, options: pipeline.options, fingerprint, runId };
      pool = await WorkerPoolServer.start(async () => ({ loadPipeline: () => loadWorkerPipeline(wp), runId }));
      env = externalEnvironment(pool.url);
      this.log(`PortableRunner: LOOPBACK worker pool at ${pool.url}`);
    } else if (envType === "EXTERNAL") {
      const url = str("environment_config");
      if (url === undefined) throw new PipelineError("--environment_type EXTERNAL needs --environment_config host:port of a Beamline worker pool");
      env = externalEnvironment(url);
    } else {
      env = dockerEnvironment(str("environment_config") ?? str("sdk_container_image"));
    }
    const translation = translatePipeline(pipeline, env, { liftCombiners: true, splittableReads: true });
    const stepNames = new Map([...translation.transformIds].map(([name, id]) => [id, name]));
    const client = new JobServiceClient(endpoint);
    let jobId: string;
    try {
      const submitted = await client.submit(translation.proto, jobApiOptions(options), pipeline.options.jobName);
      jobId = submitted.jobId;
      this.log(`PortableRunner: submitted job ${jobId} to ${endpoint} (${submitted.staged} artifact(s) staged)`);
    } catch (e) {
      client.close();
      await pool?.stop();
      throw new PipelineError(`Submitting to the job service at ${endpoint} failed: ${(e as Error).message}`, { cause: e });
    }
    const cancelCommand = `npx beamline portable cancel ${jobId} --job_endpoint ${endpoint}`;
    if (follow.async) {
      client.close();
      this.log(`PortableRunner: --async: not following job ${jobId}; it runs until it ends or is cancelled:\n  ${cancelCommand}`);
      return new PortableResult(Promise.resolve(), async () => {
        const c = new JobServiceClient(endpoint);
        await c.cancel(jobId).finally(() => c.close());
      });
    }
    const errors: string[] = [];
    const cancelJob = async (): Promise<void> => {
      this.log(`PortableRunner: cancelling job ${jobId}`);
      await client.cancel(jobId);
    };
    let result: PortableResult | undefined;
    // Live progress for --dashboard and the terminal, polled from GetJobMetrics (the Job API has no drain).
    const names = protoNames(translation);
    const monitor = RemoteJobMonitor.start(pipeline, {
      runner: "PortableRunner",
      streaming: unbounded,
      state: () => result?.state ?? "RUNNING",
      error: () => result?.error,
      poll: async () => progressFromMonitoringInfos(await client.metrics(jobId), names),
      cancel: cancelJob,
    });
    const stopMessages = client.watchMessages(jobId, (m) => {
      if (m.importance === "JOB_MESSAGE_ERROR") errors.push(m.text);
      monitor?.log(jobMessageLevel(m.importance), m.text);
      this.log(`PortableRunner: [${m.importance.replace("JOB_MESSAGE_", "")}] ${m.text}`);
    });
    // LOOPBACK workers die with this process: there Ctrl-C cancels rather than leaving a job without workers.
    const chosen = interruptAction(this.runnerOptions, follow.cancelOnInterrupt);
    const action = envType === "LOOPBACK" && chosen === "detach" ? "cancel" : chosen;
    const detach = new AbortController();
    const stopWatching = onFirstInterrupt(action, () => {
      if (action === "cancel") cancelJob().catch((e: Error) => this.log(`PortableRunner: cancelling job ${jobId} failed: ${e.message}`));
      else detach.abort();
    });
    const finished = (async () => {
      try {
        const final = await client.watchStates(
          jobId,
          (s) => {
            this.log(`PortableRunner: job ${jobId} is ${s}`);
            if (result !== undefined && !TERMINAL_STATES.has(s)) result.state = toPipelineState(s);
          },
          detach.signal,
        );
        if (detach.signal.aborted) {
          this.log(`PortableRunner: Ctrl-C: detached from job ${jobId}, which keeps running on the runner (--cancel_on_interrupt makes Ctrl-C cancel it). To cancel it:\n  ${cancelCommand}`);
          return;
        }
        await new Promise((r) => setTimeout(r, 50)); // let the last messages arrive
        result!.state = toPipelineState(final);
        try {
          result!.metrics = metricResultsFrom(await client.metrics(jobId), stepNames);
        } catch {
          // Metrics are optional on some job services.
        }
        if (final !== "DONE" && final !== "UPDATED" && final !== "DRAINED") {
          result!.error = new PipelineError(`Job ${jobId} ended ${final}${errors.length > 0 ? `: ${errors.join("\n")}` : ""}`);
        }
      } catch (e) {
        result!.state = "FAILED";
        result!.error = new PipelineError(`Lost the job service while following job ${jobId}: ${(e as Error).message}`, { cause: e });
      } finally {
        await monitor?.finish();
        stopWatching();
        stopMessages();
        client.close();
        await pool?.stop();
      }
    })();
    result = new PortableResult(finished, cancelJob);
    return result;
  }
}
