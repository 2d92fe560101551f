/**
 * The DirectRunner: runs a pipeline in this process, batch, with the Beam model's strict checks.
 *
 * 1. Rebuilds the pipeline from its builder (as remote workers do) and fails if the graph
 *    differs; the rebuilt graph's DoFns are the ones executed.
 * 2. Runs every transform's `validate` hook, so missing inputs fail before any work.
 * 3. Plans fused stages and runs them in dependency order; stages fan their root elements out
 *    over `--direct_num_workers` slots, each with its own DoFn instances.
 * 4. On failure, runs `cleanupAfterFailure` hooks (sinks remove temporary output).
 */
import { randomUUID } from "node:crypto";
import { combineAll } from "../../lib/transforms/combine";
import type { CombineFnLike } from "../../lib/model/combine_fn";
import type { RuntimeContext } from "../../lib/model/dofn";
import { PipelineError, PipelineReconstructionError, UserCodeError } from "../../lib/model/errors";
import { MetricResults, MetricsContainer } from "../../lib/model/metrics";
import type { Pipeline } from "../../lib/model/pipeline";
import type { PipelineResult, PipelineState } from "../../lib/model/result";
import type { PipelineRunner } from "../../lib/model/runner_registry";
import { inGlobalWindow, kv, ON_TIME_AND_ONLY_FIRING, WindowedValue } from "../../lib/model/window";
import type { WindowingStrategy } from "../../lib/model/windowing";
import { coderOf } from "../executor/default_coders";
import { wrapUserError } from "../executor/operator";
import { planStages, Plan, Stage, stageOrder } from "./plan";
import { Group, Shuffle } from "./shuffle";
import { buildStage, keyCoderOf, StageEnvironment, StageInstance } from "./stage_builder";

/** Options of the DirectRunner beyond the pipeline options. */
export interface DirectRunnerOptions {
  /** Check every element, not a sample (slower; for tests of the checks). */
  readonly checkEveryElement?: boolean;
  /** Skip the reconstruction check even when the pipeline has a builder. */
  readonly skipReconstructionCheck?: boolean;
}

class DirectResult implements PipelineResult {
  constructor(
    readonly state: PipelineState,
    readonly metrics: MetricResults,
    readonly outputs: readonly string[],
    readonly error?: Error,
  ) {}
  async waitUntilFinish(): Promise<PipelineState> {
    if (this.error !== undefined) throw this.error;
    return this.state;
  }
  async cancel(): Promise<void> {
    // A batch DirectRunner result is final by the time it is returned.
  }
}

/** Compares two graphs line by line and names the first transform that differs. */
export function checkReconstruction(first: Pipeline, second: Pipeline): void {
  const a = first.structure();
  const b = second.structure();
  const n = Math.max(a.length, b.length);
  for (let i = 0; i < n; i++) {
    if (a[i] === b[i]) continue;
    const name = (a[i] ?? b[i] ?? "").split(" :: ")[0] ?? "?";
    throw new PipelineReconstructionError(name, `first build: ${a[i] ?? "(nothing)"}; second build: ${b[i] ?? "(nothing)"}`);
  }
}

export class DirectRunner implements PipelineRunner {
  constructor(private readonly runnerOptions: DirectRunnerOptions = {}) {}

  async run(pipeline: Pipeline): Promise<PipelineResult> {
    const containers = new Map<string, MetricsContainer>();
    const outputs: string[] = [];
    const runId = randomUUID();
    let executed = pipeline;
    try {
      if (!this.runnerOptions.skipReconstructionCheck) {
        const rebuilt = pipeline.rebuild();
        if (rebuilt !== undefined) {
          checkReconstruction(pipeline, rebuilt);
          executed = rebuilt;
        }
      }
      await validate(executed);
    } catch (e) {
      return new DirectResult("FAILED", new MetricResults(containers), [], asError(e));
    }
    try {
      await new Execution(executed, this.runnerOptions, containers, outputs, runId).run();
      return new DirectResult("DONE", new MetricResults(containers), outputs);
    } catch (e) {
      const error = asError(e);
      await cleanupAfterFailure(executed, runId, error);
      return new DirectResult("FAILED", new MetricResults(containers), [], error);
    }
  }
}

function asError(e: unknown): Error {
  return e instanceof Error ? e : new PipelineError(String(e));
}

async function validate(pipeline: Pipeline): Promise<void> {
  for (const node of pipeline.transforms()) {
    const t = node.transform;
    if (t?.validate !== undefined) await t.validate({ options: pipeline.options, transformName: node.fullName });
  }
}

async function cleanupAfterFailure(pipeline: Pipeline, runId: string, cause: Error): Promise<void> {
  for (const node of pipeline.transforms()) {
    const t = node.transform;
    if (t?.cleanupAfterFailure === undefined) continue;
    try {
      await t.cleanupAfterFailure({ options: pipeline.options, runId, transformName: node.fullName });
    } catch (e) {
      // Keep the run's own error; report that cleanup also failed.
      (cause as Error & { cleanupErrors?: unknown[] }).cleanupErrors = [...((cause as Error & { cleanupErrors?: unknown[] }).cleanupErrors ?? []), e];
    }
  }
}

class Execution implements StageEnvironment {
  readonly plan: Plan;
  readonly strictChecks: boolean;
  readonly checkEveryElement: boolean;
  private readonly shuffles = new Map<string, Shuffle>();
  private readonly buffers = new Map<string, WindowedValue<unknown>[]>();
  private readonly materialized = new Map<string, WindowedValue<unknown>[]>();
  private readonly runtimes = new Map<string, RuntimeContext>();
  private readonly slots: number;

  constructor(
    private readonly pipeline: Pipeline,
    runnerOptions: DirectRunnerOptions,
    private readonly containers: Map<string, MetricsContainer>,
    private readonly outputs: string[],
    private readonly runId: string,
  ) {
    this.plan = planStages(pipeline);
    this.strictChecks = pipeline.options.strictChecks;
    this.checkEveryElement = runnerOptions.checkEveryElement === true;
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
      r = { options: this.pipeline.options, runId: this.runId, transformName, reportOutputs: (paths) => outputs.push(...paths) };
      this.runtimes.set(transformName, r);
    }
    return r;
  }

  shuffleFor(unitName: string): Shuffle {
    let s = this.shuffles.get(unitName);
    if (s === undefined) {
      const unit = this.plan.units.find((u) => u.node.fullName === unitName);
      if (unit === undefined || (unit.kind !== "gbk" && unit.kind !== "combine")) throw new Error(`internal: no shuffle for ${unitName}`);
      const combineFn = unit.kind === "combine" ? (unit.node.composite as { combineFn: CombineFnLike }).combineFn : undefined;
      s = new Shuffle({
        keyCoder: keyCoderOf(unit.input),
        valueCoder: coderOf(unit.input),
        combineFn,
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
    try {
      for (const stage of stageOrder(this.plan)) await this.runStage(stage);
    } finally {
      for (const s of this.shuffles.values()) s.dispose();
    }
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
        if (unit.kind === "gbk") return mapGroups(shuffle.read(), windowing, (g) => g.values);
        const fn = (unit.node.composite as { combineFn: CombineFnLike }).combineFn;
        const name = unit.node.fullName;
        const metrics = this.metricsFor(name);
        return mapGroups(shuffle.read(), windowing, (g) => {
          try {
            return fn.extractOutput(g.values.length === 1 ? g.values[0] : fn.mergeAccumulators(g.values));
          } catch (e) {
            throw wrapUserError(name, "combine", e, inGlobalWindow(g.key));
          } finally {
            void metrics;
          }
        });
      }
    }
  }

  private async runStage(stage: Stage): Promise<void> {
    const instances: StageInstance[] = [];
    for (let i = 0; i < this.slots; i++) instances.push(buildStage(stage, this));
    let failure: unknown;
    const started: StageInstance[] = [];
    try {
      for (const inst of instances) {
        for (const op of inst.operators) await op.setup();
        started.push(inst);
        for (let i = inst.operators.length - 1; i >= 0; i--) await inst.operators[i]!.startBundle();
      }
      const inflight: (Promise<void> | undefined)[] = new Array(this.slots).fill(undefined);
      let n = 0;
      for (const wv of this.rootElements(stage)) {
        const slot = this.slots === 1 ? 0 : n++ % this.slots;
        const busy = inflight[slot];
        if (busy !== undefined) {
          inflight[slot] = undefined;
          await busy;
        }
        const r = instances[slot]!.input.receive(wv.value, wv);
        if (r !== undefined) inflight[slot] = r;
      }
      for (const p of inflight) if (p !== undefined) await p;
      for (const inst of instances) for (const op of inst.operators) await op.finishBundle();
    } catch (e) {
      failure = e;
    }
    for (const inst of started) {
      for (const op of inst.operators) {
        try {
          await op.teardown();
        } catch (e) {
          failure ??= e;
        }
      }
    }
    if (failure !== undefined) throw failure instanceof UserCodeError || failure instanceof Error ? failure : new PipelineError(String(failure));
  }
}

function* mapGroups(
  groups: Iterable<Group>,
  windowing: WindowingStrategy,
  valueOf: (g: Group) => unknown,
): Generator<WindowedValue<unknown>> {
  for (const g of groups) {
    const timestamp =
      windowing.timestampCombiner === "EARLIEST" ? g.minTimestamp : windowing.timestampCombiner === "LATEST" ? g.maxTimestamp : g.window.maxTimestamp();
    yield { value: kv(g.key, valueOf(g)), timestamp, windows: [g.window], pane: ON_TIME_AND_ONLY_FIRING };
  }
}

void combineAll;
