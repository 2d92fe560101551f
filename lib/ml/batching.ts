/**
 * The batch size RunInference uses, adapted between a minimum and a maximum by BatchElements'
 * estimator (../transforms/batch_size_estimator, Beam's `_BatchSizeEstimator`): larger batches
 * amortise the per-call cost of a model, but a model call should not take longer than
 * `targetBatchMillis`, its fixed cost included. Starts at the minimum and grows (at most doubling)
 * while calls are fast; shrinks to the size the timings say meets the target when they are slow.
 */
import { ValidationError } from "../model/errors";
import { BatchSizeEstimator } from "../transforms/batch_size_estimator";
import type { BatchingOptions } from "./model_handler";

/** The batch sizes, always set; `maxBatchDurationSecs` is set only to batch across bundles. */
export type ResolvedBatching = Required<Omit<BatchingOptions, "maxBatchDurationSecs">> & Pick<BatchingOptions, "maxBatchDurationSecs">;

export const DEFAULT_BATCHING: ResolvedBatching = { minBatchSize: 1, maxBatchSize: 256, targetBatchMillis: 250 };

/**
 * Merges batching options (later ones win) and checks them. Called in the step's setup: the runner
 * names the step in the error, so the messages here do not repeat it.
 */
export function resolveBatching(...layers: (BatchingOptions | undefined)[]): ResolvedBatching {
  const merged: Record<string, number> = { ...DEFAULT_BATCHING };
  /** Which layer set each option (-1: the defaults). */
  const setBy: Record<string, number> = {};
  layers.forEach((layer, i) => {
    for (const [k, v] of Object.entries(layer ?? {})) {
      if (v === undefined) continue;
      merged[k] = v as number;
      setBy[k] = i;
    }
  });
  const b = merged as unknown as ResolvedBatching & Record<keyof BatchingOptions, number>;
  const positiveInt = (name: keyof BatchingOptions) => {
    if (!Number.isInteger(b[name]) || b[name] < 1) throw new ValidationError(`RunInference's ${name} must be a positive integer, got ${b[name]}`);
  };
  positiveInt("minBatchSize");
  positiveInt("maxBatchSize");
  // A bound set by a later layer overrides the other bound of an earlier one (a RunInference
  // maxBatchSize of 4 over a handler's minBatchSize of 8 means batches of at most 4); only bounds
  // set together contradict each other.
  const minBy = setBy["minBatchSize"] ?? -1;
  const maxBy = setBy["maxBatchSize"] ?? -1;
  if (b.minBatchSize > b.maxBatchSize && minBy < maxBy) b.minBatchSize = b.maxBatchSize;
  if (b.minBatchSize > b.maxBatchSize && maxBy < minBy) b.maxBatchSize = b.minBatchSize;
  if (b.minBatchSize > b.maxBatchSize) {
    throw new ValidationError(`RunInference's minBatchSize (${b.minBatchSize}) is larger than maxBatchSize (${b.maxBatchSize}); lower the minimum or raise the maximum`);
  }
  if (!(b.targetBatchMillis > 0)) throw new ValidationError(`RunInference's targetBatchMillis must be a positive number of milliseconds, got ${b.targetBatchMillis}`);
  const duration = b.maxBatchDurationSecs;
  // Beam starts no buffering timer for 0: a batch would wait for its size or its window's end,
  // forever in a global window. A bound is what this option is for, so it must be one.
  if (duration !== undefined && !(typeof duration === "number" && duration > 0 && Number.isFinite(duration))) {
    throw new ValidationError(`RunInference's maxBatchDurationSecs must be a positive number of seconds, got ${String(duration)}; leave it unset to batch within bundles`);
  }
  return b;
}

export class BatchSizer {
  private readonly estimator: BatchSizeEstimator;
  private current: number;

  constructor(options: ResolvedBatching) {
    // Only the whole call's time is a target (Beam's target_batch_duration_secs_including_fixed_cost):
    // the model's time is measured on its own (its load and waits left out), so no timing is ignored.
    this.estimator = new BatchSizeEstimator({
      minBatchSize: options.minBatchSize,
      maxBatchSize: options.maxBatchSize,
      targetBatchOverhead: null,
      targetBatchDurationSecs: null,
      targetBatchDurationSecsIncludingFixedCost: options.targetBatchMillis / 1000,
      recordMetrics: false,
    });
    this.current = this.estimator.nextBatchSize();
  }

  /** How many examples the next batch should hold. */
  get size(): number {
    return this.current;
  }

  /**
   * Records how long a batch of `n` examples took. Batches run two at a time, so a size is chosen
   * again only after a batch of the current size: a smaller one (a bundle's last, or one started
   * before the size last changed) adds its timing without moving the size back toward it.
   */
  record(n: number, millis: number): void {
    this.estimator.record(n, millis / 1000);
    if (n >= this.current) this.current = this.estimator.nextBatchSize();
  }
}
