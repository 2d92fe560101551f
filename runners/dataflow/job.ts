/**
 * Staging and the v1b3 Job body for Runner v2 portable submission (BEAM_PORTABILITY.md §5.1-5.6):
 * the pipeline proto and every FILE dependency go to GCS; dependencies are rewritten to URL
 * artifacts and listed as worker packages; `pipelineUrl` points Dataflow at the proto.
 */
import { createHash } from "node:crypto";
import * as fs from "node:fs";
import type { Storage } from "@google-cloud/storage";
import { rapi, runnerApi } from "../portable/protos";
import type { OptionValue } from "../portable/pipeline_options";
import { SDK_ENV_ID, URNS } from "../portable/urns";
import type { DataflowOptions } from "./options";
import { parseGcsPath } from "./options";

export const SDK_NAME = "Beamline TypeScript SDK";
export const SDK_VERSION = "0.1.0";
export const RUNNER_V2_EXPERIMENTS = ["beam_fn_api", "use_runner_v2", "use_unified_worker", "use_portable_job_submission"] as const;
export const STREAMING_EXPERIMENTS = ["enable_streaming_engine", "enable_windmill_service"] as const;

export interface StagedJob {
  readonly pipelineUrl: string;
  readonly packages: { name: string; location: string }[];
}

async function upload(storage: Storage, gcsUrl: string, data: Buffer | Uint8Array): Promise<void> {
  const { bucket, path } = parseGcsPath(gcsUrl);
  await storage.bucket(bucket).file(path).save(Buffer.from(data), { resumable: false, contentType: "application/octet-stream" });
}

/**
 * Uploads every FILE dependency of the SDK environment (rewriting it to a URL artifact in the
 * proto) and then the proto itself.
 */
export async function stageToGcs(storage: Storage, proto: rapi.Pipeline, o: DataflowOptions, stagingId: string): Promise<StagedJob> {
  const base = `${o.stagingLocation.replace(/\/+$/, "")}/${stagingId}`;
  const env = proto.components!.environments[SDK_ENV_ID]!;
  const packages: { name: string; location: string }[] = [];
  const rewritten: rapi.ArtifactInformation[] = [];
  for (const dep of env.dependencies) {
    if (dep.typeUrn !== URNS.artifactFile) {
      rewritten.push(dep);
      continue;
    }
    const file = runnerApi.ArtifactFilePayload.fromBinary(dep.typePayload);
    const name = dep.roleUrn === URNS.roleStagingTo ? runnerApi.ArtifactStagingToRolePayload.fromBinary(dep.rolePayload).stagedName : file.path.split("/").pop()!;
    const data = fs.readFileSync(file.path);
    const location = `${base}/${name}`;
    await upload(storage, location, data);
    packages.push({ name, location });
    rewritten.push({ ...dep, typeUrn: URNS.artifactUrl, typePayload: runnerApi.ArtifactUrlPayload.toBinary({ url: location, sha256: createHash("sha256").update(data).digest("hex") }) });
  }
  env.dependencies = rewritten;
  const pipelineUrl = `${base}/pipeline.pb`;
  await upload(storage, pipelineUrl, runnerApi.Pipeline.toBinary(proto));
  return { pipelineUrl, packages };
}

/** What the job request carries besides the options: see Beam Python's apiclient.Job. */
export interface JobIdentity {
  /** Compared with the response's: Dataflow answers a create for a name in use with the existing job. */
  readonly clientRequestId: string;
  /** --update: the running job this one replaces. */
  readonly replaceJobId?: string;
}

/** Namespace of the options' display data (Beam Python uses its options class's qualified name). */
export const OPTIONS_DISPLAY_NAMESPACE = "beamline.PipelineOptions";

/** Display data in Beam's `{key, namespace, type, value}` form (DisplayDataItem.get_dict / Go's displayData). */
export function optionsDisplayData(options: Readonly<Record<string, OptionValue>>): { key: string; namespace: string; type: string; value: string | number | boolean }[] {
  return Object.entries(options)
    .filter(([key, v]) => v !== null && !key.startsWith("beamline_"))
    .map(([key, v]) => {
      if (typeof v === "boolean") return { key, namespace: OPTIONS_DISPLAY_NAMESPACE, type: "BOOLEAN", value: v };
      if (typeof v === "number") return { key, namespace: OPTIONS_DISPLAY_NAMESPACE, type: Number.isInteger(v) ? "INTEGER" : "FLOAT", value: v };
      return { key, namespace: OPTIONS_DISPLAY_NAMESPACE, type: "STRING", value: typeof v === "string" ? v : Array.isArray(v) ? v.join(",") : JSON.stringify(v) };
    });
}

/** The program's own flags (--input, --output, ...), shown with the options as Beam Python shows a pipeline's custom flags. */
function programFlags(flat: Readonly<Record<string, OptionValue>>): Record<string, OptionValue> {
  const program = flat["beamline_program"];
  if (typeof program !== "string") return {};
  const flags = (JSON.parse(program) as { flags?: Record<string, OptionValue> }).flags ?? {};
  return Object.fromEntries(Object.entries(flags).filter(([, v]) => v !== undefined && v !== null));
}

/**
 * The Job body: Runner v2, the staged proto, the container image, options. Each option goes where
 * Beam Python's apiclient (Environment, Job) and the Go SDK's dataflowlib.Translate put it.
 */
export function jobBody(
  o: DataflowOptions,
  staged: StagedJob,
  flatOptions: Readonly<Record<string, OptionValue>>,
  capabilities: readonly string[],
  identity: JobIdentity,
): Record<string, unknown> {
  const experiments = [...new Set([...o.experiments, ...RUNNER_V2_EXPERIMENTS, ...(o.streaming ? STREAMING_EXPERIMENTS : [])])];
  const options: Record<string, OptionValue> = {
    ...flatOptions,
    project: o.project,
    region: o.region,
    temp_location: o.tempLocation,
    tempLocation: o.tempLocation,
    staging_location: o.stagingLocation,
    experiments,
    pipelineUrl: staged.pipelineUrl,
    sdk_container_image: o.sdkContainerImage,
  };
  if (o.serviceOptions.length > 0) options["dataflow_service_options"] = [...o.serviceOptions];
  const autoscalingSettings: Record<string, unknown> = {};
  if (o.maxNumWorkers !== undefined) autoscalingSettings["maxNumWorkers"] = o.maxNumWorkers;
  if (o.autoscalingAlgorithm !== undefined) autoscalingSettings["algorithm"] = o.autoscalingAlgorithm === "NONE" ? "AUTOSCALING_ALGORITHM_NONE" : "AUTOSCALING_ALGORITHM_BASIC";
  const pool: Record<string, unknown> = {
    kind: "harness",
    packages: staged.packages,
    autoscalingSettings,
    workerHarnessContainerImage: o.sdkContainerImage,
    sdkHarnessContainerImages: [{ containerImage: o.sdkContainerImage, environmentId: SDK_ENV_ID, useSingleCorePerContainer: true, capabilities: [...capabilities] }],
  };
  const set = (target: Record<string, unknown>, key: string, value: unknown): void => {
    if (value !== undefined) target[key] = value;
  };
  set(pool, "numWorkers", o.numWorkers);
  set(pool, "machineType", o.machineType);
  // 0 means "Dataflow's default" and, as in Beam Python, is not sent.
  set(pool, "diskSizeGb", o.diskSizeGb === 0 ? undefined : o.diskSizeGb);
  set(pool, "diskType", o.diskType);
  set(pool, "network", o.network);
  set(pool, "subnetwork", o.subnetwork);
  set(pool, "numThreadsPerWorker", o.numberOfWorkerHarnessThreads);
  set(pool, "ipConfiguration", o.usePublicIps === undefined ? undefined : o.usePublicIps ? "WORKER_IP_PUBLIC" : "WORKER_IP_PRIVATE");
  // Streaming jobs get a separate data disk (of --disk_type if given), as Beam Python asks for.
  if (o.streaming) pool["dataDisks"] = [o.diskType !== undefined ? { diskType: o.diskType } : {}];
  const environment: Record<string, unknown> = {
    userAgent: { name: SDK_NAME, version: SDK_VERSION },
    version: { job_type: o.streaming ? "FNAPI_STREAMING" : "FNAPI_BATCH", major: "8" },
    experiments,
    tempStoragePrefix: o.tempLocation,
    sdkPipelineOptions: { options, display_data: optionsDisplayData({ ...programFlags(flatOptions), ...options }) },
    workerPools: [pool],
  };
  set(environment, "serviceAccountEmail", o.serviceAccountEmail);
  set(environment, "serviceKmsKeyName", o.kmsKey);
  set(environment, "workerRegion", o.workerRegion);
  set(environment, "workerZone", o.workerZone);
  set(environment, "flexResourceSchedulingGoal", o.flexrsGoal === undefined ? undefined : `FLEXRS_${o.flexrsGoal}`);
  if (o.serviceOptions.length > 0) environment["serviceOptions"] = [...o.serviceOptions];
  if (o.enableHotKeyLogging) environment["debugOptions"] = { enableHotKeyLogging: true };
  const job: Record<string, unknown> = {
    name: o.jobName,
    projectId: o.project,
    type: o.streaming ? "JOB_TYPE_STREAMING" : "JOB_TYPE_BATCH",
    steps: [],
    labels: o.labels,
    environment,
    clientRequestId: identity.clientRequestId,
  };
  if (identity.replaceJobId !== undefined) {
    job["replaceJobId"] = identity.replaceJobId;
    if (o.transformNameMapping !== undefined) job["transformNameMapping"] = { ...o.transformNameMapping };
  }
  return job;
}
