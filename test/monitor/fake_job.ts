/** A live job over a real pipeline graph whose counts, metrics and state a test sets by hand. */
import { Create, kv, Combine, Combiners } from "../../lib";
import { MetricsContainer } from "../../lib/model/metrics";
import { MetricResults } from "../../lib/model/metric_results";
import { Pipeline } from "../../lib/model/pipeline";
import type { PipelineState } from "../../lib/model/result";
import { LiveJob } from "../../runners/monitor/live_job";

export interface FakeJob {
  readonly job: LiveJob;
  readonly pipeline: Pipeline;
  readonly elements: Map<string, number>;
  readonly watermarks: Map<string, number>;
  readonly containers: Map<string, MetricsContainer>;
  state: PipelineState;
  cancelled: number;
  drained: number;
}

/** Read → Split → PairWithOne → GroupAndSum → Format (a wordcount-shaped graph, composites included). */
export function fakeJob(options: { streaming?: boolean } = {}): FakeJob {
  const p = Pipeline.create();
  p.apply("Read", Create.of("a b", "b c"))
    .flatMap("Split", (l: string) => l.split(" "))
    .map("PairWithOne", (w: string) => kv(w, 1))
    .apply("GroupAndSum", Combine.perKey(Combiners.sum()))
    .map("Format", (e) => `${e.key}: ${e.value}`);
  const fake: FakeJob = {
    pipeline: p,
    elements: new Map(),
    watermarks: new Map(),
    containers: new Map(),
    state: "RUNNING",
    cancelled: 0,
    drained: 0,
    job: undefined as unknown as LiveJob,
  };
  (fake as { job: LiveJob }).job = new LiveJob(
    p,
    {
      jobName: "wordcount",
      runner: "DirectRunner",
      streaming: options.streaming === true,
      state: () => fake.state,
      error: () => (fake.state === "FAILED" ? new Error("boom in 'Split'") : undefined),
      metrics: () => new MetricResults(fake.containers),
      elements: () => fake.elements,
      watermarks: () => fake.watermarks,
      cancel: async () => {
        fake.cancelled++;
        fake.state = "CANCELLED";
      },
      ...(options.streaming === true
        ? {
            drain: async () => {
              fake.drained++;
              fake.state = "DRAINED";
            },
          }
        : {}),
    },
    undefined,
  );
  return fake;
}

/** The id of the main output of the step with this full name. */
export function outputOf(fake: FakeJob, step: string): string {
  return fake.pipeline.findTransform(step)!.mainOutput().id;
}
