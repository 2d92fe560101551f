/**
 * The parallel streaming mode of the DirectRunner (`--direct_num_workers N > 1`): N instances of
 * a pipeline on worker threads, each reading its own share of the input, keyed steps behind the
 * keyed exchange (each key on one instance). Loaded by
 * the driver only for runs that ask for more than one worker.
 */
import { type MetricsContainer } from "../../../lib/model/metrics";
import { MetricResults } from "../../../lib/model/metric_results";
import type { Pipeline } from "../../../lib/model/pipeline";
import { StreamingRunMonitor } from "../../monitor/streaming_monitor";
import { StreamingResult } from "../result";
import { ParallelStreamingExecution, type ParallelSettings } from "./coordinator";

export { parallelBlocker } from "./eligibility";

/** Runs `pipeline` (which `parallelBlocker` accepted) on parallel instances; returns at once (the run is unbounded). */
export function runParallel(pipeline: Pipeline, settings: ParallelSettings & { readonly handleSignals?: boolean }, containers: Map<string, MetricsContainer>, outputs: string[]): StreamingResult {
  const monitor = StreamingRunMonitor.start(pipeline, containers);
  const execution = new ParallelStreamingExecution(pipeline, settings, containers, outputs);
  const result = new StreamingResult(execution, new MetricResults(containers), outputs, settings.handleSignals ?? true);
  monitor?.attach(execution, result);
  return result;
}
