/**
 * The Beam TypeScript SDK's io_test.ts, ported: its file cases (text, CSV, JSON, Parquet, Avro)
 * each write rows in one pipeline and read them back in another, on the DirectRunner with one
 * worker and with two (`--direct_num_workers 2`, bundles in worker threads). The pipelines are
 * in beam_typescript_sdk_programs.ts (IO_CASES). Its BigQuery and Pub/Sub cases need Google
 * Cloud (that SDK skips them too); Beamline's own tests run those against emulators.
 */
import { strict as assert } from "node:assert";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import type { PipelineOptions } from "../../lib/model/options";
import { beamTypeScriptSdkProgram, type IoCaseName } from "./beam_typescript_sdk_programs";

const runs: { name: string; options: Partial<PipelineOptions> }[] = [
  { name: "1 worker", options: {} },
  { name: "--direct_num_workers 2", options: { directNumWorkers: 2, directWorkerThreads: "always" } },
];

for (const { name: runName, options } of runs) {
  describe(`Beam TypeScript SDK io_test.ts, ported (${runName})`, () => {
    let dir: string;
    beforeEach(() => {
      dir = fs.mkdtempSync(path.join(os.tmpdir(), "beamline-beam-ts-io-"));
    });
    afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

    const writeThenRead = async (write: IoCaseName, read: IoCaseName): Promise<void> => {
      await (await beamTypeScriptSdkProgram.run({ case: write, dir }, options)).waitUntilFinish();
      assert.ok(fs.readdirSync(dir).length > 0, `${write} wrote no file`);
      await (await beamTypeScriptSdkProgram.run({ case: read, dir }, options)).waitUntilFinish();
    };

    it("textio file test", () => writeThenRead("textio write", "textio read"));
    it("textio csv file test", () => writeThenRead("csv write", "csv read"));
    it("textio json file test (JSON Lines through text I/O)", () => writeThenRead("json write", "json read"));
    it("parquetio file test (all columns, and the columns option)", () => writeThenRead("parquet write", "parquet read"));
    it("avroio file test (local files; that SDK's needed GCS)", () => writeThenRead("avro write", "avro read"));
  });
}
