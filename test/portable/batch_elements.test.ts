/**
 * BatchElements (and RunInference's batching) on portable runners: across bundles elements are keyed by the worker
 * process's key, a string (Beam's WithSharedKey), sent to the runner as Beam's string coder so a
 * runner that decodes timers itself (Beam Python's FnApiRunner builds timer coders from the
 * pipeline proto) knows the key coder; within bundles it gives batches of one window each, every
 * element once.
 */
import { strict as assert } from "node:assert";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import "../../runners/direct";
import { dockerEnvironment } from "../../runners/portable/environments";
import { translatePipeline } from "../../runners/portable/translate";
import { FnHarness } from "../../runners/worker/harness";
import { FnApiServer } from "../worker/fn_server";
import { readShards } from "../helpers";
import { executePipeline } from "./mini_runner";
import { BATCH_INPUT_SIZE, batchElementsProgram, checkBatches, runInferenceBatchingProgram } from "./batch_elements_programs";

describe("portable translation: BatchElements", function () {
  this.timeout(60_000);
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), "beamline-batch-elements-"));
  after(() => fs.rmSync(tmp, { recursive: true, force: true }));

  for (const [what, program, stepName] of [
    ["BatchElements", batchElementsProgram.create({ output: tmp, stateful: true }), "Batch/ParDo(StatefulBatchElementsDoFn)"],
    ["RunInference", runInferenceBatchingProgram.create({ output: tmp }), "Infer/Infer"],
  ] as const) it(`${what} across bundles: the stateful step's key and timer key coders are Beam's string coder (the process key is a string)`, () => {
    const c = translatePipeline(program, dockerEnvironment()).proto.components!;
    const step = Object.values(c.transforms).find((t) => t.uniqueName === stepName)!;
    assert.ok(step !== undefined, Object.values(c.transforms).map((t) => t.uniqueName).join(", "));
    const input = c.pcollections[step.inputs.main!]!;
    const kvCoder = c.coders[input.coderId]!;
    assert.equal(kvCoder.spec!.urn, "beam:coder:kv:v1");
    assert.equal(c.coders[kvCoder.componentCoderIds[0]!]!.spec!.urn, "beam:coder:string_utf8:v1");
    const payload = step.spec!.payload;
    assert.ok(payload.length > 0);
    const timerCoders = Object.values(c.coders).filter((coder) => coder.spec!.urn === "beam:coder:timer:v1");
    assert.ok(timerCoders.length > 0, "the step has timers");
    for (const t of timerCoders) assert.equal(c.coders[t.componentCoderIds[0]!]!.spec!.urn, "beam:coder:string_utf8:v1", "timer key coder");
  });

  // Across bundles needs the runner's timers, which the test runner does not fire: real_runner_session_transforms.test.ts runs it.
  for (const stateful of [false]) {
    it("within bundles on the Fn API: every element once, batches of one window within the size limits", async () => {
      const flags = { output: path.join(tmp, `portable-${stateful}`), stateful };
      const fn = await FnApiServer.start();
      const harness = new FnHarness({ workerId: `w-batch-${stateful}`, controlUrl: fn.url, loadPipeline: () => batchElementsProgram.create(flags), runId: `batch-${stateful}` }).start();
      try {
        const proto = translatePipeline(batchElementsProgram.create(flags), dockerEnvironment()).proto;
        await executePipeline(proto, fn, () => undefined, () => false);
        assert.deepEqual(checkBatches(readShards(path.join(flags.output, "batches")), "portable"), Array.from({ length: BATCH_INPUT_SIZE }, (_, i) => i));
      } finally {
        await harness.stop();
        await fn.stop();
      }
    });
  }
});
