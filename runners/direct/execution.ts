/** One run of a planned pipeline: buffers between stages, metrics, and stage scheduling. */
import type { CombineFnLike } from "../../lib/model/combine_fn";
import type { RuntimeContext } from "../../lib/model/dofn";
import { MetricsContainer, systemCounterKey } from "../../lib/model/metrics";
import type { PCollection } from "../../lib/model/pcollection";
import type { Pipeline } from "../../lib/model/pipeline";
import { inGlobalWindow, kv, ON_TIME_AND_ONLY_FIRING, WindowedValue } from "../../lib/model/window";
import type { WindowingStrategy } from "../../lib/model/windowing";
import type { Coder } from "../../lib/coders/coder";
import { ByteWriter } from "../../lib/coders/byte_io";
import { defaultCoder } from "../executor/default_coders";
import { wrapUserError } from "../executor/operator";
import { planStages, Plan, Stage, stageOrder, Unit } from "./plan";
import { Group, Shuffle } from "./shuffle";
import { buildStage, keyCoderOf, StageEnvironment, StageInstance, valueCoderOf } from "./stage_builder";
import { runStageInstances } from "./stage_runner";
import { decodeAll, encodeAll, readShuffleEntries, restoreMetrics, windowCoderFor, windowedCoderFor } from "./transfer";
import { WorkerPool } from "./worker_pool";
import type { RunStageRequest, RunStageResult } from "./worker_protocol";

/** Settings of an execution. */
export interface ExecutionSettings {
  readonly checkEveryElement: boolean;
  readonly runId: string;
}

/** The coder of what a grouping unit's shuffle holds per value: input values, or accumulators. */
function shuffledValueCoder(unit: Unit & { kind: "gbk" | "combine" }): Coder<unknown> {
  return unit.kind === "combine" ? defaultCoder() : valueCoderOf(unit.input);
}

export class Execution implements StageEnvironment {
  readonly plan: Plan;
  readonly strictChecks: boolean;
  readonly checkEveryElement: boolean;
  private readonly shuffles = new Map<string, Shuffle>();
  private readonly buffers = new Map<string, WindowedValue<unknown>[]>();
  private readonly materialized = new Map<string, WindowedValue<unknown>[]>();
  private readonly runtimes = new Map<string, RuntimeContext>();
  private readonly slots: number;
  private pool: WorkerPool | undefined;

  constructor(
    private readonly pipeline: Pipeline,
    private readonly settings: ExecutionSettings,
    private readonly containers: Map<string, MetricsContainer>,
    private readonly outputs: string[],
  ) {
    this.plan = planStages(pipeline);
    this.strictChecks = pipeline.options.strictChecks;
    this.checkEveryElement = settings.checkEveryElement;
    this.slots = Math.max(1, pipeline.options.directNumWorkers);
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
      r = { options: this.pipeline.options, runId: this.settings.runId, transformName, reportOutputs: (paths) => outputs.push(...paths) };
      this.runtimes.set(transformName, r);
    }
    return r;
  }

  private groupingUnit(unitName: string): Unit & { kind: "gbk" | "combine" } {
    const unit = this.plan.units.find((u) => u.node.fullName === unitName);
    if (unit === undefined || (unit.kind !== "gbk" && unit.kind !== "combine")) throw new Error(`internal: no shuffle for ${unitName}`);
    return unit;
  }

  shuffleFor(unitName: string): Shuffle {
    let s = this.shuffles.get(unitName);
    if (s === undefined) {
      const unit = this.groupingUnit(unitName);
      s = new Shuffle({
        keyCoder: keyCoderOf(unit.input),
        valueCoder: shuffledValueCoder(unit),
        combineFn: unit.kind === "combine" ? (unit.node.composite as { combineFn: CombineFnLike }).combineFn : undefined,
        memoryBudgetBytes: this.pipeline.options.directShuffleMemoryMb * 1024 * 1024,
      });
      this.shuffles.set(unitName, s);
    }
    return s;
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

  async run(): Promise<void> {
    const program = this.pipeline.program;
    if (this.slots > 1 && program !== undefined) {
      this.pool = new WorkerPool(this.slots, {
        modulePath: program.modulePath,
        programName: program.name,
        flags: program.flags,
        options: this.pipeline.options,
        runId: this.settings.runId,
        fingerprint: this.pipeline.fingerprint(),
        checkEveryElement: this.checkEveryElement,
      });
    }
    try {
      for (const stage of stageOrder(this.plan)) {
        if (this.pool !== undefined) await this.runStageOnPool(stage, this.pool);
        else await this.runStageInProcess(stage);
      }
    } finally {
      for (const [name, s] of this.shuffles) {
        // A system counter, so users can see when a GroupByKey outgrew --direct_shuffle_memory_mb.
        if (s.spills > 0) this.metricsFor(name).incCounter(systemCounterKey("shuffleSpills"), s.spills);
        s.dispose();
      }
      await this.pool?.close();
    }
  }

  private rootPCollection(stage: Stage): PCollection<unknown> {
    return stage.root.kind === "materialized" ? stage.root.unit.input : stage.root.unit.output;
  }

  private rootElements(stage: Stage): Iterable<WindowedValue<unknown>> {
    const root = stage.root;
    switch (root.kind) {
      case "impulse":
        return [inGlobalWindow(new Uint8Array(0))];
      case "materialized":
        return this.materializedFor(root.unit.input.id);
      case "buffer": {
        const unit = root.unit;
        if (unit.kind === "flatten" || unit.kind === "reshuffle") return this.bufferFor(unit.node.fullName);
        const shuffle = this.shuffleFor(unit.node.fullName);
        const windowing = unit.output.windowing;
        if (unit.kind === "gbk") return groupsToElements(shuffle.read(), windowing, (g) => g.values);
        const fn = (unit.node.composite as { combineFn: CombineFnLike }).combineFn;
        const name = unit.node.fullName;
        return groupsToElements(shuffle.read(), windowing, (g) => {
          try {
            return fn.extractOutput(g.values.length === 1 ? g.values[0] : fn.mergeAccumulators(g.values));
          } catch (e) {
            throw wrapUserError(name, "combine", e, g.key);
          }
        });
      }
    }
  }

  private async runStageInProcess(stage: Stage): Promise<void> {
    const instances: StageInstance[] = [];
    for (let i = 0; i < this.slots; i++) instances.push(buildStage(stage, this));
    await runStageInstances(instances, this.rootElements(stage));
  }

  private async runStageOnPool(stage: Stage, pool: WorkerPool): Promise<void> {
    const coder = windowedCoderFor(this.rootPCollection(stage));
    const writers = Array.from({ length: pool.size }, () => new ByteWriter(1 << 16));
    let n = 0;
    for (const wv of this.rootElements(stage)) coder.encode(wv, writers[n++ % pool.size]!, "nested");
    const materialized: Record<string, Uint8Array> = {};
    for (const id of stage.readsMaterialized) materialized[id] = encodeAll(windowedCoderFor(this.pcollection(id)), this.materializedFor(id));
    const requests: RunStageRequest[] = [];
    for (let i = 0; i < Math.min(pool.size, Math.max(n, 1)); i++) {
      requests.push({ type: "runStage", stageId: stage.id, elements: writers[i]!.finish().slice(), materialized });
    }
    for (const result of await pool.runAll(requests)) this.merge(result);
  }

  private pcollection(id: string): PCollection<unknown> {
    for (const u of this.plan.units) for (const pc of u.node.outputs.values()) if (pc.id === id) return pc;
    throw new Error(`internal: no PCollection ${id}`);
  }

  private merge(result: RunStageResult): void {
    for (const [name, bytes] of Object.entries(result.shuffles)) {
      const unit = this.groupingUnit(name);
      const shuffle = this.shuffleFor(name);
      for (const e of readShuffleEntries(bytes, keyCoderOf(unit.input), windowCoderFor(unit.input.windowing), shuffledValueCoder(unit))) {
        shuffle.add(e.groupId, e.key, e.window, e.timestamp, e.value);
      }
    }
    for (const [name, bytes] of Object.entries(result.buffers)) {
      const unit = this.plan.units.find((u) => u.node.fullName === name)!;
      const pc = unit.kind === "flatten" ? unit.output : unit.kind === "reshuffle" ? unit.input : undefined;
      if (pc === undefined) throw new Error(`internal: unexpected buffer ${name}`);
      this.bufferFor(name).push(...decodeAll(windowedCoderFor(pc), bytes));
    }
    for (const [id, bytes] of Object.entries(result.materialized)) this.materializedFor(id).push(...decodeAll(windowedCoderFor(this.pcollection(id)), bytes));
    for (const m of result.metrics) this.metricsFor(m.step).merge(restoreMetrics(m));
    this.outputs.push(...result.outputs);
  }
}

function* groupsToElements(groups: Iterable<Group>, windowing: WindowingStrategy, valueOf: (g: Group) => unknown): Generator<WindowedValue<unknown>> {
  for (const g of groups) {
    const timestamp =
      windowing.timestampCombiner === "EARLIEST" ? g.minTimestamp : windowing.timestampCombiner === "LATEST" ? g.maxTimestamp : g.window.maxTimestamp();
    yield { value: kv(g.key, valueOf(g)), timestamp, windows: [g.window], pane: ON_TIME_AND_ONLY_FIRING };
  }
}
