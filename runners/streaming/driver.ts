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
 *
 * StreamingExecution is built in layers: StreamingExecutionState (execution_state.ts) holds the
 * run's graph, watermarks, counters and clocks; BundleExecution (execution_bundles.ts) runs a
 * bundle and the watermark pass; CheckpointingExecution (execution_checkpoints.ts) takes and
 * restores checkpoints; here, the run loop, draining and cancelling.
 */
import { runCommits } from "../../lib/model/commits";
import { PipelineError } from "../../lib/model/errors";
import { MetricsContainer } from "../../lib/model/metrics";
import { MetricResults } from "../../lib/model/metric_results";
import type { Pipeline } from "../../lib/model/pipeline";
import type { PipelineState } from "../../lib/model/result";
import { inGlobalWindow, MAX_TIMESTAMP } from "../../lib/model/window";
import type { SourceOutcome } from "../../lib/io/read_unbounded";
import { cleanupAfterFailure } from "../direct/failure_cleanup";
import { DroppedDataWarnings } from "./late_data";
import { StreamingResult } from "./result";
import { StreamingRunMonitor } from "../monitor/streaming_monitor";
import { CheckpointingExecution } from "./execution_checkpoints";
import type { StreamingSettings } from "./execution_state";
import type { RestartHooks } from "./restart";

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

export class StreamingExecution extends CheckpointingExecution {
  private stopRequest: "drain" | "cancel" | undefined;
  private wake: (() => void) | undefined;
  private readonly dropped = new DroppedDataWarnings();

  requestStop(kind: "drain" | "cancel"): void {
    if (this.stopRequest === "cancel") return;
    this.stopRequest = kind;
    if (this.state === "RUNNING" && kind === "drain") this.state = "DRAINING";
    this.wake?.();
  }

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
        // A drain truncates what unbounded-per-element SDFs have left (their input ends now).
        this.sdfInputHeld = false;
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
      if (sourcesDone && this.sdfInputHeld) {
        // The input of unbounded-per-element SDFs is done, not their work: their residuals
        // resume on the wall clock until none is left; then their input ends too. Under
        // TestStream, the scripts' end is the end of virtual time: what is left is drained.
        if (this.sdfWorkPending) {
          await this.idle(this.settings.tickMillis ?? 100);
          turned = performance.now();
          await this.bundle(async () => undefined);
          continue;
        }
        this.sdfInputHeld = false;
      }
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
  // A restart runs on fresh DoFn instances (a rebuilt pipeline): the failed attempt tore its own
  // down, and Beam never calls a DoFn after its teardown nor uses one that threw again (as the
  // batch runner's retries, execution.ts doFnsOfSlot). A pipeline that cannot be rebuilt keeps its own.
  let attempts = 0;
  const attempt = (restarts: RestartHooks): StreamingExecution =>
    new StreamingExecution(attempts++ === 0 ? pipeline : (pipeline.rebuild() ?? pipeline), { ...withHooks, restarts }, containers, outputs);
  const execution =
    pipeline.options.directBundleRetries > 0
      ? new (restart().RestartingExecution)(pipeline, settings.runId, containers, outputs, attempt)
      : new StreamingExecution(pipeline, withHooks, containers, outputs);
  const result = new StreamingResult(execution, new MetricResults(containers), outputs, settings.handleSignals ?? true);
  monitor?.attach(execution, result);
  if (execution.isFinite) await result.waitUntilFinish().catch(() => undefined);
  return result;
}

// In-process restarts (their module, and the coders it loads) are loaded only by runs that use
// them: --direct_bundle_retries. (Checkpoints likewise: execution_state.ts.)
/* eslint-disable @typescript-eslint/no-require-imports */
const restart = (): typeof import("./restart") => require("./restart") as typeof import("./restart");
/* eslint-enable @typescript-eslint/no-require-imports */
