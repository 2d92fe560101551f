/**
 * Metrics against Beam's own tests as the oracle: Beam Java's MetricFilteringTest (which steps a
 * filter's step matches) and MetricsTest (counters, distributions and gauges from process,
 * startBundle and finishBundle, per step).
 */
import { strict as assert } from "node:assert";
import { Create, DoFn, MetricResults, Metrics, ParDo, type BundleContext, type ProcessContext } from "../../lib";
import { metricKey, MetricsContainer } from "../../lib/model/metrics";
import { runDirect } from "../helpers";

/** Results holding one counter "ns/n" = 1 at each of `steps`. */
function resultsAt(...steps: string[]): MetricResults {
  const containers = new Map<string, MetricsContainer>();
  for (const step of steps) {
    const c = new MetricsContainer(step);
    c.incCounter(metricKey("ns", "n"), 1);
    containers.set(step, c);
  }
  return new MetricResults(containers);
}

/** Whether a filter for `step` selects the metric of `actual` (Beam's MetricFiltering.matches). */
const matches = (actual: string, step: string): boolean => resultsAt(actual).counters({ step }).length === 1;

describe("Beam metric filtering (MetricFilteringTest.java)", () => {
  it("matches a step by its full name or by a sub-path on '/' boundaries (testMatchesSubPath, testMatchesScope)", () => {
    const full = "Top1/Outer1/Inner1/Bottom1";
    for (const step of ["Top1", "Top1/Outer1", "Top1/Outer1/Inner1", full, "Inner1/Bottom1", "Outer1/Inner1", "Bottom1"]) {
      assert.equal(matches(full, step), true, `'${step}' matches '${full}'`);
    }
    for (const step of ["op1/Outer1/Inner1", "Top", "Top1/Inner1", "Top1/Outer1/Inn", "Bottom", "Top1/Outer1/Inner1/Bottom1/More"]) {
      assert.equal(matches(full, step), false, `'${step}' does not match '${full}'`);
    }
  });

  it("matches a composite step's inner step by its own name (testMatchCompositeStepNameFilters, testMatchStepNameFilters)", () => {
    assert.equal(matches("myBigStep/myStep", "myStep"), true);
    assert.equal(matches("myOtherStepNoMatch/myStep", "myOtherStep"), false);
    assert.equal(matches("myStep", "myStep"), true);
    assert.equal(matches("myStep", "myOtherStep"), false);
  });

  it("sums a counter over every step a filter matches (counterTotal)", () => {
    assert.equal(resultsAt("A/Parse", "B/Parse", "C/ParseMore").counterTotal("ns", "n", "Parse"), 2);
  });

  it("filters by namespace and name (testMatchStringNamespaceFilters)", () => {
    const r = resultsAt("anyStep");
    assert.equal(r.counters({ namespace: "ns", name: "n" }).length, 1);
    assert.equal(r.counters({ namespace: "other", name: "n" }).length, 0);
    assert.equal(r.counters({ namespace: "ns", name: "N" }).length, 0);
  });
});

const NS = "MetricsTest";

/** MetricsTest's MyStep1: a distribution from startBundle and finishBundle, counts from process. */
class MyStep1 extends DoFn<number, number> {
  private readonly bundle = Metrics.distribution(NS, "bundle");
  private readonly count = Metrics.counter(NS, "count");
  private readonly input = Metrics.distribution(NS, "input");
  startBundle(_ctx: BundleContext<number>): void {
    this.bundle.update(10);
  }
  process(n: number, ctx: ProcessContext<number>): void {
    this.count.inc();
    this.input.update(n);
    ctx.output(n);
    ctx.output(n);
  }
  finishBundle(_ctx: BundleContext<number>): void {
    this.bundle.update(40);
  }
}

/** MetricsTest's MyStep2: a count, a distribution and a gauge per element. */
class MyStep2 extends DoFn<number, number> {
  private readonly count = Metrics.counter(NS, "count");
  private readonly input = Metrics.distribution(NS, "input");
  private readonly gauge = Metrics.gauge(NS, "my-gauge");
  process(n: number, ctx: ProcessContext<number>): void {
    this.count.inc();
    this.input.update(n);
    this.gauge.set(12);
    ctx.output(n);
  }
}

describe("Beam metrics in a pipeline (MetricsTest.java)", () => {
  it("reports each step's counters, distributions and gauges (testAttemptedCounterMetrics, ...DistributionMetrics, ...GaugeMetrics)", async () => {
    const result = await runDirect((p) => {
      p.apply(Create.of(5, 8, 13)).apply("MyStep1", ParDo.of(new MyStep1())).apply("MyStep2", ParDo.of(new MyStep2()));
    });
    await result.waitUntilFinish();
    const m = result.metrics;
    assert.equal(m.counterTotal(NS, "count", "MyStep1"), 3);
    assert.equal(m.counterTotal(NS, "count", "MyStep2"), 6);
    assert.deepEqual(m.distributions({ namespace: NS, name: "input", step: "MyStep1" }).map((r) => r.value), [{ count: 3, sum: 26, min: 5, max: 13 }]);
    assert.deepEqual(m.distributions({ namespace: NS, name: "input", step: "MyStep2" }).map((r) => r.value), [{ count: 6, sum: 52, min: 5, max: 13 }]);
    const [bundle] = m.distributions({ namespace: NS, name: "bundle", step: "MyStep1" }).map((r) => r.value);
    assert.ok(bundle !== undefined && bundle.count >= 2 && bundle.count % 2 === 0, `startBundle and finishBundle each updated it per bundle: ${JSON.stringify(bundle)}`);
    assert.deepEqual([bundle.min, bundle.max, bundle.sum], [10, 40, (bundle.count / 2) * 50]);
    assert.deepEqual(m.gauges({ namespace: NS, name: "my-gauge", step: "MyStep2" }).map((r) => r.value.value), [12]);
  });

  it("keeps the min and max of negative values in a distribution", async () => {
    const result = await runDirect((p) => {
      p.apply(Create.of(-5, -13, -8)).apply(
        "Negative",
        ParDo.of((n: number) => {
          Metrics.distribution(NS, "negative").update(n);
        }),
      );
    });
    await result.waitUntilFinish();
    assert.deepEqual(result.metrics.distributions({ name: "negative" }).map((r) => r.value), [{ count: 3, sum: -26, min: -13, max: -5 }]);
  });

  it("keeps a gauge's latest value by its timestamp when merging (GaugeData.combine)", () => {
    const a = new MetricsContainer("S");
    const b = new MetricsContainer("S");
    a.gauges.set(metricKey("ns", "g"), { value: 1, timestamp: 2000 });
    b.gauges.set(metricKey("ns", "g"), { value: 2, timestamp: 1000 });
    a.merge(b);
    assert.deepEqual(a.gauges.get(metricKey("ns", "g")), { value: 1, timestamp: 2000 });
    b.merge(a);
    assert.deepEqual(b.gauges.get(metricKey("ns", "g")), { value: 1, timestamp: 2000 });
  });
});
