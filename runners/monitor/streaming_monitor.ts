/**
 * The streaming driver's side of live progress, kept here so the driver only calls `start`,
 * `hooks` and `attach`: the driver counts elements and tracks watermarks itself; the monitor
 * marks steps for the sampler, gives the event loop turns, and drains or cancels the run.
 */
import { type MetricsContainer } from "../../lib/model/metrics";
import { MetricResults } from "../../lib/model/metric_results";
import type { Pipeline } from "../../lib/model/pipeline";
import type { PipelineState } from "../../lib/model/result";
import type { Instant } from "../../lib/model/window";
import { READ_UNBOUNDED_URN } from "../../lib/io/read_unbounded";
import type { EdgeObserver } from "../executor/graph_builder";
import { RunMonitor } from "./run_monitor";

/** What the monitor reads of a streaming execution. */
export interface WatchedExecution {
  readonly state: PipelineState;
  readonly error: Error | undefined;
  countSnapshot(): ReadonlyMap<string, number>;
  watermarkSnapshot(): ReadonlyMap<string, Instant>;
}

/** What the monitor asks of a streaming run's result. */
export interface WatchedResult {
  drain(): Promise<unknown>;
  cancel(): Promise<void>;
  waitUntilFinish(): Promise<unknown>;
}

interface Live {
  execution?: WatchedExecution;
  result?: WatchedResult;
}

export class StreamingRunMonitor {
  private constructor(
    private readonly monitor: RunMonitor,
    private readonly live: Live,
  ) {}

  /** A monitor for this run if anything watches jobs, else undefined. */
  static start(pipeline: Pipeline, containers: ReadonlyMap<string, MetricsContainer>): StreamingRunMonitor | undefined {
    const live: Live = {};
    const monitor = RunMonitor.start(pipeline, {
      runner: "DirectRunner",
      streaming: true,
      threads: 1,
      countElements: false,
      metrics: () => new MetricResults(containers),
      elements: () => live.execution?.countSnapshot() ?? new Map(),
      watermarks: () => live.execution?.watermarkSnapshot() ?? new Map(),
      state: () => live.execution?.state ?? "RUNNING",
      error: () => live.execution?.error,
      // Only runs with a real-time source can be drained; a TestStream run ends by itself.
      ...(pipeline.transforms().some((n) => n.composite?.urn === READ_UNBOUNDED_URN) ? { drain: async () => void (await live.result?.drain().catch(() => undefined)) } : {}),
      cancel: async () => live.result?.cancel(),
    });
    return monitor === undefined ? undefined : new StreamingRunMonitor(monitor, live);
  }

  /** The execution's settings with the monitor's hooks. */
  hooks<S extends object>(settings: S): S & { readonly observer: EdgeObserver; readonly pauser: { pause(): Promise<void> } } {
    return { ...settings, observer: this.monitor.observer(), pauser: this.monitor };
  }

  /** The run is built: follow it until it ends. */
  attach(execution: WatchedExecution, result: WatchedResult): void {
    this.live.execution = execution;
    this.live.result = result;
    const finish = (): Promise<void> => this.monitor.finish(execution.state, execution.error);
    void result.waitUntilFinish().then(finish, finish);
  }
}
