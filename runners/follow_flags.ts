/** The flags of the runners that follow a job on a cluster (runners/interrupt.ts reads them). */
import type { RunnerFlags } from "../lib/model/runner_flags";

export const FOLLOW_FLAGS = {
  async: { type: "boolean", describe: "Submit the job, print how to follow or stop it, and exit" },
  execute_async: { type: "boolean", describe: "Alias of --async" },
  cancel_on_interrupt: { type: "boolean", describe: "Ctrl-C cancels the job (default: Ctrl-C detaches and the job keeps running)" },
} as const satisfies RunnerFlags;
