/**
 * Where the harness spends its time, per transform and phase (start bundle, process, finish
 * bundle), for the `beam:metric:pardo_execution_time:*` metrics runners show (Dataflow's
 * "wall time" per step). Like Beam Python's state sampler: the bundle marks which (transform,
 * phase) it is in by storing a slot number, and a sampler thread adds the time elapsed since
 * its last look to the slot current at each look. Marking costs one store into shared memory, so
 * timing every element of every transform stays cheap; the sampler keeps sampling while the main
 * thread is busy in synchronous user code, which a timer on the main thread could not.
 *
 * The current slot also tells the log forwarder which transform and bundle a `console.*` line
 * belongs to. Time and log lines of an async DoFn's continuations go to the transform whose
 * element went async (the bundle marks it while it awaits).
 */
import { Worker } from "node:worker_threads";
import type { ElementMeta } from "../../lib/model/window";
import type { MaybePromise, Receiver } from "../executor/receiver";

/** The phases a transform's time is split into; `setup` (and teardown) is not reported. */
export const PHASES = { start: 0, process: 1, finish: 2, setup: 3 } as const;
export type Phase = keyof typeof PHASES;
const PHASE_COUNT = 4;

/** Slot 0: no transform (waiting for data, harness bookkeeping). */
export const IDLE_SLOT = 0;

const CAPACITY = 1 << 16;
/** As the DirectRunner's tally (runners/monitor/execution_tally.ts): 50 samples a second. */
const SAMPLING_PERIOD_MS = 20;

/** Who a slot belongs to: the transform, and the bundle running it. */
export interface SlotOwner {
  readonly transformId: string;
  /** The instruction (bundle) the transform is running now. */
  instructionId(): string;
  /** The harness the bundle runs in (its log forwarder gets the transform's log lines). */
  readonly harness: object;
}

const SAMPLER_THREAD = `
const { workerData } = require("node:worker_threads");
const { state, micros, periodMs } = workerData;
let last = performance.now();
for (;;) {
  Atomics.wait(state, 1, 0, periodMs);
  const now = performance.now();
  const slot = Atomics.load(state, 0);
  Atomics.add(micros, slot, BigInt(Math.round((now - last) * 1000)));
  last = now;
}
`;

export class StateSampler {
  private static instance: StateSampler | undefined;
  /** [0]: the current slot; [1]: never set (the sampler thread waits on it as a sleep). */
  private readonly state = new Int32Array(new SharedArrayBuffer(8));
  private readonly micros = new BigInt64Array(new SharedArrayBuffer(CAPACITY * 8));
  private readonly owners: (SlotOwner | undefined)[] = [];
  private readonly free: number[] = [];
  private next = 1;
  private thread: Worker | undefined;
  /** The innermost slot whose element went async in the element being processed (undefined: none). */
  lastAsync: number | undefined;

  /** The process-wide sampler (one sampling thread per process, started on first use). */
  static get(): StateSampler {
    return (StateSampler.instance ??= new StateSampler());
  }

  private start(): void {
    if (this.thread !== undefined) return;
    this.thread = new Worker(SAMPLER_THREAD, { eval: true, workerData: { state: this.state, micros: this.micros, periodMs: SAMPLING_PERIOD_MS } });
    // It never keeps the process alive, and dies with it.
    this.thread.unref();
  }

  /** Reserves the slots of one transform (one per phase); returns the first. */
  allocate(owner: SlotOwner): number {
    this.start();
    let first = this.free.pop();
    if (first === undefined) {
      if (this.next + PHASE_COUNT > CAPACITY) return IDLE_SLOT;
      first = this.next;
      this.next += PHASE_COUNT;
    }
    for (let i = 0; i < PHASE_COUNT; i++) {
      this.owners[first + i] = owner;
      Atomics.store(this.micros, first + i, 0n);
    }
    return first;
  }

  /** Gives a transform's slots back (its processor was torn down). */
  release(first: number): void {
    if (first === IDLE_SLOT) return;
    for (let i = 0; i < PHASE_COUNT; i++) this.owners[first + i] = undefined;
    this.free.push(first);
  }

  /** Marks the current slot; returns the previous one (to restore). */
  enter(slot: number): number {
    const previous = this.state[0]!;
    this.state[0] = slot;
    return previous;
  }

  current(): number {
    return this.state[0]!;
  }

  /** Who the current slot belongs to (undefined between bundles). */
  currentOwner(): SlotOwner | undefined {
    return this.owners[this.state[0]!];
  }

  /** Milliseconds sampled in a slot since `reset`. */
  millis(slot: number): number {
    return slot === IDLE_SLOT ? 0 : Number(Atomics.load(this.micros, slot)) / 1000;
  }

  reset(slot: number): void {
    if (slot !== IDLE_SLOT) Atomics.store(this.micros, slot, 0n);
  }
}

/** The slot of `phase` of a transform whose slots start at `first`. */
export function phaseSlot(first: number, phase: Phase): number {
  return first === IDLE_SLOT ? IDLE_SLOT : first + PHASES[phase];
}

/** Marks a transform's process slot while it handles an element. */
export class TimedReceiver implements Receiver {
  private readonly sampler = StateSampler.get();
  constructor(
    private readonly inner: Receiver,
    private readonly slot: number,
  ) {}
  receive(value: unknown, meta: ElementMeta): MaybePromise {
    const sampler = this.sampler;
    const previous = sampler.enter(this.slot);
    try {
      const r = this.inner.receive(value, meta);
      if (r !== undefined) sampler.lastAsync ??= this.slot;
      return r;
    } finally {
      sampler.enter(previous);
    }
  }
}

/** Runs `fn` (a start, finish, setup or teardown call) marked as `slot`. */
export function timed<T>(slot: number, fn: () => T): T {
  const sampler = StateSampler.get();
  const previous = sampler.enter(slot);
  try {
    return fn();
  } finally {
    sampler.enter(previous);
  }
}
