/** Builds the operators of one fused stage for one worker slot, wired to the runner's buffers. */
import { InternalError } from "../../lib/model/errors";
import type { Coder } from "../../lib/coders/coder";
import type { CombineFnLike } from "../../lib/model/combine_fn";
import type { RuntimeContext } from "../../lib/model/dofn";
import type { MetricsContainer } from "../../lib/model/metrics";
import type { PCollection } from "../../lib/model/pcollection";
import type { SideInput } from "../../lib/model/side_inputs";
import type { ElementMeta, WindowedValue } from "../../lib/model/window";
import { CheckSampler, checkCoderRoundTrip } from "../executor/checks";
import { GroupingSink, GroupingWriter, PrecombineOperator } from "../executor/combine_operator";
import { coderOf, deterministicKeyCoder } from "../executor/default_coders";
import { ElementwiseOperator } from "../executor/elementwise_operator";
import type { Operator } from "../executor/operator";
import { ParDoOperator } from "../executor/pardo_operator";
import { MaybePromise, Receiver, receiverFor } from "../executor/receiver";
import { SideInputReader } from "../executor/side_input_reader";
import { WindowIntoOperator } from "../executor/window_operator";
import type { Plan, Stage, Unit } from "./plan";

/** What a stage's operators need from the runner. */
export interface StageEnvironment {
  readonly plan: Plan;
  readonly strictChecks: boolean;
  readonly checkEveryElement: boolean;
  metricsFor(transformName: string): MetricsContainer;
  runtimeFor(transformName: string): RuntimeContext;
  shuffleFor(unitName: string): GroupingSink;
  /** Element list of a flatten/reshuffle unit's buffer. */
  bufferFor(unitName: string): WindowedValue<unknown>[];
  /** Element list of a materialized PCollection. */
  materializedFor(pcollId: string): WindowedValue<unknown>[];
}

/** The operators of a stage for one slot, in topological order, and where its root elements go. */
export interface StageInstance {
  readonly operators: Operator[];
  readonly input: Receiver;
}

/** The key coder of a KV PCollection: its KV coder's key component if set, else the default. */
export function keyCoderOf(pc: PCollection<unknown>): Coder<unknown> {
  const c = pc.coder;
  if (c !== undefined && c.urn === "beam:coder:kv:v1" && c.components.length === 2) return c.components[0]!;
  return deterministicKeyCoder();
}

/** The value coder of a KV PCollection: its KV coder's value component if set, else the default. */
export function valueCoderOf(pc: PCollection<unknown>): Coder<unknown> {
  const c = pc.coder;
  if (c !== undefined && c.urn === "beam:coder:kv:v1" && c.components.length === 2) return c.components[1]!;
  return coderOf(pc);
}

class CoderCheckReceiver implements Receiver {
  constructor(
    private readonly producer: string,
    private readonly pc: PCollection<unknown>,
    private readonly coder: Coder<unknown>,
    private readonly sampler: CheckSampler,
    private readonly next: Receiver,
  ) {}
  receive(value: unknown, meta: ElementMeta): MaybePromise {
    if (this.sampler.shouldCheck()) checkCoderRoundTrip(this.producer, this.pc.id, this.coder, value);
    return this.next.receive(value, meta);
  }
}

class ListWriter implements Receiver {
  constructor(private readonly list: WindowedValue<unknown>[]) {}
  receive(value: unknown, meta: ElementMeta): MaybePromise {
    this.list.push({ value, timestamp: meta.timestamp, windows: meta.windows, pane: meta.pane });
    return undefined;
  }
}

export function buildStage(stage: Stage, env: StageEnvironment): StageInstance {
  const fusedNames = new Set(stage.fused.map((u) => u.node.fullName));
  const operators: Operator[] = [];
  const tail: Operator[] = [];
  const opByUnit = new Map<string, Operator>();
  const samplers: CheckSampler[] = [];
  const sampler = (): CheckSampler => {
    const s = new CheckSampler(env.checkEveryElement);
    samplers.push(s);
    return s;
  };

  /** Receivers of a PCollection's elements; `checked` = the producer checks its own outputs. */
  const receiverForPcoll = (pc: PCollection<unknown>, checked = false): Receiver => {
    const targets: Receiver[] = [];
    for (const consumer of env.plan.consumers.get(pc.id) ?? []) {
      const name = consumer.node.fullName;
      if (fusedNames.has(name)) {
        targets.push(operatorFor(consumer));
        continue;
      }
      switch (consumer.kind) {
        case "gbk": {
          const w = new GroupingWriter(name, keyCoderOf(pc), env.shuffleFor(name), env.strictChecks ? sampler() : undefined);
          tail.push(w);
          targets.push(w);
          break;
        }
        case "combine": {
          const fn = (consumer.node.composite as { combineFn: CombineFnLike }).combineFn;
          const op = new PrecombineOperator(name, fn, keyCoderOf(pc), env.shuffleFor(name), env.metricsFor(name), env.strictChecks ? sampler() : undefined, pc.windowing.timestampCombiner);
          tail.push(op);
          targets.push(op);
          break;
        }
        case "flatten":
        case "reshuffle":
          targets.push(new ListWriter(env.bufferFor(name)));
          break;
        default:
          break; // a side-input ParDo reads the materialized buffer below
      }
    }
    if (env.plan.materialized.has(pc.id)) targets.push(new ListWriter(env.materializedFor(pc.id)));
    const r = receiverFor(targets);
    if (!env.strictChecks || checked) return r;
    return new CoderCheckReceiver(pc.producer.fullName, pc, coderOf(pc), sampler(), r);
  };

  const operatorFor = (unit: Unit): Operator => {
    const existing = opByUnit.get(unit.node.fullName);
    if (existing !== undefined) return existing;
    const name = unit.node.fullName;
    const inputChecks = (pc: PCollection<unknown>) => (env.strictChecks ? { inputCoder: coderOf(pc), sampler: sampler() } : undefined);
    let op: Operator;
    switch (unit.kind) {
      case "pardo": {
        const spec = unit.node.primitive;
        if (spec?.kind !== "pardo") throw new InternalError(`the unit is not a ParDo`, name);
        const outputs = new Map<string, Receiver>();
        if (spec.elementwise !== undefined) {
          const out = unit.node.mainOutput();
          op = new ElementwiseOperator(
            name,
            spec.elementwise,
            receiverForPcoll(out, true),
            env.metricsFor(name),
            inputChecks(unit.input),
            env.strictChecks ? { pcollId: out.id, coder: coderOf(out), sampler: sampler() } : undefined,
          );
        } else {
          for (const [tag, pc] of unit.node.outputs) outputs.set(tag, receiverForPcoll(pc));
          let reader: SideInputReader | undefined;
          if (spec.sideInputs.length > 0) {
            const contents = new Map<SideInput<unknown>, WindowedValue<unknown>[]>();
            for (const s of spec.sideInputs) contents.set(s, env.materializedFor(s.pcoll.id));
            reader = new SideInputReader(name, contents);
          }
          op = new ParDoOperator(name, spec.doFn!, outputs, reader, env.metricsFor(name), env.runtimeFor(name), inputChecks(unit.input));
        }
        break;
      }
      case "window_into": {
        const spec = unit.node.primitive;
        if (spec?.kind !== "window_into") throw new InternalError(`the unit is not a WindowInto`, name);
        op = new WindowIntoOperator(name, spec.windowing.windowFn, receiverForPcoll(unit.output));
        break;
      }
      default:
        throw new InternalError(`a ${unit.kind} unit cannot be fused`, name);
    }
    opByUnit.set(name, op);
    return op;
  };

  let input: Receiver;
  const root = stage.root;
  if (root.kind === "impulse") input = receiverForPcoll(root.unit.output);
  else if (root.kind === "buffer") input = receiverForPcoll(root.unit.output);
  else input = operatorFor(root.unit);
  for (const u of stage.fused) operators.push(operatorFor(u));
  operators.push(...tail);
  return { operators, input };
}
