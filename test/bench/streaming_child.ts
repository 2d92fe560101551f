/**
 * One timed streaming run in a fresh process (so peak RSS is per run). Prints one JSON line
 * (a StreamingSample).
 *
 *   node dist/test/bench/streaming_child.js windowed|windowed-nochecks|windowed-emit|map|baseline|state-bytes COUNT KEYS
 *   node dist/test/bench/streaming_child.js windowed-checkpoint COUNT KEYS CHECKPOINT_DIR INTERVAL_MS
 *
 * Every mode generates the same elements: element i has key `k${i % KEYS}` and, as event
 * timestamp, the wall-clock time (ms) read once every STAMP_EVERY elements, the way a stream
 * of already-timestamped events arrives: the generators (and the hand-written loop) call
 * Date.now() per batch, not per element, so that the clock is not what is measured.
 *
 * - windowed: ReadUnbounded (emitting as fast as the pipeline accepts: emitAll() backpressure, one
 *   batch per timestamp, as a source pulling batches of events hands them over; its watermark is
 *   the timestamp of the batch it is emitting, as a real source reports it)
 *   → Window.into(FixedWindows(1 s)) → WithKeys → Count.perKey → a sink DoFn.
 *   windowed-nochecks: the same with --no_strict_checks; windowed-emit: the same with a source
 *   awaiting emit() per element.
 *   Latency of a pane = wall time when the pane reaches the sink − wall time when the last
 *   element of its window (any key) was emitted.
 * - map: ReadUnbounded → Map → sink; latency of an element = wall time at the sink − its emission.
 * - baseline: a hand-written loop over the same elements keeping per-window, per-key counts in a
 *   Map and handing a window's counts to the "sink" when the first element of a later window is
 *   generated (same latency definition as windowed).
 * - state-bytes: the heap a streaming Count.perKey keeps per key and window (streaming_state.ts).
 */
import { readFileSync } from "node:fs";
import { performance } from "node:perf_hooks";
import "../../runners/direct";
import { Count, DoFn, FixedWindows, IntervalWindow, KV, ParDo, Pipeline, ProcessContext, WithKeys, Window } from "../../lib";
import type { StreamingPipelineResult, StreamingProgress } from "../../lib/model/result";
import { ReadUnbounded, type UnboundedSourceContext } from "../../lib/io/read_unbounded";
import { MIN_TIMESTAMP } from "../../lib/model/window";
import { stateBytesPerKeyWindow } from "./streaming_state";

const WINDOW_MS = 1000;
/** Elements per read of the wall clock (their common event timestamp). */
const STAMP_EVERY = 1024;

export interface StreamingSample {
  readonly mode: string;
  readonly elements: number;
  readonly ms: number;
  /** CPU time (user + system, all threads) of the run: steadier than wall time on a loaded machine. */
  readonly cpuMs: number;
  /**
   * CPU time of the main thread alone (Linux: /proc/thread-self/schedstat; NaN elsewhere): the
   * run without the JIT compiler's and the GC's helper threads, and without waits for a core.
   */
  readonly mainCpuMs: number;
  /** Panes (windowed, baseline) or elements (map) whose latency was measured. */
  readonly measured: number;
  readonly p50Ms: number;
  readonly p99Ms: number;
  readonly maxMs: number;
  readonly maxRssMb: number;
  /** Sum of all counts (windowed, baseline) or elements seen (map): must equal `elements`. */
  readonly total: number;
  /** windowed-checkpoint: checkpoints written and the milliseconds spent taking them. */
  readonly checkpoints?: { readonly written: number; readonly millis: number };
  /** state-bytes: heap bytes per live key-window state of a streaming Count.perKey. */
  readonly stateBytes?: { readonly beamline: number; readonly handWritten: number };
}

/** On-CPU time of the calling thread in ms (NaN where the kernel does not tell). */
function threadCpuMs(): number {
  try {
    return Number(readFileSync("/proc/thread-self/schedstat", "utf8").split(" ")[0]) / 1e6;
  } catch {
    return NaN;
  }
}

function percentile(sorted: Float64Array, q: number): number {
  if (sorted.length === 0) return NaN;
  return sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))]!;
}

/** Latencies and the time each window's last element was emitted. */
class Recorder {
  private lat = new Float64Array(1024);
  private nLat = 0;
  /** Window start (ms) → performance.now() of the last emission into that window. */
  readonly lastEmit = new Map<number, number>();
  total = 0;
  /** Checkpoints written and the time spent taking them (windowed-checkpoint). */
  checkpoints: StreamingProgress["checkpoints"];
  stateBytes: { beamline: number; handWritten: number } | undefined;
  emitted(eventTime: number): void {
    this.lastEmit.set(eventTime - (eventTime % WINDOW_MS), performance.now());
  }
  pane(windowStart: number, count: number): void {
    this.latency(performance.now() - this.lastEmit.get(windowStart)!);
    this.total += count;
  }
  latency(ms: number): void {
    if (this.nLat === this.lat.length) {
      const grown = new Float64Array(2 * this.nLat);
      grown.set(this.lat);
      this.lat = grown;
    }
    this.lat[this.nLat++] = ms;
  }
  sorted(): Float64Array {
    return this.lat.slice(0, this.nLat).sort();
  }
}

class PaneSink extends DoFn<KV<string, number>, never> {
  constructor(private readonly recorder: Recorder) {
    super();
  }
  process(e: KV<string, number>, ctx: ProcessContext<never>): void {
    this.recorder.pane((ctx.window as IntervalWindow).start, e.value);
  }
}

/** The elements of `windowed`, handed over a batch (one timestamp) at a time. */
async function emitBatches(ctx: UnboundedSourceContext<number>, count: number, recorder: Recorder): Promise<void> {
  let now = MIN_TIMESTAMP;
  for (let i = 0; i < count && !ctx.signal.aborted; i += STAMP_EVERY) {
    if (i > 0) recorder.emitted(now);
    now = Date.now();
    ctx.advanceWatermark(now);
    const batch = new Array<number>(Math.min(STAMP_EVERY, count - i));
    for (let j = 0; j < batch.length; j++) batch[j] = i + j;
    await ctx.emitAll(batch, now);
  }
  recorder.emitted(now);
}

async function windowed(count: number, keys: number, strictChecks: boolean, recorder: Recorder, options: { checkpoint?: { dir: string; intervalMs: number }; perElement?: boolean } = {}): Promise<void> {
  const checkpoint = options.checkpoint;
  const p = Pipeline.create({ strictChecks, ...(checkpoint !== undefined ? { checkpointDir: checkpoint.dir, checkpointIntervalMs: checkpoint.intervalMs } : {}) });
  p.apply(
    ReadUnbounded.from<number>({
      // Its watermark is the timestamp of the batch being emitted (none earlier will follow).
      initialWatermark: MIN_TIMESTAMP,
      async read(ctx) {
        if (options.perElement !== true) return emitBatches(ctx, count, recorder);
        let now = MIN_TIMESTAMP;
        for (let i = 0; i < count && !ctx.signal.aborted; i++) {
          if (i % STAMP_EVERY === 0) {
            if (i > 0) recorder.emitted(now);
            now = Date.now();
            ctx.advanceWatermark(now);
          }
          await ctx.emit(i, now);
        }
        recorder.emitted(now);
      },
    }),
  )
    .apply(Window.into(new FixedWindows(WINDOW_MS)))
    .apply(WithKeys.of((i: number) => `k${i % keys}`))
    .apply(Count.perKey())
    .apply("Sink", ParDo.of(new PaneSink(recorder)));
  const result = await p.run();
  await result.waitUntilFinish();
  if (checkpoint !== undefined) recorder.checkpoints = (result as StreamingPipelineResult).progress().checkpoints;
}

async function mapOnly(count: number, recorder: Recorder): Promise<void> {
  const p = Pipeline.create({});
  p.apply(
    ReadUnbounded.from<number>({
      initialWatermark: MIN_TIMESTAMP,
      async read(ctx) {
        // The element is its own emission time (performance.now(), per element: it is the latency measured).
        let now = MIN_TIMESTAMP;
        for (let i = 0; i < count && !ctx.signal.aborted; i++) {
          if (i % STAMP_EVERY === 0) ctx.advanceWatermark((now = Date.now()));
          await ctx.emit(performance.now(), now);
        }
      },
    }),
  )
    .map("Scale", (t: number) => ({ emittedAt: t, doubled: t * 2 }))
    .apply(
      "Sink",
      ParDo.of((e: { emittedAt: number }) => {
        recorder.latency(performance.now() - e.emittedAt);
        recorder.total++;
      }),
    );
  await (await p.run()).waitUntilFinish();
}

/** The hand-written equivalent of `windowed`. */
function baseline(count: number, keys: number, recorder: Recorder): void {
  const windows = new Map<number, Map<string, number>>();
  const flushBefore = (start: number): void => {
    for (const [w, counts] of windows) {
      if (w >= start) continue;
      for (const n of counts.values()) recorder.pane(w, n);
      windows.delete(w);
    }
  };
  let current = -Infinity;
  let now = 0;
  let start = 0;
  let counts: Map<string, number> | undefined;
  for (let i = 0; i < count; i++) {
    if (i % STAMP_EVERY === 0) {
      if (i > 0) recorder.emitted(now);
      now = Date.now();
      start = now - (now % WINDOW_MS);
      if (start !== current) {
        flushBefore(start);
        current = start;
      }
      counts = windows.get(start);
      if (counts === undefined) windows.set(start, (counts = new Map()));
    }
    const key = `k${i % keys}`;
    counts!.set(key, (counts!.get(key) ?? 0) + 1);
  }
  recorder.emitted(now);
  flushBefore(Infinity);
}

async function main(): Promise<void> {
  const [mode, countArg, keysArg] = process.argv.slice(2);
  const count = Number(countArg ?? "1000000");
  const keys = Number(keysArg ?? "100");
  const recorder = new Recorder();
  const start = performance.now();
  const cpuStart = process.cpuUsage();
  const mainCpuStart = threadCpuMs();
  switch (mode) {
    case "windowed":
      await windowed(count, keys, true, recorder);
      break;
    case "windowed-checkpoint": // checkpoint_cost.ts: COUNT KEYS DIR INTERVAL_MS
      await windowed(count, keys, true, recorder, { checkpoint: { dir: process.argv[5]!, intervalMs: Number(process.argv[6]) } });
      break;
    case "windowed-nochecks":
      await windowed(count, keys, false, recorder);
      break;
    case "windowed-emit":
      await windowed(count, keys, true, recorder, { perElement: true });
      break;
    case "map":
      await mapOnly(count, recorder);
      break;
    case "baseline":
      baseline(count, keys, recorder);
      break;
    case "state-bytes":
      recorder.total = count;
      recorder.stateBytes = await stateBytesPerKeyWindow(keys);
      break;
    default:
      throw new Error("usage: streaming_child windowed|windowed-nochecks|windowed-emit|map|baseline COUNT KEYS");
  }
  const ms = performance.now() - start;
  const cpu = process.cpuUsage(cpuStart);
  const mainCpuMs = threadCpuMs() - mainCpuStart;
  const sorted = recorder.sorted();
  const sample: StreamingSample = {
    mode: mode!,
    elements: count,
    ms,
    cpuMs: (cpu.user + cpu.system) / 1000,
    mainCpuMs,
    measured: sorted.length,
    p50Ms: percentile(sorted, 0.5),
    p99Ms: percentile(sorted, 0.99),
    maxMs: sorted.length > 0 ? sorted[sorted.length - 1]! : NaN,
    maxRssMb: process.resourceUsage().maxRSS / 1024,
    total: recorder.total,
    ...(recorder.checkpoints !== undefined ? { checkpoints: recorder.checkpoints } : {}),
    ...(recorder.stateBytes !== undefined ? { stateBytes: recorder.stateBytes } : {}),
  };
  process.stdout.write(`${JSON.stringify(sample)}\n`);
}

main().catch((e: unknown) => {
  process.stderr.write(`${String(e instanceof Error ? e.stack : e)}\n`);
  process.exitCode = 1;
});
