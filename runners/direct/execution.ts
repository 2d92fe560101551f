/** One run of a planned pipeline: buffers between stages, metrics, and stage scheduling. */
import { runCommits } from "../../lib/model/commits";
import { MetricsContainer, systemCounterKey } from "../../lib/model/metrics";
import type { Pipeline } from "../../lib/model/pipeline";
import type { DoFn, OutputTags } from "../../lib/model/dofn";
import { inGlobalWindow, kv, ON_TIME_AND_ONLY_FIRING, WindowedValue } from "../../lib/model/window";
import type { WindowingStrategy } from "../../lib/model/windowing";
import { wrapUserError } from "../executor/operator";
import { planStages, Stage, stageOrder } from "./plan";
import { Group, Shuffle } from "./shuffle";
import { makeSpillDirectory, removeSpillDirectory, spillBase } from "./spill/spill_directory";
import type { BufferMark, ElementBuffer } from "./spill/element_buffer";
import { keyCoderOf } from "../executor/default_coders";
import { buildStage, StageInstance } from "./stage_builder";
import { BufferedStageEnvironment, shuffledValueCoder } from "./environment";
import { runStageInstances } from "./stage_runner";
import type { SharedStages, StageRoot } from "./shared_stages";
import type { MetricsSnapshot } from "./transfer";
import type { Coder } from "../../lib/coders/coder";
import type { RunStageResult, ShuffleData, WorkerInit } from "./worker_protocol";
import type { EdgeObserver } from "../executor/graph_builder";
import type { RunMonitor } from "../monitor/run_monitor";

/** Settings of an execution. */
export interface ExecutionSettings {
  readonly checkEveryElement: boolean;
  readonly runId: string;
  /** Live progress of the run, when something watches it (runners/monitor). */
  readonly monitor?: RunMonitor;
}

/**
 * The encodings of what crosses to worker threads (and the metrics snapshots of retries), with
 * the standard coders: loaded by the runs that use them, not by every run's start-up.
 */
function transfer(): typeof import("./transfer") {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  return require("./transfer") as typeof import("./transfer");
}

export class Execution extends BufferedStageEnvironment {
  private readonly shuffles = new Map<string, Shuffle>();
  private readonly slots: number;
  private sharing: SharedStages | undefined;
  /** Where worker threads make their buffers' spill directories (removed at the end of the run). */
  private workerSpillDirectory: string | undefined;
  /** Stages yet to read each spillable main input: it is disposed once the last has. */
  private readonly mainInputReaders = new Map<string, number>();
  /** Live progress, when watched: counts edges (observer) and gives the event loop turns (pauser). */
  readonly monitor: RunMonitor | undefined;
  readonly observer?: EdgeObserver;

  constructor(
    private readonly pipeline: Pipeline,
    settings: ExecutionSettings,
    containers: Map<string, MetricsContainer>,
    outputs: string[],
  ) {
    super(planStages(pipeline), pipeline.options, settings.runId, settings.checkEveryElement, containers, outputs);
    this.slots = Math.max(1, pipeline.options.directNumWorkers);
    this.monitor = settings.monitor;
    if (settings.monitor !== undefined) this.observer = settings.monitor.observer();
    for (const stage of this.plan.stages) {
      const id = stage.root.kind === "materialized" ? stage.root.unit.input.id : undefined;
      if (id !== undefined && !this.plan.sideInputs.has(id)) this.mainInputReaders.set(id, (this.mainInputReaders.get(id) ?? 0) + 1);
    }
  }

  shuffleFor(unitName: string): Shuffle {
    let s = this.shuffles.get(unitName);
    if (s === undefined) {
      const unit = this.groupingUnit(unitName);
      s = new Shuffle({
        keyCoder: keyCoderOf(unit.input),
        valueCoder: shuffledValueCoder(unit),
        combineFn: unit.kind === "combine" ? unit.combineFn : undefined,
        memoryBudgetBytes: this.pipeline.options.directShuffleMemoryMb * 1024 * 1024,
        spillDirectory: spillBase(this.pipeline.options.tempLocation),
        stepName: unitName,
      });
      this.shuffles.set(unitName, s);
    }
    return s;
  }

  async run(): Promise<void> {
    const program = this.pipeline.program;
    if (this.slots > 1 && program !== undefined) {
      // Loaded only for runs that may share work with worker threads.
      const { SharedStages } = await import("./shared_stages");
      // Built when worker threads start, not before: most short runs never start one, and the
      // graph's fingerprint (node:crypto's first load) and the spill directory cost every run.
      const workerInit = (): WorkerInit => {
        this.workerSpillDirectory ??= makeSpillDirectory(spillBase(this.pipeline.options.tempLocation));
        return {
          modulePath: program.modulePath,
          programName: program.name,
          flags: program.flags,
          options: this.pipeline.options,
          runId: this.runId,
          fingerprint: this.pipeline.fingerprint(),
          structure: this.pipeline.structure(),
          checkEveryElement: this.checkEveryElement,
          spillDirectory: this.workerSpillDirectory,
          // Each worker thread counts into its own row of the tally (SharedStages numbers them).
          ...(this.monitor !== undefined ? { tally: { layout: this.monitor.layout, thread: 1 } } : {}),
        };
      };
      this.sharing = new SharedStages(
        this,
        workerInit,
        this.slots,
        this.pipeline.options.directWorkerThreads,
      );
    }
    try {
      for (const stage of stageOrder(this.plan)) {
        await this.runStageWithRetries(stage);
        this.disposeRead(stage);
      }
      // Every stage succeeded: only now do the sinks' outputs become visible (lib/model/commits.ts).
      await runCommits(this.commits, (step) => this.metricsFor(step));
    } catch (e) {
      // Transforms keep failure-cleanup state (e.g. leased Pub/Sub messages) in the thread that ran them.
      await this.sharing?.cleanupAfterFailure(e instanceof Error ? e.message : String(e));
      throw e;
    } finally {
      for (const [name, s] of this.shuffles) {
        // A system counter, so users can see when a GroupByKey outgrew --direct_shuffle_memory_mb.
        if (s.spills > 0) this.metricsFor(name).incCounter(systemCounterKey("shuffleSpills"), s.spills);
        s.dispose();
      }
      this.sharing?.close();
      this.disposeBuffers();
      if (this.workerSpillDirectory !== undefined) removeSpillDirectory(this.workerSpillDirectory);
    }
  }

  /** Frees (and removes the spill files of) the buffer a finished stage read, unless another stage reads it too. */
  private disposeRead(stage: Stage): void {
    const root = stage.root;
    if (root.kind === "buffer" && (root.unit.kind === "flatten" || root.unit.kind === "reshuffle")) this.disposeBuffer(root.unit.node.fullName);
    else if (root.kind === "materialized") {
      const id = root.unit.input.id;
      const left = (this.mainInputReaders.get(id) ?? 0) - 1;
      this.mainInputReaders.set(id, left);
      if (left <= 0) this.disposeMainInput(id);
    }
  }

  /**
   * Runs a stage (one bundle per worker slot). With `--direct_bundle_retries N`, a stage whose
   * user code threw is run again up to N times, as Beam runners retry a failed bundle: what the
   * failed attempt wrote (shuffles it created, buffers, side inputs, outputs, commits, metrics)
   * is rolled back first. Other errors (model checks, rejected elements, misuse) are not retried.
   */
  private async runStageWithRetries(stage: Stage): Promise<void> {
    const retries = this.pipeline.options.directBundleRetries;
    for (let attempt = 0; ; attempt++) {
      const rollback = retries > 0 ? this.rollbackPoint() : undefined;
      try {
        if (this.sharing !== undefined) await this.sharing.run(stage, this.rootOf(stage));
        else await this.runStageInProcess(stage, attempt > 0);
        return;
      } catch (e) {
        if (!(e instanceof Error) || e.name !== "UserCodeError") throw e;
        if (attempt >= retries) {
          if (retries > 0) e.message += ` (the bundle failed on each of its ${retries + 1} attempts; --direct_bundle_retries ${retries})`;
          throw e;
        }
        rollback!();
        const step = (e as { transformPath?: string }).transformPath;
        if (step !== undefined) this.metricsFor(step).incCounter(systemCounterKey("bundleRetries"), 1);
        process.stderr.write(`A bundle failed (attempt ${attempt + 1} of ${retries + 1}), retrying it: ${e.message}\n`);
      }
    }
  }

  /** What a stage attempt may change, as it is now; the function returned puts it back. */
  private rollbackPoint(): () => void {
    const shuffles = new Set(this.shuffles.keys());
    const marks = (m: Map<string, ElementBuffer>): Map<string, BufferMark> => new Map([...m].map(([k, v]) => [k, v.mark()]));
    const buffers = marks(this.buffers);
    const mainInputs = marks(this.mainInputs);
    const materialized = new Map([...this.materialized].map(([k, v]) => [k, v.length]));
    const outputs = this.outputs.length;
    const commits = this.commits.length;
    const { snapshotMetrics, restoreMetrics } = transfer();
    const metrics = [...this.containers.values()].map(snapshotMetrics);
    return () => {
      for (const [name, s] of this.shuffles) {
        if (shuffles.has(name)) continue;
        s.dispose();
        this.shuffles.delete(name);
      }
      for (const [m, before] of [[this.buffers, buffers], [this.mainInputs, mainInputs]] as const) {
        for (const [k, b] of m) {
          const mark = before.get(k);
          if (mark !== undefined) b.rollback(mark);
          else {
            b.dispose();
            m.delete(k);
          }
        }
      }
      for (const [k, v] of this.materialized) v.length = materialized.get(k) ?? 0;
      this.outputs.length = outputs;
      this.commits.length = commits;
      const saved = new Map(metrics.map((m) => [m.step, restoreMetrics(m)]));
      for (const [step, c] of this.containers) {
        c.clear();
        const before = saved.get(step);
        if (before !== undefined) c.merge(before);
      }
    };
  }

  /** A stage's root elements, and how many there are when that is known without reading them. */
  private rootOf(stage: Stage): StageRoot {
    const root = stage.root;
    switch (root.kind) {
      case "impulse":
        return { elements: [inGlobalWindow(new Uint8Array(0))], count: 1 };
      case "materialized": {
        const id = root.unit.input.id;
        const list = this.plan.sideInputs.has(id) ? this.sideInputFor(id) : this.mainInputFor(id);
        return { elements: list, count: list.length };
      }
      case "buffer": {
        const unit = root.unit;
        if (unit.kind === "flatten" || unit.kind === "reshuffle") {
          const list = this.bufferFor(unit.node.fullName);
          return { elements: list, count: list.length };
        }
        const shuffle = this.shuffleFor(unit.node.fullName);
        const count = shuffle.groupCount;
        const windowing = unit.output.windowing;
        if (unit.kind === "gbk") return { elements: groupsToElements(shuffle.read(), windowing, (g) => g.values), count };
        const fn = unit.combineFn;
        const name = unit.node.fullName;
        const elements = groupsToElements(shuffle.read(), windowing, (g) => {
          try {
            return fn.extractOutput(g.values.length === 1 ? g.values[0] : fn.mergeAccumulators(g.values));
          } catch (e) {
            throw wrapUserError(name, "combine", e, g.key);
          }
        });
        return { elements, count };
      }
    }
  }

  private async runStageInProcess(stage: Stage, retry: boolean): Promise<void> {
    const instances: StageInstance[] = [];
    for (let i = 0; i < this.slots; i++) instances.push(buildStage(stage, this, this.doFnsOfSlot(i, retry)));
    await runStageInstances(instances, this.rootOf(stage).elements, instances.length, this.monitor);
  }

  /**
   * The DoFns slot `slot` runs, by transform name (undefined: the pipeline's own). As Beam, where
   * each instance of a DoFn is deserialized afresh: every slot past the first has its own, and a
   * retried stage fresh ones in every slot, since a DoFn that threw is not used again (Beam's
   * ParDoLifecycleTest). They come from rebuilding the pipeline with its builder; a pipeline
   * built by hand cannot be rebuilt, so its slots share its DoFns.
   */
  private doFnsOfSlot(slot: number, retry: boolean): ReadonlyMap<string, DoFn<unknown, unknown, OutputTags>> | undefined {
    if (slot === 0 && !retry) return undefined;
    if (retry) this.slotDoFns.delete(slot);
    let doFns = this.slotDoFns.get(slot);
    if (doFns === undefined) {
      const rebuilt = this.pipeline.rebuild();
      if (rebuilt === undefined) return undefined;
      doFns = new Map();
      for (const node of rebuilt.primitives()) {
        const p = node.primitive;
        if (p?.kind === "pardo" && p.doFn !== undefined) doFns.set(node.fullName, p.doFn);
      }
      this.slotDoFns.set(slot, doFns);
    }
    return doFns;
  }

  /** The DoFns of each slot past the first (and of every slot after a retry), made on first use. */
  private readonly slotDoFns = new Map<number, Map<string, DoFn<unknown, unknown, OutputTags>>>();

  /** Shuffle additions a worker thread's bundle sent. */
  mergeShuffles(data: ShuffleData["shuffles"]): void {
    const { addShuffleEntries, windowCoderFor } = transfer();
    for (const [name, bytes] of Object.entries(data)) {
      const unit = this.groupingUnit(name);
      addShuffleEntries(bytes, keyCoderOf(unit.input), windowCoderFor(unit.input.windowing), shuffledValueCoder(unit), this.shuffleFor(name));
    }
  }

  /** What a worker thread's bundle produced. */
  merge(result: RunStageResult): void {
    const { decodeAll, windowedCoderFor } = transfer();
    this.mergeShuffles(result.shuffles);
    for (const [name, handed] of Object.entries(result.buffers)) this.bufferFor(name).receive(handed);
    for (const [id, handed] of Object.entries(result.mainInputs)) this.mainInputFor(id).receive(handed);
    for (const [id, bytes] of Object.entries(result.materialized)) {
      const list = this.sideInputFor(id);
      for (const e of decodeAll(windowedCoderFor(this.pcollection(id)), bytes)) list.push(e);
    }
    this.mergeMetrics(result.metrics);
    this.outputs.push(...result.outputs);
    this.commits.push(...result.commits);
  }

  /** Adds what a worker thread's steps counted (also a failed bundle's: Beam's attempted metrics). */
  mergeMetrics(metrics: readonly MetricsSnapshot[]): void {
    const { restoreMetrics } = transfer();
    for (const m of metrics) this.metricsFor(m.step).merge(restoreMetrics(m));
  }

  /** The encoded side inputs a stage reads, for a worker thread (its main input comes in chunks). */
  encodedMaterialized(stage: Stage): Record<string, Uint8Array> {
    const { encodeAll, windowedCoderFor } = transfer();
    const materialized: Record<string, Uint8Array> = {};
    for (const id of stage.readsMaterialized) {
      if (this.plan.sideInputs.has(id)) materialized[id] = encodeAll(windowedCoderFor(this.pcollection(id)), this.sideInputFor(id));
    }
    return materialized;
  }

  /** The coder of a stage's root elements as they cross to a worker thread. */
  rootCoder(stage: Stage): Coder<WindowedValue<unknown>> {
    return transfer().windowedCoderFor(stage.root.kind === "materialized" ? stage.root.unit.input : stage.root.unit.output);
  }
}

function* groupsToElements(groups: Iterable<Group>, windowing: WindowingStrategy, valueOf: (g: Group) => unknown): Generator<WindowedValue<unknown>> {
  for (const g of groups) {
    const timestamp =
      windowing.timestampCombiner === "EARLIEST" ? g.minTimestamp : windowing.timestampCombiner === "LATEST" ? g.maxTimestamp : g.window.maxTimestamp();
    yield { value: kv(g.key, valueOf(g)), timestamp, windows: [g.window], pane: ON_TIME_AND_ONLY_FIRING };
  }
}
