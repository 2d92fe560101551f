/**
 * StringSet and BoundedTrie metrics end to end on real Beam runners over LOOPBACK, when their
 * launchers are set (see real_runners.test.ts): Beam Java's MetricsTest string sets and bounded
 * tries, sent by Beamline's harness as beam:metric:user:set_string:v1 / bounded_trie:v1 and read
 * back through the Job API's GetJobMetrics.
 *
 *   BEAMLINE_PRISM=/path/to/prism/run.sh
 *   BEAMLINE_BEAM_PYTHON_JOB_SERVER=/path/to/beampy/run_job_server.sh
 */
import { strict as assert } from "node:assert";
import "../../runners/direct";
import { PortableRunner } from "../../runners/portable/portable_runner";
import { NS, stringSetMetricsProgram } from "../conformance/metrics_string_set_programs";
import { REAL_RUNNERS, realRunnerSession } from "./real_runner_launch";

for (const runner of REAL_RUNNERS) {
  describe(`On a real Beam runner: ${runner.name} (LOOPBACK): StringSet and BoundedTrie metrics`, function () {
    this.timeout(120_000);
    const { options } = realRunnerSession(runner, "beamline-real-string-set-");

    it("come back through GetJobMetrics per step, each string once (MetricsTest's assertStringSetMetrics, assertBoundedTrieMetrics)", async () => {
      const result = await new PortableRunner({ log: () => undefined, cancelOnInterrupt: false }).run(stringSetMetricsProgram.create({ stream: false }, options("string-sets")));
      assert.equal(await result.waitUntilFinish(), "DONE");
      const set = (name: string, step: string): string[][] => result.metrics.stringSets({ namespace: NS, name, step }).map((r) => [...r.value]);
      assert.deepEqual(set("sources", "MyStep1"), [["gcs"]]);
      assert.deepEqual(set("sinks", "MyStep2"), [["bq", "kafka"]]);
      assert.deepEqual(set("sideinputs", "MyStep1"), [["bigtable", "spanner"]]);
      assert.deepEqual(set("sideinputs", "MyStep2"), [["bigtable", "sql"]]);
      assert.equal(result.metrics.counterTotal(NS, "count", "MyStep2"), 6);
      // Prism 2.66 has no accumulator for beam:metrics:bounded_trie:v1 (jobservices/metrics.go:168-186,
      // skipped at 206-209), so it drops bounded tries; Beam Python's job service returns them.
      if (runner.name !== "Prism") {
        const trie = (name: string, step: string) => result.metrics.boundedTries({ namespace: NS, name, step }).map((r) => r.value);
        assert.deepEqual(trie("boundedTrieSources", "MyStep1"), [[{ segments: ["ab_source", "cd_source"], truncated: false }, { segments: ["ef_source"], truncated: false }]]);
        assert.deepEqual(trie("boundedTrieSinks", "MyStep2"), [[{ segments: ["ab_sink", "cd_sink"], truncated: false }, { segments: ["ef_sink"], truncated: false }]]);
      }
    });
  });
}
