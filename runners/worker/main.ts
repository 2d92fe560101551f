/**
 * The worker container's entry point (setup/worker/boot execs it):
 *
 *     node dist/runners/worker/main.js --id=ID --provision_endpoint=HOST:PORT [--semi_persist_dir=DIR]
 *     node dist/runners/worker/main.js --worker_pool [--service_port=50000]
 *
 * The first form follows the Beam container contract (DOCKER environments, Dataflow); the
 * second serves BeamFnExternalWorkerPool for EXTERNAL environments (e.g. a Flink sidecar).
 */
import { enterWorkerMode } from "../../lib/model/program";
import { boot, parseBootFlags, provision, provisionedOptions } from "./boot";
import { loadWorkerPipeline } from "./program_loader";
import { WorkerPoolServer } from "./worker_pool";
import { workerProgramFrom } from "../portable/pipeline_options";

export async function main(argv: readonly string[]): Promise<number> {
  // This process only rebuilds graphs: a program's main() must not start a job here.
  enterWorkerMode();
  const flags = parseBootFlags(argv);
  if (flags.workerPool) {
    const pool = await WorkerPoolServer.start(async (req) => {
      const url = req.provisionEndpoint?.url;
      if (url === undefined || url === "") throw new Error("StartWorker without a provision endpoint: the pool cannot learn the pipeline options");
      const wp = workerProgramFrom(provisionedOptions(await provision(url, req.workerId)));
      return { loadPipeline: () => loadWorkerPipeline(wp), runId: wp.runId };
    }, `0.0.0.0:${flags.servicePort}`);
    process.stderr.write(`beamline worker pool listening on ${pool.url}\n`);
    await new Promise<void>((resolve) => process.once("SIGTERM", () => void pool.stop().then(resolve)));
    return 0;
  }
  const worker = await boot(flags);
  process.stderr.write(`beamline worker ${flags.id}: ${worker.harnesses.length} harness(es) running ${worker.program.program.name}\n`);
  await worker.done;
  await worker.stop();
  return 0;
}

if (require.main === module) {
  main(process.argv.slice(2)).then(
    (code) => (process.exitCode = code),
    (e: unknown) => {
      process.stderr.write(`beamline worker failed: ${e instanceof Error ? (e.stack ?? e.message) : String(e)}\n`);
      process.exitCode = 1;
    },
  );
}
