/**
 * A pipeline's units (units.ts) as the graph builder's Steps, with the indexes the in-process
 * drivers (batch and streaming) build from: consumers per PCollection, PCollections by id, and the
 * strict checks' view of them.
 */
import type { Coder } from "../../lib/coders/coder";
import type { PCollection } from "../../lib/model/pcollection";
import type { Pipeline } from "../../lib/model/pipeline";
import type { CheckSampler } from "./checks";
import { coderOf, keyCoderOf } from "./default_coders";
import type { Step, StrictChecks } from "./graph_builder";
import { collectUnits, inputsOf, outputsOf, stepSpecOf, Unit } from "./units";
import { InternalError } from "../../lib/model/errors";

export class PipelineGraph {
  readonly units: readonly Unit[];
  private readonly steps = new Map<string, Step>();
  private readonly unitsByName = new Map<string, Unit>();
  private readonly consumerSteps = new Map<string, Step[]>();
  private readonly pcollections = new Map<string, PCollection<unknown>>();

  constructor(pipeline: Pipeline) {
    this.units = collectUnits(pipeline);
    for (const unit of this.units) {
      const outputs = new Map<string, string>();
      if (unit.kind === "pardo") for (const [tag, pc] of unit.node.outputs) outputs.set(tag, pc.id);
      else outputs.set("main", unit.output.id);
      for (const pc of outputsOf(unit)) this.pcollections.set(pc.id, pc);
      const inputs = inputsOf(unit);
      const step: Step = { id: unit.node.fullName, name: unit.node.fullName, spec: stepSpecOf(unit), inputs: inputs.map((pc) => pc.id), outputs };
      this.steps.set(step.id, step);
      this.unitsByName.set(step.id, unit);
      for (const pc of inputs) {
        let list = this.consumerSteps.get(pc.id);
        if (list === undefined) this.consumerSteps.set(pc.id, (list = []));
        list.push(step);
      }
    }
  }

  /** The step of a unit. */
  stepOf(unit: Unit): Step {
    return this.steps.get(unit.node.fullName)!;
  }

  /** The unit of a step. */
  unitOf(step: Step): Unit {
    const unit = this.unitsByName.get(step.id);
    if (unit === undefined) throw new InternalError(`no unit ${step.id}`);
    return unit;
  }

  /** The steps reading a PCollection as their main input, in unit order. */
  consumers(pcollId: string): readonly Step[] {
    return this.consumerSteps.get(pcollId) ?? [];
  }

  pcollection(id: string): PCollection<unknown> {
    const pc = this.pcollections.get(id);
    if (pc === undefined) throw new InternalError(`no PCollection ${id}`);
    return pc;
  }

  /** The strict checks of the graph's PCollections, with samplers from `sampler`. */
  checks(sampler: () => CheckSampler): StrictChecks {
    return {
      sampler,
      coderOf: (id): Coder<unknown> => coderOf(this.pcollection(id)),
      keyCoderOf: (id): Coder<unknown> => keyCoderOf(this.pcollection(id)),
      producerOf: (id): string => this.pcollection(id).producer.fullName,
    };
  }
}
