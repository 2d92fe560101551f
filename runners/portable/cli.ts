/**
 * Controls jobs on a Beam portable runner through its Job API (the commands the PortableRunner
 * prints when it stops following a job):
 *
 *     beamline portable cancel JOB_ID --job_endpoint HOST:PORT
 *     beamline portable status JOB_ID --job_endpoint HOST:PORT
 */
import { JobServiceClient } from "./job_client";

/** Runs one command; returns the process exit code. */
export async function portableCli(argv: readonly string[], out: (line: string) => void = (l) => process.stdout.write(`${l}\n`)): Promise<number> {
  const [command, jobId, ...rest] = argv;
  const at = rest.findIndex((a) => a === "--job_endpoint" || a.startsWith("--job_endpoint="));
  const endpoint = at < 0 ? undefined : rest[at]!.includes("=") ? rest[at]!.slice("--job_endpoint=".length) : rest[at + 1];
  if ((command !== "cancel" && command !== "status") || jobId === undefined || endpoint === undefined || endpoint === "") {
    out("usage: beamline portable cancel|status JOB_ID --job_endpoint HOST:PORT");
    return 2;
  }
  const client = new JobServiceClient(endpoint);
  try {
    const state = command === "cancel" ? await client.cancel(jobId) : await client.state(jobId);
    out(`${jobId}: ${command === "cancel" ? "cancel requested, now" : "state"} ${state}`);
    return 0;
  } catch (e) {
    out(`${command} failed: ${(e as Error).message}`);
    return 1;
  } finally {
    client.close();
  }
}

if (require.main === module) {
  void portableCli(process.argv.slice(2)).then((code) => (process.exitCode = code));
}
