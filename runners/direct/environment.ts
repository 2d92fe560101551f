/**
 * The buffers, metrics and runtime contexts a stage writes into. Shared by the coordinator
 * (which also owns the shuffles) and the worker threads (which send shuffle data back).
 */
import { InternalError } from "../../lib/model/errors";
import type { Coder } from "../../lib/coders/coder";
import type { OutputCommit } from "../../lib/model/commits";
import type { RuntimeContext } from "../../lib/model/dofn";
import type { MetricsContainer } from "../../lib/model/metrics";
import type { PipelineOptions } from "../../lib/model/options";
import type { PCollection } from "../../lib/model/pcollection";
import type { WindowedValue } from "../../lib/model/window";
import type { GroupingSink } from "../executor/combine_operator";
import { defaultCoder, valueCoderOf } from "../executor/default_coders";
import { StepContexts } from "../executor/step_contexts";
import type { GroupingUnit } from "../executor/units";
import type { Plan } from "./plan";
import type { StageEnvironment } from "./stage_builder";

export type { GroupingUnit } from "../executor/units";

/** The coder of what a grouping unit's shuffle holds per value: input values, or accumulators. */
export function shuffledValueCoder(unit: GroupingUnit): Coder<unknown> {
  return unit.kind === "combine" ? defaultCoder() : valueCoderOf(unit.input);
}

export abstract class BufferedStageEnvironment implements StageEnvironment {
  readonly strictChecks: boolean;
  protected readonly buffers = new Map<string, WindowedValue<unknown>[]>();
  protected readonly materialized = new Map<string, WindowedValue<unknown>[]>();
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
