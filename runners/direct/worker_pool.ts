/**
 * Worker threads for `--direct_num_workers N` (N > 1): each thread rebuilds the pipeline from
 * its program module and runs bundles of a stage in parallel with the others, so CPU-bound
 * pipelines use N cores. Elements and results cross threads encoded with their coders.
 */
import * as path from "node:path";
import { Worker } from "node:worker_threads";
import { InternalError, PipelineError, TransformError } from "../../lib/model/errors";
import type { MetricsSnapshot } from "./transfer";
import type { CleanupRequest, CoordinatorMessage, RunStageRequest, RunStageResult, ShuffleData, WorkerInit, WorkerMessage } from "./worker_protocol";

/** How long an idle thread has to tear down its CombineFns at the end of a run before it is stopped. */
const TEARDOWN_GRACE_MS = 5_000;

/** Metrics a failed bundle counted in its thread, by the error it failed with. */
const attempted = new WeakMap<Error, readonly MetricsSnapshot[]>();

/** What the bundle that failed with `error` in a worker thread had counted (Beam's attempted metrics). */
export function attemptedMetricsOf(error: unknown): readonly MetricsSnapshot[] {
  return error instanceof Error ? (attempted.get(error) ?? []) : [];
}

/** How a running bundle gets its elements and hands over its shuffle output. */
export interface BundleFeed {
  /** The next chunk of root elements, encoded, with its number in the bundle; undefined when there are no more. */
  next(): { seq: number; elements: Uint8Array } | undefined;
  /** Shuffle additions the bundle sent before finishing. */
  shuffleData(message: ShuffleData): void;
}

export class PooledWorker {
  private readonly worker: Worker;
  /** Settles once the thread has rebuilt the pipeline (rejects if it could not). */
  readonly ready: Promise<void>;
  private pending: { feed: BundleFeed; resolve: (r: RunStageResult) => void; reject: (e: Error) => void } | undefined;
  private cleaning: (() => void) | undefined;
  private exited = false;
  private startup: { resolve: () => void; reject: (e: Error) => void } | undefined;
  private dead: Error | undefined;
  private started = false;
  private claimed = false;

  constructor(init: WorkerInit) {
    this.worker = new Worker(path.join(__dirname, "worker_thread.js"), { workerData: init });
    this.ready = new Promise<void>((resolve, reject) => (this.startup = { resolve, reject }));
    this.ready.catch(() => undefined);
    this.worker.on("message", (m: WorkerMessage) => this.onMessage(m));
    this.worker.on("error", (e: Error) => this.fail(e));
    this.worker.on("exit", (code) => {
      this.exited = true;
      if (code !== 0) this.fail(new PipelineError(`a DirectRunner worker thread exited with code ${code}`));
      const c = this.cleaning;
      this.cleaning = undefined;
      c?.();
    });
  }

  /** Whether the thread has rebuilt the pipeline. */
  get isReady(): boolean {
    return this.started;
  }

  /** Whether the thread has a bundle (set as soon as `runBundle` is called, so it is never given two). */
  get busy(): boolean {
    return this.claimed;
  }

  /** Whether the thread failed (it takes no more bundles). */
  get failed(): boolean {
    return this.dead !== undefined;
  }

  private onMessage(m: WorkerMessage): void {
    switch (m.type) {
      case "ready":
        this.started = true;
        this.startup?.resolve();
        this.startup = undefined;
        return;
      case "needElements": {
        const feed = this.pending?.feed;
        if (feed === undefined) return;
        const elements = feed.next();
        this.post(elements === undefined ? { type: "endOfInput" } : { type: "elements", ...elements }, elements?.elements);
        return;
      }
      case "shuffleData":
        this.pending?.feed.shuffleData(m);
        return;
      case "stageDone": {
        const p = this.pending;
        this.pending = undefined;
        p?.resolve(m);
        return;
      }
      case "cleaned": {
        const c = this.cleaning;
        this.cleaning = undefined;
        c?.();
        return;
      }
      case "error": {
        const e = m.transformPath !== undefined ? new TransformError(m.transformPath, m.message) : new PipelineError(m.message);
        e.name = m.name;
        if (m.stack !== undefined) e.stack = m.stack;
        if (m.metrics !== undefined) attempted.set(e, m.metrics);
        // A bundle that failed leaves its thread usable (a retried bundle runs there again); an error
        // outside a bundle (the thread could not rebuild the pipeline) ends the worker.
        const p = this.pending;
        if (p !== undefined) {
          this.pending = undefined;
          p.reject(e);
        } else this.fail(e);
        return;
      }
    }
  }

  private post(message: CoordinatorMessage, transfer?: Uint8Array): void {
    // Chunks are moved, not copied (each is a fresh buffer of its own).
    this.worker.postMessage(message, transfer !== undefined ? [transfer.buffer as ArrayBuffer] : []);
  }

  private fail(e: Error): void {
    this.dead ??= e;
    const c = this.cleaning;
    this.cleaning = undefined;
    c?.();
    this.startup?.reject(e);
    this.startup = undefined;
    const p = this.pending;
    this.pending = undefined;
    p?.reject(e);
  }

  /** Runs one bundle of a stage, starting with `request.elements` and asking `feed` for more. */
  async runBundle(request: RunStageRequest, feed: BundleFeed): Promise<RunStageResult> {
    if (this.claimed) throw new InternalError("a DirectRunner worker thread was given a second bundle while running one");
    this.claimed = true;
    try {
      await this.ready;
      if (this.dead !== undefined) throw this.dead;
      return await new Promise<RunStageResult>((resolve, reject) => {
        this.pending = { feed, resolve, reject };
        this.post(request, request.elements);
      });
    } finally {
      this.claimed = false;
    }
  }

  /** Runs the cleanup hooks in the thread; a dead or never-started worker has nothing to clean. */
  async cleanup(message: string): Promise<void> {
    try {
      await this.ready;
    } catch {
      return;
    }
    if (this.exited) return;
    await new Promise<void>((resolve) => {
      this.cleaning = resolve;
      this.post({ type: "cleanup", message } satisfies CleanupRequest);
    });
  }

  /**
   * Stops the thread, without waiting for it to wind down (35-50 ms, mostly freeing its heap): it
   * has no work left, and neither the run nor the process waits for it (the thread is unref'd).
   */
  terminate(): void {
    this.worker.unref();
    if (this.exited) return;
    if (!this.started || this.dead !== undefined || this.claimed) {
      void this.worker.terminate();
      return;
    }
    // An idle thread tears down its CombineFns (Beam's CombineFn.teardown) and exits itself; one
    // that does not within TEARDOWN_GRACE_MS is stopped (teardown is best effort).
    this.worker.postMessage({ type: "teardown" } satisfies CoordinatorMessage);
    setTimeout(() => void this.worker.terminate(), TEARDOWN_GRACE_MS).unref();
  }
}

/** Worker threads that each rebuild the pipeline, started together. */
export class WorkerPool {
  readonly workers: readonly PooledWorker[];

  constructor(size: number, init: WorkerInit) {
    // Each thread writes its own row of the live-progress tally (row 0 is the coordinator's).
    this.workers = Array.from({ length: size }, (_, i) => new PooledWorker(init.tally === undefined ? init : { ...init, tally: { ...init.tally, thread: i + 1 } }));
  }

  /** After a failed run: every thread runs the transforms' cleanupAfterFailure hooks. */
  async cleanupAfterFailure(message: string): Promise<void> {
    await Promise.all(this.workers.map((w) => w.cleanup(message)));
  }

  /** Stops every thread (see PooledWorker.terminate). */
  close(): void {
    for (const w of this.workers) w.terminate();
  }
}
