/**
 * The external worker pool (`main.js --worker_pool`) as a process: it listens on 127.0.0.1 unless
 * told otherwise, refuses to start without the program it runs, and a StartWorker request cannot
 * make it load code: the module path in the job's options is ignored; only the pool's program runs.
 */
import { strict as assert } from "node:assert";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { inGlobalWindow } from "../../lib/model/window";
import { RpcClient } from "../../runners/portable/grpc";
import { flatOptions, jobApiOptions } from "../../runners/portable/pipeline_options";
import { fnApi, fnapi, provisionApi, structApi } from "../../runners/portable/protos";
import { parseBootFlags } from "../../runners/worker/boot";
import { FnApiServer } from "./fn_server";
import { passThroughProgram } from "./programs";
import { OutputTally, serveStage } from "./stream_input";
import { encodeAll } from "./wire";
import { startWorkerProcess, TEST_PROGRAMS, WorkerProcess } from "./worker_process";

/** Resolves with the pool's address once it prints it. */
async function poolAddress(pool: WorkerProcess): Promise<string> {
  for (;;) {
    const m = /worker pool listening on (\S+),/.exec(pool.stderr());
    if (m !== null) return m[1]!;
    const exited = await Promise.race([pool.exited.then(() => true), new Promise<boolean>((r) => pool.child.stderr!.once("data", () => r(false)))]);
    if (exited) throw new Error(`the pool exited: ${pool.stderr()}`);
  }
}

describe("worker pool", function () {
  this.timeout(60_000);
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), "beamline-pool-"));
  let server: FnApiServer;
  let pool: WorkerProcess | undefined;

  beforeEach(async () => {
    server = await FnApiServer.start();
  });
  afterEach(async function () {
    if (this.currentTest?.state === "failed" && pool !== undefined) process.stderr.write(`pool stderr:\n${pool.stderr()}\n`);
    if (pool !== undefined && pool.child.exitCode === null) {
      pool.child.kill("SIGTERM");
      await pool.exited;
    }
    pool = undefined;
    await server.stop();
  });
  after(() => fs.rmSync(tmp, { recursive: true, force: true }));

  it("listens on 127.0.0.1 by default; all interfaces only when asked (--worker_pool_host)", () => {
    assert.equal(parseBootFlags(["--worker_pool", "--program", TEST_PROGRAMS], {}).workerPoolHost, "127.0.0.1");
    assert.equal(parseBootFlags(["--worker_pool", "--program", TEST_PROGRAMS, "--worker_pool_host", "0.0.0.0"], {}).workerPoolHost, "0.0.0.0");
    assert.throws(() => parseBootFlags(["--worker_pool"], {}), /--program PATH \(or set BEAMLINE_PROGRAM\)/);
  });

  it("runs only the program it was started with, whatever module the job's options name", async () => {
    pool = startWorkerProcess(["--worker_pool", `--program=${TEST_PROGRAMS}`, "--service_port=0"]);
    const address = await poolAddress(pool);
    assert.match(address, /^127\.0\.0\.1:\d+$/);

    // A module that would leave a mark if anything loaded it.
    const marker = path.join(tmp, "loaded");
    const evil = path.join(tmp, "evil.js");
    fs.writeFileSync(evil, `require("fs").writeFileSync(${JSON.stringify(marker)}, "loaded");`);
    const p = passThroughProgram.create({ async: false });
    const provide = (name: string): void => {
      const options = flatOptions(p.options, { ...p.program!, name, modulePath: evil }, p.fingerprint(), "run-pool");
      server.provisionInfo = provisionApi.ProvisionInfo.create({ pipelineOptions: structApi.Struct.fromJson(jobApiOptions(options) as never) });
    };
    const client = new RpcClient(address, fnApi.BeamFnExternalWorkerPool);
    const startWorker = (workerId: string): Promise<fnapi.StartWorkerResponse> =>
      client.unary("StartWorker", fnApi.StartWorkerRequest, fnApi.StartWorkerResponse, {
        workerId,
        controlEndpoint: { url: server.url, authentication: undefined },
        loggingEndpoint: { url: server.url, authentication: undefined },
        provisionEndpoint: { url: server.url, authentication: undefined },
        artifactEndpoint: undefined,
        params: {},
      });
    try {
      // The program exists in the pool's modules: the bundle runs it from there.
      provide(p.program!.name);
      assert.equal((await startWorker("pool-w1")).error, "");
      const { stage, inCoder, outCoder, sink } = serveStage(server, p, "Pass");
      const tally = new OutputTally(outCoder);
      const bundle = await server.startBundle(stage.id, [sink], (_, data) => tally.add(data));
      await bundle.send(stage.sourceId, encodeAll(inCoder, ["a", "b"].map((s) => inGlobalWindow(s))), true);
      await bundle.result;
      assert.equal(tally.elements, 2);

      // A program only the named module defines: refused, and the module is never loaded.
      await server.stop();
      server = await FnApiServer.start();
      provide("evil-program");
      assert.equal((await startWorker("pool-w2")).error, "");
      const again = serveStage(server, p, "Pass");
      const failed = await server.startBundle(again.stage.id, [again.sink], () => undefined);
      await assert.rejects(failed.result, /define no pipeline program named 'evil-program'/);
      assert.equal(fs.existsSync(marker), false, "the module named in the options was not loaded");
    } finally {
      client.close();
    }
  });
});
