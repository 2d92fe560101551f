/**
 * FileIO.writeDynamic through the Fn API harness: the destinations' shards (fixed and
 * runner-decided) and the list of files written equal the DirectRunner's.
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
import { readWrittenEvents, WINDOWED_WRITE_EXPECTED, windowedWriteDynamicProgram, WRITE_DYNAMIC_EXPECTED, writeDynamicProgram } from "./fileio_write_programs";
import { executePipeline } from "./mini_runner";

describe("portable: FileIO.writeDynamic", function () {
  this.timeout(60_000);
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), "beamline-write-dynamic-"));
  after(() => fs.rmSync(tmp, { recursive: true, force: true }));

  for (const shards of [2, 0]) {
    it(`gives the DirectRunner's files on the Fn API harness (shards ${shards})`, async () => {
      const flags = { output: path.join(tmp, `harness-${shards}`), shards };
      const fn = await FnApiServer.start();
      const harness = new FnHarness({ workerId: `w-write-dynamic-${shards}`, controlUrl: fn.url, loadPipeline: () => writeDynamicProgram.create(flags), runId: `write-dynamic-${shards}` }).start();
      try {
        const proto = translatePipeline(writeDynamicProgram.create(flags), dockerEnvironment()).proto;
        await executePipeline(proto, fn, () => undefined, () => false);
      } finally {
        await harness.stop();
        await fn.stop();
      }
      const written = readWrittenEvents(flags.output);
      assert.deepEqual(written.lines, WRITE_DYNAMIC_EXPECTED.lines);
      if (shards === 2) assert.deepEqual(readShards(path.join(flags.output, "files")), WRITE_DYNAMIC_EXPECTED.files);
      else assert.deepEqual(readShards(path.join(flags.output, "files")), written.names.map((n) => `${/^events-([a-z]+)-/.exec(n)![1]} events/${n}`).sort());
      assert.ok(!written.names.some((n) => n.startsWith(".")), "no temporary files left");
    });
  }

  it("writes windowed input per destination and window on the Fn API harness", async () => {
    const flags = { output: path.join(tmp, "harness-windowed") };
    const fn = await FnApiServer.start();
    const harness = new FnHarness({ workerId: "w-write-dynamic-windowed", controlUrl: fn.url, loadPipeline: () => windowedWriteDynamicProgram.create(flags), runId: "write-dynamic-windowed" }).start();
    try {
      const proto = translatePipeline(windowedWriteDynamicProgram.create(flags), dockerEnvironment()).proto;
      await executePipeline(proto, fn, () => undefined, () => false);
    } finally {
      await harness.stop();
      await fn.stop();
    }
    assert.deepEqual(readWrittenEvents(flags.output).lines, WRITE_DYNAMIC_EXPECTED.lines);
    assert.deepEqual(readShards(path.join(flags.output, "files")), WINDOWED_WRITE_EXPECTED);
  });
});
