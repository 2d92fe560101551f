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

/** The Job body: Runner v2, the staged proto, the container image, options. */
export function jobBody(o: DataflowOptions, staged: StagedJob, flatOptions: Readonly<Record<string, OptionValue>>, capabilities: readonly string[]): Record<string, unknown> {
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
  const displayData = Object.entries(flatOptions)
    .filter(([, v]) => typeof v === "string" || typeof v === "boolean")
    .map(([key, value]) => ({ key, namespace: "options", type: typeof value === "boolean" ? "BOOLEAN" : "STRING", [typeof value === "boolean" ? "boolValue" : "strValue"]: value }));
  const pool: Record<string, unknown> = {
    kind: "harness",
    numWorkers: o.numWorkers ?? 1,
    packages: staged.packages,
    workerHarnessContainerImage: o.sdkContainerImage,
    sdkHarnessContainerImages: [{ containerImage: o.sdkContainerImage, environmentId: SDK_ENV_ID, useSingleCorePerContainer: true, capabilities: [...capabilities] }],
  };
  if (o.maxNumWorkers !== undefined) pool["autoscalingSettings"] = { algorithm: "AUTOSCALING_ALGORITHM_BASIC", maxNumWorkers: o.maxNumWorkers };
  if (o.machineType !== undefined) pool["machineType"] = o.machineType;
  if (o.network !== undefined) pool["network"] = o.network;
  if (o.subnetwork !== undefined) pool["subnetwork"] = o.subnetwork;
  const environment: Record<string, unknown> = {
    userAgent: { name: SDK_NAME, version: SDK_VERSION },
    version: { job_type: o.streaming ? "FNAPI_STREAMING" : "FNAPI_BATCH", major: "8" },
    experiments,
    tempStoragePrefix: o.tempLocation,
    sdkPipelineOptions: { options, display_data: displayData },
    workerPools: [pool],
  };
  if (o.serviceAccountEmail !== undefined) environment["serviceAccountEmail"] = o.serviceAccountEmail;
  return {
    name: o.jobName,
    projectId: o.project,
    type: o.streaming ? "JOB_TYPE_STREAMING" : "JOB_TYPE_BATCH",
    steps: [],
    labels: o.labels,
    environment,
  };
}
