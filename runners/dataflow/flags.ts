/**
 * The flags DataflowRunner reads (options.ts), with Beam Python's names; the command line parser
 * loads this table by path. Values are validated by dataflowOptions, all problems at once.
 */
import type { RunnerFlags } from "../../lib/model/runner_flags";
import { FOLLOW_FLAGS } from "../follow_flags";

const PYTHON_ONLY = "Beam Python flag, accepted and ignored with a note: Node workers get their code and npm packages from the image";

export const flags: RunnerFlags = {
  sdk_container_image: { type: "string", describe: "Required: the worker image built from your project (README, 'The worker image')" },
  worker_harness_container_image: { type: "string", describe: "Deprecated name of --sdk_container_image" },
  service_account_email: { type: "string", describe: "Service account the workers run as" },
  labels: { type: "string", describe: "Job labels: k=v,k2=v2 or a JSON object" },
  label: { type: "string", describe: "Alias of --labels" },
  experiment: { type: "string", describe: "A Dataflow experiment", repeatable: true },
  experiments: { type: "string", describe: "Comma-separated Dataflow experiments", repeatable: true },
  dataflow_service_option: { type: "string", describe: "A Dataflow service option", repeatable: true },
  dataflow_service_options: { type: "string", describe: "Comma-separated Dataflow service options", repeatable: true },
  dataflow_endpoint: { type: "string", describe: "Dataflow API endpoint (default https://dataflow.googleapis.com)" },
  num_workers: { type: "string", describe: "Initial number of workers" },
  max_num_workers: { type: "string", describe: "Maximum number of workers when autoscaling" },
  autoscaling_algorithm: { type: "string", describe: "NONE or THROUGHPUT_BASED" },
  worker_machine_type: { type: "string", describe: "Worker machine type (e.g. n2-standard-4)" },
  machine_type: { type: "string", describe: "Alias of --worker_machine_type" },
  network: { type: "string", describe: "Compute Engine network for the workers" },
  subnetwork: { type: "string", describe: "Compute Engine subnetwork for the workers" },
  use_public_ips: { type: "boolean", describe: "Workers get public IP addresses" },
  no_use_public_ips: { type: "boolean", describe: "Workers get private IP addresses only" },
  worker_region: { type: "string", describe: "Region the workers run in (default: --region)" },
  worker_zone: { type: "string", describe: "Zone the workers run in" },
  zone: { type: "string", describe: "Deprecated alias of --worker_zone" },
  dataflow_kms_key: { type: "string", describe: "Cloud KMS key that encrypts the job's data at rest" },
  disk_size_gb: { type: "string", describe: "Worker disk size in GB (0: Dataflow's default)" },
  worker_disk_type: { type: "string", describe: "Worker disk type (a compute.googleapis.com disk type URL)" },
  disk_type: { type: "string", describe: "Alias of --worker_disk_type" },
  number_of_worker_harness_threads: { type: "string", describe: "Threads per worker" },
  flexrs_goal: { type: "string", describe: "Flexible Resource Scheduling for batch jobs: COST_OPTIMIZED or SPEED_OPTIMIZED" },
  enable_hot_key_logging: { type: "boolean", describe: "Log hot keys detected by Dataflow" },
  update: { type: "boolean", describe: "Replace the running streaming job of the same --job_name" },
  transform_name_mapping: { type: "string", describe: "With --update: JSON object renaming steps, '{\"Old\":\"New\"}'" },
  setup_file: { type: "string", describe: PYTHON_ONLY },
  requirements_file: { type: "string", describe: PYTHON_ONLY },
  extra_package: { type: "string", describe: PYTHON_ONLY, repeatable: true },
  extra_packages: { type: "string", describe: PYTHON_ONLY, repeatable: true },
  ...FOLLOW_FLAGS,
};
