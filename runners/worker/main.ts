/**
 * The worker container's entry point (setup/worker/boot execs it, through entry.js):
 *
 *     node dist/runners/worker/main.js --id=ID --provision_endpoint=HOST:PORT [--logging_endpoint=HOST:PORT]
 *         [--semi_persist_dir=DIR] [--program=PATHS] [--startup_timeout_secs=120]
 *     node dist/runners/worker/main.js --worker_pool --program=PATHS [--service_port=50000] [--worker_pool_host=127.0.0.1]
 *
 * The first form follows the Beam container contract (DOCKER environments, Dataflow); the
 * second serves BeamFnExternalWorkerPool for EXTERNAL environments (e.g. a Flink sidecar).
 *
 * Exit status: 0 when the runner ended the work (or SIGTERM stopped it), 1 when booting or the
 * control stream failed; the reason is on stderr and, when the logging endpoint is known, in the
 * runner's logs. SIGTERM stops promptly: harnesses are told to stop, bundles still running get a
 * few seconds, then the process exits.
 */
import { enterWorkerMode } from "../../lib/model/program";
import { workerProgramFrom } from "../portable/pipeline_options";
import { boot, parseBootFlags, provision, provisionedOptions, WorkerFlags } from "./boot";
import { LogForwarder } from "./logging";
import { BakedPrograms, loadWorkerPipeline } from "./program_loader";
import { WorkerPoolServer } from "./worker_pool";

/** How long SIGTERM waits for the harnesses to stop before the process exits anyway. */
const STOP_GRACE_MS = 5_000;

/** Boot messages: to stderr, and to the runner's logging service once its endpoint is known. */
class BootLog {
  private forwarder: LogForwarder | undefined;
  constructor(
    private readonly workerId: string,
    loggingEndpoint: string | undefined,
  ) {
    if (loggingEndpoint !== undefined && loggingEndpoint !== "") this.forwarder = new LogForwarder(loggingEndpoint, workerId);
  }
  log(severity: "INFO" | "ERROR", message: string): void {
    process.stderr.write(`beamline worker ${this.workerId}: ${message}\n`);
    this.forwarder?.log(severity, message, "", "", "beamline/boot");
  }
  async close(): Promise<void> {
    await this.forwarder?.close();
    this.forwarder = undefined;
  }
}

function message(e: unknown): string {
  return e instanceof Error ? (e.stack ?? e.message) : String(e);
}

/** Resolves on the first SIGTERM or SIGINT (then stops listening). */
function stopSignal(): { readonly received: Promise<string>; dispose(): void } {
  let dispose = (): void => undefined;
  const received = new Promise<string>((resolve) => {
    const on = (signal: string): void => {
      dispose();
      resolve(signal);
    };
    const term = (): void => on("SIGTERM");
    const int = (): void => on("SIGINT");
    process.once("SIGTERM", term);
    process.once("SIGINT", int);
    dispose = () => {
      process.off("SIGTERM", term);
      process.off("SIGINT", int);
    };
  });
  return { received, dispose: () => dispose() };
}

async function withTimeout(p: Promise<unknown>, ms: number): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  await Promise.race([p.catch(() => undefined), new Promise((resolve) => (timer = setTimeout(resolve, ms)))]);
  clearTimeout(timer);
}

async function runPool(flags: WorkerFlags): Promise<number> {
  const baked = BakedPrograms.from(flags.program!);
  const timeoutMs = (flags.startupTimeoutSecs ?? 120) * 1000;
  const host = flags.workerPoolHost.includes(":") && !flags.workerPoolHost.startsWith("[") ? `[${flags.workerPoolHost}]` : flags.workerPoolHost;
  const pool = await WorkerPoolServer.start(async (req) => {
    const url = req.provisionEndpoint?.url;
    if (url === undefined || url === "") throw new Error("StartWorker without a provision endpoint: the pool cannot learn the pipeline options");
    const wp = workerProgramFrom(provisionedOptions(await provision(url, req.workerId, timeoutMs)));
    return { loadPipeline: () => loadWorkerPipeline(wp, baked), runId: wp.runId };
  }, `${host}:${flags.servicePort}`);
  process.stderr.write(`beamline worker pool listening on ${pool.url}, running programs from ${baked.spec}\n`);
  const signal = stopSignal();
  const name = await signal.received;
  process.stderr.write(`beamline worker pool: ${name}: stopping\n`);
  await withTimeout(pool.stop(), STOP_GRACE_MS);
  return 0;
}

export async function main(argv: readonly string[], env: Readonly<Record<string, string | undefined>> = process.env): Promise<number> {
  // This process only rebuilds graphs: a program's main() must not start a job here.
  enterWorkerMode();
  let flags: WorkerFlags;
  try {
    flags = parseBootFlags(argv, env);
  } catch (e) {
    process.stderr.write(`beamline worker: ${(e as Error).message}\n`);
    return 1;
  }
  if (flags.workerPool) return runPool(flags);
  const bootLog = new BootLog(flags.id, flags.loggingEndpoint);
  const signal = stopSignal();
  let worker: Awaited<ReturnType<typeof boot>>;
  try {
    worker = await boot(flags, (severity, m) => bootLog.log(severity, m));
  } catch (e) {
    bootLog.log("ERROR", `boot failed: ${message(e)}`);
    await bootLog.close();
    signal.dispose();
    return 1;
  }
  await bootLog.close();
  process.stderr.write(`beamline worker ${flags.id}: ${worker.harnesses.length} harness(es) running ${worker.program.program.name}\n`);
  const outcome = await Promise.race([
    worker.done.then(
      () => ({ kind: "ended" as const }),
      (e: unknown) => ({ kind: "failed" as const, error: e }),
    ),
    signal.received.then((name) => ({ kind: "signal" as const, name })),
  ]);
  signal.dispose();
  if (outcome.kind === "failed") {
    const reason = `stopping: ${message(outcome.error)}`;
    process.stderr.write(`beamline worker ${flags.id}: ${reason}\n`);
    worker.harnesses[0]?.log("ERROR", reason);
  } else if (outcome.kind === "signal") {
    process.stderr.write(`beamline worker ${flags.id}: ${outcome.name}: stopping\n`);
  }
  await withTimeout(worker.stop(), STOP_GRACE_MS);
  return outcome.kind === "failed" ? 1 : 0;
}

if (require.main === module) {
  main(process.argv.slice(2)).then(
    (code) => process.exit(code),
    (e: unknown) => {
      process.stderr.write(`beamline worker failed: ${message(e)}\n`);
      process.exit(1);
    },
  );
}
