/**
 * Bundle retries of a streaming run (`--direct_bundle_retries N`), the way Flink runs Beam
 * pipelines: a failed bundle restarts the run in the process from its last consistent snapshot.
 *
 * A streaming bundle runs through the whole graph (groupings, triggers, stateful ParDos, side
 * inputs), and its state changes are not kept apart until it commits; so instead of undoing one
 * bundle, the driver's whole state is restored, as after a crash with `--checkpoint_dir`:
 *
 * - The failed attempt stops; its sources are closed as "restarting": they give back what no
 *   snapshot covers (Pub/Sub nacks it, so it is redelivered at once) and keep what the next
 *   attempt reads on from (a subscription the source created).
 * - A new attempt builds the graph afresh (on a rebuilt pipeline's fresh DoFns, driver.ts) and
 *   restores the last snapshot into it, with the same restore code as a run resumed from
 *   `--checkpoint_dir`; TestStreams go back to the positions
 *   the snapshot recorded, real-time sources start again from what was not acknowledged.
 * - Without `--checkpoint_dir` the snapshots are kept in memory (MemoryCheckpoints): one after
 *   the impulses, then every `--checkpoint_interval_ms`; a real-time source's elements are
 *   acknowledged only once a snapshot covers them, as with durable checkpoints. Runs without
 *   retries take no in-memory snapshots (no cost).
 *
 * So grouped and stateful results count every input exactly once; what sinks wrote after the
 * snapshot may be written again (at-least-once for external sinks, as in Beam). Each failure of
 * user code (the transform's full name and the element) has N retries: the N+1-th failure fails
 * the run with the error of today, saying every attempt failed. Retries are counted in
 * `beamline/bundleRetries` on the failing step and logged. A run whose real-time source cannot
 * rewind (one that registers no checkpoint handler, so its elements since the snapshot would be
 * lost) is not restarted.
 */
import type { RunningStreamingExecution } from "./result";
import { discardCommits, type OutputCommit } from "../../lib/model/commits";
import type { MetricsContainer } from "../../lib/model/metrics";
import { systemCounterKey } from "../../lib/model/metrics";
import type { Pipeline } from "../../lib/model/pipeline";
import type { PipelineState, StreamingProgress } from "../../lib/model/result";
import type { Instant } from "../../lib/model/window";
import type { StoredCheckpoint } from "./checkpoint_store";
import type { CheckpointStorage } from "./checkpointing";

/** What the driver asks of the restart controller (StreamingSettings.restarts). */
export interface RestartHooks {
  /** Where snapshots go when the run has no --checkpoint_dir. */
  readonly memory: MemoryCheckpoints;
  /** The run's pending output commits, kept across attempts (those after the restored snapshot are dropped). */
  readonly commits: OutputCommit[];
  /** Called once an attempt has restored its snapshot (or found none): re-applies the retry counters. */
  restored(metricsFor: (step: string) => MetricsContainer): void;
  /** Whether a failure is restarted from the last snapshot (counts it, and logs it, if so). */
  shouldRestart(error: Error, sourcesRewind: boolean): boolean;
}

/** The latest snapshot of a run without --checkpoint_dir, and the commits and outputs made before it. */
export class MemoryCheckpoints implements CheckpointStorage {
  readonly durable = false;
  private latestSnapshot: (StoredCheckpoint & { readonly commits: number; readonly outputs: number }) | undefined;

  constructor(
    /** Names the run's snapshots (and, hashed, the subscriptions its sources create). */
    readonly dir: string,
    private readonly commits: readonly OutputCommit[],
    private readonly outputs: readonly string[],
  ) {}

  latest(): StoredCheckpoint | undefined {
    return this.latestSnapshot;
  }

  write(seq: number, body: Uint8Array): Promise<void> {
    this.latestSnapshot = { seq, file: `${this.dir} snapshot ${seq}`, body, commits: this.commits.length, outputs: this.outputs.length };
    return Promise.resolve();
  }

  clear(): Promise<void> {
    this.latestSnapshot = undefined;
    return Promise.resolve();
  }

  /** How many commits and outputs the latest snapshot covers (none before the first). */
  get covered(): { readonly commits: number; readonly outputs: number } {
    return { commits: this.latestSnapshot?.commits ?? 0, outputs: this.latestSnapshot?.outputs ?? 0 };
  }
}

/** What the restart controller uses of one attempt (a StreamingExecution): what a result drives. */
export type Attempt = RunningStreamingExecution;

/**
 * A streaming run with bundle retries: runs attempts (each a freshly built execution) until one
 * ends without a failure it may retry. Offers the result and the monitor what an execution does.
 */
export class RestartingExecution implements Attempt {
  private current: Attempt;
  private stopRequest: "drain" | "cancel" | undefined;
  /** Failures so far, by transform and element (each has `retries` retries). */
  private readonly failures = new Map<string, number>();
  /** Retries so far, by step (the bundleRetries counter, which a restored snapshot would undo). */
  private readonly retriesByStep = new Map<string, number>();
  private readonly hooks: RestartHooks;
  private readonly memory: MemoryCheckpoints;
  private readonly commits: OutputCommit[] = [];
  /** Set when the failing attempt is to be restarted (by shouldRestart, before its run() returns). */
  private restarting = false;
  /** Snapshots are kept in memory (no --checkpoint_dir; with one, the restart resumes from its files). */
  private readonly inMemory: boolean;

  constructor(
    pipeline: Pipeline,
    runId: string,
    private readonly containers: ReadonlyMap<string, MetricsContainer>,
    private readonly outputs: string[],
    private readonly newAttempt: (hooks: RestartHooks) => Attempt,
  ) {
    const retries = pipeline.options.directBundleRetries;
    this.inMemory = pipeline.options.checkpointDir === undefined;
    this.memory = new MemoryCheckpoints(`memory (run ${runId})`, this.commits, outputs);
    this.hooks = {
      memory: this.memory,
      commits: this.commits,
      restored: (metricsFor) => {
        for (const [step, n] of this.retriesByStep) metricsFor(step).counters.set(systemCounterKey("bundleRetries"), n);
      },
      shouldRestart: (error, sourcesRewind) => {
        const user = error as Error & { transformPath?: string; elementPreview?: string; stage?: string };
        if (error.name !== "UserCodeError" || user.transformPath === undefined) return false;
        const key = `${user.transformPath}\u0000${user.stage ?? ""}\u0000${user.elementPreview ?? ""}`;
        const failed = (this.failures.get(key) ?? 0) + 1;
        this.failures.set(key, failed);
        if (failed > retries || !sourcesRewind || this.stopRequest === "cancel") {
          if (failed > retries) error.message += ` (the bundle failed on each of its ${retries + 1} attempts; --direct_bundle_retries ${retries})`;
          else if (!sourcesRewind) error.message += ` (not retried: a real-time source of this run cannot rewind to a snapshot)`;
          return false;
        }
        this.retriesByStep.set(user.transformPath, (this.retriesByStep.get(user.transformPath) ?? 0) + 1);
        process.stderr.write(`A bundle failed (attempt ${failed} of ${retries + 1}), restarting the run from its last snapshot: ${error.message}\n`);
        this.restarting = true;
        return true;
      },
    };
    this.current = newAttempt(this.hooks);
  }

  /** The attempt's state; a failed attempt that is being restarted is still running. */
  get state(): PipelineState {
    return this.restarting ? "RUNNING" : this.current.state;
  }

  get error(): Error | undefined {
    return this.restarting ? undefined : this.current.error;
  }

  get isFinite(): boolean {
    return this.current.isFinite;
  }

  async run(): Promise<PipelineState> {
    for (;;) {
      const state = await this.current.run();
      if (state !== "FAILED" || !this.restarting) return state;
      this.restarting = false;
      if (this.inMemory) {
        // The next attempt starts from the snapshot: what was made after it is made again.
        const covered = this.memory.covered;
        // Their temporary files would be left behind (the next attempt writes its own).
        await discardCommits(this.commits.splice(covered.commits)).catch((e: unknown) => process.stderr.write(`Warning: temporary output of the failed attempt could not be removed: ${String(e)}\n`));
        this.outputs.length = covered.outputs;
      }
      for (const c of this.containers.values()) {
        c.clear();
      }
      this.current = this.newAttempt(this.hooks);
      if (this.stopRequest !== undefined) this.current.requestStop(this.stopRequest);
    }
  }

  requestStop(kind: "drain" | "cancel"): void {
    if (this.stopRequest !== "cancel") this.stopRequest = kind;
    this.current.requestStop(kind);
  }

  watermarkSnapshot(): ReadonlyMap<string, Instant> {
    return this.current.watermarkSnapshot();
  }

  countSnapshot(): ReadonlyMap<string, number> {
    return this.current.countSnapshot();
  }

  progress(): StreamingProgress {
    return this.current.progress();
  }
}
