/**
 * The batch size RunInference uses, adapted between a minimum and a maximum like Beam's
 * BatchElements: larger batches amortise the per-call cost of a model, but a batch should not take
 * so long that it holds up the bundle. Starts at the minimum, doubles after a full batch that
 * finished well inside the target time, halves after one that took longer than the target.
 */
import { ValidationError } from "../model/errors";
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
  private current: number;

  constructor(private readonly options: ResolvedBatching) {
    this.current = options.minBatchSize;
  }

  /** How many examples the next batch should hold. */
  get size(): number {
    return this.current;
  }

  /** Records how long a batch of `n` examples took. */
  record(n: number, millis: number): void {
    const { minBatchSize, maxBatchSize, targetBatchMillis } = this.options;
    if (millis > targetBatchMillis && n > minBatchSize) this.current = Math.max(minBatchSize, Math.floor(n / 2));
    else if (n >= this.current && millis * 2 <= targetBatchMillis) this.current = Math.min(maxBatchSize, this.current * 2);
  }
}
