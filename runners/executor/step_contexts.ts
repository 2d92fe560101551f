/**
 * The metrics container and runtime context of each step of an in-process run, made on first use
 * and shared by every operator of the step (the DirectRunner's batch and streaming drivers).
 */
import type { OutputCommit } from "../../lib/model/commits";
import type { RuntimeContext } from "../../lib/model/dofn";
import { MetricsContainer } from "../../lib/model/metrics";
import type { PipelineOptions } from "../../lib/model/options";

export class StepContexts {
  private readonly runtimes = new Map<string, RuntimeContext>();

  constructor(
    /** Metrics per step full name (the run's result reads them). */
    readonly containers: Map<string, MetricsContainer>,
    private readonly options: PipelineOptions,
    private readonly runId: string,
    /** Where sinks report what they wrote. */
    private readonly outputs: string[],
    /** Where sinks' output commits wait until the run has succeeded (undefined: sinks commit at once). */
    private readonly commits: OutputCommit[] | undefined,
  ) {}

  metricsFor(transformName: string): MetricsContainer {
    let c = this.containers.get(transformName);
    if (c === undefined) this.containers.set(transformName, (c = new MetricsContainer(transformName)));
    return c;
  }

  runtimeFor(transformName: string): RuntimeContext {
    let r = this.runtimes.get(transformName);
    if (r === undefined) {
      const outputs = this.outputs;
      const commits = this.commits;
      r = {
        options: this.options,
        runId: this.runId,
        transformName,
        reportOutputs: (paths) => outputs.push(...paths),
        ...(commits !== undefined ? { deferCommit: (c: OutputCommit) => commits.push(c) } : {}),
      };
      this.runtimes.set(transformName, r);
    }
    return r;
  }
}
