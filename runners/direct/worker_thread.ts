/**
 * A DirectRunner worker thread: rebuilds the pipeline by loading the program's module (as a
 * remote worker would), then runs the bundles of stages it is sent and returns their output
 * encoded. It never sees closures from the coordinator, only transform names and data.
 */
import { parentPort, workerData } from "node:worker_threads";
import { definedPrograms } from "../../lib/model/program";
import type { RuntimeContext } from "../../lib/model/dofn";
import { MetricsContainer } from "../../lib/model/metrics";
import type { Pipeline } from "../../lib/model/pipeline";
import type { WindowedValue } from "../../lib/model/window";
import { coderOf } from "../executor/default_coders";
import type { GroupingSink } from "../executor/combine_operator";
import { checkReconstruction } from "./reconstruction";
import { planStages, Plan, Stage } from "./plan";
import { buildStage, keyCoderOf, StageEnvironment } from "./stage_builder";
import { decodeAll, encodeAll, ShuffleEntryWriter, snapshotMetrics, windowCoderFor, windowedCoderFor } from "./transfer";
import type { RunStageRequest, RunStageResult, WorkerInit, WorkerMessage } from "./worker_protocol";
import { runStageInstances } from "./stage_runner";

const init = workerData as WorkerInit;

function post(message: WorkerMessage): void {
  parentPort!.postMessage(message);
}

function rebuild(): Pipeline {
  require(init.modulePath);
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

class WorkerEnvironment implements StageEnvironment {
  readonly strictChecks: boolean;
  readonly checkEveryElement: boolean;
  readonly containers = new Map<string, MetricsContainer>();
  readonly outputs: string[] = [];
  readonly shuffleWriters = new Map<string, ShuffleEntryWriter>();
  readonly buffers = new Map<string, WindowedValue<unknown>[]>();
  readonly materialized = new Map<string, WindowedValue<unknown>[]>();
  private readonly runtimes = new Map<string, RuntimeContext>();

  constructor(
    readonly plan: Plan,
    private readonly pipeline: Pipeline,
  ) {
    this.strictChecks = pipeline.options.strictChecks;
    this.checkEveryElement = init.checkEveryElement;
  }

  metricsFor(transformName: string): MetricsContainer {
    let c = this.containers.get(transformName);
    if (c === undefined) this.containers.set(transformName, (c = new MetricsContainer(transformName)));
    return c;
  }

  runtimeFor(transformName: string): RuntimeContext {
    let r = this.runtimes.get(transformName);
    if (r === undefined) {
      const outputs = this.outputs;
      r = { options: this.pipeline.options, runId: init.runId, transformName, reportOutputs: (paths) => outputs.push(...paths) };
      this.runtimes.set(transformName, r);
    }
    return r;
  }

  shuffleFor(unitName: string): GroupingSink {
    let w = this.shuffleWriters.get(unitName);
    if (w === undefined) {
      const unit = this.plan.units.find((u) => u.node.fullName === unitName);
      if (unit === undefined || (unit.kind !== "gbk" && unit.kind !== "combine")) throw new Error(`internal: no shuffle for ${unitName}`);
      w = new ShuffleEntryWriter(keyCoderOf(unit.input), windowCoderFor(unit.input.windowing), coderOf(unit.input));
      this.shuffleWriters.set(unitName, w);
    }
    return w;
  }

  bufferFor(unitName: string): WindowedValue<unknown>[] {
    let b = this.buffers.get(unitName);
    if (b === undefined) this.buffers.set(unitName, (b = []));
    return b;
  }

  materializedFor(pcollId: string): WindowedValue<unknown>[] {
    let b = this.materialized.get(pcollId);
    if (b === undefined) this.materialized.set(pcollId, (b = []));
    return b;
  }
}

function pcollById(plan: Plan, id: string) {
  for (const u of plan.units) for (const pc of u.node.outputs.values()) if (pc.id === id) return pc;
  throw new Error(`internal: no PCollection ${id}`);
}

async function runStage(pipeline: Pipeline, plan: Plan, request: RunStageRequest): Promise<RunStageResult> {
  const stage: Stage = plan.stages[request.stageId]!;
  const env = new WorkerEnvironment(plan, pipeline);
  const readsFromCoordinator = new Set(Object.keys(request.materialized));
  for (const [id, bytes] of Object.entries(request.materialized)) env.materialized.set(id, decodeAll(windowedCoderFor(pcollById(plan, id)), bytes));
  const rootPc = stage.root.kind === "materialized" ? stage.root.unit.input : stage.root.unit.output;
  const elements = decodeAll(windowedCoderFor(rootPc), request.elements);
  await runStageInstances([buildStage(stage, env)], elements, 1);

  const shuffles: Record<string, Uint8Array> = {};
  for (const [name, w] of env.shuffleWriters) shuffles[name] = w.finish();
  const buffers: Record<string, Uint8Array> = {};
  for (const [name, list] of env.buffers) {
    const unit = plan.units.find((u) => u.node.fullName === name)!;
    const pc = unit.kind === "flatten" ? unit.output : unit.kind === "reshuffle" ? unit.input : undefined;
    if (pc === undefined) throw new Error(`internal: unexpected buffer ${name}`);
    buffers[name] = encodeAll(windowedCoderFor(pc), list);
  }
  const materialized: Record<string, Uint8Array> = {};
  for (const [id, list] of env.materialized) {
    if (readsFromCoordinator.has(id)) continue;
    materialized[id] = encodeAll(windowedCoderFor(pcollById(plan, id)), list);
  }
  return { type: "stageDone", shuffles, buffers, materialized, metrics: [...env.containers.values()].map(snapshotMetrics), outputs: env.outputs };
}

function main(): void {
  let pipeline: Pipeline;
  let plan: Plan;
  try {
    pipeline = rebuild();
    plan = planStages(pipeline);
  } catch (e) {
    const err = e as Error;
    post({ type: "error", name: err.name, message: err.message, stack: err.stack });
    return;
  }
  parentPort!.on("message", (request: RunStageRequest) => {
    runStage(pipeline, plan, request).then(
      (result) => post(result),
      (e: unknown) => {
        const err = e instanceof Error ? e : new Error(String(e));
        post({ type: "error", name: err.name, message: err.message, stack: err.stack });
      },
    );
  });
  post({ type: "ready" });
}

main();
