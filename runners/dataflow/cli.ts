/**
 * Controls running Dataflow jobs:
 *
 *     beamline dataflow cancel JOB_ID --project P --region R [--dataflow_endpoint URL]
 *     beamline dataflow drain  JOB_ID --project P --region R
 *     beamline dataflow status JOB_ID --project P --region R
 */
import type { AuthClient } from "google-auth-library";
import { DataflowClient } from "./client";
import { DEFAULT_DATAFLOW_ENDPOINT } from "./options";

/** Runs one command; returns the process exit code. */
export async function dataflowCli(argv: readonly string[], out: (line: string) => void = (l) => process.stdout.write(`${l}\n`), authClient?: AuthClient): Promise<number> {
  const [command, jobId, ...rest] = argv;
  const flags: Record<string, string> = {};
  for (let i = 0; i < rest.length; i++) {
    const m = /^--([a-z_]+)(?:=(.*))?$/.exec(rest[i]!);
    if (m === null) continue;
    flags[m[1]!] = m[2] ?? rest[++i] ?? "";
  }
  const usage = "usage: beamline dataflow cancel|drain|status JOB_ID --project P --region R [--dataflow_endpoint URL]";
  if (command === undefined || jobId === undefined || !["cancel", "drain", "status"].includes(command) || !flags["project"] || !flags["region"]) {
    out(usage);
    return 2;
  }
  const client = new DataflowClient(flags["dataflow_endpoint"] ?? DEFAULT_DATAFLOW_ENDPOINT, flags["project"], flags["region"], authClient);
  try {
    const job =
      command === "status" ? await client.getJob(jobId) : await client.updateState(jobId, command === "cancel" ? "JOB_STATE_CANCELLED" : "JOB_STATE_DRAINING");
    out(`${jobId}: ${command === "status" ? "state" : "requested"} ${command === "status" ? (job.currentState ?? "unknown") : command === "cancel" ? "JOB_STATE_CANCELLED" : "JOB_STATE_DRAINING"}`);
    return 0;
  } catch (e) {
    out(`${command} failed: ${(e as Error).message}`);
    return 1;
  }
}

if (require.main === module) {
  void dataflowCli(process.argv.slice(2)).then((code) => (process.exitCode = code));
}
