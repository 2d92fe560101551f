/**
 * DataflowRunner options, validated before anything is submitted (flags follow Beam Python).
 */
import type { PipelineOptions } from "../../lib/model/options";
import { ValidationError } from "../../lib/model/errors";
import { DEFAULT_CONTAINER_IMAGE } from "../portable/urns";

export const DEFAULT_DATAFLOW_ENDPOINT = "https://dataflow.googleapis.com";

export interface DataflowOptions {
  readonly project: string;
  readonly region: string;
  readonly tempLocation: string;
  readonly stagingLocation: string;
  readonly jobName: string;
  readonly streaming: boolean;
  readonly sdkContainerImage: string;
  readonly serviceAccountEmail?: string;
  readonly labels: Readonly<Record<string, string>>;
  readonly experiments: readonly string[];
  readonly endpoint: string;
  readonly numWorkers?: number;
  readonly maxNumWorkers?: number;
  readonly machineType?: string;
  readonly network?: string;
  readonly subnetwork?: string;
}

const REGION = /^[a-z]+-[a-z]+[0-9]+$/;
const JOB_NAME = /^[a-z]([-a-z0-9]{0,61}[a-z0-9])?$/;

function parseLabels(raw: string | undefined): Record<string, string> {
  if (raw === undefined || raw === "") return {};
  let labels: Record<string, string>;
  if (raw.trim().startsWith("{")) {
    try {
      labels = JSON.parse(raw) as Record<string, string>;
    } catch (e) {
      throw new ValidationError(`--labels is not valid JSON: ${(e as Error).message}`);
    }
  } else {
    labels = Object.fromEntries(
      raw.split(",").map((kv) => {
        const i = kv.indexOf("=");
        if (i <= 0) throw new ValidationError(`--labels entries must be key=value (or a JSON object), got '${kv}'`);
        return [kv.slice(0, i).trim(), kv.slice(i + 1).trim()];
      }),
    );
  }
  for (const [k, v] of Object.entries(labels)) {
    if (!/^[a-z][a-z0-9_-]{0,62}$/.test(k) || !/^[a-z0-9_-]{0,63}$/.test(String(v))) {
      throw new ValidationError(`Label '${k}=${String(v)}' is invalid: keys start with a lowercase letter; keys and values use lowercase letters, digits, '_' and '-' (at most 63)`);
    }
  }
  return labels;
}

/** Validates the options for Dataflow; every problem is reported at once. */
export function dataflowOptions(o: PipelineOptions): DataflowOptions {
  const x = o.extra;
  const str = (k: string): string | undefined => (x[k] === undefined || x[k] === "" ? undefined : String(x[k]));
  const problems: string[] = [];
  if (o.project === undefined) problems.push("--project is required (the Google Cloud project to run in)");
  if (o.region === undefined) problems.push("--region is required (e.g. --region us-central1)");
  else if (!REGION.test(o.region)) problems.push(`--region '${o.region}' is not a Google Cloud region name (like us-central1 or europe-west4)`);
  if (o.tempLocation === undefined) problems.push("--temp_location is required: a gs://bucket/path Dataflow can write temporary files to");
  else if (!o.tempLocation.startsWith("gs://")) problems.push(`--temp_location must be a gs:// path, got '${o.tempLocation}'`);
  const staging = o.stagingLocation ?? o.tempLocation;
  if (staging !== undefined && !staging.startsWith("gs://")) problems.push(`--staging_location must be a gs:// path, got '${staging}'`);
  const jobName = o.jobName.toLowerCase().replace(/[^-a-z0-9]/g, "-").slice(0, 63).replace(/-+$/, "");
  if (!JOB_NAME.test(jobName)) problems.push(`--job_name '${o.jobName}' must start with a letter and use only lowercase letters, digits and '-' (at most 63)`);
  const int = (k: string): number | undefined => {
    const v = str(k);
    if (v === undefined) return undefined;
    const n = Number(v);
    if (!Number.isInteger(n) || n < 1) problems.push(`--${k} must be a positive integer, got '${v}'`);
    return n;
  };
  const numWorkers = int("num_workers");
  const maxNumWorkers = int("max_num_workers");
  const experiments = (str("experiments") ?? "").split(",").map((e) => e.trim()).filter((e) => e !== "");
  if (experiments.some((e) => e.startsWith("disable_runner_v2"))) problems.push("Beamline runs only on Dataflow Runner v2; remove the disable_runner_v2 experiment");
  let labels: Record<string, string> = {};
  try {
    labels = parseLabels(str("labels"));
  } catch (e) {
    problems.push((e as Error).message);
  }
  if (problems.length > 0) throw new ValidationError(`Invalid DataflowRunner options:\n  - ${problems.join("\n  - ")}`);
  return {
    project: o.project!,
    region: o.region!,
    tempLocation: o.tempLocation!,
    stagingLocation: staging!,
    jobName,
    streaming: o.streaming,
    sdkContainerImage: str("sdk_container_image") ?? str("worker_harness_container_image") ?? DEFAULT_CONTAINER_IMAGE,
    serviceAccountEmail: str("service_account_email"),
    labels,
    experiments,
    endpoint: (str("dataflow_endpoint") ?? DEFAULT_DATAFLOW_ENDPOINT).replace(/\/+$/, ""),
    numWorkers,
    maxNumWorkers,
    machineType: str("machine_type") ?? str("worker_machine_type"),
    network: str("network"),
    subnetwork: str("subnetwork"),
  };
}

/** `gs://bucket/a/b` → {bucket, path: "a/b"}. */
export function parseGcsPath(url: string): { bucket: string; path: string } {
  const m = /^gs:\/\/([^/]+)\/?(.*)$/.exec(url);
  if (m === null) throw new ValidationError(`'${url}' is not a gs:// path`);
  return { bucket: m[1]!, path: m[2]!.replace(/\/+$/, "") };
}
