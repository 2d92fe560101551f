/**
 * Runs one Beam Python fn_runner_test.py port everywhere it applies: the DirectRunner in batch,
 * in streaming (--streaming, the streaming driver over the same bounded input), with
 * --direct_num_workers 2, and through the Fn API harness (translated to protos, fused into stages
 * by the test runner in test/portable/mini_runner.ts and processed by an in-process FnHarness,
 * which rebuilds the pipeline as a LOOPBACK worker does). Outputs are collected by label.
 */
import "../../runners/direct";
import { Pipeline } from "../../lib/model/pipeline";
import type { MetricResults, PCollection } from "../../lib";
import type { metricsapi } from "../../runners/portable/protos";
import { metricResultsFrom } from "../../runners/portable/portable_runner";
import type { PipelineOptions } from "../../lib/model/options";
import { dockerEnvironment } from "../../runners/portable/environments";
import { translatePipeline } from "../../runners/portable/translate";
import { FnHarness } from "../../runners/worker/harness";
import { collect, type Observed } from "../streaming/collect";
import { FnApiServer } from "../worker/fn_server";
import { executePipeline } from "../portable/mini_runner";
import { labelledOutputs } from "./beam_helpers";

export type Where = "batch" | "streaming" | "workers2" | "harness";

/** Every place a case runs; cases the test runner in mini_runner.ts cannot run (timers, SDF residuals, merging windows) leave "harness" out. */
export const EVERYWHERE: readonly Where[] = ["batch", "streaming", "workers2", "harness"];
export const DIRECT_ONLY: readonly Where[] = ["batch", "streaming", "workers2"];

export type Build = (p: Pipeline, out: (label: string, pc: PCollection<unknown>) => void) => void;

const json = (o: Observed<unknown>): string => JSON.stringify(o.value);

let harnessRuns = 0;

/** What a run through the Fn API harness gave: outputs by label, the runner's monitoring infos and the user metrics in them. */
export interface HarnessRun {
  readonly outputs: Record<string, string[]>;
  readonly infos: readonly metricsapi.MonitoringInfo[];
  readonly metrics: MetricResults;
}

/** Runs `build` through the Fn API harness. */
export async function harnessRun(build: Build, format: (o: Observed<unknown>) => string = json, options: Partial<PipelineOptions> = {}): Promise<HarnessRun> {
  const sinks: Record<string, Observed<unknown>[]> = {};
  // The harness builds the pipeline again (as a worker does): both builds collect into the same arrays.
  const builder = (p: Pipeline): void =>
    build(p, (label, pc) => {
      sinks[label] ??= [];
      collect(pc, sinks[label]!, `Collect${label}`);
    });
  const run = `fn-runner-${++harnessRuns}`;
  const fn = await FnApiServer.start();
  const harness = new FnHarness({ workerId: `w-${run}`, controlUrl: fn.url, loadPipeline: () => Pipeline.build(options, builder), runId: run }).start();
  try {
    const proto = translatePipeline(Pipeline.build(options, builder), dockerEnvironment()).proto;
    const report = await executePipeline(proto, fn, () => undefined, () => false);
    const stepNames = new Map(Object.entries(proto.components!.transforms).map(([id, t]) => [id, t.uniqueName]));
    return {
      outputs: Object.fromEntries(Object.entries(sinks).map(([label, obs]) => [label, obs.map(format).sort()])),
      infos: report.metrics,
      metrics: metricResultsFrom(report.metrics, stepNames),
    };
  } finally {
    await harness.stop();
    await fn.stop();
  }
}

/** `build`'s collected outputs (formatted, sorted, by label) through the Fn API harness. */
export async function harnessOutputs(build: Build, format: (o: Observed<unknown>) => string = json, options: Partial<PipelineOptions> = {}): Promise<Record<string, string[]>> {
  return (await harnessRun(build, format, options)).outputs;
}

/** `build`'s collected outputs (formatted, sorted, by label) when run `where`. */
export function outputsOn(where: Where, build: Build, format: (o: Observed<unknown>) => string = json, options: Partial<PipelineOptions> = {}): Promise<Record<string, string[]>> {
  switch (where) {
    case "batch":
      return labelledOutputs(build, format, options);
    case "streaming":
      return labelledOutputs(build, format, { ...options, streaming: true });
    case "workers2":
      return labelledOutputs(build, format, { ...options, directNumWorkers: 2 });
    case "harness":
      return harnessOutputs(build, format, options);
  }
}

/** Sorted JSON of `values`, as outputsOn reports them. */
export const jsonSorted = (values: readonly unknown[]): string[] => values.map((v) => JSON.stringify(v)).sort();
