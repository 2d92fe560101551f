/**
 * A small pool of worker threads (./query_worker) that run the BigQuery emulator's queries, so an
 * expensive query never blocks the emulators' event loop (other requests, other services, signals)
 * and can be cancelled or timed out by terminating its thread.
 *
 * Table rows are posted to the worker in chunks, yielding to the event loop between chunks, so
 * even copying a large table does not stall other requests. Workers are reused between queries;
 * a terminated one is replaced on demand. Idle workers do not keep the process alive.
 */
import * as path from "node:path";
import { Worker } from "node:worker_threads";
import { HttpError } from "../common/http";
import type { PreparedQuery, QueryOutput, TableRows } from "./query_engine";
import type { WorkerRequest, WorkerResponse } from "./query_worker";

/** Rows per message to a worker. */
const ROWS_PER_CHUNK = 2000;
/** Heap limit of a query worker; a query that needs more fails with `resourcesExceeded`. */
const WORKER_HEAP_MB = 1024;

export interface QueryTask {
  readonly done: Promise<QueryOutput>;
  /** Stops the query (terminating its worker if it is running); `done` rejects with `reason`. */
  cancel(reason: Error): void;
}

export class QueryPool {
  private readonly idle: Worker[] = [];
  private readonly live = new Set<Worker>();
  private readonly waiting: ((worker: Worker) => void)[] = [];
  private starting = 0;
  private closed = false;

  constructor(private readonly maxWorkers = 2) {}

  run(prepared: PreparedQuery, rows: TableRows[], maxResultBytes: number): QueryTask {
    let cancelled: Error | undefined;
    let active: Worker | undefined;
    let rejectCancel: (e: Error) => void = () => undefined;
    const cancelledSignal = new Promise<never>((_, reject) => (rejectCancel = reject));
    const work = (async (): Promise<QueryOutput> => {
      const worker = await this.acquire();
      if (cancelled !== undefined) {
        this.release(worker);
        throw cancelled;
      }
      active = worker;
      const result = this.awaitResult(worker);
      worker.postMessage({ type: "begin", prepared } satisfies WorkerRequest);
      for (const table of rows) {
        for (let i = 0; i < table.count && cancelled === undefined; i += ROWS_PER_CHUNK) {
          worker.postMessage({ type: "rows", placeholder: table.placeholder, rows: table.rows.slice(i, Math.min(table.count, i + ROWS_PER_CHUNK)) } satisfies WorkerRequest);
          await new Promise((resolve) => setImmediate(resolve));
        }
      }
      if (cancelled !== undefined) throw cancelled;
      worker.postMessage({ type: "run", maxResultBytes } satisfies WorkerRequest);
      try {
        return await result;
      } finally {
        // A query that failed in SQL (an unknown column) leaves its worker healthy: it goes back to
        // the pool like one that succeeded. (One that crashed or was cancelled was discarded, and
        // release ignores it.) Kept out, each failed query took a worker for good.
        active = undefined;
        this.release(worker);
      }
    })();
    // If the task was cancelled, `work` settles later (or never matters): keep it from going unhandled.
    work.catch(() => undefined);
    return {
      done: Promise.race([work, cancelledSignal]),
      cancel: (reason) => {
        if (cancelled !== undefined) return;
        cancelled = reason;
        if (active !== undefined) this.discard(active);
        rejectCancel(reason);
      },
    };
  }

  /** Terminates every worker; queued queries fail. */
  async close(): Promise<void> {
    this.closed = true;
    const workers = [...this.live];
    this.live.clear();
    this.idle.length = 0;
    await Promise.all(workers.map((w) => w.terminate()));
  }

  private awaitResult(worker: Worker): Promise<QueryOutput> {
    return new Promise<QueryOutput>((resolve, reject) => {
      const cleanup = (): void => {
        worker.off("message", onMessage);
        worker.off("error", onError);
        worker.off("exit", onExit);
      };
      const onMessage = (msg: WorkerResponse): void => {
        if (msg.type === "done") {
          cleanup();
          resolve(msg.output);
        } else if (msg.type === "error") {
          cleanup();
          reject(new HttpError(msg.status, msg.reason, msg.message));
        }
      };
      const onError = (e: Error): void => {
        cleanup();
        this.discard(worker);
        const outOfMemory = (e as NodeJS.ErrnoException).code === "ERR_WORKER_OUT_OF_MEMORY";
        reject(
          outOfMemory
            ? new HttpError(400, "resourcesExceeded", `Resources exceeded during query execution: the query needed more than the emulator's ${WORKER_HEAP_MB} MB per query.`)
            : new HttpError(500, "internalError", `The emulator's query worker failed: ${e.message}`),
        );
      };
      const onExit = (code: number): void => {
        cleanup();
        this.discard(worker);
        reject(new HttpError(500, "internalError", `The emulator's query worker stopped (exit code ${code})`));
      };
      worker.on("message", onMessage);
      worker.on("error", onError);
      worker.on("exit", onExit);
    });
  }

  private async acquire(): Promise<Worker> {
    if (this.closed) throw new HttpError(503, "backendError", "The BigQuery emulator is shutting down");
    const idle = this.idle.pop();
    if (idle !== undefined) {
      idle.ref();
      return idle;
    }
    if (this.live.size + this.starting < this.maxWorkers) {
      this.starting++;
      try {
        const worker = await spawn();
        if (this.closed) {
          await worker.terminate();
          throw new HttpError(503, "backendError", "The BigQuery emulator is shutting down");
        }
        this.live.add(worker);
        return worker;
      } finally {
        this.starting--;
      }
    }
    return new Promise<Worker>((resolve) => this.waiting.push(resolve));
  }

  private release(worker: Worker): void {
    if (!this.live.has(worker)) return;
    const next = this.waiting.shift();
    if (next !== undefined) next(worker);
    else {
      worker.unref();
      this.idle.push(worker);
    }
  }

  /** Drops a worker that is cancelled or broken; a waiting query gets a fresh one. */
  private discard(worker: Worker): void {
    if (!this.live.delete(worker)) return;
    const i = this.idle.indexOf(worker);
    if (i >= 0) this.idle.splice(i, 1);
    void worker.terminate();
    const next = this.waiting.shift();
    if (next !== undefined && !this.closed) {
      this.starting++;
      spawn().then(
        (fresh) => {
          this.starting--;
          this.live.add(fresh);
          next(fresh);
        },
        () => {
          this.starting--;
          this.waiting.unshift(next);
        },
      );
    }
  }
}

function spawn(): Promise<Worker> {
  const worker = new Worker(path.join(__dirname, "query_worker.js"), { resourceLimits: { maxOldGenerationSizeMb: WORKER_HEAP_MB } });
  return new Promise<Worker>((resolve, reject) => {
    const onMessage = (msg: WorkerResponse): void => {
      if (msg.type !== "ready") return;
      worker.off("message", onMessage);
      worker.off("error", reject);
      resolve(worker);
    };
    worker.on("message", onMessage);
    worker.once("error", reject);
  });
}
