/**
 * Beam Java's MetricsTest pipeline (runPipelineWithMetrics) for string sets and bounded tries, as a program so that
 * worker threads (directNumWorkers 2) and Prism's loopback workers rebuild it from this module.
 */
import { isMainThread } from "node:worker_threads";
import { Create, definePipeline, DoFn, Metrics, ParDo, TestStream, type PCollection, type ProcessContext } from "../../lib";

export const NS = "MetricsTest";

/** MetricsTest's MyStep1: "gcs" added four times to "sources", "bigtable" and "spanner" to "sideinputs", two source paths to a bounded trie. */
class MyStep1 extends DoFn<number, number> {
  private readonly sources = Metrics.stringSet(NS, "sources");
  private readonly boundedTrieSources = Metrics.boundedTrie(NS, "boundedTrieSources");
  private readonly sideinputs = Metrics.stringSet(NS, "sideinputs");
  private readonly count = Metrics.counter(NS, "count");
  process(n: number, ctx: ProcessContext<number>): void {
    this.count.inc();
    ctx.output(n);
    ctx.output(n);
    this.sources.add("gcs");
    this.sources.add("gcs"); // repeated should appear once
    this.sources.add("gcs", "gcs"); // repeated should appear once
    this.sideinputs.add("bigtable", "spanner");
    this.boundedTrieSources.add("ab_source", "cd_source");
    this.boundedTrieSources.add("ef_source");
    // Which kinds of thread ran the step (the worker-thread test checks its updates came back).
    Metrics.stringSet(NS, "threads").add(isMainThread ? "main" : "worker");
  }
}

/** MetricsTest's MyStep2: "bq" and "kafka" (twice) to "sinks", "bigtable" and "sql" to "sideinputs", two sink paths to a bounded trie. */
class MyStep2 extends DoFn<number, number> {
  private readonly sinks = Metrics.stringSet(NS, "sinks");
  private readonly boundedTrieSinks = Metrics.boundedTrie(NS, "boundedTrieSinks");
  private readonly sideinputs = Metrics.stringSet(NS, "sideinputs");
  private readonly count = Metrics.counter(NS, "count");
  process(n: number, ctx: ProcessContext<number>): void {
    this.count.inc();
    ctx.output(n);
    this.sinks.add("bq", "kafka", "kafka"); // repeated should appear once
    this.sideinputs.add("bigtable", "sql");
    this.boundedTrieSinks.add("ab_sink", "cd_sink");
    this.boundedTrieSinks.add("ef_sink");
  }
}

export const stringSetMetricsProgram = definePipeline({
  name: "test-metrics-string-set",
  description: "Beam's MetricsTest string sets",
  flags: {
    stream: { type: "boolean", describe: "read a TestStream instead of Create", default: false },
  },
  build(root, flags) {
    const input: PCollection<number> = flags.stream
      ? root.apply(TestStream.create<number>().addElements({ value: 5, timestamp: 0 }, { value: 8, timestamp: 1 }).advanceWatermarkTo(1000).addElements({ value: 13, timestamp: 1500 }).advanceWatermarkToInfinity())
      : root.apply(Create.of(5, 8, 13));
    input.apply("MyStep1", ParDo.of(new MyStep1())).apply("MyStep2", ParDo.of(new MyStep2()));
  },
});
