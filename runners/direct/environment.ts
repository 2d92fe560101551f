/**
 * The buffers, metrics and runtime contexts a stage writes into. Shared by the coordinator
 * (which also owns the shuffles) and the worker threads (which send shuffle data back).
 */
import { InternalError } from "../../lib/model/errors";
import type { Coder } from "../../lib/coders/coder";
import type { OutputCommit } from "../../lib/model/commits";
import type { RuntimeContext } from "../../lib/model/dofn";
import { MetricsContainer, systemCounterKey } from "../../lib/model/metrics";
import type { PipelineOptions } from "../../lib/model/options";
import type { PCollection } from "../../lib/model/pcollection";
import type { WindowedValue } from "../../lib/model/window";
import type { GroupingSink } from "../executor/combine_operator";
import { defaultCoder, valueCoderOf } from "../executor/default_coders";
import { StepContexts } from "../executor/step_contexts";
import type { GroupingUnit } from "../executor/units";
import type { Plan } from "./plan";
import type { StageEnvironment } from "./stage_builder";
import { ElementBuffer, ElementSink } from "./spill/element_buffer";
import { spillBase } from "./spill/spill_directory";

export type { GroupingUnit } from "../executor/units";

/** The coder of what a grouping unit's shuffle holds per value: input values, or accumulators. */
export function shuffledValueCoder(unit: GroupingUnit): Coder<unknown> {
  return unit.kind === "combine" ? defaultCoder() : valueCoderOf(unit.input);
}

export abstract class BufferedStageEnvironment implements StageEnvironment {
  readonly strictChecks: boolean;
  /** Flatten and Reshuffle inputs, by unit name. */
  protected readonly buffers = new Map<string, ElementBuffer>();
  /** Materialized PCollections read as side inputs (in memory: views read them whole). */
  protected readonly materialized = new Map<string, WindowedValue<unknown>[]>();
  /** Materialized PCollections that are only the main input of side-input ParDos (they may spill). */
  protected readonly mainInputs = new Map<string, ElementBuffer>();
  /** The sinks' output commits, run by the DirectRunner once every stage has succeeded. */
  readonly commits: OutputCommit[] = [];
  private readonly contexts: StepContexts;

  constructor(
    readonly plan: Plan,
    protected readonly options: PipelineOptions,
    protected readonly runId: string,
    readonly checkEveryElement: boolean,
    protected readonly containers: Map<string, MetricsContainer>,
    protected readonly outputs: string[],
  ) {
    this.strictChecks = options.strictChecks;
    this.contexts = new StepContexts(containers, options, runId, outputs, this.commits);
  }

  abstract shuffleFor(unitName: string): GroupingSink;

  metricsFor(transformName: string): MetricsContainer {
    return this.contexts.metricsFor(transformName);
  }

  runtimeFor(transformName: string): RuntimeContext {
    return this.contexts.runtimeFor(transformName);
  }

  bufferFor(unitName: string): ElementBuffer {
    let b = this.buffers.get(unitName);
    if (b === undefined) this.buffers.set(unitName, (b = this.newBuffer(this.bufferedPCollection(unitName), unitName)));
    return b;
  }

  materializedFor(pcollId: string): ElementSink {
    return this.plan.sideInputs.has(pcollId) ? this.sideInputFor(pcollId) : this.mainInputFor(pcollId);
  }

  sideInputFor(pcollId: string): WindowedValue<unknown>[] {
    let b = this.materialized.get(pcollId);
    if (b === undefined) this.materialized.set(pcollId, (b = []));
    return b;
  }

  mainInputFor(pcollId: string): ElementBuffer {
    let b = this.mainInputs.get(pcollId);
    if (b === undefined) {
      const pc = this.pcollection(pcollId);
      this.mainInputs.set(pcollId, (b = this.newBuffer(pc, `${pcollId} (the main input of a ParDo with side inputs)`)));
    }
    return b;
  }

  /** Removes the spill files of every buffer (end of the run, failure, a worker's failed bundle). */
  disposeBuffers(): void {
    for (const name of [...this.buffers.keys()]) this.disposeBuffer(name);
    for (const id of [...this.mainInputs.keys()]) this.disposeMainInput(id);
  }

  /** Frees a flatten/reshuffle buffer and removes its spill files. */
  protected disposeBuffer(unitName: string): void {
    const b = this.buffers.get(unitName);
    if (b === undefined) return;
    this.countSpills(unitName, b);
    b.dispose();
    this.buffers.delete(unitName);
  }

  /** Frees a main input's buffer and removes its spill files. */
  protected disposeMainInput(pcollId: string): void {
    const b = this.mainInputs.get(pcollId);
    if (b === undefined) return;
    this.countSpills(this.pcollection(pcollId).producer.fullName, b);
    b.dispose();
    this.mainInputs.delete(pcollId);
  }

  /** Counts a buffer's spills as the step's `beamline/shuffleSpills`, as a shuffle's are. */
  protected countSpills(step: string, b: ElementBuffer): void {
    if (b.spills > 0) this.metricsFor(step).incCounter(systemCounterKey("shuffleSpills"), b.spills);
  }

  private newBuffer(pc: PCollection<unknown>, stepName: string): ElementBuffer {
    return new ElementBuffer({
      // The standard coders are loaded by the runs that spill, not by every run's start-up.
      // eslint-disable-next-line @typescript-eslint/no-require-imports
      coder: () => (require("./transfer") as typeof import("./transfer")).windowedCoderFor(pc),
      memoryBudgetBytes: this.options.directShuffleMemoryMb * 1024 * 1024,
      spillDirectory: this.spillDirectory ?? spillBase(this.options.tempLocation),
      stepName,
    });
  }

  /** Where buffers make their spill directories (a worker thread's: in the coordinator's run directory). */
  protected get spillDirectory(): string | undefined {
    return undefined;
  }

  protected groupingUnit(unitName: string): GroupingUnit {
    const unit = this.plan.units.find((u) => u.node.fullName === unitName);
    if (unit === undefined || (unit.kind !== "gbk" && unit.kind !== "combine")) throw new InternalError(`no shuffle for ${unitName}`);
    return unit;
  }

  /** The PCollection whose elements a flatten/reshuffle buffer holds. */
  protected bufferedPCollection(unitName: string): PCollection<unknown> {
    const unit = this.plan.units.find((u) => u.node.fullName === unitName);
    if (unit?.kind === "flatten") return unit.output;
    if (unit?.kind === "reshuffle") return unit.input;
    throw new InternalError(`unexpected buffer ${unitName}`);
  }

  protected pcollection(id: string): PCollection<unknown> {
    return this.plan.graph.pcollection(id);
  }
}
