/**
 * Stages shared between this thread and worker threads (`--direct_num_workers N` > 1 with a
 * program the threads can rebuild). Each participant runs one bundle per stage, taking chunks of
 * the stage's root elements from one queue until it is empty, so participants that finish early
 * take more and all end together. Worker threads keep a chunk or two waiting (this thread answers
 * their requests only between chunks of its own); once the queue is empty, this thread takes back
 * the waiting chunks they have not started (chunk_handover.ts), so no chunk waits in one thread
 * while another sits idle.
 *
 * Worker threads cost a pipeline rebuild each (module loading and graph construction), so by
 * default they start only when a stage's remaining work, extrapolated from this thread's
 * progress (in time worked, see `workingMs`), is longer than that: small inputs run in this thread alone and are never slower
 * than with one worker. Once started, they take part in the later stages that are worth it
 * (`worthSharing`): a short stage, such as formatting and writing a word count's results, runs in
 * this thread alone.
 */
import { setImmediate as yieldToEventLoop } from "node:timers/promises";
import type { WindowedValue } from "../../lib/model/window";
import type { PipelineOptions } from "../../lib/model/options";
import type { Execution } from "./execution";
import type { Stage } from "./plan";
import { buildStage } from "./stage_builder";
import { runStageInstances } from "./stage_runner";
import { WorkQueue } from "./work_queue";
import { StageRun, type Chunk } from "./stage_run";
import type { PooledWorker, WorkerPool } from "./worker_pool";
import type { WorkerInit } from "./worker_protocol";

/**
 * The worker threads and the encodings of what crosses to them (node:worker_threads, the standard
 * coders): loaded once workers start, so a small input run with `--direct_num_workers 2` (all in
 * this thread) starts as fast as with one.
 */
function workers(): WorkerModules {
  /* eslint-disable @typescript-eslint/no-require-imports */
  return (workerModules ??= { ...(require("./worker_pool") as typeof import("./worker_pool")), ...(require("./transfer") as typeof import("./transfer")) });
  /* eslint-enable @typescript-eslint/no-require-imports */
}
type WorkerModules = typeof import("./worker_pool") & typeof import("./transfer");
let workerModules: WorkerModules | undefined;

/** A stage's root elements, and how many there are when known without reading them. */
export interface StageRoot {
  readonly elements: Iterable<WindowedValue<unknown>>;
  readonly count: number | undefined;
}

/**
 * About what a worker thread takes to rebuild the pipeline and be ready (a fresh Node.js
 * environment loading the program's modules; measured 300–600 ms on a busy 2-core machine).
 */
const WORKER_START_MS = 400;
/**
 * Threads start when the work left is at least this many times their start-up. The second thread
 * only halves what is left after it is ready, its first chunks run cold code, and while it starts
 * it takes CPU the main thread's own helpers (garbage collection, the compiler) need. At twice the
 * start-up, a 20 MB word count on a 2-core VM started one and took 1.12-1.20x the time of one
 * worker (alternating runs); a 40 MB one gained (0.88x). Three times keeps the 20 MB in one thread
 * (1.04x: its byte ranges) and still starts a thread for 40 MB as soon as the pace shows.
 */
const START_MARGIN = 3;
/** How often a long chunk in this thread is interrupted to check whether workers should start. */
const START_CHECK_MS = 20;

/** This thread's progress through a stage, in time worked (see `workingMs`). */
export interface StagePace {
  /** Time worked since the stage started. */
  readonly elapsedMs: number;
  /** Chunks this thread has finished. */
  readonly chunksDone: number;
  /** Time worked when the first chunk was done, and when the last one was (0 before). */
  readonly firstChunkMs: number;
  readonly lastChunkMs: number;
}

/**
 * How many times longer than later ones a stage's first chunk may take: it runs cold code
 * (operators' setup, code not yet optimised). A word count's first 1 MiB byte range took 80-140 ms
 * on a busy 2-core machine, later ones 35-50 ms.
 */
const COLD_FIRST_CHUNK = 3;

/**
 * Whether worker threads are worth starting during a stage: when the work left, extrapolated
 * from this thread's pace, is well over what they take to start. The pace is that of the chunks
 * after the first, and at least the time the running one has taken so far; until a second chunk
 * is done, a third of the first chunk's time (cold code), or all of it when it alone took as long
 * as a worker's start (cold code is little of it). A first chunk still running is judged once it
 * has run that long. With an unknown count, once the stage has run twice that long.
 */
export function workersWorthStarting(pace: StagePace, chunksLeft: number | undefined): boolean {
  const { elapsedMs, chunksDone, firstChunkMs, lastChunkMs } = pace;
  if (chunksLeft === 0) return false;
  const worthIt = START_MARGIN * WORKER_START_MS;
  if (chunksLeft === undefined) return elapsedMs > worthIt;
  if (chunksDone === 0) return elapsedMs >= WORKER_START_MS && elapsedMs * chunksLeft > worthIt;
  const running = elapsedMs - lastChunkMs;
  const warm = chunksDone > 1 ? (lastChunkMs - firstChunkMs) / (chunksDone - 1) : firstChunkMs >= WORKER_START_MS ? firstChunkMs : firstChunkMs / COLD_FIRST_CHUNK;
  return Math.max(warm, running) * chunksLeft > worthIt;
}

/**
 * Work left (at this thread's pace) above which a stage of many small elements is shared with
 * worker threads already running: a worker's bundle costs it the stage's code run cold, its own
 * outputs (a shard file per sink) and the hand-over of its results (40-70 ms for a word count's
 * 5,000 results on a busy 2-core machine, where the whole stage takes 30 ms in one thread).
 */
const SHARE_MS = 100;
/** Time a stage of many small elements works, after its first chunk (cold code), before its pace is judged. */
const JUDGE_AFTER_MS = 10;

/**
 * Whether worker threads already running should take part in a stage. A stage of few elements
 * (one per chunk: each may be much work, such as a file's byte range) or of an unknown number
 * (a shuffle read back from disk) is shared from its start; a stage of many small elements once
 * the work left, at this thread's pace since its first chunk (or 1,024 elements: cold code, the
 * operators' setup), is worth a worker's bundle: `workedMs` and `elementsDone` count from there.
 */
export function worthSharing(elementsPerChunk: number, workedMs: number, elementsDone: number, elementsLeft: number | undefined): boolean {
  if (elementsLeft === undefined || elementsPerChunk === 1) return true;
  if (elementsLeft === 0 || workedMs < JUDGE_AFTER_MS || elementsDone === 0) return false;
  return (workedMs / elementsDone) * elementsLeft > SHARE_MS;
}

export class SharedStages {
  private pool: WorkerPool | undefined;
  private current: StageRun | undefined;
  private startFailure: { error: unknown } | undefined;

  constructor(
    private readonly execution: Execution,
    /** What worker threads start from (built once, when the first pool starts). */
    private readonly init: () => WorkerInit,
    private readonly slots: number,
    private readonly mode: PipelineOptions["directWorkerThreads"],
  ) {}

  async run(stage: Stage, root: StageRoot): Promise<void> {
    if (this.startFailure !== undefined) throw this.startFailure.error;
    const run = new StageRun(stage, new WorkQueue(root.elements, root.count, this.slots), () => this.execution.encodedMaterialized(stage));
    run.shared = this.mode === "always" || worthSharing(run.queue.elementsPerChunk, 0, 0, run.queue.elementsLeft);
    this.current = run;
    try {
      if (this.mode === "always") {
        this.pool ??= this.startPool(this.slots);
        await Promise.all(this.pool.workers.map((w) => w.ready));
        // Like a bundle in this thread, the first worker runs one even when there are no elements.
        this.pool.workers.forEach((w, i) => this.offer(w, run, i === 0));
      } else {
        run.track(this.runHere(run, run.takeHere() ?? []));
        for (const w of this.pool?.workers ?? []) this.offer(w, run, false);
      }
      await run.finished();
    } finally {
      this.current = undefined;
    }
  }

  /** This thread's bundle of the stage: the chunks it takes until the queue is empty. */
  private async runHere(run: StageRun, first: Chunk): Promise<void> {
    const chunks = async function* (this: SharedStages): AsyncGenerator<Chunk> {
      let chunk: Chunk | undefined = first;
      let done = 0;
      while (chunk !== undefined) {
        yield chunk;
        run.chunksDone++;
        run.lastChunkMs = run.clock.elapsed();
        if (run.chunksDone === 1) run.firstChunkMs = run.lastChunkMs;
        run.elementsDone = done += chunk.length;
        this.judge(run);
        // Lets worker threads' requests for elements through between chunks.
        if (this.pool !== undefined) await yieldToEventLoop();
        chunk = run.takeHere();
      }
    }.call(this);
    const timer = this.pool === undefined && this.mode === "when_worthwhile" ? setInterval(() => this.startWorkersIfWorthwhile(run), START_CHECK_MS) : undefined;
    const monitor = this.execution.monitor;
    // Called every 1,024 elements within a chunk: long chunks of small elements are judged as they run.
    const pauser = {
      pause: async (): Promise<void> => {
        run.elementsDone += 1024;
        this.judge(run);
        await monitor?.pause();
      },
    };
    try {
      await runStageInstances([buildStage(run.stage, this.execution)], chunks, 1, pauser);
    } finally {
      clearInterval(timer);
    }
  }

  /** Starts worker threads, or shares the stage with running ones, when the work left is worth it. */
  private judge(run: StageRun): void {
    this.startWorkersIfWorthwhile(run);
    if (run.shared || this.pool === undefined) return;
    const worked = run.clock.elapsed();
    if (run.warm === undefined) {
      run.warm = { ms: worked, elements: run.elementsDone };
      return;
    }
    if (!worthSharing(run.queue.elementsPerChunk, worked - run.warm.ms, run.elementsDone - run.warm.elements, run.queue.elementsLeft)) return;
    run.shared = true;
    for (const w of this.pool.workers) this.offer(w, run, false);
  }

  private startWorkersIfWorthwhile(run: StageRun): void {
    if (this.pool !== undefined || run.queue.exhausted) return;
    if (workersWorthStarting({ elapsedMs: run.clock.elapsed(), chunksDone: run.chunksDone, firstChunkMs: run.firstChunkMs, lastChunkMs: run.lastChunkMs }, run.queue.chunksLeft)) {
      this.pool = this.startPool(this.slots - 1);
      // Started for this stage's work left: they take part in it once ready.
      run.shared = true;
    }
  }

  private startPool(size: number): WorkerPool {
    const pool = new (workers().WorkerPool)(size, this.init());
    for (const w of pool.workers) {
      w.ready.then(
        () => this.current !== undefined && this.offer(w, this.current, false),
        // A thread that could not rebuild the pipeline (e.g. it built a different graph) fails the run.
        (e: unknown) => {
          this.startFailure ??= { error: e };
          this.current?.track(Promise.reject(e));
        },
      );
    }
    return pool;
  }

  /**
   * Gives a ready, idle worker a bundle of the stage if it is shared and elements are left (or
   * `evenIfEmpty`). A worker still starting gets none (its chunk would wait while this thread
   * could run it); it is offered one when it is ready.
   */
  private offer(worker: PooledWorker, run: StageRun, evenIfEmpty: boolean): void {
    if (!run.shared || !worker.isReady || worker.busy || worker.failed || run.queue.failed) return;
    const first = run.firstFor(evenIfEmpty);
    if (first === undefined) return;
    const { encodeAll, attemptedMetricsOf } = workers();
    const coder = this.execution.rootCoder(run.stage);
    const execution = this.execution;
    const sent = first.bundle;
    const bundle = worker.runBundle(
      { type: "runStage", stageId: run.stage.id, elements: encodeAll(coder, first.chunk), handover: sent.handover.buffer, materialized: run.encodedMaterialized() },
      {
        next: () => {
          const next = run.nextFor(sent);
          return next === undefined ? undefined : { seq: next.seq, elements: encodeAll(coder, next.chunk) };
        },
        shuffleData: (m) => execution.mergeShuffles(m.shuffles),
      },
    );
    run.track(
      bundle.then(
        (result) => execution.merge(result),
        (e: unknown) => {
          execution.mergeMetrics(attemptedMetricsOf(e));
          throw e;
        },
      ),
    );
  }

  /** After a failed run: the worker threads run the transforms' cleanupAfterFailure hooks. */
  async cleanupAfterFailure(message: string): Promise<void> {
    await this.pool?.cleanupAfterFailure(message);
  }

  close(): void {
    this.pool?.close();
  }
}
