/**
 * mnist_bq on a Beam portable runner (LOOPBACK) through the Job API, against the BigQuery
 * emulator: the runner drives our Fn API harness, which loads the model in this process.
 */
import { strict as assert } from "node:assert";
import { spawn } from "node:child_process";
import { once } from "node:events";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import "../../runners/direct";
import { bigqueryClient } from "../../lib/io/gcp/clients";
import { mnistBq } from "../../pipelines/mnist_bq";
import { DEFAULT_MODEL } from "../../pipelines/mnist_prediction";
import { PortableRunner } from "../../runners/portable/portable_runner";
import { writeMnistCsv } from "../../setup/mnist/mnist_data";
import { setupBigQuery } from "../../setup/mnist/setup_gcp";
import { startEmulatorEnv, TEST_PROJECT, type EmulatorEnv } from "../io/gcp/emulator_env";
import { MiniJobServer } from "../portable/job_server";

describe("pipelines/mnist_bq on the PortableRunner (LOOPBACK) against the BigQuery emulator", function () {
  this.timeout(60_000);
  let env: EmulatorEnv;
  let jobServer: MiniJobServer;
  let dir: string;

  before(async () => {
    env = await startEmulatorEnv(["bigquery"]);
    jobServer = await MiniJobServer.start();
    dir = fs.mkdtempSync(path.join(os.tmpdir(), "mnist-portable-"));
    await setupBigQuery({ project: TEST_PROJECT, csv: (await writeMnistCsv(dir, 30)).csv });
  });
  after(async () => {
    await jobServer?.stop();
    await env?.stop();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  const rowsOf = async (t: string) => {
    const [rows] = await bigqueryClient(TEST_PROJECT).dataset("MNIST").table(t).getRows();
    return (rows as Record<string, number>[]).sort((a, b) => a["ID"]! - b["ID"]!);
  };

  it("writes the same predictions table as the DirectRunner", async () => {
    const flags = (output: string) => ({ input: `${TEST_PROJECT}.MNIST.Images`, output: `${TEST_PROJECT}.MNIST.${output}`, model: DEFAULT_MODEL, tfjs_backend: "auto", max_batch_size: 8, inference_threads: "0", dead_letter: undefined });
    assert.equal(await (await mnistBq.run(flags("Direct"), { runner: "DirectRunner" })).waitUntilFinish(), "DONE");
    const p = mnistBq.create(flags("Portable"), { runner: "PortableRunner", jobName: "mnist-portable", extra: { job_endpoint: jobServer.url, environment_type: "LOOPBACK" } });
    const result = await new PortableRunner({ log: () => undefined, cancelOnInterrupt: false }).run(p);
    assert.equal(await result.waitUntilFinish(), "DONE");
    const direct = await rowsOf("Direct");
    const portable = await rowsOf("Portable");
    assert.equal(direct.length, 30);
    assert.deepEqual(portable, direct);
  });

  it("on Prism (Beam's Go runner, when BEAMLINE_PRISM names its launcher) writes the same table too", async function () {
    const launcher = process.env["BEAMLINE_PRISM"];
    if (launcher === undefined || !fs.existsSync(launcher)) this.skip();
    const prism = spawn(launcher!, ["0"], { stdio: ["ignore", "pipe", "ignore"] });
    try {
      const endpoint = await new Promise<string>((resolve, reject) => {
        let seen = "";
        prism.once("exit", (code) => reject(new Error(`Prism exited (${code}) before it was ready`)));
        prism.stdout!.on("data", (c: Buffer) => {
          seen += c.toString();
          const m = /PRISM_READY (\S+)/.exec(seen);
          if (m !== null) resolve(m[1]!);
        });
      });
      const flags = { input: `${TEST_PROJECT}.MNIST.Images`, output: `${TEST_PROJECT}.MNIST.Prism`, model: DEFAULT_MODEL, tfjs_backend: "auto", max_batch_size: 8, inference_threads: "0", dead_letter: undefined };
      const p = mnistBq.create(flags, { runner: "PortableRunner", jobName: "mnist-prism", extra: { job_endpoint: endpoint, environment_type: "LOOPBACK" } });
      const result = await new PortableRunner({ log: () => undefined, cancelOnInterrupt: false }).run(p);
      assert.equal(await result.waitUntilFinish(), "DONE");
      assert.deepEqual(await rowsOf("Prism"), await rowsOf("Direct"));
    } finally {
      prism.kill("SIGTERM");
      if (prism.exitCode === null) await once(prism, "exit");
    }
  });
});
