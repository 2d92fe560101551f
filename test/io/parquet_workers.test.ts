/**
 * Parquet IO as a program: in DirectRunner worker threads (--direct_num_workers 1 and 2) and on the
 * Fn API worker harness (rows cross stages in Beamline's JS-value coder, KV(file, row) in
 * KV(string_utf8, jsvalue), the written files' names as side input), with the same output.
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
import { executePipeline } from "../portable/mini_runner";
import { checkParquetOutput, parquetProgram } from "./parquet_programs";

describe("io/parquet: programs in worker threads and on the Fn API harness", function () {
  this.timeout(60_000);
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), "beamline-parquet-workers-"));
  after(() => fs.rmSync(tmp, { recursive: true, force: true }));

  for (const directNumWorkers of [1, 2]) {
    it(`read and write in worker threads (--direct_num_workers ${directNumWorkers})`, async () => {
      const output = path.join(tmp, `threads-${directNumWorkers}`);
      const result = await parquetProgram.run({ output }, { directNumWorkers, directWorkerThreads: "always" });
      assert.equal(await result.waitUntilFinish(), "DONE");
      await checkParquetOutput(output, `${directNumWorkers} worker(s)`);
    });
  }

  it("give the DirectRunner's output on the Fn API harness", async () => {
    const flags = { output: path.join(tmp, "harness") };
    const fn = await FnApiServer.start();
    const harness = new FnHarness({ workerId: "w-parquet", controlUrl: fn.url, loadPipeline: () => parquetProgram.create(flags), runId: "parquet" }).start();
    try {
      const proto = translatePipeline(parquetProgram.create(flags), dockerEnvironment()).proto;
      const coders = Object.values(proto.components!.coders).map((c) => c.spec!.urn);
      assert.ok(coders.includes("beamline:coder:jsvalue:v1"), "the rows' collections have the JS-value coder");
      await executePipeline(proto, fn, () => undefined, () => false, { expandReshuffle: true });
      await checkParquetOutput(flags.output, "Fn API harness");
    } finally {
      await harness.stop();
      await fn.stop();
    }
  });
});
