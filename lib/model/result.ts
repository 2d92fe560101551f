/** The outcome of running a pipeline. */
import type { MetricResults } from "./metrics";

/** Lifecycle states of a run (Beam's names). */
export type PipelineState = "RUNNING" | "DONE" | "FAILED" | "CANCELLED" | "DRAINING" | "DRAINED" | "UNKNOWN";

/** A pipeline run: its state, metrics and outputs. */
export interface PipelineResult {
  readonly state: PipelineState;
  /** The error a failed run failed with. */
  readonly error?: Error;
  /** User and system metrics per step. */
  readonly metrics: MetricResults;
  /** Files or resources the run wrote (as reported by sinks). */
  readonly outputs: readonly string[];
  /** Resolves with the final state; rejects with the run's error if it failed. */
  waitUntilFinish(): Promise<PipelineState>;
  /** Stops the run as soon as possible. */
  cancel(): Promise<void>;
}
