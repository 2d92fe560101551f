/**
 * TFRecord IO as a program: in DirectRunner worker threads (--direct_num_workers 1 and 2) and on
 * the Fn API worker harness (the records cross stages in the bytes coder, KV(file, string) in
 * KV(string_utf8, string_utf8), the written files' names as side input), with the same output.
 */
import { strict as assert } from "node:assert";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import "../../runners/direct";
import { dockerEnvironment } from "../../runners/portable/environments";
import { translatePipeline } from "../../runners/portable/translate";
import { FnHarness } from "../../runners/worker/harness";
import { readTFRecordFile } from "../../lib/io/tfrecord/files";
import { FnApiServer } from "../worker/fn_server";
import { executePipeline } from "../portable/mini_runner";
import { readShards } from "../helpers";
import { TFRECORD_EXPECTED, tfrecordProgram, writeTFRecordInput } from "./tfrecord_programs";

async function strings(dir: string): Promise<{ files: string[]; records: string[] }> {
  const files = fs.readdirSync(dir).filter((f) => f.startsWith("strings")).sort();
  const records: string[] = [];
  for (const f of files) await readTFRecordFile(path.join(dir, f), "auto", (rs) => records.push(...rs.map((r) => Buffer.from(r).toString("utf8"))));
  return { files, records: records.sort() };
}

function check(output: string, label: string): Promise<void> {
  assert.deepEqual(readShards(path.join(output, "records")), TFRECORD_EXPECTED.records, label);
  assert.deepEqual(readShards(path.join(output, "named")), TFRECORD_EXPECTED.named, label);
  return strings(output).then((s) => {
    assert.deepEqual(s.files, ["strings-00000-of-00002.tfrecord.gz", "strings-00001-of-00002.tfrecord.gz"], label);
    assert.deepEqual(s.records, TFRECORD_EXPECTED.strings, label);
  });
}

describe("io/tfrecord: programs in worker threads and on the Fn API harness", function () {
  this.timeout(60_000);
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), "beamline-tfrecord-workers-"));
  after(() => fs.rmSync(tmp, { recursive: true, force: true }));
  const input = path.join(tmp, "in");
  before(() => writeTFRecordInput(input));

  for (const directNumWorkers of [1, 2]) {
    it(`read and write in worker threads (--direct_num_workers ${directNumWorkers})`, async () => {
      const output = path.join(tmp, `threads-${directNumWorkers}`);
      const result = await tfrecordProgram.run({ input, output }, { directNumWorkers, directWorkerThreads: "always" });
      assert.equal(await result.waitUntilFinish(), "DONE");
      await check(output, `${directNumWorkers} worker(s)`);
    });
  }

  it("give the DirectRunner's output on the Fn API harness", async () => {
    const flags = { input, output: path.join(tmp, "harness") };
    const fn = await FnApiServer.start();
    const harness = new FnHarness({ workerId: "w-tfrecord", controlUrl: fn.url, loadPipeline: () => tfrecordProgram.create(flags), runId: "tfrecord" }).start();
    try {
      const proto = translatePipeline(tfrecordProgram.create(flags), dockerEnvironment()).proto;
      const coders = Object.values(proto.components!.coders).map((c) => c.spec!.urn);
      assert.ok(coders.includes("beam:coder:bytes:v1"), "the records' collection has the bytes coder");
      await executePipeline(proto, fn, () => undefined, () => false, { expandReshuffle: true });
      await check(flags.output, "Fn API harness");
    } finally {
      await harness.stop();
      await fn.stop();
    }
  });
});
