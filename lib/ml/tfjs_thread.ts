/**
 * A TensorFlow.js model on its own thread. The npm-only backends (wasm, cpu) compute on the
 * calling thread only, so while the model runs a batch, a pipeline on the same thread can do
 * nothing else: reading, parsing and writing the next elements waits. On an inference thread the
 * model runs while the pipeline's thread prepares the next batch and writes the last results, so
 * both cores of a small machine work (what Beam Python gets from running the model in another
 * process, `large_model`/`share_model_across_processes`). Batches go over as one Float32Array
 * each way (moved, not copied).
 */
import * as path from "node:path";
import { Worker } from "node:worker_threads";
import type * as tfjs from "@tensorflow/tfjs";
import type { TfjsBackend, TfjsBackendChoice } from "./tfjs_backend";

/** Messages to the inference thread: a batch of `count` examples, flat. */
export interface TfjsThreadRequest {
  readonly id: number;
  readonly data: Float32Array;
  readonly count: number;
}

/** Messages from the inference thread. */
export type TfjsThreadReply =
  | { readonly kind: "ready"; readonly backend: TfjsBackend; readonly inputShape: readonly number[] }
  | { readonly kind: "failed"; readonly message: string }
  | { readonly kind: "predicted"; readonly id: number; readonly values: Float32Array }
  | { readonly kind: "error"; readonly id: number; readonly message: string };

type Waiter = { resolve: (values: Float32Array) => void; reject: (e: Error) => void };

/** A model loaded on an inference thread; `predict` sends it a batch. */
export class TfjsThread {
  private readonly waiting = new Map<number, Waiter>();
  private nextId = 0;
  private exited: Error | undefined;

  private constructor(
    private readonly worker: Worker,
    /** The backend the thread runs the model on. */
    readonly backend: TfjsBackend,
    /** Input shape without the batch dimension. */
    readonly inputShape: readonly number[],
    private readonly uri: string,
  ) {
    worker.on("message", (m: TfjsThreadReply) => this.settle(m));
    worker.on("error", (e: Error) => this.fail(new Error(`the inference thread of ${uri} failed: ${e.message}`, { cause: e })));
    worker.on("exit", (code) => this.fail(new Error(`the inference thread of ${uri} exited (code ${code})`)));
    // An idle thread must not keep the process alive; one with a batch to answer must.
    worker.unref();
  }

  /** Starts a thread that loads the model from `artifacts` (read from `jsonPath`) on `backend`. */
  static async start(backend: TfjsBackendChoice, artifacts: tfjs.io.ModelArtifacts, jsonPath: string, uri: string): Promise<TfjsThread> {
    const worker = new Worker(path.join(__dirname, "tfjs_thread_worker.js"), { workerData: { backend, artifacts, jsonPath, uri } });
    let settle: { onMessage: (m: TfjsThreadReply) => void; onError: (e: Error) => void; onExit: (code: number) => void } | undefined;
    const first = await new Promise<TfjsThreadReply>((resolve, reject) => {
      settle = { onMessage: resolve, onError: reject, onExit: (code) => reject(new Error(`the inference thread exited while loading the model (code ${code})`)) };
      worker.once("message", settle.onMessage).once("error", settle.onError).once("exit", settle.onExit);
    }).finally(() => {
      // Only these: the Worker's own listeners (which start its message port) must stay.
      worker.off("message", settle!.onMessage).off("error", settle!.onError).off("exit", settle!.onExit);
    });
    if (first.kind !== "ready") {
      await worker.terminate();
      throw new Error(first.kind === "failed" ? first.message : `the inference thread sent ${first.kind} before it was ready`);
    }
    return new TfjsThread(worker, first.backend, first.inputShape, uri);
  }

  /** The model's output for `count` examples laid out one after another in `data` (moved to the thread: do not use it afterwards). */
  predict(data: Float32Array, count: number): Promise<Float32Array> {
    if (this.exited !== undefined) return Promise.reject(this.exited);
    const id = this.nextId++;
    return new Promise<Float32Array>((resolve, reject) => {
      if (this.waiting.size === 0) this.worker.ref();
      this.waiting.set(id, { resolve, reject });
      const request: TfjsThreadRequest = { id, data, count };
      this.worker.postMessage(request, [data.buffer as ArrayBuffer]);
    });
  }

  /** Batches sent to the thread and not answered yet. */
  get queued(): number {
    return this.waiting.size;
  }

  /** Stops the thread (later predictions fail). */
  async stop(): Promise<void> {
    this.fail(new Error(`the inference thread of ${this.uri} was stopped`));
    await this.worker.terminate();
  }

  private settle(m: TfjsThreadReply): void {
    if (m.kind !== "predicted" && m.kind !== "error") return;
    const w = this.waiting.get(m.id);
    if (w === undefined) return;
    this.waiting.delete(m.id);
    if (this.waiting.size === 0) this.worker.unref();
    if (m.kind === "predicted") w.resolve(m.values);
    else w.reject(new Error(m.message));
  }

  private fail(e: Error): void {
    this.exited ??= e;
    for (const w of this.waiting.values()) w.reject(e);
    this.waiting.clear();
  }
}

/**
 * Several inference threads, each with its own copy of the model (the npm-only backends use one
 * core per thread): each batch goes to the thread with the fewest batches waiting, so on a machine
 * with cores to spare batches are predicted side by side. Callers get each batch's own output.
 */
export class TfjsThreadPool {
  private next = 0;

  private constructor(private readonly threads: readonly TfjsThread[]) {}

  /** Starts `count` threads that each load the model (all or none: a failure stops the others). */
  static async start(count: number, backend: TfjsBackendChoice, artifacts: tfjs.io.ModelArtifacts, jsonPath: string, uri: string): Promise<TfjsThreadPool> {
    const started = await Promise.allSettled(Array.from({ length: count }, () => TfjsThread.start(backend, artifacts, jsonPath, uri)));
    const failed = started.find((s): s is PromiseRejectedResult => s.status === "rejected");
    const threads = started.flatMap((s) => (s.status === "fulfilled" ? [s.value] : []));
    if (failed !== undefined) {
      await Promise.all(threads.map((t) => t.stop()));
      throw failed.reason;
    }
    return new TfjsThreadPool(threads);
  }

  get size(): number {
    return this.threads.length;
  }

  get backend(): TfjsBackend {
    return this.threads[0]!.backend;
  }

  get inputShape(): readonly number[] {
    return this.threads[0]!.inputShape;
  }

  /** The model's output for `count` examples in `data` (moved to the thread that runs them). */
  predict(data: Float32Array, count: number): Promise<Float32Array> {
    // The least busy thread; among equals, the one after the last chosen.
    let best: TfjsThread | undefined;
    let bestIndex = 0;
    for (let k = 0; k < this.threads.length; k++) {
      const i = (this.next + k) % this.threads.length;
      const t = this.threads[i]!;
      if (best === undefined || t.queued < best.queued) {
        best = t;
        bestIndex = i;
      }
    }
    this.next = (bestIndex + 1) % this.threads.length;
    return best!.predict(data, count);
  }

  /** Stops every thread. */
  async stop(): Promise<void> {
    await Promise.all(this.threads.map((t) => t.stop()));
  }
}
