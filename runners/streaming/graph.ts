/**
 * The streaming driver's view of a pipeline: its steps (units) in topological order, and a push
 * graph of receivers built from the executor's operators plus the streaming steps (grouping,
 * stateful ParDo, side-input gates). Unlike the batch plan there are no stage buffers: an
 * element flows through every step it reaches as soon as it arrives.
 */
import { InternalError } from "../../lib/model/errors";
import type { CombineFnLike } from "../../lib/model/combine_fn";
import type { RuntimeContext } from "../../lib/model/dofn";
import { MetricsContainer, systemCounterKey } from "../../lib/model/metrics";
import type { PCollection } from "../../lib/model/pcollection";
import type { Pipeline, TransformNode } from "../../lib/model/pipeline";
import type { SideInput } from "../../lib/model/side_inputs";
import { isStatefulDoFn } from "../../lib/model/state";
import { READ_UNBOUNDED_URN, ReadUnboundedSpec, TEST_STREAM_URN, TestStreamSpec } from "../../lib/testing/test_stream";
import { BoundedWindow, ElementMeta, Instant, WindowedValue } from "../../lib/model/window";
import { ElementwiseOperator } from "../executor/elementwise_operator";
import type { Operator } from "../executor/operator";
import { ParDoOperator } from "../executor/pardo_operator";
import { MaybePromise, PendingWork, Receiver, receiverFor } from "../executor/receiver";
import { SideInputReader } from "../executor/side_input_reader";
import { isTriggered, SideInputStore } from "./side_input_store";
import { GlobalWindows } from "../../lib/model/windowing";
import { WindowIntoOperator } from "../executor/window_operator";
import { keyCoderOf } from "../direct/stage_builder";
import { Clocks, DROPPED_LATE, GroupNode, TimeAware } from "./grouping";
import { StatefulParDoOperator } from "./stateful";
import { StreamingChecks } from "./strict_checks";

/** A step of the streaming graph. */
export type StreamingUnit =
  | { readonly kind: "testStream"; readonly node: TransformNode; readonly spec: TestStreamSpec; readonly output: PCollection<unknown> }
  | { readonly kind: "readUnbounded"; readonly node: TransformNode; readonly spec: ReadUnboundedSpec; readonly output: PCollection<unknown> }
  | { readonly kind: "impulse"; readonly node: TransformNode; readonly output: PCollection<unknown> }
  | { readonly kind: "pardo"; readonly node: TransformNode; readonly input: PCollection<unknown> }
  | { readonly kind: "window_into" | "gbk" | "combine" | "reshuffle"; readonly node: TransformNode; readonly input: PCollection<unknown>; readonly output: PCollection<unknown> }
  | { readonly kind: "flatten"; readonly node: TransformNode; readonly inputs: readonly PCollection<unknown>[]; readonly output: PCollection<unknown> };

/** The steps of a pipeline in application (topological) order; sources and lifted composites are one step each. */
export function collectStreamingUnits(pipeline: Pipeline): StreamingUnit[] {
  const units: StreamingUnit[] = [];
  const visit = (node: TransformNode): void => {
    const c = node.composite;
    if (c?.urn === TEST_STREAM_URN) return void units.push({ kind: "testStream", node, spec: c as TestStreamSpec, output: node.mainOutput() });
    if (c?.urn === READ_UNBOUNDED_URN) return void units.push({ kind: "readUnbounded", node, spec: c as ReadUnboundedSpec, output: node.mainOutput() });
    if (c?.urn === "beam:transform:combine_per_key:v1") return void units.push({ kind: "combine", node, input: node.inputs[0]!, output: node.mainOutput() });
    if (c?.urn === "beam:transform:reshuffle:v1") return void units.push({ kind: "reshuffle", node, input: node.inputs[0]!, output: node.mainOutput() });
    const p = node.primitive;
    if (p === undefined) {
      for (const child of node.children) visit(child);
      return;
    }
    switch (p.kind) {
      case "impulse":
        return void units.push({ kind: "impulse", node, output: node.mainOutput() });
      case "pardo":
        return void units.push({ kind: "pardo", node, input: node.inputs[0]! });
      case "flatten":
        return void units.push({ kind: "flatten", node, inputs: node.inputs, output: node.mainOutput() });
      case "window_into":
      case "gbk":
        return void units.push({ kind: p.kind, node, input: node.inputs[0]!, output: node.mainOutput() });
    }
  };
  for (const child of pipeline.root.children) visit(child);
  return units;
}

/**
 * Whether a pipeline needs the streaming driver: --streaming, any unbounded PCollection, or
 * merging windows (sessions), which only this driver merges.
 */
export function needsStreaming(pipeline: Pipeline): boolean {
  if (pipeline.options.streaming) return true;
  return pipeline.transforms().some(
    (n) =>
      // Stateful DoFns (state per key and window, timers) and merging windows live in this
      // driver; a bounded pipeline using them runs here too, to the end of its input.
      (n.primitive?.kind === "pardo" && isStatefulDoFn(n.primitive.doFn)) ||
      [...n.outputs.values()].some((pc) => !pc.isBounded || pc.windowing.windowFn.isMerging),
  );
}

/** What building the graph needs from the driver. */
export interface GraphEnvironment {
  metricsFor(transformName: string): MetricsContainer;
  runtimeFor(transformName: string): RuntimeContext;
  /** The current watermark of a PCollection. */
  watermarkOf(pcollId: string): Instant;
  /** The current processing time (wall clock with real-time sources, virtual with TestStreams). */
  readonly currentProcessingTime?: () => Instant;
  /** The element count of a PCollection (a cell the graph increments per element). */
  counterOf(pcollId: string): { n: number };
  /**
   * Strict model checks on every element instead of a sample (the DirectRunner's
   * `checkEveryElement`); absent means sampled. Whether they run at all is the pipeline option
   * `strictChecks`.
   */
  readonly checkEveryElement?: boolean;
}

/**
 * Holds the main input of a ParDo with side inputs until the side inputs are complete for the
 * element's windows (their watermark has passed the side-input window), then releases it. An
 * element of a window whose side-input window was already dropped (data later than the allowed
 * lateness) is dropped and counted, as a GroupByKey drops it.
 */
export class SideInputGate implements Receiver, TimeAware {
  private buffered: WindowedValue<unknown>[] = [];
  /** Held elements released so far (they reach the ParDo without passing its input's counter again). */
  released = 0;
  private readonly pending = new PendingWork();
  constructor(
    private readonly sideInputs: readonly SideInput<unknown>[],
    private readonly env: GraphEnvironment,
    private readonly next: Receiver,
    /** The store of each side input (collected after each advance). */
    private readonly stores: ReadonlyMap<SideInput<unknown>, SideInputStore>,
    private readonly metrics: MetricsContainer,
    /** Collect the stores after each advance (false: the owner calls `collect()` later, e.g. after timers). */
    private readonly collectOnAdvance = true,
  ) {}
  /** Every side-input window the element reads is complete (watermark past its end) or has a fired pane. */
  private ready(meta: ElementMeta): boolean {
    return this.sideInputs.every((s) =>
      meta.windows.every((w) => {
        const sideWindow = s.pcoll.windowing.windowFn.sideInputWindow(w);
        return this.env.watermarkOf(s.pcoll.id) > sideWindow.maxTimestamp() || this.stores.get(s)!.hasFired(sideWindow);
      }),
    );
  }
  /** The element's windows whose side-input windows are all still held (all of them, usually). */
  private readable(meta: ElementMeta): readonly BoundedWindow[] {
    const keep = (w: BoundedWindow): boolean => this.sideInputs.every((s) => this.stores.get(s)!.holds(s.pcoll.windowing.windowFn.sideInputWindow(w)));
    return meta.windows.every(keep) ? meta.windows : meta.windows.filter(keep);
  }
  receive(value: unknown, meta: ElementMeta): MaybePromise {
    const windows = this.readable(meta);
    if (windows.length < meta.windows.length) {
      this.metrics.incCounter(systemCounterKey(DROPPED_LATE), meta.windows.length - windows.length);
      if (windows.length === 0) return undefined;
      meta = { timestamp: meta.timestamp, windows, pane: meta.pane };
    }
    if (this.buffered.length === 0 && this.ready(meta)) return this.next.receive(value, meta);
    this.buffered.push({ value, timestamp: meta.timestamp, windows: meta.windows, pane: meta.pane });
    return undefined;
  }
  async advance(clocks: Clocks): Promise<void> {
    // Triggered side inputs fire their panes first (at their own watermark), then held elements may go.
    for (const [side, store] of this.stores) await store.advance({ inputWatermark: this.env.watermarkOf(side.pcoll.id), processingTime: clocks.processingTime });
    const waiting = this.buffered;
    this.buffered = [];
    for (const wv of waiting) {
      if (this.ready(wv)) {
        this.released++;
        this.pending.add(this.next.receive(wv.value, wv));
      } else this.buffered.push(wv);
    }
    // Collect only once what was released has read its side inputs.
    await this.pending.take();
    if (this.collectOnAdvance) this.collect();
  }
  /** Drops the side-input windows no element or timer can read any more. */
  collect(): undefined {
    for (const store of new Set(this.stores.values())) store.collect();
    return undefined;
  }
  hold(): Instant {
    let h = Infinity;
    for (const wv of this.buffered) if (wv.timestamp < h) h = wv.timestamp;
    return h;
  }
}

class Counting implements Receiver {
  private readonly count: { n: number };
  constructor(
    pcollId: string,
    env: GraphEnvironment,
    private readonly next: Receiver,
  ) {
    this.count = env.counterOf(pcollId);
  }
  receive(value: unknown, meta: ElementMeta): MaybePromise {
    this.count.n++;
    return this.next.receive(value, meta);
  }
}

/** The push graph of a pipeline. */
export class StreamingGraph {
  /** Executor operators (bundle lifecycle), downstream first. */
  readonly operators: Operator[] = [];
  /** The time-aware step of each unit that has one, by unit name. */
  readonly timeAware = new Map<string, TimeAware>();
  readonly groupNodes = new Map<string, GroupNode>();
  /** The side-input gate in front of each ParDo that reads side inputs, by unit name. */
  readonly gates = new Map<string, SideInputGate>();
  private readonly receivers = new Map<string, Receiver>();
  private readonly consumers = new Map<string, StreamingUnit[]>();
  private readonly sideInputPcolls = new Set<string>();
  private readonly materialized = new Map<string, SideInputStore>();
  /** The strict model checks (coders, keys, mutation). */
  readonly checks: StreamingChecks;

  constructor(
    readonly units: readonly StreamingUnit[],
    private readonly env: GraphEnvironment,
  ) {
    const anyPcoll = units.flatMap((u) => [...u.node.outputs.values()])[0];
    this.checks = new StreamingChecks(anyPcoll?.pipeline.options.strictChecks ?? true, env.checkEveryElement === true);
    for (const u of units) {
      const inputs = u.kind === "flatten" ? u.inputs : "input" in u ? [u.input] : [];
      for (const pc of inputs) this.consumers.set(pc.id, [...(this.consumers.get(pc.id) ?? []), u]);
      if (u.kind === "pardo" && u.node.primitive?.kind === "pardo") for (const s of u.node.primitive.sideInputs) this.sideInputPcolls.add(s.pcoll.id);
    }
  }

  /** The processing-time clock of the run, for steps whose triggers read it. */
  private now(): (() => Instant) | undefined {
    const clock = this.env.currentProcessingTime;
    return clock !== undefined ? (): Instant => clock() : undefined;
  }

  /** The receiver of a PCollection's elements (built on first use). */
  receiverOf(pc: PCollection<unknown>): Receiver {
    let r = this.receivers.get(pc.id);
    if (r !== undefined) return r;
    const targets: Receiver[] = [];
    for (const u of this.consumers.get(pc.id) ?? []) targets.push(this.consumerReceiver(u, pc));
    if (this.sideInputPcolls.has(pc.id)) targets.push(this.materializedFor(pc));
    r = new Counting(pc.id, this.env, this.checks.coderChecked(pc, receiverFor(targets)));
    this.receivers.set(pc.id, r);
    return r;
  }

  private materializedFor(pc: PCollection<unknown>): SideInputStore {
    let store = this.materialized.get(pc.id);
    if (store === undefined) this.materialized.set(pc.id, (store = new SideInputStore(pc.windowing, this.env.metricsFor(pc.producer.fullName), pc.id, this.now())));
    return store;
  }

  private consumerReceiver(u: StreamingUnit, input: PCollection<unknown>): Receiver {
    const name = u.node.fullName;
    switch (u.kind) {
      case "flatten":
      case "reshuffle":
        return this.receiverOf(u.output);
      case "window_into": {
        const spec = u.node.primitive;
        if (spec?.kind !== "window_into") throw new InternalError(`the unit is not a WindowInto`, name);
        const op = new WindowIntoOperator(name, spec.windowing.windowFn, this.receiverOf(u.output));
        this.operators.push(op);
        return op;
      }
      case "gbk":
      case "combine": {
        const fn = u.kind === "combine" ? (u.node.composite as { combineFn: CombineFnLike }).combineFn : undefined;
        const g = new GroupNode(name, input.windowing, keyCoderOf(input), fn, this.receiverOf(u.output), this.env.metricsFor(name), this.checks.keyChecks(), this.now());
        this.timeAware.set(name, g);
        this.groupNodes.set(name, g);
        return g;
      }
      case "pardo":
        return this.pardoReceiver(u, name);
      default:
        throw new InternalError(`a ${u.kind} unit does not consume a PCollection`, name);
    }
  }

  private pardoReceiver(u: StreamingUnit & { kind: "pardo" }, name: string): Receiver {
    const spec = u.node.primitive;
    if (spec?.kind !== "pardo") throw new InternalError(`the unit is not a ParDo`, name);
    if (spec.elementwise !== undefined) {
      const op = new ElementwiseOperator(name, spec.elementwise, this.receiverOf(u.node.mainOutput()), this.env.metricsFor(name), this.checks.inputChecks(u.input), undefined);
      this.operators.push(op);
      return op;
    }
    const outputs = new Map<string, Receiver>();
    for (const [tag, pc] of u.node.outputs) outputs.set(tag, this.receiverOf(pc));
    let reader: SideInputReader | undefined;
    if (spec.sideInputs.length > 0) {
      const contents = new Map<SideInput<unknown>, SideInputStore>();
      for (const s of spec.sideInputs) contents.set(s, this.materializedFor(s.pcoll));
      reader = new SideInputReader(name, contents);
    }
    if (isStatefulDoFn(spec.doFn)) {
      const checks = { input: this.checks.inputChecks(u.input), keys: this.checks.keyChecks() };
      const op = new StatefulParDoOperator(name, spec.doFn, outputs, this.env.metricsFor(name), this.env.runtimeFor(name), u.input.windowing, keyCoderOf(u.input), checks, reader);
      this.operators.push(op);
      if (spec.sideInputs.length === 0) {
        this.timeAware.set(name, op);
        return op;
      }
      // Elements wait at the gate until their side-input windows are complete; timers wait
      // until the side inputs' watermarks have also passed them, so onTimer reads complete
      // side inputs too.
      // Side-input windows are collected after the timers: a timer may fire in the advance that
      // expires its window, and onTimer still reads the side inputs.
      const gate = this.sideInputGate(name, spec.sideInputs, u.input, op, false);
      const sideWatermark = (): Instant => Math.min(...spec.sideInputs.map((s) => this.env.watermarkOf(s.pcoll.id)));
      this.timeAware.set(name, {
        advance: async (clocks: Clocks): Promise<void> => {
          await gate.advance(clocks);
          await op.advance({ inputWatermark: Math.min(clocks.inputWatermark, sideWatermark()), processingTime: clocks.processingTime });
          gate.collect();
        },
        hold: (): Instant => Math.min(gate.hold(), op.hold()),
      });
      return gate;
    }
    const op = new ParDoOperator(name, spec.doFn!, outputs, reader, this.env.metricsFor(name), this.env.runtimeFor(name), this.checks.inputChecks(u.input));
    this.operators.push(op);
    if (spec.sideInputs.length === 0) return op;
    const gate = this.sideInputGate(name, spec.sideInputs, u.input, op);
    this.timeAware.set(name, gate);
    return gate;
  }

  /**
   * The gate in front of a ParDo reading side inputs. It is also a consumer of the side inputs'
   * stores: a side-input window can be dropped once the main and side inputs' watermarks are past
   * its end plus the main input's allowed lateness (no element that is not droppable maps to it,
   * and a stateful consumer's timers for it have fired) and no element held at the gate is older.
   */
  private sideInputGate(name: string, sideInputs: readonly SideInput<unknown>[], input: PCollection<unknown>, next: Receiver, collectOnAdvance = true): SideInputGate {
    if (this.units.some((u) => u.kind === "readUnbounded")) {
      const untriggeredGlobal = (v: SideInput<unknown>): boolean => !v.pcoll.isBounded && v.pcoll.windowing.windowFn instanceof GlobalWindows && !isTriggered(v.pcoll.windowing);
      for (const s of sideInputs.filter(untriggeredGlobal)) {
        process.stderr.write(
          `Warning: side input ${s.pcoll.id} of '${name}' is unbounded, in the global window and without a trigger, so it is ready only when the ` +
            `pipeline drains: '${name}' holds its input until then. Give it a trigger (e.g. Window.into(new GlobalWindows(), { trigger: ` +
            `Repeatedly(AfterProcessingTime(60_000)) })) to read its latest pane, or window it (e.g. FixedWindows).\n`,
        );
      }
    }
    const stores = new Map(sideInputs.map((s) => [s, this.materializedFor(s.pcoll)] as const));
    const gate = new SideInputGate(sideInputs, this.env, next, stores, this.env.metricsFor(name), collectOnAdvance);
    this.gates.set(name, gate);
    for (const store of new Set(stores.values())) {
      // The side inputs' watermarks count too: a stateful consumer's timers wait for them.
      const watermark = (): Instant => Math.min(this.env.watermarkOf(input.id), ...sideInputs.map((s) => this.env.watermarkOf(s.pcoll.id)));
      store.addConsumer({ readable: () => Math.min(watermark() - input.windowing.allowedLatenessMillis, gate.hold()) });
    }
    return gate;
  }

  /** The receiver of an already built PCollection (a source output). */
  receiverOfId(pcollId: string): Receiver {
    const r = this.receivers.get(pcollId);
    if (r === undefined) throw new InternalError(`no receiver for ${pcollId}`);
    return r;
  }

  /** Builds every receiver up front, so all operators exist before the first bundle. */
  buildAll(): void {
    for (const u of this.units) {
      if (u.kind === "testStream" || u.kind === "readUnbounded" || u.kind === "impulse") this.receiverOf(u.output);
    }
  }

  /** Advances the time-aware step of a unit, if any. */
  advance(unitName: string, clocks: Clocks): MaybePromise {
    return this.timeAware.get(unitName)?.advance(clocks);
  }
}
