/**
 * DataflowRunner options, validated before anything is submitted. Flag names, accepted values and
 * the combinations refused follow Beam Python's GoogleCloudOptions / WorkerOptions / DebugOptions
 * and its PipelineOptionsValidator (the Go SDK's dataflow runner checks the same ones).
 */
import type { PipelineOptions } from "../../lib/model/options";
import { ValidationError } from "../../lib/model/errors";
import { followFlags } from "../interrupt";
import { OptionReader } from "../option_reader";

export const DEFAULT_DATAFLOW_ENDPOINT = "https://dataflow.googleapis.com";

export type AutoscalingAlgorithm = "NONE" | "THROUGHPUT_BASED";
export type FlexRsGoal = "COST_OPTIMIZED" | "SPEED_OPTIMIZED";

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
  /** --experiment / --experiments, each comma-separated and repeatable. */
  readonly experiments: readonly string[];
  /** --dataflow_service_option(s), like experiments. */
  readonly serviceOptions: readonly string[];
  readonly endpoint: string;
  readonly numWorkers?: number;
  readonly maxNumWorkers?: number;
  readonly autoscalingAlgorithm?: AutoscalingAlgorithm;
  readonly machineType?: string;
  readonly network?: string;
  readonly subnetwork?: string;
  /** --use_public_ips (true) / --no_use_public_ips (false); unset leaves it to Dataflow. */
  readonly usePublicIps?: boolean;
  readonly workerRegion?: string;
  /** --worker_zone, or the deprecated --zone. */
  readonly workerZone?: string;
  readonly kmsKey?: string;
  readonly diskSizeGb?: number;
  readonly diskType?: string;
  readonly numberOfWorkerHarnessThreads?: number;
  readonly flexrsGoal?: FlexRsGoal;
  readonly enableHotKeyLogging: boolean;
  /** Replace the running job of the same name (streaming), renaming steps per the mapping. */
  readonly update: boolean;
  readonly transformNameMapping?: Readonly<Record<string, string>>;
  /** --async (Beam Go's name; alias --execute_async): submit, print how to follow or stop the job, exit. */
  readonly async: boolean;
  /** Ctrl-C cancels the job instead of detaching from it. */
  readonly cancelOnInterrupt: boolean;
  /** Things worth saying before submission (deprecated or ignored flags, a mutable image tag). */
  readonly warnings: readonly string[];
}

const REGION = /^[a-z]+-[a-z]+[0-9]+$/;
/** The Job resource's `name` (Dataflow v1b3 reference). */
export const JOB_NAME = /^[a-z]([-a-z0-9]{0,1022}[a-z0-9])?$/;
/** Python flags that stage Python code on workers; Node workers get theirs from the image. */
const PYTHON_STAGING_FLAGS = ["setup_file", "requirements_file", "extra_package", "extra_packages"];

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

/** How to make a valid job name out of an invalid one (only ever suggested, never applied silently). */
export function suggestJobName(name: string): string {
  const s = name.toLowerCase().replace(/[^-a-z0-9]+/g, "-").replace(/^[^a-z]+/, "").replace(/-+$/, "").slice(0, 1024);
  return s === "" ? "beamline-job" : s;
}

/** Why an image reference will not give every worker the same build, or undefined if it will. */
export function mutableImageTag(image: string): string | undefined {
  if (/@sha256:[0-9a-f]{64}$/.test(image)) return undefined;
  const name = image.slice(image.lastIndexOf("/") + 1);
  const colon = name.indexOf(":");
  if (colon < 0) return "has no tag, so it means :latest";
  return name.slice(colon + 1) === "latest" ? "uses the tag :latest" : undefined;
}

function imageRequired(o: PipelineOptions): string {
  const image = `${o.region ?? "REGION"}-docker.pkg.dev/${o.project ?? "PROJECT"}/REPO/beamline-worker:TAG`;
  return (
    "--sdk_container_image is required: Dataflow workers run your pipeline in Beamline's worker image, which you build from this project " +
    "and push to a registry the job's service account can read (README, 'The worker image'):\n" +
    `      docker build -f setup/Dockerfile -t ${image} .\n` +
    `      docker push ${image}\n` +
    `    then add --sdk_container_image ${image}`
  );
}

/** Validates the options for Dataflow; every problem is reported at once. */
export function dataflowOptions(o: PipelineOptions): DataflowOptions {
  const r = new OptionReader(o.extra);
  const problems = r.problems;
  const warnings: string[] = [];
  const follow = followFlags(o.extra);
  problems.push(...follow.problems);
  if (o.project === undefined) problems.push("--project is required (the Google Cloud project to run in)");
  if (o.region === undefined) problems.push("--region is required (e.g. --region us-central1)");
  else if (!REGION.test(o.region)) problems.push(`--region '${o.region}' is not a Google Cloud region name (like us-central1 or europe-west4)`);
  if (o.tempLocation === undefined) problems.push("--temp_location is required: a gs://bucket/path Dataflow can write temporary files to");
  else if (!o.tempLocation.startsWith("gs://")) problems.push(`--temp_location must be a gs:// path, got '${o.tempLocation}'`);
  const staging = o.stagingLocation ?? o.tempLocation;
  if (staging !== undefined && !staging.startsWith("gs://")) problems.push(`--staging_location must be a gs:// path, got '${staging}'`);
  if (!JOB_NAME.test(o.jobName)) {
    problems.push(
      `--job_name '${o.jobName}' is not a valid Dataflow job name: it must start with a lowercase letter, end with a letter or digit, ` +
        `and use only lowercase letters, digits and '-' (at most 1024 characters), e.g. '${suggestJobName(o.jobName)}'`,
    );
  }

  const sdkImage = r.str("sdk_container_image");
  const legacyImage = r.str("worker_harness_container_image");
  if (sdkImage !== undefined && legacyImage !== undefined && sdkImage !== legacyImage) {
    problems.push("--worker_harness_container_image (deprecated) and --sdk_container_image name different images: use --sdk_container_image only");
  } else if (legacyImage !== undefined && sdkImage === undefined) {
    warnings.push("--worker_harness_container_image is deprecated: use --sdk_container_image");
  }
  const image = sdkImage ?? legacyImage;
  if (image === undefined) problems.push(imageRequired(o));
  else {
    const mutable = mutableImageTag(image);
    if (mutable !== undefined) {
      warnings.push(
        `--sdk_container_image ${image} ${mutable}, which can point to a different build by the time Dataflow starts (or adds) workers; ` +
          "workers built differently from this submission fail. Pin a version tag (e.g. :v1.4.2 or a git commit) or a digest (@sha256:...).",
      );
    }
  }

  const numWorkers = r.int("num_workers", 1);
  const maxNumWorkers = r.int("max_num_workers", 1);
  if (numWorkers !== undefined && maxNumWorkers !== undefined && numWorkers > maxNumWorkers) {
    problems.push(`--num_workers (${numWorkers}) cannot exceed --max_num_workers (${maxNumWorkers})`);
  }
  const experiments = r.list("experiment", "experiments");
  if (experiments.some((e) => e.startsWith("disable_runner_v2") || e === "disable_prime_runner_v2")) {
    problems.push("Beamline runs only on Dataflow Runner v2; remove the disable_runner_v2 experiment");
  }

  // Worker location: Beam's validate_worker_region_zone.
  const workerRegion = r.str("worker_region");
  let workerZone = r.str("worker_zone");
  const zone = r.str("zone");
  if (zone !== undefined && (workerRegion !== undefined || workerZone !== undefined)) problems.push("--zone (deprecated) cannot be used with --worker_region or --worker_zone");
  if (workerRegion !== undefined && workerZone !== undefined) problems.push("--worker_region and --worker_zone are mutually exclusive");
  if (experiments.some((e) => e === "worker_region" || e.startsWith("worker_region=")) && (workerRegion !== undefined || workerZone !== undefined)) {
    problems.push("the deprecated worker_region experiment cannot be used with --worker_region or --worker_zone");
  }
  if (zone !== undefined && workerZone === undefined && workerRegion === undefined) {
    warnings.push("--zone is deprecated: use --worker_zone (sent as the job's worker zone)");
    workerZone = zone;
  }

  const publicIps = r.bool("use_public_ips");
  const noPublicIps = r.bool("no_use_public_ips");
  if (publicIps !== undefined && noPublicIps !== undefined && publicIps === noPublicIps) {
    problems.push("--use_public_ips and --no_use_public_ips contradict each other: give one of them");
  }
  const usePublicIps = noPublicIps !== undefined ? !noPublicIps : publicIps;

  let transformNameMapping: Record<string, string> | undefined;
  const mapping = r.str("transform_name_mapping");
  if (mapping !== undefined) {
    try {
      const parsed = JSON.parse(mapping) as unknown;
      if (parsed === null || typeof parsed !== "object" || Array.isArray(parsed) || Object.values(parsed).some((v) => typeof v !== "string")) {
        throw new Error("expected an object of old name → new name strings");
      }
      transformNameMapping = parsed as Record<string, string>;
    } catch (e) {
      problems.push(`--transform_name_mapping must be a JSON object like '{"OldStep": "NewStep"}': ${(e as Error).message}`);
    }
  }

  for (const flag of PYTHON_STAGING_FLAGS) {
    const v = r.str(flag);
    if (v === undefined) continue;
    warnings.push(
      `--${flag} ${v} is not used: Node workers install no Python packages; they run the code and npm dependencies built into the worker image ` +
        "(--sdk_container_image). Add dependencies to package.json and rebuild the image (README, 'The worker image').",
    );
  }

  let labels: Record<string, string> = {};
  try {
    labels = parseLabels(r.str("labels") ?? r.str("label"));
  } catch (e) {
    problems.push((e as Error).message);
  }
  const result = {
    serviceAccountEmail: r.str("service_account_email"),
    endpoint: (r.str("dataflow_endpoint") ?? DEFAULT_DATAFLOW_ENDPOINT).replace(/\/+$/, ""),
    numWorkers,
    maxNumWorkers,
    autoscalingAlgorithm: r.choice("autoscaling_algorithm", ["NONE", "THROUGHPUT_BASED"] as const),
    machineType: r.str("worker_machine_type") ?? r.str("machine_type"),
    network: r.str("network"),
    subnetwork: r.str("subnetwork"),
    usePublicIps,
    workerRegion,
    workerZone,
    kmsKey: r.str("dataflow_kms_key"),
    diskSizeGb: r.int("disk_size_gb", 0),
    diskType: r.str("worker_disk_type") ?? r.str("disk_type"),
    numberOfWorkerHarnessThreads: r.int("number_of_worker_harness_threads", 1),
    flexrsGoal: r.choice("flexrs_goal", ["COST_OPTIMIZED", "SPEED_OPTIMIZED"] as const),
    enableHotKeyLogging: r.bool("enable_hot_key_logging") ?? false,
    update: r.bool("update") ?? false,
    transformNameMapping,
    async: follow.async,
    cancelOnInterrupt: follow.cancelOnInterrupt,
    serviceOptions: r.list("dataflow_service_option", "dataflow_service_options"),
  };
  if (problems.length > 0) throw new ValidationError(`Invalid DataflowRunner options:\n  - ${problems.join("\n  - ")}`);
  return {
    ...result,
    project: o.project!,
    region: o.region!,
    tempLocation: o.tempLocation!,
    stagingLocation: staging!,
    jobName: o.jobName,
    streaming: o.streaming,
    sdkContainerImage: image!,
    labels,
    experiments,
    warnings,
  };
}

/**
 * Checks that need the job type (known once the graph is seen): --update and
 * --transform_name_mapping replace a running streaming job (Beam Python and Go refuse the mapping
 * otherwise; Dataflow refuses to update batch jobs), and FlexRS schedules batch jobs only.
 */
export function validateForJobType(o: DataflowOptions, streaming: boolean): void {
  const problems: string[] = [];
  if (o.transformNameMapping !== undefined && !o.update) problems.push("--transform_name_mapping only applies with --update (it renames steps of the job being replaced)");
  if (o.update && !streaming) problems.push("--update replaces a running streaming job, but this is a batch job: run it under a new --job_name instead");
  if (o.flexrsGoal !== undefined && streaming) problems.push("--flexrs_goal (Flexible Resource Scheduling) applies to batch jobs only; remove it for this streaming job");
  if (problems.length > 0) throw new ValidationError(`Invalid DataflowRunner options:\n  - ${problems.join("\n  - ")}`);
}

/** `gs://bucket/a/b` → {bucket, path: "a/b"}. */
export function parseGcsPath(url: string): { bucket: string; path: string } {
  const m = /^gs:\/\/([^/]+)\/?(.*)$/.exec(url);
  if (m === null) throw new ValidationError(`'${url}' is not a gs:// path`);
  return { bucket: m[1]!, path: m[2]!.replace(/\/+$/, "") };
}
