/**
 * One stage shared between this thread and worker threads (shared_stages.ts): the queue of its
 * root elements, the chunks sent to worker threads that they may not have started (this thread
 * takes those back once the queue is empty: chunk_handover.ts), its bundles and its first failure.
 */
import { performance } from "node:perf_hooks";
import type { WindowedValue } from "../../lib/model/window";
import type { Stage } from "./plan";
import type { WorkQueue } from "./work_queue";
import { ChunkHandover } from "./chunk_handover";

export type Chunk = WindowedValue<unknown>[];

/**
 * How long a stage has been working, for judging its pace: its wall time, less the time this
 * thread was runnable but not running (other processes had the cores). That is the CPU time
 * used plus the time the event loop sat idle waiting for I/O; on a loaded machine the wall time
 * alone would make a small input look long, and start threads that cannot run either.
 */
export function workingMs(wallMs: number, cpuMs: number, idleMs: number): number {
  return Math.min(wallMs, cpuMs + idleMs);
}

/** The clocks `workingMs` reads, from a start. */
export class WorkClock {
  private readonly wall = performance.now();
  private readonly cpu = process.cpuUsage();
  private readonly loop = performance.eventLoopUtilization();

  /** Milliseconds worked since the start (process CPU time: read before worker threads start). */
  elapsed(): number {
    const cpu = process.cpuUsage(this.cpu);
    return workingMs(performance.now() - this.wall, (cpu.user + cpu.system) / 1000, performance.eventLoopUtilization(this.loop).idle);
  }
}

/** The chunks sent to one worker thread's bundle that it may not have started yet. */
export class SentChunks {
  readonly handover = new ChunkHandover();
  private sent = 0;
  /** Oldest first; the worker starts them in this order. */
  private readonly waiting: { seq: number; chunk: Chunk }[] = [];

  /** Records `chunk` as sent (before it is posted); its number in the bundle. */
  send(chunk: Chunk): number {
    while (this.waiting.length > 0 && this.handover.settled(this.waiting[0]!.seq)) this.waiting.shift();
    const seq = this.sent++;
    this.handover.sent(seq);
    this.waiting.push({ seq, chunk });
    return seq;
  }

  /** The newest chunk the worker has not started, taken back to run in this thread; undefined if none. */
  takeBack(): Chunk | undefined {
    // Popped whether taken back or not: the worker starts chunks in order, so once one is settled every older one is.
    for (let w = this.waiting.pop(); w !== undefined; w = this.waiting.pop()) if (this.handover.takeBack(w.seq)) return w.chunk;
    return undefined;
  }
}

/** One stage being run: its queue, its bundles, its first failure. */
export class StageRun {
  readonly clock = new WorkClock();
  /** Chunks this thread has finished. */
  chunksDone = 0;
  /** Time worked (`clock`) when this thread finished its first chunk, and its last one. */
  firstChunkMs = 0;
  lastChunkMs = 0;
  /** Elements this thread has run (counted at the end of each chunk, and every 1,024 elements). */
  elementsDone = 0;
  /** Whether worker threads take part (else this thread runs the stage alone). */
  shared = false;
  /** Time worked and elements run at the first judgement (the stage's cold start): its pace is judged after it. */
  warm: { readonly ms: number; readonly elements: number } | undefined;
  private readonly active = new Set<Promise<void>>();
  private failure: { error: unknown } | undefined;
  private materialized: Record<string, Uint8Array> | undefined;
  private readonly workerBundles: SentChunks[] = [];

  constructor(
    readonly stage: Stage,
    readonly queue: WorkQueue,
    /** Encodes the materialized inputs the stage reads (side inputs, main input), for worker threads. */
    private readonly encodeMaterialized: () => Record<string, Uint8Array>,
  ) {}

  /** Runs a bundle as part of the stage; its failure fails the stage (the other bundles get no more elements). */
  track(bundle: Promise<void>): void {
    const tracked = bundle.catch((e: unknown) => {
      this.failure ??= { error: e };
      this.queue.abort(e);
      this.noMore();
    });
    this.active.add(tracked);
    void tracked.finally(() => this.active.delete(tracked));
  }

  /** Waits for every bundle (including those joining meanwhile); throws the first failure. */
  async finished(): Promise<void> {
    try {
      while (this.active.size > 0) await Promise.all([...this.active]);
    } finally {
      this.noMore();
    }
    if (this.failure !== undefined) throw this.failure.error;
  }

  /** This thread's next chunk: from the queue, else one a worker thread has not started; undefined when none is left. */
  takeHere(): Chunk | undefined {
    const chunk = this.queue.take();
    if (this.queue.exhausted) this.noMore();
    if (chunk !== undefined) return chunk;
    for (const b of this.workerBundles) {
      const back = b.takeBack();
      if (back !== undefined) return back;
    }
    return undefined;
  }

  /** A new worker bundle's first chunk (an empty one if `evenIfEmpty` and none is left), or undefined. */
  firstFor(evenIfEmpty: boolean): { bundle: SentChunks; chunk: Chunk } | undefined {
    const chunk = this.queue.exhausted ? (evenIfEmpty ? [] : undefined) : this.queue.take();
    if (chunk === undefined) return undefined;
    const bundle = new SentChunks();
    this.workerBundles.push(bundle);
    bundle.send(chunk);
    if (this.queue.exhausted) this.noMore();
    return { bundle, chunk };
  }

  /** The next chunk for a worker bundle, and its number; undefined when none is left. */
  nextFor(bundle: SentChunks): { seq: number; chunk: Chunk } | undefined {
    if (this.queue.exhausted) return undefined;
    const chunk = this.queue.take();
    if (chunk === undefined) return undefined;
    const seq = bundle.send(chunk);
    // Only after the chunk is counted as sent: a worker told "no more" ends once it has every chunk sent.
    if (this.queue.exhausted) this.noMore();
    return { seq, chunk };
  }

  /** Tells the worker bundles that no more chunks will be sent. */
  private noMore(): void {
    for (const b of this.workerBundles) b.handover.noMore();
  }

  /** The materialized inputs the stage reads, encoded once for all threads. */
  encodedMaterialized(): Record<string, Uint8Array> {
    return (this.materialized ??= this.encodeMaterialized());
  }
}

