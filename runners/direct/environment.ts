/**
 * The buffers, metrics and runtime contexts a stage writes into. Shared by the coordinator
 * (which also owns the shuffles) and the worker threads (which send shuffle data back).
 */
import { InternalError } from "../../lib/model/errors";
import type { Coder } from "../../lib/coders/coder";
import type { OutputCommit } from "../../lib/model/commits";
import type { RuntimeContext } from "../../lib/model/dofn";
import { MetricsContainer } from "../../lib/model/metrics";
import type { PipelineOptions } from "../../lib/model/options";
import type { PCollection } from "../../lib/model/pcollection";
import type { WindowedValue } from "../../lib/model/window";
import type { GroupingSink } from "../executor/combine_operator";
import { defaultCoder } from "../executor/default_coders";
import type { Plan, Unit } from "./plan";
import { StageEnvironment, valueCoderOf } from "./stage_builder";

/** A GroupByKey or lifted combine. */
export type GroupingUnit = Unit & { kind: "gbk" | "combine" };

/** The coder of what a grouping unit's shuffle holds per value: input values, or accumulators. */
export function shuffledValueCoder(unit: GroupingUnit): Coder<unknown> {
  return unit.kind === "combine" ? defaultCoder() : valueCoderOf(unit.input);
}

export abstract class BufferedStageEnvironment implements StageEnvironment {
  readonly strictChecks: boolean;
  protected readonly buffers = new Map<string, WindowedValue<unknown>[]>();
  protected readonly materialized = new Map<string, WindowedValue<unknown>[]>();
  private readonly runtimes = new Map<string, RuntimeContext>();
  /** The sinks' output commits, run by the DirectRunner once every stage has succeeded. */
  readonly commits: OutputCommit[] = [];

  constructor(
    readonly plan: Plan,
    protected readonly options: PipelineOptions,
    protected readonly runId: string,
    readonly checkEveryElement: boolean,
    protected readonly containers: Map<string, MetricsContainer>,
    protected readonly outputs: string[],
  ) {
    this.strictChecks = options.strictChecks;
  }

  abstract shuffleFor(unitName: string): GroupingSink;

  metricsFor(transformName: string): MetricsContainer {
    let c = this.containers.get(transformName);
    if (c === undefined) this.containers.set(transformName, (c = new MetricsContainer(transformName)));
    return c;
  }

  runtimeFor(transformName: string): RuntimeContext {
    let r = this.runtimes.get(transformName);
    if (r === undefined) {
      const outputs = this.outputs;
      const commits = this.commits;
      r = { options: this.options, runId: this.runId, transformName, reportOutputs: (paths) => outputs.push(...paths), deferCommit: (c) => commits.push(c) };
      this.runtimes.set(transformName, r);
    }
    return r;
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
    for (const u of this.plan.units) for (const pc of u.node.outputs.values()) if (pc.id === id) return pc;
    throw new InternalError(`no PCollection ${id}`);
  }
}
