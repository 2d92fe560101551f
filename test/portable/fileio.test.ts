/**
 * FileIO and ReadAllFromText through the Fn API harness: ReadableFiles cross stages in their own
 * coder and ReadAllFromText's ranges pass the Reshuffle as the runner expands it; the outputs
 * equal the DirectRunner's.
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
import { FILEIO_EXPECTED, fileioProgram, writeFileioInput } from "./fileio_programs";
import { executePipeline } from "./mini_runner";

describe("portable: FileIO and ReadAllFromText", function () {
  this.timeout(60_000);
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), "beamline-fileio-"));
  after(() => fs.rmSync(tmp, { recursive: true, force: true }));

  it("give the DirectRunner's output on the Fn API harness", async () => {
    const input = path.join(tmp, "in");
    writeFileioInput(input);
    const direct = { input, output: path.join(tmp, "direct") };
    assert.equal(await (await fileioProgram.run(direct, { runner: "DirectRunner" })).waitUntilFinish(), "DONE");
    assert.deepEqual(readShards(path.join(direct.output, "lines")), FILEIO_EXPECTED.lines);
    assert.deepEqual(readShards(path.join(direct.output, "files")), FILEIO_EXPECTED.files);

    const flags = { input, output: path.join(tmp, "harness") };
    const fn = await FnApiServer.start();
    const harness = new FnHarness({ workerId: "w-fileio", controlUrl: fn.url, loadPipeline: () => fileioProgram.create(flags), runId: "fileio" }).start();
    try {
      const proto = translatePipeline(fileioProgram.create(flags), dockerEnvironment()).proto;
      const coders = Object.values(proto.components!.coders).map((c) => c.spec!.urn);
      assert.ok(coders.includes("beamline:coder:readable_file:v1"), "ReadMatches' output has the ReadableFile coder");
      await executePipeline(proto, fn, () => undefined, () => false, { expandReshuffle: true });
      assert.deepEqual(readShards(path.join(flags.output, "lines")), FILEIO_EXPECTED.lines);
      assert.deepEqual(readShards(path.join(flags.output, "files")), FILEIO_EXPECTED.files);
    } finally {
      await harness.stop();
      await fn.stop();
    }
  });
});
