/** The outcome of running a pipeline. */
import type { MetricResults } from "./metric_results";
import type { Instant } from "./window";

/** Lifecycle states of a run (Beam's names). */
export type PipelineState = "RUNNING" | "DONE" | "FAILED" | "CANCELLED" | "DRAINING" | "DRAINED" | "UNKNOWN";

/** A pipeline run: its state, metrics and outputs. */
export interface PipelineResult {
  /** The run's state now (final once `waitUntilFinish()` has resolved). */
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

/** A summary of a running streaming job, for progress lines and dashboards. */
export interface StreamingProgress {
  /** Elements the sources have produced so far. */
  readonly elementsRead: number;
  /** Elements that reached the pipeline's last steps (PCollections nothing consumes). */
  readonly elementsWritten: number;
  /** The lowest watermark of those last PCollections. */
  readonly outputWatermark: Instant;
  /** With `--checkpoint_dir`: checkpoints written by this run, and the milliseconds spent taking them. */
  readonly checkpoints?: {
    /** Checkpoints written. */
    readonly written: number;
    /** Milliseconds spent taking them (snapshot, durable write, acknowledgements). */
    readonly millis: number;
  };
}

/** A PipelineResult with the controls and live views of a streaming run. */
export interface StreamingPipelineResult extends PipelineResult {
  /** Stops reading, fires everything pending and resolves with the final state (DRAINED). */
  drain(): Promise<PipelineState>;
  /** Current watermark of every PCollection, by id. */
  watermarks(): ReadonlyMap<string, Instant>;
  /** Elements seen so far per PCollection, by id. */
  elementCounts(): ReadonlyMap<string, number>;
  /** Elements read and written and the output watermark, so far. */
  progress(): StreamingProgress;
}

/** Whether a result is a streaming one (has drain, watermarks and counts). */
export function isStreamingResult(result: PipelineResult): result is StreamingPipelineResult {
  // All of them: a remote job's result (Dataflow) can drain but has no local progress views.
  const r = result as Partial<StreamingPipelineResult>;
  return typeof r.drain === "function" && typeof r.progress === "function" && typeof r.watermarks === "function" && typeof r.elementCounts === "function";
}
