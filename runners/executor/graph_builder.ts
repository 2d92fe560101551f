/**
 * The one operator-graph builder (ARCHITECTURE.md §3: one bundle executor, several drivers). It
 * turns the steps a driver runs in one piece — a fused stage of the batch DirectRunner, the whole
 * graph of the streaming driver, a ProcessBundleDescriptor on the Fn API worker — into connected
 * operators: here, and only here, is decided which operator runs each kind of step, and every
 * edge PCollection → consumer is wired (in `receiverOf`).
 *
 * Each driver describes its graph as Steps and supplies what differs (GraphHost): where elements
 * go when they leave the part being built (shuffle writers and buffers; grouping nodes; data-plane
 * sinks), how side inputs are read, the state and timer backends of stateful DoFns, strict-check
 * settings, metrics and runtime contexts, and what stands in front of an operator (a side-input
 * gate or loader).
 *
 * Adding a primitive the executor runs is one StepSpec kind with its case in `createOperator`,
 * plus how each graph names it (units.ts for pipelines, the worker's URN table) and its translation.
 */
import type { Coder } from "../../lib/coders/coder";
import type { CombineFnLike } from "../../lib/model/combine_fn";
import type { DoFn, OutputTags, RuntimeContext } from "../../lib/model/dofn";
import type { MetricsContainer } from "../../lib/model/metrics";
import type { ElementwiseFn } from "../../lib/model/pipeline";
import type { SideInput } from "../../lib/model/side_inputs";
import type { TimestampCombiner, WindowFn } from "../../lib/model/windowing";
import { CheckSampler, CoderCheckReceiver } from "./checks";
import { CombinePhase, CombinePhaseOperator, PrecombineStep } from "./combine_phases";
import { ElementwiseOperator } from "./elementwise_operator";
import type { Operator, StepMark } from "./operator";
import { InputChecks, ParDoOperator } from "./pardo_operator";
import { CountingReceiver, DISCARD, Receiver, receiverFor } from "./receiver";
import type { SideInputReader } from "./side_input_reader";
import { AnyStatefulDoFn, StatefulBackends, StatefulParDoOperator } from "./stateful_operator";
import { MapWindowsOperator, MergeWindowsOperator, WindowIntoOperator } from "./window_operator";
import { ReifyMetadataOperator, RestoreMetadataOperator } from "./reshuffle_ops";
import { InternalError } from "../../lib/model/errors";
import type { SplittableFn } from "../../lib/model/splittable";
import type { SplittableHost, SplittablePhase } from "./splittable_operator";

/** What the executor runs for a step. */
export type StepSpec =
  /** Map, FlatMap, Filter: called directly, no context object. */
  | { readonly kind: "elementwise"; readonly fn: ElementwiseFn }
  | {
      readonly kind: "pardo";
      readonly doFn: DoFn<unknown, unknown, OutputTags>;
      readonly sideInputs: readonly SideInput<unknown>[];
      readonly outputTags: readonly string[];
      /** Whether the input is in the global window (where bundle outputs without a window go); unknown: not checked. */
      readonly inGlobalWindows?: boolean;
    }
  | {
      readonly kind: "stateful_pardo";
      readonly doFn: AnyStatefulDoFn;
      readonly sideInputs: readonly SideInput<unknown>[];
      readonly outputTags: readonly string[];
      /** The input's allowed lateness (elements of windows expired past it are dropped). */
      readonly allowedLatenessMillis: number;
    }
  | { readonly kind: "window_into"; readonly windowFn: WindowFn }
  /** Flatten, Reshuffle where elements just pass on. */
  | { readonly kind: "identity" }
  | { readonly kind: "map_windows"; readonly sideWindowFn: WindowFn }
  | { readonly kind: "merge_windows"; readonly windowFn: WindowFn }
  | { readonly kind: "precombine"; readonly combineFn: CombineFnLike; readonly keyCoder: Coder<unknown>; readonly timestampCombiner?: TimestampCombiner }
  | { readonly kind: "combine_phase"; readonly phase: CombinePhase; readonly combineFn: CombineFnLike }
  /** Reshuffle's expansion on portable runners: each element's timestamp, window and pane into its value, and back. */
  | { readonly kind: "reify_metadata" }
  | { readonly kind: "restore_metadata" }
  /** A phase of a splittable DoFn a runner asks the SDK to run (splittable_operator.ts). */
  | {
      readonly kind: "splittable";
      readonly phase: SplittablePhase;
      readonly fn: SplittableFn<unknown, unknown, unknown>;
      /** The side inputs the process phase reads (none for the other phases). */
      readonly sideInputs: readonly SideInput<unknown>[];
      /** The process phase's output tags, "main" first. */
      readonly outputTags: readonly string[];
    }
  /** Run by the driver itself (a grouping, a sink): see GraphHost.route. */
  | { readonly kind: "driver" };

/** One step of a driver's graph. */
export interface Step {
  /** Unique in the graph: the transform's full name, or its id in a ProcessBundleDescriptor. */
  readonly id: string;
  /** Full name of the transform (errors, metrics, runtime context). */
  readonly name: string;
  readonly spec: StepSpec;
  /** Main input PCollection ids (side inputs excluded). */
  readonly inputs: readonly string[];
  /** Output PCollection ids by tag (a ParDo's main output first). */
  readonly outputs: ReadonlyMap<string, string>;
}

/** Where a consumer's elements go when the driver, not the builder, runs it. */
export interface DriverExit {
  readonly receiver: Receiver;
  /** Its bundle lifecycle, if it has one (a precombine flushing at finishBundle, a data sink). */
  readonly operator?: Operator;
  /** The receiver marks its step in the monitor's register itself (built with the observer's `stepMark`): no `edge` wrapper. */
  readonly marksStep?: boolean;
}

/**
 * How a consumer is reached from the part being built: "build" (the builder creates its
 * operator), "skip" (it does not read from here, e.g. it reads a materialized buffer in a stage
 * of its own), or the driver's own receiver.
 */
export type Route = "build" | "skip" | DriverExit;

/** Strict model checks of the steps built (coder round trips, mutation of inputs, key determinism). */
export interface StrictChecks {
  /** A sampler deciding which elements a check looks at. */
  sampler(): CheckSampler;
  coderOf(pcollId: string): Coder<unknown>;
  /** The key coder of a KV PCollection (stateful DoFns' keys must encode deterministically with it). */
  keyCoderOf(pcollId: string): Coder<unknown>;
  /** Full name of the transform producing a PCollection (named by coder errors). */
  producerOf(pcollId: string): string;
}

/**
 * The hooks a monitor inserts into the graph (absent: nothing inserted, nothing paid). Every edge
 * PCollection → consumer passes through `edge`, and every PCollection's receiver through
 * `pcollection`, in GraphBuilder.receiverOf and nowhere else.
 *
 * `counter` and `stepMark` do the same work without a receiver of their own, which is a call per
 * element and edge less on the hot path: a count cell the producer (or the builder's counting
 * receiver) increments, and a register the operators that take one write while they run. Where an
 * operator takes a mark, its edges are not wrapped.
 */
export interface EdgeObserver {
  /** Wraps what one consumer of `pcollId` receives (e.g. to mark `consumer` as the step executing). */
  edge(pcollId: string, consumer: Step, target: Receiver): Receiver;
  /** Wraps what all consumers of `pcollId` receive (e.g. to count its elements). */
  pcollection?(pcollId: string, receiver: Receiver): Receiver;
  /** A cell to count `pcollId`'s elements in, used where the host counts nothing itself (GraphHost.counter). */
  counter?(pcollId: string): { n: number } | undefined;
  /** The register `step`'s operator marks itself in, if the observer tracks the step. */
  stepMark?(step: Step): StepMark | undefined;
}

/** What a driver supplies to the builder. */
export interface GraphHost {
  /** The steps reading a PCollection as their main input, in graph order. */
  consumers(pcollId: string): readonly Step[];
  /** How the consumer `step` of `input` is reached from the part being built. */
  route(step: Step, input: string): Route;
  /** A receiver that keeps a PCollection for later reads (side inputs), if it needs one. */
  materialize?(pcollId: string): Receiver | undefined;
  metricsFor(step: Step): MetricsContainer;
  runtimeFor(step: Step): RuntimeContext;
  /** What the side inputs of a ParDo read. */
  sideInputs(step: Step, views: readonly SideInput<unknown>[]): SideInputReader;
  /** The state and timer backends of a stateful ParDo. */
  stateful(step: Step): StatefulBackends<unknown>;
  /**
   * The DoFn this instance of a ParDo step runs, when not the step's own: a runner running
   * several instances of a stage at once, or a retry, gives each a DoFn of its own (Beam
   * deserializes one per instance), since a DoFn's fields are its instance's state.
   */
  doFnOf?(step: Step): DoFn<unknown, unknown, OutputTags> | undefined;
  /**
   * Told of each operator built; returns what stands in front of it, if anything (a gate holding
   * elements until their side inputs are ready, a loader fetching them).
   */
  placed?(step: Step, operator: Operator): Receiver | undefined;
  /** Where a splittable DoFn's process phase hands residuals and finalization (drivers that run SDFs). */
  splittable?(step: Step): SplittableHost;
  /** Strict checks, when on. */
  readonly checks?: StrictChecks;
  /** A cell to count a PCollection's elements in, if the driver counts them (progress, monitoring infos). */
  counter?(pcollId: string): { n: number };
  /** Monitoring hooks, if a monitor is attached. */
  readonly observer?: EdgeObserver;
}

export class GraphBuilder {
  /** Every operator built (driver exits with a lifecycle included), consumers before producers. */
  readonly operators: Operator[] = [];
  private readonly receivers = new Map<string, Receiver>();
  private readonly entries = new Map<string, Receiver>();
  private readonly built = new Map<string, Operator>();
  /** Steps whose operator marks its step in the monitor's register itself (their edges are not wrapped). */
  private readonly selfMarked = new Set<string>();

  constructor(private readonly host: GraphHost) {}

  /**
   * The receiver of a PCollection's elements: every consumer the host routes to, what keeps it
   * for side inputs, the strict coder check, the driver's count and the monitor's hooks (built
   * with everything downstream on first use).
   */
  receiverOf(pcollId: string): Receiver {
    return this.connect(pcollId, false);
  }

  /**
   * `receiverOf`; `producerChecksOutputs`: the producer checks its outputs against the coder and
   * counts them itself (element-wise steps do: a receiver less per element).
   */
  private connect(pcollId: string, producerChecksOutputs: boolean): Receiver {
    const existing = this.receivers.get(pcollId);
    if (existing !== undefined) return existing;
    const host = this.host;
    const targets: Receiver[] = [];
    for (const step of host.consumers(pcollId)) {
      const route = host.route(step, pcollId);
      if (route === "skip") continue;
      let target: Receiver;
      let marked: boolean;
      if (route === "build") {
        target = this.inputOf(step);
        marked = this.selfMarked.has(step.id);
      } else {
        target = route.receiver;
        marked = route.marksStep === true;
        if (route.operator !== undefined) this.operators.push(route.operator);
      }
      targets.push(host.observer !== undefined && !marked ? host.observer.edge(pcollId, step, target) : target);
    }
    const kept = host.materialize?.(pcollId);
    if (kept !== undefined) targets.push(kept);
    let r = receiverFor(targets);
    const checks = host.checks;
    const count = producerChecksOutputs ? undefined : this.counterOf(pcollId);
    if (checks !== undefined && !producerChecksOutputs) r = new CoderCheckReceiver(checks.producerOf(pcollId), pcollId, checks.coderOf(pcollId), checks.sampler(), r, count);
    else if (count !== undefined) r = new CountingReceiver(count, r);
    if (host.observer?.pcollection !== undefined) r = host.observer.pcollection(pcollId, r);
    this.receivers.set(pcollId, r);
    return r;
  }

  /** What receives a step's input: its operator, or what the host put in front of it (built on first use). */
  inputOf(step: Step): Receiver {
    const existing = this.entries.get(step.id);
    if (existing !== undefined) return existing;
    let entry: Receiver;
    if (step.spec.kind === "identity") {
      entry = this.mainOutput(step);
    } else {
      const op = this.createOperator(step);
      this.built.set(step.id, op);
      this.operators.push(op);
      entry = this.host.placed?.(step, op) ?? op;
    }
    this.entries.set(step.id, entry);
    return entry;
  }

  /** The cell a PCollection's elements are counted in: the host's, else the monitor's (if either counts it). */
  private counterOf(pcollId: string): { n: number } | undefined {
    return this.host.counter?.(pcollId) ?? this.host.observer?.counter?.(pcollId);
  }

  /** The monitor's register for an operator that marks its step itself, if the monitor tracks the step. */
  private stepMarkOf(step: Step): StepMark | undefined {
    const mark = this.host.observer?.stepMark?.(step);
    if (mark !== undefined) this.selfMarked.add(step.id);
    return mark;
  }

  /** The operator built for a step (undefined for identity steps and steps not built). */
  operatorOf(stepId: string): Operator | undefined {
    return this.built.get(stepId);
  }

  private mainOutput(step: Step, producerChecksOutputs = false): Receiver {
    const first = step.outputs.values().next();
    return first.done === true ? DISCARD : this.connect(first.value, producerChecksOutputs);
  }

  /** A ParDo's outputs by tag; declared tags the graph does not wire (unused outputs on a worker) are dropped. */
  private taggedOutputs(step: Step, tags: readonly string[]): Map<string, Receiver> {
    const outputs = new Map<string, Receiver>();
    for (const [tag, pcollId] of step.outputs) outputs.set(tag, this.receiverOf(pcollId));
    for (const tag of tags) if (!outputs.has(tag)) outputs.set(tag, DISCARD);
    return outputs;
  }

  /** Mutation checks of what a step reads, when checks are on. */
  private inputChecks(step: Step): InputChecks | undefined {
    const checks = this.host.checks;
    const input = step.inputs[0];
    return checks !== undefined && input !== undefined ? { inputCoder: checks.coderOf(input), sampler: checks.sampler() } : undefined;
  }

  private createOperator(step: Step): Operator {
    const host = this.host;
    const spec = step.spec;
    const name = step.name;
    switch (spec.kind) {
      case "elementwise": {
        const checks = host.checks;
        const out = step.outputs.values().next().value;
        const outputChecks = checks !== undefined && out !== undefined ? { pcollId: out, coder: checks.coderOf(out), sampler: checks.sampler() } : undefined;
        const count = out !== undefined ? this.counterOf(out) : undefined;
        const next = this.mainOutput(step, outputChecks !== undefined || count !== undefined);
        return new ElementwiseOperator(name, spec.fn, next, host.metricsFor(step), this.inputChecks(step), outputChecks, count, this.stepMarkOf(step));
      }
      case "pardo": {
        const outputs = this.taggedOutputs(step, spec.outputTags);
        const reader = spec.sideInputs.length > 0 ? host.sideInputs(step, spec.sideInputs) : undefined;
        return new ParDoOperator(name, host.doFnOf?.(step) ?? spec.doFn, outputs, reader, host.metricsFor(step), host.runtimeFor(step), this.inputChecks(step), this.stepMarkOf(step), spec.inGlobalWindows);
      }
      case "stateful_pardo": {
        const outputs = this.taggedOutputs(step, spec.outputTags);
        const reader = spec.sideInputs.length > 0 ? host.sideInputs(step, spec.sideInputs) : undefined;
        const checks = host.checks;
        const input = step.inputs[0];
        const keys = checks !== undefined && input !== undefined ? { sampler: checks.sampler(), keyCoder: checks.keyCoderOf(input) } : undefined;
        const elements = this.inputChecks(step);
        return new StatefulParDoOperator(name, spec.doFn, outputs, reader, host.metricsFor(step), host.runtimeFor(step), host.stateful(step), spec.allowedLatenessMillis, {
          ...(elements !== undefined ? { input: elements } : {}),
          ...(keys !== undefined ? { keys } : {}),
        });
      }
      case "window_into": {
        // Window.into passes its input values on unchanged: with its input's coder, the input's
        // (sampled) coder check covers its outputs, and the operator only counts them (a receiver
        // less per element). A different coder set on its output is checked as usual.
        const out = step.outputs.values().next().value;
        const input = step.inputs[0];
        const checks = host.checks;
        const covered = checks === undefined || (out !== undefined && input !== undefined && checks.coderOf(out) === checks.coderOf(input));
        const count = covered && out !== undefined ? this.counterOf(out) : undefined;
        return new WindowIntoOperator(name, spec.windowFn, this.mainOutput(step, covered), count);
      }
      case "map_windows":
        return new MapWindowsOperator(name, spec.sideWindowFn, this.mainOutput(step));
      case "merge_windows":
        return new MergeWindowsOperator(name, spec.windowFn, this.mainOutput(step));
      case "precombine":
        return new PrecombineStep(name, spec.combineFn, spec.keyCoder, this.mainOutput(step), host.metricsFor(step), spec.timestampCombiner, this.stepMarkOf(step));
      case "combine_phase":
        return new CombinePhaseOperator(name, spec.phase, spec.combineFn, this.mainOutput(step), host.metricsFor(step));
      case "reify_metadata":
        return new ReifyMetadataOperator(name, this.mainOutput(step));
      case "restore_metadata":
        return new RestoreMetadataOperator(name, this.mainOutput(step));
      case "splittable": {
        // Loaded on first use: only runners' splittable reads (the Fn API worker) run these phases.
        // eslint-disable-next-line @typescript-eslint/no-require-imports
        const { splittableOperator } = require("./splittable_operator") as typeof import("./splittable_operator");
        if (spec.phase !== "process") return splittableOperator(name, spec.phase, spec.fn, this.mainOutput(step), host.runtimeFor(step), host.metricsFor(step), undefined);
        const outputs = this.taggedOutputs(step, spec.outputTags);
        const reader = spec.sideInputs.length > 0 ? host.sideInputs(step, spec.sideInputs) : undefined;
        const main = outputs.get("main") ?? this.mainOutput(step);
        return splittableOperator(name, spec.phase, spec.fn, main, host.runtimeFor(step), host.metricsFor(step), host.splittable?.(step), { outputs, sideInputs: reader });
      }
      case "identity":
      case "driver":
        throw new InternalError(`step ${name} (${spec.kind}) has no executor operator`);
    }
  }
}
