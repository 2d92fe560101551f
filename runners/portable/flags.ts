/** The flags PortableRunner reads (portable_runner.ts); the command line parser loads this table by path. */
import type { RunnerFlags } from "../../lib/model/runner_flags";
import { FOLLOW_FLAGS } from "../follow_flags";

export const flags: RunnerFlags = {
  job_endpoint: { type: "string", describe: "The runner's Job API endpoint, HOST:PORT (e.g. localhost:8099 for Prism or Flink)" },
  environment_type: { type: "string", describe: "How the runner starts workers: DOCKER (default), EXTERNAL (a worker pool) or LOOPBACK (this process)" },
  environment_config: { type: "string", describe: "DOCKER: the worker image; EXTERNAL: the worker pool's HOST:PORT" },
  sdk_container_image: { type: "string", describe: "The worker image (DOCKER; same as --environment_config, also read by the DataflowRunner)" },
  describe_to: { type: "string", describe: "Dry run: write the pipeline proto as JSON to this file ('-': stdout) and submit nothing" },
  ...FOLLOW_FLAGS,
};
