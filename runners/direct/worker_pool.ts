/**
 * Worker threads for `--direct_num_workers N` (N > 1): each thread rebuilds the pipeline from
 * its program module and runs bundles of a stage in parallel with the others, so CPU-bound
 * pipelines use N cores. Elements and results cross threads encoded with their coders.
 */
import * as path from "node:path";
import { Worker } from "node:worker_threads";
import { PipelineError, TransformError } from "../../lib/model/errors";
import type { MetricsSnapshot } from "./transfer";
import type { CleanupRequest, WorkerInit, WorkerMessage, RunStageRequest, RunStageResult } from "./worker_protocol";

/** Metrics a failed bundle counted in its thread, by the error it failed with. */
const attempted = new WeakMap<Error, readonly MetricsSnapshot[]>();

/** What the bundle that failed with `error` in a worker thread had counted (Beam's attempted metrics). */
export function attemptedMetricsOf(error: unknown): readonly MetricsSnapshot[] {
  return error instanceof Error ? (attempted.get(error) ?? []) : [];
}

class PooledWorker {
  private readonly worker: Worker;
  private readonly ready: Promise<void>;
  private pending: { resolve: (r: RunStageResult) => void; reject: (e: Error) => void } | undefined;
  private cleaning: (() => void) | undefined;
  private exited = false;
  private startup: { resolve: () => void; reject: (e: Error) => void } | undefined;
  private dead: Error | undefined;

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

  private onMessage(m: WorkerMessage): void {
    switch (m.type) {
      case "ready":
        this.startup?.resolve();
        this.startup = undefined;
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

  async run(request: RunStageRequest): Promise<RunStageResult> {
    await this.ready;
    if (this.dead !== undefined) throw this.dead;
    return new Promise<RunStageResult>((resolve, reject) => {
      this.pending = { resolve, reject };
      this.worker.postMessage(request);
    });
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
      this.worker.postMessage({ type: "cleanup", message } satisfies CleanupRequest);
    });
  }

  async terminate(): Promise<void> {
    await this.worker.terminate();
  }
}

/** N worker threads that each rebuilt the pipeline. */
export class WorkerPool {
  private readonly workers: PooledWorker[];

  constructor(size: number, init: WorkerInit) {
    this.workers = Array.from({ length: size }, () => new PooledWorker(init));
  }

  get size(): number {
    return this.workers.length;
  }

  /** Runs one bundle per request, in parallel, request i on worker i. */
  async runAll(requests: readonly RunStageRequest[]): Promise<RunStageResult[]> {
    // Every bundle settles before the stage does, so a retry never finds a thread still busy.
    const settled = await Promise.allSettled(requests.map((r, i) => this.workers[i]!.run(r)));
    const failed = settled.find((s): s is PromiseRejectedResult => s.status === "rejected");
    if (failed !== undefined) throw failed.reason;
    return settled.map((s) => (s as PromiseFulfilledResult<RunStageResult>).value);
  }

  /** After a failed run: every thread runs the transforms' cleanupAfterFailure hooks. */
  async cleanupAfterFailure(message: string): Promise<void> {
    await Promise.all(this.workers.map((w) => w.cleanup(message)));
  }

  async close(): Promise<void> {
    await Promise.all(this.workers.map((w) => w.terminate()));
  }
}
