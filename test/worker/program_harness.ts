/** A Fn API harness serving a defined program, as a LOOPBACK worker does: it loads the program again from the job's options. */
import type { Pipeline } from "../../lib/model/pipeline";
import { flatOptions, jobApiOptions, workerProgramFrom } from "../../runners/portable/pipeline_options";
import { FnHarness } from "../../runners/worker/harness";
import { loadWorkerPipeline } from "../../runners/worker/program_loader";

/** Starts a harness on `controlUrl` for the program that built `p` (made with `program.create`), under `runId`. */
export function startProgramHarness(p: Pipeline, controlUrl: string, runId: string, workerId: string, loggingUrl?: string): FnHarness {
  const wp = workerProgramFrom(jobApiOptions(flatOptions(p.options, p.program, p.fingerprint(), runId)));
  return new FnHarness({ workerId, controlUrl, ...(loggingUrl !== undefined ? { loggingUrl } : {}), loadPipeline: () => loadWorkerPipeline(wp), runId: wp.runId }).start();
}
