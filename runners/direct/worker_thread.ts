/**
 * A DirectRunner worker thread: rebuilds the pipeline by loading the program's module in worker
 * mode (as a remote worker would; CommonJS or ES module), then runs the bundles of stages it is
 * sent and returns their output encoded. It never sees closures from the coordinator, only
 * transform names and data.
 */
import { parentPort, workerData } from "node:worker_threads";
import { namesItsTransform } from "../../lib/model/errors";
import { definedPrograms, enterWorkerMode } from "../../lib/model/program";
import { importProgramModule } from "../worker/program_loader";
import type { Pipeline } from "../../lib/model/pipeline";
import type { PCollection } from "../../lib/model/pcollection";
import type { GroupingSink } from "../executor/combine_operator";
import { checkReconstruction } from "./reconstruction";
import { planStages, Plan, Stage } from "./plan";
import { keyCoderOf } from "../executor/default_coders";
import { buildStage } from "./stage_builder";
import { BufferedStageEnvironment, shuffledValueCoder } from "./environment";
import { decodeAll, encodeAll, MetricsSnapshot, ShuffleEntryWriter, snapshotMetrics, windowCoderFor, windowedCoderFor } from "./transfer";
import type { CoordinatorMessage, RunStageRequest, RunStageResult, WorkerFailed, WorkerInit, WorkerMessage } from "./worker_protocol";
import { cleanupAfterFailure } from "./failure_cleanup";
import { runStageInstances } from "./stage_runner";
import { workerObserver } from "../monitor/run_monitor";

const init = workerData as WorkerInit;

function post(message: WorkerMessage): void {
  parentPort!.postMessage(message);
}

async function rebuild(): Promise<Pipeline> {
  // Loading the program runs its top level; in worker mode its main() does nothing.
  enterWorkerMode();
  await importProgramModule(init.modulePath);
  const program = definedPrograms().get(init.programName);
  if (program === undefined) {
    throw new Error(`worker thread: module ${init.modulePath} defines no pipeline program named '${init.programName}'`);
  }
  const pipeline = program.create(init.flags as never, init.options);
  if (pipeline.fingerprint() !== init.fingerprint) {
    const reference = program.create(init.flags as never, init.options);
    checkReconstruction(reference, pipeline);
    throw new Error(`worker thread rebuilt a different pipeline (fingerprint ${pipeline.fingerprint()} != ${init.fingerprint})`);
  }
  return pipeline;
}

class WorkerEnvironment extends BufferedStageEnvironment {
  readonly shuffleWriters = new Map<string, ShuffleEntryWriter>();
  readonly observer = init.tally === undefined ? undefined : workerObserver(init.tally.layout, init.tally.thread, true);

  constructor(plan: Plan, pipeline: Pipeline) {
    super(plan, pipeline.options, init.runId, init.checkEveryElement, new Map(), []);
  }

  shuffleFor(unitName: string): GroupingSink {
    let w = this.shuffleWriters.get(unitName);
    if (w === undefined) {
      const unit = this.groupingUnit(unitName);
      w = new ShuffleEntryWriter(keyCoderOf(unit.input), windowCoderFor(unit.input.windowing), shuffledValueCoder(unit));
      this.shuffleWriters.set(unitName, w);
    }
    return w;
  }

  /** Encodes what the bundle wrote for the coordinator (materialized inputs it was sent are skipped). */
  result(sentMaterialized: ReadonlySet<string>): RunStageResult {
    const shuffles: Record<string, Uint8Array> = {};
    for (const [name, w] of this.shuffleWriters) shuffles[name] = w.finish();
    const buffers: Record<string, Uint8Array> = {};
    for (const [name, list] of this.buffers) buffers[name] = encodeAll(windowedCoderFor(this.bufferedPCollection(name)), list);
    const materialized: Record<string, Uint8Array> = {};
    for (const [id, list] of this.materialized) {
      if (!sentMaterialized.has(id)) materialized[id] = encodeAll(windowedCoderFor(this.pcollection(id)), list);
    }
    return { type: "stageDone", shuffles, buffers, materialized, metrics: this.metricsSnapshot(), outputs: this.outputs, commits: this.commits };
  }

  metricsSnapshot(): MetricsSnapshot[] {
    return [...this.containers.values()].map(snapshotMetrics);
  }

  /** Adds the materialized PCollections the coordinator sent. */
  receiveMaterialized(encoded: Readonly<Record<string, Uint8Array>>): void {
    for (const [id, bytes] of Object.entries(encoded)) this.materialized.set(id, decodeAll(windowedCoderFor(this.pcollection(id)), bytes));
  }

  rootPCollection(stage: Stage): PCollection<unknown> {
    return stage.root.kind === "materialized" ? stage.root.unit.input : stage.root.unit.output;
  }
}

async function runStage(pipeline: Pipeline, plan: Plan, request: RunStageRequest): Promise<RunStageResult> {
  const stage: Stage = plan.stages[request.stageId]!;
  const env = new WorkerEnvironment(plan, pipeline);
  try {
    env.receiveMaterialized(request.materialized);
    const elements = decodeAll(windowedCoderFor(env.rootPCollection(stage)), request.elements);
    await runStageInstances([buildStage(stage, env)], elements, 1);
  } catch (e) {
    throw new StageFailure(e, env.metricsSnapshot());
  }
  return env.result(new Set(Object.keys(request.materialized)));
}

/** A failed bundle's error with what its steps had counted. */
class StageFailure {
  constructor(
    readonly error: unknown,
    readonly metrics: readonly MetricsSnapshot[],
  ) {}
}

function failureMessage(e: unknown): WorkerFailed {
  const failure = e instanceof StageFailure ? e : undefined;
  const cause = failure?.error ?? e;
  const err = cause instanceof Error ? cause : new Error(String(cause));
  const where = namesItsTransform(err) ? { transformPath: err.transformPath } : {};
  return { type: "error", name: err.name, message: err.message, stack: err.stack, ...where, ...(failure !== undefined ? { metrics: failure.metrics } : {}) };
}

async function main(): Promise<void> {
  let pipeline: Pipeline;
  let plan: Plan;
  try {
    pipeline = await rebuild();
    plan = planStages(pipeline);
  } catch (e) {
    const err = e as Error;
    post({ type: "error", name: err.name, message: err.message, stack: err.stack });
    return;
  }
  parentPort!.on("message", (request: CoordinatorMessage) => {
    if (request.type === "cleanup") {
      void cleanupAfterFailure(pipeline, init.runId, new Error(request.message)).finally(() => post({ type: "cleaned" }));
      return;
    }
    runStage(pipeline, plan, request).then(
      (result) => post(result),
      (e: unknown) => post(failureMessage(e)),
    );
  });
  post({ type: "ready" });
}

void main();
