/**
 * Bundles of a run on the streaming driver (driver.ts). Each step of the run is one small
 * bundle: a TestStream event, or elements a real-time source queued. After the bundle's elements
 * have flowed through the graph, one pass over the steps in topological order recomputes every
 * PCollection's watermark (the minimum over its inputs, held back by buffered panes, pending
 * event-time timers and gated elements) and lets grouping steps, stateful ParDos and side-input
 * gates fire whatever the new watermark or processing time makes due.
 */
import type { MetricsContainer } from "../../lib/model/metrics";
import type { Pipeline } from "../../lib/model/pipeline";
import { ElementMeta, GLOBAL_WINDOW_MAX_TIMESTAMP, GLOBAL_WINDOWS, inGlobalWindow, Instant, MAX_TIMESTAMP, MIN_TIMESTAMP, NO_FIRING, WindowedValue } from "../../lib/model/window";
import type { TestStreamEvent } from "../../lib/testing/test_stream";
import { ParDoOperator } from "../executor/pardo_operator";
import type { SideInputGate } from "./graph";
import type { TestStreamReplay } from "./sources";
import type { SourceBundle } from "./source_queue";
import { StreamingExecutionState, type StreamingSettings } from "./execution_state";

export abstract class BundleExecution extends StreamingExecutionState {
  /**
   * ParDos whose DoFn may output in finishBundle, by unit name. While such a ParDo has taken in
   * elements (or fired timers) in the running bundle, its output watermark holds where it was
   * when the bundle started (as an in-flight bundle holds it in Beam): what finishBundle emits
   * must reach downstream groupings before their watermark passes it, or it would be dropped as late.
   */
  private readonly flushing = new Map<string, FlushingParDo>();

  constructor(pipeline: Pipeline, settings: StreamingSettings, containers: Map<string, MetricsContainer>, outputs: string[]) {
    super(pipeline, settings, containers, outputs);
    // A DoFn's bundle starts with its first element or timer: most driver bundles bring most steps nothing.
    for (const op of this.graph.operators) if (op instanceof ParDoOperator) op.deferBundleStart();
    for (const u of this.units) {
      const spec = u.node.primitive;
      if (u.kind === "pardo" && spec?.kind === "pardo" && typeof spec.doFn?.finishBundle === "function") {
        const name = u.node.fullName;
        const exchange = settings.exchange;
        this.flushing.set(name, { input: this.counterOf(u.input.id), gate: this.graph.gates.get(name), delivered: exchange !== undefined ? () => exchange.deliveredTo(name) : undefined, timers: this.graph.timeAware.get(name), atStart: 0, computed: MIN_TIMESTAMP, floor: MIN_TIMESTAMP });
      }
    }
  }

  /**
   * Elements a flushing ParDo has taken in so far (through its input, released by its side-input
   * gate, or delivered by peers to a keyed step of a parallel run), and timers it fired.
   */
  private static activity(f: FlushingParDo): number {
    return f.input.n + (f.gate?.released ?? 0) + (f.delivered?.() ?? 0) + (f.timers?.fired ?? 0);
  }

  protected async applyEvent(script: TestStreamReplay, event: TestStreamEvent<unknown>): Promise<void> {
    switch (event.kind) {
      case "elements":
        await this.push(
          script.outputId,
          event.elements.map((e) => inGlobalWindow(e.value, e.timestamp)),
        );
        break;
      case "watermark":
        if (event.watermark > script.watermark) script.watermark = event.watermark;
        break;
      case "processingTime":
        if (this.live.length === 0) this.virtualTime += event.advanceMillis;
        this.changes++;
        break;
    }
  }

  private async push(outputId: string, elements: readonly WindowedValue<unknown>[]): Promise<void> {
    this.changes += elements.length;
    const receiver = this.graph.receiverOf(outputId);
    // An index loop: an iterator in an async function allocates a result object per element.
    for (let i = 0; i < elements.length; i++) {
      const wv = elements[i]!;
      const r = receiver.receive(wv.value, wv);
      if (r !== undefined) await r;
    }
  }

  /**
   * Elements taken from a real-time source, in the global window. Elements of a stream mostly
   * share their timestamp with the one before (a batch, or a millisecond at high rates): each
   * run of them shares one (read-only) metadata object rather than one per element.
   */
  protected async pushTaken(outputId: string, taken: SourceBundle): Promise<void> {
    const { values, runTimes, runLengths } = taken;
    this.changes += taken.to - taken.from;
    const receiver = this.graph.receiverOf(outputId);
    let i = taken.from;
    // A run at a time where the receiver takes runs (Window.into, counts and checks in front of it).
    const byRun = receiver.receiveRun !== undefined;
    for (let run = 0; run < runTimes.length; run++) {
      const meta: ElementMeta = { timestamp: runTimes[run]!, windows: GLOBAL_WINDOWS, pane: NO_FIRING };
      const end = i + runLengths[run]!;
      if (byRun) {
        const r = receiver.receiveRun!(values, i, end, meta);
        if (r !== undefined) await r;
        i = end;
        continue;
      }
      for (; i < end; i++) {
        const r = receiver.receive(values[i], meta);
        if (r !== undefined) await r;
      }
    }
  }

  /** One bundle: start, do the work, recompute watermarks (firing what is due), finish. */
  protected async bundle(work: () => Promise<void>): Promise<void> {
    const ops = this.graph.operators;
    for (const f of this.flushing.values()) {
      f.atStart = BundleExecution.activity(f);
      f.floor = f.computed;
    }
    for (const op of ops) {
      const r = op.startBundle();
      if (r !== undefined) await r;
    }
    await work();
    await this.pass();
    for (let i = ops.length - 1; i >= 0; i--) {
      const r = ops[i]!.finishBundle();
      if (r !== undefined) await r;
    }
    this.settings.exchange?.flush();
  }

  private setWatermark(pcollId: string, w: Instant): void {
    const prev = this.watermarks.get(pcollId);
    if (prev === undefined || w > prev) {
      this.watermarks.set(pcollId, w);
      this.changes++;
    }
  }

  /** Recomputes watermarks in topological order, letting each time-aware step fire. */
  private async pass(): Promise<void> {
    const now = this.processingTime;
    for (const u of this.units) {
      const name = u.node.fullName;
      switch (u.kind) {
        case "testStream":
          this.setWatermark(u.output.id, this.scripts.find((s) => s.unitName === name)!.watermark);
          break;
        case "readUnbounded": {
          const src = this.live.find((s) => s.unitName === name)!;
          this.setWatermark(u.output.id, src.computeWatermark(now));
          break;
        }
        case "impulse":
          this.setWatermark(u.output.id, this.impulsesDone ? MAX_TIMESTAMP : MIN_TIMESTAMP);
          break;
        case "flatten":
          this.setWatermark(u.output.id, Math.min(...u.inputs.map((pc) => this.watermarkOf(pc.id))));
          break;
        case "primitive":
          this.setWatermark(u.output.id, this.watermarkOf(u.input.id));
          break;
        case "reshuffle": {
          // In a run that takes checkpoints, held at the elements waiting for one (stable_reshuffle.ts).
          const waiting = this.graph.reshuffles.get(name);
          this.setWatermark(u.output.id, Math.min(this.watermarkOf(u.input.id), waiting?.hold() ?? Infinity));
          break;
        }
        case "pardo":
        case "gbk":
        case "combine": {
          const local = this.watermarkOf(u.input.id);
          // On an instance of a parallel run, a keyed step's input watermark is the lowest of every instance's.
          let input = this.settings.exchange !== undefined ? this.settings.exchange.inputWatermark(name, local) : local;
          // An unbounded-per-element SDF's input ends only at a drain or once its work is done (execution_state.ts).
          if (this.sdfInputHeld && this.unboundedSdfSteps.includes(name)) input = Math.min(input, GLOBAL_WINDOW_MAX_TIMESTAMP);
          const step = this.graph.timeAware.get(name);
          let out = input;
          if (step !== undefined) {
            const r = step.advance({ inputWatermark: input, processingTime: now });
            if (r !== undefined) await r;
            out = Math.min(input, step.hold());
          }
          const flushing = this.flushing.get(name);
          if (flushing !== undefined) {
            const floor = flushing.floor;
            flushing.computed = out;
            // While its finishBundle has yet to run on what it took in, hold where the pass before
            // this bundle put it: what it took in came after that pass (elements emitted upstream
            // since, timers and gated elements its hold covered then), so its outputs are not
            // earlier. Not holding it still: under a steady stream every bundle brings elements.
            if (BundleExecution.activity(flushing) !== flushing.atStart) out = Math.min(out, floor);
          }
          const outputs = u.kind === "pardo" ? [...u.node.outputs.values()] : [u.output];
          for (const pc of outputs) this.setWatermark(pc.id, out);
          break;
        }
      }
    }
  }
}

interface FlushingParDo {
  readonly input: { readonly n: number };
  readonly gate: SideInputGate | undefined;
  /**
   * On an instance of a parallel run, the elements the keyed exchange delivered to it from peers:
   * they reach the step without passing its input's counter, and the peers' watermark that comes
   * with them must not move its output past what its finishBundle has yet to emit for them.
   */
  readonly delivered: (() => number) | undefined;
  /** A stateful ParDo's timers: onTimer may leave outputs to finishBundle, as process may. */
  readonly timers: { readonly fired?: number } | undefined;
  /** Its activity when the running bundle started. */
  atStart: number;
  /** The output watermark the last pass computed for it (before any hold). */
  computed: Instant;
  /** `computed` when the running bundle started: the output watermark it holds at while it took in anything. */
  floor: Instant;
}
