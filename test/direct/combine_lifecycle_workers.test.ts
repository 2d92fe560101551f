/**
 * CombineFn setup/teardown in the DirectRunner's worker threads (--direct_num_workers 2 with a
 * program the threads rebuild): each thread's instances are its own; each set up is torn down
 * when the run ends (the threads are idle then and tear down before exiting). The fn records both
 * as files, since a thread's instances are invisible to this one.
 */
import { strict as assert } from "node:assert";
import "../../runners/direct";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { combineLifecycleProgram } from "./programs";

/** The instance ids recorded for `call` ("setup" or "teardown"). */
function recorded(dir: string, call: string): string[] {
  return fs.readdirSync(dir).filter((f) => f.startsWith(`${call}-`)).map((f) => f.slice(call.length + 1)).sort();
}

describe("DirectRunner: CombineFn setup and teardown in worker threads", function () {
  this.timeout(60_000);

  it("every instance set up in a worker thread is torn down once the run ends", async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "combine-lifecycle-"));
    try {
      const result = await combineLifecycleProgram.run({ dir }, { directNumWorkers: 2, directWorkerThreads: "always" });
      assert.equal(await result.waitUntilFinish(), "DONE", result.error?.message);
      const setUp = recorded(dir, "setup");
      assert.ok(setUp.some((id) => !id.startsWith("0-")), `no instance was set up in a worker thread: ${setUp.join(", ")}`);
      // The threads tear down as they exit, after the run returned: wait for what they record.
      const deadline = Date.now() + 10_000;
      while (recorded(dir, "teardown").length < setUp.length && Date.now() < deadline) await new Promise<void>((resolve) => setImmediate(resolve));
      assert.deepEqual(recorded(dir, "teardown"), setUp);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});
