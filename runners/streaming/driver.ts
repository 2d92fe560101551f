/**
 * The streaming driver of the DirectRunner: runs a pipeline with unbounded PCollections over the
 * executor's operators, event by event.
 *
 * Each step of the run is one small bundle: a TestStream event, or up to BUNDLE_SIZE elements a
 * real-time source queued. After the bundle's elements have flowed through the graph, one pass
 * over the steps in topological order recomputes every PCollection's watermark (the minimum over
 * its inputs, held back by buffered panes, pending event-time timers and gated elements) and
 * lets grouping steps, stateful ParDos and side-input gates fire whatever the new watermark or
 * processing time makes due. Processing time is virtual (starting at 0, advanced only by the
 * script) when every source is a TestStream, and the wall clock otherwise.
 */
import type { ByteReader, ByteWriter } from "../../lib/coders/byte_io";
import { type OutputCommit, runCommits } from "../../lib/model/commits";
import type { RuntimeContext } from "../../lib/model/dofn";
import { PipelineError } from "../../lib/model/errors";
import { MetricResults, MetricsContainer } from "../../lib/model/metrics";
import type { Pipeline } from "../../lib/model/pipeline";
import type { PipelineState, StreamingProgress } from "../../lib/model/result";
import { ElementMeta, GLOBAL_WINDOWS, inGlobalWindow, Instant, MAX_TIMESTAMP, MIN_TIMESTAMP, NO_FIRING, WindowedValue } from "../../lib/model/window";
import type { SourceOutcome } from "../../lib/io/read_unbounded";
import type { TestStreamEvent } from "../../lib/testing/test_stream";
import { cleanupAfterFailure } from "../direct/failure_cleanup";
import { PipelineGraph } from "../executor/pipeline_graph";
import { StepContexts } from "../executor/step_contexts";
import type { Unit } from "../executor/units";
import { progressOf } from "./progress";
import { GraphEnvironment, SideInputGate, StreamingGraph } from "./graph";
import { DroppedDataWarnings } from "./late_data";
import { LiveSource, TestStreamReplay } from "./sources";
import type { SourceBundle } from "./source_queue";
import { StreamingResult } from "./result";
import type { EdgeObserver } from "../executor/graph_builder";
import { StreamingRunMonitor } from "../monitor/streaming_monitor";
import { type Checkpointable, IncompatibleCheckpointError, readNumberEntries, readOptionalDouble, writeNumberEntries, writeOptionalDouble } from "./checkpoint";
import type { Checkpointing } from "./checkpointing";
import type { RestartHooks } from "./restart";
import type { KeyedRouting } from "./parallel/exchange";

/**
 * Elements per bundle taken from a real-time source at most: a bundle takes what the source has
 * queued, up to this. Each bundle costs a pass over the graph (watermarks, firings) and the
 * start and finish of every step, so a fast source gets large bundles; a slow one gets small
 * ones (its elements do not wait for others).
 */
export const BUNDLE_SIZE = 4096;

/**
 * How long the driver runs bundles back to back before letting the event loop turn (timers,
 * I/O, signals; and Node's promise hooks, which a metrics scope leaves on until a turn without
 * one, make every await slower while they are on).
 */
const YIELD_EVERY_MS = 20;

/** Settings of a streaming run. */
export interface StreamingSettings {
  readonly runId: string;
  /** Drain on the first SIGINT/SIGTERM and cancel on the second (runs with real-time sources; default true). */
  readonly handleSignals?: boolean;
  /** How often processing time is re-evaluated while real-time sources are idle (ms, default 100). */
  readonly tickMillis?: number;
  /** Run the strict model checks on every element instead of a sample (the DirectRunner's `checkEveryElement`). */
  readonly checkEveryElement?: boolean;
  /** Live progress hooks, when something watches the run (runners/monitor). */
  readonly observer?: EdgeObserver;
  /** Called between bundles: gives a watching monitor a turn of the event loop. */
  readonly pauser?: { pause(): Promise<void> };
  /** Bundle retries (--direct_bundle_retries): in-memory snapshots and the restart decision (restart.ts). */
  readonly restarts?: RestartHooks;
  /** The keyed exchange of an instance of a parallel run (runners/streaming/parallel). */
  readonly exchange?: KeyedRouting;
}

export class StreamingExecution implements GraphEnvironment {
  readonly graph: StreamingGraph;
  private readonly units: readonly Unit[];
  private readonly watermarks = new Map<string, Instant>();
  private readonly counts = new Map<string, { n: number }>();
  /**
   * ParDos whose DoFn may output in finishBundle, by unit name. While such a ParDo has taken in
   * elements (or fired timers) in the running bundle, its output watermark holds where it was
   * when the bundle started (as an in-flight bundle holds it in Beam): what finishBundle emits
   * must reach downstream groupings before their watermark passes it, or it would be dropped as late.
   */
  private readonly flushing = new Map<string, FlushingParDo>();
  private readonly contexts: StepContexts;
  /** Output commits of a run that ends by itself, run once it has succeeded (lib/model/commits.ts). */
  private readonly commits: OutputCommit[];
  private readonly scripts: TestStreamReplay[] = [];
  private readonly live: LiveSource[] = [];
  private virtualTime = 0;
  private impulsesDone = false;
  private stopRequest: "drain" | "cancel" | undefined;
  private wake: (() => void) | undefined;
  private readonly dropped = new DroppedDataWarnings();
  /** Checkpoints of the run (--checkpoint_dir), if it takes them. */
  private readonly checkpoints: Checkpointing | undefined;
  /** Why the run cannot start (an unreadable or foreign checkpoint), reported when it runs. */
  private startupError: Error | undefined;
  /** Changes of state so far (elements, watermark moves, virtual time): whether a checkpoint has anything new. */
  private changes = 0;
  /** The run's id: a resumed run keeps the id of the run it resumes (sinks' hidden files are named by it). */
  readonly runId: string;
  state: PipelineState = "RUNNING";
  error: Error | undefined;

  constructor(
    private readonly pipeline: Pipeline,
    private readonly settings: StreamingSettings,
    readonly containers: Map<string, MetricsContainer>,
    readonly outputs: string[],
  ) {
    const graph = new PipelineGraph(pipeline);
    this.units = graph.units;
    const dir = pipeline.options.checkpointDir;
    this.commits = settings.restarts?.commits ?? [];
    const warn = (m: string): boolean => process.stderr.write(`${m}\n`);
    if (dir !== undefined || settings.restarts !== undefined) {
      try {
        const interval = pipeline.options.checkpointIntervalMs;
        const { Checkpointing } = checkpointing();
        this.checkpoints = dir !== undefined ? Checkpointing.open(dir, pipeline, interval, warn) : Checkpointing.from(settings.restarts!.memory, pipeline, interval, warn);
      } catch (e) {
        this.startupError = e instanceof Error ? e : new PipelineError(String(e));
      }
    }
    this.runId = this.checkpoints?.restored?.runId ?? settings.runId;
    // A run that ends by itself commits its sinks' outputs once it has succeeded; one reading
    // real-time sources never ends that way, nor does one that checkpoints (a restart resumes
    // it after what its sinks did), so their sinks commit at once.
    const commitAtOnce = this.units.some((u) => u.kind === "readUnbounded") || dir !== undefined;
    this.contexts = new StepContexts(containers, pipeline.options, this.runId, outputs, commitAtOnce ? undefined : this.commits);
    this.graph = new StreamingGraph(graph, this);
    for (const u of this.units) {
      if (u.kind === "testStream") this.scripts.push(new TestStreamReplay(u.node.fullName, u.output.id, u.spec.events));
      if (u.kind === "readUnbounded") this.live.push(new LiveSource(u.node.fullName, u.output.id, u.spec.source));
    }
    this.graph.buildAll();
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

  /** Whether the run ends by itself (every source is finite). */
  get isFinite(): boolean {
    return this.live.length === 0;
  }

  // ---- GraphEnvironment ----

  get observer(): EdgeObserver | undefined {
    return this.settings.observer;
  }

  get exchange(): KeyedRouting | undefined {
    return this.settings.exchange;
  }

  get checkpointed(): boolean {
    return this.checkpoints !== undefined;
  }

  get checkEveryElement(): boolean {
    return this.settings.checkEveryElement === true;
  }

  metricsFor(transformName: string): MetricsContainer {
    return this.contexts.metricsFor(transformName);
  }

  runtimeFor(transformName: string): RuntimeContext {
    return this.contexts.runtimeFor(transformName);
  }

  watermarkOf(pcollId: string): Instant {
    return this.watermarks.get(pcollId) ?? MIN_TIMESTAMP;
  }

  counterOf(pcollId: string): { n: number } {
    let c = this.counts.get(pcollId);
    if (c === undefined) this.counts.set(pcollId, (c = { n: 0 }));
    return c;
  }

  /** Elements counted on every PCollection so far (tells whether a pass produced anything). */
  private get received(): number {
    let n = 0;
    for (const c of this.counts.values()) n += c.n;
    return n;
  }

  // ---- observation and control ----

  watermarkSnapshot(): ReadonlyMap<string, Instant> {
    return new Map(this.watermarks);
  }

  countSnapshot(): ReadonlyMap<string, number> {
    return new Map([...this.counts].filter(([, c]) => c.n > 0).map(([id, c]) => [id, c.n]));
  }

  /** Elements read by the sources, elements reaching the last PCollections, and their lowest watermark. */
  progress(): StreamingProgress {
    const progress = progressOf(this.units, (id) => this.counts.get(id)?.n ?? 0, (id) => this.watermarkOf(id));
    return { ...progress, ...(this.checkpoints !== undefined ? { checkpoints: this.checkpointStats() } : {}) };
  }

  // ---- checkpoints ----

  /** Every part of the run that a checkpoint holds: the driver's clocks and counters, the metrics, the graph's state. */
  private checkpointParts(): Map<string, Checkpointable> {
    const parts = new Map<string, Checkpointable>([
      [DRIVER_PART, { snapshot: (w) => this.snapshotDriver(w), restore: (r) => this.restoreDriver(r) }],
      [METRICS_PART, new (checkpointing().MetricsPart)(this.containers, (step) => this.metricsFor(step))],
    ]);
    for (const [id, part] of this.graph.checkpointables()) parts.set(id, part);
    return parts;
  }

  /** Watermarks, element counts, virtual time, TestStream positions and sources' watermarks. */
  private snapshotDriver(w: ByteWriter): void {
    w.writeByte(this.impulsesDone ? 1 : 0);
    w.writeDoubleBE(this.virtualTime);
    writeNumberEntries(w, this.watermarks, this.watermarks.size);
    writeNumberEntries(w, [...this.counts].map(([id, c]) => [id, c.n] as const), this.counts.size);
    w.writeVarInt(this.scripts.length);
    for (const s of this.scripts) {
      w.writeUtf8Nested(s.unitName);
      w.writeVarInt(s.next);
      w.writeDoubleBE(s.watermark);
    }
    w.writeVarInt(this.live.length);
    for (const s of this.live) {
      w.writeUtf8Nested(s.unitName);
      writeOptionalDouble(w, s.checkpointWatermark);
    }
  }

  private restoreDriver(r: ByteReader): void {
    this.impulsesDone = r.readByte() === 1;
    this.virtualTime = r.readDoubleBE();
    readNumberEntries(r, (id, t) => this.watermarks.set(id, t));
    readNumberEntries(r, (id, n) => (this.counterOf(id).n = n));
    const unknown = (kind: string, name: string): Error => new IncompatibleCheckpointError(`the checkpoint has a ${kind} '${name}' this pipeline does not have; give the run another --checkpoint_dir to start afresh`);
    for (let n = r.readVarInt(); n > 0; n--) {
      const name = r.readUtf8Nested();
      const script = this.scripts.find((s) => s.unitName === name);
      if (script === undefined) throw unknown("TestStream", name);
      script.next = r.readVarInt();
      script.watermark = r.readDoubleBE();
    }
    for (let n = r.readVarInt(); n > 0; n--) {
      const name = r.readUtf8Nested();
      const src = this.live.find((s) => s.unitName === name);
      if (src === undefined) throw unknown("source", name);
      src.reportedWatermark = readOptionalDouble(r);
    }
  }

  /** Checkpoints written by this run and the milliseconds spent taking them (zero without --checkpoint_dir). */
  checkpointStats(): { readonly written: number; readonly millis: number } {
    return { written: this.checkpoints?.written ?? 0, millis: this.checkpoints?.writeMillis ?? 0 };
  }

  requestStop(kind: "drain" | "cancel"): void {
    if (this.stopRequest === "cancel") return;
    this.stopRequest = kind;
    if (this.state === "RUNNING" && kind === "drain") this.state = "DRAINING";
    this.wake?.();
  }

  get processingTime(): Instant {
    return this.live.length === 0 ? this.virtualTime : Date.now();
  }

  /** The processing time as the graph's steps see it (GraphEnvironment). */
  readonly currentProcessingTime = (): Instant => this.processingTime;

  // ---- the run ----

  async run(): Promise<PipelineState> {
    const ops = this.graph.operators;
    let setUp = 0;
    try {
      if (this.startupError !== undefined) throw this.startupError;
      if (this.checkpoints?.restored !== undefined) {
        this.checkpoints.restore(this.checkpointParts());
        const c = this.checkpoints.restored;
        process.stderr.write(`Resuming from checkpoint ${c.seq} of ${new Date(c.takenAt).toISOString()} in ${this.checkpoints.dir}.\n`);
      }
      this.settings.restarts?.restored((step) => this.metricsFor(step));
      for (const op of ops) {
        await op.setup();
        setUp++;
      }
      if (!this.impulsesDone) {
        await this.bundle(async () => {
          for (const u of this.units) if (u.kind === "impulse") await this.graph.receiverOf(u.output.id).receive(new Uint8Array(0), inGlobalWindow(new Uint8Array(0)));
          this.impulsesDone = true;
        });
      }
      // A fresh run checkpoints before reading: a restart after any crash then knows it resumes.
      if (this.checkpoints?.isFresh) await this.checkpoint();
      // What waited at Reshuffles in the checkpoint resumed from goes on now.
      await this.passOnReshuffled();
      for (const s of this.live) s.start(() => this.wake?.(), this.checkpoints?.sourceCheckpoints(s.unitName));
      this.settings.exchange?.onActivity(() => this.wake?.());
      await this.loop();
      if (this.stopRequest === "cancel") {
        await Promise.all(this.live.map((s) => s.stop("cancel")));
        await this.closeSources("cancelled");
        this.state = "CANCELLED";
      } else {
        const drained = this.stopRequest === "drain";
        await runCommits(this.commits, (step) => this.metricsFor(step));
        // Everything is flushed: what waited for a checkpoint is committed. The acknowledgements
        // come after a drained checkpoint naming what they cover: dying before the checkpoints are
        // removed, a restart starts afresh and its sources drop those elements; it does not resume
        // from an older checkpoint whose windows lack them.
        if (this.checkpoints !== undefined && this.live.length > 0) await this.checkpoints.take(this.checkpointParts(), this.live, this.runId, this.changes, true);
        // The sources' acknowledgements complete when they close (a failed one fails the run there):
        // only then is nothing left to resume, and the drained checkpoint removed.
        await this.closeSources(drained ? "drained" : "done");
        await this.checkpoints?.clear();
        this.state = drained ? "DRAINED" : "DONE";
      }
    } catch (e) {
      this.error = e instanceof Error ? e : new PipelineError(String(e));
      this.state = "FAILED";
      const restart = this.settings.restarts?.shouldRestart(this.error, this.live.every((s) => s.rewindable)) === true;
      await Promise.all(this.live.map((s) => s.stop("failed").catch(() => undefined)));
      await this.closeSources(restart ? "restarting" : "failed").catch(() => undefined);
      if (!restart) await cleanupAfterFailure(this.pipeline, this.runId, this.error);
    }
    this.dropped.check(this.containers, true);
    for (let i = 0; i < setUp; i++) {
      try {
        await ops[i]!.teardown();
      } catch (e) {
        if (this.error === undefined) {
          this.error = e instanceof Error ? e : new PipelineError(String(e));
          this.state = "FAILED";
        }
      }
    }
    return this.state;
  }

  private async loop(): Promise<void> {
    let stoppingSources: Promise<void> | undefined;
    let turned = performance.now();
    for (;;) {
      await this.settings.pauser?.pause();
      // A source with less than a bundle queued may be emitting more right now (microtasks): let
      // it run until it waits (for I/O, or for room in its queue) so that a bundle holds what it
      // has, instead of a bundle (a pass over the graph) every few elements.
      if (performance.now() - turned > YIELD_EVERY_MS || this.live.some((s) => s.queued > 0 && s.queued < BUNDLE_SIZE && !s.finished)) {
        await new Promise<void>((resolve) => setImmediate(resolve));
        turned = performance.now();
      }
      if (this.stopRequest === "cancel") return;
      if (this.stopRequest === "drain") {
        for (const s of this.scripts) s.watermark = MAX_TIMESTAMP;
        stoppingSources ??= Promise.all(this.live.map((s) => s.stop("drain"))).then(() => undefined);
      }
      let progressed = false;
      if (this.stopRequest === undefined) {
        for (const script of this.scripts) {
          // In virtual time what waits at a Reshuffle goes on (once a checkpoint holds it) before the
          // script does, as it would without checkpoints: the clocks do not move while it waits.
          if (this.live.length === 0 && this.reshuffleWaiting) await this.checkpoint();
          const event = script.take();
          if (event === undefined) continue;
          progressed = true;
          await this.bundle(() => this.applyEvent(script, event));
        }
      }
      const exchange = this.settings.exchange;
      if (exchange?.hasInbound === true) {
        progressed = true;
        await this.bundle(() => exchange.deliver());
      }
      for (const src of this.live) {
        if (src.error !== undefined) throw src.error;
        if (src.queued === 0 || exchange?.congested === true) continue;
        progressed = true;
        const taken = src.takeBundle(BUNDLE_SIZE);
        await this.bundle(() => this.pushTaken(src.outputId, taken));
        src.recycle(taken);
        // The bundle completed (sinks flushed in finishBundle): only now may the source acknowledge
        // its input; in a run that checkpoints, only once a checkpoint holds the bundle's effects.
        if (this.checkpoints !== undefined) src.hold(taken.receipts);
        else await src.commit(taken.receipts);
      }
      if (this.checkpoints?.due(this.changes, this.live, this.reshuffleWaiting)) await this.checkpoint();
      const sourcesDone = this.scripts.every((s) => s.watermark >= MAX_TIMESTAMP) && this.live.every((s) => s.finished && s.queued === 0) && exchange?.settled !== false;
      if (sourcesDone) {
        await stoppingSources;
        // Everything is at infinity: one last pass fires what is left; repeat while a pass produced
        // more (finishBundle outputs) or moved a watermark (a ParDo with finishBundle held its
        // output for a round in which it took in elements or fired timers, which need not produce any).
        let before: number;
        let changesBefore: number;
        let rounds = 0;
        do {
          before = this.received;
          changesBefore = this.changes;
          // Elements waiting at Reshuffles go on once a checkpoint holds them (stable_reshuffle.ts).
          if (this.reshuffleWaiting) await this.checkpoint();
          else await this.bundle(async () => undefined);
        } while ((this.received !== before || this.changes !== changesBefore || this.reshuffleWaiting) && ++rounds < 100);
        return;
      }
      if (!progressed) {
        if (this.live.length === 0) continue;
        await this.idle(this.settings.tickMillis ?? 100);
        turned = performance.now();
        await this.bundle(async () => undefined);
        this.dropped.check(this.containers, false);
      }
    }
  }

  /** Takes a checkpoint (its sources' elements are then acknowledged), then passes on what waited at Reshuffles. */
  private async checkpoint(): Promise<void> {
    await this.checkpoints!.take(this.checkpointParts(), this.live, this.runId, this.changes);
    await this.passOnReshuffled();
  }

  /** Whether elements wait at a Reshuffle for a checkpoint (runs that take checkpoints). */
  private get reshuffleWaiting(): boolean {
    for (const r of this.graph.reshuffles.values()) if (r.holding) return true;
    return false;
  }

  /**
   * The last checkpoint written (or restored) holds what waits at the Reshuffles: passed on, in a
   * bundle. A run resumed from that checkpoint passes on the same elements again (same ids).
   */
  private async passOnReshuffled(): Promise<void> {
    if (!this.reshuffleWaiting) return;
    const taken = [...this.graph.reshuffles.values()].map((r) => [r, r.takeWaiting()] as const);
    await this.bundle(async () => {
      for (const [r, elements] of taken) await r.passOn(elements);
    });
  }

  /** Closes every real-time source (they release or give back what they hold); the first error wins. */
  private async closeSources(outcome: SourceOutcome): Promise<void> {
    const results = await Promise.allSettled(this.live.map((s) => s.close(outcome)));
    const failed = results.find((r): r is PromiseRejectedResult => r.status === "rejected");
    if (failed !== undefined) throw failed.reason;
  }

  private idle(ms: number): Promise<void> {
    return new Promise<void>((resolve) => {
      const timer = setTimeout(done, ms);
      function done(): void {
        clearTimeout(timer);
        resolve();
      }
      this.wake = () => {
        this.wake = undefined;
        done();
      };
    });
  }

  private async applyEvent(script: TestStreamReplay, event: TestStreamEvent<unknown>): Promise<void> {
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
  private async pushTaken(outputId: string, taken: SourceBundle): Promise<void> {
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
  private async bundle(work: () => Promise<void>): Promise<void> {
    const ops = this.graph.operators;
    for (const f of this.flushing.values()) {
      f.atStart = StreamingExecution.activity(f);
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
          const input = this.settings.exchange !== undefined ? this.settings.exchange.inputWatermark(name, local) : local;
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
            if (StreamingExecution.activity(flushing) !== flushing.atStart) out = Math.min(out, floor);
          }
          const outputs = u.kind === "pardo" ? [...u.node.outputs.values()] : [u.output];
          for (const pc of outputs) this.setWatermark(pc.id, out);
          break;
        }
      }
    }
  }
}

/** Section of the driver's own state in a checkpoint. */
const DRIVER_PART = "driver";
const METRICS_PART = "metrics";

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

/** Runs a pipeline with the streaming driver; returns once finished if every source is finite. */
export async function runStreaming(pipeline: Pipeline, settings: StreamingSettings, containers = new Map<string, MetricsContainer>(), outputs: string[] = []): Promise<StreamingResult> {
  const workers = pipeline.options.directNumWorkers;
  if (workers > 1) {
    // Loaded only for runs that ask for worker threads (runners/streaming/parallel).
    const { parallelBlocker, runParallel } = await import("./parallel");
    const blocker = parallelBlocker(pipeline);
    if (blocker === undefined) return runParallel(pipeline, settings, containers, outputs);
    process.stderr.write(`Note: the streaming driver runs this pipeline in one thread (--direct_num_workers ${workers} not used): ${blocker}.\n`);
  }
  const monitor = StreamingRunMonitor.start(pipeline, containers);
  const withHooks = monitor?.hooks(settings) ?? settings;
  const execution =
    pipeline.options.directBundleRetries > 0
      ? new (restart().RestartingExecution)(pipeline, settings.runId, containers, outputs, (restarts) => new StreamingExecution(pipeline, { ...withHooks, restarts }, containers, outputs))
      : new StreamingExecution(pipeline, withHooks, containers, outputs);
  const result = new StreamingResult(execution, new MetricResults(containers), outputs, settings.handleSignals ?? true);
  monitor?.attach(execution, result);
  if (execution.isFinite) await result.waitUntilFinish().catch(() => undefined);
  return result;
}

// Checkpoints and in-process restarts (their modules, and the coders they load) are loaded only by
// runs that use them: --checkpoint_dir, --direct_bundle_retries.
/* eslint-disable @typescript-eslint/no-require-imports */
const checkpointing = (): typeof import("./checkpointing") => require("./checkpointing") as typeof import("./checkpointing");
const restart = (): typeof import("./restart") => require("./restart") as typeof import("./restart");
/* eslint-enable @typescript-eslint/no-require-imports */
