/**
 * Live per-PCollection element counts and per-step execution time, shared by every thread that
 * runs bundles of a job.
 *
 * Counts are cells of a SharedArrayBuffer, one row per thread, so worker threads add to them
 * without messages or locks and the coordinator sums the rows when it takes a snapshot.
 * Time is sampled the way Beam's SDKs do it (Java's ExecutionStateSampler, Python's
 * statesampler): each thread writes the index of the step it is executing into its register,
 * and a sampler thread reads the registers every few milliseconds and credits the period to the
 * step it finds. That costs two stores per element and step instead of a clock read.
 */
import { performance } from "node:perf_hooks";
import type { Worker } from "node:worker_threads";
import type { StepMark } from "../executor/operator";

/** No step is executing on a thread. */
const IDLE = -1;

/**
 * Bytes between two threads' count rows, and between their step registers. Each thread writes its
 * own on every element; rows that shared a cache line (64 bytes, which processors also fetch in
 * pairs) would bounce that line between the cores running the threads on every write.
 */
const LINE_BYTES = 128;

/** Where a tally's parts lie in its buffer: a count row per thread, a register per thread, then the samples and the stop flag. */
function offsets(pcollections: number, threads: number, steps: number): { rowFloats: number; registersAt: number; registerStride: number; samplesAt: number; stopAt: number; bytes: number } {
  const rowBytes = Math.max(1, Math.ceil((pcollections * 8) / LINE_BYTES)) * LINE_BYTES;
  const registersAt = threads * rowBytes;
  const samplesAt = registersAt + threads * LINE_BYTES;
  const stopAt = samplesAt + steps * 8;
  return { rowFloats: rowBytes / 8, registersAt, registerStride: LINE_BYTES / 4, samplesAt, stopAt, bytes: stopAt + 8 };
}

/** The shared memory of a tally: what a worker thread needs to write into it. */
export interface TallyLayout {
  readonly buffer: SharedArrayBuffer;
  readonly steps: readonly string[];
  readonly pcollections: readonly string[];
  readonly threads: number;
}

/** Where one thread writes: its count row and its step register. */
export class ThreadTally {
  private readonly counts: Float64Array;
  /** This thread's step register (a view of its one cell). */
  private readonly register: Int32Array;
  private readonly pcollIndex: ReadonlyMap<string, number>;
  private readonly stepIndex: ReadonlyMap<string, number>;

  constructor(
    layout: TallyLayout,
    thread: number,
  ) {
    const P = layout.pcollections.length;
    const at = offsets(P, layout.threads, layout.steps.length);
    this.counts = new Float64Array(layout.buffer, thread * at.rowFloats * 8, P);
    this.register = new Int32Array(layout.buffer, at.registersAt + thread * at.registerStride * 4, 1);
    this.pcollIndex = new Map(layout.pcollections.map((id, i) => [id, i] as const));
    this.stepIndex = new Map(layout.steps.map((s, i) => [s, i] as const));
    this.register[0] = IDLE;
  }

  /** A PCollection's count cell as an object operators increment (`n++`) themselves; undefined if not tracked. */
  counter(pcollId: string): { n: number } | undefined {
    const cell = this.pcollIndex.get(pcollId);
    return cell === undefined ? undefined : new CountCell(this.counts, cell);
  }

  /** The register value of a step (for `enter`). */
  stepId(step: string): number {
    return this.stepIndex.get(step) ?? IDLE;
  }

  /** What an operator writes into this thread's register while it runs `step`; undefined if the step is not tracked. */
  stepMark(step: string): StepMark | undefined {
    const s = this.stepIndex.get(step);
    return s === undefined ? undefined : { register: this.register, step: s };
  }

  /** Marks `step` as executing on this thread; returns what to restore with `exit`. */
  enter(step: number): number {
    const previous = this.register[0]!;
    this.register[0] = step;
    return previous;
  }

  exit(previous: number): void {
    this.register[0] = previous;
  }
}

/** One cell of a thread's count row, behind the `{ n }` shape the executor's operators count in. */
class CountCell {
  constructor(
    private readonly counts: Float64Array,
    private readonly cell: number,
  ) {}
  get n(): number {
    return this.counts[this.cell]!;
  }
  set n(value: number) {
    this.counts[this.cell] = value;
  }
}

/** A job's tally, owned by the coordinator thread: creates the memory, samples, and sums. */
export class ExecutionTally {
  readonly layout: TallyLayout;
  private readonly samples: Float64Array;
  private sampler: Worker | undefined;
  private delay: NodeJS.Timeout | undefined;
  private stopped = false;
  private readonly stopFlag: Int32Array;

  constructor(
    steps: readonly string[],
    pcollections: readonly string[],
    threads: number,
    /**
     * Sampling period; each sample credits this many milliseconds to the step it finds. Beam's
     * samplers use 200 ms; 20 ms still gives a 1-second run 50 samples, and waking every 5 ms
     * cost ~1.5 % of a batch run's CPU (60–70 ms of a 4 s wordcount).
     */
    private readonly periodMs = 20,
  ) {
    const at = offsets(pcollections.length, threads, steps.length);
    const buffer = new SharedArrayBuffer(at.bytes);
    this.layout = { buffer, steps, pcollections, threads };
    this.samples = new Float64Array(buffer, at.samplesAt, steps.length);
    this.stopFlag = new Int32Array(buffer, at.stopAt, 1);
    const registers = new Int32Array(buffer, at.registersAt, threads * at.registerStride);
    for (let t = 0; t < threads; t++) registers[t * at.registerStride] = IDLE;
  }

  /** The writer for thread `thread` (0 = the coordinator's own). */
  thread(thread: number): ThreadTally {
    return new ThreadTally(this.layout, thread);
  }

  /**
   * Starts the sampler thread (time per step stays empty without it), after `delayMs` of work: a thread
   * costs a Node.js environment's start-up (~100 ms of CPU), which runs shorter than that would
   * pay for time figures too small to show.
   */
  startSampling(delayMs = 0): void {
    if (this.sampler !== undefined || this.stopped) return;
    if (delayMs > 0) {
      if (this.delay !== undefined) return;
      // The delay is counted in time worked (CPU time of the process and event-loop waits), not wall time: on a busy
      // machine a short run spans more than its work, and would pay for the thread all the same.
      const cpu = process.cpuUsage();
      const loop = performance.eventLoopUtilization();
      const wait = (ms: number): void => {
        this.delay = setTimeout(() => {
          const used = process.cpuUsage(cpu);
          const worked = (used.user + used.system) / 1000 + performance.eventLoopUtilization(loop).idle;
          if (worked < delayMs) return wait(delayMs - worked);
          this.delay = undefined;
          this.startSampling();
        }, ms).unref();
      };
      wait(delayMs);
      return;
    }
    const { buffer, steps, pcollections, threads } = this.layout;
    const { registersAt, registerStride } = offsets(pcollections.length, threads, steps.length);
    // Loaded here: runs shorter than the sampling delay never start the thread.
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const { Worker } = require("node:worker_threads") as typeof import("node:worker_threads");
    this.sampler = new Worker(SAMPLER_SOURCE, {
      eval: true,
      workerData: { buffer, threads, registersAt, registerStride, samplesAt: this.samples.byteOffset, steps: steps.length, stopAt: this.stopFlag.byteOffset, periodMs: this.periodMs },
    });
    this.sampler.unref();
  }

  /** Stops the sampler thread. */
  async stop(): Promise<void> {
    this.stopped = true;
    clearTimeout(this.delay);
    this.delay = undefined;
    const s = this.sampler;
    if (s === undefined) return;
    this.sampler = undefined;
    // Terminated rather than asked to stop: a run that ends soon after the sampling delay would otherwise wait for
    // the thread to finish starting (50-300 ms, 60 ms of CPU) only to see it exit; it holds nothing to clean up.
    Atomics.store(this.stopFlag, 0, 1);
    await s.terminate();
  }

  /** Elements per PCollection id, summed over threads. */
  elements(): Map<string, number> {
    const { buffer, pcollections, threads, steps } = this.layout;
    const { rowFloats } = offsets(pcollections.length, threads, steps.length);
    const counts = new Float64Array(buffer, 0, threads * rowFloats);
    const out = new Map<string, number>();
    pcollections.forEach((id, i) => {
      let n = 0;
      for (let t = 0; t < threads; t++) n += counts[t * rowFloats + i]!;
      out.set(id, n);
    });
    return out;
  }

  /** The step executing on `thread` right now, if any. */
  currentStep(thread: number): string | undefined {
    const { buffer, pcollections, threads, steps } = this.layout;
    const { registersAt, registerStride } = offsets(pcollections.length, threads, steps.length);
    const s = new Int32Array(buffer, registersAt, threads * registerStride)[thread * registerStride]!;
    return s >= 0 ? steps[s] : undefined;
  }

  /** Sampled milliseconds per step. */
  msSpent(): Map<string, number> {
    const out = new Map<string, number>();
    this.layout.steps.forEach((s, i) => {
      const n = this.samples[i]!;
      if (n > 0) out.set(s, n * this.periodMs);
    });
    return out;
  }
}

/**
 * The sampler: wakes every period (Atomics.wait on the stop flag doubles as the sleep), and
 * credits one sample to the step in each thread's register.
 */
const SAMPLER_SOURCE = `
const { workerData } = require("node:worker_threads");
const { buffer, threads, registersAt, registerStride, samplesAt, steps, stopAt, periodMs } = workerData;
const registers = new Int32Array(buffer, registersAt, threads * registerStride);
const samples = new Float64Array(buffer, samplesAt, steps);
const stop = new Int32Array(buffer, stopAt, 1);
while (Atomics.wait(stop, 0, 0, periodMs) === "timed-out") {
  for (let t = 0; t < threads; t++) {
    const s = registers[t * registerStride];
    if (s >= 0 && s < steps) samples[s] += 1;
  }
}
`;
