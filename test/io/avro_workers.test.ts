/**
 * Avro IO as a program: in DirectRunner worker threads (--direct_num_workers 1 and 2) and on the
 * Fn API worker harness (records cross stages in Beamline's JS-value coder, KV(file, record) in
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
import { readAvroBlocks, readAvroHeader } from "../../lib/io/avro/container";
import { avroType, plain } from "../../lib/io/avro/schema";
import { FnApiServer } from "../worker/fn_server";
import { executePipeline } from "../portable/mini_runner";
import { readShards } from "../helpers";
import { AVRO_EXPECTED, avroProgram } from "./avro_programs";

async function written(dir: string): Promise<{ files: string[]; records: { id: number }[] }> {
  const files = fs.readdirSync(dir).filter((f) => f.startsWith("written")).sort();
  const records: { id: number }[] = [];
  for (const f of files) {
    const file = path.join(dir, f);
    const head = await readAvroHeader(file);
    const type = avroType(head.schema);
    await readAvroBlocks(file, head, 0, fs.statSync(file).size, (b) => {
      for (let i = 0, pos = 0; i < b.count; i++) {
        const d = type.decode(b.data, pos);
        pos = d.offset;
        records.push(plain(d.value) as { id: number });
      }
    });
  }
  return { files, records: records.sort((a, b) => a.id - b.id) };
}

async function check(output: string, label: string): Promise<void> {
  assert.deepEqual(readShards(path.join(output, "users")), AVRO_EXPECTED.users, label);
  assert.deepEqual(readShards(path.join(output, "named")), AVRO_EXPECTED.named, label);
  const w = await written(output);
  assert.deepEqual(w.files, ["written-00000-of-00002.avro", "written-00001-of-00002.avro"], label);
  assert.deepStrictEqual(w.records, [...AVRO_EXPECTED.written].sort((a, b) => a.id - b.id), label);
}

describe("io/avro: programs in worker threads and on the Fn API harness", function () {
  this.timeout(60_000);
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), "beamline-avro-workers-"));
  after(() => fs.rmSync(tmp, { recursive: true, force: true }));

  for (const directNumWorkers of [1, 2]) {
    it(`read and write in worker threads (--direct_num_workers ${directNumWorkers})`, async () => {
      const output = path.join(tmp, `threads-${directNumWorkers}`);
      const result = await avroProgram.run({ output }, { directNumWorkers, directWorkerThreads: "always" });
      assert.equal(await result.waitUntilFinish(), "DONE");
      await check(output, `${directNumWorkers} worker(s)`);
    });
  }

  it("give the DirectRunner's output on the Fn API harness", async () => {
    const flags = { output: path.join(tmp, "harness") };
    const fn = await FnApiServer.start();
    const harness = new FnHarness({ workerId: "w-avro", controlUrl: fn.url, loadPipeline: () => avroProgram.create(flags), runId: "avro" }).start();
    try {
      const proto = translatePipeline(avroProgram.create(flags), dockerEnvironment()).proto;
      const coders = Object.values(proto.components!.coders).map((c) => c.spec!.urn);
      assert.ok(coders.includes("beamline:coder:jsvalue:v1"), "the records' collection has the JS-value coder");
      await executePipeline(proto, fn, () => undefined, () => false, { expandReshuffle: true });
      await check(flags.output, "Fn API harness");
    } finally {
      await harness.stop();
      await fn.stop();
    }
  });
});
