/**
 * The result of a streaming run: live state, metrics, watermarks and element counts while it
 * runs, and the controls of an unbounded job: drain (stop reading, advance the watermark to
 * infinity, fire everything pending, flush sinks) and cancel (stop at once).
 */
import { beginCombineFnRun, endCombineFnRun } from "../../lib/model/combine_lifecycle";
import type { MetricResults } from "../../lib/model/metric_results";
import type { PipelineState, StreamingPipelineResult, StreamingProgress } from "../../lib/model/result";
import type { Instant } from "../../lib/model/window";

export { isStreamingResult } from "../../lib/model/result";
export type { StreamingPipelineResult } from "../../lib/model/result";

/** What a result drives and reads: the one-thread driver's execution, or a parallel run's coordinator. */
export interface RunningStreamingExecution {
  readonly state: PipelineState;
  readonly error: Error | undefined;
  /** Whether the run ends by itself (every source is finite). */
  readonly isFinite: boolean;
  run(): Promise<PipelineState>;
  requestStop(kind: "drain" | "cancel"): void;
  watermarkSnapshot(): ReadonlyMap<string, Instant>;
  countSnapshot(): ReadonlyMap<string, number>;
  progress(): StreamingProgress;
}

export class StreamingResult implements StreamingPipelineResult {
  private readonly finished: Promise<PipelineState>;
  private signals = 0;
  private readonly onSignal = (): void => {
    this.signals++;
    if (this.signals === 1) {
      process.stderr.write("Draining the pipeline (stop reading, fire pending windows, flush sinks); signal again to cancel.\n");
      this.execution.requestStop("drain");
    } else this.execution.requestStop("cancel");
  };

  constructor(
    private readonly execution: RunningStreamingExecution,
    readonly metrics: MetricResults,
    readonly outputs: readonly string[],
    handleSignals: boolean,
  ) {
    const install = handleSignals && !execution.isFinite;
    if (install) {
      process.on("SIGINT", this.onSignal);
      process.on("SIGTERM", this.onSignal);
    }
    // The CombineFns the run sets up are torn down when it ends (combine_lifecycle.ts).
    beginCombineFnRun();
    this.finished = execution.run().finally(() => {
      endCombineFnRun();
      if (install) {
        process.off("SIGINT", this.onSignal);
        process.off("SIGTERM", this.onSignal);
      }
    });
  }

  get state(): PipelineState {
    return this.execution.state;
  }

  get error(): Error | undefined {
    return this.execution.error;
  }

  async waitUntilFinish(): Promise<PipelineState> {
    const state = await this.finished;
    if (state === "FAILED") throw this.execution.error ?? new Error("the pipeline failed");
    return state;
  }

  async cancel(): Promise<void> {
    this.execution.requestStop("cancel");
    await this.finished;
  }

  async drain(): Promise<PipelineState> {
    this.execution.requestStop("drain");
    return this.waitUntilFinish();
  }

  watermarks(): ReadonlyMap<string, Instant> {
    return this.execution.watermarkSnapshot();
  }

  elementCounts(): ReadonlyMap<string, number> {
    return this.execution.countSnapshot();
  }

  progress(): StreamingProgress {
    return this.execution.progress();
  }
}
