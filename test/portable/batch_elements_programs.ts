/** BatchElements and RunInference batching programs for real runners (the LOOPBACK worker rebuilds them from here). */
import { strict as assert } from "node:assert";
import { BatchElements, Create, definePipeline, DoFn, FixedWindows, ParDo, Reshuffle, Window, type ProcessContext } from "../../lib";
import { RunInference, type ModelHandler } from "../../lib/ml";
import { IntervalWindow } from "../../lib/model/window";
import { WriteToText } from "../../lib/io/textio";

/** The input: element `i` at `i * 100` ms, so 30 elements in each 3 s window. */
export const BATCH_INPUT_SIZE = 120;
export const BATCH_WINDOW_MILLIS = 3000;
export const BATCH_LIMITS = { minBatchSize: 4, maxBatchSize: 6 } as const;

/** Writes a batch as `start,end@timestamp:i1 i2 ...` (its window, its timestamp, its elements in order). */
class DescribeBatch extends DoFn<number[], string> {
  process(batch: number[], ctx: ProcessContext<string>): void {
    const w = ctx.window as IntervalWindow;
    ctx.output(`${w.start},${w.end}@${ctx.timestamp}:${[...batch].join(" ")}`);
  }
}

/**
 * Numbers 0..119 timestamped `i * 100` ms in 3 s fixed windows, batched by BatchElements within
 * bundles or (`--stateful`) across bundles with `maxBatchDurationSecs`; each batch is written with
 * its window and timestamp under `--output`/batches.
 */
export const batchElementsProgram = definePipeline({
  name: "portable-test-batch-elements",
  description: "BatchElements within bundles or across them, in fixed windows",
  flags: {
    output: { type: "string", describe: "Output folder", required: true },
    stateful: { type: "boolean", describe: "batch across bundles (maxBatchDurationSecs)", default: false },
  },
  build(root, flags) {
    const numbers = Array.from({ length: BATCH_INPUT_SIZE }, (_, i) => ({ value: i, timestamp: i * 100 }));
    root
      .apply("Numbers", Create.timestamped(numbers))
      .apply("Window", Window.into<number>(new FixedWindows(BATCH_WINDOW_MILLIS)))
      .apply("Batch", BatchElements.of<number>(flags.stateful ? { ...BATCH_LIMITS, maxBatchDurationSecs: 1 } : BATCH_LIMITS))
      .apply("Describe", ParDo.of(new DescribeBatch()))
      // Its own stage for the write: Beam Python's FnApiRunner runs the stateful step's stage again
      // for its timers and repeats that stage's earlier outputs in the side inputs read from it, so
      // WriteToText's Finalize, fused there, would see files twice (real_runners.test.ts, noSideInputAfterTimers).
      .apply("SeparateWrite", Reshuffle.viaRandomKey())
      .apply("Write", WriteToText.to(`${flags.output}/batches`));
  },
});

/** A model adding one, each batch checked against the limits (a batch over them fails the job). */
class PlusOneModel implements ModelHandler<number, number, null> {
  readonly modelKey = "portable-test-plus-one";
  async loadModel(): Promise<null> {
    return null;
  }
  async runInference(batch: readonly number[]): Promise<readonly number[]> {
    if (batch.length > BATCH_LIMITS.maxBatchSize) throw new Error(`a batch of ${batch.length}, over ${BATCH_LIMITS.maxBatchSize}`);
    return batch.map((x) => x + 1);
  }
}

/** What `runInferenceBatchingProgram` writes under --output/results: `i->i+1@timestamp[start,end)`, sorted as text. */
export const RUN_INFERENCE_BATCHING_EXPECTED: readonly string[] = Array.from({ length: BATCH_INPUT_SIZE }, (_, i) => {
  const start = Math.floor((i * 100) / BATCH_WINDOW_MILLIS) * BATCH_WINDOW_MILLIS;
  return `${i}->${i + 1}@${i * 100}[${start},${start + BATCH_WINDOW_MILLIS})`;
}).sort();

/** Writes a result with its timestamp and window. */
class DescribeResult extends DoFn<string, string> {
  process(r: string, ctx: ProcessContext<string>): void {
    const w = ctx.window as IntervalWindow;
    ctx.output(`${r}@${ctx.timestamp}[${w.start},${w.end})`);
  }
}

/** The same numbers through RunInference batching across bundles (`maxBatchDurationSecs`), each result written with its timestamp and window. */
export const runInferenceBatchingProgram = definePipeline({
  name: "portable-test-run-inference-batching",
  description: "RunInference with maxBatchDurationSecs, in fixed windows",
  flags: { output: { type: "string", describe: "Output folder", required: true } },
  build(root, flags) {
    const numbers = Array.from({ length: BATCH_INPUT_SIZE }, (_, i) => ({ value: i, timestamp: i * 100 }));
    const results = root
      .apply("Numbers", Create.timestamped(numbers))
      .apply("Window", Window.into<number>(new FixedWindows(BATCH_WINDOW_MILLIS)))
      .apply("Infer", RunInference.of(new PlusOneModel(), { ...BATCH_LIMITS, maxBatchDurationSecs: 1 }).withPostprocessFn((r) => `${r.example}->${r.inference}`));
    results.main
      .apply("Describe", ParDo.of(new DescribeResult()))
      // As batchElementsProgram: the write in a stage of its own.
      .apply("SeparateWrite", Reshuffle.viaRandomKey())
      .apply("Write", WriteToText.to(`${flags.output}/results`));
  },
});

/**
 * What holds of BatchElements' output on any runner (bundles, and so batch boundaries, are the
 * runner's): every element exactly once; no batch over the maximum size (a batch under the
 * minimum is allowed: a bundle's or a window's last); each batch in one window, holding only
 * elements of that window, at the window's last timestamp or, across bundles (`stateful`), at the
 * timestamp Beam's stateful BatchElements gives it (its last element's when it filled, its first
 * element's when the buffering timer flushed it, the window's last when the window's end did).
 * Returns the sorted elements.
 */
export function checkBatches(lines: readonly string[], where: string, stateful = false): number[] {
  const seen: number[] = [];
  assert.ok(lines.length > 0, `${where}: no batches`);
  for (const line of lines) {
    const m = /^(-?\d+),(-?\d+)@(-?\d+):([\d ]+)$/.exec(line);
    assert.ok(m !== null, `${where}: unexpected line ${line}`);
    const [start, end, timestamp] = [Number(m[1]), Number(m[2]), Number(m[3])];
    const batch = m[4]!.split(" ").map(Number);
    assert.equal(end - start, BATCH_WINDOW_MILLIS, `${where}: ${line}`);
    const at = stateful ? [end - 1, batch[batch.length - 1]! * 100, batch[0]! * 100] : [end - 1];
    assert.ok(at.includes(timestamp), `${where}: a batch goes out at ${stateful ? "its last or first element's timestamp or " : ""}its window's last timestamp: ${line}`);
    assert.ok(batch.length >= 1 && batch.length <= BATCH_LIMITS.maxBatchSize, `${where}: batch of ${batch.length}: ${line}`);
    for (const i of batch) assert.ok(i * 100 >= start && i * 100 < end, `${where}: element ${i} (at ${i * 100}) in a batch of window [${start},${end})`);
    seen.push(...batch);
  }
  return seen.sort((a, b) => a - b);
}

