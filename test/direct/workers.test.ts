import { strict as assert } from "node:assert";
import "../../runners/direct";
import { failingProgram, parallelProgram } from "./programs";

describe("DirectRunner: worker threads (--direct_num_workers > 1)", function () {
  this.timeout(60_000);

  it("runs bundles in worker threads that rebuild the pipeline, with the same results and metrics", async () => {
    const result = await parallelProgram.run({ n: 10_000 }, { directNumWorkers: 2 });
    await result.waitUntilFinish();
    assert.equal(result.metrics.counterTotal("test", "seen"), 10_000);
  });

  it("reports a worker thread's user-code failure with the transform name", async () => {
    const result = await failingProgram.run({}, { directNumWorkers: 2 });
    assert.equal(result.state, "FAILED");
    assert.match(result.error!.message, /Explode.*bad element/);
  });
});
