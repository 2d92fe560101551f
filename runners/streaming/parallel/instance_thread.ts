/**
 * One instance of a parallel streaming run, in a worker thread: rebuilds the pipeline from its
 * program module (as the batch workers do), runs the one-thread streaming driver over the whole
 * graph on this instance's share of the input (its own reader of each subscription), and
 * reports its counts, watermarks and metrics to the coordinator until it ends.
 */
import { parentPort, workerData } from "node:worker_threads";
import { tearDownCombineFns } from "../../../lib/model/combine_lifecycle";
import { InternalError, namesItsTransform } from "../../../lib/model/errors";
import type { MetricsContainer } from "../../../lib/model/metrics";
import type { Pipeline } from "../../../lib/model/pipeline";
import { definedPrograms, enterWorkerMode } from "../../../lib/model/program";
import { snapshotMetrics } from "../../direct/transfer";
import { checkSameStructure } from "../../direct/reconstruction";
import { importProgramModule } from "../../worker/program_loader";
import { StreamingExecution } from "../driver";
import { KeyedExchange, keyedStepNames } from "./exchange";
import type { InstanceInit, InstanceMessage, InstanceStatus, StopRequest } from "./protocol";

const init = workerData as InstanceInit;

function post(message: InstanceMessage): void {
  parentPort!.postMessage(message);
}

async function rebuild(): Promise<Pipeline> {
  enterWorkerMode();
  await importProgramModule(init.modulePath);
  const program = definedPrograms().get(init.programName);
  if (program === undefined) throw new Error(`streaming instance ${init.instance}: module ${init.modulePath} defines no pipeline program named '${init.programName}'`);
  const pipeline = program.create(init.flags as never, init.options);
  if (pipeline.fingerprint() !== init.fingerprint) {
    // Names the first transform that differs from the main thread's graph (e.g. one built only in worker threads).
    if (init.structure !== undefined) checkSameStructure(init.structure, pipeline.structure());
    throw new Error(`streaming instance ${init.instance} rebuilt a different pipeline (fingerprint ${pipeline.fingerprint()} != ${init.fingerprint})`);
  }
  return pipeline;
}

function status(execution: StreamingExecution, containers: ReadonlyMap<string, MetricsContainer>): InstanceStatus {
  return {
    counts: [...execution.countSnapshot()],
    watermarks: [...execution.watermarkSnapshot()],
    metrics: [...containers.values()].map(snapshotMetrics),
  };
}

function describe(e: unknown): NonNullable<Extract<InstanceMessage, { type: "finished" }>["error"]> {
  const err = e instanceof Error ? e : new Error(String(e));
  return { name: err.name, message: err.message, ...(err.stack !== undefined ? { stack: err.stack } : {}), ...(namesItsTransform(err) ? { transformPath: err.transformPath } : {}) };
}

async function main(): Promise<void> {
  let exchange: KeyedExchange | undefined;
  let execution: StreamingExecution;
  const containers = new Map<string, MetricsContainer>();
  const outputs: string[] = [];
  try {
    const pipeline = await rebuild();
    // Keyed steps get the keyed exchange (each key on one instance); an element-wise pipeline needs no ports.
    if (keyedStepNames(pipeline).length > 0) exchange = new KeyedExchange(pipeline, init.instance, init.instances, init.peers);
    else for (const p of init.peers) p?.close();
    execution = new StreamingExecution(pipeline, { runId: init.runId, handleSignals: false, checkEveryElement: init.checkEveryElement, ...(exchange !== undefined ? { exchange } : {}) }, containers, outputs);
    const unrouted = exchange?.unrouted() ?? [];
    if (unrouted.length > 0) throw new InternalError(`streaming instance ${init.instance}: keyed steps ${unrouted.join(", ")} are not behind the keyed exchange`);
  } catch (e) {
    exchange?.close();
    tearDownCombineFns();
    post({ type: "finished", state: "FAILED", outputs: [], counts: [], watermarks: [], metrics: [], error: describe(e) });
    return;
  }
  parentPort!.on("message", (m: StopRequest) => execution.requestStop(m.kind));
  const reporter = setInterval(() => post({ type: "report", ...status(execution, containers) }), init.reportMillis);
  post({ type: "started" });
  try {
    const state = await execution.run();
    // This thread's CombineFn instances are its own (a rebuilt pipeline): their last call comes
    // before "finished", after which the coordinator terminates the thread.
    tearDownCombineFns();
    post({ type: "finished", state, outputs, ...status(execution, containers), ...(execution.error !== undefined ? { error: describe(execution.error) } : {}) });
  } catch (e) {
    tearDownCombineFns();
    throw e;
  } finally {
    exchange?.close();
    clearInterval(reporter);
    parentPort!.removeAllListeners("message");
  }
}

void main();
