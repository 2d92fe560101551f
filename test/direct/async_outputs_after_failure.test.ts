/**
 * An async `process` that outputs, awaits, and outputs again, while what it output before the
 * await fails downstream. Beam (which has no async process) fails the bundle as a whole: a DoFn
 * instance that threw is never called again, teardown is each instance's last call, and no
 * output is left running past the failure. Two ways that went wrong:
 * - the outputs after the await reached the failed async step, which ran them on the instance
 *   that had thrown (its call had settled, so nothing queued them behind the failure);
 * - outputs after the await to another step were never waited for (the earlier outputs'
 *   rejection skipped them), so they ran on after the runner tore that step down.
 * On the DirectRunner in batch, streaming and with two workers; the Fn API harness:
 * test/worker/failure_after_outputs.test.ts.
 */
import { strict as assert } from "node:assert";
import { Create, ParDo } from "../../lib";
import type { Pipeline } from "../../lib/model/pipeline";
import type { PipelineOptions } from "../../lib/model/options";
import { runDirect } from "../helpers";
import { assertLifecycle, FailOnZero, log, OutputAcrossAwait, Sink, tick } from "./across_await_fns";

async function runFailing(build: (p: Pipeline) => void, options: Partial<PipelineOptions>): Promise<Error> {
  const result = await runDirect(build, options);
  const error = await result.waitUntilFinish().then(
    () => assert.fail("the run succeeded; it should have failed"),
    (e: unknown) => e as Error,
  );
  // Calls still running when the run returned would land now: give them (bounded) time to show.
  for (let i = 0; i < 100; i++) await tick();
  return error;
}

const runs: [string, Partial<PipelineOptions>][] = [
  ["batch", {}],
  ["streaming", { streaming: true }],
  ["batch, --direct_num_workers 2", { directNumWorkers: 2 }],
];

describe("An async process outputting after its await, when an earlier output failed downstream", () => {
  beforeEach(() => {
    log.length = 0;
  });

  for (const [mode, options] of runs) {
    it(`${mode}: the failed async step is not called again with the later outputs`, async () => {
      const error = await runFailing(
        (p) => p.apply(Create.of(7)).apply("Src", ParDo.of(new OutputAcrossAwait(false))).apply("Mid", ParDo.of(new FailOnZero("Mid"))).apply("Sink", ParDo.of(new Sink("Sink"))),
        options,
      );
      assert.match(error.message, /Mid.*Mid failed on 0/s);
      // The instance that threw on 0 takes nothing more, so nothing reaches the sink.
      assert.deepEqual(log.filter((l) => l.startsWith("Mid process")), ["Mid process 0"], log.join(", "));
      assert.deepEqual(log.filter((l) => l.startsWith("Sink process")), [], log.join(", "));
      assertLifecycle("Mid");
      assertLifecycle("Sink");
    });

    it(`${mode}: the later outputs to another step end before that step's teardown`, async () => {
      const error = await runFailing((p) => {
        const out = p.apply(Create.of(7)).apply("Src", ParDo.of(new OutputAcrossAwait(true)).withOutputs("later"));
        out.main.apply("Fail", ParDo.of(new FailOnZero("Fail")));
        out.later.apply("Sink", ParDo.of(new Sink("Sink")));
      }, options);
      assert.match(error.message, /Fail.*Fail failed on 0/s);
      // Both later outputs were handed to the sink before the failure was known: each call ends, then the teardown.
      assert.equal(log.filter((l) => l.startsWith("Sink done")).length, log.filter((l) => l.startsWith("Sink process")).length, log.join(", "));
      assertLifecycle("Fail");
      assertLifecycle("Sink");
    });
  }
});
