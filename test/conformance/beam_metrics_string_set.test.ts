/**
 * StringSet metrics against Beam's own tests as the oracle: Java's StringSetDataTest (union and
 * the 1,000,000-character size limit), Python's TestStringSetCell, Java's MetricsTest
 * (testAttemptedStringSetMetrics / testCommittedStringSetMetrics: "sources", "sinks" and
 * "sideinputs" per step) in batch, streaming and on two worker threads, Python's fn_runner_test
 * test_metrics (string_sets), and the Fn API payload (beam:metrics:set_string:v1) against the
 * bytes Beam Python 2.66's monitoring_infos.user_set_string produces.
 */
import { strict as assert } from "node:assert";
import { Create, DoFn, Metrics, ParDo, type ProcessContext } from "../../lib";
import { ByteReader, ByteWriter } from "../../lib/coders/byte_io";
import { metricKey, MetricsContainer, STRING_SET_SIZE_LIMIT } from "../../lib/model/metrics";
import { MetricResults } from "../../lib/model/metric_results";
import { progressFromDataflowMetrics } from "../../runners/dataflow/job_progress";
import { summary } from "../../runners/monitor/terminal_progress";
import { metricResultsFrom } from "../../runners/portable/portable_runner";
import { MetricsPart } from "../../runners/streaming/checkpointing";
import { decodeMetric, encodeStringSet, MI, monitoringInfos } from "../../runners/worker/monitoring";
import { runDirect } from "../helpers";
import { NS, stringSetMetricsProgram } from "./metrics_string_set_programs";

const KEY = metricKey("ns", "s");
const hex = (b: Uint8Array): string => Buffer.from(b).toString("hex");

/** A container of step "S" whose string set "ns/s" had `adds` added, one add call each. */
function cellWith(...adds: string[][]): MetricsContainer {
  const c = new MetricsContainer("S");
  for (const values of adds) c.addToStringSet(KEY, values);
  return c;
}
const stringsOf = (c: MetricsContainer): string[] => [...(c.stringSets.get(KEY)?.values ?? [])].sort();

describe("Beam StringSet data (StringSetDataTest.java, cells_test.py TestStringSetCell)", () => {
  it("combines as a union, leaving the combined sets as they were (testCombine, testCombineWithEmpty, test_combine_appropriately)", () => {
    const single = cellWith(["ab"]);
    const multiple = cellWith(["cd", "ef"]);
    single.merge(multiple);
    assert.deepEqual(stringsOf(single), ["ab", "cd", "ef"]);
    assert.deepEqual(stringsOf(multiple), ["cd", "ef"]);
    const empty = new MetricsContainer("S");
    empty.merge(multiple);
    assert.deepEqual(stringsOf(empty), ["cd", "ef"]);
    const s1 = cellWith(["1"], ["2"]);
    const s2 = cellWith(["1"], ["3"]);
    s2.merge(s1);
    assert.deepEqual(stringsOf(s2), ["1", "2", "3"]);
  });

  it("tracks the strings' total length, counting a repeated string once (testStringSetAddSizeTrackedCorrectly, test_add_size_tracked_correctly)", () => {
    const c = cellWith(["a", "b", "c", "b"]);
    assert.equal(c.stringSets.get(KEY)!.size, 3);
    c.addToStringSet(KEY, ["c", "d", "e"]);
    assert.equal(c.stringSets.get(KEY)!.size, 5);
    const py = cellWith(["test"], ["another"]);
    assert.equal(py.stringSets.get(KEY)!.size, 11);
  });

  it("drops strings once their total length passes 1,000,000 characters, keeping the one that passed it (testStringSetAddUntilCapacity)", () => {
    const warnings = captureStderr(() => {
      const c = new MetricsContainer("S");
      let total = 0;
      for (let i = 0; i < 1000; i++) {
        const s = "*".repeat(1000) + i;
        total += s.length;
        c.addToStringSet(KEY, [s]);
      }
      const cell = c.stringSets.get(KEY)!;
      assert.ok(cell.size < total, `${cell.size} < ${total}`);
      assert.ok(cell.size > STRING_SET_SIZE_LIMIT, `${cell.size} > ${STRING_SET_SIZE_LIMIT}`);
      // 10 strings of 1001 characters, 90 of 1002, then 1003 each: the 998th takes the total past the limit.
      assert.equal(cell.values.size, 998);
      // Merging bundles obeys the same limit: another bundle's strings are dropped.
      c.merge(cellWith(["more"]));
      assert.equal(c.stringSets.get(KEY)!.values.has("more"), false);
    });
    assert.equal(warnings.filter((w) => /string set 'ns\/s' of step 'S'.*past Beam's limit of 1000000/.test(w)).length, 1, "one warning, when the limit is passed");
  });

  it("is reported per step and filtered by step, namespace and name like the other metrics", () => {
    const a = cellWith(["x"]);
    const b = new MetricsContainer("Outer/S");
    b.addToStringSet(KEY, ["z", "y"]);
    const results = new MetricResults(new Map([["S", a], ["Outer/S", b]]));
    assert.deepEqual(
      results.stringSets({ step: "S" }).map((r) => [r.step, r.value]),
      [
        ["Outer/S", ["y", "z"]],
        ["S", ["x"]],
      ],
    );
    assert.deepEqual(results.stringSets({ namespace: "other" }), []);
    assert.deepEqual(results.stringSets({ name: "s", step: "Outer" }).map((r) => r.value), [["y", "z"]]);
  });
});

/** Beam's assertStringSetMetrics: each step's sets, with repeats once. */
function assertStringSetMetrics(m: MetricResults): void {
  const set = (name: string, step: string): readonly string[][] => m.stringSets({ namespace: NS, name, step }).map((r) => [...r.value]);
  assert.deepEqual(set("sources", "MyStep1"), [["gcs"]]);
  assert.deepEqual(set("sinks", "MyStep2"), [["bq", "kafka"]]);
  assert.deepEqual(set("sideinputs", "MyStep1"), [["bigtable", "spanner"]]);
  assert.deepEqual(set("sideinputs", "MyStep2"), [["bigtable", "sql"]]);
  assert.deepEqual(set("sources", "MyStep2"), [], "a step's set holds only what its own code added");
}

describe("Beam StringSet metrics in a pipeline (MetricsTest.java: testAttemptedStringSetMetrics, testCommittedStringSetMetrics)", () => {
  for (const mode of ["batch", "streaming (TestStream)", "batch on 2 worker threads"] as const) {
    it(`reports "sources", "sinks" and "sideinputs" per step: ${mode}`, async () => {
      const options =
        mode === "batch on 2 worker threads" ? { directNumWorkers: 2, directWorkerThreads: "always" as const } : { streaming: mode !== "batch" };
      const result = await stringSetMetricsProgram.run({ stream: mode !== "batch" && mode !== "batch on 2 worker threads" }, options);
      assert.equal(await result.waitUntilFinish(), "DONE", result.error?.message);
      assertStringSetMetrics(result.metrics);
      assert.equal(result.metrics.counterTotal(NS, "count", "MyStep2"), 6);
      const threads = result.metrics.stringSets({ namespace: NS, name: "threads" }).map((r) => r.value);
      assert.deepEqual(threads, [mode === "batch on 2 worker threads" ? ["worker"] : ["main"]], "the updates made in worker threads came back");
    });
  }

  it("holds each distinct element added (fn_runner_test.py test_metrics: string_sets)", async () => {
    const result = await runDirect((p) => {
      p.apply(Create.of("a", "zzz", "a")).apply(
        "string_set",
        ParDo.of((x: string) => {
          Metrics.stringSet("ns", "string_set").add(x);
        }),
      );
    });
    await result.waitUntilFinish();
    assert.deepEqual(result.metrics.stringSets({ name: "string_set" }).map((r) => r.value), [["a", "zzz"]]);
  });

  it("keeps only the committed attempt of a retried bundle, as counters do (--direct_bundle_retries)", async () => {
    let attempts = 0;
    class FailsOnce extends DoFn<number, number> {
      private readonly attempt = Metrics.stringSet("ns", "attempt");
      process(n: number, ctx: ProcessContext<number>): void {
        if (n === 1) attempts++;
        this.attempt.add(`attempt ${attempts}`);
        Metrics.counter("ns", "processed").inc();
        if (attempts === 1 && n === 3) throw new Error("first attempt fails");
        ctx.output(n);
      }
    }
    const result = await captureStderrAsync(() => runDirect((p) => void p.apply(Create.of(1, 2, 3)).apply("FailsOnce", ParDo.of(new FailsOnce())), { directBundleRetries: 1 }));
    assert.equal(await result.waitUntilFinish(), "DONE", result.error?.message);
    assert.equal(attempts, 2);
    assert.deepEqual(result.metrics.stringSets({ name: "attempt" }).map((r) => r.value), [["attempt 2"]]);
    assert.equal(result.metrics.counterTotal("ns", "processed"), 3);
  });

  it("fails an update made outside a running transform, naming the metric", () => {
    assert.throws(() => Metrics.stringSet("ns", "loose").add("x"), /StringSet 'ns\/loose' was updated outside a running transform/);
  });
});

describe("Beam StringSet monitoring infos (metrics.proto SET_STRING_TYPE, MonitoringInfoEncodings)", () => {
  // Beam Python 2.66: monitoring_infos.user_set_string("ns", "n", ["bq", "kafka", "ünï", ""], ptransform="t").payload
  const BEAM_PAYLOAD = "00000004026271056b61666b6105c3bc6ec3af00";

  it("encodes a string set as Beam does: an iterable (int32 count) of UTF-8 strings, under beam:metric:user:set_string:v1", () => {
    const c = new MetricsContainer("Step");
    c.addToStringSet(metricKey("ns", "n"), ["bq", "kafka", "ünï", ""]);
    const [mi] = monitoringInfos(new Map([["t", c]]), { pcollections: new Map(), readIndex: new Map(), executionTime: new Map() });
    assert.equal(mi!.urn, "beam:metric:user:set_string:v1");
    assert.equal(mi!.type, "beam:metrics:set_string:v1");
    assert.deepEqual(mi!.labels, { PTRANSFORM: "t", NAMESPACE: "ns", NAME: "n" });
    assert.equal(hex(mi!.payload), BEAM_PAYLOAD);
    // Beam Python 2.66, an empty StringSetData: no strings.
    assert.equal(hex(encodeStringSet([])), "00000000");
  });

  it("decodes Beam's payload, and an iterable of unknown length (count -1, then blocks)", () => {
    const mi = { urn: MI.userSetString, type: MI.typeSetString, labels: {}, payload: Buffer.from(BEAM_PAYLOAD, "hex") };
    assert.deepEqual(decodeMetric(mi).value, ["bq", "kafka", "ünï", ""]);
    const w = new ByteWriter(32);
    w.writeInt32BE(-1);
    w.writeVarInt(2);
    w.writeUtf8Nested("a");
    w.writeUtf8Nested("b");
    w.writeVarInt(1);
    w.writeUtf8Nested("c");
    w.writeVarInt(0);
    assert.deepEqual(decodeMetric({ ...mi, payload: w.finish() }).value, ["a", "b", "c"]);
  });

  it("reads string sets from a job's metrics, by step, as a union of the infos reported (PortableRunner)", () => {
    const info = (strings: string[]) => ({ urn: MI.userSetString, type: MI.typeSetString, labels: { PTRANSFORM: "ref_AppliedPTransform_1", NAMESPACE: "ns", NAME: "n" }, payload: encodeStringSet(strings) });
    const results = metricResultsFrom([info(["a", "b"]), info(["b", "c"])], new Map([["ref_AppliedPTransform_1", "MyStep"]]));
    assert.deepEqual(results.stringSets().map((r) => [r.step, r.value]), [["MyStep", ["a", "b", "c"]]]);
  });
});

describe("Beam StringSet metrics elsewhere: Dataflow's metrics, checkpoints, the progress summary", () => {
  it("reads a Dataflow MetricUpdate's `set` as a string set (DataflowMetrics.getStringSetValue)", () => {
    const progress = progressFromDataflowMetrics(
      { metrics: [{ name: { origin: "user", name: "sinks", context: { step: "s2", namespace: NS } }, set: ["kafka", "bq"] }] },
      { steps: new Map([["s2", "MyStep2"]]), pcollections: new Map() },
    );
    assert.deepEqual(progress.metrics.stringSets().map((r) => [r.step, r.namespace, r.name, r.value]), [["MyStep2", NS, "sinks", ["bq", "kafka"]]]);
  });

  it("keeps string sets across a streaming checkpoint, and restores a checkpoint written before they existed", () => {
    const saved = cellWith(["x", "y"]);
    saved.incCounter(metricKey("ns", "c"), 2);
    const w = new ByteWriter(64);
    new MetricsPart(new Map([["S", saved]]), () => saved).snapshot(w);
    const restored = new Map<string, MetricsContainer>();
    const metricsFor = (step: string): MetricsContainer => restored.get(step) ?? restored.set(step, new MetricsContainer(step)).get(step)!;
    new MetricsPart(restored, metricsFor).restore(new ByteReader(w.finish()));
    assert.deepEqual(stringsOf(restored.get("S")!), ["x", "y"]);
    assert.equal(restored.get("S")!.counters.get(metricKey("ns", "c")), 2);
    // The earlier format: steps' counters, distributions and gauges, and nothing after them.
    const old = new ByteWriter(32);
    old.writeVarInt(1);
    old.writeUtf8Nested("S");
    for (let i = 0; i < 3; i++) old.writeVarInt(0);
    const r = new ByteReader(old.finish());
    new MetricsPart(new Map(), () => new MetricsContainer("S")).restore(r);
    assert.equal(r.atEnd(), true);
  });

  it("lists string sets in the progress summary", () => {
    const c = cellWith(["kafka", "bq"]);
    const metrics = new MetricResults(new Map([["S", c]]));
    const text = summary(
      {
        jobName: "j",
        runner: "DirectRunner",
        state: "DONE",
        streaming: false,
        startedAt: 0,
        at: 1,
        steps: {},
        metrics: { counters: [], distributions: [], gauges: [], stringSets: metrics.stringSets(), boundedTries: [] },
      },
      [],
    );
    assert.match(text, /Metrics:\n.*\n\s*S\s+ns\/s\s+\{bq, kafka\}/);
  });
});

/** Runs `f` with stderr captured (the size-limit warning, retried bundles' notes); returns what it wrote. */
function captureStderr(f: () => void): string[] {
  const lines: string[] = [];
  const write = process.stderr.write;
  process.stderr.write = ((chunk: string | Uint8Array) => (lines.push(String(chunk)), true)) as typeof process.stderr.write;
  try {
    f();
  } finally {
    process.stderr.write = write;
  }
  return lines;
}

async function captureStderrAsync<R>(f: () => Promise<R>): Promise<R> {
  const write = process.stderr.write;
  process.stderr.write = (() => true) as typeof process.stderr.write;
  try {
    return await f();
  } finally {
    process.stderr.write = write;
  }
}
