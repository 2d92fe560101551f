/**
 * Beam Python's fn_runner_test.py metrics and error cases: test_metrics (a counter from two steps,
 * a distribution, a gauge, a string set and a bounded trie; FnApiRunnerTest), the runner's own
 * metrics (FnApiRunnerMetricsTest: element counts and sampled sizes per PCollection, execution
 * times per transform, before and after a GroupByKey), a failing assertion, and errors that name
 * the failing stage (and no other) and keep the user's stack. The user metrics and errors on the
 * DirectRunner in batch, in streaming and with --direct_num_workers 2, and through the Fn API
 * harness, whose MonitoringInfos are also checked (fn_runner_helpers.ts).
 */
import { strict as assert } from "node:assert";
import { Create, Flatten, GroupByKey, kv, Metrics, ParDo, ProcessContinuation, type KV, type MetricResults, type OffsetRange, type RestrictionTracker, type SplittableProcessContext } from "../../lib";
import type { Pipeline } from "../../lib/model/pipeline";
import { assertThat, equalTo } from "../../lib/testing/passert";
import { decodeMetric, MI } from "../../runners/worker/monitoring";
import { runDirect } from "../helpers";
import { EVERYWHERE, harnessRun, type Where } from "./fn_runner_helpers";
import { ExpandStrings } from "./fn_runner_dofns";

/** run_sdf_initiated_checkpointing's counter, in a splittable DoFn's process (here without checkpoints: the test runner drops residuals). */
class CountingStrings extends ExpandStrings {
  static readonly counter = Metrics.counter("ns", "my_counter");
  process(element: string, tracker: RestrictionTracker<OffsetRange, number>, ctx: SplittableProcessContext<string>): ProcessContinuation {
    for (let cur = tracker.currentRestriction().from; tracker.tryClaim(cur); cur++) {
      CountingStrings.counter.inc();
      ctx.output(element[cur]!);
    }
    return ProcessContinuation.stop();
  }
}

const counter = Metrics.counter("ns", "counter");
const distribution = Metrics.distribution("ns", "distribution");
const gauge = Metrics.gauge("ns", "gauge");
const stringSet = Metrics.stringSet("ns", "string_set");
const boundedTrie = Metrics.boundedTrie("ns", "bounded_trie");

/** test_metrics' pipeline: each metric updated from its own step over ['a', 'zzz']. */
function metricsPipeline(p: Pipeline): void {
  const pcoll = p.apply("Create", Create.of("a", "zzz"));
  pcoll.apply("count1", ParDo.of(() => counter.inc()));
  pcoll.apply("count2", ParDo.of((x: string) => counter.inc(x.length)));
  pcoll.apply("dist", ParDo.of((x: string) => distribution.update(x.length)));
  pcoll.apply("gauge", ParDo.of(() => gauge.set(3)));
  pcoll.apply("string_set", ParDo.of((x: string) => stringSet.add(x)));
  pcoll.apply("bounded_trie", ParDo.of((x: string) => boundedTrie.add(...x)));
}

async function metricsOn(where: Where): Promise<MetricResults> {
  if (where === "harness") return (await harnessRun((p) => metricsPipeline(p))).metrics;
  const options = where === "streaming" ? { streaming: true } : where === "workers2" ? { directNumWorkers: 2 } : {};
  const result = await runDirect(metricsPipeline, options);
  assert.equal(await result.waitUntilFinish(), "DONE");
  return result.metrics;
}

/** test_error_message_includes_stage's pipeline: StageC throws. */
function failingStages(p: Pipeline): void {
  p.apply("Create", Create.of("a", "b"))
    .map("StageA", (x: string) => x)
    .map("StageB", (x: string) => x)
    .map("StageC", () => {
      throw new Error("This error is expected and does not indicate a test failure.");
    })
    .map("StageD", (x: unknown) => x);
}

function first(x: number): number {
  return second(x);
}
function second(x: number): number {
  return third(x);
}
function third(_x: number): number {
  throw new Error("This error is expected and does not indicate a test failure.");
}

async function errorOn(where: Where, build: (p: Pipeline) => void): Promise<Error> {
  try {
    if (where === "harness") await harnessRun((p) => build(p));
    else {
      const options = where === "streaming" ? { streaming: true } : where === "workers2" ? { directNumWorkers: 2 } : {};
      await (await runDirect(build, options)).waitUntilFinish();
    }
  } catch (e) {
    return e as Error;
  }
  assert.fail("the run succeeded; it should have failed");
}

for (const where of EVERYWHERE) {
  describe(`Beam Python fn_runner_test.py metrics and errors: ${where}`, function () {
    this.timeout(60_000);

    it("test_metrics: a counter from two steps, a distribution, a gauge, a string set and a bounded trie", async () => {
      const m = await metricsOn(where);
      const counters = m.counters({ name: "counter" });
      assert.equal(counters.length, 2, JSON.stringify(counters));
      assert.equal(counters.reduce((s, c) => s + c.value, 0), 6);
      assert.deepEqual(m.distributions({ name: "distribution" }).map((d) => d.value), [{ count: 2, sum: 4, min: 1, max: 3 }]);
      assert.deepEqual(m.gauges({ name: "gauge" }).map((g) => g.value.value), [3]);
      assert.deepEqual(m.stringSets({ name: "string_set" }).map((s) => [...s.value].sort()), [["a", "zzz"]]);
      const tries = m.boundedTries({ name: "bounded_trie" });
      assert.equal(tries.length, 1);
      assert.deepEqual(tries[0]!.value.map((path) => path.segments.join("")).sort(), ["a", "zzz"]);
    });

    it("test_error_message_includes_stage: the error names StageC and not StageB", async () => {
      const e = await errorOn(where, failingStages);
      assert.match(e.message, /StageC/);
      assert.doesNotMatch(e.message, /StageB/);
    });

    it("test_error_traceback_includes_user_code: the error's stack shows first, second and third", async () => {
      const e = await errorOn(where, (p) => p.apply("Create", Create.of(0)).map("Map", first));
      const text = `${e.stack ?? ""}\n${e.message}\n${(e.cause as Error | undefined)?.stack ?? ""}`;
      for (const fn of ["first", "second", "third"]) assert.match(text, new RegExp(`\\b${fn}\\b`), fn);
    });

    it("test_assert_that: a failed assertion fails the run", async () => {
      const e = await errorOn(where, (p) => assertThat(p.apply("Create", Create.of("a", "b")), equalTo(["a"])));
      assert.match(e.message, /unexpected/i);
    });
  });
}

describe("Beam Python fn_runner_test.py (FnApiRunnerMetricsTest): the harness's own metrics", function () {
  this.timeout(60_000);

  it("test_element_count_metrics, test_non_user_metrics: element counts and sampled sizes per PCollection, execution times per transform", async () => {
    const n = 100;
    const run = await harnessRun((p) => {
      const pcoll = p.apply("Create", Create.from(Array.from({ length: n }, (_, i) => `a${i}`)));
      const outs = pcoll.apply(
        "StepThatDoesTwoOutputs",
        ParDo.into<string, { SecondOutput: string; ThirdOutput: string }>().of((e: string, ctx) => {
          ctx.output(`${e}1`);
          ctx.outputTo("SecondOutput", `${e}2`);
          ctx.outputTo("SecondOutput", `${e}2`);
          ctx.outputTo("ThirdOutput", `${e}3`);
        }).withOutputs("SecondOutput", "ThirdOutput"),
      );
      p.apply("Flatten", Flatten.pCollections(outs.main, outs.SecondOutput, outs.ThirdOutput)).map("PassThrough", (x: string) => x);
      // Python unpacks `second_output, third_output, first_output = pcoll | pardo`, and a
      // DoOutputsTuple yields its main output first: PassThrough2 reads the main output (100).
      outs.main.map("PassThrough2", (x: string) => x);
      pcoll.apply("MyStep", ParDo.of(() => undefined));
    });
    const infos = run.infos.map(decodeMetric);
    // Every element count and sampled size names its PCollection.
    assert.deepEqual(infos.filter((m) => (m.urn === MI.elementCount || m.urn === MI.sampledByteSize) && m.labels["PCOLLECTION"] === undefined), []);
    const countOf = (pc: string): number => infos.filter((m) => m.urn === MI.elementCount && m.labels["PCOLLECTION"] === pc).reduce((s, m) => s + (m.value as number), 0);
    const sized = (pc: string): boolean => infos.some((m) => m.urn === MI.sampledByteSize && m.labels["PCOLLECTION"] === pc && (m.value as { count: number; sum: number }).count > 0 && (m.value as { sum: number }).sum > 0);
    const pcs = Object.fromEntries(infos.filter((m) => m.urn === MI.elementCount).map((m) => [m.labels["PCOLLECTION"]!, countOf(m.labels["PCOLLECTION"]!)]));
    const expected: Record<string, number> = {
      "Create_Values-main": n,
      "StepThatDoesTwoOutputs-main": n,
      "StepThatDoesTwoOutputs-SecondOutput": 2 * n,
      "StepThatDoesTwoOutputs-ThirdOutput": n,
      "PassThrough-main": 4 * n,
      "PassThrough2-main": n,
    };
    for (const [pc, count] of Object.entries(expected)) {
      assert.equal(pcs[pc], count, `${pc} in ${JSON.stringify(pcs)}`);
      assert.ok(sized(pc), `sampled sizes of ${pc}`);
    }
    for (const urn of [MI.startBundleMsecs, MI.processBundleMsecs, MI.finishBundleMsecs, MI.totalMsecs]) {
      assert.equal(infos.filter((m) => m.urn === urn && m.labels["PTRANSFORM"] === "MyStep").length, 1, `${urn} of MyStep`);
    }
  });

  it("test_sdf_with_sdf_initiated_checkpointing: a counter in a splittable DoFn's process counts on its step", async () => {
    const data = ["abc", "defghijklmno", "pqrstuv", "wxyz"];
    const run = await harnessRun((p, out) => out("Chars", p.apply("Create", Create.from(data)).apply("Expand", ParDo.splittable(new CountingStrings()))));
    assert.equal(run.outputs.Chars!.length, data.join("").length);
    assert.equal(run.metrics.counterTotal("ns", "my_counter"), data.join("").length);
  });

  it("test_progress_metrics: element counts before and after a GroupByKey, and of each tagged output", async () => {
    const run = await harnessRun((p) => {
      p.apply("Create", Create.of(0, 0, 0, 5))
        .map("Map(sleep)", (x: number) => x)
        .map("Key", (x: number) => kv("key", x))
        .apply("GroupByKey", GroupByKey.create<string, number>())
        .apply(
          "m_out",
          ParDo.into<number, { once: KV<string, number[]>; twice: KV<string, number[]> }>().of((x: KV<string, number[]>, ctx) => {
            for (const i of [1, 2, 3, 4, 5]) ctx.output(i);
            ctx.outputTo("once", x);
            ctx.outputTo("twice", x);
            ctx.outputTo("twice", x);
          }).withOutputs("once", "twice"),
        );
    });
    const counts = new Map<string, number>();
    for (const m of run.infos.map(decodeMetric)) if (m.urn === MI.elementCount) counts.set(m.labels["PCOLLECTION"]!, (counts.get(m.labels["PCOLLECTION"]!) ?? 0) + (m.value as number));
    const countOf = (suffix: string): number | undefined => [...counts].find(([pc]) => pc.endsWith(suffix))?.[1];
    assert.equal(countOf("Map_sleep_-main"), 4, JSON.stringify([...counts]));
    assert.equal(countOf("Key-main"), 4);
    assert.equal(countOf("m_out-main"), 5);
    assert.equal(countOf("m_out-once"), 1);
    assert.equal(countOf("m_out-twice"), 2);
  });
});
